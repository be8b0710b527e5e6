"""Answering through autosave (JSON), carried-over answers, area assignments, question history
and questions shown only after an earlier answer (show_if), through the real app and database."""

import re

import pytest

from toolkit.models import Answer, Assessment

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
    from toolkit import instrument

    for q in instrument.latest(quick).questions():
        if q.id not in answers:
            autosave(client, new, q.id, value="1")
    refused = client.post(f"/assessments/{new.id}/submit", follow_redirects=True)
    assert "2 answer(s) carried over from the previous cycle still need" in refused.data.decode()

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
    from toolkit import instrument
    from toolkit.answers import create_assessment

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
    from toolkit.answers import scorecard

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
