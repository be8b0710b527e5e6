"""Action plans through the real stack: a city's actions from its recommendations, their notes,
who may do what, stale edits, the plan's filters and exports, the carry-over to the next cycle,
the report's facts, and the network's counts."""

import csv
import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from reports import fingerprint
from toolkit.actions.models import Action
from toolkit.reporting.service import report_of

CONTINGENCY = "Write a contingency plan that says who does what in the city"


def fields(**changes):
    """A complete action form, with `changes`."""
    values = {
        "title": "Write the contingency plan",
        "description": "",
        "department": "Disaster management office",
        "responsible": "Ibu Sari",
        "responsible_id": "0",
        "start_on": "2026-02-01",
        "due_on": "2027-06-30",
        "status": "planned",
        "dropped_reason": "",
        "budget_line": "BPBD 2026",
        "budget_amount": "250000000",
        "budget_currency": "IDR",
    }
    return {**values, **changes}


@pytest.fixture
def city(db, make_city, make_user, make_assessment):
    """Surabaya with a 2026 draft (the disaster plan answered at its lowest), its lead and editor,
    another city's lead, and network staff."""
    surabaya = make_city("surabaya", "ID")
    other = make_city("da-nang", "VN")
    assessment = make_assessment(surabaya, answers={"se_drr_plan": 0})
    people = {
        "lead": make_user("city_lead", surabaya, name="Lead Surabaya"),
        "editor": make_user("city_editor", surabaya, name="Editor Surabaya"),
        "other_lead": make_user("city_lead", other),
        "network": make_user("network"),
        "admin": make_user("admin"),
    }
    db.session.commit()
    return surabaya, assessment, people


def create(client, assessment, **changes):
    url = f"/assessments/{assessment.id}/actions/new"
    return client.post(url, data={"question": "se_drr_plan", **fields(**changes)})


def action_of(db, title="Write the contingency plan") -> Action:
    db.session.expire_all()
    return db.session.execute(db.select(Action).filter_by(title=title)).scalar_one()


def edit(client, action, **changes):
    data = fields(**changes)
    data.setdefault("version", str(action.version))
    return client.post(f"/actions/{action.id}/edit", data=data)


def test_the_form_starts_from_the_recommendation(client, login, city):
    _, assessment, people = city
    login(client, people["lead"])
    page = client.get(f"/assessments/{assessment.id}/actions/new?question=se_drr_plan")
    text = page.data.decode()
    assert page.status_code == 200
    assert CONTINGENCY in text
    assert 'value="Disaster management office"' in text
    assert '<option selected value="IDR">' in text
    results = client.get(f"/assessments/{assessment.id}/results").data.decode()
    assert f"/assessments/{assessment.id}/actions/new?question=se_drr_plan" in results
    assert (
        f"/assessments/{assessment.id}/actions"
        in client.get(f"/assessments/{assessment.id}").data.decode()
    )


def test_the_form_is_in_the_persons_language(client, login, city):
    _, assessment, people = city
    login(client, people["lead"])
    client.post("/language", data={"language": "th"})
    text = client.get(f"/assessments/{assessment.id}/actions/new?question=se_drr_plan").data
    assert "จัดทำแผนเผชิญเหตุ" in text.decode()


def test_create_edit_close_and_reopen(client, login, city, db):
    _, assessment, people = city
    login(client, people["lead"])
    response = create(client, assessment, responsible_id=str(people["editor"].id))
    assert response.status_code == 303
    action = action_of(db)
    assert (action.question_id, action.area_id) == ("se_drr_plan", "security")
    assert action.responsible_id == people["editor"].id
    page = client.get(f"/actions/{action.id}").data.decode()
    assert "IDR 250,000,000.00" in page and "Ibu Sari" in page and "Editor Surabaya" in page

    assert edit(client, action, status="in_progress", title="Plan for floods").status_code == 303
    action = action_of(db, "Plan for floods")
    assert action.status == "in_progress" and action.closed_on is None and action.version == 2
    assert edit(client, action, title="Plan for floods", status="done").status_code == 303
    action = action_of(db, "Plan for floods")
    assert action.closed_on == date.today()
    assert [n.status for n in action.notes] == ["in_progress", "done"]
    assert "Status now: Done" in client.get(f"/actions/{action.id}").data.decode()
    # Reopened: no longer closed.
    assert edit(client, action, title="Plan for floods", status="in_progress").status_code == 303
    assert action_of(db, "Plan for floods").closed_on is None
    # An approved assessment's actions are what the city does next: they stay editable.
    assessment.status = "approved"
    db.session.commit()
    action = action_of(db, "Plan for floods")
    assert edit(client, action, title="Plan for floods", status="done").status_code == 303


