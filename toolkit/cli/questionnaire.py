"""`toolkit questionnaire ...`: list, check, score, export and import questionnaires from the
command line."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click
import yaml
from babel.messages.pofile import read_po

import questionnaires
from questionnaires import (
    AREA_IDS,
    AnswerError,
    GivenAnswer,
    QuestionnaireError,
    Scorecard,
    catalogue,
    load,
    translations,
    xlsform,
)
from questionnaires.scoring import scorecard_as_dict
from questionnaires.versions import changelog, check_versions
from toolkit.i18n.languages import CODES, catalogue_path

AREA_SHORT = {
    "civic_social": "CS",
    "health_wellbeing": "HW",
    "security": "SE",
    "quality_environment": "QE",
    "built_infrastructure": "BI",
    "industry_innovation": "II",
}


@click.group("questionnaire")
def questionnaire_cli():
    """List, check and score questionnaires."""


@questionnaire_cli.command("list")
def list_command():
    """Show every questionnaire with its questions per area."""
    try:
        found = catalogue()
    except QuestionnaireError as error:
        raise click.ClickException(f"a questionnaire file has problems:\n{error}") from None
    header = ["ID", "VERSION", "QUESTIONS", *(AREA_SHORT[a] for a in AREA_IDS), "TITLE"]
    rows = [
        [
            q.id,
            q.version,
            str(len(list(q.questions()))),
            *(str(len(list(a.questions()))) for a in q.areas),
            str(q.title),
        ]
        for q in found
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]))
    click.echo("Areas: " + ", ".join(f"{AREA_SHORT[a]} = {a}" for a in AREA_IDS))


@questionnaire_cli.command("check")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option(
    "--languages",
    "with_languages",
    is_flag=True,
    help="Also report, per language, what is not translated or stale (translations/*.po).",
)
@click.option("--all", "list_all", is_flag=True, help="With --languages: list every text missing.")
def check_command(files, with_languages, list_all):
    """Check questionnaire FILES (default: every shipped one), and the item map of each that
    replaces an earlier version (found among FILES or the shipped ones); list every problem of
    a bad one (exit status 1). With --languages, a translation that breaks the structure (a
    text it names no longer exists, a scale translated in part) is a problem too."""
    files = files or [str(p) for p in sorted(Path(questionnaires.__file__).parent.glob("*.yaml"))]
    loaded, bad = {}, 0
    for file in files:
        try:
            loaded[file] = load(file)
        except QuestionnaireError as error:
            bad += 1
            _print_problems(file, error.problems)
    try:
        shipped = catalogue()
    except QuestionnaireError:
        shipped = []  # a shipped file with problems: only FILES can be replaced ones
    given = {(q.id, q.version) for q in loaded.values()}
    pool = list(loaded.values()) + [q for q in shipped if (q.id, q.version) not in given]
    by_file = {}
    for problem in check_versions(pool):
        by_file.setdefault(problem.file, []).append(problem)
    for file, q in loaded.items():
        if by_file.get(q.source):
            bad += 1
            _print_problems(file, by_file[q.source])
            continue
        questions = list(q.questions())
        sub_areas = sum(len(a.sub_areas) for a in q.areas)
        click.echo(
            f"{file}: ok: {q.id} {q.version}, {len(questions)} questions "
            f"in {len(q.areas)} areas and {sub_areas} sub-areas"
        )
        if q.replaces:
            counts = Counter(entry.change for entry in q.changes)
            click.echo(
                f"  item map from {q.replaces}: "
                + ", ".join(f"{n} {change}" for change, n in sorted(counts.items()))
            )
    if with_languages:
        bad += _check_languages(list(loaded.values()), pool, list_all)
    if bad:
        raise SystemExit(1)


def _check_languages(checked, pool, list_all: bool) -> int:
    """Print each language's coverage of each checked version; the number of versions whose
    translations have errors."""
    bad = 0
    for q in checked:
        known = {
            (key, text.en)
            for other in pool
            if other.id == q.id
            for key, text in translations.texts(other)
        }
        folder = Path(q.source).parent / "translations"
        try:
            found = translations.catalogues(q.id, folder)
        except ValueError as error:
            click.echo(f"{error}", err=True)
            bad += 1
            continue
        for language in CODES[1:]:
            path = folder / language / f"{q.id}.po"
            report = translations.coverage(q, found.get(language), language, path, known)
            share = report.translated / report.total if report.total else 1
            click.echo(
                f"{language} {q.id} {q.version}: {report.translated}/{report.total} translated "
                f"({share:.0%}), {len(report.missing)} missing, {len(report.stale)} stale, "
                f"{len(report.errors)} error(s)"
            )
            for line in report.errors:
                click.echo(f"  error: {line}", err=True)
            for line in report.stale:
                click.echo(f"  stale: {line}")
            shown = report.missing if list_all else report.missing[:10]
            for line in shown:
                click.echo(f"  missing: {line}")
            if len(shown) < len(report.missing):
                click.echo(f"  ... and {len(report.missing) - len(shown)} more missing (--all)")
            bad += bool(report.errors)
    return bad


@questionnaire_cli.group("translations")
def translations_cli():
    """The questionnaires' translation catalogues (questionnaires/translations)."""


