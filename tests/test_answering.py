"""Answering through autosave (JSON), carried-over answers, area assignments, question history
and questions shown only after an earlier answer (show_if), through the real app and database."""

import csv
import io
import re

import pytest

from toolkit.assessments.models import Answer, Assessment
from toolkit.core.models import utcnow

JSON = {"Accept": "application/json"}


@pytest.fixture
def da_nang(make_city, make_user, db):
    city = make_city("da-nang", name="Da Nang")
    lead = make_user("city_lead", city, name="Lan Lead")
    editor = make_user("city_editor", city, name="Eddy Editor")
    db.session.commit()
    return city, lead, editor


def autosave(client, assessment, question_id, **fields):
    """POST one question's fields as answers.js does; `version` defaults to 0."""
    data = {f"{question_id}__{name}": value for name, value in fields.items()}
    data.setdefault(f"{question_id}__version", "0")
    return client.post(
        f"/assessments/{assessment.id}/questions/{question_id}", data=data, headers=JSON
    )


def answers_of(db, assessment):
    db.session.expire_all()
    rows = db.session.execute(db.select(Answer).filter_by(assessment_id=assessment.id)).scalars()
    return {a.question_id: a for a in rows}


def test_autosave_saves_one_answer_and_leaves_the_others(
    client, login, da_nang, make_assessment, db
):
    city, _, editor = da_nang
    assessment = make_assessment(city, answers={"se_drr_plan": 2})
    login(client, editor)

    response = autosave(client, assessment, "se_early_warning", value="3", comment="Sirens")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "saved" and body["version"] == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", body["saved_at"])
    assert body["area"]["answered"] == 2 and body["area"]["applicable"] == 6
    answers = answers_of(db, assessment)
    assert answers["se_early_warning"].value == 3
    assert answers["se_early_warning"].comment == "Sirens"
    assert answers["se_drr_plan"].value == 2  # the question not sent is untouched

    same = autosave(client, assessment, "se_early_warning", value="3", comment="Sirens", version=1)
    assert same.get_json()["status"] == "unchanged"
    assert len(answers_of(db, assessment)["se_early_warning"].revisions) == 1


def test_autosave_refuses_bad_input_with_messages_and_keeps_the_stored_answer(
    client, login, da_nang, make_assessment, db
):
    city, _, editor = da_nang
    assessment = make_assessment(city, answers={"cs_participation": 1})
    login(client, editor)

    cases = [
        ("cs_participation", {"value": "9", "version": "1"}, "value", "Not a valid choice."),
        ("cs_informal_settlements", {"na": "y"}, "reason", "Say why this does not apply"),
        (
            "cs_participation",
            {"value": "2", "evidence": "javascript:alert(1) looks like a link", "version": "1"},
            "evidence",
            "Each line starts with a link beginning with http:// or https://",
        ),
        ("cs_women_senior_posts", {"value": "130"}, "value", "between 0 and 100"),
    ]
    for question_id, fields, name, message in cases:
        response = autosave(client, assessment, question_id, **fields)
        assert response.status_code == 400, fields
        assert message in " ".join(response.get_json()["errors"][f"{question_id}__{name}"])
    answer = answers_of(db, assessment)["cs_participation"]
    assert answer.value == 1 and answer.version == 1


def test_autosave_conflict_gives_both_answers_then_keep_mine(
    app, login, da_nang, make_assessment, db
):
    city, lead, editor = da_nang
    assessment = make_assessment(city)
    first, second = app.test_client(), app.test_client()
    login(first, lead)
    login(second, editor)
    # Both opened the page at version 0; the lead saves first.
    assert autosave(first, assessment, "se_drr_plan", value="3").status_code == 200
    clash = autosave(second, assessment, "se_drr_plan", value="1", comment="Draft only")
    assert clash.status_code == 409
    body = clash.get_json()
    assert body["theirs"]["by"] == "Lan Lead" and body["theirs"]["version"] == 1
    assert body["theirs"]["text"].startswith("level 3:")
    assert body["yours"]["text"].startswith("level 1:")
    assert body["theirs"]["fields"]["se_drr_plan__value"] == "3"
    assert answers_of(db, assessment)["se_drr_plan"].value == 3  # never silently overwritten

    # "Keep mine" sends the same answer again, now based on the version they were shown.
    kept = autosave(second, assessment, "se_drr_plan", value="1", comment="Draft only", version=1)
    assert kept.status_code == 200 and kept.get_json()["version"] == 2
    history = second.get(f"/assessments/{assessment.id}/questions/se_drr_plan/history")
    text = history.data.decode()
    assert "2 changes, newest first" in text
    assert text.index("Eddy Editor") < text.index("Lan Lead")  # newest first
    assert "level 1:" in text and "Draft only" in text and "level 3:" in text


def test_autosave_needs_the_csrf_header(make_app, da_nang, make_assessment, login, db):
    city, _, editor = da_nang
    assessment = make_assessment(city)
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login(client, editor)
    page = client.get(f"/assessments/{assessment.id}/areas/security").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    url = f"/assessments/{assessment.id}/questions/se_drr_plan"
    data = {"se_drr_plan__value": "2", "se_drr_plan__version": "0"}

    refused = client.post(url, data=data, headers=JSON)
    assert refused.status_code == 400
    assert "nothing was saved" in refused.get_json()["message"]
    saved = client.post(url, data=data, headers={**JSON, "X-CSRFToken": token})
    assert saved.status_code == 200 and saved.get_json()["status"] == "saved"