def test_a_dropped_action_needs_a_reason(client, login, city, db):
    _, assessment, people = city
    login(client, people["lead"])
    create(client, assessment)
    action = action_of(db)
    refused = edit(client, action, status="dropped")
    assert refused.status_code == 400
    assert "Say why the action is dropped." in refused.data.decode()
    assert action_of(db).status == "planned"
    assert (
        edit(client, action, status="dropped", dropped_reason="The province does it").status_code
        == 303
    )
    action = action_of(db)
    assert (action.status, action.dropped_reason) == ("dropped", "The province does it")
    assert action.closed_on == date.today()
    assert action.notes[-1].text == "The province does it"


def test_a_stale_edit_is_refused_showing_both_values(client, login, city, db, app):
    _, assessment, people = city
    login(client, people["lead"])
    create(client, assessment)
    action = action_of(db)
    opened = str(action.version)
    assert edit(client, action, due_on="2026-07-31").status_code == 303
    stale = edit(client, action, due_on="2026-09-30", version=opened)
    text = stale.data.decode()
    assert stale.status_code == 409
    assert "someone else changed this action" in text
    assert "2026-07-31" in text and "2026-09-30" in text
    assert action_of(db).due_on == date(2026, 7, 31)
    # Saving again from the refused form (its version is now the current one) keeps the person's.
    version = re.search(r'name="version" type="hidden" value="(\d+)"', text) or re.search(
        r'name="version" value="(\d+)"', text
    )
    again = edit(client, action, due_on="2026-09-30", version=version.group(1))
    assert again.status_code == 303
    assert action_of(db).due_on == date(2026, 9, 30)


def test_editors_read_and_note_but_do_not_edit(client, login, city, db):
    _, assessment, people = city
    login(client, people["lead"])
    create(client, assessment)
    action = action_of(db)
    login(client, people["editor"])
    assert client.get(f"/assessments/{assessment.id}/actions").status_code == 200
    assert client.get(f"/actions/{action.id}/edit").status_code == 403
    assert edit(client, action, title="Mine").status_code == 403
    assert (
        client.post(f"/assessments/{assessment.id}/actions/new", data=fields()).status_code == 403
    )
    noted = client.post(f"/actions/{action.id}/notes", data={"text": "Draft sent to the mayor"})
    assert noted.status_code == 303
    page = client.get(f"/actions/{action.id}").data.decode()
    assert "Draft sent to the mayor" in page and "Editor Surabaya" in page
    assert f"/actions/{action.id}/edit" not in page


def test_another_citys_lead_gets_404_everywhere(client, login, city, db):
    _, assessment, people = city
    login(client, people["lead"])
    create(client, assessment)
    action = action_of(db)
    login(client, people["other_lead"])
    for method, url in [
        ("GET", f"/assessments/{assessment.id}/actions"),
        ("GET", f"/assessments/{assessment.id}/actions.csv"),
        ("GET", f"/assessments/{assessment.id}/actions.xlsx"),
        ("GET", f"/assessments/{assessment.id}/actions/new"),
        ("POST", f"/assessments/{assessment.id}/actions/new"),
        ("GET", f"/actions/{action.id}"),
        ("GET", f"/actions/{action.id}/edit"),
        ("POST", f"/actions/{action.id}/edit"),
        ("POST", f"/actions/{action.id}/notes"),
        ("GET", "/cities/surabaya/actions"),
    ]:
        response = client.open(url, method=method, data=fields())
        assert response.status_code == 404, url
        assert b"Write the contingency" not in response.data
    assert client.get("/network/actions").status_code == 403


