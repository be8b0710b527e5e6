"""The assessment pages, one Blueprint (`assessments`) with a module per job: answering.py
(start, overview, areas and their answers, assignments), review.py (submit, review, reopen,
notes and replies) and results.py (results, an answer's history, the timeline)."""

from toolkit.assessments.views import answering, results, review
from toolkit.assessments.views.common import bp

__all__ = ["answering", "bp", "results", "review"]
