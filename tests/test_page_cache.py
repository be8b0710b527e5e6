"""Area pages keep their rendered questions (toolkit/core/page_cache.py): what readers share, what
they never share, and that every change shows at once, through the real app and database."""

import re

import pytest

from toolkit.assessments import lifecycle
from toolkit.assessments.models import AreaAssignment, Assessment
from toolkit.core.page_cache import PageCache

JSON = {"Accept": "application/json"}
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def da_nang(make_city, make_user, db):
    city = make_city("da-nang", name="Da Nang")
    lead = make_user("city_lead", city, name="Lan Lead")
    editor = make_user("city_editor", city, name="Eddy Editor")
    staff = make_user("network", name="Nina Network")
    db.session.commit()
    return city, lead, editor, staff


def signed_in(app, login, user):
    client = app.test_client()
    login(client, user)
    return client


def chosen_level(page: str, question_id: str) -> str | None:
    found = re.search(rf'name="{question_id}__value" value="(\d)" checked', page)
    return found.group(1) if found else None


def test_readers_share_the_questions_but_never_a_token_a_name_or_the_right_to_edit(
    make_app, login, da_nang, make_assessment, db
):
    city, lead, editor, staff = da_nang
    assessment = make_assessment(city, answers={"se_drr_plan": 2})
    db.session.add(AreaAssignment(assessment=assessment, area_id="security", user_id=editor.id))
    app = make_app(WTF_CSRF_ENABLED=True)
    url = f"/assessments/{assessment.id}/areas/security"
    cache = app.extensions["page_cache"]
    first, second, viewer = (signed_in(app, login, u) for u in (lead, editor, staff))

    lead_page = first.get(url).data.decode()
    editor_page = second.get(url).data.decode()
    assert cache.misses == 1 and cache.hits == 1  # the editor was given the lead's questions

    lead_token, editor_token = TOKEN.search(lead_page)[1], TOKEN.search(editor_page)[1]
    assert lead_token != editor_token and lead_token not in editor_page
    assert "Lan Lead" in lead_page and "Lan Lead" not in editor_page
    assert "Eddy Editor (you)" in editor_page and "Eddy Editor (you)" not in lead_page
    assert chosen_level(editor_page, "se_drr_plan") == "2"
    # The editor's own token saves; the lead's page token is the lead's alone.
    save = f"/assessments/{assessment.id}/questions/se_early_warning"
    data = {"se_early_warning__value": "3", "se_early_warning__version": "0"}
    refused = second.post(save, data=data, headers={**JSON, "X-CSRFToken": lead_token})
    assert refused.status_code == 400
    saved = second.post(save, data=data, headers={**JSON, "X-CSRFToken": editor_token})
    assert saved.json["status"] == "saved"

    # Network staff read the same assessment but may not change it: no enabled control.
    viewer_page = viewer.get(url).data.decode()
    assert viewer.head(url).status_code == 200
    assert re.search(r'<input type="radio" [^>]*name="se_drr_plan__value"[^>]*"?>', lead_page)
    assert "disabled" not in re.search(r'<input type="radio" [^>]*>', lead_page)[0]
    assert not re.search(r'<input type="radio"(?![^>]*disabled)[^>]*>', viewer_page)
    assert 'id="answer-messages"' in lead_page and 'id="answer-messages"' not in viewer_page
    assert "This assessment can no longer be changed." in viewer_page
    assert chosen_level(viewer_page, "se_early_warning") == "3"


def test_every_change_shows_at_once_on_pages_read_before(
    app, login, da_nang, make_assessment, make_user, db
):
    city, lead, editor, staff = da_nang
    assessment = make_assessment(city, answers={"se_drr_plan": 2})
    url = f"/assessments/{assessment.id}/areas/security"
    reader, writer = signed_in(app, login, lead), signed_in(app, login, editor)
    before = reader.get(url).data.decode()
    assert chosen_level(before, "se_early_warning") is None
    assert "1 of 6 questions that apply are answered" in before

    # An autosave by someone else.
    data = {"se_early_warning__value": "3", "se_early_warning__version": "0"}
    writer.post(f"/assessments/{assessment.id}/questions/se_early_warning", data=data)
    after = reader.get(url).data.decode()
    assert chosen_level(after, "se_early_warning") == "3"
    assert "2 of 6 questions that apply are answered" in after
    assert "version 1." in after

    # A page saved without JavaScript, then a conflict: its page is the writer's alone.
    writer.post(url, data={"se_drr_plan__value": "3", "se_drr_plan__version": "1"})
    clash = reader.post(url, data={"se_drr_plan__value": "1", "se_drr_plan__version": "1"})
    assert clash.status_code == 409 and "Changed by Eddy Editor" in clash.data.decode()
    again = reader.get(url).data.decode()
    assert chosen_level(again, "se_drr_plan") == "3" and "Changed by Eddy" not in again

    # Submitted, then returned with a note on one question: read-only, then the note.
    lifecycle.submit(assessment, lead)
    db.session.commit()
    assert "This assessment can no longer be changed." in writer.get(url).data.decode()
    lifecycle.return_to_city(assessment, staff, "See the note", {"se_drr_plan": "Link the plan"})
    db.session.commit()
    returned = writer.get(url).data.decode()
    assert "Reviewer's note:</strong> Link the plan" in returned
    assert "This assessment can no longer be changed." not in returned

    # What the page shows around the questions is read afresh: the city's name, assignments.
    city.name = "Da Nang City"
    db.session.add(AreaAssignment(assessment=assessment, area_id="security", user_id=lead.id))
    db.session.commit()
    renamed = reader.get(url).data.decode()
    assert "Da Nang City" in renamed and "Lan Lead (you)" in renamed


# The other decision is committed on a connection of its own.
@pytest.mark.usefixtures("real_commits")
def test_two_decisions_at_once_give_two_versions(da_nang, make_assessment, db):
    """Pages are kept by version: a decision taken on a stale copy still raises it anew."""
    city, lead, _, _ = da_nang
    assessment = make_assessment(city)
    db.session.commit()
    version = assessment.version
    with db.engine.begin() as elsewhere:  # another request decides first
        elsewhere.execute(
            db.update(Assessment).where(Assessment.id == assessment.id).values(version=version + 1)
        )
    lifecycle.submit(assessment, lead)  # this copy still says `version`
    db.session.commit()
    assert assessment.version == version + 2


def test_the_cache_keeps_the_most_recently_used_parts_within_its_size():
    class Part(str):
        def size(self):
            return len(self)

    cache = PageCache(limit=10)
    rendered = []

    def render(text):
        def make():
            rendered.append(text)
            return Part(text)

        return make

    assert cache.get("a", render("aaaa")) == "aaaa"
    assert cache.get("b", render("bbbb")) == "bbbb"
    assert cache.get("a", render("no")) == "aaaa"  # kept, and now the most recent
    cache.get("c", render("cccc"))  # 12 > 10: the least recently used ("b") goes
    assert cache.get("b", render("bbbb")) == "bbbb" and rendered.count("bbbb") == 2
    assert cache.used <= 10 and len(cache) == 2
    assert cache.get("big", render("x" * 11)) == "x" * 11  # larger than the cache: not kept
    assert "big" not in cache._parts

    off = PageCache(limit=0)
    off.get("a", render("aaaa"))
    off.get("a", render("aaaa"))
    assert len(off) == 0 and rendered.count("aaaa") == 3
