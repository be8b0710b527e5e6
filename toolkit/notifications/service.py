"""Who hears of which step, the inbox, and the reminders of actions falling due.

The workflow's services call the `on_...` functions once their step is done (flushed), so a
step notifies whoever takes it: a page, a command, the API or a job. The rows share the step's
transaction: a step rolled back notifies nobody, and its mail (which waits for the commit,
see mail.py) is never sent.

Services flush; the request (or command) boundary commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from toolkit.accounts.models import CITY_ROLES, User
from toolkit.actions.models import OPEN_STATUSES, Action
from toolkit.assessments.models import Assessment, ReviewNote
from toolkit.core import instrument
from toolkit.core.extensions import db
from toolkit.core.models import utcnow
from toolkit.core.templating import city_time_zone
from toolkit.core.transaction import after_commit
from toolkit.notifications.models import Notification

PAGE_SIZE = 20
REMIND_DAYS = 7  # an action is "due soon" this many days ahead
MAX_COMMENT = 300  # of a reviewer's comment, quoted in the notification


def _recipients(users: Iterable[User], by: User | None, city_id: int | None) -> list[User]:
    """The people among `users` who may hear of a step of `city_id`'s: active, not the one who
    took it, and of that city if they are a city's people."""
    found = {}
    for user in users:
        if not user.active or (by is not None and user.id == by.id):
            continue
        if user.role in CITY_ROLES and user.city_id != city_id:
            continue
        found[user.id] = user
    return list(found.values())


def _city_people(city_id: int, roles=CITY_ROLES) -> list[User]:
    return list(
        db.session.scalars(
            db.select(User).where(User.city_id == city_id, User.role.in_(roles), User.active)
        )
    )


def notify(
    kind: str,
    users: Iterable[User],
    by: User | None,
    *,
    assessment: Assessment | None = None,
    action: Action | None = None,
    due_on: date | None = None,
    details: dict | None = None,
) -> list[Notification]:
    """Notify each of `users` who may hear of it (see `_recipients`) of a step; their email
    follows once the step is committed."""
    city_id = (assessment or action).city_id
    rows = []
    mail = bool(current_app.config.get("MAIL_SERVER"))
    for user in _recipients(users, by, city_id):
        row = Notification(
            user=user,
            kind=kind,
            actor_id=by.id if by else None,
            assessment_id=assessment.id if assessment else action.assessment_id,
            action_id=action.id if action else None,
            due_on=due_on,
            details=details or {},
            mail_state="pending" if mail and user.email_notifications != "off" else None,
        )
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    immediate = [r.id for r in rows if r.mail_state and r.user.email_notifications == "immediate"]
    if immediate:
        from toolkit.notifications.mail import send_now

        app = current_app._get_current_object()
        after_commit(lambda: send_now(app, immediate))
    return rows


def on_submitted(assessment: Assessment, by: User) -> None:
    """Network staff and administrators hear that an assessment waits for their review."""
    staff = db.session.scalars(
        db.select(User).where(User.role.in_(("network", "admin")), User.active)
    )
    notify("submitted", staff, by, assessment=assessment)


def on_returned(assessment: Assessment, by: User, comment: str, notes: int) -> None:
    """The city's people hear their assessment is back with them, with the reviewer's notes."""
    details = {"notes": notes, "comment": (comment or "")[:MAX_COMMENT]}
    notify("returned", _city_people(assessment.city_id), by, assessment=assessment, details=details)


def on_approved(assessment: Assessment, by: User) -> None:
    """The city's people hear their assessment is approved."""
    notify("approved", _city_people(assessment.city_id), by, assessment=assessment)


def on_assigned(assessment: Assessment, added: Iterable[tuple[str, int]], by: User) -> None:
    """Each person newly given areas hears which (`added`: (area id, user id) pairs)."""
    areas: dict[int, list[str]] = {}
    for area_id, user_id in added:
        areas.setdefault(user_id, []).append(area_id)
    for user_id, ids in areas.items():
        notify(
            "assigned",
            [db.session.get(User, user_id)],
            by,
            assessment=assessment,
            details={"areas": sorted(ids)},
        )


def on_replied(note: ReviewNote, by: User) -> None:
    """A reply to a reviewer's note: the reviewer hears of a city's reply; the city's people
    who replied before hear of a reviewer's."""
    if by.role in CITY_ROLES:
        users = [db.session.get(User, note.created_by_id)] if note.created_by_id else []
    else:
        users = [
            r.created_by for r in note.replies if r.created_by and r.created_by.role in CITY_ROLES
        ]
    assessment = db.session.get(Assessment, note.assessment_id)
    notify("note_replied", users, by, assessment=assessment, details={"question": note.question_id})