@translations_cli.command("update")
@click.option(
    "--language",
    "new_languages",
    multiple=True,
    help="Also start a catalogue for this language (repeatable).",
)
def translations_update_command(new_languages):
    """Write each questionnaire's template (translations/ID.pot) and bring every language's
    catalogue up to it: a changed English text keeps its old translation as fuzzy (stale)."""
    unknown = set(new_languages) - set(CODES[1:])
    if unknown:
        raise click.ClickException(f"not a language offered: {', '.join(sorted(unknown))}")
    shipped = catalogue()
    folder = translations.FOLDER
    for questionnaire_id in sorted({q.id for q in shipped}):
        template = translations.template([q for q in shipped if q.id == questionnaire_id])
        translations.write_catalogue(template, folder / f"{questionnaire_id}.pot")
        existing = translations.catalogues(questionnaire_id, folder)
        for language in sorted(set(existing) | set(new_languages)):
            path = folder / language / f"{questionnaire_id}.po"
            merged = translations.updated(existing.get(language), template, language)
            translations.write_catalogue(merged, path)
            click.echo(f"{path}: {sum(1 for m in merged if m.id)} texts")


@questionnaire_cli.command("export-xlsform")
@click.argument("questionnaire_id")
@click.option("--version", "version", help="Questionnaire version (default: the newest).")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="The .xlsx file to write (default: ID-VERSION.xlsx here).",
)
@click.option(
    "--language",
    "languages",
    multiple=True,
    help="A language of the texts besides English (repeatable; default: every language with "
    "a catalogue of the questionnaire).",
)
def export_xlsform_command(questionnaire_id, version, output, languages):
    """Write a questionnaire as an XLSForm for Kobo, ODK or a spreadsheet: its texts in English
    and each language, the rest in extra columns and asus_* sheets (see FORMAT.md, "XLSForm")."""
    not_offered = sorted(set(languages) - set(CODES[1:]))
    if not_offered:
        raise click.ClickException(f"not a language offered: {', '.join(not_offered)}")
    questionnaire = _find(questionnaire_id, version)
    offered = [code for code in CODES[1:] if code in translations.catalogues(questionnaire.id)]
    unknown = [code for code in languages if code not in offered]
    if unknown:
        raise click.ClickException(
            f"no catalogue of {questionnaire.id} in {', '.join(unknown)}; "
            f"there are: {', '.join(offered) or 'none'}"
        )
    chosen = [code for code in offered if code in languages] if languages else offered
    path = Path(output or f"{questionnaire.id}-{questionnaire.version}.xlsx")
    try:
        xlsform.to_xlsform(questionnaire, chosen, _form_words(chosen)).save(path)
    except OSError as error:
        raise click.ClickException(f"{path} cannot be written: {error.strerror}") from None
    click.echo(
        f"{path}: {questionnaire.id} {questionnaire.version}, "
        f"{len(list(questionnaire.questions()))} questions, in " + ", ".join(["en", *chosen])
    )


