"""The assessment workflow's one table (assessments/workflow.py): every status and every step, at
the service level (what a command or a job calls) and through the pages."""

import pytest

from toolkit.assessments import lifecycle, workflow
from toolkit.assessments.models import STATUSES, ReviewDecision
from toolkit.core.models import AuditEvent

EXPECTED = {
    ("draft", "submit"): "submitted",
    ("returned", "submit"): "submitted",
    ("submitted", "return"): "returned",
    ("submitted", "approve"): "approved",
    ("approved", "reopen"): "returned",
}
PAIRS = [(status, step) for status in STATUSES for step in workflow.STEPS]


def test_the_table_is_the_workflow():
    assert workflow.TRANSITIONS == EXPECTED
    assert set(workflow.STEPS) == {step for _, step in EXPECTED}
    assert workflow.EDITABLE == ("draft", "returned")


def take(step, assessment, user):
    """Call the service of `step`, as a command or a job would."""
    if step == "submit":
        lifecycle.submit(assessment, user)
    elif step == "return":
        lifecycle.return_to_city(assessment, user, "Check the plan.", {"se_drr_plan": "Which?"})
    elif step == "approve":
        lifecycle.approve(assessment, user, None)
    else:
        lifecycle.reopen(assessment, user, "Late flood data.")


@pytest.mark.parametrize(("status", "step"), PAIRS, ids=[f"{s}-{a}" for s, a in PAIRS])
def test_every_status_and_step_in_the_service(
    db, make_city, make_user, make_assessment, status, step
):
    city = make_city()
    admin = make_user("admin")
    assessment = make_assessment(city, status=status)
    db.session.commit()
    version = assessment.version
    if (status, step) in EXPECTED:
        take(step, assessment, admin)
        db.session.commit()
        assert assessment.status == EXPECTED[status, step]
        assert assessment.version == version + 1
        return
    with pytest.raises(workflow.TransitionRefused) as refused:
        take(step, assessment, admin)
    assert (refused.value.status, refused.value.step) == (status, step)
    db.session.rollback()
    db.session.refresh(assessment)
    assert (assessment.status, assessment.version) == (status, version)
    assert db.session.execute(db.select(ReviewDecision)).first() is None
    steps = db.session.execute(db.select(AuditEvent.action)).scalars().all()
    assert steps == ["assessment_created"]


# The other reviewer commits on a connection of its own.
@pytest.mark.usefixtures("real_commits")
def test_a_decision_on_a_stale_copy_is_refused(db, make_city, make_user, make_assessment):
    """Two reviewers at once: the second reads the first one's outcome under the lock."""
    city, reviewer = make_city(), make_user("network")
    assessment = make_assessment(city, status="submitted")
    db.session.commit()
    with db.engine.begin() as elsewhere:  # another reviewer approved a moment ago
        elsewhere.execute(
            db.update(type(assessment))
            .where(type(assessment).id == assessment.id)
            .values(status="approved")
        )
    with pytest.raises(workflow.TransitionRefused):
        lifecycle.return_to_city(assessment, reviewer, "Too late", {})
    db.session.rollback()
    db.session.refresh(assessment)
    assert assessment.status == "approved"


def complete_answers():
    """A valid answer to every required question of the quick questionnaire."""
    from toolkit.core import instrument

    given = {}
    for q in instrument.latest("asus-quick").questions():
        if not q.required:
            continue
        if q.type == "level":
            given[q.id] = 1
        elif q.type == "number":
            given[q.id] = q.minimum if q.minimum is not None else 0
        elif q.type == "yes_no":
            given[q.id] = "yes"
        elif q.type == "choice":
            given[q.id] = q.choices[0].id
        else:
            given[q.id] = [q.choices[0].id]
    return given


STEP_VIEWS = {
    # step: (who, url, form)
    "submit": ("lead", "submit", {}),
    "return": ("network", "review", {"decision": "return", "comment": "Check the plan."}),
    "approve": ("network", "review", {"decision": "approve"}),
    "reopen": ("admin", "reopen", {"reason": "Late flood data."}),
}
REFUSALS = {
    "submit": "This assessment cannot be submitted for review: it is {}.",
    "return": "This assessment is not waiting for review: it is {}.",
    "approve": "This assessment is not waiting for review: it is {}.",
    "reopen": "This assessment cannot be reopened: it is {}.",
}


@pytest.mark.parametrize(("status", "step"), PAIRS, ids=[f"{s}-{a}" for s, a in PAIRS])
def test_every_status_and_step_through_the_pages(
    client, login, db, make_city, make_user, make_assessment, status, step
):
    city = make_city()
    people = {
        "lead": make_user("city_lead", city),
        "network": make_user("network"),
        "admin": make_user("admin"),
    }
    assessment = make_assessment(city, answers=complete_answers(), status=status)
    who, page, form = STEP_VIEWS[step]
    login(client, people[who])
    response = client.post(f"/assessments/{assessment.id}/{page}", data=form)
    db.session.refresh(assessment)
    if (status, step) in EXPECTED:
        assert response.status_code == 302
        assert assessment.status == EXPECTED[status, step]
        return
    assert response.status_code == 303
    assert response.location.endswith(f"/assessments/{assessment.id}")
    assert assessment.status == status
    overview = client.get(response.location).data.decode()
    assert REFUSALS[step].format(status.title()) in overview
