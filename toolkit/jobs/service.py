"""Background jobs: large reports, ZIPs of approved reports, large exports, network PDFs of
many cities.

A job's items (reports to render, say) are split into parts. With `REDIS_URL` set, each part
is an RQ job that any `toolkit worker` on any host may take, so several workers share a job;
without Redis, or when Redis cannot be reached, a thread of the app process runs the parts one
after the other. Either way the `Job` row is the truth: how far it got, its file, its error.

A worker killed mid-way stops updating its job's heartbeat; the job is then restarted as a new
attempt (by any worker's watch, or when someone looks at the job page). Parts of an earlier
attempt that still run somewhere cannot count towards the new one: every update of the row
names the attempt it belongs to.

A job runs in the language it was asked in (kept in its params): what it writes (an export's
words, a report, the reason it failed) reads as the page that started it did.
"""

from __future__ import annotations

import io
import logging
import threading
import uuid
import zipfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from toolkit.accounts.models import User
from toolkit.assessments.models import Assessment
from toolkit.core import instrument
from toolkit.core.extensions import db
from toolkit.core.models import utcnow
from toolkit.core.transaction import after_commit, commit_when_done
from toolkit.jobs.models import Job
from toolkit.network import comparison, exports
from toolkit.network.report import network_pdf
from toolkit.reporting.service import blank_file_name, blank_of, blank_pdf, file_name, report_pdf

log = logging.getLogger("toolkit.jobs")

QUEUE = "toolkit"
ACTIVE = ("queued", "running", "assembling")
# A job whose worker was lost this many times in a row fails instead of starting again.
MAX_ATTEMPTS = 3
PART_TIMEOUT = 30 * 60  # seconds an RQ worker gives one part


@dataclass(frozen=True)
class Kind:
    """What a kind of job does: the items its params name (each a part of the job), the work
    on one item (what it makes goes to the database), and the file made once all are done."""

    result: Callable[[dict], tuple[str, str, bytes]]  # file name, media type, content
    items: Callable[[dict], list] = lambda params: []
    work: Callable[[dict, object], None] | None = None


def start(kind: str, title: str, params: dict, user: User, key: str | None = None) -> Job:
    """Create a job and hand it to a worker (or a thread) once its row is committed: workers
    must see it (at the end of the request, or at once outside one).

    The job runs in the requester's language, unless `params` names one. With a `key`, a job
    of this user with the same key that is still running is returned instead of starting the
    same work twice.
    """
    if key is not None:
        running = db.session.execute(
            db.select(Job).filter_by(key=key, requested_by_id=user.id).where(Job.status.in_(ACTIVE))
        ).scalar()
        if running is not None:
            return running
    job = Job(
        id=uuid.uuid4().hex,
        kind=kind,
        title=title,
        params={"language": str(get_locale() or _default_language()), **params},
        key=key,
        requested_by_id=user.id,
        total=len(KINDS[kind].items(params)),
    )
    db.session.add(job)
    after_commit(lambda: dispatch(job))
    return job


def dispatch(job: Job) -> None:
    """Send the job's parts to the RQ queue, or run them in a thread when there is no Redis
    (not configured, unreachable, or no worker listening)."""
    parts = max(1, job.total)  # a job without items has one part: making its file
    url = current_app.config.get("REDIS_URL")
    if url:
        from redis.exceptions import RedisError
        from rq import Worker

        job.runner, job.heartbeat_at = "worker", utcnow()
        db.session.commit()
        try:
            queue = redis_queue(url)
            if not Worker.count(queue=queue):
                raise RedisError("no worker is listening")
            with queue.connection.pipeline() as pipeline:
                for index in range(parts):
                    queue.enqueue_call(
                        run_part,
                        args=(job.id, job.attempt, index),
                        timeout=PART_TIMEOUT,
                        result_ttl=0,
                        pipeline=pipeline,
                    )
                pipeline.execute()
            return
        except RedisError as error:
            log.warning(
                "no Redis worker to take the job, running it in-process",
                extra={"fields": {"job": job.id, "error": str(error)}},
            )
    job.runner, job.heartbeat_at = "in-process", utcnow()
    db.session.commit()
    app = current_app._get_current_object()
    thread = threading.Thread(
        target=_run_parts, args=(app, job.id, job.attempt, parts), daemon=True
    )
    thread.start()