def test_autosave_is_refused_once_submitted_whatever_the_role(
    client, login, da_nang, make_assessment, make_user, db
):
    city, lead, _ = da_nang
    assessment = make_assessment(city, answers={"se_drr_plan": 2}, status="submitted")
    admin = make_user("admin")
    for user in (lead, admin):
        login(client, user)
        response = autosave(client, assessment, "se_drr_plan", value="0", version="1")
        assert response.status_code == 403
        assert response.get_json()["message"]
    assert answers_of(db, assessment)["se_drr_plan"].value == 2


def test_carried_over_answers_wait_for_confirmation_before_submitting(
    client, login, da_nang, make_assessment, db
):
    city, lead, _ = da_nang
    earlier = make_assessment(
        city,
        cycle=2025,
        answers={"se_drr_plan": 2, "cs_participation": 3},
        status="approved",
    )
    db.session.commit()
    login(client, lead)
    start = client.get("/cities/da-nang/assessments/new").data.decode()
    assert "Carry over the answers of an earlier cycle" in start
    response = client.post(
        "/cities/da-nang/assessments/new",
        data={"questionnaire": "asus-quick", "cycle": "2026", "carry_over": str(earlier.id)},
    )
    assert response.status_code == 302
    new = db.session.execute(db.select(Assessment).filter_by(cycle=2026)).scalar_one()
    answers = answers_of(db, new)
    assert {q: a.value for q, a in answers.items()} == {"se_drr_plan": 2, "cs_participation": 3}
    assert all(a.carried_over for a in answers.values())
    assert answers["se_drr_plan"].revisions[0].kind == "carried_over"

    overview = client.get(f"/assessments/{new.id}").data.decode()
    assert "2 answers come from the previous cycle" in overview
    area = client.get(f"/assessments/{new.id}/areas/security").data.decode()
    assert "This answer comes from the previous cycle." in area
    assert "Confirm: this still holds for this cycle" in area

    # The lead fills every other required answer; submitting still waits for the two.
    quick = new.questionnaire_id
    from toolkit.core import instrument

    for q in instrument.latest(quick).questions():
        if q.id not in answers:
            autosave(client, new, q.id, value="1")
    refused = client.post(f"/assessments/{new.id}/submit", follow_redirects=True)
    assert "2 answers carried over from the previous cycle still need" in refused.data.decode()

    # One is confirmed unchanged, the other changed: nothing is left to confirm.
    confirmed = autosave(client, new, "se_drr_plan", value="2", confirm="y", version="1")
    assert confirmed.get_json() | {"status": "saved", "carried_over": False} == confirmed.get_json()
    autosave(client, new, "cs_participation", value="1", version="1")
    answers = answers_of(db, new)
    assert not any(a.carried_over for a in answers.values())
    assert [r.kind for r in answers["se_drr_plan"].revisions] == ["carried_over", "confirmed"]
    history = client.get(f"/assessments/{new.id}/questions/se_drr_plan/history").data.decode()
    assert "Confirmed unchanged" in history and "Carried over from the previous cycle" in history
    submitted = client.post(f"/assessments/{new.id}/submit", follow_redirects=True)
    assert "Submitted for review" in submitted.data.decode()


def test_answers_are_carried_over_only_from_an_earlier_cycle_of_the_same_questionnaire(
    client, login, da_nang, make_assessment, db
):
    city, lead, _ = da_nang
    detailed = make_assessment(city, questionnaire_id="asus-detailed", cycle=2025)
    later = make_assessment(city, cycle=2027)
    db.session.commit()
    login(client, lead)
    for source in (detailed, later):
        response = client.post(
            "/cities/da-nang/assessments/new",
            data={"questionnaire": "asus-quick", "cycle": "2026", "carry_over": str(source.id)},
        )
        assert response.status_code == 400
        assert b"only be carried over from an earlier cycle of the same" in response.data
    assert db.session.execute(db.select(Assessment).filter_by(cycle=2026)).first() is None


def test_a_lead_assigns_areas_and_editors_see_theirs_first(
    app, login, da_nang, make_assessment, make_city, make_user, db
):
    city, lead, editor = da_nang
    stranger = make_user("city_editor", make_city("cebu", country="PH"), name="Cebu Editor")
    assessment = make_assessment(city)
    db.session.commit()
    as_lead, as_editor = app.test_client(), app.test_client()
    login(as_lead, lead)
    login(as_editor, editor)
    url = f"/assessments/{assessment.id}/assignments"

    page = as_lead.get(url).data.decode()
    assert "Eddy Editor" in page and "Lan Lead" in page and "Cebu Editor" not in page
    outsider = as_lead.post(url, data={"area__security": [str(stranger.id)]})
    assert outsider.status_code == 400
    assert f"&#39;{stranger.id}&#39; is not a valid choice" in outsider.data.decode()
    saved = as_lead.post(
        url,
        data={
            "area__security": [str(editor.id)],
            "area__quality_environment": [str(editor.id), str(lead.id)],
        },
    )
    assert saved.status_code == 302

    overview = as_editor.get(f"/assessments/{assessment.id}").data.decode()
    assert "The 2 areas assigned to you come first." in overview
    names = re.findall(r'/areas/(\w+)">', overview)
    assert names[:2] == ["security", "quality_environment"]
    assert overview.count("assigned to you</span>") == 2
    area = as_editor.get(f"/assessments/{assessment.id}/areas/quality_environment").data
    assert b"Assigned to: Eddy Editor (you), Lan Lead" in area
    timeline = as_editor.get(f"/assessments/{assessment.id}/timeline").data.decode()
    assert "Areas assigned" in timeline


