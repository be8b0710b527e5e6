"""Times are shown one way, in the city's time zone with the zone: on area pages (kept in the
page cache), in flash messages, in autosave answers, on the jobs pages; UTC on network pages."""

import re
from datetime import datetime

import pytest
from conftest import sign_in
from playwright.sync_api import expect

from toolkit.assessments.models import Answer
from toolkit.cities.models import City
from toolkit.jobs.models import Job

JSON = {"Accept": "application/json"}
SAVED = datetime(2026, 12, 1, 8, 11)  # UTC, as stored


@pytest.fixture
def makassar(make_city, make_user, make_assessment, db):
    """An Indonesian city (the country's main zone is Asia/Jakarta, WIB, UTC+7) with an
    answer saved at SAVED, its editor, and an administrator."""
    city = make_city("makassar", country="ID", name="Makassar")
    assessment = make_assessment(city, answers={"se_drr_plan": 2})
    answer = db.session.execute(
        db.select(Answer).filter_by(assessment_id=assessment.id)
    ).scalar_one()
    answer.updated_at = SAVED
    editor = make_user("city_editor", city, name="Eddy Editor")
    admin = make_user("admin", name="Amara Admin")
    db.session.commit()
    return city, assessment, editor, admin


def test_a_city_takes_the_main_time_zone_of_its_country(makassar, client, login):
    _, assessment, editor, _ = makassar
    login(client, editor)
    page = client.get(f"/assessments/{assessment.id}/areas/security").data.decode()

    assert "Last saved Dec 1, 2026, 15:11 WIB, version 1." in page
    assert " UTC" not in page


def test_a_changed_time_zone_shows_on_the_next_page_though_the_page_is_kept(
    makassar, client, login, app, db
):
    city, assessment, _, admin = makassar
    login(client, admin)
    url = f"/assessments/{assessment.id}/areas/security"
    assert "15:11 WIB" in client.get(url).data.decode()
    assert "15:11 WIB" in client.get(url).data.decode()  # from the page cache
    kept = len(app.extensions["page_cache"])

    form = client.get(f"/cities/{city.slug}/edit").data.decode()
    assert '<option selected value="">The main time zone of the country</option>' in form
    assert '<option value="Asia/Makassar">Asia/Makassar (UTC+8, WITA)</option>' in form
    assert "Now: Asia/Jakarta." in form
    saved = client.post(
        f"/cities/{city.slug}/edit",
        data={"name": "Makassar", "country": "ID", "time_zone": "Asia/Makassar", "active": "y"},
    )
    assert saved.status_code == 302

    page = client.get(url).data.decode()
    assert "Last saved Dec 1, 2026, 16:11 WITA, version 1." in page
    assert len(app.extensions["page_cache"]) == kept + 1
    db.session.expire_all()
    assert db.session.get(City, city.id).time_zone == "Asia/Makassar"


def test_the_city_form_refuses_a_zone_it_does_not_list_and_empty_means_the_country(
    makassar, client, login, db
):
    city, _, _, admin = makassar
    login(client, admin)
    data = {"name": "Makassar", "country": "ID", "active": "y"}
    refused = client.post(f"/cities/{city.slug}/edit", data={**data, "time_zone": "Mars/Olympus"})
    assert refused.status_code == 200
    assert "Not a valid choice." in refused.data.decode()

    city.time_zone = "Asia/Makassar"
    db.session.commit()
    client.post(f"/cities/{city.slug}/edit", data={**data, "time_zone": ""})
    db.session.expire_all()
    assert db.session.get(City, city.id).time_zone is None


