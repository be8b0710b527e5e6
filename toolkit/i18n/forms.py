"""The language switch."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import InputRequired

from toolkit.i18n.service import offered_languages


class LanguageForm(FlaskForm):
    """Choose the language of the pages (and the default of one's reports)."""

    language = SelectField(_l("Language"), validators=[InputRequired()], choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = [(lang.code, lang.name) for lang in offered_languages()]