def test_network_staff_read_but_never_post(client, login, city, db):
    _, assessment, people = city
    login(client, people["lead"])
    create(client, assessment)
    action = action_of(db)
    login(client, people["network"])
    assert b"Write the contingency plan" in client.get(f"/assessments/{assessment.id}/actions").data
    assert client.get(f"/actions/{action.id}").status_code == 200
    assert edit(client, action, title="Theirs").status_code == 403
    assert client.post(f"/actions/{action.id}/notes", data={"text": "x"}).status_code == 403
    assert (
        client.post(f"/assessments/{assessment.id}/actions/new", data=fields()).status_code == 403
    )
    assert action_of(db).notes == []


def test_exports_hold_the_plan_and_defuse_formulas(client, login, city, db):
    _, assessment, people = city
    login(client, people["lead"])
    create(client, assessment, title="=cmd|' /C calc'!A0")
    create(client, assessment, title="ไทย: train the wardens", status="done")
    response = client.get(f"/assessments/{assessment.id}/actions.csv")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:5] == ["city", "planned_in", "area", "question_id", "title"]
    titles = {row[4]: row for row in rows[1:]}
    assert "'=cmd|' /C calc'!A0" in titles
    assert titles["ไทย: train the wardens"][9] == "done"
    assert titles["'=cmd|' /C calc'!A0"][14] == "250000000.0"
    only_done = client.get(f"/assessments/{assessment.id}/actions.csv?status=done").data
    assert b"calc" not in only_done and "ไทย".encode() in only_done

    book = load_workbook(io.BytesIO(client.get(f"/assessments/{assessment.id}/actions.xlsx").data))
    values = [[c.value for c in row] for row in book["data"].iter_rows()]
    assert "'=cmd|' /C calc'!A0" in [row[4] for row in values]
    assert any(row[0] == "last_note" for row in book["README"].iter_rows(values_only=True))


def test_filters_and_sort(client, login, city, db):
    _, assessment, people = city
    login(client, people["lead"])
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    create(
        client, assessment, title="Late one", start_on="", due_on=yesterday, responsible="Pak Budi"
    )
    create(client, assessment, title="Later one", start_on="", due_on="2099-01-01")
    url = f"/assessments/{assessment.id}/actions"
    page = client.get(url).data.decode()
    assert page.index("Late one") < page.index("Later one")
    assert "overdue" in page  # in words, not only a colour
    overdue = client.get(url + "?overdue=yes").data.decode()
    assert "Late one" in overdue and "Later one" not in overdue
    by_person = client.get(url + "?responsible=budi").data.decode()
    assert "Late one" in by_person and "Later one" not in by_person
    assert "Late one" not in client.get(url + "?area=health_wellbeing").data.decode()
    assert (
        "Late one" in client.get(url + "?area=security&status=planned&sort=priority").data.decode()
    )
    # Unknown values filter nothing, rather than failing.
    assert client.get(url + "?sort=nonsense&status=%E0%B9%84").status_code == 200


