"""Comparing cities over their stored area scores, in SQL: the dashboard's heatmap, cohort
statistics, and the rows of exports. Nothing here reads answers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import sqlalchemy as sa

from questionnaires import AREA_IDS

from . import instrument
from .extensions import db
from .models import STATUSES, Answer, AreaScore, Assessment, City, Cohort, Country

MIN_COHORT = 5  # fewer cities than this, and no statistics: a single city could be inferred
PAGE_SIZE = 100
SORTS = ("city", "country", "overall", *AREA_IDS)


@dataclass(frozen=True)
class Filter:
    """Which assessments to compare. `cycle` None means the latest cycle that has any."""

    questionnaire: str = "asus-quick"
    cycle: int | None = None
    country: str = ""
    cohort: Cohort | None = None
    status: str = "approved"  # one of STATUSES, or "any"
    sort: str = "city"
    descending: bool = False

    def __post_init__(self):
        if self.status not in (*STATUSES, "any"):
            raise ValueError(f"status must be one of {', '.join(STATUSES)} or any")
        if self.sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}")


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


@dataclass(frozen=True)
class AreaStatistics:
    """The spread of one area's scores over the compared cities."""

    cities: int
    minimum: float
    lower_quartile: float
    median: float
    upper_quartile: float
    maximum: float


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


def resolved(f: Filter) -> Filter:
    """The filter with its cycle filled in (the latest one) when it was left open."""
    if f.cycle is not None:
        return f
    latest = cycles(f.questionnaire)
    return replace(f, cycle=latest[0] if latest else 0)


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


def _where(query, f: Filter):
    """The filter's conditions on a query that joins Assessment, City and Country."""
    query = query.where(Assessment.questionnaire_id == f.questionnaire, Assessment.cycle == f.cycle)
    if f.status != "any":
        query = query.where(Assessment.status == f.status)
    if f.country:
        query = query.where(Country.code == f.country)
    if f.cohort is not None:
        query = query.where(*cohort_conditions(f.cohort))
    return query


def cohort_conditions(cohort: Cohort) -> list:
    """SQL conditions on City and Country that say whether a city belongs to `cohort`."""
    conditions = [City.active.is_(True)]
    if cohort.countries:
        conditions.append(Country.code.in_(cohort.countries))
    if cohort.population_min is not None:
        conditions.append(City.population >= cohort.population_min)
    if cohort.population_max is not None:
        conditions.append(City.population <= cohort.population_max)
    for tag in cohort.tags:
        # Tags are simple words stored as a JSON list: its text holds "tag" with its quotes.
        conditions.append(sa.cast(City.tags, sa.Text).like(f'%"{tag}"%'))
    return conditions


def heatmap_query(f: Filter):
    """One row per compared assessment, the six area scores as columns (one SQL statement)."""
    area_columns = [
        sa.func.max(sa.case((AreaScore.area_id == area_id, AreaScore.score))).label(area_id)
        for area_id in AREA_IDS
    ]
    query = (
        sa.select(
            Assessment.id,
            City.name.label("city"),
            City.slug,
            Country.name.label("country"),
            Assessment.cycle,
            Assessment.status,
            Assessment.overall_score.label("overall"),
            Assessment.completeness,
            *area_columns,
        )
        .join(City, Assessment.city_id == City.id)
        .join(Country, City.country_id == Country.id)
        .outerjoin(AreaScore, AreaScore.assessment_id == Assessment.id)
        .group_by(
            Assessment.id,
            City.name,
            City.slug,
            Country.name,
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
    return _where(query, f).order_by(key.nulls_last(), City.name)


def count_query(f: Filter):
    """How many assessments the filter selects (one SQL statement)."""
    query = (
        sa.select(sa.func.count(Assessment.id))
        .join(City, Assessment.city_id == City.id)
        .join(Country, City.country_id == Country.id)
    )
    return _where(query, f)


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
        )
        for r in rows
    ]


