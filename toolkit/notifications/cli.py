"""`toolkit notifications remind | send`: the daily reminders of actions, and the mail left to
send (digests, and immediate mail a failing server refused). Both are safe to run again."""

from __future__ import annotations

import click
from flask import current_app

from toolkit.core.extensions import db
from toolkit.notifications.mail import send_pending
from toolkit.notifications.service import remind


@click.group("notifications")
def notifications_cli():
    """Reminders of actions and the email of notifications (run by cron)."""


@notifications_cli.command("remind")
def remind_command():
    """Notify of open actions due within 7 days or overdue, once each (run daily)."""
    made = remind()
    db.session.commit()
    click.echo(f"{made} reminder(s) made.")


@notifications_cli.command("send")
def send_command():
    """Send the daily digests and retry the mail not sent yet."""
    if not current_app.config.get("MAIL_SERVER"):
        raise click.ClickException("MAIL_SERVER is not set: no mail to send.")
    click.echo(f"{send_pending()} mail(s) sent.")
