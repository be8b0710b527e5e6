"""The network PDF: the dashboard's selection printed, the spread by area and every city's
scores, for a download now or (many cities) a background job of `jobs`."""

from __future__ import annotations

from dataclasses import replace

from flask_babel import gettext as _

from reports import NetworkReport, NetworkRow, render_pdf
from toolkit.core import instrument
from toolkit.core.models import utcnow
from toolkit.network import comparison


def network_pdf(f: comparison.Filter, language: str) -> tuple[str, str, bytes]:
    """The selection `f` as a PDF in `language`: (file name, media type, content). Needs no
    request: a job calls it under `force_locale`, as a view does in the request's language."""
    f = comparison.resolved(replace(f, sort="city"))
    words = [comparison.status_words()[f.status]]
    if f.country:
        words.append(f.country)
    if f.cohort:
        words.append(_("cohort %(name)s", name=f.cohort.name))
    report = NetworkReport(
        questionnaire_title=instrument.titles()[f.questionnaire],
        cycle=f.cycle,
        selection=", ".join(str(w) for w in words),
        area_names=instrument.area_names(),
        rows=[
            NetworkRow(r.city, r.country, r.status, r.overall, r.scores, r.version)
            for r in comparison.all_rows(f)
        ],
        spread=comparison.area_statistics(f),
        version_notes=_version_notes(comparison.version_mix(f)),
        minimum=comparison.MIN_COHORT,
        generated=utcnow().date(),
        language=language,
    )
    name = f"asus-network-{comparison.file_stem(f)}.pdf"
    return name, "application/pdf", render_pdf(report)


def _version_notes(mix: comparison.VersionMix | None) -> list[str]:
    """The selection's mix of versions in words: which they are, and each area that does not
    compare across them (its figures count the newest version only)."""
    if mix is None:
        return []
    versions = ", ".join(f"{version} ({n})" for version, n in mix.versions)
    notes = [
        _("The selection mixes versions of the questionnaire: %(versions)s.", versions=versions)
    ]
    if mix.apart:
        notes.append(
            _(
                "The spread of these areas counts only the assessments of version %(version)s:",
                version=mix.newest,
            )
        )
        notes += [note for areas in mix.apart.values() for note in areas.values()]
    return notes