def test_user_text_is_shown_as_text_everywhere(client, login, da_nang, make_assessment, db):
    city, _, editor = da_nang
    assessment = make_assessment(city)
    login(client, editor)
    attack = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    response = autosave(
        client,
        assessment,
        "cs_informal_settlements",
        na="y",
        reason=attack,
        comment=attack,
        evidence=f"https://example.org/report {attack}",
    )
    assert response.status_code == 200
    for url in (
        f"/assessments/{assessment.id}/areas/civic_social",
        f"/assessments/{assessment.id}/questions/cs_informal_settlements/history",
    ):
        text = client.get(url).data.decode()
        assert "<script>alert(1)" not in text and "<img src=x" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    area = client.get(f"/assessments/{assessment.id}/areas/civic_social").data.decode()
    assert '<a href="https://example.org/report" rel="noopener noreferrer nofollow">' in area


def test_show_if_questions_appear_only_after_the_answer_that_opens_them(
    client, login, da_nang, monkeypatch, example_text, write_questionnaire, db
):
    from questionnaires import load
    from toolkit.assessments.answering import create_assessment
    from toolkit.core import instrument

    example = load(write_questionnaire(example_text))
    monkeypatch.setattr(instrument, "_all", lambda: {(example.id, example.version): example})
    city, _, editor = da_nang
    assessment = create_assessment(city, example, 2026, None)
    db.session.commit()
    login(client, editor)
    url = f"/assessments/{assessment.id}/areas/security"

    page = client.get(url).data.decode()
    assert 'data-show-if="se_drr_plan" data-show-values="yes"' in page
    assert "Applies only when the answer to" in page
    assert "With the answers saved now it does not apply" in page
    autosave(client, assessment, "se_drr_plan", value="yes")
    page = client.get(url).data.decode()
    assert "With the answers saved now it does not apply" not in page
    saved = autosave(client, assessment, "se_drr_plan_year", value="2023")
    assert saved.get_json()["area"]["answered"] == 2


def test_the_overview_leads_to_the_next_unanswered_question(
    client, login, da_nang, make_assessment, db
):
    city, _, editor = da_nang
    assessment = make_assessment(city, answers={"cs_participation": 2})
    login(client, editor)
    text = client.get(f"/assessments/{assessment.id}").data.decode()
    link = f'/assessments/{assessment.id}/areas/civic_social#q-cs_global_agendas">'
    assert link + "Continue with the next unanswered question</a>" in text


def test_stored_scores_after_many_saves_equal_a_full_scoring(
    client, login, da_nang, make_assessment, db
):
    """Each save rescores only its area; the stored figures must still be exactly those of
    scoring every answer again."""
    from toolkit.assessments.scores import scorecard

    city, _, editor = da_nang
    assessment = make_assessment(city, questionnaire_id="asus-detailed")
    login(client, editor)
    saves = [
        ("se_drr_plan", {"value": "3"}),
        ("cs_participatory_budget", {"value": "4"}),
        ("se_drr_plan", {"value": "1", "version": "1"}),
        ("hw_phc_facility_planning", {"value": "5"}),
        ("qe_air_monitoring", {"value": "2"}),
        ("cs_participatory_budget", {"value": "", "version": "1"}),
    ]
    for question_id, fields in saves:
        assert autosave(client, assessment, question_id, **fields).status_code == 200
    db.session.expire_all()
    card = scorecard(assessment)
    stored = assessment.scores_by_area()
    for area in card.areas:
        row = stored[area.area.id]
        assert (row.score, row.answered, row.applicable) == (
            area.score,
            area.answered,
            area.applicable,
        )
    assert (assessment.overall_score, assessment.completeness) == (
        card.overall,
        card.completeness,
    )
    assert card.answered == 3


# -- two people on one answer: merged part by part, against the version each person saw -------


def save(assessment, user, question_id="se_drr_plan", **fields):
    """Save one answer through the service as `user`; `based_on` is the version they saw."""
    from toolkit.assessments.answering import AnswerInput, save_answers

    return save_answers(assessment, {question_id: AnswerInput(**fields)}, user)


def test_changes_to_different_parts_of_one_answer_both_land_in_one_revision(
    da_nang, make_assessment, db
):
    """The editor adds a comment to the answer they saw (version 1) after the lead changed its
    level (version 2): both changes are kept, in one new revision by the editor."""
    city, lead, editor = da_nang
    assessment = make_assessment(city, answers={"se_drr_plan": 2})
    save(assessment, lead, value=3, based_on=1)
    result = save(assessment, editor, value=2, comment="Adopted by council", based_on=1)

    assert result.conflicts == [] and result.merged == {"se_drr_plan"}
    answer = answers_of(db, assessment)["se_drr_plan"]
    assert (answer.value, answer.comment, answer.version) == (3, "Adopted by council", 3)
    last = answer.revisions[-1]
    assert len(answer.revisions) == 3 and last.changed_by_id == editor.id
    assert (last.old["value"], last.old["comment"]) == (3, None)
    assert (last.new["value"], last.new["comment"]) == (3, "Adopted by council")


