"""The ASUS instrument: questionnaire definitions, their loader and the scoring engine.

Pure Python: this package knows nothing of Flask, the database or PDFs.
"""

from .loader import Problem, QuestionnaireError, catalogue, load
from .model import (
    AREA_IDS,
    AnswerValueError,
    Area,
    EvidenceLine,
    Question,
    Questionnaire,
    SubArea,
    Text,
)
from .scoring import AnswerError, GivenAnswer, Scorecard, score, score_area, summarize

__all__ = [
    "AREA_IDS",
    "AnswerError",
    "AnswerValueError",
    "Area",
    "EvidenceLine",
    "GivenAnswer",
    "Problem",
    "Question",
    "Questionnaire",
    "QuestionnaireError",
    "Scorecard",
    "SubArea",
    "Text",
    "catalogue",
    "load",
    "score",
    "score_area",
    "summarize",
]
