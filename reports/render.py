"""Report HTML (Jinja, without Flask) and PDF (WeasyPrint with the locked URL fetcher)."""

from __future__ import annotations

import hashlib
from functools import cache, partial
from pathlib import Path

from babel.dates import format_date
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape
from weasyprint import CSS, HTML

from . import words
from .charts import bars, boxes
from .fetcher import ASSETS, AssetsOnlyFetcher
from .model import NetworkReport, Report, canonical

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
# The report's catalogues (`<language>/LC_MESSAGES/messages.mo`), shipped with the package.
TRANSLATIONS = HERE / "translations"
PAPER_SIZES = {"A4": "A4", "Letter": "letter"}


def score(value: float | None) -> str:
    """A 0-100 score as people read it: one decimal, or a dash when there is none."""
    return "–" if value is None else f"{value:.1f}"


def percent(value: float | None) -> str:
    """A 0-1 share as a whole percentage."""
    return "–" if value is None else f"{value * 100:.0f}%"


def signed(value: float | None) -> str:
    """A change in points with its sign."""
    return "–" if value is None else f"{value:+.1f}"


def fingerprint(report: Report) -> str:
    """A digest of everything the PDF of `report` prints: its facts, and the templates,
    stylesheet and translations that print them. The same digest, the same PDF; any change a
    reader could see (the city's new name, a comment, the previous cycle's scores) gives
    another."""
    look = _look(report.language)
    return hashlib.sha256(f"{look}\n{canonical(report)}".encode()).hexdigest()


@cache
def _look(language: str) -> str:
    """A digest of the files that give a report its look in `language`, read once."""
    digest = hashlib.sha256()
    folders = [TEMPLATES, ASSETS, TRANSLATIONS / language]
    for path in sorted(p for folder in folders for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(HERE)).encode() + b"\0" + path.read_bytes())
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
    environment.filters.update(score=score, percent=percent, signed=signed)
    # Day, month and year in this order, the month's name in the report's language.
    environment.filters["day"] = lambda value: format_date(value, "dd MMMM y", locale=language)
    return environment


def render_html(report: Report | NetworkReport, assets_url: str = ASSETS.as_uri() + "/") -> str:
    """The report (an assessment's or the network's) as one HTML document; its stylesheet is
    looked up under `assets_url`."""
    template = _environment(report.language).get_template(report.template)
    return template.render(
        report=report,
        card=getattr(report, "card", None),
        assets_url=assets_url,
        bars=bars,
        boxes=boxes,
    )


def render_pdf(report: Report | NetworkReport) -> bytes:
    """The report as a tagged PDF (PDF/UA-1) with its metadata, bookmarks and fonts embedded.

    Works without a request or an app: the command line, a view and a background job all call
    it. Only files under reports/assets are ever read (see fetcher.py).
    """
    html = HTML(
        string=render_html(report),
        base_url=ASSETS.as_uri() + "/",
        url_fetcher=AssetsOnlyFetcher(),
    )
    paper = CSS(string=f"@page {{ size: {PAPER_SIZES[report.paper]}; }}")
    return html.write_pdf(stylesheets=[paper], pdf_variant="pdf/ua-1")
