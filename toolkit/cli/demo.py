"""`toolkit demo`: a realistic, deterministic demo network of ASEAN cities.

The network itself (countries, cities and their profiles, staff, cohorts) is in demo.yaml beside
this module; this module checks it and turns it into rows. Running it again changes nothing:
cities, users and assessments are found by their natural keys and only what is missing is
added. Every answer comes from the city's profile (its strengths and weaknesses per area) and a
random generator seeded with the city, questionnaire and question, so the data are the same on
every machine.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import click
import yaml

from questionnaires import AREA_IDS, Question
from toolkit.accounts import service as accounts
from toolkit.accounts.models import CITY_ROLES, ROLES, User
from toolkit.actions.models import ACTION_STATUSES, Action, ActionNote
from toolkit.assessments.answering import (
    AnswerInput,
    assign_areas,
    create_assessment,
    save_answers,
)
from toolkit.assessments.lifecycle import approve, return_to_city, submit
from toolkit.assessments.models import STATUSES, Assessment
from toolkit.cities.models import City, Country
from toolkit.core import instrument
from toolkit.core.audit import record
from toolkit.core.extensions import db
from toolkit.network.models import Cohort

DATA_FILE = Path(__file__).with_name("demo.yaml")
NINE_AM = timedelta(hours=9)


@dataclass(frozen=True)
class Person:
    """One of the network's own people in the demo."""

    email: str
    name: str


@dataclass(frozen=True)
class DemoCity:
    """A demo city: its facts, its profile and the assessments it has."""

    slug: str
    name: str
    country: str
    population: int
    land_area_km2: float
    tags: tuple[str, ...]
    # Area id -> share of the maximum a typical answer reaches.
    profile: dict[str, float]
    # Questionnaire id -> {cycle: (status, questionnaire version)}, cycles in ascending order.
    assessments: dict[str, dict[int, tuple[str, str]]]
    time_zone: str | None  # where it is not the main zone of its country


@dataclass(frozen=True)
class DemoData:
    """Everything demo.yaml holds, checked."""

    password: str
    staff: dict[str, Person]  # role -> person; the admin reviews
    countries: dict[str, str]  # code -> name
    cohorts: dict[str, dict]  # name -> the Cohort's other columns
    cycle_shift: dict[int, float]  # added to every profile, per cycle
    versions: dict[int, str]  # the questionnaire version a cycle uses, unless a city says
    draft_share: float  # about how much of a draft is filled in
    not_applicable_reason: str
    # The source of a number's data, with {city} and {year} (the year the data describe).
    data_source: str
    return_comment: str
    cities: list[DemoCity]
    # Actions of the cities' plans: the Action's columns, with city (slug), cycle and note.
    actions: list[dict]


class DemoDataError(Exception):
    """The demo data file cannot be used; the message names the file and the key."""


@cache
def demo_data() -> DemoData:
    """The demo network of DATA_FILE, read and checked once per process."""
    return read_demo_data(DATA_FILE)


@click.command("demo")
def demo_command():
    """Load the demo network: ASEAN cities, their users and assessments."""
    try:
        summary = load_demo()
    except DemoDataError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(
        f"Demo network ready: {summary['cities']} cities, {summary['users']} users, "
        f"{summary['assessments']} assessments ({summary['created']} added now)."
    )
    click.echo(f"Sign in with any of these (password: {demo_data().password}):")
    for email, role, city in demo_logins():
        click.echo(f"  {email:<38} {role:<12} {city}")


def demo_logins() -> list[tuple[str, str, str]]:
    """(email, role, city) of every demo user, in a stable order."""
    data = demo_data()
    logins = [(person.email, role, "") for role, person in data.staff.items()]
    for c in data.cities:
        logins.append((f"lead.{c.slug}@example.org", "city_lead", c.name))
        logins.append((f"editor.{c.slug}@example.org", "city_editor", c.name))
    return logins


