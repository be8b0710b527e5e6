"""PDF reports: rendering time against WeasyPrint alone, peak memory, and a cached download.

For the demo's quick report (Surabaya 2026, asus-quick) and detailed report (Da Nang 2026,
asus-detailed), on a temporary SQLite database with the demo loaded:
- total: what a first download costs: load the assessment in a fresh session, gather the facts
  (report_of) and render_pdf;
- floor: WeasyPrint alone writing the same final HTML (made once beforehand), with the same
  base URL, fetcher, paper stylesheet and PDF/UA-1 variant; the overhead ratio is
  total / floor. The two take turns, so that drift in the machine touches both alike; the
  figures are medians. One untimed render first pays WeasyPrint's one-off start-up (fonts),
  which a server's worker pays once too.
- peak memory: the maximum resident size of a new process that loads the app and renders the
  detailed report once. The child reports its own high-water mark (VmHWM in /proc/self/status):
  getrusage(RUSAGE_CHILDREN).ru_maxrss cannot be used, because Linux carries the parent's peak
  over into a child started with vfork/exec, so it would report this process's own peak;
- cached download: GET /assessments/<id>/report.pdf as the demo's admin once the PDF is stored
  (the first GET renders and stores it), median of 20; every response must be 200,
  application/pdf and the same bytes.

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
from toolkit import accounts, create_app
from toolkit.demo import load_demo
from toolkit.extensions import db
from toolkit.models import Assessment, City, User
from toolkit.report_service import report_of

DEMO_REPORTS = {"quick": ("surabaya", "asus-quick"), "detailed": ("da-nang", "asus-detailed")}
CYCLE = 2026
ADMIN = "admin@example.org"
TARGET_SECONDS = {"quick": 1.5, "detailed": 4.0}
TARGET_OVERHEAD = 1.15
TARGET_PEAK_MB = 300
TARGET_CACHED_MS = 50
DOWNLOADS = 20
PEAK_MARK = "peak-rss-kb="


def build_app(url: str):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
        }
    )


def migrate_quietly() -> None:
    """`toolkit db upgrade` without Alembic's INFO lines (its env.py resets its loggers' levels
    from alembic.ini, so only a global switch keeps them quiet)."""
    logging.disable(logging.INFO)
    try:
        upgrade()
    finally:
        logging.disable(logging.NOTSET)


def demo_assessment_id(kind: str) -> int:
    slug, questionnaire = DEMO_REPORTS[kind]
    return db.session.execute(
        db.select(Assessment.id)
        .join(City, Assessment.city_id == City.id)
        .where(
            City.slug == slug,
            Assessment.cycle == CYCLE,
            Assessment.questionnaire_id == questionnaire,
        )
    ).scalar_one()


def first_download(assessment_id: int) -> bytes:
    """What a first download does before storing: load, gather the facts, render."""
    assessment = db.session.get(Assessment, assessment_id)
    return render_pdf(report_of(assessment))


def floor_pdf(html: str, paper: str = "A4") -> bytes:
    """WeasyPrint alone, called as render_pdf calls it, on HTML made beforehand."""
    document = HTML(string=html, base_url=ASSETS.as_uri() + "/", url_fetcher=AssetsOnlyFetcher())
    paper_css = CSS(string=f"@page {{ size: {PAPER_SIZES[paper]}; }}")
    return document.write_pdf(stylesheets=[paper_css], pdf_variant="pdf/ua-1")


def timings(assessment_id: int, rounds: int) -> tuple[float, float, int]:
    """Median seconds of (total, floor), the two taking turns, and the PDF's size in bytes."""
    html = render_html(report_of(db.session.get(Assessment, assessment_id)))
    totals, floors = [], []
    size = 0
    for _ in range(rounds):
        db.session.remove()  # a fresh session, as a request has: nothing loaded yet
        start = time.perf_counter()
        size = len(first_download(assessment_id))
        totals.append(time.perf_counter() - start)
        start = time.perf_counter()
        floor_pdf(html)
        floors.append(time.perf_counter() - start)
    db.session.remove()
    return statistics.median(totals), statistics.median(floors), size


