"""Comparing cities over their stored area scores, in SQL: the filter of the dashboard, its
heatmap and cohort statistics, the choices of its form, and the city profile's history.
Nothing here reads answers (the answer export is in `exports`)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

import sqlalchemy as sa
from flask_babel import gettext as _

from questionnaires import AREA_IDS
from questionnaires.model import version_key
from toolkit.assessments.models import STATUSES, Assessment, StoredAreaScore
from toolkit.assessments.workflow import STATUS_NAMES
from toolkit.cities.models import City, Country
from toolkit.cities.service import countries
from toolkit.core import instrument
from toolkit.core.extensions import db
from toolkit.core.guards import MAX_ID, whole_number
from toolkit.network.cohorts import all_cohorts, cohort_conditions
from toolkit.network.models import Cohort

MIN_COHORT = 5  # fewer cities than this, and no statistics: a single city could be inferred
PAGE_SIZE = 100
SORTS = ("city", "country", "overall", *AREA_IDS)
LAST_CYCLE = 9999


class FilterError(ValueError):
    """A filter that is not valid or names nothing that exists; the message names the filter
    and its value, for a 400 answer."""


@dataclass(frozen=True)
class Filter:
    """Which assessments to compare. `cycle` None means the default: the latest cycle with
    approved assessments (see `resolved`)."""

    questionnaire: str = "asus-quick"
    cycle: int | None = None
    country: str = ""
    cohort: Cohort | None = None
    status: str = "approved"  # one of STATUSES, or "any"
    sort: str = "city"
    descending: bool = False

    def __post_init__(self):
        if self.status not in (*STATUSES, "any"):
            raise FilterError(
                _(
                    "status must be one of %(values)s or any; got %(value)s.",
                    values=", ".join(STATUSES),
                    value=_quoted(self.status),
                )
            )
        if self.sort not in SORTS:
            raise FilterError(
                _(
                    "sort must be one of %(values)s; got %(value)s.",
                    values=", ".join(SORTS),
                    value=_quoted(self.sort),
                )
            )


def parse_filter(args: Mapping[str, str]) -> Filter:
    """The filter of a query string (a page's, an export's or the API's); FilterError when a
    value is not valid or names nothing: an unknown questionnaire or cohort, a cycle that is no
    year. A cycle without assessments is valid: it selects nothing (see `why_empty`)."""
    sort = args.get("sort") or "city"
    return Filter(
        questionnaire=questionnaire_of(args),
        cycle=cycle_of(args),
        country=args.get("country", "")[:2].upper(),
        cohort=cohort_of(args),
        status=args.get("status") or "approved",
        sort=sort.removeprefix("-"),
        descending=sort.startswith("-"),
    )


def questionnaire_of(args: Mapping[str, str]) -> str:
    """The `questionnaire` filter (default asus-quick); FilterError when there is no such one."""
    questionnaire = args.get("questionnaire") or "asus-quick"
    if questionnaire not in instrument.titles():
        raise FilterError(
            _(
                "Unknown questionnaire: %(value)s. Choose one of %(values)s.",
                value=_quoted(questionnaire),
                values=", ".join(instrument.titles()),
            )
        )
    return questionnaire


def cycle_of(args: Mapping[str, str]) -> int | None:
    """The `cycle` filter, a year, or None when it is not given; FilterError for anything else."""
    raw = args.get("cycle", "")
    if raw and whole_number(raw, LAST_CYCLE) is None:
        raise FilterError(
            _("cycle must be a year such as 2026; got %(value)s.", value=_quoted(raw))
        )
    return int(raw) if raw else None


def cohort_of(args: Mapping[str, str]) -> Cohort | None:
    """The cohort the `cohort` filter names by its id, or None when it is not given;
    FilterError when it is not an id or no cohort has it."""
    raw = args.get("cohort", "")
    if not raw:
        return None
    if whole_number(raw, MAX_ID) is None:
        raise FilterError(_("cohort must be a cohort's number; got %(value)s.", value=_quoted(raw)))
    cohort = db.session.get(Cohort, int(raw))
    if cohort is None:
        raise FilterError(_("Unknown cohort: %(value)s.", value=_quoted(raw)))
    return cohort


def _quoted(value: str) -> str:
    """A value someone sent, as a message quotes it: short, and with its quotes."""
    return repr(value if len(value) <= 40 else value[:40] + "...")


@dataclass(frozen=True)
class HeatmapRow:
    """One assessment in the dashboard: its city and a score per area."""

    assessment_id: int
    city: str
    city_slug: str
    country: str
    cycle: int
    status: str
    overall: float | None
    completeness: float
    scores: dict[str, float | None]
    version: str = ""


@dataclass(frozen=True)
class AreaStatistics:
    """The spread of one area's scores over the compared cities."""

    cities: int
    minimum: float
    lower_quartile: float
    median: float
    upper_quartile: float
    maximum: float


@dataclass(frozen=True)
class VersionMix:
    """The questionnaire versions a selection holds (version, assessments; oldest first), and,
    per earlier version, the areas whose questions changed between it and the newest, with the
    words that say so. Those areas are compared over the assessments of the newest version."""

    versions: list[tuple[str, int]]
    apart: dict[str, dict[str, str]]  # earlier version -> {area id: note}

    @property
    def newest(self) -> str:
        return self.versions[-1][0]

    def counts(self, area_id: str, version: str) -> bool:
        """Whether an assessment of `version` counts in the figures of `area_id`."""
        return area_id not in self.apart.get(version, {})


def version_mix(f: Filter) -> VersionMix | None:
    """The versions of the selection of `f` (its cycle resolved); None when it holds one."""
    query = (
        sa.select(Assessment.questionnaire_version, sa.func.count(Assessment.id))
        .join(City, Assessment.city_id == City.id)
        .join(Country, City.country_id == Country.id)
        .group_by(Assessment.questionnaire_version)
    )
    found = dict(db.session.execute(filtered(query, f)).all())
    if len(found) < 2:
        return None
    versions = sorted(found.items(), key=lambda item: version_key(item[0]))
    newest = versions[-1][0]
    apart: dict[str, dict[str, str]] = {}
    for version, _count in versions[:-1]:
        link = instrument.bridge_between(version, newest, f.questionnaire)
        if link is None:  # no item map links them: nothing compares
            apart[version] = {
                a: _(
                    "%(version)s: no item map links it with %(newest)s",
                    version=version,
                    newest=newest,
                )
                for a in AREA_IDS
            }
            continue
        notes = {a: instrument.comparison_note(link, a) for a in AREA_IDS}
        apart[version] = {a: note for a, note in notes.items() if note is not None}
    return VersionMix(versions, {v: areas for v, areas in apart.items() if areas})


def cycles(questionnaire: str) -> list[int]:
    """The cycles in which any city assessed itself with `questionnaire`, newest first."""
    return list(
        db.session.execute(
            db.select(Assessment.cycle)
            .filter_by(questionnaire_id=questionnaire)
            .distinct()
            .order_by(Assessment.cycle.desc())
        ).scalars()
    )


def default_cycle(questionnaire: str) -> int:
    """The cycle shown when none is chosen: the latest with approved assessments of
    `questionnaire` (one city's draft for next year must not empty everyone's dashboard), else
    the latest with any; 0 when there is none at all."""
    latest = sa.func.max(Assessment.cycle)
    with_questionnaire = db.select(latest).filter_by(questionnaire_id=questionnaire)
    approved = db.session.execute(with_questionnaire.filter_by(status="approved")).scalar()
    return approved or db.session.execute(with_questionnaire).scalar() or 0


def resolved(f: Filter) -> Filter:
    """The filter with its cycle filled in (`default_cycle`) when it was left open."""
    if f.cycle is not None:
        return f
    return replace(f, cycle=default_cycle(f.questionnaire))


def why_empty(f: Filter) -> str:
    """Why filter `f`, which selects no assessment, selects none, naming the filter: no
    assessment with the questionnaire, none in the cycle, or none matching the other filters."""
    f = resolved(f)
    if not f.cycle:
        return _("No assessments with this questionnaire yet.")
    in_cycle = db.session.execute(
        db.select(sa.func.count(Assessment.id)).filter_by(
            questionnaire_id=f.questionnaire, cycle=f.cycle
        )
    ).scalar_one()
    if not in_cycle:
        return _("No assessments in cycle %(cycle)d.", cycle=f.cycle)
    filters = [f"country {f.country}"] if f.country else []
    filters += [f"cohort {f.cohort.name}"] if f.cohort else []
    filters.append(f"status {f.status}")
    return _(
        "No assessment in cycle %(cycle)d matches these filters: %(filters)s.",
        cycle=f.cycle,
        filters=", ".join(filters),
    )


def file_stem(f: Filter) -> str:
    """The selection in a file name, ASCII letters, digits and dashes only: the questionnaire,
    the cycle, then the filters that narrow it, e.g. asus-quick-2026-cohort-coastal."""
    f = resolved(f)
    parts = [f.questionnaire, str(f.cycle)]
    if f.country:
        parts += ["country", f.country]
    if f.cohort:
        parts += ["cohort", _ascii(f.cohort.name) or str(f.cohort.id)]
    if f.status != "approved":
        parts += ["status", f.status]
    return _ascii("-".join(parts))


def _ascii(text: str) -> str:
    """Text as lower-case ASCII words joined by dashes ("Đà Nẵng coast" -> "da-nang-coast")."""
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return re.sub(r"[^a-z0-9]+", "-", plain.encode("ascii", "ignore").decode().lower()).strip("-")


def selection(f: Filter) -> list[tuple[str, str]]:
    """Every filter of `f` (its cycle resolved) with its value in words, in the order of the
    dashboard's form: questionnaire, cycle, country, cohort, status."""
    f = resolved(f)
    return [
        ("questionnaire", f"{f.questionnaire} ({instrument.titles()[f.questionnaire]})"),
        ("cycle", str(f.cycle) if f.cycle else _("none yet")),
        ("country", f.country or _("all countries")),
        (
            "cohort",
            _("%(name)s (id %(id)d)", name=f.cohort.name, id=f.cohort.id)
            if f.cohort
            else _("all cities"),
        ),
        ("status", _("any") if f.status == "any" else f.status),
    ]


def status_words() -> dict[str, str]:
    """The status filter's values and their words, approved first (what is usually compared)."""
    order = ("approved", "submitted", "returned", "draft")
    return {status: str(STATUS_NAMES[status]) for status in order} | {"any": _("Any status")}


def filter_options(f: Filter) -> dict[str, list[tuple]]:
    """The choices of the dashboard's filter form: (value, words) per filter."""
    return {
        "questionnaires": list(instrument.titles().items()),
        # The chosen cycle is an option even without assessments, so the form shows it.
        "cycles": [
            (str(c), str(c))
            for c in sorted({*cycles(f.questionnaire), f.cycle} - {0}, reverse=True)
        ],
        "countries": countries(),
        "cohorts": [(c.id, c.name) for c in all_cohorts()],
        "statuses": list(status_words().items()),
    }


def filter_params(f: Filter) -> dict:
    """The filter as JSON-ready values, for a background job to rebuild it (`filter_from`)."""
    return {
        "questionnaire": f.questionnaire,
        "cycle": f.cycle,
        "country": f.country,
        "cohort": f.cohort.id if f.cohort else None,
        "status": f.status,
        "sort": f.sort,
        "descending": f.descending,
    }


def filter_from(params: dict) -> Filter:
    """The filter that `filter_params` wrote down; ValueError if its cohort was deleted since."""
    cohort = None
    if params.get("cohort"):
        cohort = db.session.get(Cohort, params["cohort"])
        if cohort is None:
            raise ValueError("The cohort of this selection has been deleted since.")
    return Filter(**{**params, "cohort": cohort})


def filtered(query, f: Filter):
    """The filter's conditions on a query that joins Assessment, City and Country."""
    query = query.where(Assessment.questionnaire_id == f.questionnaire, Assessment.cycle == f.cycle)
    if f.status != "any":
        query = query.where(Assessment.status == f.status)
    if f.country:
        query = query.where(Country.code == f.country)
    if f.cohort is not None:
        query = query.where(*cohort_conditions(f.cohort))
    return query


def heatmap_query(f: Filter):
    """One row per compared assessment, the six area scores as columns (one SQL statement)."""
    area_columns = [
        sa.func.max(sa.case((StoredAreaScore.area_id == area_id, StoredAreaScore.score))).label(
            area_id
        )
        for area_id in AREA_IDS
    ]
    query = (
        sa.select(
            Assessment.id,
            City.name.label("city"),
            City.slug,
            Country.name.label("country"),
            Country.code.label("country_code"),
            Assessment.questionnaire_id,
            Assessment.questionnaire_version,
            Assessment.cycle,
            Assessment.status,
            Assessment.overall_score.label("overall"),
            Assessment.completeness,
            *area_columns,
        )
        .join(City, Assessment.city_id == City.id)
        .join(Country, City.country_id == Country.id)
        .outerjoin(StoredAreaScore, StoredAreaScore.assessment_id == Assessment.id)
        .group_by(
            Assessment.id,
            City.name,
            City.slug,
            Country.name,
            Country.code,
            Assessment.questionnaire_id,
            Assessment.questionnaire_version,
            Assessment.cycle,
            Assessment.status,
            Assessment.overall_score,
            Assessment.completeness,
        )
    )
    order = {"city": City.name, "country": Country.name, "overall": Assessment.overall_score}
    key = order.get(f.sort) or sa.literal_column(f.sort)  # an area's column, from SORTS only
    key = key.desc() if f.descending else key.asc()
    # Cities without a score go last whichever way the column is sorted.
    return filtered(query, f).order_by(key.nulls_last(), City.name)


def count_query(f: Filter):
    """How many assessments the filter selects (one SQL statement)."""
    query = (
        sa.select(sa.func.count(Assessment.id))
        .join(City, Assessment.city_id == City.id)
        .join(Country, City.country_id == Country.id)
    )
    return filtered(query, f)


def count(f: Filter) -> int:
    """How many assessments the filter selects."""
    return db.session.execute(count_query(resolved(f))).scalar_one()


def heatmap(f: Filter, page: int = 1) -> list[HeatmapRow]:
    """One page of the dashboard's rows for filter `f` (its cycle resolved)."""
    query = heatmap_query(resolved(f)).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    rows = db.session.execute(query)
    return [
        HeatmapRow(
            assessment_id=r.id,
            city=r.city,
            city_slug=r.slug,
            country=r.country,
            cycle=r.cycle,
            status=r.status,
            overall=r.overall,
            completeness=r.completeness,
            scores={area_id: r._mapping[area_id] for area_id in AREA_IDS},
            version=r.questionnaire_version,
        )
        for r in rows
    ]


def spread_query(f: Filter, mix: VersionMix | None = None):
    """The scores the area statistics are made of (one SQL statement): SQL ranks the scores of
    each area and returns only the lowest, the highest, and the two around each quartile, with
    the number of scores, whatever the number of cities. An area whose questions changed
    between the versions of the selection (`mix`) counts the newest version's scores only."""
    ranked = (
        sa.select(
            StoredAreaScore.area_id,
            StoredAreaScore.score,
            (
                sa.func.row_number().over(
                    partition_by=StoredAreaScore.area_id, order_by=StoredAreaScore.score
                )
                - 1
            ).label("i"),
            sa.func.count().over(partition_by=StoredAreaScore.area_id).label("n"),
        )
        .join(Assessment, StoredAreaScore.assessment_id == Assessment.id)
        .join(City, Assessment.city_id == City.id)
        .join(Country, City.country_id == Country.id)
        .where(StoredAreaScore.score.is_not(None))
    )
    if mix is not None and mix.apart:
        # An earlier version counts in the areas that compare with the newest one only.
        ranked = ranked.where(
            sa.or_(
                Assessment.questionnaire_version.not_in(list(mix.apart)),
                *(
                    sa.and_(
                        Assessment.questionnaire_version == version,
                        StoredAreaScore.area_id.not_in(list(areas)),
                    )
                    for version, areas in mix.apart.items()
                ),
            )
        )
    ranked = filtered(ranked, f).subquery()
    # Integer division: the rank just below each quartile's position (n - 1) * k / 4.
    below = [((ranked.c.n - 1) * k) // 4 for k in (1, 2, 3)]
    wanted = [ranked.c.i == 0, ranked.c.i == ranked.c.n - 1]
    wanted += [ranked.c.i == b for b in below] + [ranked.c.i == b + 1 for b in below]
    return sa.select(ranked.c.area_id, ranked.c.i, ranked.c.n, ranked.c.score).where(
        sa.or_(*wanted)
    )


def area_statistics(f: Filter) -> dict[str, AreaStatistics | None]:
    """Per area: minimum, quartiles, median and maximum of the compared cities' scores, or None
    where fewer than MIN_COHORT cities have a score. Where the selection mixes versions whose
    questions of an area differ, that area's figures are the newest version's (version_mix)."""
    f = resolved(f)
    rows = db.session.execute(spread_query(f, version_mix(f)))
    picked: dict[str, dict[int, float]] = {area_id: {} for area_id in AREA_IDS}
    counts: dict[str, int] = dict.fromkeys(AREA_IDS, 0)
    for area_id, i, n, score in rows:
        picked[area_id][i] = score
        counts[area_id] = n
    return {area_id: _spread(picked[area_id], counts[area_id]) for area_id in AREA_IDS}


def overall_statistics(f: Filter) -> AreaStatistics | None:
    """Minimum, quartiles, median and maximum of the selected assessments' overall scores, or
    None where fewer than MIN_COHORT have one."""
    query = (
        sa.select(Assessment.overall_score)
        .join(City, Assessment.city_id == City.id)
        .join(Country, City.country_id == Country.id)
        .where(Assessment.overall_score.is_not(None))
        .order_by(Assessment.overall_score)
    )
    scores = db.session.execute(filtered(query, resolved(f))).scalars().all()
    return _spread(dict(enumerate(scores)), len(scores))


def scored_cities(f: Filter) -> int:
    """How many of the selected assessments have an overall score."""
    query = (
        sa.select(sa.func.count(Assessment.id))
        .join(City, Assessment.city_id == City.id)
        .join(Country, City.country_id == Country.id)
        .where(Assessment.overall_score.is_not(None))
    )
    return db.session.execute(filtered(query, resolved(f))).scalar_one()


def _spread(ranked: dict[int, float], n: int) -> AreaStatistics | None:
    """The statistics from the scores at the ranks SQL picked (0 = lowest)."""
    if n < MIN_COHORT:
        return None

    def quartile(k: int) -> float:
        # The "inclusive" quartiles of statistics.quantiles: interpolate at (n - 1) * k / 4.
        below, rest = divmod((n - 1) * k, 4)
        if rest == 0:
            return ranked[below]
        return ranked[below] + (ranked[below + 1] - ranked[below]) * rest / 4

    return AreaStatistics(n, ranked[0], quartile(1), quartile(2), quartile(3), ranked[n - 1])


def history(city: City, questionnaire: str) -> list[tuple[Assessment, dict[str, float | None]]]:
    """The city's assessments with `questionnaire`, oldest cycle first, with their area scores."""
    assessments = db.session.execute(
        db.select(Assessment)
        .filter_by(city_id=city.id, questionnaire_id=questionnaire)
        .order_by(Assessment.cycle)
    ).scalars()
    return [(a, {row.area_id: row.score for row in a.area_scores}) for a in assessments]


def assessments_of(slugs: list[str], f: Filter) -> dict[str, Assessment]:
    """The assessments of the cities with these `slugs` with the filter's questionnaire and
    cycle, whatever their status, by city slug (a city without one is not in it)."""
    found = db.session.execute(
        db.select(Assessment)
        .join(City, Assessment.city_id == City.id)
        .where(
            City.slug.in_(slugs),
            Assessment.questionnaire_id == f.questionnaire,
            Assessment.cycle == f.cycle,
        )
    ).scalars()
    return {a.city.slug: a for a in found}


def all_rows(f: Filter) -> Iterator[HeatmapRow]:
    """Every row of the dashboard, page after page."""
    for page in range(1, count(f) // PAGE_SIZE + 2):
        yield from heatmap(f, page)
