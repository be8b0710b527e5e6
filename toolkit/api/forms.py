"""The form of the API tokens page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from toolkit.core.forms import Form


class TokenForm(Form):
    """A new token's name: what it is for."""

    name = StringField(_l("What the token is for"), validators=[DataRequired(), Length(max=80)])
