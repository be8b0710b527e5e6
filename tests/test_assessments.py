"""Filling an assessment through the web pages: start, answer, conflicts, submit, results."""

import re

import pytest

from toolkit.assessments.models import Answer, Assessment


@pytest.fixture
def da_nang(make_city, make_user, db):
    city = make_city("da-nang")
    lead, editor = (
        make_user("city_lead", city, name="Lan Lead"),
        make_user("city_editor", city, name="Eddy Editor"),
    )
    db.session.commit()
    return city, lead, editor


def test_a_lead_starts_an_assessment_once_per_cycle(client, login, da_nang, db):
    _, lead, _ = da_nang
    login(client, lead)
    response = client.post(
        "/cities/da-nang/assessments/new", data={"questionnaire": "asus-quick", "cycle": "2026"}
    )
    assessment = db.session.execute(db.select(Assessment)).scalar_one()
    assert response.headers["Location"] == f"/assessments/{assessment.id}"
    overview = client.get(response.headers["Location"]).data.decode()
    assert assessment.questionnaire_version == "2026.2"  # a new assessment takes the newest
    assert "0 of 8 answered" in overview and "39 required questions have no answer yet." in overview
    again = client.post(
        "/cities/da-nang/assessments/new", data={"questionnaire": "asus-quick", "cycle": "2026"}
    )
    assert b"The city already has this assessment for this cycle." in again.data


def test_an_editor_answers_an_area_and_the_answers_come_back(
    client, login, da_nang, make_assessment, db
):
    city, _, editor = da_nang
    assessment = make_assessment(city)
    db.session.commit()
    login(client, editor)
    url = f"/assessments/{assessment.id}/areas/civic_social"
    page = client.get(url).data.decode()
    assert "0. " in page and "Residents" in page  # every level with its descriptor
    assert "Unit: %." in page and "Accepted: 0 to 100." in page
    response = client.post(
        url,
        data={
            "cs_participation__value": "2",
            "cs_participation__version": "0",
            "cs_participation__comment": '<script>alert("x")</script>',
            "cs_participation__evidence": "https://danang.gov.vn/b2026 Budget hearing minutes",
            "cs_women_senior_posts__value": "31.5",
            "cs_informal_settlements__na": "y",
            "cs_informal_settlements__reason": "No informal settlements in the 2024 survey",
        },
        follow_redirects=True,
    )
    text = response.data.decode()
    assert "Saved 3 answers at" in text
    assert 'value="2" checked' in text or 'checked value="2"' in text or "checked" in text
    assert "31.5" in text and "No informal settlements in the 2024 survey" in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text and "<script>alert" not in text
    answers = {a.question_id: a for a in db.session.execute(db.select(Answer)).scalars()}
    assert answers["cs_participation"].value == 2
    assert answers["cs_participation"].evidence == [
        "https://danang.gov.vn/b2026 Budget hearing minutes"
    ]
    assert answers["cs_informal_settlements"].not_applicable
    assert answers["cs_participation"].updated_by_id == editor.id


def test_bad_input_is_explained_and_nothing_is_lost(client, login, da_nang, make_assessment, db):
    city, _, editor = da_nang
    assessment = make_assessment(city)
    db.session.commit()
    login(client, editor)
    url = f"/assessments/{assessment.id}/areas/civic_social"
    response = client.post(
        url,
        data={
            "cs_participation__value": "3",
            "cs_women_senior_posts__value": "140",
            "cs_global_agendas__evidence": "javascript:alert(1) click me",
            "cs_informal_settlements__na": "y",
        },
    )
    assert response.status_code == 400
    text = response.data.decode()
    assert "Number must be between 0 and 100." in text
    assert "Each line starts with a link beginning with http:// or https://" in text
    assert "Say why this does not apply to the city." in text
    assert "javascript:alert(1) click me" in text  # what was typed stays in the form
    assert db.session.execute(db.select(Answer)).first() is None


def test_two_people_on_one_question_see_both_values(app, login, da_nang, make_assessment, db):
    city, lead, editor = da_nang
    assessment = make_assessment(city)
    db.session.commit()
    url = f"/assessments/{assessment.id}/areas/security"
    first, second = app.test_client(), app.test_client()
    login(first, lead)
    login(second, editor)
    # Both opened the page when nothing was answered (version 0).
    first.post(url, data={"se_drr_plan__value": "3", "se_drr_plan__version": "0"})
    clash = second.post(
        url,
        data={
            "se_drr_plan__value": "1",
            "se_drr_plan__version": "0",
            "se_early_warning__value": "2",
            "se_early_warning__version": "0",
        },
    )
    assert clash.status_code == 409
    db.session.rollback()  # what the end of the request does with anything not committed
    text = clash.data.decode()
    assert "Changed by Lan Lead at" in text
    assert "Their answer: level 3:" in text and "Your answer (still in the form): level 1:" in text
    answers = {a.question_id: a for a in db.session.execute(db.select(Answer)).scalars()}
    assert answers["se_drr_plan"].value == 3  # never silently overwritten
    assert answers["se_early_warning"].value == 2  # the rest of the page was saved
    # Saving again (the form now carries the version they have seen) keeps the editor's answer.
    again = second.post(
        url,
        data={
            "se_drr_plan__value": "1",
            "se_drr_plan__version": "1",
            "se_early_warning__value": "2",
            "se_early_warning__version": "1",
        },
    )
    assert again.status_code == 302
    assert answers["se_drr_plan"].value == 1 and len(answers["se_drr_plan"].revisions) == 2


