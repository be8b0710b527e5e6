"""Versions of a questionnaire and what keeps them comparable: the item map.

A version that replaces another says, in its `changes`, what became of every question of the
replaced version (see FORMAT.md). `check_map` holds the map to the two versions; `bridge` reads
it (through every version between, when cycles are further apart) into the questions two versions
share and, per area, how many items changed; `compare` scores two assessments on what they share.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from .loader import Problem
from .model import Area, ItemChange, Questionnaire, Text, version_key
from .scoring import HIDDEN, AreaScore, GivenAnswer, score


def check_versions(questionnaires: Iterable[Questionnaire]) -> list[Problem]:
    """Every problem between versions: two files with one version, a version replacing one that
    is not there or is not earlier, and every item map checked against the version it replaces."""
    problems = []
    by_key: dict[tuple[str, str], Questionnaire] = {}
    for q in questionnaires:
        if (q.id, q.version) in by_key:
            first = by_key[(q.id, q.version)].source
            problems.append(Problem(q.source, 1, "version", f"{q.id} {q.version} is also {first}"))
        by_key.setdefault((q.id, q.version), q)
    for q in by_key.values():
        if q.replaces is None:
            continue
        old = by_key.get((q.id, q.replaces))
        if old is None:
            problems.append(
                Problem(q.source, q.changes_line, "replaces", f"{q.id} {q.replaces} is not there")
            )
        elif version_key(old.version) >= version_key(q.version):
            problems.append(
                Problem(
                    q.source, q.changes_line, "replaces", f"{q.replaces} is not before {q.version}"
                )
            )
        else:
            problems.extend(check_map(old, q))
    return problems


def check_map(old: Questionnaire, new: Questionnaire) -> list[Problem]:
    """Every way `new`'s item map fails to account for `old`: an old question left out or named
    twice, an id either version does not have, an entry that contradicts the two files."""
    problems: list[Problem] = []

    def problem(line: int, path: str, message: str) -> None:
        problems.append(Problem(new.source, line, path, message))

    old_ids = {q.id: q for q in old.questions()}
    new_ids = {q.id: q for q in new.questions()}
    seen_old: dict[str, int] = {}
    seen_new: dict[str, int] = {}
    for i, entry in enumerate(new.changes):
        path = f"changes[{i}]"
        for item in entry.old:
            if item not in old_ids:
                problem(entry.line, f"{path}.old", f"'{item}' is not a question of {old.version}")
            elif item in seen_old:
                problem(
                    entry.line,
                    f"{path}.old",
                    f"'{item}' is mapped twice (first on line {seen_old[item]})",
                )
            seen_old.setdefault(item, entry.line)
        for item in entry.new:
            if item not in new_ids and entry.change in ("same", "changed"):
                if item in old_ids:
                    problem(
                        entry.line,
                        f"{path}.old",
                        f"'{item}' is not a question of {new.version}: is it moved or retired?",
                    )
            elif item not in new_ids:
                problem(entry.line, f"{path}.new", f"'{item}' is not a question of {new.version}")
            elif item in seen_new and not (
                # a same or changed entry named twice is reported once, as its old id
                entry.change in ("same", "changed") and seen_old.get(item) != entry.line
            ):
                problem(
                    entry.line,
                    f"{path}.new",
                    f"'{item}' is mapped twice (first on line {seen_new[item]})",
                )
            seen_new.setdefault(item, entry.line)
        if all(item in old_ids for item in entry.old) and all(
            item in new_ids for item in entry.new
        ):
            for message in _contradictions(entry, old_ids, new_ids, old.version, new.version):
                problem(entry.line, f"{path}.change", message)
    for item, question in old_ids.items():
        if item not in seen_old:
            problem(
                new.changes_line,
                "changes",
                f"the {old.version} question '{item}' ({old.source}:{question.line}) is not in "
                "the item map: say whether it is same, changed, moved, split, merged or retired",
            )
    for item, question in new_ids.items():
        if item not in seen_new:
            problem(
                question.line,
                item,
                f"is not in the item map: mark it 'added', or name the {old.version} question it "
                "comes from",
            )
    return problems


def _contradictions(entry, old_ids, new_ids, old_version, new_version) -> Iterable[str]:
    """What in the two files contradicts an entry whose ids both versions have."""
    change = entry.change
    if change in ("same", "changed", "moved"):
        before, after = old_ids[entry.old[0]], new_ids[entry.new[0]]
        if change == "moved" and before.id == after.id and before.sub_area_id == after.sub_area_id:
            yield f"'{before.id}' is in the same place in both versions: it is same or changed"
        if change != "moved" and before.area_id != after.area_id:
            yield f"'{before.id}' moved from {before.area_id} to {after.area_id}: mark it moved"
        if change in ("same", "moved") and before.scoring_shape() != after.scoring_shape():
            yield (
                f"'{after.id}' scores answers differently from '{before.id}' of {old_version} "
                "(its type, levels, choices, bands or unit): mark it changed, comparable or not"
            )
    if change == "retired" and entry.old[0] in new_ids:
        yield f"'{entry.old[0]}' is still a question of {new_version}: it is same, changed or moved"
    if change == "added" and entry.new[0] in old_ids:
        yield f"'{entry.new[0]}' was already a question of {old_version}: it is same or changed"
    if change == "merged":
        for item in entry.old:
            if item in new_ids and item != entry.new[0]:
                yield f"'{item}' is still a question of {new_version}: map it on its own"
    if change == "split":
        for item in entry.new:
            if item in old_ids and item != entry.old[0]:
                yield f"'{item}' was already a question of {old_version}: map it on its own"


@dataclass(frozen=True)
class AreaBridge:
    """What an area shares across two versions: `pairs` of comparable questions (old id, new id)
    in this area in both, and how many of the area's `total` scored items are not among them."""

    area_id: str
    pairs: tuple[tuple[str, str], ...]
    changed: int
    total: int

    @property
    def comparable(self) -> bool:
        """Whether every scored item of the area means the same in both versions."""
        return self.changed == 0


