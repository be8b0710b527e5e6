"""Versions through the real stack: an assessment started on 2026.2 from a 2026.1 one carries
over what the item map says is unchanged and offers the rest; results, report, city profile
and dashboard compare across the versions and say where they cannot."""

import re

import pytest
from markupsafe import escape

from toolkit.core import instrument

OLD, NEW = "2026.1", "2026.2"
COMMENT = "From the planning office's 2025 annual report."
EVIDENCE = "https://example.org/plan-2025.pdf The city development plan"


def some_answer(question, strength=0.6):
    """A valid answer worth about `strength` of the question's maximum."""
    import random

    from toolkit.cli.demo import answer_for

    return answer_for(question, strength, random.Random(question.id))


def answered(city, cycle, version, strength=0.6, status="draft", questionnaire_id="asus-quick"):
    """An assessment of `city` on `version` with every scored question answered."""
    from toolkit.assessments.answering import AnswerInput, create_assessment, save_answers
    from toolkit.core.extensions import db

    questionnaire = instrument.questionnaire(questionnaire_id, version)
    assessment = create_assessment(city, questionnaire, cycle, None)
    given = {
        q.id: AnswerInput(value=some_answer(q, strength), comment=COMMENT, evidence=(EVIDENCE,))
        for q in questionnaire.questions()
        if q.scored
    }
    save_answers(assessment, given, None)
    assessment.status = status
    db.session.flush()
    return assessment


@pytest.fixture
def link():
    return instrument.bridge_between(OLD, NEW, "asus-quick")


def test_a_new_version_carries_unchanged_answers_and_offers_the_changed_ones(
    client, login, make_city, make_user, db, link
):
    from toolkit.assessments.models import Assessment

    city = make_city("surabaya", "ID")
    lead = make_user("city_lead", city, name="Lina Lead")
    earlier = answered(city, 2025, OLD, status="approved")
    old_values = {a.question_id: a.value for a in earlier.answers}
    db.session.commit()
    login(client, lead)

    start = client.get("/cities/surabaya/assessments/new").data.decode()
    assert f"ASUS quick screening {NEW}" in start
    response = client.post(
        "/cities/surabaya/assessments/new",
        data={"questionnaire": "asus-quick", "cycle": "2026", "carry_over": str(earlier.id)},
    )
    assert response.status_code == 302
    new = db.session.execute(db.select(Assessment).filter_by(cycle=2026)).scalar_one()
    assert (new.questionnaire_version, new.carried_over_cycle) == (NEW, 2025)

    answers = {a.question_id: a for a in new.answers}
    # What the map copies is carried over under its new id, and nothing else is.
    assert set(answers) == {n for n, o in link.copies.items() if o in old_values}
    for new_id, answer in answers.items():
        assert answer.carried_over and answer.value == old_values[link.copies[new_id]]
    assert link.offers, "2026.2 changes some questions of 2026.1"

    overview = client.get(f"/assessments/{new.id}").data.decode()
    assert "Changed since the last cycle" in overview
    offered = [q for q in link.offers if any(o in old_values for o in link.offers[q][1])]
    assert f"{len(offered)} questions changed in this version" in overview

    question_id = offered[0]
    question = link.new.question(question_id)
    _change, origins = link.offers[question_id]
    area = client.get(f"/assessments/{new.id}/areas/{question.area_id}").data.decode()
    block = area[area.index(f'id="q-{question_id}"') :].split('<div class="question')[0]
    assert "earlier answer" in block
    assert f"Who usually holds the answer:</strong> {escape(str(question.ask))}" in block
    assert f"This question changed in version {NEW}, so the 2025 answer was not copied." in block
    earlier_question = link.old.question(origins[0])
    said = earlier_question.describe(earlier_question.parse_answer(old_values[origins[0]]))
    assert said.replace("'", "&#39;") in block or said in block
    assert COMMENT.replace("'", "&#39;") in block and "https://example.org/plan-2025.pdf" in block

    # "Use this answer" saves the earlier answer, where it fits the question as it is now.
    def fits(q):
        try:
            link.new.question(q).parse_answer(old_values[link.offers[q][1][0]])
        except ValueError:
            return False
        change, origins = link.offers[q]
        return (
            change.comparable
            and len(origins) == 1
            and link.new.question(q).area_id == question.area_id
        )

    usable = next(q for q in offered if fits(q))
    assert f'name="take_offer" value="{usable}"' in area
    saved = client.post(
        f"/assessments/{new.id}/areas/{question.area_id}",
        data={"csrf_token": "", "take_offer": usable, f"{usable}__version": "0"},
    )
    assert saved.status_code == 302, saved.data.decode()[:2000]
    db.session.expire_all()
    taken = {a.question_id: a for a in new.answers}[usable]
    assert taken.value == old_values[link.offers[usable][1][0]] and not taken.carried_over
    # Its comment and evidence come with it; the person changed nothing else.
    assert (taken.comment, taken.evidence) == (COMMENT, [EVIDENCE])
    # A question that measures something else now offers its earlier answer without the button.
    apart = next(q for q in offered if not link.offers[q][0].comparable)
    page = client.get(
        f"/assessments/{new.id}/areas/{link.new.question(apart).area_id}"
    ).data.decode()
    block = page.split('id="q-' + apart)[1].split('<div class="question')[0]
    assert f'value="{apart}"' not in block
    # Once answered, the question no longer offers the earlier answer.
    question_id, question = usable, link.new.question(usable)
    area = client.get(f"/assessments/{new.id}/areas/{question.area_id}").data.decode()
    block = area[area.index(f'id="q-{question_id}"') :].split('<div class="question')[0]
    assert "earlier answer" not in block


