"""Whose language a page is in, and a person's choice of language."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import escape

from toolkit.cities.models import City
from toolkit.i18n.languages import ALIASES, COUNTRY_LANGUAGES, SOURCE, Language, languages

# Where the header's switch keeps the choice of someone not signed in (the sign-in page).
SESSION_KEY = "language"


def language_code() -> str:
    """The code of the language this page (or this job, under force_locale) is in."""
    return str(get_locale() or SOURCE)


class InPageLanguage:
    """A label made of questionnaire texts, written when it is shown, in the language of the
    page that shows it: form classes are built once per questionnaire version, for readers of
    every language. `render` takes the language code; what it writes is escaped when shown."""

    __slots__ = ("render",)

    def __init__(self, render: Callable[[str], str]):
        self.render = render

    def __str__(self) -> str:
        return self.render(language_code())

    def __html__(self) -> str:
        return escape(str(self))


def offered() -> list[str]:
    """The codes of the languages this installation offers (config LANGUAGES)."""
    return list(current_app.config["LANGUAGES"])


def offered_languages() -> list[Language]:
    """The languages this installation offers, with their names and states."""
    codes = offered()
    return [lang for lang in languages() if lang.code in codes]


def city_language(city: City | None) -> str:
    """A city's default language for its people and its reports: its own choice, else its
    country's main language, if offered; else English."""
    if city is None:
        return SOURCE
    code = city.language or COUNTRY_LANGUAGES.get(city.country.code, SOURCE)
    return code if code in offered() else SOURCE


def page_language() -> str | None:
    """The language of this request: the signed-in person's choice; before one chose, the
    browser's (Accept-Language) when it asks for one we offer; then the person's city's
    default; English. Outside a request None: a background job names its own language."""
    if not has_request_context():
        return None
    codes = offered()
    signed_in = current_user.is_authenticated
    chosen = current_user.language if signed_in else session.get(SESSION_KEY)
    if chosen in codes:
        return chosen
    for tag, quality in request.accept_languages:
        if quality <= 0:  # "not this one"
            continue
        primary = tag.replace("_", "-").split("-")[0].lower()
        code = ALIASES.get(primary, primary)
        if code in codes:
            return code
    if signed_in and current_user.city is not None:
        return city_language(current_user.city)
    return SOURCE


def adopt_language(user, code: str | None) -> None:
    """At sign-in: the language chosen on the sign-in page becomes the person's, unless their
    account has one already."""
    if code in offered() and user.language is None:
        user.language = code


def choose_language(code: str) -> None:
    """Keep the person's choice: on their account when signed in (so it follows them to any
    computer, and the next person at this one keeps theirs), else in the browser's session."""
    if current_user.is_authenticated:
        current_user.language = code
    else:
        session[SESSION_KEY] = code
