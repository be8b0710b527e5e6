"""Reports of assessments: the facts gathered for `reports`, and the PDFs kept per version."""

from __future__ import annotations

import time

from sqlalchemy.exc import IntegrityError

from reports import PAPER_SIZES, AnswerFacts, Report, render_pdf

from .answers import earlier_assessments, questionnaire_of, scorecard
from .extensions import db
from .models import Assessment, ReportFile, utcnow


def report_of(assessment: Assessment, paper: str = "A4", language: str = "en") -> Report:
    """The report model of an assessment, with the previous cycle of its questionnaire."""
    previous = next(
        iter(earlier_assessments(assessment.city, assessment.questionnaire_id, assessment.cycle)),
        None,
    )
    return Report(
        city=assessment.city.name,
        country=assessment.city.country.name,
        cycle=assessment.cycle,
        status=assessment.status,
        questionnaire_title=questionnaire_of(assessment).title.get(language),
        questionnaire_version=assessment.questionnaire_version,
        card=scorecard(assessment),
        answers={
            a.question_id: AnswerFacts(
                value=a.value,
                not_applicable=a.not_applicable,
                reason=a.not_applicable_reason,
                comment=a.comment,
                evidence=tuple(a.evidence or ()),
            )
            for a in assessment.answers
        },
        generated=utcnow().date(),
        previous_cycle=previous.cycle if previous else None,
        previous_scores={a: row.score for a, row in previous.scores_by_area().items()}
        if previous
        else {},
        paper=paper,
        language=language,
    )


def report_pdf(assessment: Assessment, paper: str = "A4", language: str = "en") -> bytes:
    """The PDF of the assessment as it is now: from the store when this version was rendered
    before, else rendered and stored (replacing the files of older versions)."""
    if paper not in PAPER_SIZES:
        raise ValueError(f"paper must be one of {', '.join(PAPER_SIZES)}")
    stored = stored_pdf(assessment, paper, language)
    if stored is not None:
        return stored
    start = time.perf_counter()
    pdf = render_pdf(report_of(assessment, paper, language))
    db.session.execute(
        db.delete(ReportFile).where(
            ReportFile.assessment_id == assessment.id,
            ReportFile.assessment_version != assessment.version,
        )
    )
    try:
        with db.session.begin_nested():
            db.session.add(
                ReportFile(
                    assessment_id=assessment.id,
                    assessment_version=assessment.version,
                    paper=paper,
                    language=language,
                    pdf=pdf,
                    render_seconds=time.perf_counter() - start,
                )
            )
    except IntegrityError:
        pass  # another request stored this version meanwhile: the same report
    return pdf


def stored_pdf(assessment: Assessment, paper: str, language: str) -> bytes | None:
    """The PDF of this version of the assessment if it was rendered before, else None."""
    return db.session.execute(
        db.select(ReportFile.pdf).filter_by(
            assessment_id=assessment.id,
            assessment_version=assessment.version,
            paper=paper,
            language=language,
        )
    ).scalar_one_or_none()


def file_name(assessment: Assessment) -> str:
    """asus-<city>-<cycle>-<questionnaire>.pdf"""
    return f"asus-{assessment.city.slug}-{assessment.cycle}-{assessment.questionnaire_id}.pdf"