@dataclass(frozen=True)
class Bridge:
    """Two versions of one questionnaire, `old` before `new`, and what they share."""

    old: Questionnaire
    new: Questionnaire
    pairs: Mapping[str, str]  # old question id -> new question id, comparable answers
    copies: Mapping[str, str]  # new question id -> old question id, answers carried as they are
    offers: Mapping[str, tuple[ItemChange, tuple[str, ...]]]  # new id -> its change, old ids
    areas: Mapping[str, AreaBridge]

    def note(self, area_id: str, language: str = "en", against: str | None = None) -> str | None:
        """Why an area cannot be compared across the two versions; None when it can. `against`
        is the version the reader compares with (default: the older one)."""
        area = self.areas[area_id]
        if area.comparable:
            return None
        name = self.new.area(area_id).name.get(language)
        return (
            f"{name}: not comparable with {against or self.old.version}, "
            f"{area.changed} of {area.total} items changed"
        )

    def translate(self, answers: Mapping[str, GivenAnswer]) -> dict[str, GivenAnswer]:
        """Answers to `old` as answers to `new`'s comparable questions (those still valid)."""
        translated = {}
        for old_id, new_id in self.pairs.items():
            given = answers.get(old_id)
            if given is None:
                continue
            question = self.new.question(new_id)
            if given.not_applicable and not question.allow_na:
                continue
            if given.value is not None:
                try:
                    question.parse_answer(given.value)
                except ValueError:
                    continue
            translated[new_id] = given
        return translated


