"""What holds when things go wrong, with real services: many people saving the same answer at
once, a worker killed mid-job (kill -9), Redis stopped, PostgreSQL connections terminated.

Each test that stops a service starts its own (a Redis server on a free port), so that the
services other tests use are never touched.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from itertools import pairwise
from pathlib import Path

import psycopg
import pytest
from conftest import PASSWORD, serve, service_missing
from redis import Redis
from rq import Worker
from test_jobs import wait_for

from toolkit.assessments.models import Answer, AnswerRevision
from toolkit.jobs.models import Job

# Servers, workers and concurrent saves work on connections of their own.
pytestmark = pytest.mark.usefixtures("real_commits")

TOOLKIT = Path(sys.executable).parent / "toolkit"
JSON = {"Accept": "application/json"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def redis_server(tmp_path):
    """A Redis server of this test's own: {"url", "stop()"}; stopped at the end in any case."""
    binary = shutil.which("redis-server")
    if binary is None:
        service_missing("redis-server (Debian package redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while not listening(port):
        if time.monotonic() > deadline:
            service_missing(f"a Redis server started on port {port}")
        time.sleep(0.05)

    def stop():
        process.terminate()
        process.wait(timeout=10)

    yield type("RedisServer", (), {"url": url, "stop": staticmethod(stop)})
    if process.poll() is None:
        stop()


def start_worker(database_url, redis_url, log):
    """`toolkit worker`, as on a worker host: its own process, the same database and Redis;
    returned once it listens to the queue."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "a-test-secret-that-is-long-enough-for-the-check",
        "TOOLKIT_JOB_STALL_SECONDS": "3",
    }
    connection, deadline = Redis.from_url(redis_url), time.monotonic() + 60
    listening = Worker.count(connection=connection)
    worker = subprocess.Popen(
        [str(TOOLKIT), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    while Worker.count(connection=connection) == listening:
        assert worker.poll() is None and time.monotonic() < deadline, "the worker did not start"
        time.sleep(0.05)
    return worker


@pytest.fixture
def approved_reports(db, make_city, make_user, make_assessment):
    """Six cities with an approved quick assessment of 2026, and a network user."""
    cities = [("da-nang", "VN"), ("cebu", "PH"), ("surabaya", "ID"), ("penang", "MY")]
    cities += [("khon-kaen", "TH"), ("luang-prabang", "LA")]
    for slug, country in cities:
        make_assessment(make_city(slug, country), status="approved", answers={"se_drr_plan": 3})
    staff = make_user("network", password=PASSWORD)
    db.session.commit()
    return staff


def test_worker_killed_mid_job_the_job_is_retried_and_completes(
    make_app, database_url, redis_server, approved_reports, login, tmp_path, db
):
    app = make_app(REDIS_URL=redis_server.url, JOB_STALL_SECONDS=3)
    log = (tmp_path / "workers.log").open("w")
    first = start_worker(database_url, redis_server.url, log)
    second = None
    try:
        with app.app_context():
            client = app.test_client()
            login(client, approved_reports)
            job_url = client.post("/network/reports.zip?cycle=2026").headers["Location"]
            assert "a background worker" in client.get(job_url).data.decode()
            deadline = time.monotonic() + 120
            while client.get(f"{job_url}/status", headers=JSON).get_json()["done"] < 2:
                assert time.monotonic() < deadline and first.poll() is None, "no progress"
                time.sleep(0.05)
            time.sleep(0.3)  # into the next report (each takes about a second), then:
            first.send_signal(signal.SIGKILL)
            first.wait()
            halfway = client.get(f"{job_url}/status", headers=JSON).get_json()
            assert halfway["status"] == "running" and halfway["done"] < 6

            # Nobody looks at the job page now: the new worker finds the stalled job itself.
            second = start_worker(database_url, redis_server.url, log)
            job_id = job_url.rsplit("/", 1)[1]
            deadline = time.monotonic() + 120
            while (job := db.session.get(Job, job_id)).status != "finished":
                assert time.monotonic() < deadline, f"{job.status}, {job.done} of {job.total}"
                time.sleep(0.2)
                db.session.expire_all()
            state = client.get(f"{job_url}/status", headers=JSON).get_json()
            assert state["status"] == "finished", state
            assert state["attempt"] == 2 and (state["done"], state["total"]) == (6, 6)
            archive = client.get(state["download"]).data
            assert archive.count(b"%PDF-") == 6
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.kill()
                worker.wait()
        log.close()
    assert "job restarted" in (tmp_path / "workers.log").read_text()


def test_with_redis_stopped_pages_work_and_jobs_run_in_the_app(
    make_app, redis_server, approved_reports, db
):
    app = make_app(REDIS_URL=redis_server.url, RATELIMIT_ENABLED=True)
    redis_server.stop()
    with app.app_context():
        client = app.test_client()
        # Signing in counts attempts in Redis; with Redis gone, it counts them in the process.
        response = client.post(
            "/auth/login", data={"email": approved_reports.email, "password": PASSWORD}
        )
        assert response.status_code == 302
        assert client.get("/").status_code == 200
        assert client.get("/network/?cycle=2026").status_code == 200
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.get_json()["status"] == "degraded"
        assert ready.get_json()["checks"] == {"database": "ok", "redis": "failed: ConnectionError"}

        job_url = client.post("/network/reports.zip?cycle=2026").headers["Location"]
        state = wait_for(client, job_url)
        assert state["status"] == "finished" and state["done"] == 6
        assert "the web server itself" in client.get(job_url).data.decode()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_terminated_postgresql_connections_the_next_request_succeeds(
    app, client, login, approved_reports, database_url
):
    login(client, approved_reports)
    assert client.get("/network/?cycle=2026").status_code == 200
    with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    assert killed >= 1  # the app's pooled connection was among them
    assert client.get("/network/?cycle=2026").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_twenty_concurrent_saves_of_one_answer_each_version_accepted_once(
    make_app, db, make_city, make_user, make_assessment
):
    city = make_city("da-nang")
    assessment = make_assessment(city, answers={"se_drr_plan": 1})
    editor = make_user("city_editor", city, password=PASSWORD)
    db.session.commit()
    start = db.session.execute(
        db.select(Answer.version).filter_by(assessment_id=assessment.id, question_id="se_drr_plan")
    ).scalar_one()

    with serve(make_app(SERVER_NAME=None)) as base:
        cookie = sign_in(base, editor.email)
        url = f"{base}/assessments/{assessment.id}/questions/se_drr_plan"
        barrier = threading.Barrier(20)
        first_round, accepted, errors = [], [], []

        def writer(number):
            version, first = start, True
            barrier.wait()
            while True:
                fields = {"value": str(number % 4), "comment": f"writer {number}"}
                status, body = post(url, cookie, fields, version)
                if first:
                    first_round.append(status)
                    first = False
                if status == 200:
                    accepted.append(body["version"])
                    return
                if status != 409:
                    errors.append((status, body))
                    return
                version = body["theirs"]["version"]  # "keep mine", knowing theirs

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    assert errors == []
    # All twenty saw the same version: one was accepted, nineteen refused with both values.
    assert sorted(first_round) == [200] + [409] * 19
    # Then each kept their answer in turn: every version accepted exactly once.
    assert sorted(accepted) == list(range(start + 1, start + 21))
    db.session.expire_all()
    answer = db.session.execute(
        db.select(Answer).filter_by(assessment_id=assessment.id, question_id="se_drr_plan")
    ).scalar_one()
    assert answer.version == start + 20
    revisions = (
        db.session.execute(
            db.select(AnswerRevision).filter_by(answer_id=answer.id).order_by(AnswerRevision.id)
        )
        .scalars()
        .all()
    )
    changes = [r for r in revisions if r.kind == "changed"][-20:]
    assert sorted(r.new["comment"] for r in changes) == sorted(f"writer {n}" for n in range(20))
    # The history is a chain: each change starts from what the previous one saved.
    assert all(a.new == b.old for a, b in pairwise(changes))


def sign_in(base: str, email: str) -> str:
    """Sign in through the form; the session cookie, as a Cookie header."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    data = urllib.parse.urlencode({"email": email, "password": PASSWORD}).encode()
    opener.open(f"{base}/auth/login", data=data)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def post(url: str, cookie: str, fields: dict, version: int) -> tuple[int, dict]:
    """An autosave as answers.js sends it: (status, JSON body)."""
    question = url.rsplit("/", 1)[1]
    form = {f"{question}__{name}": value for name, value in fields.items()}
    form[f"{question}__version"] = str(version)
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(form).encode(), headers={**JSON, "Cookie": cookie}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
