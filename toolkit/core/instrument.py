"""The questionnaires as the web app sees them: loaded once per process."""

from __future__ import annotations

from functools import cache

from flask_babel import gettext as _

from questionnaires import Questionnaire, catalogue
from questionnaires.model import version_key
from questionnaires.versions import Bridge, bridge
from toolkit.i18n.service import language_code


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
def bridge_between(one: str, other: str, questionnaire_id: str) -> Bridge | None:
    """What two versions of a questionnaire share, in either order (the bridge's `old` is the
    earlier); None when no item map links them, such as a version no longer shipped."""
    older, newer = sorted((one, other), key=version_key)
    try:
        return bridge(
            questionnaire(questionnaire_id, older),
            questionnaire(questionnaire_id, newer),
            versions(questionnaire_id),
        )
    except (KeyError, ValueError):
        return None


def comparison_note(link: Bridge, area_id: str, against: str | None = None) -> str | None:
    """Why an area cannot be compared across the two versions of `link`, in the person's
    language; None when it can. `against` is the version the reader compares with (default:
    the older one)."""
    area = link.areas[area_id]
    if area.comparable:
        return None
    return _(
        "%(area)s: not comparable with %(version)s, %(changed)d of %(total)d items changed",
        area=link.new.area(area_id).name.get(language_code()),
        version=against or link.old.version,
        changed=area.changed,
        total=area.total,
    )


def titles() -> dict[str, str]:
    """Questionnaire id -> title of its newest version, in the page's (or job's) language."""
    language = language_code()
    return {qid: q.title.get(language) for (qid, _), q in _all().items()}  # the newest last


def area_names() -> dict[str, str]:
    """Area id -> name in the page's (or job's) language, in the order of the ASUS core areas."""
    first = next(iter(_all().values()))
    return {area.id: area.name.get(language_code()) for area in first.areas}