def spread_query(f: Filter):
    """The scores the area statistics are made of (one SQL statement): SQL ranks the scores of
    each area and returns only the lowest, the highest, and the two around each quartile, with
    the number of scores, whatever the number of cities."""
    ranked = (
        sa.select(
            AreaScore.area_id,
            AreaScore.score,
            (
                sa.func.row_number().over(partition_by=AreaScore.area_id, order_by=AreaScore.score)
                - 1
            ).label("i"),
            sa.func.count().over(partition_by=AreaScore.area_id).label("n"),
        )
        .join(Assessment, AreaScore.assessment_id == Assessment.id)
        .join(City, Assessment.city_id == City.id)
        .join(Country, City.country_id == Country.id)
        .where(AreaScore.score.is_not(None))
    )
    ranked = _where(ranked, f).subquery()
    # Integer division: the rank just below each quartile's position (n - 1) * k / 4.
    below = [((ranked.c.n - 1) * k) // 4 for k in (1, 2, 3)]
    wanted = [ranked.c.i == 0, ranked.c.i == ranked.c.n - 1]
    wanted += [ranked.c.i == b for b in below] + [ranked.c.i == b + 1 for b in below]
    return sa.select(ranked.c.area_id, ranked.c.i, ranked.c.n, ranked.c.score).where(
        sa.or_(*wanted)
    )


def area_statistics(f: Filter) -> dict[str, AreaStatistics | None]:
    """Per area: minimum, quartiles, median and maximum of the compared cities' scores, or None
    where fewer than MIN_COHORT cities have a score."""
    rows = db.session.execute(spread_query(resolved(f)))
    picked: dict[str, dict[int, float]] = {area_id: {} for area_id in AREA_IDS}
    counts: dict[str, int] = dict.fromkeys(AREA_IDS, 0)
    for area_id, i, n, score in rows:
        picked[area_id][i] = score
        counts[area_id] = n
    return {area_id: _spread(picked[area_id], counts[area_id]) for area_id in AREA_IDS}


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


def cohorts_of(city: City) -> list[Cohort]:
    """The cohorts `city` belongs to now, by name."""
    in_cohort = []
    for cohort in db.session.execute(db.select(Cohort).order_by(Cohort.name)).scalars():
        query = (
            sa.select(City.id)
            .join(Country, City.country_id == Country.id)
            .where(City.id == city.id, *cohort_conditions(cohort))
        )
        if db.session.execute(query).first():
            in_cohort.append(cohort)
    return in_cohort


def history(city: City, questionnaire: str) -> list[tuple[Assessment, dict[str, float | None]]]:
    """The city's assessments with `questionnaire`, oldest cycle first, with their area scores."""
    assessments = db.session.execute(
        db.select(Assessment)
        .filter_by(city_id=city.id, questionnaire_id=questionnaire)
        .order_by(Assessment.cycle)
    ).scalars()
    return [(a, {row.area_id: row.score for row in a.area_scores}) for a in assessments]


def cohort_members(cohort: Cohort) -> list[City]:
    """The cities that belong to `cohort` now, by name."""
    return list(
        db.session.execute(
            db.select(City)
            .join(Country, City.country_id == Country.id)
            .where(*cohort_conditions(cohort))
            .order_by(City.name)
        ).scalars()
    )


AREA_SCORE_COLUMNS = ["city", "country", "cycle", "status", "overall", "completeness", *AREA_IDS]

# What each exported column means, for the README sheet of the XLSX files.
COLUMN_HELP = {
    "city": "The city's name.",
    "country": "The ASEAN member state of the city.",
    "cycle": "The year of the assessment cycle.",
    "status": "draft, submitted, returned or approved (by the network).",
    "overall": "Overall score, 0 to 100: the weighted mean of the scored areas.",
    "completeness": "Share (0 to 1) of the questions that apply which are answered.",
    **{
        area_id: f"Score of the area {area_id}, 0 to 100 (empty: no score)." for area_id in AREA_IDS
    },
    "questionnaire": "The questionnaire's id (asus-quick or asus-detailed).",
    "version": "The questionnaire's version the assessment was made with.",
    "area": "The ASUS core area of the question.",
    "sub_area": "The sub-area of the question.",
    "question_id": "The question's stable id.",
    "question": "The question's text.",
    "value": "The answer: a level, a number in the question's unit, yes/no or choice ids.",
    "score_fraction": "The answer's points divided by the question's maximum, 0 to 1.",
    "not_applicable": "yes when the city marked the question not applicable.",
    "reason": "Why the question does not apply, in the city's words.",
    "comment": "The city's comment on its answer.",
}

ANSWER_COLUMNS = [
    "city",
    "country",
    "cycle",
    "questionnaire",
    "version",
    "area",
    "sub_area",
    "question_id",
    "question",
    "value",
    "score_fraction",
    "not_applicable",
    "reason",
    "comment",
]


def answer_rows(f: Filter) -> Iterator[list]:
    """The answers of the compared assessments in long format (ANSWER_COLUMNS), read from the
    database in batches: memory stays flat whatever the number of rows."""
    query = (
        sa.select(
            City.name,
            Country.name,
            Assessment.cycle,
            Assessment.questionnaire_id,
            Assessment.questionnaire_version,
            Answer.question_id,
            Answer.value,
            Answer.not_applicable,
            Answer.not_applicable_reason,
            Answer.comment,
        )
        .join(Assessment, Answer.assessment_id == Assessment.id)
        .join(City, Assessment.city_id == City.id)
        .join(Country, City.country_id == Country.id)
        .order_by(City.name, Assessment.id, Answer.question_id)
    )
    result = db.session.execute(
        _where(query, resolved(f)).execution_options(yield_per=1000, stream_results=True)
    )
    for city, country, cycle, qid, version, question_id, value, na, reason, comment in result:
        questionnaire = instrument.questionnaire(qid, version)
        question = questionnaire.find(question_id)
        if question is None:
            continue  # an answer to a question this version no longer has
        fraction = ""
        if not na and value is not None and question.scored:
            fraction = f"{question.points(question.parse_answer(value)) / question.max_points:.4f}"
        yield [
            city,
            country,
            cycle,
            qid,
            version,
            str(questionnaire.area(question.area_id).name),
            str(questionnaire.find(question.sub_area_id).name),
            question_id,
            str(question.text),
            "; ".join(map(str, value)) if isinstance(value, list) else value,
            fraction,
            "yes" if na else "no",
            reason or "",
            comment or "",
        ]


def all_rows(f: Filter) -> Iterator[HeatmapRow]:
    """Every row of the dashboard, page after page."""
    for page in range(1, count(f) // PAGE_SIZE + 2):
        yield from heatmap(f, page)


def export_rows(f: Filter) -> Iterator:
    """The heatmap rows for an export, fetched in batches so memory stays flat."""
    result = db.session.execute(
        heatmap_query(resolved(f)).execution_options(yield_per=500, stream_results=True)
    )
    yield from result
