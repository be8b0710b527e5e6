"""`toolkit user create | set-password`: accounts from the command line."""

from __future__ import annotations

import click
from flask import current_app, url_for

from toolkit.accounts import service as accounts
from toolkit.accounts.models import ROLES
from toolkit.cities.service import find_city
from toolkit.core.audit import record
from toolkit.core.config import public_request_context
from toolkit.core.extensions import db


@click.group("user")
def user_cli():
    """Create users and set passwords."""


@user_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", help="Full name (default: the part of the email before @).")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--city", "city_slug", help="City slug, for city_lead and city_editor.")
@click.option("--password", is_flag=True, help="Ask for a password instead of making a link.")
def create_command(email, name, role, city_slug, password):
    """Create a user and print a one-time invitation link (or ask for a password)."""
    city = None
    if city_slug:
        city = find_city(city_slug)
        if city is None:
            raise click.ClickException(f"no city with the slug {city_slug!r}")
    secret = _ask_password() if password else None
    try:
        user = accounts.create_user(email, name or email.split("@")[0], role, city, None, secret)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    if secret is None:
        issued = accounts.issue_link(user, "invitation", None)
        with public_request_context(current_app):
            url = url_for("auth.set_password", token=issued.token, _external=True)
        click.echo(
            f"Created {user.email} ({role}). Invitation link, valid once, until "
            f"{issued.expires_at:%Y-%m-%d %H:%M} UTC:\n{url}"
        )
    else:
        click.echo(f"Created {user.email} ({role}).")
    db.session.commit()


@user_cli.command("set-password")
@click.argument("email")
def set_password_command(email):
    """Set a user's password (asked twice, never echoed)."""
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"no user with the email {email!r}")
    user.set_password(_ask_password())
    record("password_set", user, user=None, by="command line")
    db.session.commit()
    click.echo(f"Password set for {user.email}.")


def _ask_password() -> str:
    secret = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        accounts.check_password_rules(secret)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    return secret
