"""Serving in production: gunicorn through `toolkit serve`, the SECRET_KEY it insists on, health
checks, one JSON log line per request, audit events, and SQLite set up for several people."""

import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from toolkit import create_app, serving_app
from toolkit.core.config import InsecureConfig, require_secret_key
from toolkit.core.models import AuditEvent

# gunicorn serves from processes of its own.
pytestmark = pytest.mark.usefixtures("real_commits")

TOOLKIT = Path(sys.executable).parent / "toolkit"
GOOD_SECRET = "1f0e3dad99908345f7439f8ffabdffc4a7c5d0e7b6d9c8e2f1a3b4c5d6e7f809"


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        (None, "SECRET_KEY is not set"),
        ("change-me", "placeholder"),
        ("short-but-not-a-placeholder", "shorter than 32 characters"),
    ],
)
def test_outside_debug_the_app_refuses_a_missing_or_default_secret_key(
    monkeypatch, tmp_path, secret, problem
):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    if secret:
        monkeypatch.setenv("SECRET_KEY", secret)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/t.db"})
    with pytest.raises(InsecureConfig, match=problem):
        require_secret_key(app)
    # gunicorn's entry point says why, and stops rather than retrying forever.
    with pytest.raises(SystemExit) as stopped:
        serving_app()
    assert stopped.value.code == 3

    monkeypatch.setenv("SECRET_KEY", GOOD_SECRET)
    require_secret_key(create_app())  # a real key: no complaint
    monkeypatch.delenv("SECRET_KEY")
    debugging = create_app({"DEBUG": True})
    require_secret_key(debugging)  # a developer's machine keeps its instance key


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_toolkit_serve_runs_gunicorn_with_health_checks_and_json_logs(database_url, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": GOOD_SECRET,
        "WEB_CONCURRENCY": "2",
    }
    env.pop("REDIS_URL", None)
    log = tmp_path / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(TOOLKIT), "serve", "--bind", f"127.0.0.1:{port}"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            health = wait_for_url(f"http://127.0.0.1:{port}/healthz", server)
            assert json.loads(health) == {"status": "ok"}
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/readyz", headers={"X-Request-ID": "trace-42"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert json.load(response) == {"status": "ready", "checks": {"database": "ok"}}
                assert response.headers["X-Request-ID"] == "trace-42"
                assert response.headers["X-Frame-Options"] == "DENY"
        finally:
            server.terminate()
            server.wait(timeout=30)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    ready = next(line for line in lines if line.get("path") == "/readyz")
    assert ready["request_id"] == "trace-42" and ready["status"] == 200
    assert ready["method"] == "GET" and ready["endpoint"] == "health.ready"
    assert isinstance(ready["duration_ms"], float) and ready["level"] == "info"
    assert "gunicorn" in log.read_text()  # gunicorn's own start and stop lines


def wait_for_url(url: str, server: subprocess.Popen) -> bytes:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            assert server.poll() is None, "the server stopped"
            assert time.monotonic() < deadline, "the server did not answer in 30 s"
            time.sleep(0.1)


def test_serve_without_a_secret_key_stops_with_the_reason(database_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [str(TOOLKIT), "serve", "--bind", f"127.0.0.1:{free_port()}", "--workers", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "refusing to start: SECRET_KEY is not set" in result.stderr


def test_readyz_says_which_dependency_is_down():
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "postgresql://nobody@127.0.0.1:1/none"}
    )
    with app.app_context():
        client = app.test_client()
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.get_json() == {
            "status": "not ready",
            "checks": {"database": "failed: OperationalError"},
        }


def test_readyz_stays_ready_without_redis_and_says_it_is_degraded(make_app):
    """Without Redis the app keeps serving (jobs run in the app): a Redis outage must not take
    the app hosts out of the load balancer."""
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with app.app_context():
        ready = app.test_client().get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {
        "status": "degraded",
        "checks": {"database": "ok", "redis": "failed: ConnectionError"},
    }


def test_every_request_is_logged_as_one_structured_line(client, login, make_user, caplog):
    user = make_user("network")
    login(client, user)
    with caplog.at_level(logging.INFO, logger="toolkit.requests"):
        client.get("/network/?cycle=2026")
        client.get("/auth/set-password/a-secret-token")
    dashboard, link = (r.fields for r in caplog.records if r.name == "toolkit.requests")
    assert dashboard["path"] == "/network/" and dashboard["status"] == 200
    assert dashboard["user_id"] == user.id and dashboard["method"] == "GET"
    assert "duration_ms" in dashboard and len(dashboard["request_id"]) == 32
    # A password link's secret never reaches the logs.
    assert link["path"] == "/auth/set-password/<token>" and link["status"] == 404


def test_sign_ins_permission_changes_and_review_decisions_are_audited(
    client, db, make_city, make_user, make_assessment, login
):
    from conftest import PASSWORD

    city = make_city("da-nang")
    admin = make_user("admin", password=PASSWORD)
    editor = make_user("city_editor", city)
    assessment = make_assessment(city, status="submitted")
    db.session.commit()
    client.post("/auth/login", data={"email": admin.email, "password": PASSWORD})
    changed = client.post(
        f"/people/{editor.id}/edit",
        data={"name": editor.name, "email": editor.email, "role": "city_lead", "city": city.slug},
    )
    assert changed.status_code == 302
    approved = client.post(f"/assessments/{assessment.id}/review", data={"decision": "approve"})
    assert approved.status_code == 302
    events = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    by_action = {event.action: event for event in events}
    assert by_action["sign_in"].user_id == admin.id
    assert by_action["user_changed"].details["role"] == "city_lead"
    assert by_action["user_changed"].object_id == str(editor.id)
    assert by_action["assessment_approved"].user_id == admin.id


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_foreign_keys(app, db, database_url):
    if not database_url.startswith("sqlite"):
        assert db.session.execute(sa.text("SELECT 1")).scalar() == 1
        assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
        return
    pragma = {
        name: db.session.execute(sa.text(f"PRAGMA {name}")).scalar()
        for name in ("journal_mode", "busy_timeout", "foreign_keys")
    }
    assert pragma == {"journal_mode": "wal", "busy_timeout": 10000, "foreign_keys": 1}
    # A city of a country that does not exist is refused, as on PostgreSQL.
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.text("INSERT INTO city (slug, name, country_id, active) VALUES ('x', 'X', 999, 1)")
        )
    db.session.rollback()