def test_not_applicable_and_its_reason_are_one_part_merged_with_the_comment(
    da_nang, make_assessment, db
):
    city, lead, editor = da_nang
    assessment = make_assessment(city)
    question = "cs_informal_settlements"
    save(assessment, lead, question, not_applicable=True, reason="No settlements", based_on=0)
    save(assessment, lead, question, not_applicable=True, reason="None left since 2019", based_on=1)
    # The editor saw version 1 and writes a comment: the lead's new reason stays.
    result = save(
        assessment,
        editor,
        question,
        not_applicable=True,
        reason="No settlements",
        comment="Census 2020",
        based_on=1,
    )
    assert result.conflicts == []
    answer = answers_of(db, assessment)[question]
    assert (answer.not_applicable_reason, answer.comment) == ("None left since 2019", "Census 2020")


def test_an_answer_created_meanwhile_is_merged_with_a_comment_typed_on_the_empty_question(
    da_nang, make_assessment, db
):
    city, lead, editor = da_nang
    assessment = make_assessment(city)
    save(assessment, lead, value=1, based_on=0)
    result = save(assessment, editor, comment="Draft plan exists", based_on=0)
    assert result.conflicts == []
    answer = answers_of(db, assessment)["se_drr_plan"]
    assert (answer.value, answer.comment) == (1, "Draft plan exists")


def test_a_conflict_is_a_value_among_the_results_with_both_answers(da_nang, make_assessment):
    """The save returns its conflicts (nothing is raised): each a frozen value holding the
    stored answer and what the person sent."""
    import dataclasses

    city, lead, editor = da_nang
    assessment = make_assessment(city, answers={"se_drr_plan": 2})
    save(assessment, lead, value=3, based_on=1)
    (conflict,) = save(assessment, editor, value=1, based_on=1).conflicts

    assert not isinstance(conflict, Exception)
    assert (conflict.base["value"], conflict.theirs["value"], conflict.yours["value"]) == (2, 3, 1)
    assert conflict.answer.version == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        conflict.yours = conflict.theirs


def test_a_real_conflict_names_every_differing_part_and_saves_none_of_that_answer(
    da_nang, make_assessment, db
):
    """Both changed the level: the editor must choose. Their comment and the lead's evidence do
    not conflict, and whichever level they choose, both stay."""
    from toolkit.assessments.answering import AnswerInput, save_answers

    city, lead, editor = da_nang
    assessment = make_assessment(city, answers={"se_drr_plan": 2})
    evidence = ("https://example.org/plan The plan",)
    save(assessment, lead, value=3, evidence=evidence, based_on=1)
    result = save(assessment, editor, value=1, comment="Only a draft", based_on=1)

    assert result.saved == [] and len(result.conflicts) == 1
    conflict = result.conflicts[0]
    assert conflict.parts == ["value"]
    assert conflict.differences() == [
        ("value", None),
        ("comment", "yours"),
        ("evidence", "theirs"),
    ]
    answer = answers_of(db, assessment)["se_drr_plan"]
    assert (answer.value, answer.comment, answer.version) == (3, None, 2)  # untouched

    theirs, yours = conflict.resolved("theirs"), conflict.resolved("yours")
    assert (theirs["value"], theirs["comment"], theirs["evidence"]) == (
        3,
        "Only a draft",
        [*evidence],
    )
    assert (yours["value"], yours["comment"], yours["evidence"]) == (1, "Only a draft", [*evidence])

    # "Take theirs": the level is the lead's, the editor's comment is saved with it.
    taken = AnswerInput(
        value=theirs["value"], comment=theirs["comment"], evidence=evidence, based_on=2
    )
    assert save_answers(assessment, {"se_drr_plan": taken}, editor).conflicts == []
    answer = answers_of(db, assessment)["se_drr_plan"]
    assert (answer.value, answer.comment, answer.evidence) == (3, "Only a draft", [*evidence])


def test_not_applicable_on_one_side_and_an_answer_on_the_other_is_one_conflict(
    da_nang, make_assessment, db
):
    city, lead, editor = da_nang
    assessment = make_assessment(city)
    question = "cs_informal_settlements"
    save(assessment, lead, question, not_applicable=True, reason="None here", based_on=0)
    result = save(assessment, editor, question, value=2, based_on=0)
    assert [c.parts for c in result.conflicts] == [["value", "not_applicable"]]
    assert answers_of(db, assessment)[question].not_applicable is True


def test_a_version_the_history_does_not_know_conflicts_on_every_differing_part(
    da_nang, make_assessment, db
):
    city, _, editor = da_nang
    assessment = make_assessment(city, answers={"se_drr_plan": 2})
    result = save(assessment, editor, value=2, comment="Sent from a tampered page", based_on=7)
    assert [c.parts for c in result.conflicts] == [["comment"]]
    assert result.conflicts[0].base is None


def test_autosave_merges_other_parts_and_gives_the_merged_answer_back(
    app, login, da_nang, make_assessment, db
):
    city, lead, editor = da_nang
    assessment = make_assessment(city, answers={"se_drr_plan": 2})
    first, second = app.test_client(), app.test_client()
    login(first, lead)
    login(second, editor)
    assert autosave(first, assessment, "se_drr_plan", value="3", version="1").status_code == 200
    merged = autosave(second, assessment, "se_drr_plan", value="2", comment="Sirens", version="1")
    assert merged.status_code == 200
    body = merged.get_json()
    assert body["status"] == "saved" and body["version"] == 3
    assert body["merged"]["se_drr_plan__value"] == "3"
    assert body["merged"]["se_drr_plan__comment"] == "Sirens"


