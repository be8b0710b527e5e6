"""People: administrators manage every account; city leads manage their city's editors."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from wtforms import EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from toolkit.accounts import service as accounts
from toolkit.accounts.models import CITY_ROLES, ROLES, User
from toolkit.cities.models import City
from toolkit.core.access import authorize
from toolkit.core.audit import record
from toolkit.core.extensions import db
from toolkit.core.templating import ROLE_NAMES

bp = Blueprint("people", __name__, url_prefix="/people")


class PersonForm(FlaskForm):
    """Name and email: what a city lead gives when inviting an editor."""

    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        _l("Email"),
        filters=[lambda value: value.strip() if value else value],
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )


class UserForm(PersonForm):
    """What an administrator sets for any account."""

    role = SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_NAMES[r]) for r in ROLES])
    city = SelectField(_l("City"), choices=[], validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cities = db.session.execute(db.select(City).order_by(City.name)).scalars()
        self.city.choices = [SelectChoice("", _("— none (network staff and administrators) —"))]
        self.city.choices += [SelectChoice(c.slug, f"{c.name} ({c.country.code})") for c in cities]

    def validate_city(self, field):
        if field.data and field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_("Choose a city from the list."))
        if (self.role.data in CITY_ROLES) != bool(field.data):
            raise ValidationError(
                _("City leads and editors need a city; network staff and administrators have none.")
            )

    def chosen_city(self) -> City | None:
        if not self.city.data:
            return None
        return db.session.execute(db.select(City).filter_by(slug=self.city.data)).scalar_one()


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
            return show_link(accounts.issue_link(user, "invitation", current_user))
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
        other = accounts.find_user(form.email.data)
        if other is not None and other.id != user.id:
            form.email.errors.append(_("Another account already uses this email."))
        elif user.id == current_user.id and form.role.data != "admin":
            form.role.errors.append(_("You cannot remove your own administrator role."))
        else:
            before = {"role": user.role, "city": user.city.slug if user.city else None}
            # Look the city up before changing the user: the query would flush a half-changed row.
            city = form.chosen_city()
            user.name = form.name.data.strip()
            user.email = accounts.normalise_email(form.email.data)
            user.role = form.role.data
            user.city = city
            record("user_changed", user, before=before, role=user.role, city=form.city.data)
            flash(_("Saved %(email)s.", email=user.email), "success")
            return redirect(url_for("people.index"))
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
    return redirect(_back(user))


@bp.post("/<int:user_id>/reactivate")
@login_required
def reactivate(user_id: int):
    """Let a deactivated account sign in again."""
    user = _managed_user(user_id)
    accounts.set_active(user, True, current_user)
    flash(_("%(name)s can sign in again.", name=user.name), "success")
    return redirect(_back(user))


@bp.post("/<int:user_id>/reset-link")
@login_required
def reset_link(user_id: int):
    """Make a one-time link with which the user chooses a new password."""
    user = _managed_user(user_id)
    if not user.active:
        flash(_("Reactivate the account first."), "error")
        return redirect(_back(user))
    purpose = "reset" if user.password_hash else "invitation"
    return show_link(accounts.issue_link(user, purpose, current_user))


def _managed_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    authorize("manage_user", user)
    return user


def _back(user: User) -> str:
    if current_user.role == "admin":
        return url_for("people.index")
    return url_for("cities.team", slug=user.city.slug)


def show_link(issued: accounts.IssuedLink):
    """Show a one-time link to copy: the only time its token is visible."""
    url = url_for("auth.set_password", token=issued.token, _external=True)
    page = render_template("people/link.html", issued=issued, url=url, back=_back(issued.user))
    return page, 200, {"Cache-Control": "no-store"}
