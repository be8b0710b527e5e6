"""People: changing an account's details, and the page that shows a one-time link (shared by
the administrators' people pages and a city lead's team page)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, url_for
from flask_babel import gettext as _

from toolkit.accounts import service as accounts
from toolkit.accounts.models import User
from toolkit.cities.models import City
from toolkit.core.access import can
from toolkit.core.audit import record


@dataclass(frozen=True)
class Refusal:
    """Why a change was not made: the form field it is about and what to tell the person."""

    field: str
    message: str


def change_user(
    user: User, name: str, email: str, role: str, city: City | None, by: User
) -> Refusal | None:
    """Set an account's name, email, role and city, or say why not: the email is another
    account's, or an administrator would remove their own administrator role."""
    other = accounts.find_user(email)
    if other is not None and other.id != user.id:
        return Refusal("email", _("Another account already uses this email."))
    if user.id == by.id and role != "admin":
        return Refusal("role", _("You cannot remove your own administrator role."))
    before = {"role": user.role, "city": user.city.slug if user.city else None}
    user.name = name.strip()
    user.email = accounts.normalise_email(email)
    user.role = role
    user.city = city
    record("user_changed", user, before=before, role=role, city=city.slug if city else "")
    return None


def back_from(user: User, viewer: User) -> str:
    """Where `viewer` goes back to after managing `user`: the people list for administrators,
    else the team page of the user's city."""
    if can(viewer, "manage_users"):
        return url_for("people.index")
    return url_for("cities.team", slug=user.city.slug)


def show_link(issued: accounts.IssuedLink, viewer: User):
    """The page showing a one-time link to copy: the only time its token is visible."""
    url = url_for("auth.set_password", token=issued.token, _external=True)
    back = back_from(issued.user, viewer)
    page = render_template("people/link.html", issued=issued, url=url, back=back)
    return page, 200, {"Cache-Control": "no-store"}