def test_autosave_conflict_shows_each_part_and_both_resolutions(
    app, login, da_nang, make_assessment, db
):
    city, lead, editor = da_nang
    assessment = make_assessment(city, answers={"se_drr_plan": 2})
    first, second = app.test_client(), app.test_client()
    login(first, lead)
    login(second, editor)
    autosave(first, assessment, "se_drr_plan", value="3", version="1")
    clash = autosave(second, assessment, "se_drr_plan", value="1", comment="Draft", version="1")
    assert clash.status_code == 409
    body = clash.get_json()
    assert body["differences"] == [
        {
            "part": "Answer",
            "theirs": body["theirs"]["text"],
            "yours": body["yours"]["text"],
            "kept": None,
        },
        {"part": "Comment", "theirs": "none", "yours": "Draft", "kept": "yours"},
    ]
    assert body["take"]["se_drr_plan__value"] == "3"
    assert body["take"]["se_drr_plan__comment"] == "Draft"  # "Take theirs" keeps the comment
    assert body["keep"]["se_drr_plan__value"] == "1"
    assert body["take"]["se_drr_plan__version"] == body["keep"]["se_drr_plan__version"] == "2"
    assert body["take_is_theirs"] is False


def test_a_page_save_with_a_conflict_keeps_both_sides_changes_in_the_form(
    app, login, da_nang, make_assessment, db
):
    """Without JavaScript: the lead changed the level and the evidence; the editor's page save
    changed the level and the comment. The page answers 409 with every differing part, and the
    form holds the editor's level and comment with the lead's evidence."""
    city, lead, editor = da_nang
    assessment = make_assessment(city, answers={"se_drr_plan": 2})
    first, second = app.test_client(), app.test_client()
    login(first, lead)
    login(second, editor)
    url = f"/assessments/{assessment.id}/areas/security"
    evidence = "https://example.org/plan Adopted plan"
    lead_saved = autosave(
        first, assessment, "se_drr_plan", value="3", evidence=evidence, version="1"
    )
    assert lead_saved.status_code == 200, lead_saved.get_json()
    page = second.post(
        url,
        data={
            "se_drr_plan__value": "1",
            "se_drr_plan__comment": "Draft",
            "se_drr_plan__evidence": "",  # as a browser sends the empty field
            "se_drr_plan__version": "1",
        },
    )
    assert page.status_code == 409
    text = page.data.decode()
    assert "Answer: changed by both of you." in text
    assert "Comment: only you changed it; yours is kept: Draft" in text
    assert "Evidence links: only Lan Lead changed it; theirs is kept (now in the form)" in text
    assert re.search(r'name="se_drr_plan__value" value="1" checked', text)
    assert f"{evidence}</textarea>" in text
    assert 'name="se_drr_plan__version" value="2"' in text
    assert answers_of(db, assessment)["se_drr_plan"].value == 3


# -- the page's Save button after autosave ------------------------------------------------------


def test_a_page_save_after_autosave_says_the_answers_were_already_saved(
    client, login, da_nang, make_assessment, db
):
    city, _, editor = da_nang
    assessment = make_assessment(city, answers={"se_drr_plan": 2})
    login(client, editor)
    url = f"/assessments/{assessment.id}/areas/security"
    data = {"se_drr_plan__value": "2", "se_drr_plan__version": "1"}

    again = client.post(url, data=data, follow_redirects=True).data.decode()
    assert "Your answers were already saved." in again and "Saved 0" not in again
    data |= {"se_early_warning__value": "3", "se_drr_plan__value": "1"}
    two = client.post(url, data=data, follow_redirects=True).data.decode()
    assert re.search(r"Saved 2 answers at \w{3} \d{1,2}, \d{4}, \d\d:\d\d \(UTC\+7\)\.", two)
    data |= {"se_drr_plan__value": "0", "se_drr_plan__version": "2"}
    one = client.post(url, data=data, follow_redirects=True)
    assert re.search(
        r"Saved 1 answer at \w{3} \d{1,2}, \d{4}, \d\d:\d\d \(UTC\+7\)\.", one.data.decode()
    )


# -- an autosave after the session ended -----------------------------------------------------------


def test_an_autosave_of_a_signed_out_person_is_told_so_and_a_new_sign_in_gives_a_fresh_token(
    make_app, da_nang, make_assessment, db
):
    """After signing out, the page's autosave gets a JSON 401 "signed out" (not the CSRF 400
    "nothing was saved"); after signing in again, /assessments/signed-in gives the token of the
    new session, with which the same answer saves."""
    from toolkit.accounts.models import User

    city, _, editor = da_nang
    db.session.get(User, editor.id).set_password("correct horse battery")
    assessment = make_assessment(city)
    db.session.commit()
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    sign_in_page = client.get("/auth/login").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', sign_in_page)[1]
    form = {"email": editor.email, "password": "correct horse battery", "csrf_token": token}
    assert client.post("/auth/login", data=form).status_code == 302
    page = client.get(f"/assessments/{assessment.id}/areas/security").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302

    url = f"/assessments/{assessment.id}/questions/se_drr_plan"
    data = {"se_drr_plan__value": "2", "se_drr_plan__version": "0"}
    refused = client.post(url, data=data, headers={**JSON, "X-CSRFToken": token})
    assert refused.status_code == 401
    assert refused.get_json()["message"] == "You are signed out. Sign in again, then retry."
    assert client.get("/assessments/signed-in", headers=JSON).status_code == 401

    sign_in_page = client.get("/auth/login").data.decode()
    form["csrf_token"] = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', sign_in_page
    )[1]
    assert client.post("/auth/login", data=form).status_code == 302
    stale = client.post(url, data=data, headers={**JSON, "X-CSRFToken": token})
    assert stale.status_code == 400  # the old session's token
    session = client.get("/assessments/signed-in", headers=JSON)
    assert session.headers["Cache-Control"] == "no-store"
    assert session.get_json()["user"] == editor.id and session.get_json()["name"] == "Eddy Editor"
    fresh = session.get_json()["csrf_token"]
    saved = client.post(url, data=data, headers={**JSON, "X-CSRFToken": fresh})
    assert saved.status_code == 200 and saved.get_json()["status"] == "saved"


