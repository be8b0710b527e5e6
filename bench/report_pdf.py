"""PDF reports: rendering time against WeasyPrint alone, peak memory, and the downloads.

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
  detailed report once; floor: a new process that loads the app and renders nothing. The
  child reports its own high-water mark (VmHWM in /proc/self/status):
  getrusage(RUSAGE_CHILDREN).ru_maxrss cannot be used, because Linux carries the parent's peak
  over into a child started with vfork/exec, so it would report this process's own peak;
- downloads, as the demo's admin (GET /assessments/<id>/report.pdf), what a person waits for:
  - the quick report's first download: rendered in the request (200), median of the rounds,
    the stored file removed before each; floor: the quick total above;
  - the detailed report's first download: a background job (303 to its page, a thread of the
    app as without Redis), from the request to the finished file downloaded, the status polled
    every 50 ms (the job page polls every 1.5 s, so a person sees it up to 1.5 s later);
    median of the rounds, the stored file removed before each; floor: the detailed total;
  - the stored download: the next GETs of the detailed report, median of 20, each taking turns
    with its floor, the job's own download of the same bytes (GET /jobs/<id>/download: sign-in
    and one row, without gathering the report's facts to find its stored file). Every response
    must be 200, application/pdf and the same bytes.

Targets (issue 6): overhead at most 1.15x; quick at most 1.5 s and detailed at most 4 s (the
render, and the first download); peak memory at most 300 MB; a stored download under 50 ms.
Prints the machine's load average first; exits 1 when a target is missed.
Run: .venv/bin/python bench/report_pdf.py [--rounds N]
"""

from __future__ import annotations

import argparse
import logging
import os
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
from toolkit.accounts import service as accounts
from toolkit.accounts.models import User
from toolkit.assessments.models import Assessment
from toolkit.cities.models import City
from toolkit.cli.demo import load_demo
from toolkit.core.extensions import db
from toolkit.reporting.models import ReportFile
from toolkit.reporting.service import report_of

DEMO_REPORTS = {"quick": ("surabaya", "asus-quick"), "detailed": ("da-nang", "asus-detailed")}
CYCLE = 2026
ADMIN = "admin@example.org"
TARGET_SECONDS = {"quick": 1.5, "detailed": 4.0}
TARGET_OVERHEAD = 1.15
TARGET_PEAK_MB = 300
TARGET_CACHED_MS = 50
DOWNLOADS = 20
POLL_SECONDS = 0.05
JSON = {"Accept": "application/json"}
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
    """The child: load the app, render one report (none for id 0, the floor), print its own
    peak resident size."""
    with build_app(url).app_context():
        if assessment_id:
            first_download(assessment_id)
        else:
            db.session.get(Assessment, 1)  # the floor: the app loaded and the database opened
        db.engine.dispose()
    print(f"{PEAK_MARK}{own_peak_kb()}")


def peak_memory_mb(url: str, assessment_id: int) -> float:
    """Peak resident memory of a new process that renders one report (its own, not ours);
    with id 0, of one that only loads the app."""
    child = subprocess.run(
        [sys.executable, __file__, "--child-render", str(assessment_id), url],
        check=True,
        capture_output=True,
        text=True,
    )
    marks = [line for line in child.stdout.splitlines() if line.startswith(PEAK_MARK)]
    return int(marks[-1].removeprefix(PEAK_MARK)) / 1024


def signed_in_client(app):
    """A test client signed in as the demo's admin."""
    client = app.test_client()
    with app.app_context():
        admin = db.session.execute(db.select(User).filter_by(email=ADMIN)).scalar_one()
        accounts.start_session(admin, "bench")  # a real sign-in session
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = admin.get_id()
            session["_fresh"] = True
    return client


def forget_stored_reports(app) -> None:
    with app.app_context():
        db.session.execute(db.delete(ReportFile))
        db.session.commit()


def pdf_response(response) -> bytes:
    assert response.status_code == 200, (response.request.path, response.status_code)
    assert response.mimetype == "application/pdf", response.mimetype
    assert response.data.startswith(b"%PDF-")
    return response.data


