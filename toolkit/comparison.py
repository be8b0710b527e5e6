"""Comparing cities over their stored area scores, in SQL: the dashboard's heatmap, cohort
statistics, and the rows of exports. Nothing here reads answers."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import dataclass, replace

import sqlalchemy as sa

from questionnaires import AREA_IDS

from . import instrument
from .extensions import db
from .models import STATUSES, Answer, AreaScore, Assessment, City, Cohort, Country

MIN_COHORT = 5  # fewer cities than this, and no statistics: a single city could be inferred
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


def heatmap(f: Filter) -> list[HeatmapRow]:
    """The dashboard's rows for filter `f` (its cycle resolved)."""
    rows = db.session.execute(heatmap_query(resolved(f)))
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


def area_statistics(f: Filter) -> dict[str, AreaStatistics | None]:
    """Per area: minimum, quartiles, median and maximum of the compared cities' scores, or None
    where fewer than MIN_COHORT cities have a score. The scores come sorted from SQL."""
    f = resolved(f)
    query = (
        sa.select(AreaScore.area_id, AreaScore.score)
        .join(Assessment, AreaScore.assessment_id == Assessment.id)
        .join(City, Assessment.city_id == City.id)
        .join(Country, City.country_id == Country.id)
        .where(AreaScore.score.is_not(None))
        .order_by(AreaScore.area_id, AreaScore.score)
    )
    scores: dict[str, list[float]] = {area_id: [] for area_id in AREA_IDS}
    for area_id, score in db.session.execute(_where(query, f)):
        scores[area_id].append(score)
    return {area_id: _spread(values) for area_id, values in scores.items()}


def _spread(values: list[float]) -> AreaStatistics | None:
    if len(values) < MIN_COHORT:
        return None
    lower, median, upper = statistics.quantiles(values, n=4, method="inclusive")
    return AreaStatistics(len(values), values[0], lower, median, upper, values[-1])


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


def export_rows(f: Filter) -> Iterator:
    """The heatmap rows for an export, fetched in batches so memory stays flat."""
    result = db.session.execute(
        heatmap_query(resolved(f)).execution_options(yield_per=500, stream_results=True)
    )
    yield from result