def test_an_autosave_whose_session_no_longer_signs_anyone_in_gets_a_json_401(
    client, login, da_nang, make_assessment, db
):
    """The session cookie holds a valid CSRF token but names no one (signed out elsewhere):
    answers.js is told 401 in JSON, not sent to the sign-in page."""
    city, _, editor = da_nang
    assessment = make_assessment(city)
    login(client, editor)
    with client.session_transaction() as session:
        session["_user_id"] = f"{editor.id}:not-the-token"
    response = autosave(client, assessment, "se_drr_plan", value="2")
    assert response.status_code == 401
    assert response.get_json()["message"] == "You are signed out. Sign in again, then retry."
    assert answers_of(db, assessment) == {}


@pytest.mark.parametrize(
    ("line", "address", "description", "is_link"),
    [
        (
            "https://example.org/plan.pdf The adopted plan",
            "https://example.org/plan.pdf",
            "The adopted plan",
            True,
        ),
        ("  HTTP://example.org  ", "HTTP://example.org", "", True),
        ("javascript:alert(1) the plan", "javascript:alert(1)", "the plan", False),
        ("//evil.example/plan.pdf", "//evil.example/plan.pdf", "", False),
        ("http://[::1 broken host", "http://[::1", "broken host", False),
        ("Plan adopted in 2024", "Plan", "adopted in 2024", False),
    ],
)
def test_one_reading_of_an_evidence_line_for_the_form_the_pages_and_the_report(
    line, address, description, is_link
):
    from questionnaires import EvidenceLine

    evidence = EvidenceLine.parse(line)
    assert (evidence.address, evidence.description, evidence.is_link) == (
        address,
        description,
        is_link,
    )


# -- a number's year and source (ISO 37120: no indicator without both) -------------------------

FIGURE = "cs_women_senior_posts"  # a number question of asus-quick, in civic_social
SOURCE = "BPS Kota Da Nang, Da Nang in Figures 2025, table 4.1"


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]


def figure_fields(version="0", value="37.5", year="2024", source=SOURCE, **more) -> dict:
    """The area page's fields of FIGURE, as a browser sends them."""
    fields = {"value": value, "year": year, "source": source, "version": version, **more}
    return {f"{FIGURE}__{name}": text for name, text in fields.items()}


def field_value(page: str, name: str) -> str | None:
    found = re.search(rf'<input [^>]*name="{name}" [^>]*value="([^"]*)"', page)
    return found and found[1]


