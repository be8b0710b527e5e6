"""The inbox: a person's notifications, newest first; opening one marks it read."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from toolkit.notifications import service

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@login_required
def index():
    """The person's notifications, a page at a time, the unread ones marked."""
    page = service.inbox(current_user, request.args.get("page", 1, type=_page_number))
    return render_template(
        "notifications/index.html",
        page=page,
        message=service.message,
    )


@bp.get("/<int:notification_id>")
@login_required
def follow(notification_id: int):
    """Mark the notification read and go to the page it is about."""
    notification = _own(notification_id)
    service.mark_read(notification)
    return redirect(service.link(notification), 303)


@bp.post("/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    """Mark one notification read, staying in the inbox."""
    service.mark_read(_own(notification_id))
    return redirect(url_for("notifications.index", page=request.args.get("page")), 303)


@bp.post("/read")
@login_required
def read_all():
    """Mark every notification read."""
    service.mark_all_read(current_user)
    return redirect(url_for("notifications.index"), 303)


@bp.app_context_processor
def _unread_count():
    """The header's unread count: a function, so the COUNT runs only where the header asks."""
    return {"unread_notifications": service.unread_count}


def _own(notification_id: int):
    notification = service.own(current_user, notification_id)
    if notification is None:
        abort(404)
    return notification


def _page_number(text: str) -> int:
    """A page number from the query; anything else (or a huge one) is the first page."""
    return int(text) if text.isdigit() and len(text) < 7 else 1
