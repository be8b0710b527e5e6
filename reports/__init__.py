"""Reports: the report model built from a scorecard and the city's facts, its HTML, its PDF.

Knows nothing of Flask or the database: the web app, the command line and background jobs
gather the facts into a `Report` and call `render_html` or `render_pdf`.
"""

from .blank import BlankQuestionnaire
from .model import (
    ActionFacts,
    AnswerFacts,
    CohortFacts,
    FileFacts,
    NetworkReport,
    NetworkRow,
    Report,
    Spread,
)
from .render import PAPER_SIZES, fingerprint, render_html, render_pdf

__all__ = [
    "PAPER_SIZES",
    "ActionFacts",
    "AnswerFacts",
    "BlankQuestionnaire",
    "CohortFacts",
    "FileFacts",
    "NetworkReport",
    "NetworkRow",
    "Report",
    "Spread",
    "fingerprint",
    "render_html",
    "render_pdf",
]
