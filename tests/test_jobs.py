"""Background jobs as users meet them: a ZIP of approved reports, a long report, a large export;
the job page's progress, download, failure and retry; a job whose process was lost.

These run the embedded way (no Redis: a thread of the app). tests/test_faults.py runs the same
jobs on real RQ workers and Redis.
"""

import io
import time
import zipfile
from datetime import timedelta

import pytest

from toolkit.core.models import utcnow
from toolkit.jobs import service as jobs
from toolkit.jobs.models import Job

# The jobs run in threads of the app, on connections of their own.
pytestmark = pytest.mark.usefixtures("real_commits")

JSON = {"Accept": "application/json"}


def wait_for(client, job_url, timeout=120):
    """Poll the job's status as the job page does, until it has ended; its last state."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"{job_url}/status", headers=JSON).get_json()
        if state["status"] in ("finished", "failed"):
            return state
        time.sleep(0.2)
    raise AssertionError(f"the job did not end in {timeout} s: {state}")


@pytest.fixture
def network_world(db, make_city, make_user, make_assessment):
    """Three cities with an approved assessment of 2026, one with a draft; two network users."""
    for slug, country in (("da-nang", "VN"), ("cebu", "PH"), ("surabaya", "ID")):
        make_assessment(
            make_city(slug, country), cycle=2026, status="approved", answers={"se_drr_plan": 2}
        )
    make_assessment(make_city("iloilo", "PH"), cycle=2026, status="draft")
    staff = make_user("network")
    other = make_user("network", email="other@example.org")
    db.session.commit()
    return staff, other


def test_zip_of_approved_reports_with_progress_download_and_owner_only(
    client, login, network_world, app
):
    staff, other = network_world
    login(client, staff)

    response = client.post("/network/reports.zip?questionnaire=asus-quick&cycle=2026")
    assert response.status_code == 303
    job_url = response.headers["Location"]
    assert job_url.startswith("/jobs/")

    page = client.get(job_url).data.decode()
    assert "3 approved reports" in page
    assert 'id="job-progress"' in page and 'role="status"' in page

    state = wait_for(client, job_url)
    assert state["status"] == "finished", state
    assert (state["done"], state["total"]) == (3, 3)

    page = client.get(job_url).data.decode()
    assert "Ready." in page and "Download asus-reports-asus-quick-2026.zip" in page
    download = client.get(state["download"])
    assert download.headers["Content-Disposition"].endswith('"asus-reports-asus-quick-2026.zip"')
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    names = sorted(archive.namelist())
    # Only the approved assessments: the draft of Iloilo is not in the ZIP.
    assert names == [f"asus-{slug}-2026-asus-quick.pdf" for slug in ("cebu", "da-nang", "surabaya")]
    assert all(archive.read(name).startswith(b"%PDF-") for name in names)

    listed = client.get("/jobs/").data.decode()
    assert "3 approved reports" in listed and state["download"] in listed

    # The job is its requester's: another network user meets a 404, as for a missing page.
    login(client, other)
    assert "3 approved reports" not in client.get("/jobs/").data.decode()
    assert client.get(job_url).status_code == 404
    assert client.get(state["download"]).status_code == 404


def test_zip_of_a_selection_without_approved_reports_says_so(client, login, network_world):
    staff, _ = network_world
    login(client, staff)
    response = client.post("/network/reports.zip?questionnaire=asus-quick&cycle=2026&country=XX")
    assert response.status_code == 303 and response.headers["Location"].startswith("/network/")
    page = client.get(response.headers["Location"]).data.decode()
    assert "there is no report to send" in page


def test_long_report_renders_in_the_background_then_downloads_at_once(
    make_app, login, make_city, make_user, make_assessment, db
):
    app = make_app(REPORT_JOB_QUESTIONS=20)  # the quick questionnaire (36) counts as long here
    city = make_city("da-nang")
    assessment = make_assessment(city, answers={"se_drr_plan": 2})
    lead = make_user("city_lead", city)
    db.session.commit()
    with app.app_context():
        client = app.test_client()
        login(client, lead)
        url = f"/assessments/{assessment.id}/report.pdf"
        first = client.get(url)
        assert first.status_code == 303
        job_url = first.headers["Location"]
        state = wait_for(client, job_url)
        assert state["status"] == "finished"
        assert client.get(state["download"]).data.startswith(b"%PDF-")
        # Rendered once, the report is kept: the next download is immediate.
        again = client.get(url)
        assert again.status_code == 200 and again.data.startswith(b"%PDF-")


def test_large_export_runs_in_the_background(make_app, login, network_world):
    staff, _ = network_world
    app = make_app(EXPORT_JOB_ROWS=2)
    with app.app_context():
        client = app.test_client()
        login(client, staff)
        response = client.get("/network/export/area-scores.csv?questionnaire=asus-quick&cycle=2026")
        assert response.status_code == 303
        state = wait_for(client, response.headers["Location"])
        assert state["status"] == "finished"
        download = client.get(state["download"])
        assert download.mimetype == "text/csv"
        lines = download.data.decode("utf-8-sig").splitlines()
        assert lines[0].startswith("assessment_id,city,city_slug,country,country_code")
        assert len(lines) == 4  # the header and the three approved assessments


def test_failed_job_shows_why_and_can_be_retried(client, login, network_world, monkeypatch):
    staff, _ = network_world
    login(client, staff)
    failures = []
    real = jobs.KINDS["reports_zip"]

    def flaky(params, assessment_id):
        if not failures:
            failures.append(assessment_id)
            raise ValueError("The printer ran out of paper.")
        real.work(params, assessment_id)

    monkeypatch.setitem(jobs.KINDS, "reports_zip", jobs.Kind(real.result, real.items, flaky))
    job_url = client.post("/network/reports.zip?cycle=2026").headers["Location"]
    state = wait_for(client, job_url)
    assert state["status"] == "failed"
    page = client.get(job_url).data.decode()
    assert "The printer ran out of paper." in page and "Try again" in page

    response = client.post(f"{job_url}/retry")
    assert response.status_code == 303
    state = wait_for(client, job_url)
    assert state["status"] == "finished" and state["attempt"] == 2
    assert "Attempt" in client.get(job_url).data.decode()


def lost_job(client, login, staff, db, **state):
    """A ZIP job as if the process running it died mid-way: still "running" with `state`, its
    heartbeat five minutes old. Its page's address."""
    login(client, staff)
    job_url = client.post("/network/reports.zip?cycle=2026").headers["Location"]
    wait_for(client, job_url)
    job = db.session.get(Job, job_url.rsplit("/", 1)[1])
    job.status, job.result, job.heartbeat_at = "running", None, utcnow() - timedelta(minutes=5)
    for name, value in state.items():
        setattr(job, name, value)
    db.session.commit()
    return job_url


