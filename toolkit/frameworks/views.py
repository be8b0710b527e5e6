"""The frameworks pages: an assessment's results per SDG target (and Sendai, NUA, Paris),
their export, and the network's view across cities."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import get_translations
from flask_login import login_required

from reports.frameworks import actions_by_question, answer_in_words, framework_name, target_title
from reports.words import action_status
from toolkit.assessments.views.common import load_assessment
from toolkit.core.access import authorize
from toolkit.core.downloads import attachment
from toolkit.frameworks import service
from toolkit.i18n.service import language_code
from toolkit.network import comparison
from toolkit.reporting.service import report_of

bp = Blueprint("frameworks", __name__)


@bp.get("/assessments/<int:assessment_id>/frameworks")
@login_required
def assessment_frameworks(assessment_id: int):
    """The assessment's questions under each SDG goal and target, and under the Sendai
    Framework, the New Urban Agenda and the Paris Agreement: answers, indicator figures with
    their year and source, evidence and the city's actions, to lift into a VLR."""
    assessment = load_assessment(assessment_id, "view_assessment")
    report = report_of(assessment, language=language_code())
    return render_template(
        "frameworks/assessment.html",
        assessment=assessment,
        report=report,
        frameworks=report.frameworks,
        actions=actions_by_question(report.actions),
        answer_words=lambda result: answer_in_words(result, get_translations(), language_code()),
        action_status=lambda status: action_status(status, get_translations()),
        framework_name=lambda framework: framework_name(framework, get_translations()),
        target_title=lambda target: target_title(target, get_translations()),
        area_of={
            r.question.id: a.area.id
            for a in report.card.areas
            for s in a.sub_areas
            for r in s.questions
        },
    )


@bp.get("/assessments/<int:assessment_id>/frameworks.<any(csv, xlsx):kind>")
@login_required
def export(assessment_id: int, kind: str):
    """The same as a workbook (a sheet per framework) or one CSV."""
    assessment = load_assessment(assessment_id, "view_assessment")
    report = report_of(assessment, language=language_code())
    name = f"{service.file_stem(assessment)}.{kind}"
    if kind == "xlsx":
        return attachment(service.xlsx_bytes(report), service.XLSX, name)
    return attachment(service.csv_text(report), "text/csv; charset=utf-8", name)


@bp.get("/network/frameworks")
@login_required
def network_frameworks():
    """For network staff: per SDG target, how many of the selected cities report on it and
    how they spread over the maturity stages (only where enough cities report)."""
    authorize("view_network")
    try:
        f = comparison.resolved(comparison.parse_filter(request.args))
    except comparison.FilterError as error:
        abort(400, str(error))
    targets, stages = service.network_targets(f)
    return render_template(
        "frameworks/network.html",
        f=f,
        targets=targets,
        stages=stages,
        options=comparison.filter_options(f),
        minimum=comparison.MIN_COHORT,
        total=comparison.count(f),
    )