def own_peak_kb() -> int:
    """This process's resident high-water mark in KB (of its own memory since exec)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS


def child_render(assessment_id: int, url: str) -> None:
    """The child: load the app, render one report, print its own peak resident size."""
    with build_app(url).app_context():
        first_download(assessment_id)
        db.engine.dispose()
    print(f"{PEAK_MARK}{own_peak_kb()}")


def peak_memory_mb(url: str, assessment_id: int) -> float:
    """Peak resident memory of a new process that renders one report (its own, not ours)."""
    child = subprocess.run(
        [sys.executable, __file__, "--child-render", str(assessment_id), url],
        check=True,
        capture_output=True,
        text=True,
    )
    marks = [line for line in child.stdout.splitlines() if line.startswith(PEAK_MARK)]
    return int(marks[-1].removeprefix(PEAK_MARK)) / 1024


def cached_download_ms(app, assessment_id: int) -> tuple[float, float, int]:
    """(first GET in seconds, median of the next GETs in ms, PDF size) as the demo's admin."""
    client = app.test_client()
    with app.app_context():
        admin = db.session.execute(db.select(User).filter_by(email=ADMIN)).scalar_one()
        accounts.start_session(admin, "bench")  # a real sign-in session
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = admin.get_id()
            session["_fresh"] = True
    url = f"/assessments/{assessment_id}/report.pdf"

    def get():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert response.mimetype == "application/pdf", response.mimetype
        return response

    start = time.perf_counter()
    first = get().data  # renders, stores; the after_request hook commits
    first_seconds = time.perf_counter() - start
    assert first.startswith(b"%PDF-")
    times = []
    for _ in range(DOWNLOADS):
        start = time.perf_counter()
        response = get()
        times.append(time.perf_counter() - start)
        assert response.data == first, "a cached download differs from the first"
    return first_seconds, statistics.median(times) * 1e3, len(first)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child-render", nargs=2, metavar=("ASSESSMENT_ID", "URL"))
    args = parser.parse_args()
    if args.child_render:
        child_render(int(args.child_render[0]), args.child_render[1])
        return

    summary = []
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        app = build_app(url)
        with app.app_context():
            migrate_quietly()
            load_demo()
            db.session.commit()
            ids = {kind: demo_assessment_id(kind) for kind in DEMO_REPORTS}
            first_download(ids["quick"])  # untimed: WeasyPrint's one-off start-up

            print(f"Rendering ({args.rounds} rounds each, total and floor taking turns, medians):")
            for kind, (slug, questionnaire) in DEMO_REPORTS.items():
                total, floor, size = timings(ids[kind], args.rounds)
                overhead = total / floor
                target = TARGET_SECONDS[kind]
                print(f"  {kind} ({slug} {CYCLE}, {questionnaire}, {size // 1024} KB):")
                print(f"    total (report_of + render_pdf): {total:.3f} s")
                print(f"    floor (WeasyPrint alone, same HTML): {floor:.3f} s")
                print(
                    f"    overhead {overhead:.3f}x "
                    f"(target <= {TARGET_OVERHEAD}x: {verdict(overhead <= TARGET_OVERHEAD)}); "
                    f"total {total:.2f} s (target <= {target} s: {verdict(total <= target)})"
                )
                summary.append(
                    (f"{kind} overhead", f"{overhead:.3f}x", overhead <= TARGET_OVERHEAD)
                )
                summary.append((f"{kind} total", f"{total:.2f} s", total <= target))

        peak = peak_memory_mb(url, ids["detailed"])
        print("Peak memory (new process: load the app, render the detailed report once):")
        print(f"  {peak:.0f} MB (target <= {TARGET_PEAK_MB} MB: {verdict(peak <= TARGET_PEAK_MB)})")
        summary.append(("detailed peak memory", f"{peak:.0f} MB", peak <= TARGET_PEAK_MB))

        first, cached, size = cached_download_ms(app, ids["detailed"])
        print(f"Cached download (GET /assessments/{ids['detailed']}/report.pdf as {ADMIN}):")
        print(f"  first GET (renders and stores): {first:.2f} s")
        print(
            f"  next {DOWNLOADS} GETs: median {cached:.1f} ms "
            f"(target < {TARGET_CACHED_MS} ms: {verdict(cached < TARGET_CACHED_MS)}); "
            f"all 200, application/pdf, the same {size // 1024} KB"
        )
        summary.append(("cached download", f"{cached:.1f} ms", cached < TARGET_CACHED_MS))
        with app.app_context():
            db.engine.dispose()

    passed = sum(ok for _, _, ok in summary)
    print(f"Summary: {passed}/{len(summary)} targets met")
    for name, figure, ok in summary:
        print(f"  {verdict(ok)}  {name}: {figure}")


if __name__ == "__main__":
    main()