def quick_first_download(app, client, assessment_id: int, rounds: int) -> float:
    """Median seconds of the quick report's first GET, rendered in the request."""
    times = []
    for _ in range(rounds):
        forget_stored_reports(app)
        start = time.perf_counter()
        pdf_response(client.get(f"/assessments/{assessment_id}/report.pdf"))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def job_first_download(app, client, assessment_id: int, rounds: int) -> tuple[float, str]:
    """Median seconds from the detailed report's first GET to its finished file downloaded
    through the background job, and the address of the last job's file."""
    times, download = [], ""
    for _ in range(rounds):
        forget_stored_reports(app)
        start = time.perf_counter()
        response = client.get(f"/assessments/{assessment_id}/report.pdf")
        assert response.status_code == 303, ("not a background job", response.status_code)
        download = finished_file(client, response.headers["Location"])
        pdf_response(client.get(download))
        times.append(time.perf_counter() - start)
    return statistics.median(times), download


def finished_file(client, job_url: str) -> str:
    """Poll the job's status until it has ended; the address of its file."""
    while True:
        state = client.get(f"{job_url}/status", headers=JSON).get_json()
        if state["status"] in ("finished", "failed"):
            assert state["status"] == "finished", state
            return state["download"]
        time.sleep(POLL_SECONDS)


def stored_download_ms(client, assessment_id: int, floor_url: str) -> tuple[float, float, int]:
    """Median ms of (the stored report's GET, its floor), taking turns, and the PDF's size."""
    url = f"/assessments/{assessment_id}/report.pdf"
    first = pdf_response(client.get(url))
    times, floors = [], []
    for _ in range(DOWNLOADS):
        start = time.perf_counter()
        stored = pdf_response(client.get(url))
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        floor = pdf_response(client.get(floor_url))
        floors.append(time.perf_counter() - start)
        assert stored == first == floor, "a stored download differs from the first"
    return statistics.median(times) * 1e3, statistics.median(floors) * 1e3, len(first)


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

    logging.getLogger("toolkit.requests").setLevel(logging.WARNING)  # a line per GET otherwise
    load = ", ".join(f"{figure:.2f}" for figure in os.getloadavg())
    print(f"Load average at start (1, 5, 15 min): {load} on {os.cpu_count()} CPUs")
    summary, totals = [], {}
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
                totals[kind] = total
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
        floor = peak_memory_mb(url, 0)
        print("Peak memory (new process: load the app, render the detailed report once):")
        print(
            f"  {peak:.0f} MB, {peak / floor:.2f}x its floor {floor:.0f} MB (a new process that "
            f"only loads the app) (target <= {TARGET_PEAK_MB} MB: "
            f"{verdict(peak <= TARGET_PEAK_MB)})"
        )
        summary.append(("detailed peak memory", f"{peak:.0f} MB", peak <= TARGET_PEAK_MB))

        client = signed_in_client(app)
        print(f"Downloads (GET /assessments/<id>/report.pdf as {ADMIN}, {args.rounds} rounds):")
        quick = quick_first_download(app, client, ids["quick"], args.rounds)
        target = TARGET_SECONDS["quick"]
        print(
            f"  quick, first download (rendered in the request): {quick:.2f} s, "
            f"{quick / totals['quick']:.2f}x its floor {totals['quick']:.2f} s "
            f"(target <= {target} s: {verdict(quick <= target)})"
        )
        summary.append(("quick first download", f"{quick:.2f} s", quick <= target))
        detailed, job_download = job_first_download(app, client, ids["detailed"], args.rounds)
        target = TARGET_SECONDS["detailed"]
        print(
            f"  detailed, first download (background job, request to finished file): "
            f"{detailed:.2f} s, {detailed / totals['detailed']:.2f}x its floor "
            f"{totals['detailed']:.2f} s (target <= {target} s: {verdict(detailed <= target)})"
        )
        summary.append(("detailed first download", f"{detailed:.2f} s", detailed <= target))
        stored, floor, size = stored_download_ms(client, ids["detailed"], job_download)
        print(
            f"  detailed, stored download (next {DOWNLOADS} GETs): median {stored:.1f} ms, "
            f"{stored / floor:.2f}x its floor {floor:.1f} ms (the job's download) "
            f"(target < {TARGET_CACHED_MS} ms: {verdict(stored < TARGET_CACHED_MS)}); "
            f"all 200, application/pdf, the same {size // 1024} KB"
        )
        summary.append(("stored download", f"{stored:.1f} ms", stored < TARGET_CACHED_MS))
        with app.app_context():
            db.engine.dispose()

    passed = sum(ok for _, _, ok in summary)
    print(f"Summary: {passed}/{len(summary)} targets met")
    for name, figure, ok in summary:
        print(f"  {verdict(ok)}  {name}: {figure}")
    if passed < len(summary):
        sys.exit(1)


if __name__ == "__main__":
    main()
