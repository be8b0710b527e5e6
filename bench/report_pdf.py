"""PDF reports: rendering time against WeasyPrint alone, peak memory, and a cached download.

For the demo's quick report (Surabaya 2026, asus-quick) and detailed report (Da Nang 2026,
asus-detailed), on a temporary SQLite database with the demo loaded:
- total: what a first download costs: gather the facts (report_of) and render_pdf;
- floor: WeasyPrint alone writing the same final HTML, with the same fetcher and options;
  the overhead ratio is total / floor (medians of alternating rounds);
- peak memory: the maximum resident size of a fresh process that renders the detailed report;
- cached download: GET /assessments/<id>/report.pdf once the PDF is stored (median of 20).

Targets (issue 6): overhead at most 1.15x; quick at most 1.5 s and detailed at most 4 s;
peak memory at most 300 MB; a cached download under 50 ms.
Run: .venv/bin/python bench/report_pdf.py [--rounds N]
"""

from __future__ import annotations

import argparse
import logging
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from weasyprint import CSS, HTML

from reports.fetcher import ASSETS, AssetsOnlyFetcher
from reports.render import PAPER_SIZES, render_html, render_pdf
from toolkit import create_app
from toolkit.demo import load_demo
from toolkit.extensions import db
from toolkit.models import Assessment, City, User
from toolkit.report_service import report_of

DEMO_REPORTS = {"quick": ("surabaya", "asus-quick"), "detailed": ("da-nang", "asus-detailed")}
TARGET_SECONDS = {"quick": 1.5, "detailed": 4.0}


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


def demo_assessment(kind: str) -> Assessment:
    slug, questionnaire = DEMO_REPORTS[kind]
    return db.session.execute(
        db.select(Assessment)
        .join(City)
        .where(City.slug == slug, Assessment.cycle == 2026)
        .filter_by(questionnaire_id=questionnaire)
    ).scalar_one()


def floor_pdf(html: str, paper: str) -> bytes:
    """WeasyPrint alone, as render_pdf calls it, on HTML made beforehand."""
    document = HTML(string=html, base_url=ASSETS.as_uri() + "/", url_fetcher=AssetsOnlyFetcher())
    paper_css = CSS(string=f"@page {{ size: {PAPER_SIZES[paper]}; }}")
    return document.write_pdf(stylesheets=[paper_css], pdf_variant="pdf/ua-1")


def timings(assessment: Assessment, rounds: int) -> tuple[float, float]:
    """Median seconds of (total, floor), the two taking turns."""
    html = render_html(report_of(assessment))
    totals, floors = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        render_pdf(report_of(assessment))
        totals.append(time.perf_counter() - start)
        start = time.perf_counter()
        floor_pdf(html, "A4")
        floors.append(time.perf_counter() - start)
    return statistics.median(totals), statistics.median(floors)


def peak_memory_mb(url: str, assessment_id: int) -> float:
    """Peak resident memory of a new process rendering one report (its own, not this one's)."""
    subprocess.run(
        [sys.executable, __file__, "--child-render", str(assessment_id), url], check=True
    )
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def cached_download_ms(app, assessment_id: int) -> float:
    """Median milliseconds of a download of an already stored report."""
    client = app.test_client()
    with app.app_context():
        admin = db.session.execute(db.select(User).filter_by(role="admin")).scalars().first()
        with client.session_transaction() as session:
            session["_user_id"] = admin.get_id()
            session["_fresh"] = True
    url = f"/assessments/{assessment_id}/report.pdf"
    first = client.get(url)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    times = []
    for _ in range(20):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200 and response.data == first.data
    return statistics.median(times) * 1e3


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child-render", nargs=2, metavar=("ASSESSMENT_ID", "URL"))
    args = parser.parse_args()
    if args.child_render:
        assessment_id, url = args.child_render
        with build_app(url).app_context():
            render_pdf(report_of(db.session.get(Assessment, int(assessment_id))))
        return

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        app = build_app(url)
        with app.app_context():
            upgrade()
            load_demo()
            db.session.commit()
            ids = {kind: demo_assessment(kind).id for kind in DEMO_REPORTS}
            for kind in DEMO_REPORTS:
                total, floor = timings(demo_assessment(kind), args.rounds)
                print(
                    f"{kind} report: total {total:.2f} s ({verdict(total <= TARGET_SECONDS[kind])}"
                    f" <= {TARGET_SECONDS[kind]} s); floor (WeasyPrint alone) {floor:.2f} s;"
                    f" overhead {total / floor:.3f}x ({verdict(total / floor <= 1.15)} <= 1.15)"
                )
        peak = peak_memory_mb(url, ids["detailed"])
        print(f"peak memory rendering the detailed report: {peak:.0f} MB ({verdict(peak <= 300)})")
        cached = cached_download_ms(app, ids["detailed"])
        print(f"cached download of the detailed report: {cached:.1f} ms ({verdict(cached < 50)})")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
