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
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from reports.charts import Series, radar
from toolkit.assessments.models import Assessment
from toolkit.assessments.scores import scorecard
from toolkit.cities.models import City, Country
from toolkit.cities.views import KNOWN_TAGS
from toolkit.core import instrument
from toolkit.core.access import authorize, can
from toolkit.core.audit import record
from toolkit.core.downloads import attachment
from toolkit.core.extensions import db
from toolkit.core.fields import CheckboxesField
from toolkit.jobs import service as jobs
from toolkit.network import comparison, exports
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
        nothing_found=None if total else comparison.why_empty(f),
        options=_options(f),
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
        job = jobs.start(
            "export",
            _("Export of %(what)s", what=f"{name}.{kind}"),
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
            "language": str(get_locale() or "en"),
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
    city = db.session.execute(db.select(City).filter_by(slug=slug)).scalar_one_or_none()
    if city is None:
        abort(404)
    authorize("view_city", city)
    try:
        questionnaire = comparison.questionnaire_of(request.args)
        chosen = comparison.cohort_of(request.args)
    except comparison.FilterError as error:
        abort(400, str(error))
    cycles = comparison.history(city, questionnaire)
    cohorts = comparison.cohorts_of(city)
    # A cohort the city is not (or no longer) in gives way to the first one it is in.
    cohort = chosen if chosen in cohorts else (cohorts[0] if cohorts else None)
    network_view = can(current_user, "view_network")
    latest, scores = cycles[-1] if cycles else (None, {})
    spread = {}
    if latest is not None and cohort is not None:
        spread = comparison.area_statistics(
            comparison.Filter(questionnaire=questionnaire, cycle=latest.cycle, cohort=cohort)
        )
    names = instrument.area_names()
    chart = None
    differences = []
    if latest is not None:
        series = []
        medians = [spread[a].median if spread.get(a) else None for a in names]
        if network_view and all(spread.get(a) for a in names):
            series.append(
                Series(
                    _("Middle half of the cohort"),
                    tuple(spread[a].upper_quartile for a in names),
                    "band",
                    tuple(spread[a].lower_quartile for a in names),
                )
            )
        if any(m is not None for m in medians):
            series.append(Series(_("Cohort median"), tuple(medians), "comparison"))
        series.append(Series(f"{city.name} {latest.cycle}", tuple(scores.get(a) for a in names)))
        chart = radar(
            list(names.values()),
            series,
            title=_("%(city)s against its cohort, 0 to 100", city=city.name),
            description=_("The same numbers are in the table below."),
            no_score=_("no score"),
        )
        differences = sorted(
            (
                (scores[a] - spread[a].median, a)
                for a in names
                if scores.get(a) is not None and spread.get(a)
            ),
            reverse=True,
        )
    return render_template(
        "network/city.html",
        city=city,
        questionnaire=questionnaire,
        titles=instrument.titles(),
        cycles=cycles,
        latest=latest,
        scores=scores,
        cohorts=cohorts,
        cohort=cohort,
        spread=spread,
        chart=chart,
        differences=differences,
        names=names,
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
    language = str(get_locale() or "en")
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


COMPARE_AT_MOST = 5
LINE_STYLES = ("primary", "comparison", "second", "third", "fourth")


@bp.get("/compare")
@login_required
def compare():
    """Up to five cities side by side: their radars over each other, and every area and
    sub-area score in one table (one questionnaire and cycle)."""
    authorize("view_network")
    slugs = list(dict.fromkeys(request.args.getlist("city")))
    if len(slugs) > COMPARE_AT_MOST:
        abort(400, _("Compare at most %(num)d cities at a time.", num=COMPARE_AT_MOST))
    f = comparison.resolved(replace(_filter(), status="any"))
    found = db.session.execute(
        db.select(Assessment)
        .join(City, Assessment.city_id == City.id)
        .where(
            City.slug.in_(slugs),
            Assessment.questionnaire_id == f.questionnaire,
            Assessment.cycle == f.cycle,
        )
    ).scalars()
    by_slug = {a.city.slug: a for a in found}
    compared = [(by_slug[slug], scorecard(by_slug[slug])) for slug in slugs if slug in by_slug]
    missing = [slug for slug in slugs if slug not in by_slug]
    chart = None
    if compared:
        names = instrument.area_names()
        chart = radar(
            list(names.values()),
            [
                Series(a.city.name, tuple(card.area(area_id).score for area_id in names), style)
                for (a, card), style in zip(compared, LINE_STYLES, strict=False)
            ],
            title=_("Area scores of the compared cities, 0 to 100"),
            description=_("The same numbers are in the table below."),
            no_score=_("no score"),
        )
    return render_template(
        "network/compare.html",
        f=f,
        title=instrument.titles()[f.questionnaire],
        compared=compared,
        missing=missing,
        chart=chart,
        at_most=COMPARE_AT_MOST,
    )


@bp.get("/cohorts")
@login_required
def cohorts():
    """The cohorts with their cities (members follow the cities' facts)."""
    authorize("view_network")
    found = db.session.execute(db.select(Cohort).order_by(Cohort.name)).scalars().all()
    return render_template(
        "network/cohorts.html",
        cohorts=[(c, comparison.cohort_members(c)) for c in found],
        minimum=comparison.MIN_COHORT,
    )


class CohortForm(FlaskForm):
    """An administrator defines a cohort from city facts."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    countries = CheckboxesField(_l("Countries (none ticked: all)"), choices=[])
    population_min = IntegerField(
        _l("Population from"), validators=[Optional(), NumberRange(min=0, max=100_000_000)]
    )
    population_max = IntegerField(
        _l("Population up to"), validators=[Optional(), NumberRange(min=0, max=100_000_000)]
    )
    tags = CheckboxesField(
        _l("Tags (a member has every one ticked)"),
        choices=[SelectChoice(t, t.replace("_", " ")) for t in KNOWN_TAGS],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        countries = db.session.execute(db.select(Country).order_by(Country.name)).scalars()
        self.countries.choices = [SelectChoice(c.code, c.name) for c in countries]

    def validate_population_max(self, field):
        low = self.population_min.data
        if field.data is not None and low is not None and field.data < low:
            raise ValidationError(_("The upper bound is below the lower one."))


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
        clash = db.session.execute(
            db.select(Cohort.id).where(Cohort.name == form.name.data, Cohort.id != cohort.id)
        ).first()
        if clash:
            form.name.errors.append(_("Another cohort has this name."))
        else:
            form.populate_obj(cohort)
            if cohort.id is None:
                cohort.created_by_id = current_user.id
                db.session.add(cohort)
            db.session.flush()
            record("cohort_saved", cohort, name=cohort.name)
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


def _options(f: comparison.Filter) -> dict:
    """The choices of the dashboard's filter form."""
    return {
        "questionnaires": list(instrument.titles().items()),
        # The chosen cycle is an option even without assessments, so the form shows it.
        "cycles": [
            (str(c), str(c))
            for c in sorted({*comparison.cycles(f.questionnaire), f.cycle} - {0}, reverse=True)
        ],
        "countries": db.session.execute(
            db.select(Country.code, Country.name).order_by(Country.name)
        ).all(),
        "cohorts": db.session.execute(
            db.select(Cohort.id, Cohort.name).order_by(Cohort.name)
        ).all(),
        "statuses": list(comparison.status_words().items()),
    }
