"""Comparing cities, for network staff: the dashboard, cohorts, exports and ZIPs of reports."""

from __future__ import annotations

import json
from dataclasses import replace

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from toolkit.cities.service import find_city
from toolkit.core import instrument
from toolkit.core.access import authorize, can
from toolkit.core.downloads import attachment
from toolkit.core.extensions import db
from toolkit.i18n.service import language_code
from toolkit.jobs import service as jobs
from toolkit.network import comparison, exports, profile
from toolkit.network.cohorts import all_cohorts, cohort_members, name_taken, save_cohort
from toolkit.network.forms import CohortForm
from toolkit.network.models import Cohort
from toolkit.network.report import network_pdf

bp = Blueprint("network", __name__, url_prefix="/network")


@bp.get("/")
@login_required
def dashboard():
    """Cities by the six areas for one questionnaire and cycle, filtered and sortable."""
    authorize("view_network")
    f = comparison.resolved(_filter())
    total = comparison.count(f)
    pages = max(1, -(-total // comparison.PAGE_SIZE))
    page = request.args.get("page", "1")
    page = min(int(page), pages) if page.isdecimal() and int(page) > 0 else 1
    return render_template(
        "network/dashboard.html",
        f=f,
        rows=comparison.heatmap(f, page),
        total=total,
        page=page,
        pages=pages,
        first=(page - 1) * comparison.PAGE_SIZE + 1,
        spread=comparison.area_statistics(f),
        mix=comparison.version_mix(f),
        nothing_found=None if total else comparison.why_empty(f),
        options=comparison.filter_options(f),
        area_names=instrument.area_names(),
        minimum=comparison.MIN_COHORT,
    )


@bp.get("/export/<any('area-scores', answers):name>.<any(csv, xlsx):kind>")
@login_required
def export(name: str, kind: str):
    """The dashboard's rows (area scores, one assessment a row) or every answer of the compared
    assessments (long format), as CSV or XLSX. A large export is made in the background."""
    authorize("view_network")
    f = comparison.resolved(_filter())
    if exports.row_count(name, f) > current_app.config["EXPORT_JOB_ROWS"]:
        what = f"{name}.{kind}"
        job = jobs.start(
            "export",
            _("Export of %(what)s", what=what),
            {"table": name, "format": kind, "filter": comparison.filter_params(f)},
            current_user,
        )
        return redirect(url_for("jobs.job", job_id=job.id), 303)
    base, header, rows = exports.table(name, f)
    if kind == "csv":
        chunks = stream_with_context(exports.csv_chunks(header, rows))
        return attachment(chunks, exports.FORMATS[kind], f"{base}.{kind}")
    file = exports.xlsx_file(header, rows, f)

    def blocks():
        with file:
            while block := file.read(64_000):
                yield block

    return attachment(blocks(), exports.FORMATS[kind], f"{base}.{kind}")


@bp.post("/reports.zip")
@login_required
def reports_zip():
    """Every approved report of the dashboard's selection in one ZIP, made in the background."""
    authorize("view_network")
    f = comparison.resolved(replace(_filter(), status="approved", sort="city"))
    assessments = [row.assessment_id for row in comparison.all_rows(f)]
    if not assessments:
        flash(
            _("No assessment of this selection is approved: there is no report to send."), "error"
        )
        return redirect(url_for("network.dashboard", **request.args), 303)
    title = instrument.titles()[f.questionnaire]
    job = jobs.start(
        "reports_zip",
        ngettext(
            "%(num)d approved report: %(title)s, %(cycle)s",
            "%(num)d approved reports: %(title)s, %(cycle)s",
            len(assessments),
            title=title,
            cycle=f.cycle,
        ),
        {
            "assessments": assessments,
            "paper": "A4",
            "language": language_code(),
            "name": f"asus-reports-{comparison.file_stem(f)}.zip",
        },
        current_user,
    )
    return redirect(url_for("jobs.job", job_id=job.id), 303)


@bp.get("/cities/<slug>")
@login_required
def city_profile(slug: str):
    """A city against its cohort: the radar with the cohort's median (and, for network staff,
    its middle half), the areas furthest above and below it, and the trend of every area.

    City people see only their own city, and of the cohort only its median: no other city is
    named, and no statistic is shown for fewer than MIN_COHORT cities.
    """
    city = find_city(slug)
    if city is None:
        abort(404)
    authorize("view_city", city)
    try:
        questionnaire = comparison.questionnaire_of(request.args)
        chosen = comparison.cohort_of(request.args)
    except comparison.FilterError as error:
        abort(400, str(error))
    network_view = can(current_user, "view_network")
    shown = profile.city_profile(city, questionnaire, chosen, network_view)
    return render_template(
        "network/city.html",
        city=city,
        questionnaire=questionnaire,
        titles=instrument.titles(),
        cycles=shown.cycles,
        latest=shown.latest,
        scores=shown.scores,
        cohorts=shown.cohorts,
        cohort=shown.cohort,
        spread=shown.spread,
        chart=shown.chart,
        differences=shown.differences,
        breaks=shown.breaks,
        apart=shown.apart,
        names=instrument.area_names(),
        network_view=network_view,
        minimum=comparison.MIN_COHORT,
    )


@bp.get("/report.pdf")
@login_required
def network_report():
    """The dashboard's selection as a PDF: spread by area and every city's scores. A selection
    of more than NETWORK_REPORT_JOB_CITIES cities is printed in the background."""
    authorize("view_network")
    f = comparison.resolved(replace(_filter(), sort="city"))
    language = language_code()
    cities = comparison.count(f)
    if cities > current_app.config["NETWORK_REPORT_JOB_CITIES"]:
        params = {"filter": comparison.filter_params(f), "language": language}
        job = jobs.start(
            "network_report",
            ngettext(
                "Network PDF of %(num)d city: %(title)s, %(cycle)s",
                "Network PDF of %(num)d cities: %(title)s, %(cycle)s",
                cities,
                title=instrument.titles()[f.questionnaire],
                cycle=f.cycle,
            ),
            params,
            current_user,
            key="network_report:" + json.dumps(params, sort_keys=True, separators=(",", ":")),
        )
        return redirect(url_for("jobs.job", job_id=job.id), 303)
    name, media_type, content = network_pdf(f, language)
    return attachment(content, media_type, name)


@bp.get("/compare")
@login_required
def compare():
    """Up to five cities side by side: their radars over each other, and every area and
    sub-area score in one table (one questionnaire and cycle)."""
    authorize("view_network")
    slugs = list(dict.fromkeys(request.args.getlist("city")))
    if len(slugs) > profile.COMPARE_AT_MOST:
        abort(400, _("Compare at most %(num)d cities at a time.", num=profile.COMPARE_AT_MOST))
    f = comparison.resolved(replace(_filter(), status="any"))
    shown = profile.side_by_side(slugs, f)
    return render_template(
        "network/compare.html",
        f=f,
        title=instrument.titles()[f.questionnaire],
        compared=shown.compared,
        missing=shown.missing,
        chart=shown.chart,
        at_most=profile.COMPARE_AT_MOST,
    )


@bp.get("/cohorts")
@login_required
def cohorts():
    """The cohorts with their cities (members follow the cities' facts)."""
    authorize("view_network")
    return render_template(
        "network/cohorts.html",
        cohorts=[(c, cohort_members(c)) for c in all_cohorts()],
        minimum=comparison.MIN_COHORT,
    )


@bp.route("/cohorts/new", methods=["GET", "POST"])
@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@login_required
def cohort_form(cohort_id: int | None = None):
    """Define a cohort, or change one."""
    authorize("manage_cohorts")
    cohort = db.session.get(Cohort, cohort_id) if cohort_id else Cohort()
    if cohort is None:
        abort(404)
    form = CohortForm(obj=cohort)
    if form.validate_on_submit():
        if name_taken(form.name.data, cohort):
            form.name.errors.append(_("Another cohort has this name."))
        else:
            form.populate_obj(cohort)
            save_cohort(cohort, current_user)
            flash(_("Cohort saved."), "success")
            return redirect(url_for("network.cohorts"))
    return render_template("network/cohort_form.html", form=form, cohort=cohort), (
        400 if form.errors else 200
    )


def _filter() -> comparison.Filter:
    """The filter from the query string; a bad value is a 400 that names the filter."""
    try:
        return comparison.parse_filter(request.args)
    except comparison.FilterError as error:
        abort(400, str(error))