def _form_words(codes) -> dict[str, questionnaires.Text]:
    """The XLSForm's own words (yes, no, not applicable) in each language, as the interface's
    catalogues translate them for the web form."""
    found = {}
    for code in codes:
        path = catalogue_path(code)
        if path.exists():
            with path.open("rb") as file:
                found[code] = read_po(file)
    words = {}
    for key, english in xlsform.WORDS.items():
        messages = {code: catalogue.get(english) for code, catalogue in found.items()}
        translated = tuple(
            (code, message.string)
            for code, message in sorted(messages.items())
            if message is not None and message.string and not message.fuzzy
        )
        words[key] = questionnaires.Text(english, translated)
    return words


@questionnaire_cli.command("import-xlsform")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="The questionnaire YAML to write (default: ID-VERSION.yaml here).",
)
@click.option(
    "--translations",
    "folder",
    type=click.Path(file_okay=False),
    help="Also write the texts in other languages into the catalogues under this folder "
    "(LANGUAGE/ID.po, as questionnaires/translations), keeping their other entries. Without "
    "it only the English is read back.",
)
def import_xlsform_command(file, output, folder):
    """Read an XLSForm (as export-xlsform writes it, or edited) back into a questionnaire YAML,
    checked by the loader. Every problem is listed as FILE:SHEET:ROW: COLUMN: what is wrong
    (exit status 1)."""
    try:
        imported = xlsform.read_xlsform(file)
    except xlsform.XLSFormError as error:
        _print_problems(file, error.problems)
        raise SystemExit(1) from None
    document = imported.document
    path = Path(output or f"{document['id']}-{document['version']}.yaml")
    try:
        header = f"# Read from {Path(file).name} by toolkit questionnaire import-xlsform. "
        path.write_text(
            header + "Format: questionnaires/FORMAT.md.\n" + xlsform.dump_yaml(document),
            encoding="utf-8",
        )
    except OSError as error:
        raise click.ClickException(f"{path} cannot be written: {error.strerror}") from None
    try:
        english = load(path)
    except QuestionnaireError as error:
        _print_problems(str(path), error.problems)
        raise SystemExit(1) from None
    problems = [p for p in check_versions(_with_replaced(english)) if p.file == english.source]
    if problems:
        _print_problems(str(path), problems)
        raise SystemExit(1)
    click.echo(
        f"{path}: ok: {english.id} {english.version}, {len(list(english.questions()))} "
        f"questions in {len(english.areas)} areas"
    )
    if folder:
        written = xlsform.store_translations(english, imported.translations, Path(folder))
        for catalogue_path, count in written.items():
            click.echo(f"{catalogue_path}: {count} texts translated")


def _with_replaced(questionnaire) -> list:
    """The questionnaire and the shipped version it replaces (`ID-VERSION.yaml`), if there is
    one to check its item map against."""
    path = (
        Path(questionnaires.__file__).parent / f"{questionnaire.id}-{questionnaire.replaces}.yaml"
    )
    if questionnaire.replaces is None or not path.exists():
        return [questionnaire]
    try:
        return [questionnaire, load(path)]
    except QuestionnaireError:
        return [questionnaire]  # a shipped file with problems: `check` lists them


def _print_problems(file, problems) -> None:
    click.echo(f"{file}: {len(problems)} problem(s)", err=True)
    for problem in problems:
        click.echo(f"  {problem}", err=True)


@questionnaire_cli.command("changes")
@click.argument("questionnaire_id")
@click.option("--version", "version", help="Questionnaire version (default: the newest).")
def changes_command(questionnaire_id, version):
    """Print what changed in a version and why (its item map), as Markdown."""
    click.echo(changelog(_find(questionnaire_id, version)), nl=False)


