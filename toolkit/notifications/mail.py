"""Email of notifications: plain text, in the recipient's language, through SMTP.

A step's immediate mail is sent once the step is committed (`transaction.after_commit`), on one
connection, with `MAIL_TIMEOUT` seconds for each exchange with the server; never inside the
step's transaction, so a failing server fails no step. A mail is a few hundred bytes to one
server: the job system (a worker and Redis to run, a row per job) would add a dependency every
site needs for what a bounded wait does. Whatever could not be sent stays `pending`, and
`toolkit notifications send` (cron) retries it and sends the daily digests.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable
from email.headerregistry import Address
from email.message import EmailMessage

from flask import Flask, current_app, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from toolkit.accounts.models import User
from toolkit.core.config import public_request_context
from toolkit.core.extensions import db
from toolkit.core.models import utcnow
from toolkit.core.templating import city_time_zone, format_when
from toolkit.notifications.models import Notification
from toolkit.notifications.service import message


def send_now(app: Flask, ids: list[int]) -> None:
    """Send the immediate mail of these (committed) notifications; what fails stays pending."""
    with app.app_context():
        # The step is committed: whatever goes wrong here leaves the mail for the next run,
        # never an error page for a step that was saved.
        try:
            rows = _pending(Notification.id.in_(ids))
            _send(app, [(r.user, [r]) for r in rows if r.user.email_notifications == "immediate"])
            db.session.commit()
        except Exception:
            db.session.rollback()
            app.logger.exception("notification mail not sent, left for the next run")


def send_pending(now=None) -> int:
    """Send every pending mail: each immediate one left unsent, and each digest person's day's
    mail (one a day, with all their unsent notifications). Mail of a person who turned email off
    or was deactivated is dropped. Returns how many mails were sent."""
    now = now or utcnow()
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    mails, by_user = [], {}
    for row in _pending():
        by_user.setdefault(row.user, []).append(row)
    for user, rows in by_user.items():
        if not user.active or user.email_notifications == "off":
            for row in rows:
                row.mail_state = None
        elif user.email_notifications == "immediate":
            mails.extend((user, [row]) for row in rows)
        elif not _digest_sent_since(user, start_of_day):
            mails.append((user, rows))
    sent = _send(current_app._get_current_object(), mails)
    db.session.commit()
    return sent


def _pending(*where) -> list[Notification]:
    return list(
        db.session.scalars(
            db.select(Notification)
            .where(Notification.mail_state == "pending", *where)
            .order_by(Notification.user_id, Notification.created_at, Notification.id)
        )
    )


def _digest_sent_since(user: User, since) -> bool:
    return (
        db.session.execute(
            db.select(Notification.id)
            .where(Notification.user_id == user.id, Notification.mailed_at >= since)
            .limit(1)
        ).first()
        is not None
    )


def _send(app: Flask, mails: Iterable[tuple[User, list[Notification]]]) -> int:
    """Send each (person, notifications) as one mail on one connection; mark them sent."""
    mails = list(mails)
    if not mails or not app.config.get("MAIL_SERVER"):
        return 0
    sent = 0
    try:
        with _connect(app.config) as smtp:
            for user, rows in mails:
                # One refused address (or mail) leaves only that mail for the next run.
                try:
                    smtp.send_message(compose(app, user, rows))
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as error:
                    app.logger.warning("notification mail to %s refused: %s", user.email, error)
                    continue
                for row in rows:
                    row.mail_state, row.mailed_at = "sent", utcnow()
                sent += 1
    except (OSError, smtplib.SMTPException) as error:
        app.logger.warning("notification mail not sent, left for the next run: %s", error)
    return sent


def _connect(config) -> smtplib.SMTP:
    host, port, timeout = config["MAIL_SERVER"], int(config["MAIL_PORT"]), config["MAIL_TIMEOUT"]
    security = config["MAIL_SECURITY"]
    if security == "tls":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    if config.get("MAIL_USERNAME"):
        smtp.login(str(config["MAIL_USERNAME"]), str(config["MAIL_PASSWORD"] or ""))
    return smtp


def compose(app: Flask, user: User, rows: list[Notification]) -> EmailMessage:
    """The mail of these notifications to `user`, in their language: each with its time (in
    their city's zone) and its link."""
    language = user.language or app.config["BABEL_DEFAULT_LOCALE"]
    zone = city_time_zone(user.city)
    with public_request_context(app), force_locale(language):
        items = [
            f"{message(row)}\n{format_when(row.created_at, zone)}\n"
            f"{url_for('notifications.follow', notification_id=row.id, _external=True)}"
            for row in rows
        ]
        if len(rows) == 1:
            subject = message(rows[0])
        else:
            subject = ngettext(
                "ASUS toolkit: %(num)d new notification",
                "ASUS toolkit: %(num)d new notifications",
                len(rows),
            )
        greeting = _("Hello %(name)s,", name=user.name)
        closing = _(
            "You get these emails because of your choice on your account page: %(url)s",
            url=url_for("account.index", _external=True, _anchor="email"),
        )
    mail = EmailMessage()
    # A subject is one line: a reviewer's comment or an action's title may hold line breaks.
    mail["Subject"] = " ".join(subject.split())[:200]
    mail["From"] = app.config["MAIL_FROM"]
    mail["To"] = Address(display_name=user.name, addr_spec=user.email)
    mail.set_content("\n\n".join([greeting, *items, closing]) + "\n")
    return mail
