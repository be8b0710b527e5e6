"""The sign-in form, the form that sets a password through a one-time link, and the choice of
email of notifications."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from toolkit.accounts.service import MIN_PASSWORD_LENGTH
from toolkit.core.forms import Form


class LoginForm(Form):
    email = EmailField(
        _l("Email"),
        filters=[lambda value: value.strip() if value else value],
        validators=[DataRequired(), Length(max=254)],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class SetPasswordForm(Form):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class EmailChoiceForm(Form):
    email_notifications = RadioField(
        _l("Email of your notifications"),
        choices=[
            SelectChoice("immediate", _l("Each notification as it happens")),
            SelectChoice("digest", _l("One email a day with the day's notifications")),
            SelectChoice("off", _l("No email: I read them on the Notifications page")),
        ],
        validators=[DataRequired()],
    )
