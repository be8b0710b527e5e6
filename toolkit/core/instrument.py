"""The questionnaires as the web app sees them: loaded once per process."""

from __future__ import annotations

from functools import cache

from questionnaires import Questionnaire, catalogue
from questionnaires.versions import Bridge, bridge


@cache
def _all() -> dict[tuple[str, str], Questionnaire]:
    return {(q.id, q.version): q for q in catalogue()}


def questionnaire(questionnaire_id: str, version: str) -> Questionnaire:
    """One questionnaire version (KeyError when it is not shipped)."""
    return _all()[(questionnaire_id, version)]


def latest(questionnaire_id: str) -> Questionnaire:
    """The newest version of a questionnaire."""
    shipped = versions(questionnaire_id)
    if not shipped:
        raise KeyError(questionnaire_id)
    return shipped[-1]


def versions(questionnaire_id: str) -> list[Questionnaire]:
    """Every shipped version of a questionnaire, oldest first."""
    return [q for (qid, _), q in _all().items() if qid == questionnaire_id]


@cache
def bridge_between(old_version: str, new_version: str, questionnaire_id: str) -> Bridge:
    """What two versions of a questionnaire share, `old_version` the earlier (ValueError when
    one does not descend from the other)."""
    return bridge(
        questionnaire(questionnaire_id, old_version),
        questionnaire(questionnaire_id, new_version),
        versions(questionnaire_id),
    )


def titles() -> dict[str, str]:
    """Questionnaire id -> title of its newest version."""
    return {qid: str(q.title) for (qid, _), q in _all().items()}  # the newest comes last


def area_names() -> dict[str, str]:
    """Area id -> English name, in the order of the ASUS core areas."""
    first = next(iter(_all().values()))
    return {area.id: str(area.name) for area in first.areas}
