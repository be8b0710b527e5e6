"""Reports of assessments: the facts gathered for `reports`, and the PDFs kept per report."""

from __future__ import annotations

import time
from datetime import date

from sqlalchemy.exc import IntegrityError

from questionnaires import Questionnaire
from questionnaires.translations import untranslated
from reports import (
    PAPER_SIZES,
    AnswerFacts,
    BlankQuestionnaire,
    FileFacts,
    Report,
    fingerprint,
    render_pdf,
)
from toolkit.accounts.models import User
from toolkit.actions.service import action_facts
from toolkit.assessments.models import Answer, Assessment
from toolkit.assessments.scores import (
    comparison_with,
    previous_assessment,
    questionnaire_of,
    scorecard,
)
from toolkit.core.extensions import db
from toolkit.evidence.models import EvidenceFile
from toolkit.i18n.languages import translation_state
from toolkit.network.profile import report_cohort
from toolkit.reporting.models import BlankQuestionnaireFile, ReportFile


def report_of(assessment: Assessment, paper: str = "A4", language: str = "en") -> Report:
    """The report model of an assessment, with the previous cycle of its questionnaire."""
    if paper not in PAPER_SIZES:
        raise ValueError(f"paper must be one of {', '.join(PAPER_SIZES)}")
    previous = previous_assessment(assessment)
    files = attached_files(assessment)
    approved = assessment.status == "approved" and assessment.reviewed_at is not None
    approver = db.session.get(User, assessment.reviewed_by_id) if approved else None
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
                files=files.get(a.id, ()),
                data_year=a.data_year,
                data_source=a.data_source,
                carried_over=a.carried_over,
                carried_over_from=assessment.carried_over_cycle if a.carried_over else None,
            )
            for a in assessment.answers
        },
        as_of=as_of(assessment),
        previous_cycle=previous.cycle if previous else None,
        previous_scores={a: row.score for a, row in previous.scores_by_area().items()}
        if previous
        else {},
        previous_version=previous.questionnaire_version if previous else None,
        previous_comparison=comparison_with(previous, assessment) if previous else {},
        paper=paper,
        language=language,
        translation=translation_state(language),
        in_english=untranslated(questionnaire_of(assessment), language),
        approved_by=approver.name if approver else None,
        approved_on=assessment.reviewed_at.date() if approved else None,
        previous_overall=previous.overall_score if previous else None,
        cohort=report_cohort(assessment),
        actions=action_facts(assessment),
    )


def attached_files(assessment: Assessment) -> dict[int, tuple[FileFacts, ...]]:
    """The files attached to the assessment's answers now, by answer id, in one query."""
    found: dict[int, list[FileFacts]] = {}
    rows = db.session.execute(
        db.select(EvidenceFile.answer_id, EvidenceFile.name, EvidenceFile.size)
        .join(Answer, EvidenceFile.answer_id == Answer.id)
        .where(Answer.assessment_id == assessment.id, EvidenceFile.removed_at.is_(None))
        .order_by(EvidenceFile.id)
    )
    for answer_id, name, size in rows:
        found.setdefault(answer_id, []).append(FileFacts(name, size))
    return {answer_id: tuple(files) for answer_id, files in found.items()}


def as_of(assessment: Assessment) -> date:
    """The date a report of the assessment speaks for: the day it was approved; until then
    the day it last changed (an answer saved, submitted, returned), so that a draft's stored
    PDF is not made again every day."""
    if assessment.status == "approved" and assessment.reviewed_at is not None:
        return assessment.reviewed_at.date()
    moments = [assessment.created_at, assessment.submitted_at, assessment.reviewed_at]
    moments += [answer.updated_at for answer in assessment.answers]
    return max(moment for moment in moments if moment is not None).date()


def report_pdf(assessment: Assessment, paper: str = "A4", language: str = "en") -> bytes:
    """The PDF of the assessment as it is now: from the store when the same report was
    rendered before, else rendered and stored."""
    report = report_of(assessment, paper, language)
    stored = stored_pdf(assessment, report)
    return stored if stored is not None else render_and_store(assessment, report)