def remind(now: datetime | None = None) -> int:
    """Notify of every open action due within REMIND_DAYS or overdue, in its city's calendar:
    its responsible person, or the city's leads where it has none. Once per action, kind and due
    date: a second run notifies nobody again, an action whose date moved is reminded again.
    Returns how many notifications it made."""
    now = now or utcnow()
    horizon = now.date() + timedelta(days=REMIND_DAYS + 1)  # the easternmost zone's tomorrow
    actions = db.session.scalars(
        db.select(Action)
        .where(Action.status.in_(OPEN_STATUSES), Action.due_on.is_not(None))
        .where(Action.due_on <= horizon)
        .order_by(Action.id)
    )
    made = 0
    for action in actions:
        today = _local_today(now, action)
        if action.due_on > today + timedelta(days=REMIND_DAYS):
            continue
        kind = "action_overdue" if action.due_on < today else "action_due"
        done = db.session.execute(
            db.select(Notification.id)
            .filter_by(action_id=action.id, kind=kind, due_on=action.due_on)
            .limit(1)
        ).first()
        if done:
            continue
        people = [action.responsible_user] if action.responsible_user else []
        people = _recipients(people, None, action.city_id) or _city_people(
            action.city_id, ("city_lead",)
        )
        made += len(notify(kind, people, None, action=action, due_on=action.due_on))
    return made


def _local_today(now: datetime, action: Action) -> date:
    zone = ZoneInfo(city_time_zone(action.city))
    return now.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date()


def unread_count(user: User) -> int | None:
    """How many of the person's notifications are unread: one COUNT on (user_id, read_at). None
    where the database cannot say, so that an error page still shows."""
    try:
        return db.session.execute(
            db.select(db.func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        ).scalar_one()
    except SQLAlchemyError:
        return None


@dataclass(frozen=True)
class Page:
    """One page of a person's notifications, newest first."""

    items: list[Notification]
    number: int
    pages: int
    unread: int


def inbox(user: User, number: int = 1) -> Page:
    """The person's notifications on page `number` (out of range: the nearest page)."""
    total = db.session.execute(
        db.select(db.func.count()).select_from(Notification).filter_by(user_id=user.id)
    ).scalar_one()
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(max(number, 1), pages)
    items = list(
        db.session.scalars(
            db.select(Notification)
            .filter_by(user_id=user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            # What each message names, in a query each rather than one per notification.
            .options(
                selectinload(Notification.actor),
                selectinload(Notification.assessment).joinedload(Assessment.city),
                selectinload(Notification.action).joinedload(Action.city),
            )
            .offset((number - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    return Page(items, number, pages, unread_count(user) or 0)


def own(user: User, notification_id: int) -> Notification | None:
    """The person's notification of that id; None for another's or none."""
    row = db.session.get(Notification, notification_id)
    return row if row is not None and row.user_id == user.id else None


def mark_read(notification: Notification) -> None:
    """Mark one notification read (again: it stays read as first read)."""
    notification.read_at = notification.read_at or utcnow()
    db.session.flush()


def mark_all_read(user: User) -> None:
    """Mark every unread notification of the person read."""
    db.session.execute(
        db.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.flush()


def link(notification: Notification) -> str:
    """The page a notification is about (its access rules apply when opened)."""
    pages = {
        "returned": "assessments.notes",
        "note_replied": "assessments.notes",
        "submitted": "assessments.review",
    }
    if notification.action_id is not None:
        return url_for("actions.show", action_id=notification.action_id)
    endpoint = pages.get(notification.kind, "assessments.overview")
    return url_for(endpoint, assessment_id=notification.assessment_id)


def message(notification: Notification) -> str:
    """What happened, in a sentence in the current language."""
    n, details = notification, notification.details or {}
    who = n.actor.name if n.actor else ""
    if n.kind in ("action_due", "action_overdue"):
        words = {"title": n.action.title, "city": n.action.city.name, "date": n.due_on.isoformat()}
        if n.kind == "action_due":
            return _('The action "%(title)s" of %(city)s is due on %(date)s.', **words)
        return _(
            'The action "%(title)s" of %(city)s was due on %(date)s and is still open.', **words
        )
    what = assessment_name(n.assessment)
    if n.kind == "submitted":
        return _("%(who)s submitted %(what)s for review.", who=who, what=what)
    if n.kind == "approved":
        return _("%(who)s approved %(what)s.", who=who, what=what)
    if n.kind == "returned":
        text = ngettext(
            "%(who)s returned %(what)s to the city with %(num)d note on questions.",
            "%(who)s returned %(what)s to the city with %(num)d notes on questions.",
            details.get("notes", 0),
            who=who,
            what=what,
        )
        if details.get("comment"):
            text += " " + _("Comment: %(comment)s", comment=details["comment"])
        return text
    if n.kind == "assigned":
        names = instrument.area_names()
        areas = ", ".join(names.get(a, a) for a in details.get("areas", []))
        return _(
            "%(who)s gave you these areas of %(what)s: %(areas)s.", who=who, what=what, areas=areas
        )
    return _(
        "%(who)s replied to a note on question %(question)s of %(what)s.",
        who=who,
        what=what,
        question=details.get("question", ""),
    )


def assessment_name(assessment: Assessment) -> str:
    """An assessment as a notification names it: "Da Nang, ASUS quick assessment, cycle 2026"."""
    title = instrument.titles().get(assessment.questionnaire_id, assessment.questionnaire_id)
    return _(
        "%(city)s, %(title)s, cycle %(cycle)s",
        city=assessment.city.name,
        title=title,
        cycle=assessment.cycle,
    )