def test_results_and_report_compare_across_versions_and_say_where_they_cannot(
    client, login, make_city, make_user, db, link
):
    from toolkit.reporting.service import report_of

    city = make_city("da-nang")
    editor = make_user("city_editor", city)
    answered(city, 2025, OLD, strength=0.3, status="approved")
    now = answered(city, 2026, NEW, strength=0.8)
    db.session.commit()
    login(client, editor)

    text = client.get(f"/assessments/{now.id}/results").data.decode()
    apart = [a for a in link.areas.values() if not a.comparable]
    assert apart, "the ladder moved levels: some area no longer compares"
    assert f"The 2025 assessment used version {OLD} of the questionnaire, this one {NEW}." in text
    for area in link.areas.values():
        name = str(link.new.area(area.area_id).name)
        row = text[text.index(f'<th scope="row">{name}</th>') :].split("</tr>")[0]
        if area.comparable:
            assert re.search(r'<td class="number">[+-]\d+\.\d</td>', row), name
        else:
            assert "not comparable" in row, name
            note = (
                f"{name}: not comparable with {OLD}, {area.changed} of {area.total} items changed."
            )
            assert note in text
            if area.pairs:
                assert f"On the {len(area.pairs)} items both versions share" in text

    report = report_of(now)
    assert report.previous_version == OLD
    changes = {c.area.area.id: c for c in report.changes}
    for area in apart:
        assert changes[area.area_id].change is None
        assert changes[area.area_id].note == link.note(area.area_id)


def test_the_city_trend_and_the_dashboard_mark_what_does_not_compare(
    client, login, make_city, make_user, db, link
):
    from toolkit.assessments.models import StoredAreaScore

    cities = [make_city(slug) for slug in ("hue", "hanoi", "can-tho", "vinh", "da-lat", "sapa")]
    staff = make_user("network")
    # 2025 on the old version for all; 2026 on the new version for five, the old for one.
    for i, city in enumerate(cities):
        answered(city, 2025, OLD, status="approved")
        answered(city, 2026, NEW if i < 5 else OLD, strength=0.4 + i / 20, status="approved")
    db.session.commit()
    login(client, staff)

    profile = client.get("/network/cities/hue?questionnaire=asus-quick").data.decode()
    assert "The questionnaire changed between cycles." in profile
    for area in link.areas.values():
        if not area.comparable:
            assert f"2026: {link.note(area.area_id)}" in profile

    page = client.get("/network/?questionnaire=asus-quick&cycle=2026").data.decode()
    assert "This selection mixes versions of the questionnaire:" in page
    assert f"{OLD} (1 assessment)" in page and f"{NEW} (5 assessments)" in page
    apart = [a.area_id for a in link.areas.values() if not a.comparable]
    for area_id in apart:
        assert link.note(area_id) in page
    # The old version's cell of an area apart is marked; the spread counts the new ones only.
    sapa = page[page.index(">Sapa</a>") :].split("</tr>")[0]
    assert sapa.count("†") == len(apart) + 1  # and the overall score
    spread = page[page.index("Spread of the area scores") :]
    first = str(link.new.area(apart[0]).name)
    row = spread[spread.index(f'<th scope="row">{first}</th>') :].split("</tr>")[0]
    assert re.findall(r'<td class="number">(\d+)</td>', row)[0] == "5"
    rows = db.session.execute(db.select(StoredAreaScore)).scalars().all()
    assert len(rows) == 12 * 6


