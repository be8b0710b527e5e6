"""The schema: migrations match the models, and the database itself refuses impossible rows."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext


# Alembic compares on a connection of its own.
@pytest.mark.usefixtures("real_commits")
def test_migrations_produce_the_schema_of_the_models(db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_a_city_role_needs_a_city_and_other_roles_have_none(db, make_city, make_user):
    city = make_city()
    make_user("city_editor", city)
    with pytest.raises(sa.exc.IntegrityError):
        make_user("city_editor", None)
    db.session.rollback()
    with pytest.raises(sa.exc.IntegrityError):
        make_user("network", make_city("hue"))
    db.session.rollback()


def test_one_assessment_per_city_questionnaire_and_cycle(db, make_city, make_assessment):
    city = make_city()
    make_assessment(city, cycle=2026)
    make_assessment(city, "asus-detailed", cycle=2026)
    with pytest.raises(sa.exc.IntegrityError):
        make_assessment(city, cycle=2026)
    db.session.rollback()


def test_every_answer_change_is_kept_as_a_revision(db, make_city, make_user, make_assessment):
    from toolkit.assessments.answering import AnswerInput, save_answers

    city = make_city()
    editor, lead = make_user("city_editor", city), make_user("city_lead", city)
    assessment = make_assessment(city)
    (first,) = save_answers(assessment, {"cs_participation": AnswerInput(value=1)}, editor).saved
    save_answers(
        assessment,
        {"cs_participation": AnswerInput(value=2, comment="Checked the 2026 minutes", based_on=1)},
        lead,
    )
    assert [(r.old and r.old["value"], r.new["value"]) for r in first.revisions] == [
        (None, 1),
        (1, 2),
    ]
    assert [r.changed_by_id for r in first.revisions] == [editor.id, lead.id]
    # A save based on version 1 after version 2 exists is refused, showing both values;
    # the other answer of the same save goes through.
    result = save_answers(
        assessment,
        {
            "cs_participation": AnswerInput(value=3, based_on=1),
            "cs_global_agendas": AnswerInput(value=1, based_on=0),
        },
        editor,
    )
    (conflict,) = result.conflicts
    assert conflict.theirs["value"] == 2
    assert conflict.yours["value"] == 3
    assert [a.question_id for a in result.saved] == ["cs_global_agendas"]
    # Saving the same content again changes nothing and leaves no revision.
    unchanged = save_answers(
        assessment,
        {"cs_participation": AnswerInput(value=2, comment="Checked the 2026 minutes")},
        lead,
    )
    assert unchanged.saved == [] and len(first.revisions) == 2
    assert first.value == 2


def test_area_scores_are_stored_whenever_answers_change(db, make_city, make_assessment):
    from toolkit.assessments.answering import AnswerInput, save_answers

    assessment = make_assessment(make_city(), answers={"cs_participation": 3})
    scores = assessment.scores_by_area()
    assert set(scores) == {
        "civic_social",
        "health_wellbeing",
        "security",
        "quality_environment",
        "built_infrastructure",
        "industry_innovation",
    }
    assert scores["civic_social"].score == 100
    assert scores["security"].score is None
    assert assessment.overall_score == 100
    save_answers(assessment, {"se_drr_plan": AnswerInput(value=0)}, None)
    assert assessment.scores_by_area()["security"].score == 0
    assert assessment.overall_score == 50
    assert 0 < assessment.completeness < 0.1
