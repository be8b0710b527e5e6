"""Report HTML (Jinja, without Flask) and PDF (WeasyPrint with the locked URL fetcher)."""

from __future__ import annotations

import hashlib
from functools import cache, partial
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_percent, get_decimal_symbol
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from weasyprint import CSS, HTML

from questionnaires import Text

from . import frameworks, svgtext, words
from .blank import BlankQuestionnaire
from .charts import bars, boxes
from .fetcher import ASSETS, AssetsOnlyFetcher
from .model import NetworkReport, Report, canonical
from .pdftext import exact_text

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
# The catalogues (`<language>/LC_MESSAGES/messages.mo`): one for the pages and the reports, so
# that a translator works on one file per language and a page and its PDF say things alike.
TRANSLATIONS = HERE.parent / "toolkit" / "translations"
PAPER_SIZES = {"A4": "A4", "Letter": "letter"}


def score(value: float | None, language: str = "en") -> str:
    """A 0-100 score as people read it: one decimal, or a dash when there is none."""
    return "–" if value is None else decimal_sign(f"{value:.1f}", language)


def percent(value: float | None, language: str = "en") -> str:
    """A 0-1 share as a whole percentage, written as the language writes one ("50%", "50 %")."""
    return "–" if value is None else format_percent(round(value * 100) / 100, locale=language)


def signed(value: float | None, language: str = "en") -> str:
    """A change in points with its sign."""
    return "–" if value is None else decimal_sign(f"{value:+.1f}", language)


def localized(text: Text, language: str) -> Markup:
    """A questionnaire text in the report's language; where it is not translated yet, the
    English, marked as English (for screen readers and the PDF's structure tree)."""
    if text.has(language):
        return escape(text.get(language))
    return Markup('<span lang="en">%s</span>') % text.en


def number(value: float | None, language: str = "en") -> str:
    """A figure as entered ("2.5", "2,5", "1e+06"), with the language's decimal sign."""
    return "–" if value is None else decimal_sign(f"{value:g}", language)


def file_size(size: int, language: str = "en") -> str:
    """A file's size as people read it: whole kB under a megabyte ("240 kB"), else MB with one
    decimal ("2.5 MB"), with the language's decimal sign."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} kB"
    return decimal_sign(f"{size / (1024 * 1024):.1f}", language) + " MB"


def decimal_sign(number: str, language: str) -> str:
    """A number written in Python (rounded the same whatever the language: a score never
    depends on it) with the language's decimal sign."""
    return number.replace(".", get_decimal_symbol(language))


# Scripts written in one language only, as far as the report's readers go: their letters say
# which language a user's text (a city's name, a comment) is in, when the report's is another.
SCRIPT_LANGUAGES = (
    ((0x1000, 0x109F), "my"),  # Myanmar
    ((0xAA60, 0xAA7F), "my"),  # Myanmar Extended-A
    ((0x1780, 0x17FF), "km"),  # Khmer
    ((0x19E0, 0x19FF), "km"),  # Khmer symbols
    ((0x0E00, 0x0E7F), "th"),  # Thai
    ((0x0E80, 0x0EFF), "lo"),  # Lao
)


def script_language(text: str | None) -> str | None:
    """The language of `text` told by its script: "my", "km", "th" or "lo" when every letter
    is of that one script; None for Latin letters (English, Malay, Vietnamese... alike), mixed
    scripts or no letters."""
    found = set()
    for character in text or "":
        if not character.isalpha() and not 0x0E00 <= ord(character) <= 0x19FF:
            continue  # digits, spaces, punctuation (but marks of these scripts count)
        code = ord(character)
        language = next((lang for (low, high), lang in SCRIPT_LANGUAGES if low <= code <= high), "")
        found.add(language)
    return found.pop() if len(found) == 1 and "" not in found else None


def css_string(text: str | None) -> Markup:
    """`text` as the inside of a CSS string in a `<style>` element: every character but letters,
    digits and spaces written as a CSS escape, so that no quote, backslash or `</style>` in a
    city's name can end the string or the element."""
    plain = text.unescape() if isinstance(text, Markup) else str(text or "")
    return Markup("".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in plain))