def test_autosave_answers_the_time_as_the_page_shows_it(makassar, client, login):
    _, assessment, editor, _ = makassar
    login(client, editor)
    body = client.post(
        f"/assessments/{assessment.id}/questions/se_early_warning",
        data={"se_early_warning__value": "2", "se_early_warning__version": "0"},
        headers=JSON,
    ).get_json()

    assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d\d:\d\d WIB", body["saved_at_text"])
    stored = datetime.fromisoformat(body["saved_at"].removesuffix("Z"))
    assert body["saved_at_text"].endswith(f"{(stored.hour + 7) % 24:02d}:{stored:%M} WIB")

    conflict = client.post(
        f"/assessments/{assessment.id}/questions/se_drr_plan",
        data={"se_drr_plan__value": "3", "se_drr_plan__version": "0"},
        headers=JSON,
    )
    assert conflict.status_code == 409
    assert conflict.get_json()["theirs"]["at_text"] == "Dec 1, 2026, 15:11 WIB"


def test_the_page_save_flashes_the_time_in_the_city_zone(makassar, client, login):
    _, assessment, editor, _ = makassar
    login(client, editor)
    page = client.post(
        f"/assessments/{assessment.id}/areas/security",
        data={"se_early_warning__value": "1", "se_early_warning__version": "0"},
        follow_redirects=True,
    ).data.decode()
    assert re.search(r"Saved 1 answer at [A-Z][a-z]{2} \d{1,2}, \d{4}, \d\d:\d\d WIB\.", page)


def _job(user, db):
    job = Job(
        id="j" * 32,
        kind="report",
        title="Makassar 2026 report",
        requested_by_id=user.id,
        status="finished",
        created_at=SAVED,
        finished_at=datetime(2026, 12, 1, 8, 13),
        result_name="makassar-2026.pdf",
    )
    db.session.add(job)
    db.session.commit()
    return job


def test_the_jobs_pages_show_the_city_zone_to_a_city_person(makassar, client, login, db):
    _, _, editor, _ = makassar
    job = _job(editor, db)
    login(client, editor)

    listing = client.get("/jobs/").data.decode()
    assert "<td>Dec 1, 2026, 15:11 WIB</td>" in listing
    page = client.get(f"/jobs/{job.id}").data.decode()
    assert "<dd>Dec 1, 2026, 15:11 WIB</dd>" in page
    assert "<dd>Dec 1, 2026, 15:13 WIB</dd>" in page
    assert " UTC" not in listing + page


def test_network_pages_without_a_city_say_utc(makassar, client, login, make_user, db):
    network = make_user("network", name="Nguyen Network")
    _job(network, db)
    login(client, network)
    assert "<td>Dec 1, 2026, 08:11 UTC</td>" in client.get("/jobs/").data.decode()


def test_a_vietnamese_city_shows_the_utc_offset(
    make_city, make_assessment, make_user, client, login, db
):
    city = make_city("da-nang", country="VN", name="Da Nang")
    assessment = make_assessment(city, answers={"se_drr_plan": 2})
    db.session.execute(db.select(Answer)).scalar_one().updated_at = SAVED
    editor = make_user("city_editor", city)
    login(client, editor)
    page = client.get(f"/assessments/{assessment.id}/areas/security").data.decode()
    assert "Last saved Dec 1, 2026, 15:11 (UTC+7), version 1." in page


def test_the_browser_shows_the_server_time_after_an_autosave(live_server, open_page, db):
    """answers.js writes the time the server formatted, not the browser's 12-hour clock."""
    from toolkit.assessments.models import Assessment

    base, users = live_server
    draft = db.session.execute(db.select(Assessment)).scalar_one()
    page = open_page(locale="en-US", timezone_id="America/New_York")
    sign_in(page, base, users["editor"].email)
    page.goto(f"{base}/assessments/{draft.id}/areas/security")
    page.locator('input[name="se_drr_plan__value"][value="2"]').check()

    when = r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d\d:\d\d \(UTC\+7\)"
    expect(page.locator("#se_drr_plan-state")).to_have_text(re.compile(rf"^Saved at {when}\.$"))
    expect(page.locator("#se_drr_plan-saved")).to_have_text(
        re.compile(rf"^Last saved {when}, version 1\.$")
    )
    assert page.errors == []