def bridge(old: Questionnaire, new: Questionnaire, versions: Iterable[Questionnaire]) -> Bridge:
    """The bridge from `old` to the later `new`, through the item maps of every version between
    them (`versions`: all versions of the questionnaire)."""
    if version_key(old.version) > version_key(new.version):
        raise ValueError(f"{old.version} is later than {new.version}")
    by_version = {q.version: q for q in versions}
    chain = [new]
    while chain[-1].version != old.version:
        replaced = chain[-1].replaces
        if replaced is None or replaced not in by_version:
            raise ValueError(f"{new.id} {new.version} does not descend from {old.version}")
        chain.append(by_version[replaced])
    chain.reverse()
    # Follow every old question through each step; a pair survives only comparable steps.
    pairs = {q.id: q.id for q in old.questions()}
    copies = dict(pairs)
    # Every old question with whatever it became, comparable or not: what an area's count of
    # changed items does not count twice.
    linked = {q.id: {q.id} for q in old.questions()}
    offers: dict[str, tuple[ItemChange, tuple[str, ...]]] = {}
    for step in chain[1:]:
        forward = {item: entry for entry in step.changes for item in entry.old}
        origin_of = {current: origin for origin, now in linked.items() for current in now}
        carried = {}  # an offer made at an earlier step follows its question on
        for new_id, offer in offers.items():
            entry = forward.get(new_id)
            if entry is not None and entry.copies_answer:
                carried[entry.new[0]] = offer
        for entry in step.changes:
            if entry.change in ("changed", "split", "merged"):
                origin = tuple(origin_of[o] for o in entry.old if o in origin_of)
                carried.update({new_id: (entry, origin) for new_id in entry.new if origin})
        offers = carried
        linked = {
            o: {n for item in now for n in forward[item].new if item in forward}
            for o, now in linked.items()
        }
        pairs = _step(pairs, forward, lambda e: e.comparable)
        copies = _step(copies, forward, lambda e: e.copies_answer)
    copies_by_new = {new_id: old_id for old_id, new_id in copies.items()}
    return Bridge(old, new, pairs, copies_by_new, offers, _areas(old, new, pairs, linked))


def _step(current: dict[str, str], forward: dict[str, ItemChange], keeps) -> dict[str, str]:
    """`current` (origin id -> id in the last version) carried one version on."""
    result = {}
    for origin, item in current.items():
        entry = forward.get(item)
        if entry is not None and keeps(entry) and len(entry.new) == 1:
            result[origin] = entry.new[0]
    return result


def _areas(old: Questionnaire, new: Questionnaire, pairs, linked) -> dict[str, AreaBridge]:
    """Per area: its comparable pairs, and how many of its items changed. An item is a scored
    question of the new version in the area, or one of the old version in the area that became
    nothing there (retired, or moved to another area)."""
    old_area = {q.id: q.area_id for q in old.questions() if q.scored}
    new_area = {q.id: q.area_id for q in new.questions() if q.scored}
    areas = {}
    for area in new.areas:
        kept = tuple(
            (o, n)
            for o, n in pairs.items()
            if old_area.get(o) == area.id and new_area.get(n) == area.id
        )
        items = sum(1 for a in new_area.values() if a == area.id)
        items += sum(
            1
            for o, a in old_area.items()
            if a == area.id and not any(new_area.get(n) == area.id for n in linked.get(o, ()))
        )
        areas[area.id] = AreaBridge(area.id, kept, items - len(kept), items)
    return areas


@dataclass(frozen=True)
class AreaComparison:
    """An area in two assessments: `before` and `now` on the questions they share (the whole
    area when nothing changed), and the bridge's note when something did."""

    area: Area
    before: float | None
    now: float | None
    comparable: bool
    shared: int
    total: int
    note: str | None

    @property
    def change(self) -> float | None:
        """Points gained (or lost) on what the two share; None without both scores."""
        if self.before is None or self.now is None:
            return None
        return self.now - self.before


@dataclass(frozen=True)
class AreaChange:
    """An area now (`area`) and its score in an earlier cycle (`before`, as scored then), with
    the comparison on what the two share when the cycles used different versions."""

    area: AreaScore
    before: float | None
    comparison: AreaComparison | None = None

    @property
    def comparable(self) -> bool:
        """Whether the two scores measure the same: the same version, or nothing changed."""
        return self.comparison is None or self.comparison.comparable

    @property
    def change(self) -> float | None:
        """Points gained (or lost) since; None when not comparable or a score is missing."""
        if self.comparison is not None:
            return self.comparison.change if self.comparison.comparable else None
        if self.area.score is None or self.before is None:
            return None
        return self.area.score - self.before

    @property
    def note(self) -> str | None:
        """Why the change is not given, when it is not."""
        return None if self.comparable else self.comparison.note


