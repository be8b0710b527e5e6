"""What every template may use: words for roles, statuses and events, what the person may do
(`can`), number formats and times."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.numbers import format_decimal
from flask import Flask, g, has_request_context
from flask_babel import format_datetime, get_locale, get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_context

from questionnaires import Question, Text
from questionnaires.translations import question_texts
from reports import words
from reports.render import file_size, percent, score
from reports.render import number as figure
from toolkit.assessments.models import Assessment
from toolkit.assessments.workflow import STATUS_NAMES
from toolkit.cities.models import City
from toolkit.core import access
from toolkit.i18n.languages import SOURCE, language
from toolkit.i18n.service import city_language, language_code, offered_languages

ROLE_NAMES = {
    "admin": _l("Administrator"),
    "network": _l("Network staff"),
    "city_lead": _l("City lead"),
    "city_editor": _l("City editor"),
}
EVENT_NAMES = {
    "assessment_created": _l("Started"),
    "answers_saved": _l("Answers saved"),
    "workbook_applied": _l("Answers saved from a workbook"),
    "areas_assigned": _l("Areas assigned"),
    "cohort_saved": _l("Cohort saved"),
    "assessment_submitted": _l("Submitted for review"),
    "assessment_approved": _l("Approved"),
    "assessment_returned": _l("Returned with comments"),
    "assessment_reopened": _l("Reopened"),
    "review_note_replied": _l("Reply to a reviewer's note"),
    "evidence_attached": _l("File attached"),
    "evidence_removed": _l("File removed"),
    "demo_assessment_loaded": _l("Demo data loaded"),
}

# The main time zone of each ASEAN member state: a city's times, unless it chose another.
COUNTRY_TIME_ZONES = {
    "BN": "Asia/Brunei",
    "ID": "Asia/Jakarta",
    "KH": "Asia/Phnom_Penh",
    "LA": "Asia/Vientiane",
    "MM": "Asia/Yangon",
    "MY": "Asia/Kuala_Lumpur",
    "PH": "Asia/Manila",
    "SG": "Asia/Singapore",
    "TH": "Asia/Bangkok",
    "VN": "Asia/Ho_Chi_Minh",
}
# Every zone of the member states, from west to east: what a city can choose.
TIME_ZONES = (
    "Asia/Yangon",
    "Asia/Bangkok",
    "Asia/Ho_Chi_Minh",
    "Asia/Phnom_Penh",
    "Asia/Vientiane",
    "Asia/Jakarta",
    "Asia/Pontianak",
    "Asia/Kuala_Lumpur",
    "Asia/Kuching",
    "Asia/Singapore",
    "Asia/Brunei",
    "Asia/Manila",
    "Asia/Makassar",
    "Asia/Jayapura",
)


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
        current_locale=language_code,
        current_language=lambda: language(language_code()),
        offered_languages=offered_languages,
        city_language=city_language,
        question_translated=question_translated,
        role_name=lambda role: ROLE_NAMES.get(role, role),
        status_name=lambda status: STATUS_NAMES.get(status, status),
        event_name=lambda action: EVENT_NAMES.get(action, action.replace("_", " ")),
        # What the signed-in person may do (access.can): pages show a link only where it works.
        can=lambda action, obj=None: access.can(current_user, action, obj),
    )
    # The report's own formats, so that a page and its PDF write a number alike.
    app.jinja_env.filters.update(
        score=lambda value: score(value, language_code()),
        percent=lambda value: percent(value, language_code()),
    )
    app.jinja_env.filters["file_size"] = lambda size: file_size(size, language_code())
    app.jinja_env.filters["thousands"] = thousands
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["localized"] = localized
    app.jinja_env.globals["describe"] = describe_snapshot
    app.jinja_env.globals["file_changes"] = file_changes
    app.jinja_env.globals["points_words"] = lambda question, points: words.points_words(
        question, points, _translations(), language_code()
    )
    app.jinja_env.globals["explain"] = lambda card, path: words.explanation(
        card, path, _translations(), language_code()
    )
    app.jinja_env.filters["when"] = _when


def localized(text: Text | None) -> str:
    """A questionnaire text in the page's language, else in English."""
    return "" if text is None else text.get(language_code())