def load_demo() -> dict:
    """Create whatever part of the demo network is missing; return counts."""
    data = demo_data()
    countries = {code: _country(code, name) for code, name in data.countries.items()}
    staff = {
        role: _user(person.email, person.name, role, None, data.password)
        for role, person in data.staff.items()
    }
    admin = staff["admin"]
    users, created = len(staff), 0
    for spec in data.cities:
        city = _city(spec, countries[spec.country])
        lead = _user(
            f"lead.{spec.slug}@example.org",
            f"{spec.name} City Lead",
            "city_lead",
            city,
            data.password,
        )
        editor = _user(
            f"editor.{spec.slug}@example.org",
            f"{spec.name} Editor",
            "city_editor",
            city,
            data.password,
        )
        users += 2
        for questionnaire_id, cycles in spec.assessments.items():
            for cycle, (status, version) in cycles.items():
                questionnaire = instrument.questionnaire(questionnaire_id, version)
                if _assessment(city, questionnaire.id, cycle) is None:
                    _make_assessment(
                        data, spec, city, questionnaire, cycle, status, lead, editor, admin
                    )
                    created += 1
    for spec in data.actions:
        _action(spec, staff["admin"])
    for name, facts in data.cohorts.items():
        if db.session.execute(db.select(Cohort).filter_by(name=name)).scalar_one_or_none() is None:
            db.session.add(Cohort(name=name, created_by_id=admin.id, **facts))
    total = db.session.execute(db.select(db.func.count(Assessment.id))).scalar_one()
    return {"cities": len(data.cities), "users": users, "assessments": total, "created": created}


def _action(spec: dict, by: User) -> None:
    """The demo action of `spec`, unless its city has one of that title already."""
    city = db.session.execute(db.select(City).filter_by(slug=spec["city"])).scalar_one()
    facts = {k: v for k, v in spec.items() if k not in ("city", "cycle", "note")}
    found = db.session.execute(
        db.select(Action).filter_by(city_id=city.id, title=facts["title"])
    ).scalar_one_or_none()
    assessment = _assessment(city, "asus-quick", spec["cycle"])
    if found is not None or assessment is None:
        return
    if facts.get("question"):
        facts["question_id"] = facts.pop("question")
        facts["area_id"] = instrument.latest("asus-quick").find(facts["question_id"]).area_id
    elif facts.get("area"):
        facts["area_id"] = facts.pop("area")
    facts.setdefault("budget_currency", "IDR" if facts.get("budget_amount") else None)
    action = Action(city_id=city.id, assessment=assessment, created_by_id=by.id, **facts)
    db.session.add(action)
    # Written on the day it was closed (or started), as the city would have.
    at = datetime.combine(action.closed_on or action.start_on, datetime.min.time()) + NINE_AM
    if spec.get("note"):
        db.session.add(
            ActionNote(action=action, text=spec["note"], written_by_id=by.id, written_at=at)
        )
    if action.status != "planned":
        db.session.add(
            ActionNote(
                action=action, text="", status=action.status, written_by_id=by.id, written_at=at
            )
        )
    db.session.flush()


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


def _user(email: str, name: str, role: str, city: City | None, password: str) -> User:
    return accounts.find_user(email) or accounts.create_user(
        email, name, role, city, None, password
    )


def _assessment(city: City, questionnaire_id: str, cycle: int) -> Assessment | None:
    return db.session.execute(
        db.select(Assessment).filter_by(
            city_id=city.id, questionnaire_id=questionnaire_id, cycle=cycle
        )
    ).scalar_one_or_none()


def _make_assessment(data, spec, city, questionnaire, cycle, status, lead, editor, reviewer):
    rng = random.Random(f"{spec.slug}/{questionnaire.id}/{cycle}")
    start = datetime(cycle, 2, 3, 9, 0)
    # Drafts start from last cycle's answers where there is one, as cities usually do: what the
    # editors have not touched yet stays "carried over" for someone to confirm.
    earlier = _assessment(city, questionnaire.id, cycle - 1) if status == "draft" else None
    assessment = create_assessment(
        city, questionnaire, cycle, lead, carry_over_from=earlier, at=start
    )
    share = data.draft_share + rng.uniform(-0.2, 0.3) if status == "draft" else 1.0
    # A stream of its own, so that the answers are those of the demo before figures had years.
    facts_rng = random.Random(f"{spec.slug}/{questionnaire.id}/{cycle}/data")
    given = {}
    for question in questionnaire.questions():
        if not question.scored or rng.random() > share:
            continue
        strength = spec.profile[question.area_id] + data.cycle_shift[cycle]
        if question.allow_na and rng.random() < 0.15:
            given[question.id] = AnswerInput(not_applicable=True, reason=data.not_applicable_reason)
        else:
            value = answer_for(question, strength + rng.gauss(0, 0.18), rng)
            facts = _data_facts(question, data, spec, cycle, facts_rng)
            given[question.id] = AnswerInput(value=value, **facts)
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
        return_to_city(assessment, reviewer, data.return_comment, {}, at=reviewed)
    record("demo_assessment_loaded", assessment, user=None, status=status)


def _data_facts(question: Question, data, spec, cycle: int, rng: random.Random) -> dict:
    """The year and source of a number's data: most figures have both (last year's), some only
    the year, a few neither, so that the flags show in the demo too."""
    if question.type != "number":
        return {}
    roll = rng.random()
    if roll < 0.1:
        return {}
    source = data.data_source.format(city=spec.name, year=cycle - 1) if roll >= 0.2 else None
    return {"data_year": cycle - 1, "data_source": source}


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