def compare(
    link: Bridge,
    old_answers: Mapping[str, GivenAnswer],
    new_answers: Mapping[str, GivenAnswer],
    language: str = "en",
) -> list[AreaComparison]:
    """Each area of two assessments (on `link.old` and `link.new`) scored on the questions they
    share, with the new version's structure and weights for both, so the change is fair."""
    ids = {n for a in link.areas.values() for _, n in a.pairs}
    shared = only(link.new, ids)
    before = link.translate(_shown(link.old, old_answers))
    now = _shown(link.new, new_answers)
    before = score(shared, {k: v for k, v in before.items() if k in ids})
    now = score(shared, {k: v for k, v in now.items() if k in ids})
    result = []
    for area in link.new.areas:
        bridge_area = link.areas[area.id]
        try:
            b, n = before.area(area.id).score, now.area(area.id).score
        except KeyError:
            b = n = None
        result.append(
            AreaComparison(
                area=area,
                before=b,
                now=n,
                comparable=bridge_area.comparable,
                shared=len(bridge_area.pairs),
                total=bridge_area.total,
                note=link.note(area.id, language),
            )
        )
    return result


def _shown(questionnaire: Questionnaire, answers: Mapping[str, GivenAnswer]) -> dict:
    """The answers to questions an assessment shows: a stored answer to a question that its
    condition hides now counts for nothing, in a comparison as in the assessment's own score."""
    card = score(questionnaire, answers)
    return {k: v for k, v in answers.items() if card.question(k).status != HIDDEN}


def only(questionnaire: Questionnaire, question_ids: set[str]) -> Questionnaire:
    """The questionnaire cut down to these questions (an area or sub-area left empty goes). A
    question keeps its place and weight; conditions are dropped, since the question they name may
    be gone: `compare` leaves out the answers each assessment hides (`_shown`)."""
    areas = []
    for area in questionnaire.areas:
        sub_areas = []
        for sub_area in area.sub_areas:
            kept = tuple(
                replace(q, show_if=None) for q in sub_area.questions if q.id in question_ids
            )
            if kept:
                sub_areas.append(replace(sub_area, questions=kept))
        areas.append(replace(area, sub_areas=tuple(sub_areas)))
    return replace(questionnaire, areas=tuple(areas))


def changelog(questionnaire: Questionnaire, language: str = "en") -> str:
    """The version's changes in Markdown: its summary, then every entry but `same`, by area."""
    if questionnaire.replaces is None:
        return (
            f"# {questionnaire.title.get(language)} {questionnaire.version}\n\nThe first version.\n"
        )
    lines = [
        f"# {questionnaire.title.get(language)} {questionnaire.version}",
        "",
        f"Replaces {questionnaire.replaces}. {_text(questionnaire.summary, language)}",
        "",
    ]
    counts: dict[str, int] = {}
    for entry in questionnaire.changes:
        counts[entry.change] = counts.get(entry.change, 0) + 1
    lines.append(", ".join(f"{n} {change}" for change, n in sorted(counts.items())) + ".")
    lines.append("")
    for entry in questionnaire.changes:
        if entry.change == "same":
            continue
        olds, news = ", ".join(entry.old), ", ".join(entry.new)
        kind = "comparable" if entry.comparable else "not comparable"
        what = {
            "changed": f"`{olds}` changed ({kind})",
            "moved": f"`{olds}` moved to `{news}`",
            "split": f"`{olds}` split into `{news}`",
            "merged": f"`{olds}` merged into `{news}`",
            "retired": f"`{olds}` retired",
            "added": f"`{news}` added",
        }[entry.change]
        lines.append(f"- {what}: {_text(entry.why, language)}")
    return "\n".join(lines) + "\n"


def _text(text: Text | None, language: str) -> str:
    return text.get(language) if text else ""
