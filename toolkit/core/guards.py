"""Input the database cannot take is refused before any view sees it, as a 400 or a 404.

PostgreSQL refuses a NUL character in text, and its integer columns stop at 2**31 - 1: without
these guards such input reached the database and came back as a 500.
"""

from __future__ import annotations

import re

from flask import Flask, abort, current_app, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

# The largest value of the id columns (INTEGER on PostgreSQL and SQLite alike).
MAX_ID = 2**31 - 1


def whole_number(raw: object, largest: int, smallest: int = 1) -> int | None:
    """`raw` as a whole number from `smallest` to `largest`, or None when it is anything else
    (ASCII digits only, at most ten of them: a longer string never reaches int()). A number as
    a spreadsheet cell holds it (5 or 5.0) counts as its digits; True and False do not."""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str) or not re.fullmatch(r"[0-9]{1,10}", raw):
        return None
    return int(raw) if smallest <= int(raw) <= largest else None


class IdConverter(IntegerConverter):
    """`<int:...>` in URLs: a whole number from 0 to MAX_ID; anything larger is no page (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def register(app: Flask) -> None:
    """Make `<int:...>` the bounded id converter and refuse NUL characters and file uploads.

    Call it before the blueprints are registered: rules take their converters when added.
    """
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_unstorable_input)


def takes_files(view):
    """Mark a view that takes files: the guard leaves the request's body to it, since the
    view sets how large a body it takes before reading it. It then calls `check_texts` for
    the form's fields, and checks the files it reads."""
    view.takes_files = True
    return view


def check_texts() -> None:
    """400 for a NUL character in a field of the request's form, as the guard refuses it for
    other views: for views marked `takes_files`, once they have set how large a body they
    take (reading the form reads the body)."""
    _refuse_nul(_texts_of(request.form))


def refuse_unstorable_input() -> None:
    """400 for a NUL character in the path, the query string or a form field, and for files:
    no form of the toolkit takes one, but those of views marked `takes_files` (which check
    their form's fields themselves, `check_texts`)."""
    view = current_app.view_functions.get(request.endpoint)
    body = not getattr(view, "takes_files", False)
    if body and request.files:
        abort(400, _("This form does not take files. Send it again without one."))
    texts = [request.path, *_texts_of(request.args)]
    if body:
        texts += _texts_of(request.form)
    _refuse_nul(texts)


def _texts_of(pairs) -> list[str]:
    """The keys and values of a MultiDict."""
    return [text for key, values in pairs.lists() for text in (key, *values)]


def _refuse_nul(texts: list[str]) -> None:
    if any("\x00" in text for text in texts):
        abort(
            400,
            _(
                "What was sent contains a null character (U+0000), which the toolkit does not "
                "accept. Remove it and try again: nothing was saved."
            ),
        )
