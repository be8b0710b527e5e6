"""Comparing cities at scale: 1,000 cities with 5 cycles each, on SQLite and on PostgreSQL.

Prints, per database:
- the dashboard's median server time (GET /network/ through the real app, signed in as network
  staff: the latest cycle's 1,000 approved cities, their first page of 100 rows sorted by
  name, the total count and the spread of every area over all of them), against its target of
  250 ms, and its ratio to the bare SQL behind it, run in the same process (target: 3): the
  same three statements (page of rows, count, spread) executed directly, rows fetched as
  tuples;
- the peak memory growth of a full answers export (every answer of the cycle, long format,
  streamed to nowhere) against its target of 50 MB: the peak of Python's allocations while it
  runs (tracemalloc).

The data is written with bulk inserts: 5,000 assessments, 30,000 area scores and, for the
export, 36 answers for each assessment of the latest cycle (36,000 rows).
Run: .venv/bin/python bench/compare.py [--cities N] [--rounds N] [--postgres URL]
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import time
import tracemalloc

import sqlalchemy as sa
from databases import each_database
from flask_migrate import upgrade

from questionnaires import AREA_IDS
from toolkit import create_app
from toolkit.accounts import service as accounts
from toolkit.accounts.models import User
from toolkit.assessments.models import Answer, Assessment, StoredAreaScore
from toolkit.cities.models import City, Country
from toolkit.core import instrument
from toolkit.core.extensions import db
from toolkit.network import comparison, exports

CYCLES = (2022, 2023, 2024, 2025, 2026)
COUNTRIES = ("BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN")


def build_app(url: str):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
        }
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return app


def seed(cities: int) -> int:
    """Countries, cities, assessments with area scores, and answers for the latest cycle."""
    rng = random.Random(7)
    questionnaire = instrument.latest("asus-quick")
    questions = [q for q in questionnaire.questions() if q.type == "level"]
    db.session.execute(
        sa.insert(Country), [{"code": code, "name": f"Country {code}"} for code in COUNTRIES]
    )
    country_ids = dict(db.session.execute(sa.select(Country.code, Country.id)).all())
    db.session.execute(
        sa.insert(City),
        [
            {
                "slug": f"city-{i}",
                "name": f"City {i:04d}",
                "country_id": country_ids[COUNTRIES[i % len(COUNTRIES)]],
                "population": rng.randint(50_000, 5_000_000),
                "tags": ["coastal"] if i % 3 else ["riverine"],
                "active": True,
            }
            for i in range(cities)
        ],
    )
    city_ids = db.session.execute(sa.select(City.id).order_by(City.id)).scalars().all()
    db.session.execute(
        sa.insert(Assessment),
        [
            {
                "city_id": city_id,
                "questionnaire_id": questionnaire.id,
                "questionnaire_version": questionnaire.version,
                "cycle": cycle,
                "status": "approved",
                "overall_score": rng.uniform(20, 90),
                "completeness": 1.0,
                "version": 1,
            }
            for city_id in city_ids
            for cycle in CYCLES
        ],
    )
    assessments = db.session.execute(sa.select(Assessment.id, Assessment.cycle)).all()
    db.session.execute(
        sa.insert(StoredAreaScore),
        [
            {
                "assessment_id": assessment_id,
                "area_id": area_id,
                "score": rng.uniform(0, 100),
                "stage": None,
                "completeness": 1.0,
                "answered": 6,
                "applicable": 6,
                "provisional": False,
            }
            for assessment_id, _ in assessments
            for area_id in AREA_IDS
        ],
    )
    db.session.execute(
        sa.insert(Answer),
        [
            {
                "assessment_id": assessment_id,
                "question_id": q.id,
                "value": rng.randint(0, 3),
                "not_applicable": False,
                "evidence": [],
                "version": 1,
                "carried_over": False,
            }
            for assessment_id, cycle in assessments
            if cycle == CYCLES[-1]
            for q in questions
        ],
    )
    db.session.add(User(email="network@example.org", name="Network", role="network"))
    db.session.commit()
    return db.session.execute(sa.select(User.id)).scalar_one()


def measure(url: str, cities: int, rounds: int) -> dict[str, float]:
    app = build_app(url)
    with app.app_context():
        upgrade()
        user_id = seed(cities)
    client = app.test_client()
    with app.app_context():
        user = db.session.get(User, user_id)
        accounts.start_session(user, "bench")  # a real sign-in session
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        f = comparison.resolved(comparison.Filter())
        statements = [
            comparison.heatmap_query(f).limit(comparison.PAGE_SIZE),
            comparison.count_query(f),
            comparison.spread_query(f),
        ]

    def page():
        response = client.get("/network/")
        assert response.status_code == 200 and f"{cities} cities, cycle" in response.text

    def bare_sql():
        with app.app_context(), db.engine.connect() as connection:
            page_rows, total, spread = (connection.execute(s).all() for s in statements)
            assert len(page_rows) == min(cities, comparison.PAGE_SIZE)
            assert total[0][0] == cities and spread

    pages, queries = [], []
    for round_ in range(rounds + 2):
        for work, times in ((page, pages), (bare_sql, queries)):
            start = time.perf_counter()
            work()
            if round_ >= 2:  # warm-up rounds
                times.append(time.perf_counter() - start)

    tracemalloc.start()
    with app.app_context():
        exported = sum(1 for _ in exports.answer_rows(f))
    growth = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    with app.app_context():
        db.engine.dispose()
    return {
        "page": statistics.median(pages) * 1e3,
        "sql": statistics.median(queries) * 1e3,
        "rows": exported,
        "growth": growth,
    }


def report(label: str, figures: dict[str, float], cities: int) -> None:
    page, sql = figures["page"], figures["sql"]
    print(f"{label} ({cities} cities x {len(CYCLES)} cycles):")
    print(f"  dashboard: {page:.1f} ms (target <= 250 ms: {'PASS' if page <= 250 else 'MISS'})")
    print(f"  bare SQL: {sql:.1f} ms; ratio {page / sql:.2f}x (target <= 3)")
    print(
        f"  answers export: {figures['rows']} rows, peak memory grew {figures['growth']:.1f} MB"
        f" (target <= 50 MB: {'PASS' if figures['growth'] <= 50 else 'MISS'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cities", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    for label, url in each_database(args.postgres):
        report(label, measure(url, args.cities, args.rounds), args.cities)


if __name__ == "__main__":
    main()
