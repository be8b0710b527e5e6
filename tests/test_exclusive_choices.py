"""'None of these' is ticked alone: refused with a message in a mix (page save and autosave),
left behind by carry-over, never in the demo data, cleaned by the migration, and unticked by
the page (choices.js)."""

import time
from contextlib import contextmanager
from datetime import datetime

import pytest
import sqlalchemy as sa
from conftest import _make_app, new_postgres_database, sign_in
from flask_migrate import downgrade, upgrade
from playwright.sync_api import expect

from toolkit.assessments.models import Answer, AnswerRevision, Assessment
from toolkit.core.extensions import db as _db

JSON = {"Accept": "application/json"}
QUESTION = "hw_ph_climate_warnings"
MESSAGE = "“None of these” cannot be ticked together with other choices"


@pytest.fixture
def detailed(make_city, make_user, make_assessment, login, client, db):
    """An editor of Da Nang, signed in, and its draft detailed assessment."""
    city = make_city("da-nang", name="Da Nang")
    editor = make_user("city_editor", city, name="Eddy Editor")
    assessment = make_assessment(city, questionnaire_id="asus-detailed")
    db.session.commit()
    login(client, editor)
    return assessment


def stored(db, assessment):
    db.session.expire_all()
    return db.session.execute(
        db.select(Answer).filter_by(assessment_id=assessment.id, question_id=QUESTION)
    ).scalar_one_or_none()


def test_autosave_refuses_none_of_these_with_other_choices_and_saves_nothing(client, detailed, db):
    url = f"/assessments/{detailed.id}/questions/{QUESTION}"
    field = f"{QUESTION}__value"
    mixed = client.post(
        url, data={field: ["heat", "none"], f"{QUESTION}__version": "0"}, headers=JSON
    )

    assert mixed.status_code == 400
    assert mixed.get_json()["errors"][field] == [f"{MESSAGE}: untick it, or untick the others."]
    assert stored(db, detailed) is None

    alone = client.post(url, data={field: "none", f"{QUESTION}__version": "0"}, headers=JSON)
    assert alone.status_code == 200
    assert stored(db, detailed).value == ["none"]


def test_the_page_save_shows_the_message_beside_the_question_and_keeps_the_rest(
    client, detailed, db
):
    url = f"/assessments/{detailed.id}/areas/health_wellbeing"
    page = client.post(
        url,
        data={
            f"{QUESTION}__value": ["dengue", "none"],
            f"{QUESTION}__comment": "Warnings by SMS",
            f"{QUESTION}__version": "0",
        },
    )

    assert page.status_code == 400
    text = page.data.decode()
    assert f'<p class="error" id="{QUESTION}__value-error">{MESSAGE}' in text
    assert "Please correct the marked fields." in text
    assert "Warnings by SMS" in text  # what was typed is still in the form
    assert stored(db, detailed) is None
    # The exclusive choice is marked for choices.js; the others are not.
    assert 'value="none" checked data-exclusive>' in text
    assert 'value="heat" data-exclusive' not in text


def test_carry_over_leaves_a_mixed_answer_behind_and_takes_the_others(
    make_city, make_assessment, db
):
    """An old cycle may hold a mix saved before the rule: the new cycle starts without it."""
    from toolkit.assessments.answering import create_assessment
    from toolkit.core import instrument

    city = make_city("da-nang", name="Da Nang")
    old = make_assessment(
        city,
        questionnaire_id="asus-detailed",
        cycle=2025,
        answers={"bi_util_network_map": ["water"]},
    )
    db.session.add(Answer(assessment=old, question_id=QUESTION, value=["heat", "none"]))
    db.session.flush()

    new = create_assessment(city, instrument.latest("asus-detailed"), 2026, None, old)

    carried = {a.question_id: a.value for a in new.answers}
    assert carried == {"bi_util_network_map": ["water"]}


def test_the_demo_never_ticks_none_of_these_with_another_choice(db):
    from toolkit.assessments.scores import questionnaire_of, scorecard
    from toolkit.cli.demo import load_demo

    load_demo()
    detailed = (
        db.session.execute(db.select(Assessment).filter_by(questionnaire_id="asus-detailed"))
        .scalars()
        .all()
    )
    assert detailed
    for assessment in detailed:
        questionnaire = questionnaire_of(assessment)
        for answer in assessment.answers:
            question = questionnaire.question(answer.question_id)
            if question.type == "multi_choice" and answer.value is not None:
                assert question.exclusive_choice_in(tuple(answer.value)) is None, answer.value
        scorecard(assessment)  # every answer fits


# -- the migration cleans answers stored before the rule -----------------------------------------

# The revision this migration follows.
BEFORE = "b2c4e1a7d9f3"


@contextmanager
def fresh_database(kind, tmp_path):
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
    else:
        with new_postgres_database("toolkit_migrate") as url:
            yield url