@questionnaire_cli.command("score")
@click.argument("questionnaire_id")
@click.argument("answers_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--version", "version", help="Questionnaire version (default: the newest).")
@click.option("--json", "as_json", is_flag=True, help="Print the scorecard as JSON.")
@click.option("--top", default=5, show_default=True, help="How many recommendations to print.")
def score_command(questionnaire_id, answers_file, version, as_json, top):
    """Score ANSWERS_FILE (YAML or JSON: question id -> answer) against a questionnaire."""
    from questionnaires import score

    questionnaire = _find(questionnaire_id, version)
    answers = _read_answers(Path(answers_file))
    try:
        scorecard = score(questionnaire, answers)
    except AnswerError as error:
        raise click.ClickException(
            f"{answers_file} does not fit {questionnaire.id}:\n{error}"
        ) from None
    if as_json:
        click.echo(json.dumps(scorecard_as_dict(scorecard), indent=2, ensure_ascii=False))
    else:
        _print_scorecard(scorecard, top)


def _find(questionnaire_id, version):
    try:
        found = [q for q in catalogue() if q.id == questionnaire_id]
    except QuestionnaireError as error:
        raise click.ClickException(f"a questionnaire file has problems:\n{error}") from None
    if version:
        found = [q for q in found if q.version == version]
    if not found:
        known = ", ".join(sorted({q.id for q in catalogue()}))
        raise click.ClickException(f"no questionnaire {questionnaire_id!r}; known: {known}")
    return found[-1]


def _read_answers(path: Path) -> dict[str, GivenAnswer]:
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as error:
        raise click.ClickException(f"{path} cannot be read: {error}") from None
    if not isinstance(data, dict):
        raise click.ClickException(f"{path} must map question ids to answers")
    answers = {}
    for question_id, given in data.items():
        if isinstance(given, dict):
            unknown = set(given) - {"value", "not_applicable", "reason"}
            if unknown:
                raise click.ClickException(
                    f"{path}: {question_id}: unknown key(s) {', '.join(sorted(unknown))}; "
                    "use value, not_applicable, reason"
                )
            answers[str(question_id)] = GivenAnswer(
                given.get("value"), bool(given.get("not_applicable")), str(given.get("reason", ""))
            )
        else:
            answers[str(question_id)] = GivenAnswer(given)
    return answers


def _print_scorecard(scorecard: Scorecard, top: int) -> None:
    q = scorecard.questionnaire

    def number(value):
        return "   -" if value is None else f"{value:5.1f}"

    def completeness(group):
        return f"{group.completeness:4.0%} ({group.answered}/{group.applicable})"

    def stage(result_stage, provisional):
        name = str(result_stage.name) if result_stage else "-"
        return name + (" (provisional)" if provisional else "")

    click.echo(f"{q.title} ({q.id} {q.version})")
    click.echo("")
    click.echo(f"{'AREA':<26}{'SCORE':>6}  {'COMPLETE':<14}  STAGE")
    for a in scorecard.areas:
        click.echo(
            f"{a.area.name!s:<26}{number(a.score):>6}  {completeness(a):<14}  "
            f"{stage(a.stage, a.provisional)}"
        )
    click.echo(
        f"{'Overall':<26}{number(scorecard.overall):>6}  {completeness(scorecard):<14}  "
        f"{stage(scorecard.stage, scorecard.provisional)}"
    )
    if scorecard.missing_required:
        click.echo(f"\n{len(scorecard.missing_required)} required question(s) not answered yet.")
    recommendations = scorecard.recommendations[:top]
    if recommendations:
        click.echo("\nPRIORITY RECOMMENDATIONS (overall points gained by reaching the target)")
    for r in recommendations:
        click.echo(
            f"{r.rank:>2}. +{r.overall_gain:.1f}  {r.area.name} / {r.question.id}: "
            f"{r.current} -> {r.target}"
        )
        click.echo(f"        {r.text}")