def test_two_cycles_carry_over_and_done_since(client, login, city, db, make_assessment):
    surabaya, first, people = city
    login(client, people["lead"])
    create(client, first, title="Still open")
    create(client, first, title="Done one", status="done")
    create(client, first, title="Dropped one", status="dropped", dropped_reason="No money")
    # Done a month ago, in the 2026 cycle that began two months ago.
    action_of(db, "Done one").closed_on = date.today() - timedelta(days=30)
    first.created_at -= timedelta(days=60)
    db.session.commit()
    db.session.expire_all()
    second = make_assessment(surabaya, cycle=2027, answers={"se_drr_plan": 2})
    db.session.commit()
    create(client, second, title="New in 2027")

    page = client.get(f"/assessments/{second.id}/actions").data.decode()
    assert "Still open" in page and "New in 2027" in page
    row = page[page.index("Still open") :].split("</tr>")[0]
    assert "from 2026" in row
    done = page[page.index("Done since the last cycle") :]
    assert "Done one" in done
    cells = re.sub(r"\s+", " ", done[: done.index("</table>")])
    # The area's score and the question's points, then (2026) and now (2027).
    assert "<td>0.0 → 66.7 <strong>(up)</strong></td>" in cells
    assert "<td>0.0 → 2.0 <strong>(up)</strong></td>" in cells
    assert "Still open" not in cells

    # A closed action of the earlier cycle is history: read-only.
    closed = action_of(db, "Done one")
    assert client.get(f"/actions/{closed.id}/edit").status_code == 403
    assert edit(client, closed, title="Done one", status="in_progress").status_code == 403
    shown = client.get(f"/actions/{closed.id}").data.decode()
    assert "kept as the record" in shown and f"/actions/{closed.id}/edit" not in shown
    assert client.post(f"/actions/{closed.id}/notes", data={"text": "Late"}).status_code == 403
    # An open one of the earlier cycle is still the city's to change: closed by mistake on
    # the plan the city works on, it can be reopened.
    closing = edit(client, action_of(db, "Still open"), title="Still open", status="done")
    assert closing.status_code == 303
    reopening = edit(client, action_of(db, "Still open"), title="Still open", status="planned")
    assert reopening.status_code == 303
    assert (
        edit(
            client, action_of(db, "Still open"), title="Still open", status="in_progress"
        ).status_code
        == 303
    )
    everything = client.get("/cities/surabaya/actions").data.decode()
    assert all(t in everything for t in ("Still open", "Done one", "Dropped one", "New in 2027"))
    exported = client.get("/cities/surabaya/actions?format=csv&status=dropped").data.decode()
    assert "Dropped one" in exported and "No money" in exported and "Still open" not in exported


def test_the_report_holds_the_plan_and_a_change_makes_a_new_pdf(client, login, city, db):
    _, assessment, people = city
    login(client, people["lead"])
    create(client, assessment)
    action = action_of(db)
    client.post(f"/actions/{action.id}/notes", data={"text": "Budget approved"})
    db.session.expire_all()
    report = report_of(assessment)
    (facts,) = report.actions
    assert facts.title == "Write the contingency plan"
    assert (facts.planned_in, facts.area_id, facts.question_id) == (2026, "security", "se_drr_plan")
    assert facts.budget == "IDR 250,000,000.00"
    assert facts.last_note == "Budget approved"
    before = fingerprint(report)
    edit(client, action_of(db), due_on="2026-12-31")
    db.session.expire_all()
    assert fingerprint(report_of(assessment)) != before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"due_on": "2026-01-01"}, "The due date cannot be before the start date."),
        ({"budget_amount": "-1"}, "The amount must be 0 or more"),
        ({"budget_amount": "1e309"}, "The amount must be 0 or more"),
        ({"budget_amount": "NaN"}, "The amount must be 0 or more"),
        ({"budget_amount": "12.345"}, "at most 2 decimals"),
        ({"budget_amount": "lots"}, "Write the amount as a number"),
        ({"responsible_id": "99999999999999999999"}, "Not a valid choice"),
        ({"start_on": "2026-02-30"}, "Not a valid date value"),
        ({"title": ""}, "This field is required."),
        ({"budget_currency": "XXX"}, "Not a valid choice"),
    ],
)
def test_bad_input_gets_a_clear_message(client, login, city, db, changes, message):
    _, assessment, people = city
    login(client, people["lead"])
    response = create(client, assessment, **changes)
    assert response.status_code == 400
    assert message in response.data.decode()
    assert db.session.scalars(db.select(Action)).all() == []


def test_nul_bytes_huge_ids_and_unknown_questions(client, login, city, db):
    _, assessment, people = city
    login(client, people["lead"])
    assert create(client, assessment, title="a\x00b").status_code == 400
    assert client.get("/actions/2147483648").status_code == 404
    assert client.get("/actions/99999999999999999999/edit").status_code == 404
    unknown = client.get(f"/assessments/{assessment.id}/actions/new?question=nope")
    assert unknown.status_code == 400 and "There is no question" in unknown.data.decode()
    assert client.get(f"/assessments/{assessment.id}/actions/new?area=nope").status_code == 400
    assert db.session.scalars(db.select(Action)).all() == []