def run_part(job_id: str, attempt: int, index: int) -> None:
    """Do part `index` of the job's attempt: the RQ job function (needs an app context, as
    `toolkit worker` gives it), also called by the in-process thread."""
    try:
        job = db.session.get(Job, job_id)
        if job is not None:
            with force_locale(language_of(job)):
                _run_part(job, attempt, index)
    finally:
        db.session.remove()


def language_of(job: Job) -> str:
    """The language the job was asked in (the default for jobs queued before it was kept)."""
    return job.params.get("language") or _default_language()


def _default_language() -> str:
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "en")


def _run_parts(app: Flask, job_id: str, attempt: int, parts: int) -> None:
    with app.app_context():
        for index in range(parts):
            run_part(job_id, attempt, index)


def _run_part(job: Job, attempt: int, index: int) -> None:
    job_id = job.id
    started = {"status": "running", "started_at": sa.func.coalesce(Job.started_at, utcnow())}
    if not _update(job_id, attempt, ("queued", "running"), **started):
        return  # finished, failed, or restarted as a newer attempt meanwhile
    kind = KINDS[job.kind]
    try:
        items = kind.items(job.params)
        if items:
            with _heartbeat(job_id, attempt):
                kind.work(job.params, items[index])
            if not _update(job_id, attempt, ("running",), done=Job.done + 1):
                return
        # The part that finds every item done puts the file together, once.
        if not _update(job_id, attempt, ("running",), Job.done >= Job.total, status="assembling"):
            return
        with _heartbeat(job_id, attempt):
            name, media_type, content = kind.result(job.params)
        _update(
            job_id,
            attempt,
            ("assembling",),
            status="finished",
            result=content,
            result_name=name,
            result_type=media_type,
            finished_at=utcnow(),
        )
        log.info("job finished", extra={"fields": {"job": job_id, "attempt": attempt}})
    except Exception as error:
        db.session.rollback()
        log.exception("job failed", extra={"fields": {"job": job_id, "attempt": attempt}})
        _update(job_id, attempt, ACTIVE, status="failed", error=reason(error), finished_at=utcnow())


