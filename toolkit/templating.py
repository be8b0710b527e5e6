"""What every template may use: words for roles and statuses, number formats."""

from __future__ import annotations

from flask import Flask, g
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l

ROLE_NAMES = {
    "admin": _l("Administrator"),
    "network": _l("Network staff"),
    "city_lead": _l("City lead"),
    "city_editor": _l("City editor"),
}
EVENT_NAMES = {
    "assessment_created": _l("Started"),
    "answers_saved": _l("Answers saved"),
    "areas_assigned": _l("Areas assigned"),
    "cohort_saved": _l("Cohort saved"),
    "assessment_submitted": _l("Submitted for review"),
    "assessment_approved": _l("Approved"),
    "assessment_returned": _l("Returned with comments"),
    "assessment_reopened": _l("Reopened"),
    "review_note_replied": _l("Reply to a reviewer's note"),
    "demo_assessment_loaded": _l("Demo data loaded"),
}
STATUS_NAMES = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "returned": _l("Returned"),
    "approved": _l("Approved"),
}


def register(app: Flask) -> None:
    """Add the `do` extension, the helpers and the filters to the Jinja environment."""
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(
        current_locale=lambda: str(get_locale() or "en"),
        role_name=lambda role: ROLE_NAMES.get(role, role),
        status_name=lambda status: STATUS_NAMES.get(status, status),
        event_name=lambda action: EVENT_NAMES.get(action, action.replace("_", " ")),
    )
    app.jinja_env.filters["score"] = lambda v: "–" if v is None else f"{v:.1f}"
    app.jinja_env.filters["percent"] = lambda v: "–" if v is None else f"{v * 100:.0f}%"
    app.jinja_env.filters["thousands"] = lambda v: "–" if v is None else f"{v:,.0f}"
    app.jinja_env.filters["number"] = lambda v: "–" if v is None else f"{v:g}"
    app.jinja_env.globals["describe"] = describe_snapshot
    app.jinja_env.filters["when"] = lambda v: "–" if v is None else v.strftime("%d %b %Y %H:%M")


def _translations():
    """Flask-Babel's translations for the request's locale, found once per request and locale.

    Flask-Babel looks them up again for every word a template translates; a page translates
    dozens. A change of locale within the request (`force_locale`) is noticed.
    """
    context = g.get("_flask_babel")
    locale = getattr(context, "babel_locale", None)
    found = getattr(context, "toolkit_translations", None)
    if locale is not None and found is not None and found[0] is locale:
        return found[1]
    translations = get_translations()
    context = g.get("_flask_babel")
    if context is not None:
        context.toolkit_translations = (getattr(context, "babel_locale", None), translations)
    return translations


def describe_snapshot(question, snapshot: dict) -> str:
    """An answer snapshot (see Answer.snapshot) in words, for conflicts and history."""
    if snapshot.get("not_applicable"):
        return f"{_l('Not applicable')}: {snapshot.get('reason') or ''}".strip()
    value = snapshot.get("value")
    if value is None:
        return str(_l("no answer"))
    if question.type == "multi_choice":
        value = tuple(value)
    return question.describe(value)