def test_the_network_page_counts_by_area_and_status(client, login, city, db):
    _, assessment, people = city
    login(client, people["lead"])
    create(client, assessment, title="Late one", start_on="", due_on="2020-01-01")
    create(client, assessment, title="Done one", status="done")
    client.post(f"/assessments/{assessment.id}/actions/new", data=fields(title="Own one"))
    login(client, people["network"])
    page = client.get("/network/actions?cycle=2026").data.decode()
    assert "3 actions in this selection." in page and "1 is overdue." in page
    assert "1 action, Security, Planned" in page
    listed = client.get("/network/actions?cycle=2026&area=security&status=done").data.decode()
    part = listed[listed.index('id="listed"') :]
    assert "Done one" in part and "Late one" not in part and "Surabaya" in part
    own = client.get("/network/actions?cycle=2026&area=").data.decode()
    assert "Own one" in own[own.index('id="listed"') :]
    assert (
        client.get("/network/actions?cycle=2026&country=VN").data.decode().count("0 actions in")
        == 1
    )
    assert client.get("/network/actions?cohort=abc").status_code == 400
    assert "/network/actions" in client.get("/network/?cycle=2026&status=any").data.decode()


def test_done_since_compares_cycles_on_two_versions_through_the_item_map(db, make_city, make_user):
    """The 2026 cycle on version 2026.1, the 2027 one on 2026.2: an area moves on what the
    two versions share, and a question whose meaning changed has no movement to show."""
    from toolkit.actions.service import ScoreMove, done_since_last_cycle, new_action
    from toolkit.assessments.answering import AnswerInput, create_assessment, save_answers
    from toolkit.assessments.scores import comparison_with
    from toolkit.core import instrument

    surabaya = make_city("surabaya", "ID")
    lead = make_user("city_lead", surabaya)
    asked = ("cs_participation", "cs_informal_settlements")
    before = create_assessment(
        surabaya, instrument.questionnaire("asus-quick", "2026.1"), 2026, lead
    )
    save_answers(before, {q: AnswerInput(value=1) for q in asked}, lead)
    for question_id in asked:
        values = {"title": question_id, "status": "done"}
        new_action(before, values, lead, question_id=question_id, area_id="civic_social")
    after = create_assessment(surabaya, instrument.latest("asus-quick"), 2027, lead)
    save_answers(after, {q: AnswerInput(value=3) for q in asked}, lead)
    db.session.commit()

    moves = {d.action.question_id: d for d in done_since_last_cycle(after)}
    shared = comparison_with(before, after)["civic_social"]
    assert moves["cs_participation"].area == ScoreMove(shared.before, shared.now)
    assert moves["cs_participation"].question.moved is True
    # Not comparable across the versions (its levels changed meaning): no movement claimed.
    assert moves["cs_informal_settlements"].question.now is None
    assert moves["cs_informal_settlements"].question.moved is None


def test_a_save_racing_another_is_refused_with_both_values(city, db):
    """Two saves read the same version; the other one commits between this one's check and
    its write: this one changes nothing and is refused with the other's value."""
    import sqlalchemy as sa

    from toolkit.actions.service import StaleAction, new_action, update_action

    _, assessment, people = city
    action = new_action(assessment, {"title": "Ours"}, people["lead"], area_id="security")
    db.session.commit()
    db.session.execute(
        sa.update(Action)
        .where(Action.id == action.id)
        .values(title="Theirs", version=Action.version + 1)
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(StaleAction) as refused:
        update_action(action, {"title": "Mine"}, action.version, people["lead"])
    assert ("title", "Theirs", "Mine") in refused.value.differences
    db.session.expire_all()
    assert db.session.get(Action, action.id).title == "Theirs"