def question_translated(question: Question) -> bool:
    """Whether every text a question shows (its text, help, levels, choices...) is written in
    the page's language."""
    code = language_code()
    return code == SOURCE or all(text.has(code) for text in question_texts(question))


def thousands(value: float | None) -> str:
    """A whole number with the language's grouping ("12,345", "12.345")."""
    return "–" if value is None else format_decimal(round(value), locale=language_code())


def number(value: float | None) -> str:
    """A number as entered, with the language's decimal sign ("2.5", "2,5"), as the report
    writes it."""
    return figure(value, language_code())


def city_time_zone(city: City | None) -> str:
    """The IANA time zone of a city's times: its own, else its country's main zone; UTC for
    no city."""
    if city is None:
        return "UTC"
    return city.time_zone or COUNTRY_TIME_ZONES.get(city.country.code, "UTC")


def page_time_zone(context) -> str:
    """The zone a page shows its times in: that of the city whose assessment or profile it
    shows, else that of the signed-in person's city; UTC on network pages."""
    assessment, city = context.get("assessment"), context.get("city")
    if isinstance(assessment, Assessment):
        return city_time_zone(assessment.city)
    if isinstance(city, City):
        return city_time_zone(city)
    if has_request_context() and current_user.is_authenticated and current_user.city_id:
        return city_time_zone(current_user.city)
    return "UTC"


@pass_context
def _when(context, value: datetime | None) -> str:
    return "–" if value is None else format_when(value, page_time_zone(context))


def format_when(value: datetime, zone: str) -> str:
    """A stored time (naive, UTC) as people read it in `zone`, the same way everywhere: the
    language's medium date and 24-hour time, then the zone ("Dec 1, 2026, 15:11 WIB"), or its
    offset where it has no abbreviation ("Dec 1, 2026, 15:11 (UTC+7)")."""
    moment = value.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
    locale = get_locale() or Locale("en")
    pattern = (
        locale.datetime_formats["medium"]
        .replace("{1}", locale.date_formats["medium"].pattern)
        .replace("{0}", locale.datetime_skeletons["Hm"].pattern)
    )
    return f"{format_datetime(moment, pattern, rebase=False)} {zone_name(moment)}"


def zone_name(moment: datetime) -> str:
    """The zone of an aware time as written after it: "WIB", "UTC", or "(UTC+6:30)"."""
    abbreviation = moment.tzname() or ""
    return abbreviation if abbreviation.isalpha() else f"({utc_offset(moment)})"


def utc_offset(moment: datetime) -> str:
    """The UTC offset of an aware time: "UTC+7", "UTC+6:30"."""
    minutes = int(moment.utcoffset().total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'-' if minutes < 0 else '+'}{hours}{f':{rest:02d}' if rest else ''}"


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
        return _("Not applicable: %(reason)s", reason=snapshot.get("reason") or "").strip()
    value = snapshot.get("value")
    if value is None:
        return _("no answer")
    if question.type == "multi_choice":
        value = tuple(value)
    return words.answer_words(question, value, _translations(), language_code())


def file_changes(old: dict | None, new: dict) -> list[str]:
    """The files a revision attached or removed, in words ("File attached: plan.pdf"). A
    revision made before files could be attached lists none: it changed none."""
    before = {f["id"]: f for f in (old or {}).get("files") or []}
    after = {f["id"]: f for f in new.get("files") or []}
    removed = [
        _("File removed: %(name)s", name=f["name"]) for i, f in before.items() if i not in after
    ]
    added = [
        _("File attached: %(name)s", name=f["name"]) for i, f in after.items() if i not in before
    ]
    return removed + added