def test_a_figure_saved_with_its_year_and_source_shows_everywhere_it_is_read(
    make_app, login, da_nang, make_assessment, make_user, db
):
    """Through the area page with its CSRF token, as a browser: the year and source are kept,
    shown on the page, in the history (who changed them), the answers export, the API and the
    report; only number questions have them."""
    city, _, editor = da_nang
    assessment = make_assessment(city)
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    login(client, editor)
    url = f"/assessments/{assessment.id}/areas/civic_social"
    page = client.get(url).data.decode()
    assert 'for="cs_women_senior_posts__year">Year of the data</label>' in page
    assert 'for="cs_women_senior_posts__source">Source</label>' in page
    assert "The year the figure describes" in page
    assert "“BPS Kota Surabaya, Surabaya in Figures 2025, table 4.1”" in page
    assert 'name="cs_participation__year"' not in page  # a level question has none

    data = {"csrf_token": csrf_token(page), **figure_fields()}
    saved = client.post(url, data=data, follow_redirects=True).data.decode()
    assert "Saved 1 answer at" in saved
    assert field_value(saved, f"{FIGURE}__year") == "2024"
    assert field_value(saved, f"{FIGURE}__source") == SOURCE
    assert f"Year of the data: 2024 · Source: {SOURCE}" in saved
    answer = answers_of(db, assessment)[FIGURE]
    assert (answer.value, answer.data_year, answer.data_source) == (37.5, 2024, SOURCE)
    assert answer.revisions[-1].new | {"data_year": 2024, "data_source": SOURCE} == (
        answer.revisions[-1].new
    )

    # The lead corrects the source: the history says who changed what.
    lead_client = make_app().test_client()
    login(lead_client, da_nang[1])
    corrected = "BPS Kota Da Nang, Da Nang in Figures 2025, table 4.2"
    lead_client.post(url, data=figure_fields(version="1", source=corrected))
    history = client.get(f"/assessments/{assessment.id}/questions/{FIGURE}/history")
    text = history.data.decode()
    assert "2 changes, newest first" in text
    text = text[text.index("<tbody>") :]
    assert text.index("Lan Lead") < text.index("Eddy Editor")
    assert f"Source: {SOURCE}" in text and f"Source: {corrected}" in text
    assert text.count("Year of the data: 2024") == 3  # before and after, then the first

    # The network's answers export, the API and the report read the same.
    assessment.status = "approved"
    network = make_user("network")
    db.session.commit()
    reader = make_app().test_client()
    login(reader, network)
    export = reader.get("/network/export/answers.csv?status=any&cycle=2026")
    rows = list(csv.DictReader(io.StringIO(export.data.decode("utf-8-sig"))))
    row = next(r for r in rows if r["question_id"] == FIGURE)
    assert (row["data_year"], row["data_source"], row["carried_over"]) == ("2024", corrected, "no")
    other = next(r for r in rows if r["question_id"] != FIGURE) if len(rows) > 1 else None
    assert other is None or other["data_year"] == ""

    page = reader.post("/account/api-tokens", data={"name": "Dashboard"}).data.decode()
    token = re.search(r'<code class="token">([^<]+)</code>', page)[1]
    body = reader.get(
        f"/api/v1/assessments/{assessment.id}", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    given = {a["question"]: a for a in body["answers"]}
    assert (
        given[FIGURE] | {"value": 37.5, "data_year": 2024, "data_source": corrected}
        == (given[FIGURE])
    )
    assert given[FIGURE]["carried_over"] is False and given[FIGURE]["carried_over_from"] is None

    report = reader.get(f"/assessments/{assessment.id}/report").data.decode()
    assert f"Year of the data: 2024 · Source: {corrected}" in report
    assert "Where the indicator data come from" in report
    assert "Figures without the year of their data or their source: 0 of 1." in report


@pytest.mark.parametrize(
    "year",
    ["abc", "1800", "99999999999999999999", "1949", "２０２４", "2024.0", "-2024", "NEXT"],
)
def test_a_year_that_is_no_year_is_refused_with_a_message_and_nothing_saved_is_lost(
    client, login, da_nang, make_assessment, db, year
):
    city, _, editor = da_nang
    assessment = make_assessment(city)
    login(client, editor)
    url = f"/assessments/{assessment.id}/areas/civic_social"
    assert client.post(url, data=figure_fields()).status_code == 302
    year = str(utcnow().year + 2) if year == "NEXT" else year

    refused = client.post(url, data=figure_fields(version="1", value="40", year=year))
    assert refused.status_code == 400
    text = refused.data.decode()
    last = utcnow().year + 1
    assert f"Enter the year the figure describes as four digits, from 1950 to {last}" in text
    assert field_value(text, f"{FIGURE}__value") == "40"  # what was typed stays in the form
    autosaved = autosave(client, assessment, FIGURE, value="40", year=year, version="1")
    assert autosaved.status_code == 400
    assert "four digits" in autosaved.get_json()["errors"][f"{FIGURE}__year"][0]
    answer = answers_of(db, assessment)[FIGURE]
    assert (answer.value, answer.data_year, answer.data_source) == (37.5, 2024, SOURCE)
    assert answer.version == 1


def test_a_source_that_is_too_long_or_has_control_characters_or_nul_is_refused(
    client, login, da_nang, make_assessment, db
):
    city, _, editor = da_nang
    assessment = make_assessment(city)
    login(client, editor)
    url = f"/assessments/{assessment.id}/areas/civic_social"
    assert client.post(url, data=figure_fields()).status_code == 302
    cases = {
        "x" * 301: "Field cannot be longer than 300 characters.",
        "BPS\tKota": "Write the source on one line",
        "BPS\x1bKota": "Write the source on one line",
    }
    for source, message in cases.items():
        refused = client.post(url, data=figure_fields(version="1", source=source))
        assert refused.status_code == 400 and message in refused.data.decode(), source
    for fields in ({"source": "BPS\x00Kota"}, {"year": "20\x0024"}):
        nul = client.post(url, data=figure_fields(version="1", **fields))
        assert nul.status_code == 400 and "null character" in nul.data.decode()
    # A year from 1950 to next year is one; a value without a year is allowed.
    assert client.post(url, data=figure_fields(version="1", year="1950")).status_code == 302
    assert answers_of(db, assessment)[FIGURE].data_year == 1950
    assert client.post(url, data=figure_fields(version="2", year="")).status_code == 302
    answer = answers_of(db, assessment)[FIGURE]
    assert (answer.value, answer.data_year, answer.data_source) == (37.5, None, SOURCE)
    page = client.get(url).data.decode()
    assert f"No year given</strong> · Source: {SOURCE}" in page


@pytest.fixture
def one_figure_two_people(app, login, da_nang, make_assessment):
    """A figure saved by the lead (version 1), and the lead and the editor each in a browser of
    their own: (assessment, lead's browser, editor's browser, the area's URL, the editor)."""
    city, lead, editor = da_nang
    assessment = make_assessment(city)
    first, second = app.test_client(), app.test_client()
    login(first, lead)
    login(second, editor)
    url = f"/assessments/{assessment.id}/areas/civic_social"
    assert first.post(url, data=figure_fields()).status_code == 302
    return assessment, first, second, url, editor


def test_one_fixing_the_source_while_another_changes_the_value_both_land(one_figure_two_people, db):
    assessment, first, second, url, editor = one_figure_two_people
    # Both saw version 1: the lead changes the value, the editor the source.
    assert first.post(url, data=figure_fields(version="1", value="41")).status_code == 302
    fixed = "BPS Kota Da Nang, Da Nang in Figures 2025, table 4.2"
    merged = second.post(url, data=figure_fields(version="1", source=fixed))
    assert merged.status_code == 302
    answer = answers_of(db, assessment)[FIGURE]
    assert (answer.value, answer.data_year, answer.data_source) == (41, 2024, fixed)
    assert answer.version == 3 and answer.revisions[-1].changed_by_id == editor.id


def test_both_changing_the_source_is_a_conflict_that_shows_both(one_figure_two_people, db):
    assessment, first, second, url, _editor = one_figure_two_people
    theirs, yours = "Statistical Yearbook 2025, p. 12", "Department of Home Affairs, 2025 list"
    assert first.post(url, data=figure_fields(version="1", source=theirs)).status_code == 302
    clash = second.post(url, data=figure_fields(version="1", value="41", source=yours))
    assert clash.status_code == 409
    text = clash.data.decode()
    assert "Year and source of the data: changed by both of you." in text
    assert f"Their answer: Year of the data: 2024; Source: {theirs}" in text
    assert f"Your answer (still in the form): Year of the data: 2024; Source: {yours}" in text
    assert "Answer: only you changed it; yours is kept: 41" in text
    assert field_value(text, f"{FIGURE}__source") == yours
    answer = answers_of(db, assessment)[FIGURE]
    assert (answer.value, answer.data_source, answer.version) == (37.5, theirs, 2)

    autosaved = autosave(second, assessment, FIGURE, value="41", year="2024", source=yours)
    body = autosaved.get_json()
    assert autosaved.status_code == 409
    data = next(d for d in body["differences"] if d["part"] == "Year and source of the data")
    assert theirs in data["theirs"] and yours in data["yours"] and data["kept"] is None


def test_carried_over_figures_keep_their_year_and_source_and_say_where_they_come_from(
    app, client, login, da_nang, make_assessment, make_user, db
):
    from toolkit.assessments.answering import AnswerInput, save_answers

    city, lead, _ = da_nang
    earlier = make_assessment(city, cycle=2025, status="approved")
    figure = AnswerInput(value=35, data_year=2024, data_source=SOURCE)
    save_answers(earlier, {FIGURE: figure, "se_drr_plan": AnswerInput(value=2)}, lead)
    db.session.commit()
    login(client, lead)
    client.post(
        "/cities/da-nang/assessments/new",
        data={"questionnaire": "asus-quick", "cycle": "2026", "carry_over": str(earlier.id)},
    )
    new = db.session.execute(db.select(Assessment).filter_by(cycle=2026)).scalar_one()
    answer = answers_of(db, new)[FIGURE]
    assert (answer.value, answer.data_year, answer.data_source) == (35, 2024, SOURCE)
    assert answer.carried_over and new.carried_over_cycle == 2025
    assert answer.revisions[0].new["data_source"] == SOURCE

    url = f"/assessments/{new.id}/areas/civic_social"
    page = client.get(url).data.decode()
    assert f"Year of the data: 2024 · Source: {SOURCE}" in page
    assert "carried over from 2025" in page
    assert field_value(page, f"{FIGURE}__source") == SOURCE
    report = client.get(f"/assessments/{new.id}/report").data.decode()
    assert "carried over from 2025" in report
    assert "Carried over and not yet confirmed: 1." in report

    new.status = "approved"  # for the export's filter, then back
    network = make_user("network")
    db.session.commit()
    reader = app.test_client()
    login(reader, network)
    export = reader.get("/network/export/answers.csv?status=any&cycle=2026")
    rows = list(csv.DictReader(io.StringIO(export.data.decode("utf-8-sig"))))
    row = next(r for r in rows if r["question_id"] == FIGURE)
    assert (row["data_year"], row["data_source"], row["carried_over"]) == ("2024", SOURCE, "yes")
    new.status = "draft"
    db.session.commit()

    # Confirmed unchanged: no longer carried over, year and source kept.
    confirmed = client.post(url, data=figure_fields(version="1", value="35", confirm="y"))
    assert confirmed.status_code == 302
    answer = answers_of(db, new)[FIGURE]
    assert not answer.carried_over and (answer.data_year, answer.data_source) == (2024, SOURCE)
    assert "carried over from 2025" not in client.get(url).data.decode()


def test_figures_without_a_year_or_source_are_a_warning_before_submitting_not_a_block(
    client, login, da_nang, make_assessment, make_user, db
):
    from toolkit.assessments.answering import AnswerInput, save_answers
    from toolkit.core import instrument

    city, lead, _ = da_nang
    quick = instrument.latest("asus-quick")
    assessment = make_assessment(city, answers={q.id: 1 for q in quick.questions()})
    given = {
        "hw_water_connections": AnswerInput(value=80, data_year=2025, data_source="PDAM 2025"),
        "qe_waste_collection": AnswerInput(value=70, data_source="DLH report"),
    }
    save_answers(assessment, given, lead)
    db.session.commit()
    login(client, lead)
    overview = client.get(f"/assessments/{assessment.id}").data.decode()
    assert "3 figures have no year of their data or no source." in overview
    warning = overview[overview.index('id="undocumented"') :]
    assert f"#q-{FIGURE}" in warning and "#q-qe_waste_collection" in warning
    assert "#q-hw_water_connections" not in warning  # it has both
    assert "No year given" in warning and "No source given" in warning

    submitted = client.post(f"/assessments/{assessment.id}/submit", follow_redirects=True)
    assert "Submitted for review" in submitted.data.decode()
    login(client, make_user("network"))
    review = client.get(f"/assessments/{assessment.id}/review").data.decode()
    assert "Year of the data: 2025 · Source: PDAM 2025" in review
    assert "No year given</strong> · Source: DLH report" in review