# -- reading and checking demo.yaml --------------------------------------------------------------


class _Wrong(Exception):
    """A value of the demo data that cannot be used, at `key` (such as cities[2].profile)."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


_KINDS = {
    "a text": lambda v: isinstance(v, str) and v.strip() != "",
    "a whole number": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "a number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "a list of texts": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
    "a list": lambda v: isinstance(v, list),
    "a mapping": lambda v: isinstance(v, dict),
}

_COHORT_FACTS = {
    "description": "a text",
    "countries": "a list of texts",
    "population_min": "a whole number",
    "population_max": "a whole number",
    "tags": "a list of texts",
}
_ACTION_FACTS = (
    "city",
    "cycle",
    "question",
    "area",
    "title",
    "department",
    "responsible",
    "start_on",
    "due_on",
    "status",
    "closed_on",
    "dropped_reason",
    "budget_line",
    "budget_amount",
    "budget_currency",
    "note",
)


def read_demo_data(path: Path) -> DemoData:
    """Read and check a demo data file; raise DemoDataError naming the file and the bad key."""
    try:
        with path.open(encoding="utf-8") as stream:
            root = yaml.safe_load(stream)
        return _demo_data(_check(root, "", "a mapping"))
    except OSError as error:
        raise DemoDataError(f"{path}: cannot be read: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise DemoDataError(f"{path}: not valid YAML: {error}") from None
    except _Wrong as wrong:
        raise DemoDataError(f"{path}: {wrong.key or 'the file'}: {wrong}") from None


def _demo_data(root: dict) -> DemoData:
    _only(root, "", ("password", "staff", "countries", "cohorts", "answers", "cities", "actions"))
    staff = {}
    for role, facts in _get(root, "", "staff", "a mapping").items():
        key = f"staff.{role}"
        if role not in ROLES or role in CITY_ROLES:
            raise _Wrong(key, "not a role of the network's staff (admin, network)")
        _only(_check(facts, key, "a mapping"), key, ("email", "name"))
        staff[role] = Person(
            _get(facts, key, "email", "a text"), _get(facts, key, "name", "a text")
        )
    if "admin" not in staff:
        raise _Wrong("staff.admin", "missing: the admin reviews the cities' assessments")
    countries = {}
    for code, name in _get(root, "", "countries", "a mapping").items():
        if not isinstance(code, str):
            # YAML reads some codes unquoted as other things: NO (Norway) is false.
            raise _Wrong("countries", f"a code must be text, found {code!r}: quote it")
        countries[code] = _check(name, f"countries.{code}", "a text")
    cohorts = {}
    for name, facts in _get(root, "", "cohorts", "a mapping").items():
        key = f"cohorts.{name}"
        _only(_check(facts, key, "a mapping"), key, tuple(_COHORT_FACTS))
        cohorts[name] = {
            fact: _check(value, f"{key}.{fact}", _COHORT_FACTS[fact])
            for fact, value in facts.items()
        }
    answers = _get(root, "", "answers", "a mapping")
    keys = ("cycle_shift", "versions", "draft_share", "not_applicable_reason", "data_source")
    keys += ("return_comment",)
    _only(answers, "answers", keys)
    cycle_shift = {
        _check(cycle, "answers.cycle_shift", "a whole number"): float(
            _check(shift, f"answers.cycle_shift.{cycle}", "a number")
        )
        for cycle, shift in _get(answers, "answers", "cycle_shift", "a mapping").items()
    }
    versions = {
        _check(cycle, "answers.versions", "a whole number"): _check(
            version, f"answers.versions.{cycle}", "a text"
        )
        for cycle, version in _get(answers, "answers", "versions", "a mapping").items()
    }
    if set(versions) != set(cycle_shift):
        raise _Wrong("answers.versions", "give a version for each cycle of cycle_shift")
    cities = [
        _city_spec(_check(facts, f"cities[{i}]", "a mapping"), f"cities[{i}]", countries, versions)
        for i, facts in enumerate(_get(root, "", "cities", "a list"))
    ]
    slugs = [c.slug for c in cities]
    if len(set(slugs)) < len(slugs):
        raise _Wrong("cities", "two cities have the same slug")
    return DemoData(
        password=_get(root, "", "password", "a text"),
        staff=staff,
        countries=countries,
        cohorts=cohorts,
        cycle_shift=cycle_shift,
        versions=versions,
        draft_share=float(_get(answers, "answers", "draft_share", "a number")),
        not_applicable_reason=_get(answers, "answers", "not_applicable_reason", "a text"),
        data_source=_get(answers, "answers", "data_source", "a text"),
        return_comment=_get(answers, "answers", "return_comment", "a text"),
        cities=cities,
        actions=[
            _action_spec(_check(facts, f"actions[{i}]", "a mapping"), f"actions[{i}]", slugs)
            for i, facts in enumerate(root.get("actions") or [])
        ],
    )


def _action_spec(facts: dict, key: str, slugs: list[str]) -> dict:
    """One demo action, checked: the Action's columns, its city and cycle, and its note."""
    _only(facts, key, _ACTION_FACTS)
    if facts.get("city") not in slugs:
        raise _Wrong(f"{key}.city", "not a city of the demo")
    if facts.get("status") not in ACTION_STATUSES:
        raise _Wrong(f"{key}.status", f"one of {', '.join(ACTION_STATUSES)}")
    _get(facts, key, "title", "a text")
    _get(facts, key, "cycle", "a whole number")
    return dict(facts)