def test_submitting_needs_every_required_answer_then_locks(
    client, login, da_nang, make_assessment, db
):
    from toolkit.core import instrument

    city, lead, _ = da_nang
    quick = instrument.latest("asus-quick")
    answers = {q.id: 1 for q in quick.questions() if q.type == "level"}
    assessment = make_assessment(city, answers=answers)
    db.session.commit()
    login(client, lead)
    refused = client.post(f"/assessments/{assessment.id}/submit", follow_redirects=True)
    text = refused.data.decode()
    assert "4 required questions still need an answer" in text
    assert f"/assessments/{assessment.id}/areas/civic_social#q-cs_women_senior_posts" in text
    assert assessment.status == "draft"

    # The four number indicators are left: answer each on its area page, the rest unchanged.
    for question in quick.questions():
        if question.type == "number":
            area = [qid for qid in answers if quick.question(qid).area_id == question.area_id]
            form = {f"{question.id}__value": "50", f"{question.id}__version": "0"}
            form |= {f"{qid}__value": "1" for qid in area} | {
                f"{qid}__version": "1" for qid in area
            }
            page = f"/assessments/{assessment.id}/areas/{question.area_id}"
            assert client.post(page, data=form).status_code == 302
    done = client.post(f"/assessments/{assessment.id}/submit", follow_redirects=True)
    assert b"Submitted for review." in done.data
    assert assessment.status == "submitted"
    locked = client.post(
        f"/assessments/{assessment.id}/areas/security", data={"se_drr_plan__value": "3"}
    )
    assert locked.status_code == 403
    page = client.get(f"/assessments/{assessment.id}/areas/security").data.decode()
    assert "This assessment can no longer be changed." in page and "Save this page" not in page


def test_results_explain_every_score(client, login, da_nang, make_assessment, db):
    city, _, editor = da_nang
    assessment = make_assessment(
        city, answers={"se_drr_plan": 1, "se_early_warning": 3, "cs_participation": 0}
    )
    db.session.commit()
    login(client, editor)
    text = client.get(f"/assessments/{assessment.id}/results").data.decode()
    assert "Security 66.7 = mean of" in text
    assert "Overall" in text and "Provisional" in text
    assert "Priority recommendations" in text
    assert "Reaching it adds" in text


def test_review_returns_with_notes_then_approves_and_an_admin_reopens(
    app, login, da_nang, make_user, make_assessment, db
):
    city, _, editor = da_nang
    assessment = make_assessment(city, answers={"se_drr_plan": 2}, status="submitted", by=editor)
    reviewer, admin = make_user("network", name="Rina Reviewer"), make_user("admin")
    db.session.commit()
    network, city_browser, admin_browser = app.test_client(), app.test_client(), app.test_client()
    login(network, reviewer)
    login(city_browser, editor)
    login(admin_browser, admin)
    review = f"/assessments/{assessment.id}/review"

    page = network.get(review).data.decode()
    assert "level 2:" in page  # the reviewer reads the answers
    missing = network.post(review, data={"decision": "return"})
    assert b"Say what the city should change." in missing.data
    network.post(
        review,
        data={
            "decision": "return",
            "comment": "Attach the adopted plan.",
            "note__se_drr_plan": "<b>Which</b> council resolution adopted it?",
        },
    )
    assert assessment.status == "returned"
    overview = city_browser.get(f"/assessments/{assessment.id}").data.decode()
    assert "Returned by the reviewer:" in overview and "Attach the adopted plan." in overview
    area = city_browser.get(f"/assessments/{assessment.id}/areas/security").data.decode()
    assert "Reviewer&#39;s note:" in area or "Reviewer's note:" in area
    assert "&lt;b&gt;Which&lt;/b&gt; council resolution adopted it?" in area
    saved = city_browser.post(
        f"/assessments/{assessment.id}/areas/security",
        data={"se_drr_plan__value": "3", "se_drr_plan__version": "1"},
    )
    assert saved.status_code == 302  # a returned assessment can be edited again

    assessment.status = "submitted"
    db.session.commit()
    network.post(review, data={"decision": "approve", "comment": ""})
    assert assessment.status == "approved"
    assert city_browser.post(f"/assessments/{assessment.id}/areas/security").status_code == 403
    # Nothing is left to review: the overview says so (tests/test_workflow.py has every step).
    again = network.get(review, follow_redirects=True).data.decode()
    assert "This assessment is not waiting for review: it is Approved." in again

    reopen = f"/assessments/{assessment.id}/reopen"
    assert network.get(reopen).status_code == 403
    admin_browser.post(reopen, data={"reason": "The 2026 flood data arrived late."})
    assert assessment.status == "returned"
    timeline = city_browser.get(f"/assessments/{assessment.id}/timeline").data.decode()
    for event in ("Reopened", "Approved", "Returned with comments", "Answers saved", "Started"):
        assert event in timeline
    assert "Rina Reviewer" in timeline


