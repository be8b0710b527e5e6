"""The questionnaires as the web app sees them: loaded once per process."""

from __future__ import annotations

from functools import cache

from questionnaires import Questionnaire, catalogue


@cache
def _all() -> dict[tuple[str, str], Questionnaire]:
    return {(q.id, q.version): q for q in catalogue()}


def questionnaire(questionnaire_id: str, version: str) -> Questionnaire:
    """One questionnaire version (KeyError when it is not shipped)."""
    return _all()[(questionnaire_id, version)]


def latest(questionnaire_id: str) -> Questionnaire:
    """The newest version of a questionnaire."""
    versions = [q for (qid, _), q in _all().items() if qid == questionnaire_id]
    if not versions:
        raise KeyError(questionnaire_id)
    return versions[-1]


def titles() -> dict[str, str]:
    """Questionnaire id -> title of its newest version."""
    return {qid: str(q.title) for (qid, _), q in sorted(_all().items())}


def area_names() -> dict[str, str]:
    """Area id -> English name, in the order of the ASUS core areas."""
    first = next(iter(_all().values()))
    return {area.id: str(area.name) for area in first.areas}
