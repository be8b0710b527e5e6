"""`toolkit demo`: a realistic, deterministic demo network of ASEAN cities.

Running it again changes nothing: cities, users and assessments are found by their natural keys
and only what is missing is added. Every answer comes from the city's profile (its strengths and
weaknesses per area) and a random generator seeded with the city, questionnaire and question,
so the data are the same on every machine.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import click

from questionnaires import AREA_IDS, Question
from toolkit.accounts import service as accounts
from toolkit.accounts.models import User
from toolkit.assessments.answering import (
    AnswerInput,
    assign_areas,
    create_assessment,
    save_answers,
)
from toolkit.assessments.lifecycle import approve, return_to_city, submit
from toolkit.assessments.models import Assessment
from toolkit.cities.models import City, Country
from toolkit.core import instrument
from toolkit.core.audit import record
from toolkit.core.extensions import db
from toolkit.network.models import Cohort

DEMO_PASSWORD = "asus-demo-2026"

COUNTRIES = [
    ("BN", "Brunei Darussalam"),
    ("KH", "Cambodia"),
    ("ID", "Indonesia"),
    ("LA", "Lao PDR"),
    ("MY", "Malaysia"),
    ("MM", "Myanmar"),
    ("PH", "Philippines"),
    ("SG", "Singapore"),
    ("TH", "Thailand"),
    ("VN", "Viet Nam"),
]


@dataclass(frozen=True)
class DemoCity:
    slug: str
    name: str
    country: str
    population: int
    land_area_km2: float
    tags: tuple[str, ...]
    # Share of the maximum a typical answer reaches, per area, in the order of AREA_IDS:
    # civic_social, health_wellbeing, security, quality_environment, built_infra, industry.
    profile: tuple[float, float, float, float, float, float]
    # Status of the 2026 quick screening; None: the city joined in 2026 and has no 2025 cycle.
    status_2026: str
    joined_2025: bool = True
    detailed: str | None = None  # status of a 2026 detailed assessment, if any
    time_zone: str | None = None  # where it is not the main zone of its country


DEMO_COHORTS = {
    "ASEAN Smart Cities Network members": {
        "description": "Cities of the ASCN, across all member states.",
        "tags": ["ascn_member"],
    },
    "Coastal cities": {"tags": ["coastal"]},
    "Secondary cities": {"description": "Not capitals; regional centres.", "tags": ["secondary"]},
    "Cities of a million or more": {"population_min": 1_000_000},
}

CITIES = [
    DemoCity(
        "surabaya",
        "Surabaya",
        "ID",
        2_880_000,
        350.5,
        ("coastal", "ascn_member", "secondary"),
        (0.70, 0.62, 0.55, 0.66, 0.58, 0.64),
        "submitted",
        detailed="draft",
    ),
    DemoCity(
        "da-nang",
        "Da Nang",
        "VN",
        1_220_000,
        1_285.4,
        ("coastal", "ascn_member", "secondary"),
        (0.52, 0.60, 0.78, 0.42, 0.63, 0.72),
        "approved",
        detailed="submitted",
    ),
    DemoCity(
        "makassar",
        "Makassar",
        "ID",
        1_430_000,
        199.3,
        ("coastal", "ascn_member", "secondary"),
        (0.55, 0.48, 0.45, 0.38, 0.44, 0.50),
        "draft",
        time_zone="Asia/Makassar",
    ),
    DemoCity(
        "iloilo-city",
        "Iloilo City",
        "PH",
        457_600,
        78.3,
        ("coastal", "secondary"),
        (0.66, 0.57, 0.70, 0.52, 0.47, 0.55),
        "returned",
    ),
    DemoCity(
        "davao-city",
        "Davao City",
        "PH",
        1_780_000,
        2_443.6,
        ("coastal", "ascn_member", "secondary"),
        (0.58, 0.55, 0.74, 0.50, 0.52, 0.60),
        "approved",
        detailed="draft",
    ),
    DemoCity(
        "chiang-mai",
        "Chiang Mai",
        "TH",
        127_000,
        40.2,
        ("ascn_member", "secondary"),
        (0.57, 0.68, 0.50, 0.44, 0.48, 0.70),
        "approved",
    ),
    DemoCity(
        "kuching",
        "Kuching",
        "MY",
        570_000,
        431.0,
        ("riverine", "ascn_member", "secondary"),
        (0.60, 0.66, 0.58, 0.63, 0.61, 0.57),
        "approved",
    ),
    DemoCity(
        "battambang",
        "Battambang",
        "KH",
        196_700,
        115.4,
        ("riverine", "ascn_member", "secondary"),
        (0.40, 0.35, 0.33, 0.30, 0.28, 0.38),
        "draft",
        joined_2025=False,
    ),
    DemoCity(
        "luang-prabang",
        "Luang Prabang",
        "LA",
        56_000,
        32.0,
        ("riverine", "ascn_member"),
        (0.55, 0.40, 0.36, 0.50, 0.33, 0.45),
        "draft",
    ),
    DemoCity(
        "vientiane",
        "Vientiane",
        "LA",
        948_000,
        3_920.0,
        ("capital", "riverine", "ascn_member"),
        (0.45, 0.47, 0.42, 0.36, 0.40, 0.43),
        "returned",
        joined_2025=False,
    ),
    DemoCity(
        "mandalay",
        "Mandalay",
        "MM",
        1_230_000,
        163.8,
        ("riverine", "ascn_member", "secondary"),
        (0.38, 0.42, 0.35, 0.32, 0.37, 0.40),
        "draft",
    ),
    DemoCity(
        "bandar-seri-begawan",
        "Bandar Seri Begawan",
        "BN",
        100_700,
        100.4,
        ("capital", "coastal", "ascn_member"),
        (0.62, 0.80, 0.72, 0.60, 0.70, 0.58),
        "approved",
    ),
    DemoCity(
        "singapore",
        "Singapore",
        "SG",
        5_920_000,
        734.3,
        ("capital", "coastal", "island", "ascn_member"),
        (0.80, 0.88, 0.86, 0.78, 0.90, 0.92),
        "approved",
        detailed="approved",
    ),
]

# 2025 answers are a little weaker than 2026: cities improve between cycles.
CYCLE_SHIFT = {2025: -0.08, 2026: 0.0}
# How much of a draft is filled in, by city (drafts are work in progress).
DRAFT_SHARE = 0.6


@click.command("demo")
def demo_command():
    """Load the demo network: ten member states, 13 cities, users and assessments."""
    summary = load_demo()
    db.session.commit()
    click.echo(
        f"Demo network ready: {summary['cities']} cities, {summary['users']} users, "
        f"{summary['assessments']} assessments ({summary['created']} added now)."
    )
    click.echo(f"Sign in with any of these (password: {DEMO_PASSWORD}):")
    for email, role, city in demo_logins():
        click.echo(f"  {email:<38} {role:<12} {city}")


def demo_logins() -> list[tuple[str, str, str]]:
    """(email, role, city) of every demo user, in a stable order."""
    logins = [("admin@example.org", "admin", ""), ("network@example.org", "network", "")]
    for c in CITIES:
        logins.append((f"lead.{c.slug}@example.org", "city_lead", c.name))
        logins.append((f"editor.{c.slug}@example.org", "city_editor", c.name))
    return logins


def load_demo() -> dict:
    """Create whatever part of the demo network is missing; return counts."""
    countries = {code: _country(code, name) for code, name in COUNTRIES}
    quick, detailed = instrument.latest("asus-quick"), instrument.latest("asus-detailed")
    users, created = 0, 0
    admin = _user("admin@example.org", "Amara Admin", "admin", None)
    _user("network@example.org", "Nguyen Network", "network", None)
    users += 2
    for spec in CITIES:
        city = _city(spec, countries[spec.country])
        lead = _user(f"lead.{spec.slug}@example.org", f"{spec.name} City Lead", "city_lead", city)
        editor = _user(
            f"editor.{spec.slug}@example.org", f"{spec.name} Editor", "city_editor", city
        )
        users += 2
        plan = [(quick, 2026, spec.status_2026)]
        if spec.joined_2025:
            plan.insert(0, (quick, 2025, "approved"))
        if spec.detailed:
            plan.append((detailed, 2026, spec.detailed))
        for questionnaire, cycle, status in plan:
            if _assessment(city, questionnaire.id, cycle) is None:
                _make_assessment(spec, city, questionnaire, cycle, status, lead, editor, admin)
                created += 1
    for name, facts in DEMO_COHORTS.items():
        if db.session.execute(db.select(Cohort).filter_by(name=name)).scalar_one_or_none() is None:
            db.session.add(Cohort(name=name, created_by_id=admin.id, **facts))
    total = db.session.execute(db.select(db.func.count(Assessment.id))).scalar_one()
    return {"cities": len(CITIES), "users": users, "assessments": total, "created": created}


def _country(code: str, name: str) -> Country:
    country = db.session.execute(db.select(Country).filter_by(code=code)).scalar_one_or_none()
    if country is None:
        country = Country(code=code, name=name)
        db.session.add(country)
    return country


def _city(spec: DemoCity, country: Country) -> City:
    city = db.session.execute(db.select(City).filter_by(slug=spec.slug)).scalar_one_or_none()
    if city is None:
        city = City(
            slug=spec.slug,
            name=spec.name,
            country=country,
            population=spec.population,
            land_area_km2=spec.land_area_km2,
            tags=list(spec.tags),
            time_zone=spec.time_zone,
        )
        db.session.add(city)
        db.session.flush()
    return city


def _user(email: str, name: str, role: str, city: City | None) -> User:
    return accounts.find_user(email) or accounts.create_user(
        email, name, role, city, None, DEMO_PASSWORD
    )


def _assessment(city: City, questionnaire_id: str, cycle: int) -> Assessment | None:
    return db.session.execute(
        db.select(Assessment).filter_by(
            city_id=city.id, questionnaire_id=questionnaire_id, cycle=cycle
        )
    ).scalar_one_or_none()


def _make_assessment(spec, city, questionnaire, cycle, status, lead, editor, reviewer):
    rng = random.Random(f"{spec.slug}/{questionnaire.id}/{cycle}")
    start = datetime(cycle, 2, 3, 9, 0)
    # Drafts start from last cycle's answers where there is one, as cities usually do: what the
    # editors have not touched yet stays "carried over" for someone to confirm.
    earlier = _assessment(city, questionnaire.id, cycle - 1) if status == "draft" else None
    assessment = create_assessment(
        city, questionnaire, cycle, lead, carry_over_from=earlier, at=start
    )
    share = DRAFT_SHARE + rng.uniform(-0.2, 0.3) if status == "draft" else 1.0
    given = {}
    for question in questionnaire.questions():
        if not question.scored or rng.random() > share:
            continue
        strength = spec.profile[AREA_IDS.index(question.area_id)] + CYCLE_SHIFT[cycle]
        if question.allow_na and rng.random() < 0.15:
            given[question.id] = AnswerInput(
                not_applicable=True, reason="Not relevant here: the city has no such service."
            )
        else:
            value = answer_for(question, strength + rng.gauss(0, 0.18), rng)
            given[question.id] = AnswerInput(value=value)
    by = editor if rng.random() < 0.7 else lead
    save_answers(assessment, given, by, at=start + timedelta(days=21))
    if status == "draft":
        half = len(AREA_IDS) // 2
        people = {area_id: {editor.id} for area_id in AREA_IDS[:half]}
        people.update({area_id: {lead.id} for area_id in AREA_IDS[half:]})
        assign_areas(assessment, people, lead)
    else:
        submit(assessment, lead, at=start + timedelta(days=40))
    reviewed = start + timedelta(days=55)
    if status == "approved":
        approve(assessment, reviewer, None, at=reviewed)
    elif status == "returned":
        comment = (
            "Please attach the adopted disaster risk reduction plan and check the waste "
            "collection figure against the 2025 environment report."
        )
        return_to_city(assessment, reviewer, comment, {}, at=reviewed)
    record("demo_assessment_loaded", assessment, user=None, status=status)


def answer_for(question: Question, fraction: float, rng: random.Random):
    """An answer worth about `fraction` (0-1) of the question's maximum."""
    fraction = min(max(fraction, 0.0), 1.0)
    if question.type == "level":
        return round(fraction * question.max_points)
    if question.type == "yes_no":
        return "yes" if fraction >= 0.5 else "no"
    if question.type == "choice":
        return min(
            question.choices,
            key=lambda c: abs(c.points / question.max_points - fraction),
        ).id
    if question.type == "multi_choice":
        picked, points = [], 0.0
        for choice in rng.sample(question.choices, len(question.choices)):
            if points >= fraction * question.max_points:
                break
            picked.append(choice.id)
            points += choice.points
        # "None of these" is ticked alone: for nothing else, or not at all.
        alone = [c.id for c in question.choices if c.exclusive]
        if len(picked) > 1:
            picked = [i for i in picked if i not in alone]
        return picked or alone[:1]
    return _number_for(question, round(fraction * question.max_points), rng)


def _number_for(question: Question, level: int, rng: random.Random) -> float:
    """A value of a number indicator that falls in band `level` (0: below every band)."""
    thresholds = dict(question.bands)
    higher = question.direction == "higher_is_better"
    if level == 0:
        first = thresholds[1]
        value = first * 0.7 if higher else first * 1.3 + 1
    else:
        value = thresholds[level]
        if level + 1 in thresholds:
            gap = thresholds[level + 1] - value
            value += gap * rng.uniform(0, 0.8)
    if question.minimum is not None:
        value = max(value, question.minimum)
    if question.maximum is not None:
        value = min(value, question.maximum)
    return round(value, 1)
