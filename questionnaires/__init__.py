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
from .scoring import Answer, AnswerError, Scorecard, score, score_area, summarize

__all__ = [
    "AREA_IDS",
    "Answer",
    "AnswerError",
    "AnswerValueError",
    "Area",
    "EvidenceLine",
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