def test_job_whose_process_was_lost_restarts_when_looked_at(client, login, network_world, db):
    job_url = lost_job(client, login, network_world[0], db, done=1)

    state = wait_for(client, job_url)
    assert state["status"] == "finished" and state["attempt"] == 2
    assert (state["done"], state["total"]) == (3, 3)


def test_job_lost_too_often_fails_with_a_retry(client, login, network_world, db):
    job_url = lost_job(client, login, network_world[0], db, attempt=jobs.MAX_ATTEMPTS)

    page = client.get(job_url).data.decode()
    assert "Failed." in page and "the process running it was lost" in page
    assert "Try again" in page


def test_long_work_keeps_its_job_alive(make_app, login, network_world, monkeypatch):
    """A part that works longer than JOB_STALL_SECONDS beats for its job meanwhile: watching
    the job page (which restarts lost jobs) does not start it again."""
    staff, _ = network_world
    app = make_app(EXPORT_JOB_ROWS=0, JOB_STALL_SECONDS=3)
    real = jobs.KINDS["export"]

    def slow(params):
        time.sleep(5)
        return real.result(params)

    monkeypatch.setitem(jobs.KINDS, "export", jobs.Kind(slow))
    with app.app_context():
        client = app.test_client()
        login(client, staff)
        job_url = client.get("/network/export/area-scores.csv?cycle=2026").headers["Location"]
        state = wait_for(client, job_url)
        assert state["status"] == "finished" and state["attempt"] == 1