def _insert_rows_of_before_the_rule(connection):
    """An approved detailed assessment with a mixed answer and an answer of "none" alone."""

    def table(name, *columns):
        return sa.table(name, *(sa.column(c, sa.JSON if c in JSONS else None) for c in columns))

    JSONS = {"tags", "value", "evidence"}
    day = datetime(2026, 1, 2)
    connection.execute(
        table("country", "id", "code", "name").insert(),
        [{"id": 1, "code": "ID", "name": "Indonesia"}],
    )
    connection.execute(
        table("city", "id", "slug", "name", "country_id", "tags", "active", "created_at").insert(),
        [
            {
                "id": 1,
                "slug": "makassar",
                "name": "Makassar",
                "country_id": 1,
                "tags": [],
                "active": True,
                "created_at": day,
            }
        ],
    )
    connection.execute(
        table(
            "assessment",
            "id",
            "city_id",
            "questionnaire_id",
            "questionnaire_version",
            "cycle",
            "status",
            "version",
            "completeness",
            "created_at",
        ).insert(),
        [
            {
                "id": 1,
                "city_id": 1,
                "questionnaire_id": "asus-detailed",
                "questionnaire_version": "2026.1",
                "cycle": 2026,
                "status": "approved",
                "version": 4,
                "completeness": 0.1,
                "created_at": day,
            }
        ],
    )
    answer = table(
        "answer",
        "id",
        "assessment_id",
        "question_id",
        "value",
        "not_applicable",
        "comment",
        "evidence",
        "updated_at",
        "version",
        "carried_over",
    )
    common = {
        "assessment_id": 1,
        "not_applicable": False,
        "evidence": [],
        "updated_at": day,
        "version": 2,
        "carried_over": False,
    }
    connection.execute(
        answer.insert(),
        [
            {
                **common,
                "id": 1,
                "question_id": QUESTION,
                "value": ["heat", "none"],
                "comment": "SMS",
            },
            {
                **common,
                "id": 2,
                "question_id": "bi_util_network_map",
                "value": ["none"],
                "comment": None,
            },
        ],
    )


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_migration_takes_none_of_these_out_of_a_mix_with_a_revision(kind, tmp_path):
    with fresh_database(kind, tmp_path) as url:
        app = _make_app(url)
        with app.app_context():
            try:
                upgrade(revision=BEFORE)
                _insert_rows_of_before_the_rule(_db.session.connection())
                _db.session.commit()

                upgrade()

                answers = {a.id: a for a in _db.session.execute(sa.select(Answer)).scalars()}
                assert answers[1].value == ["heat"] and answers[1].version == 3
                assert answers[1].comment == "SMS"
                assert answers[2].value == ["none"] and answers[2].version == 2  # alone: kept
                revision = _db.session.execute(sa.select(AnswerRevision)).scalar_one()
                assert revision.answer_id == 1 and revision.kind == "changed"
                assert revision.old["value"] == ["heat", "none"]
                assert revision.new["value"] == ["heat"] and revision.new["comment"] == "SMS"
                assert _db.session.get(Assessment, 1).version == 5
                _db.session.rollback()  # reads hold locks a migration waits for on PostgreSQL

                downgrade(revision=BEFORE)
                columns = sa.inspect(_db.engine).get_columns("city")
                assert "time_zone" not in {c["name"] for c in columns}
                upgrade()
            finally:
                _db.session.remove()
                _db.engine.dispose()


# -- in the browser ------------------------------------------------------------------------------


def saved_as(db, assessment, value, seconds=10):
    """Wait until autosave has stored `value` (each tick is saved, some of them together)."""
    deadline = time.monotonic() + seconds
    while (answer := stored(db, assessment)) is None or answer.value != value:
        assert time.monotonic() < deadline, answer and answer.value
        time.sleep(0.1)


def test_ticking_none_of_these_unticks_the_others_and_the_reverse(
    live_server, open_page, make_assessment, db
):
    from toolkit.cities.models import City

    base, users = live_server
    city = db.session.execute(db.select(City).filter_by(slug="da-nang")).scalar_one()
    assessment = make_assessment(city, questionnaire_id="asus-detailed")
    db.session.commit()
    page = open_page()
    sign_in(page, base, users["editor"].email)
    page.goto(f"{base}/assessments/{assessment.id}/areas/health_wellbeing")

    def box(value):
        return page.locator(f'input[name="{QUESTION}__value"][value="{value}"]')

    box("heat").check()
    box("haze").check()
    box("none").check()
    expect(box("heat")).not_to_be_checked()
    expect(box("haze")).not_to_be_checked()
    expect(box("none")).to_be_checked()
    saved_as(db, assessment, ["none"])

    box("dengue").check()
    expect(box("none")).not_to_be_checked()
    expect(box("dengue")).to_be_checked()
    saved_as(db, assessment, ["dengue"])
    assert page.errors == []
