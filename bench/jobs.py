"""Background jobs: a ZIP of 100 approved reports, made by 1 and then by 2 RQ workers.

On a fresh PostgreSQL database: 100 cities, each with an approved quick assessment answered
in full (through the app's own services, so every report has its charts and tables), and a
Redis server of the benchmark's own. For 1, then 2 workers (`toolkit worker` processes, as on
worker hosts): every stored report is deleted, the workers are started and registered, then
the job is started as the dashboard's ZIP button does and timed until its row says finished.
The ZIP must hold 100 PDFs.

Figures: seconds for the whole job with each number of workers, reports per second, and the
speed-up (1 worker is the floor). Target (issue 8): speed-up at least 1.6x on this 2-core kind
of machine: report rendering is CPU-bound, so a second worker can almost double it, less the
parts that do not split (the ZIP is put together by one worker at the end).
Run: .venv/bin/python bench/jobs.py [--reports N] [--postgres URL]
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from databases import postgres_database
from flask_migrate import upgrade

from toolkit import create_app
from toolkit.accounts.models import User
from toolkit.assessments.answering import AnswerInput, create_assessment, save_answers
from toolkit.assessments.models import Assessment
from toolkit.cities.models import City, Country
from toolkit.cli.demo import answer_for
from toolkit.core import instrument
from toolkit.core.extensions import db
from toolkit.jobs import service as jobs
from toolkit.jobs.models import Job
from toolkit.reporting.models import ReportFile

TOOLKIT = Path(sys.executable).parent / "toolkit"
SECRET = "bench-secret-that-is-long-enough-for-the-check"
TARGET_SPEEDUP = 1.6


def seed(reports: int) -> int:
    """`reports` cities with an approved, fully answered quick assessment; network staff's id."""
    rng = random.Random(8)
    questionnaire = instrument.latest("asus-quick")
    country = Country(code="VN", name="Viet Nam")
    db.session.add(country)
    for number in range(reports):
        city = City(slug=f"city-{number}", name=f"City {number:03d}", country=country)
        db.session.add(city)
        assessment = create_assessment(city, questionnaire, 2026, None)
        level = rng.uniform(0.2, 0.9)
        answers = {
            q.id: AnswerInput(value=answer_for(q, rng.gauss(level, 0.2), rng))
            for q in questionnaire.questions()
        }
        save_answers(assessment, answers, None)
        assessment.status = "approved"
    staff = User(email="network@example.org", name="Network", role="network")
    db.session.add(staff)
    db.session.commit()
    return staff.id


def redis_server(folder: str) -> tuple[subprocess.Popen, str]:
    """A Redis server of this run's own, on a free port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [shutil.which("redis-server"), "--port", str(port), "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
    )
    for _ in range(200):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"redis://127.0.0.1:{port}/0"
        time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def run(app, workers: int, database: str, redis_url: str, staff_id: int, log) -> float:
    """Seconds from starting the ZIP job to its finished row, with `workers` workers."""
    from redis import Redis
    from rq import Worker

    with app.app_context():
        db.session.execute(db.delete(ReportFile))
        db.session.execute(db.delete(Job))
        db.session.commit()
        assessments = db.session.execute(db.select(Assessment.id)).scalars().all()
    env = {**os.environ, "DATABASE_URL": database, "REDIS_URL": redis_url, "SECRET_KEY": SECRET}
    processes = [
        subprocess.Popen([str(TOOLKIT), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)
        for _ in range(workers)
    ]
    try:
        connection = Redis.from_url(redis_url)
        while Worker.count(connection=connection) < workers:
            time.sleep(0.05)
        with app.app_context():
            staff = db.session.get(User, staff_id)
            params = {
                "assessments": assessments,
                "paper": "A4",
                "language": "en",
                "name": "asus-reports-asus-quick-2026.zip",
            }
            start = time.perf_counter()
            job = jobs.start("reports_zip", "bench", params, staff)
            while job.status not in ("finished", "failed"):
                time.sleep(0.05)
                db.session.refresh(job)
            seconds = time.perf_counter() - start
            if job.status != "finished":
                raise RuntimeError(f"the job failed: {job.error}")
            archive = zipfile.ZipFile(io.BytesIO(job.result))
            assert len(archive.namelist()) == len(assessments), archive.namelist()
            assert all(archive.read(n).startswith(b"%PDF-") for n in archive.namelist())
        return seconds
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    logging.getLogger("alembic").setLevel(logging.WARNING)

    with (
        postgres_database(args.postgres) as database,
        tempfile.TemporaryDirectory() as folder,
    ):
        redis, redis_url = redis_server(folder)
        try:
            app = create_app({"SQLALCHEMY_DATABASE_URI": database, "REDIS_URL": redis_url})
            with app.app_context():
                upgrade()
                staff_id = seed(args.reports)
            with (Path(folder) / "workers.log").open("w") as log:
                one = run(app, 1, database, redis_url, staff_id, log)
                two = run(app, 2, database, redis_url, staff_id, log)
            with app.app_context():
                db.engine.dispose()
        finally:
            redis.terminate()
            redis.wait()

    speedup = one / two
    verdict = "PASS" if speedup >= TARGET_SPEEDUP else "MISS"
    print(f"ZIP of {args.reports} approved reports (PostgreSQL, RQ on Redis):")
    print(f"  1 worker:  {one:.1f} s ({args.reports / one:.1f} reports/s)  [floor]")
    print(f"  2 workers: {two:.1f} s ({args.reports / two:.1f} reports/s)")
    print(f"  speed-up: {speedup:.2f}x (target >= {TARGET_SPEEDUP}x: {verdict})")


if __name__ == "__main__":
    main()