def lang_attribute(text: str | None, language: str) -> Markup:
    """` lang="my"` for an element holding `text` when its script says it is in another
    language than the report's `language`, else nothing."""
    found = script_language(text)
    return Markup(' lang="{}"').format(found) if found and found != language else Markup("")


def fingerprint(report: Report | BlankQuestionnaire) -> str:
    """A digest of everything the PDF of `report` (or of a blank questionnaire) prints: its
    facts, and the templates, stylesheets and translations that print them. The same digest,
    the same PDF; any change a reader could see (the city's new name, a comment, the previous
    cycle's scores) gives another."""
    look = _look(report.language)
    return hashlib.sha256(f"{look}\n{canonical(report)}".encode()).hexdigest()


@cache
def _look(language: str) -> str:
    """A digest of the files that give a report its look in `language`, read once."""
    digest = hashlib.sha256()
    folders = [TEMPLATES, ASSETS, TRANSLATIONS / language]
    # The catalogues as written (.po): the .mo built from them on each host is the same text.
    files = [
        p for folder in folders for p in folder.rglob("*") if p.is_file() and p.suffix != ".mo"
    ]
    # pdftext.py writes the PDF's text layer and svgtext.py shapes the charts' labels: a change
    # to either is a change to the PDF.
    for path in sorted([*files, HERE / "pdftext.py", HERE / "svgtext.py"]):
        digest.update(str(path.relative_to(HERE.parent)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@cache
def _environment(language: str) -> Environment:
    """One Jinja environment per language: the report's templates with its translations."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    translations = Translations.load(TRANSLATIONS, [language])
    environment.install_gettext_translations(translations, newstyle=True)
    environment.globals["points_words"] = partial(
        words.points_words, translations=translations, language=language
    )
    environment.globals["action_status"] = partial(words.action_status, translations=translations)
    environment.globals["framework_name"] = partial(
        frameworks.framework_name, translations=translations
    )
    environment.globals["target_title"] = partial(
        frameworks.target_title, translations=translations
    )
    environment.filters.update(
        score=partial(score, language=language),
        percent=partial(percent, language=language),
        signed=partial(signed, language=language),
        number=partial(number, language=language),
        file_size=partial(file_size, language=language),
        lang_attribute=lang_attribute,
        css_string=css_string,
        localized=partial(localized, language=language),
    )
    # Day, month and year in this order, the month's name in the report's language.
    environment.filters["day"] = lambda value: format_date(value, "dd MMMM y", locale=language)
    return environment


def render_html(
    report: Report | NetworkReport | BlankQuestionnaire, assets_url: str = ASSETS.as_uri() + "/"
) -> str:
    """The report (an assessment's or the network's) or the blank questionnaire as one HTML
    document; its stylesheets are looked up under `assets_url`."""
    template = _environment(report.language).get_template(report.template)
    return template.render(
        report=report,
        card=getattr(report, "card", None),
        assets_url=assets_url,
        bars=bars,
        boxes=boxes,
    )


def render_pdf(report: Report | NetworkReport | BlankQuestionnaire) -> bytes:
    """The report (or the blank questionnaire) as a tagged PDF (PDF/UA-1) with its metadata,
    bookmarks and fonts embedded.

    Works without a request or an app: the command line, a view and a background job all call
    it. Only files under reports/assets are ever read (see fetcher.py). Its text reads back as
    written in every script, and an element's own `lang` is kept in the structure tree (see
    pdftext.py).
    """
    html = HTML(
        string=render_html(report),
        base_url=ASSETS.as_uri() + "/",
        url_fetcher=AssetsOnlyFetcher(),
    )
    paper = CSS(string=f"@page {{ size: {PAPER_SIZES[report.paper]}; }}")
    svgtext.install()
    with exact_text():
        return html.write_pdf(stylesheets=[paper], pdf_variant="pdf/ua-1")