def render_and_store(assessment: Assessment, report: Report) -> bytes:
    """Render the report of the assessment and keep it, replacing the files it makes stale:
    older versions, and reports on the same paper in the same language that print otherwise."""
    start = time.perf_counter()
    pdf = render_pdf(report)
    digest = fingerprint(report)
    db.session.execute(
        db.delete(ReportFile).where(
            ReportFile.assessment_id == assessment.id,
            ReportFile.report_hash != digest,
            (ReportFile.assessment_version != assessment.version)
            | ((ReportFile.paper == report.paper) & (ReportFile.language == report.language)),
        )
    )
    try:
        with db.session.begin_nested():
            db.session.add(
                ReportFile(
                    assessment_id=assessment.id,
                    assessment_version=assessment.version,
                    paper=report.paper,
                    language=report.language,
                    report_hash=digest,
                    pdf=pdf,
                    render_seconds=time.perf_counter() - start,
                )
            )
    except IntegrityError:
        pass  # another request stored the same report meanwhile
    return pdf


def stored_pdf(assessment: Assessment, report: Report) -> bytes | None:
    """The PDF of exactly this report of the assessment if it was rendered before, else None."""
    return db.session.execute(
        db.select(ReportFile.pdf).filter_by(
            assessment_id=assessment.id,
            paper=report.paper,
            language=report.language,
            report_hash=fingerprint(report),
        )
    ).scalar_one_or_none()


def file_name(assessment: Assessment, language: str = "en") -> str:
    """asus-<city>-<cycle>-<questionnaire>.pdf, with `-<language>` before .pdf when it is not
    English."""
    suffix = "" if language == "en" else f"-{language}"
    return (
        f"asus-{assessment.city.slug}-{assessment.cycle}-{assessment.questionnaire_id}{suffix}.pdf"
    )


def blank_of(
    questionnaire: Questionnaire,
    area_id: str | None = None,
    paper: str = "A4",
    language: str = "en",
    city: str | None = None,
) -> BlankQuestionnaire:
    """The blank questionnaire (the whole, or one area) to print; KeyError for an area the
    questionnaire does not have, ValueError for an unknown paper size."""
    if paper not in PAPER_SIZES:
        raise ValueError(f"paper must be one of {', '.join(PAPER_SIZES)}")
    return BlankQuestionnaire(questionnaire, area_id, language, paper, city)


def blank_pdf(blank: BlankQuestionnaire) -> bytes:
    """The PDF of the blank questionnaire: from the store when it was rendered before as it
    would print now, else rendered and stored."""
    stored = stored_blank(blank)
    return stored if stored is not None else render_and_store_blank(blank)


def _blank_key(blank: BlankQuestionnaire) -> dict:
    return {
        "questionnaire_id": blank.questionnaire.id,
        "questionnaire_version": blank.questionnaire.version,
        "area_id": blank.area_id or "",
        "paper": blank.paper,
        "language": blank.language,
    }


def stored_blank(blank: BlankQuestionnaire) -> bytes | None:
    """The stored PDF of the blank questionnaire if it prints what it would print now (its
    templates, stylesheets and translations unchanged), else None."""
    return db.session.execute(
        db.select(BlankQuestionnaireFile.pdf).filter_by(
            **_blank_key(blank), file_hash=fingerprint(blank)
        )
    ).scalar_one_or_none()


def render_and_store_blank(blank: BlankQuestionnaire) -> bytes:
    """Render the blank questionnaire and keep it in place of the file it makes stale."""
    start = time.perf_counter()
    pdf = render_pdf(blank)
    key = _blank_key(blank)
    db.session.execute(db.delete(BlankQuestionnaireFile).filter_by(**key))
    try:
        with db.session.begin_nested():
            db.session.add(
                BlankQuestionnaireFile(
                    **key,
                    file_hash=fingerprint(blank),
                    pdf=pdf,
                    render_seconds=time.perf_counter() - start,
                )
            )
    except IntegrityError:
        pass  # another request stored it meanwhile
    return pdf


def blank_file_name(blank: BlankQuestionnaire) -> str:
    """<questionnaire>-<version>[-<area>]-blank[-<language>].pdf"""
    parts = [blank.questionnaire.id, blank.questionnaire.version]
    if blank.area_id:
        parts.append(blank.area_id.replace("_", "-"))
    parts.append("blank")
    if blank.language != "en":
        parts.append(blank.language)
    return "-".join(parts) + ".pdf"
