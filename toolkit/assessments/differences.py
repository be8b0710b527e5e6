"""The parts of an answer in words: what two versions of an answer say differently, for the
conflicts of the area page and autosave, and for a workbook's preview."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from questionnaires import Question
from toolkit.assessments.answering import EMPTY, PARTS, AnswerConflict
from toolkit.core.templating import describe_snapshot

PART_NAMES = {
    "value": _l("Answer"),
    "not_applicable": _l("Not applicable to our city"),
    "comment": _l("Comment"),
    "evidence": _l("Evidence links"),
    "data": _l("Year and source of the data"),
}


def differences(q: Question, conflict: AnswerConflict) -> list[dict]:
    """Each part in which the two answers of a conflict differ, both in words, and whose change
    is kept whatever the person chooses ("yours", "theirs"; None where they must choose)."""
    return [
        {
            "part": str(PART_NAMES[part]),
            "theirs": describe_part(q, part, conflict.theirs),
            "yours": describe_part(q, part, conflict.yours),
            "kept": kept,
        }
        for part, kept in conflict.differences()
    ]


def changes(q: Question, old: dict | None, new: dict) -> list[dict]:
    """Each part that `new` changes in `old` (None: unanswered), from and to in words."""
    old = old or EMPTY
    return [
        {
            "part": str(PART_NAMES[part]),
            "from": describe_part(q, part, old),
            "to": describe_part(q, part, new),
        }
        for part, keys in PARTS.items()
        if [old.get(key) for key in keys] != [new.get(key) for key in keys]
    ]


def describe_part(q: Question, part: str, snapshot: dict) -> str:
    """One part of an answer snapshot (see Answer.snapshot) in words."""
    if part == "value":
        return describe_snapshot(q, {**snapshot, "not_applicable": False})
    if part == "not_applicable":
        if not snapshot["not_applicable"]:
            return _("No")
        return _("Yes: %(reason)s", reason=snapshot["reason"] or "")
    if part == "data":
        year, source = snapshot.get("data_year"), snapshot.get("data_source")
        return "; ".join(
            [
                _("Year of the data: %(year)s", year=year) if year else _("No year given"),
                _("Source: %(source)s", source=source) if source else _("No source given"),
            ]
        )
    text = "; ".join(snapshot["evidence"]) if part == "evidence" else snapshot["comment"]
    return text or _("none")
