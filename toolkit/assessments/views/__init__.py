"""The assessment pages, one Blueprint (`assessments`) with a module per job: answering.py
(start, overview, areas and their answers, assignments), review.py (submit, review, reopen,
notes and replies), results.py (results, an answer's history, the timeline) and workbook.py
(the assessment as a workbook to fill offline, and its upload)."""

from toolkit.assessments.views import answering, results, review, workbook
from toolkit.assessments.views.common import bp

__all__ = ["answering", "bp", "results", "review", "workbook"]
