"""A pseudo-locale: every message of the catalogue template rewritten as `[!! Ŝàvé ţĥîš !!]`.

Pages shown in it reveal at a glance (and to tests/test_pseudo_locale.py) any interface text
that was not wrapped for translation: it stays plain English between the bracketed segments.
The accents show where a font or an encoding fails, the extra length where a layout breaks
with the longer words of other languages.
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo

OPEN, CLOSE = "[!! ", " !!]"
# Parts of a message kept as they are: printf placeholders (what gettext fills in), HTML tags
# and entities, and format fields in braces.
KEPT = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]|<[^>]*>|&#?\w+;|\{[^{}]*\}")
ACCENTED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "àƀçđéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÀƁÇĐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
)
# Translations run about a third longer than English; the brackets count towards it.
GROWTH = 0.35
PADDING = "·"


def pseudo(text: str) -> str:
    """`text` with accented letters, padded about 35% longer and wrapped in `[!!` `!!]`;
    placeholders, tags and entities unchanged."""
    if not text:
        return text
    pieces, start = [], 0
    for kept in KEPT.finditer(text):
        pieces.append(text[start : kept.start()].translate(ACCENTED))
        pieces.append(kept.group())
        start = kept.end()
    pieces.append(text[start:].translate(ACCENTED))
    padding = round(len(text) * GROWTH) - len(OPEN) - len(CLOSE)
    tail = " " + PADDING * padding if padding > 0 else ""
    return f"{OPEN}{''.join(pieces)}{tail}{CLOSE}"


def extract(root: str | Path, mapping: str | Path) -> Catalog:
    """The catalogue template of the project at `root`, as `pybabel extract -F mapping`
    extracts it (the mapping file names the extra keywords)."""
    with open(mapping, encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file, str(mapping))
    template = Catalog(fuzzy=False)
    for path, line, message, comments, context in extract_from_dir(
        str(root), method_map, options_map
    ):
        template.add(message, None, [(path, line)], auto_comments=comments, context=context)
    return template


def pseudo_catalog(template: Catalog, locale: str) -> Catalog:
    """A catalogue for `locale` translating every message of `template` into its pseudo form,
    plural forms included."""
    catalog = Catalog(locale=locale, fuzzy=False)
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):
            strings = tuple(pseudo(text) for text in message.id)
            forms = catalog.num_plurals
            translation = strings[:1] + strings[1:] * (forms - 1)
        else:
            translation = pseudo(message.id)
        catalog.add(message.id, translation, message.locations, context=message.context)
    return catalog


def write_pseudo_mo(template: Catalog, locale: str, directory: str | Path) -> Path:
    """Compile the pseudo catalogue of `template` to `directory/<locale>/LC_MESSAGES/messages.mo`
    (the layout Flask-Babel and babel.support.Translations read); returns the file."""
    path = Path(directory) / locale / "LC_MESSAGES" / "messages.mo"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        write_mo(file, pseudo_catalog(template, locale))
    return path
