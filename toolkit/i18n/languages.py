"""The languages the toolkit speaks, the state of each translation, and whose language a page,
a report or a message is in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
SOURCE = "en"
# English first (the source), then as ASEAN lists its members' languages, by code.
CODES = ("en", "id", "vi", "th", "ms", "fil", "km", "lo", "my")
STATE_LINE = re.compile(r"^#\s*Translation-State:\s*(\w+)", re.MULTILINE)


@dataclass(frozen=True)
class Language:
    """One language of the interface: its code, its name in itself and in English, and the
    state of its translation ("source", "draft" until a native speaker reviews it, "reviewed");
    `translated`/`total` count the interface catalogue's messages."""

    code: str
    name: str
    english_name: str
    state: str
    translated: int
    total: int

    @property
    def draft(self) -> bool:
        return self.state == "draft"


def catalogue_path(code: str, folder: Path = TRANSLATIONS) -> Path:
    """Where a language's interface catalogue (.po) lives."""
    return folder / code / "LC_MESSAGES" / "messages.po"


@cache
def languages(codes: tuple[str, ...] = CODES) -> tuple[Language, ...]:
    """The languages of `codes` with the state of their interface catalogue, read once."""
    return tuple(_language(code) for code in codes)


def language(code: str) -> Language | None:
    """One of the toolkit's languages by code, None if it is not one."""
    return next((lang for lang in languages() if lang.code == code), None)


def translation_state(code: str) -> str:
    """The state of a language's translation: "source", "draft", "reviewed" or "missing"."""
    found = language(code)
    return found.state if found else "missing"


def _language(code: str) -> Language:
    locale = Locale.parse(code)
    name = locale.get_display_name(code) or code
    english = locale.get_display_name("en") or code
    if code == SOURCE:
        return Language(code, name, english, "source", 0, 0)
    path = catalogue_path(code)
    if not path.exists():
        return Language(code, name, english, "missing", 0, 0)
    with path.open("rb") as file:
        catalogue = read_po(file)
    messages = [m for m in catalogue if m.id]
    translated = sum(1 for m in messages if _filled(m.string) and not m.fuzzy)
    found = STATE_LINE.search(catalogue.header_comment or "")
    return Language(
        code,
        name[:1].upper() + name[1:],
        english,
        found.group(1).lower() if found else "draft",
        translated,
        len(messages),
    )


def _filled(string) -> bool:
    if isinstance(string, tuple | list):
        return all(string)
    return bool(string)


# The main language of each ASEAN member state: a city's default, unless it chose another.
COUNTRY_LANGUAGES = {
    "BN": "ms",
    "ID": "id",
    "KH": "km",
    "LA": "lo",
    "MM": "my",
    "MY": "ms",
    "PH": "fil",
    "SG": "en",
    "TH": "th",
    "VN": "vi",
}
# Codes browsers still send for our languages: Tagalog for Filipino, the old one for Indonesian.
ALIASES = {"tl": "fil", "in": "id"}
