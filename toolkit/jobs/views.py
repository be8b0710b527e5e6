"""The job page: progress while a background job runs, then its file, or why it failed."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from toolkit.core.access import can
from toolkit.core.downloads import attachment
from toolkit.core.extensions import db
from toolkit.jobs.models import Job
from toolkit.jobs.service import recover_stalled, restart

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
RECENT = 20


@bp.get("/")
@login_required
def index():
    """The person's recent jobs, newest first: to come back for a file once it is ready."""
    recent = db.session.execute(
        db.select(Job)
        .filter_by(requested_by_id=current_user.id)
        .order_by(Job.created_at.desc())
        .limit(RECENT)
    ).scalars()
    return render_template("jobs/index.html", jobs=[(job, message(job)) for job in recent])


@bp.get("/<job_id>")
@login_required
def job(job_id: str):
    """The job's progress bar (job.js polls the status), its file to download when finished,
    and the reason with a retry button when it failed."""
    job = _job(job_id)
    return render_template("jobs/job.html", job=job, message=message(job))


@bp.get("/<job_id>/status")
@login_required
def status(job_id: str):
    """The job's state as JSON, polled by the job page."""
    job = _job(job_id)
    return jsonify(
        id=job.id,
        status=job.status,
        done=job.done,
        total=job.total,
        attempt=job.attempt,
        message=message(job),
        error=job.error,
        download=url_for("jobs.download", job_id=job.id) if job.status == "finished" else None,
    )


@bp.get("/<job_id>/download")
@login_required
def download(job_id: str):
    """The job's file."""
    job = _job(job_id)
    if job.status != "finished":
        abort(404)
    return attachment(job.result, job.result_type, job.result_name)


@bp.post("/<job_id>/retry")
@login_required
def retry(job_id: str):
    """Start a failed job again."""
    job = _job(job_id)
    if job.status == "failed":
        restart(job, because="retried by its user")
    return redirect(url_for("jobs.job", job_id=job.id), 303)


def message(job: Job) -> str:
    """Where the job is, in a sentence."""
    if job.status == "running" and job.total:
        return _("Working: %(done)d of %(total)d done.", done=job.done, total=job.total)
    return {
        "queued": _("Waiting for a worker to start."),
        "running": _("Working."),
        "assembling": _("Putting the file together."),
        "finished": _("Ready."),
        "failed": _("Failed."),
    }[job.status]


def _job(job_id: str) -> Job:
    """The job, for the person who asked for it (and administrators); a lost worker's job is
    restarted here too, so that looking at it is enough to get it going again."""
    job = db.session.get(Job, job_id)
    if job is None or not can(current_user, "view_job", job):
        abort(404)
    if recover_stalled(job):
        db.session.refresh(job)
    return job