def test_results_draw_the_radar_and_the_change_since_the_previous_cycle(
    client, login, da_nang, make_assessment, db
):
    city, _, editor = da_nang
    make_assessment(city, cycle=2025, answers={"se_drr_plan": 1}, status="approved")
    now = make_assessment(city, cycle=2026, answers={"se_drr_plan": 3})
    db.session.commit()
    login(client, editor)
    text = client.get(f"/assessments/{now.id}/results").data.decode()
    svg = text[text.index("<svg") : text.index("</svg>") + 6]
    assert 'role="img"' in svg and "Scores of the six areas, 0 to 100" in svg
    assert svg.count("radar-series radar-primary") >= 1
    assert "radar-comparison" in svg  # the 2025 line
    assert "The dashed line is the city's 2025 assessment (Approved)." in text
    security = text[text.index('<th scope="row">Security</th>') :].split("</tr>")[0]
    cells = re.findall(r'<td class="number">([^<]*)</td>', security)
    assert cells == ["100.0", "33.3", "+66.7"]


def test_the_start_rules_refuse_a_second_assessment_and_a_carry_over_that_does_not_fit(
    da_nang, make_assessment, db
):
    from toolkit.assessments.answering import start_problems

    city, _, _ = da_nang
    quick_2025 = make_assessment(city, cycle=2025)
    detailed_2024 = make_assessment(city, "asus-detailed", cycle=2024)
    db.session.refresh(city)
    assert start_problems(city, "asus-quick", 2026, None) == {}
    assert start_problems(city, "asus-quick", 2026, quick_2025) == {}
    assert set(start_problems(city, "asus-quick", 2025, None)) == {"cycle"}
    # From another questionnaire, from the same cycle or a later one: nothing is carried over.
    assert set(start_problems(city, "asus-quick", 2026, detailed_2024)) == {"carry_over"}
    assert set(start_problems(city, "asus-detailed", 2023, detailed_2024)) == {"carry_over"}


def test_submitting_waits_for_carried_over_answers_first_then_required_ones(
    da_nang, make_assessment, db
):
    from toolkit.assessments.answering import AnswerInput, create_assessment, save_answers
    from toolkit.assessments.lifecycle import SubmitBlocked, submit_blocked
    from toolkit.assessments.scores import questionnaire_of, scorecard
    from toolkit.core import instrument

    city, lead, _ = da_nang
    quick = instrument.latest("asus-quick")
    levels = {q.id: 1 for q in quick.questions() if q.type == "level"}
    numbers = {q.id: 50 for q in quick.questions() if q.type == "number" and q.required}
    earlier = make_assessment(city, cycle=2025, answers=levels)
    assessment = create_assessment(
        city, questionnaire_of(earlier), 2026, lead, carry_over_from=earlier
    )
    blocked = submit_blocked(assessment, scorecard(assessment))
    assert blocked == SubmitBlocked("carried_over", len(levels))

    confirmed = {qid: AnswerInput(value=value, confirm=True) for qid, value in levels.items()}
    save_answers(assessment, confirmed, lead)
    db.session.refresh(assessment)
    blocked = submit_blocked(assessment, scorecard(assessment))
    assert blocked == SubmitBlocked("missing_required", len(numbers))

    save_answers(assessment, {qid: AnswerInput(value=v) for qid, v in numbers.items()}, lead)
    db.session.refresh(assessment)
    assert submit_blocked(assessment, scorecard(assessment)) is None


def test_a_persons_assigned_areas_come_first_and_the_next_question_is_in_them(
    da_nang, make_assessment, db
):
    from toolkit.assessments.answering import assign_areas, work_order
    from toolkit.assessments.scores import scorecard

    city, lead, editor = da_nang
    assessment = make_assessment(city)
    assign_areas(assessment, {"security": {editor.id}}, lead)
    card = scorecard(assessment)

    mine = work_order(assessment, card, editor)
    assert mine.mine == {"security"}
    assert mine.areas[0].area.id == "security"
    assert mine.next_question.area_id == "security"
    assert [u.id for u in mine.assigned["security"]] == [editor.id]

    theirs = work_order(assessment, card, lead)
    assert theirs.mine == set()
    assert [a.area.id for a in theirs.areas] == [a.area.id for a in card.areas]
    assert theirs.next_question.area_id == card.areas[0].area.id
