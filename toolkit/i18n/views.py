"""The language switch and the page of every language with the state of its translation."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request
from flask_babel import gettext as _

from questionnaires.translations import untranslated
from toolkit.accounts.views import safe_next
from toolkit.core import instrument
from toolkit.i18n.forms import LanguageForm
from toolkit.i18n.languages import languages
from toolkit.i18n.service import choose_language, offered

bp = Blueprint("i18n", __name__)


@bp.post("/language")
def switch():
    """Change the language of the pages: on the person's account when signed in."""
    form = LanguageForm()
    if form.validate_on_submit():
        choose_language(form.language.data)
    else:
        flash(_("Choose one of the languages offered."), "error")
    return redirect(safe_next(_same_site_page(request.referrer)))


def _same_site_page(referrer: str | None) -> str | None:
    """The page the switch was on (the browser sends it: Referrer-Policy is same-origin), as a
    path on this site; None for another site's."""
    if not referrer:
        return None
    try:
        parts = urlsplit(referrer)
    except ValueError:  # such as an unclosed "[" of an IPv6 host
        return None
    if parts.netloc.lower() != request.host.lower():
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.get("/languages")
def index():
    """Each language with how much of the interface and the questionnaires it translates, and
    whether a native speaker has reviewed it."""
    codes = offered()
    rows = [lang for lang in languages() if lang.code in codes]
    titles = instrument.titles()
    coverage = {}
    for qid in sorted(titles):
        counts = {code: untranslated(instrument.latest(qid), code) for code in codes}
        coverage[qid] = {
            code: (total - missing, total) for code, (missing, total) in counts.items()
        }
    return render_template("i18n/languages.html", rows=rows, coverage=coverage, titles=titles)