def _city_spec(facts: dict, key: str, countries: dict, versions: dict) -> DemoCity:
    fields = ("slug", "name", "country", "population", "land_area_km2", "tags", "profile")
    _only(facts, key, (*fields, "assessments", "time_zone"))
    country = _get(facts, key, "country", "a text")
    if country not in countries:
        raise _Wrong(f"{key}.country", f"{country!r} is not one of the countries")
    profile = _get(facts, key, "profile", "a mapping")
    if set(profile) != set(AREA_IDS):
        raise _Wrong(f"{key}.profile", f"give a share for each area: {', '.join(AREA_IDS)}")
    for area_id, share in profile.items():
        if not 0 <= _check(share, f"{key}.profile.{area_id}", "a number") <= 1:
            raise _Wrong(f"{key}.profile.{area_id}", f"expected 0 to 1, found {share!r}")
    assessments = {}
    for questionnaire_id, cycles in _get(facts, key, "assessments", "a mapping").items():
        where = f"{key}.assessments.{questionnaire_id}"
        if questionnaire_id not in instrument.titles():
            raise _Wrong(where, "no questionnaire has this id")
        made = {}
        for cycle, status in _check(cycles, where, "a mapping").items():
            if cycle not in versions:
                raise _Wrong(f"{where}.{cycle}", "answers.cycle_shift has no shift for this cycle")
            version = versions[cycle]
            if isinstance(status, dict):  # {status: ..., version: ...}
                _only(status, f"{where}.{cycle}", ("status", "version"))
                version = _get(status, f"{where}.{cycle}", "version", "a text")
                status = _get(status, f"{where}.{cycle}", "status", "a text")
            if status not in STATUSES:
                raise _Wrong(f"{where}.{cycle}", f"the status is one of {', '.join(STATUSES)}")
            shipped = [q.version for q in instrument.versions(questionnaire_id)]
            if version not in shipped:
                raise _Wrong(f"{where}.{cycle}", f"version {version!r} is not one of {shipped}")
            made[cycle] = (status, version)
        assessments[questionnaire_id] = dict(sorted(made.items()))
    return DemoCity(
        slug=_get(facts, key, "slug", "a text"),
        name=_get(facts, key, "name", "a text"),
        country=country,
        population=_get(facts, key, "population", "a whole number"),
        land_area_km2=float(_get(facts, key, "land_area_km2", "a number")),
        tags=tuple(_get(facts, key, "tags", "a list of texts")),
        profile={area_id: float(share) for area_id, share in profile.items()},
        assessments=assessments,
        time_zone=_get(facts, key, "time_zone", "a text", required=False),
    )


def _check(value, key: str, kind: str):
    """`value` if it is of `kind` (a key of _KINDS), else _Wrong at `key`."""
    if not _KINDS[kind](value):
        raise _Wrong(key, f"expected {kind}, found {value!r}")
    return value


def _get(mapping: dict, key: str, name: str, kind: str, required: bool = True):
    """mapping[name] checked to be of `kind`; `key` is where `mapping` is in the file."""
    where = f"{key}.{name}" if key else name
    if name not in mapping:
        if required:
            raise _Wrong(where, "missing")
        return None
    return _check(mapping[name], where, kind)


def _only(mapping: dict, key: str, names: tuple[str, ...]) -> None:
    """Refuse keys other than `names`: a misspelt key would otherwise be ignored."""
    unknown = [name for name in mapping if name not in names]
    if unknown:
        where = f"{key}.{unknown[0]}" if key else str(unknown[0])
        raise _Wrong(where, f"unknown key; expected one of {', '.join(names)}")
