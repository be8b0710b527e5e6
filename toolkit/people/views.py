"""People: administrators manage every account; city leads manage their city's editors."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from toolkit.accounts import service as accounts
from toolkit.accounts.models import ROLES, User
from toolkit.core.access import authorize
from toolkit.core.extensions import db
from toolkit.core.templating import ROLE_NAMES
from toolkit.people import service as people
from toolkit.people.forms import UserForm

bp = Blueprint("people", __name__, url_prefix="/people")


@bp.get("/")
@login_required
def index():
    """Every account, by role and city."""
    authorize("manage_users")
    role = request.args.get("role", "")
    query = db.select(User).options(selectinload(User.city)).order_by(User.role, User.email)
    if role in ROLES:
        query = query.where(User.role == role)
    users = db.session.execute(query).scalars().all()
    return render_template("people/index.html", users=users, role=role, roles=ROLE_NAMES)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Create an account; the new user sets a password through an invitation link."""
    authorize("manage_users")
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                form.email.data, form.name.data, form.role.data, form.chosen_city(), current_user
            )
        except accounts.AccountError as error:
            form.email.errors.append(str(error))
        else:
            return people.show_link(
                accounts.issue_link(user, "invitation", current_user), current_user
            )
    return render_template("people/form.html", form=form, user=None)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
def edit(user_id: int):
    """Change an account's name, email, role or city."""
    authorize("manage_users")
    user = db.get_or_404(User, user_id)
    form = UserForm(
        data={
            "name": user.name,
            "email": user.email,
            "role": user.role,
            "city": user.city.slug if user.city else "",
        }
    )
    if form.validate_on_submit():
        refusal = people.change_user(
            user,
            form.name.data,
            form.email.data,
            form.role.data,
            form.chosen_city(),
            current_user,
        )
        if refusal is None:
            flash(_("Saved %(email)s.", email=user.email), "success")
            return redirect(url_for("people.index"))
        form[refusal.field].errors.append(refusal.message)
    return render_template("people/form.html", form=form, user=user)


@bp.post("/<int:user_id>/deactivate")
@login_required
def deactivate(user_id: int):
    """Stop an account from signing in; its sessions end at once."""
    user = _managed_user(user_id)
    if user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
    else:
        accounts.set_active(user, False, current_user)
        flash(_("%(name)s can no longer sign in.", name=user.name), "success")
    return redirect(people.back_from(user, current_user))


@bp.post("/<int:user_id>/reactivate")
@login_required
def reactivate(user_id: int):
    """Let a deactivated account sign in again."""
    user = _managed_user(user_id)
    accounts.set_active(user, True, current_user)
    flash(_("%(name)s can sign in again.", name=user.name), "success")
    return redirect(people.back_from(user, current_user))


@bp.post("/<int:user_id>/reset-link")
@login_required
def reset_link(user_id: int):
    """Make a one-time link with which the user chooses a new password."""
    user = _managed_user(user_id)
    if not user.active:
        flash(_("Reactivate the account first."), "error")
        return redirect(people.back_from(user, current_user))
    purpose = "reset" if user.password_hash else "invitation"
    return people.show_link(accounts.issue_link(user, purpose, current_user), current_user)


def _managed_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    authorize("manage_user", user)
    return user