def test_the_changes_page_lists_every_change_with_its_reason(
    client, login, make_city, make_user, link
):
    login(client, make_user("city_editor", make_city("hue")))
    page = client.get(f"/questionnaires/asus-quick/{NEW}/changes").data.decode()
    assert f"Version {NEW} replaces {OLD}." in page
    for entry in link.new.changes:
        if entry.change != "same":
            assert str(entry.why).replace("'", "&#39;").replace('"', "&#34;") in page, entry
    for area in link.new.areas:
        row = page[page.index(f'<th scope="row">{area.name}</th>') :].split("</tr>")[0]
        assert ("yes" in row) == link.areas[area.id].comparable
    first = client.get(f"/questionnaires/asus-quick/{OLD}/changes").data.decode()
    assert "This is the first version of the questionnaire." in first
    assert client.get("/questionnaires/asus-quick/9.9/changes").status_code == 404
    assert client.get("/questionnaires/nope/2026.2/changes").status_code == 404


def test_a_cycle_on_a_version_no_longer_shipped_is_not_compared(
    client, login, make_city, make_user, db
):
    city = make_city("hue")
    editor = make_user("city_editor", city)
    earlier = answered(city, 2025, OLD, status="approved")
    now = answered(city, 2026, NEW)
    earlier.questionnaire_version = "2025.9"  # a version this toolkit no longer ships
    db.session.commit()
    login(client, editor)
    text = client.get(f"/assessments/{now.id}/results").data.decode()
    assert "Security: not comparable with 2025.9: no item map links the two versions." in text
    assert text.count("not comparable</a>") == 6


def test_use_this_answer_never_overwrites_what_someone_else_saved_meanwhile(
    app, login, make_city, make_user, db, link
):
    from toolkit.assessments.answering import create_assessment
    from toolkit.assessments.models import Answer

    city = make_city("surabaya", "ID")
    lead, editor = make_user("city_lead", city), make_user("city_editor", city)
    earlier = answered(city, 2025, OLD, status="approved")
    new = create_assessment(city, link.new, 2026, lead, carry_over_from=earlier)
    db.session.commit()
    question_id = next(
        q for q, (change, origins) in link.offers.items() if change.comparable and len(origins) == 1
    )
    question = link.new.question(question_id)
    url = f"/assessments/{new.id}/areas/{question.area_id}"
    first, second = app.test_client(), app.test_client()
    login(first, lead)
    login(second, editor)
    assert f'value="{question_id}"' in second.get(url).data.decode()  # both see the offer
    value = some_answer(question, 0.1)
    mine = {f"{question_id}__value": value, f"{question_id}__version": "0"}
    assert first.post(url, data=mine).status_code == 302
    # The editor, on the page loaded before, takes the earlier answer: the question has its
    # answer now, so there is nothing to offer any more, and the lead's answer stays.
    taken = second.post(url, data={"take_offer": question_id, f"{question_id}__version": "0"})
    assert taken.status_code == 302
    page = second.get(url).data.decode()
    block = page[page.index(f'id="q-{question_id}"') :].split('<div class="question')[0]
    assert "earlier answer" not in block
    db.session.expire_all()
    saved = db.session.execute(
        db.select(Answer).filter_by(assessment_id=new.id, question_id=question_id)
    ).scalar_one()
    assert str(saved.value) == str(value) and saved.updated_by_id == lead.id
