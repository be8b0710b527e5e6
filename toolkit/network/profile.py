"""What the network's city pages show: one city against its cohort (the city profile), and up
to five cities side by side. The numbers come from `comparison`; here they become the pages'
figures and radars."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from flask_babel import gettext as _
from markupsafe import Markup

from questionnaires import Scorecard
from reports import CohortFacts, Spread
from reports.charts import area_radar
from toolkit.assessments.models import Assessment
from toolkit.assessments.scores import scorecard
from toolkit.cities.models import City
from toolkit.core import instrument
from toolkit.network import comparison
from toolkit.network.cohorts import cohorts_of
from toolkit.network.models import Cohort

COMPARE_AT_MOST = 5
# The compared cities' lines, in the order of the cities asked for.
LINE_STYLES = ("primary", "comparison", "second", "third", "fourth")


@dataclass(frozen=True)
class CityProfile:
    """A city with one questionnaire, against one of its cohorts in the latest cycle."""

    cycles: list[tuple[Assessment, dict[str, float | None]]]  # oldest first, with area scores
    latest: Assessment | None
    scores: dict[str, float | None]  # the latest cycle's, by area id
    cohorts: list[Cohort]  # those the city belongs to now
    cohort: Cohort | None  # the one it is compared with
    spread: dict[str, comparison.AreaStatistics | None]
    chart: Markup | None
    differences: list[tuple[float, str]]  # (points above the median, area id), highest first
    # Per assessment of `cycles`, the areas that do not compare with the cycle before (another
    # version of the questionnaire), with the words that say so.
    breaks: dict[int, dict[str, str]]
    # The areas in which the city's latest cycle does not compare with the cohort's figures.
    apart: dict[str, str]


@dataclass(frozen=True)
class SideBySide:
    """Cities compared in one questionnaire and cycle."""

    compared: list[tuple[Assessment, Scorecard]]  # in the order asked for
    missing: list[str]  # the slugs of cities without such an assessment
    chart: Markup | None


def city_profile(
    city: City, questionnaire: str, chosen: Cohort | None, network_view: bool
) -> CityProfile:
    """The profile of `city` with `questionnaire` against the cohort `chosen` (or, when the city
    is not, or no longer, in it, the first cohort it is in). With `network_view` the radar also
    shows the cohort's middle half; without, only its median (city people)."""
    cycles = comparison.history(city, questionnaire)
    cohorts = cohorts_of(city)
    cohort = chosen if chosen in cohorts else (cohorts[0] if cohorts else None)
    latest, scores = cycles[-1] if cycles else (None, {})
    spread, apart = {}, {}
    if latest is not None and cohort is not None:
        spread, apart = cohort_figures(cohort, latest)
    chart = None
    differences = []
    if latest is not None:
        names = instrument.area_names()
        band = None
        if network_view and all(spread.get(a) for a in names):
            band = (
                _("Middle half of the cohort"),
                {a: spread[a].lower_quartile for a in names},
                {a: spread[a].upper_quartile for a in names},
            )
        medians = {a: spread[a].median for a in names if spread.get(a) and a not in apart}
        lines = [(_("Cohort median"), medians, "comparison")] if medians else []
        lines.append((f"{city.name} {latest.cycle}", scores, "primary"))
        chart = area_radar(
            names,
            lines,
            band=band,
            title=_("%(city)s against its cohort, 0 to 100", city=city.name),
            description=_("The same numbers are in the table below."),
            no_score=_("no score"),
        )
        differences = sorted(
            (
                (scores[a] - spread[a].median, a)
                for a in names
                if scores.get(a) is not None and spread.get(a) and a not in apart
            ),
            reverse=True,
        )
    return CityProfile(
        cycles, latest, scores, cohorts, cohort, spread, chart, differences, _breaks(cycles), apart
    )


def cohort_figures(
    cohort: Cohort, assessment: Assessment
) -> tuple[dict[str, comparison.AreaStatistics | None], dict[str, str]]:
    """The figures of `cohort` (its approved assessments of the questionnaire and cycle of
    `assessment`) per area, and the areas in which `assessment`'s version does not compare
    with them, with the words that say so. The city profile and the city's report use both."""
    f = comparison.Filter(
        questionnaire=assessment.questionnaire_id, cycle=assessment.cycle, cohort=cohort
    )
    mix = comparison.version_mix(f)
    apart = mix.apart.get(assessment.questionnaire_version, {}) if mix is not None else {}
    return comparison.area_statistics(f), apart


def report_cohort(assessment: Assessment) -> CohortFacts | None:
    """The cohort the report of `assessment` compares the city with: the first of the city's
    cohorts by name with at least MIN_COHORT scored cities, else the one with the most (its
    figures then withheld); None when the city is in no cohort."""
    counted = []
    for cohort in cohorts_of(assessment.city):
        f = comparison.Filter(
            questionnaire=assessment.questionnaire_id, cycle=assessment.cycle, cohort=cohort
        )
        counted.append((comparison.scored_cities(f), cohort, f))
        if counted[-1][0] >= comparison.MIN_COHORT:
            break
    if not counted:
        return None
    cities, cohort, f = max(counted, key=lambda found: found[0])
    spread, apart = cohort_figures(cohort, assessment)
    overall = comparison.overall_statistics(f)

    def middle(statistics: comparison.AreaStatistics | None) -> Spread | None:
        if statistics is None:
            return None
        return Spread(statistics.lower_quartile, statistics.median, statistics.upper_quartile)

    return CohortFacts(
        name=cohort.name,
        cities=cities,
        minimum=comparison.MIN_COHORT,
        areas={a: None if a in apart else middle(s) for a, s in spread.items()},
        overall=None if apart else middle(overall),
    )


def _breaks(cycles) -> dict[int, dict[str, str]]:
    """Where the trend changes version: per assessment, the areas that do not compare with the
    cycle before it, and why."""
    breaks = {}
    for (before, _scores), (after, _later) in pairwise(cycles):
        if before.questionnaire_version == after.questionnaire_version:
            continue
        link = instrument.bridge_between(
            before.questionnaire_version, after.questionnaire_version, after.questionnaire_id
        )
        if link is None:
            continue
        notes = {
            a: instrument.comparison_note(link, a, against=before.questionnaire_version)
            for a in link.areas
        }
        breaks[after.id] = {a: note for a, note in notes.items() if note is not None}
    return breaks


def side_by_side(slugs: list[str], f: comparison.Filter) -> SideBySide:
    """The cities `slugs` (at most COMPARE_AT_MOST) with the questionnaire and cycle of `f`,
    whatever the status: their scorecards, and their radars over each other."""
    by_slug = comparison.assessments_of(slugs, f)
    compared = [(by_slug[slug], scorecard(by_slug[slug])) for slug in slugs if slug in by_slug]
    missing = [slug for slug in slugs if slug not in by_slug]
    chart = None
    if compared:
        names = instrument.area_names()
        chart = area_radar(
            names,
            [
                (a.city.name, {area_id: card.area(area_id).score for area_id in names}, style)
                for (a, card), style in zip(compared, LINE_STYLES, strict=False)
            ],
            title=_("Area scores of the compared cities, 0 to 100"),
            description=_("The same numbers are in the table below."),
            no_score=_("no score"),
        )
    return SideBySide(compared, missing, chart)
