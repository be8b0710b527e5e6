"""An assessment's results by global framework (SDGs, Sendai, New Urban Agenda, Paris), its
export for the city's Voluntary Local Review, and the network's view per SDG target."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass

from flask_babel import get_translations
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import selectinload

from questionnaires.frameworks import SDG, Tag, grouped, title, vocabulary
from reports import Report
from reports.frameworks import header, sheets
from toolkit.assessments.models import Assessment
from toolkit.assessments.scores import scorecard
from toolkit.cities.models import City, Country
from toolkit.core.extensions import db
from toolkit.network import comparison
from toolkit.network.exports import csv_chunks, safe_cell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_stem(assessment: Assessment) -> str:
    """frameworks-<city>-<cycle>-<questionnaire>, the export's name without its extension."""
    return f"frameworks-{assessment.city.slug}-{assessment.cycle}-{assessment.questionnaire_id}"


def xlsx_bytes(report: Report) -> bytes:
    """The workbook: a sheet per framework, a row per target and question, header frozen."""
    translations = get_translations()
    columns = header(translations)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets(report, translations):
        sheet = workbook.create_sheet(name)
        sheet.append(columns)
        for row in rows:
            sheet.append([safe_cell(value) for value in row])
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    if not workbook.sheetnames:
        workbook.create_sheet(SDG).append(columns)
    file = io.BytesIO()
    workbook.save(file)
    return file.getvalue()


def csv_text(report: Report):
    """The same rows as one CSV, the framework in a first column, in chunks to stream."""
    translations = get_translations()
    rows = ([name, *row] for name, rows in sheets(report, translations) for row in rows)
    return csv_chunks([translations.ugettext("framework"), *header(translations)], rows)


@dataclass(frozen=True)
class TargetSpread:
    """One SDG target across the compared cities: how many report on it (answered at least
    one of its questions) and how many of them are at each maturity stage, by their mean
    score on it. `stages` is None when fewer than `comparison.MIN_COHORT` cities report."""

    tag: Tag
    title: str
    cities: int
    stages: dict[str, int] | None


def network_targets(f: comparison.Filter) -> tuple[list[TargetSpread], list]:
    """Per SDG target, the spread across the filter's cities (see `TargetSpread`), in the
    SDGs' order; and the questionnaire's maturity stages."""
    assessments = db.session.scalars(
        comparison.filtered(
            db.select(Assessment)
            .join(City, Assessment.city_id == City.id)
            .join(Country, City.country_id == Country.id)
            .options(selectinload(Assessment.answers)),
            f,
        )
    ).all()
    reported: dict[Tag, dict[int, str | None]] = {}
    stages = []
    for assessment in assessments:
        card = scorecard(assessment)
        stages = card.questionnaire.stages
        for framework in grouped(card):
            if framework.framework != SDG:
                continue
            for target in framework.targets():
                if target.answered:
                    stage = card.questionnaire.stage_for(target.score)
                    reported.setdefault(target.tag, {})[assessment.city_id] = stage and stage.id
    order = {tag: n for n, tag in enumerate(vocabulary().values())}
    spreads = []
    for tag in sorted(reported, key=order.get):
        cities = reported[tag]
        counted = None
        if len(cities) >= comparison.MIN_COHORT:
            found = Counter(cities.values())
            counted = {stage.id: found[stage.id] for stage in stages}
        spreads.append(TargetSpread(tag, title(tag), len(cities), counted))
    return spreads, list(stages)