@contextmanager
def _heartbeat(job_id: str, attempt: int):
    """Beat for the job while this process works on it (from a thread of its own, on a
    connection of its own), so that long work is not taken for a lost worker; the beat stops
    when the process dies."""
    engine = db.engine
    interval = max(1, current_app.config["JOB_STALL_SECONDS"] // 3)
    stop = threading.Event()

    def beat():
        while not stop.wait(interval):
            try:
                with engine.begin() as connection:
                    connection.execute(
                        sa.update(Job)
                        .where(Job.id == job_id, Job.attempt == attempt)
                        .values(heartbeat_at=utcnow())
                    )
            except sa.exc.SQLAlchemyError:
                log.exception("job heartbeat failed", extra={"fields": {"job": job_id}})

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _update(job_id: str, attempt: int, statuses, *conditions, **values) -> bool:
    """Change the job's row if it is still at this attempt and in one of these statuses, and
    commit (with whatever work the session holds; in a request, at its end). Every change is a
    heartbeat."""
    changed = db.session.execute(
        db.update(Job)
        .where(Job.id == job_id, Job.attempt == attempt, Job.status.in_(statuses), *conditions)
        .values(heartbeat_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    commit_when_done()
    return changed == 1


def reason(error: Exception) -> str:
    """What the job page says about a failure: our own messages as they are, else the kind."""
    if isinstance(error, ValueError | LookupError):
        return str(error)
    return _(
        "An unexpected error stopped the job (%(kind)s). Retry it; if it fails again, tell the "
        "network's administrators, with this page's address.",
        kind=type(error).__name__,
    )


def restart(job: Job, because: str) -> bool:
    """Start the job again as a new attempt, from the beginning (rendered reports are kept, so
    it goes fast). False if someone else restarted it first or it changed meanwhile."""
    changed = db.session.execute(
        db.update(Job)
        .where(Job.id == job.id, Job.attempt == job.attempt, Job.status == job.status)
        .values(
            attempt=Job.attempt + 1,
            status="queued",
            done=0,
            error=None,
            finished_at=None,
            heartbeat_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        commit_when_done()
        return False
    db.session.refresh(job)
    log.warning("job restarted", extra={"fields": {"job": job.id, "because": because}})
    after_commit(lambda: dispatch(job))
    return True


def recover_stalled(job: Job | None = None) -> int:
    """Restart running jobs (or just `job`) whose heartbeat stopped: their worker was lost.

    A job lost MAX_ATTEMPTS times fails, with a retry button for its user. Returns how many
    jobs were restarted or failed.
    """
    cutoff = utcnow() - timedelta(seconds=current_app.config["JOB_STALL_SECONDS"])
    query = db.select(Job).where(
        Job.heartbeat_at < cutoff,
        Job.status.in_(("running", "assembling"))
        | ((Job.status == "queued") & (Job.runner == "in-process")),
    )
    if job is not None:
        query = query.where(Job.id == job.id)
    handled = 0
    for stalled in db.session.execute(query).scalars().all():
        if stalled.attempt >= MAX_ATTEMPTS:
            with force_locale(language_of(stalled)):
                message = _(
                    "The job stopped %(num)d times, each time because the process running it "
                    "was lost. Retry it when the workers are running again.",
                    num=stalled.attempt,
                )
            handled += _update(
                stalled.id,
                stalled.attempt,
                ACTIVE,
                status="failed",
                error=message,
                finished_at=utcnow(),
            )
        else:
            handled += restart(stalled, because="stalled")
    return handled


def redis_queue(url: str):
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)
    return Queue(QUEUE, connection=connection)


def _assessment(assessment_id: int) -> Assessment:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        raise LookupError(_("An assessment of this job has been deleted since it was started."))
    return assessment


def _render(params: dict, assessment_id: int) -> None:
    report_pdf(_assessment(assessment_id), params["paper"], params["language"])


def _report(params: dict) -> tuple[str, str, bytes]:
    assessment = _assessment(params["assessment"])
    pdf = report_pdf(assessment, params["paper"], params["language"])
    return file_name(assessment, params["language"]), "application/pdf", pdf


def _reports_zip(params: dict) -> tuple[str, str, bytes]:
    buffer = io.BytesIO()
    # PDFs are compressed already: stored as they are, the ZIP is made quickly.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for assessment_id in params["assessments"]:
            assessment = _assessment(assessment_id)
            pdf = report_pdf(assessment, params["paper"], params["language"])
            archive.writestr(file_name(assessment, params["language"]), pdf)
    return params["name"], "application/zip", buffer.getvalue()


def _export(params: dict) -> tuple[str, str, bytes]:
    f = comparison.filter_from(params["filter"])
    return exports.export_bytes(params["table"], params["format"], f)


def _network_report(params: dict) -> tuple[str, str, bytes]:
    return network_pdf(comparison.filter_from(params["filter"]), params["language"])


def _blank(params: dict) -> tuple[str, str, bytes]:
    questionnaire = instrument.questionnaire(params["questionnaire"], params["version"])
    blank = blank_of(questionnaire, params["area"], params["paper"], params["language"])
    return blank_file_name(blank), "application/pdf", blank_pdf(blank)


KINDS = {
    "report": Kind(_report, items=lambda params: [params["assessment"]], work=_render),
    "reports_zip": Kind(_reports_zip, items=lambda params: params["assessments"], work=_render),
    "export": Kind(_export),
    "network_report": Kind(_network_report),
    "blank": Kind(_blank),
}
