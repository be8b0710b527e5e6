"""Questionnaire texts in other languages: one gettext catalogue per questionnaire and language.

`translations/<language>/<questionnaire id>.po` holds, for every version of the questionnaire,
each English text as `msgid` under its stable key as `msgctxt` ("cs_participatory_budget/levels/3",
see `texts`). Translators edit it with their usual tools (Poedit, Weblate, a text editor). An entry
whose English no longer matches (fuzzy, or an older English) is stale and not used: the page shows
the English until a translator confirms the new text. Inline language maps in the YAML keep
working and win over the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po, write_po

from .model import Question, Questionnaire, Text

FOLDER = Path(__file__).parent / "translations"


def texts(questionnaire: Questionnaire) -> Iterator[tuple[str, Text]]:
    """Every text of a questionnaire under its stable key, in questionnaire order."""
    found: list[tuple[str, Text]] = []

    def collect(key: str, text: Text) -> Text:
        found.append((key, text))
        return text

    _map_texts(questionnaire, collect)
    return iter(found)


def question_texts(question: Question) -> list[Text]:
    """The texts a question shows: its text, help, who holds the answer, evidence, unit,
    levels and choices (its recommendations show elsewhere)."""
    found = [question.text, question.help, question.ask, question.evidence, question.unit]
    found += [level.descriptor for level in question.levels]
    found += [choice.label for choice in question.choices]
    return [text for text in found if text is not None]


@cache
def untranslated(
    questionnaire: Questionnaire, language: str, area_id: str | None = None
) -> tuple[int, int]:
    """How many texts of the questionnaire (or of one area) are not written in `language`
    (and show in English), and how many texts it has."""
    found = list(texts(questionnaire))
    if area_id is not None:
        area = questionnaire.area(area_id)
        ids = {area.id} | {s.id for s in area.sub_areas} | {q.id for q in area.questions()}
        found = [(key, text) for key, text in found if key.split("/", 1)[0] in ids]
    return sum(1 for _key, text in found if not text.has(language)), len(found)


def translated(questionnaire: Questionnaire, catalogues: dict[str, Catalog]) -> Questionnaire:
    """The questionnaire with each text's translations from `catalogues` (language -> catalogue)
    added where the catalogue has a current, confirmed translation and the YAML gives none."""
    usable = {language: _current(catalogue) for language, catalogue in catalogues.items()}

    def add(key: str, text: Text) -> Text:
        inline = dict(text.translations)
        for language, entries in usable.items():
            found = entries.get((key, text.en))
            if found and language not in inline:
                inline[language] = found
        if len(inline) == len(text.translations):
            return text
        return replace(text, translations=tuple(sorted(inline.items())))

    return _map_texts(questionnaire, add)


def read_catalogue(path: Path) -> Catalog:
    """One questionnaire catalogue; ValueError naming the file and line when it is malformed."""
    try:
        with path.open("rb") as file:
            return read_po(file, abort_invalid=True)
    except (PoFileError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: {error}") from None


def catalogues(questionnaire_id: str, folder: Path = FOLDER) -> dict[str, Catalog]:
    """The catalogues of one questionnaire, by language."""
    # English is the YAML's own: a catalogue cannot replace it.
    return {
        path.parent.name: read_catalogue(path)
        for path in sorted(folder.glob(f"*/{questionnaire_id}.po"))
        if path.parent.name != "en"
    }


def template(versions: list[Questionnaire]) -> Catalog:
    """The catalogue template of a questionnaire: every text of every version given, newest
    version first, each with the file and line of its English."""
    catalogue = Catalog(project=versions[0].id, header_comment=_HEADER, fuzzy=False)
    for questionnaire in sorted(versions, key=lambda q: q.version, reverse=True):
        source = Path(questionnaire.source).name
        for key, text in texts(questionnaire):
            message = catalogue.get(text.en, context=key)
            location = (source, text.line)
            if message is None:
                catalogue.add(text.en, context=key, locations=[location])
            elif location not in message.locations:
                message.locations.append(location)
    return catalogue


def updated(existing: Catalog | None, new_template: Catalog, language: str) -> Catalog:
    """A language's catalogue brought up to a new template, as gettext's msgmerge does: kept
    translations stay; where the English of a key changed, the old translation is offered as a
    fuzzy entry showing the previous English; entries no longer in the template become
    obsolete."""
    result = Catalog(
        locale=language,
        project=new_template.project,
        header_comment=existing.header_comment if existing else _HEADER,
        fuzzy=False,
    )
    if existing is not None:
        result.mime_headers = existing.mime_headers
    old = {(m.context, m.id): m for m in existing or () if m.id} if existing else {}
    by_key = {}
    for message in old.values():
        by_key.setdefault(message.context, message)
    for message in new_template:
        if not message.id:
            continue
        kept = old.pop((message.context, message.id), None)
        earlier = None if kept else by_key.get(message.context)
        entry = result.add(message.id, context=message.context, locations=message.locations)
        if kept is not None:
            entry.string, entry.flags = kept.string, set(kept.flags)
            entry.previous_id, entry.user_comments = kept.previous_id, kept.user_comments
        elif earlier is not None and earlier.string:
            entry.string, entry.previous_id = earlier.string, [earlier.id]
            entry.user_comments = earlier.user_comments
            entry.flags.add("fuzzy")
            # Offered here: not also kept as an obsolete entry.
            old.pop((earlier.context, earlier.id), None)
    for message in old.values():
        if message.string and (message.context, message.id) not in result._messages:
            result.obsolete[(message.id, message.context)] = message
    return result


def write_catalogue(catalogue: Catalog, path: Path) -> None:
    """Write a catalogue as a .po file, wrapped as gettext tools write it."""
    for message in catalogue:
        # Babel takes "50% of ..." for a format string: questionnaire texts never are, and
        # `msgfmt -c` would then check them as such.
        message.flags.discard("python-format")
    buffer = BytesIO()
    write_po(buffer, catalogue, width=100, include_previous=True, sort_output=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


@dataclass
class Coverage:
    """What a language's catalogue gives one questionnaire version: counts, and the problems as
    `FILE:LINE: KEY: what` lines. `errors` break the structure; the rest is work to do."""

    language: str
    total: int = 0
    translated: int = 0
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def coverage(
    questionnaire: Questionnaire,
    catalogue: Catalog | None,
    language: str,
    path: Path,
    known: set[tuple[str, str]] = frozenset(),
) -> Coverage:
    """How completely `catalogue` (at `path`) translates one version into `language`; `known`
    are the (key, English) of the questionnaire's other versions, which the same catalogue
    serves: a translation of another version's text is neither stale nor an error."""
    report = Coverage(language)
    entries = {(m.context, m.id): m for m in catalogue or () if m.id} if catalogue else {}
    current = dict(texts(questionnaire))
    source = questionnaire.source
    done: dict[str, bool] = {}
    for key, text in current.items():
        report.total += 1
        message = entries.get((key, text.en))
        if text.has(language) or (message and message.string and not message.fuzzy):
            report.translated += 1
            done[key] = True
            continue
        done[key] = False
        if message is not None and message.string:
            report.stale.append(
                f"{path}:{message.lineno}: {key}: the English changed since it was translated"
            )
            continue
        older = next(
            (m for (k, en), m in entries.items() if k == key and m.string and (k, en) not in known),
            None,
        )
        if older is not None:
            report.stale.append(
                f"{path}:{older.lineno}: {key}: translated from an earlier English text "
                f"(run `toolkit questionnaire translations update`)"
            )
        else:
            report.missing.append(f"{source}:{text.line}: {key}: not translated")
    keys = set(current) | {key for key, _ in known}
    for (key, _), message in entries.items():
        if key not in keys and message.string:
            report.errors.append(
                f"{path}:{message.lineno}: {key}: names no text of {questionnaire.id} "
                f"(a renamed choice, level or question?)"
            )
    report.errors.extend(_partial_questions(questionnaire, done, language, path))
    return report


def _partial_questions(
    questionnaire: Questionnaire, done: dict[str, bool], language: str, path: Path
) -> Iterator[str]:
    """A question whose levels or choices are translated only in part would show a scale in
    two languages: an error naming the parts left out."""
    for question in questionnaire.questions():
        for part, keys in _scale_keys(question).items():
            have = [key for key in keys if done.get(key)]
            if have and len(have) < len(keys):
                absent = ", ".join(key.rsplit("/", 1)[1] for key in keys if not done.get(key))
                yield (
                    f"{path}: {question.id}/{part}: {language} translates only some "
                    f"{part}; missing: {absent}"
                )


def _scale_keys(question: Question) -> dict[str, list[str]]:
    return {
        "levels": [f"{question.id}/levels/{level.number}" for level in question.levels],
        "choices": [f"{question.id}/choices/{choice.id}" for choice in question.choices],
    }


def _current(catalogue: Catalog) -> dict[tuple[str, str], str]:
    return {
        (m.context, m.id): m.string
        for m in catalogue
        if m.id and m.string and not m.fuzzy and isinstance(m.string, str)
    }


def _map_texts(questionnaire: Questionnaire, change: Callable[[str, Text], Text]):
    """The questionnaire with each text replaced by `change(key, text)`, walked in order.

    The keys are what stays stable across versions: ids, level numbers, choice ids and the
    position of a recommendation step; an English text changing keeps its key.
    """

    def text(key: str, value: Text | None) -> Text | None:
        return None if value is None else change(key, value)

    def question(q: Question) -> Question:
        return replace(
            q,
            text=text(f"{q.id}/text", q.text),
            help=text(f"{q.id}/help", q.help),
            ask=text(f"{q.id}/ask", q.ask),
            evidence=text(f"{q.id}/evidence", q.evidence),
            unit=text(f"{q.id}/unit", q.unit),
            levels=tuple(
                replace(lv, descriptor=text(f"{q.id}/levels/{lv.number}", lv.descriptor))
                for lv in q.levels
            ),
            choices=tuple(
                replace(c, label=text(f"{q.id}/choices/{c.id}", c.label)) for c in q.choices
            ),
            recommendations=tuple(
                replace(
                    r,
                    text=text(f"{q.id}/recommendations/{n}/text", r.text),
                    who=text(f"{q.id}/recommendations/{n}/who", r.who),
                )
                for n, r in enumerate(q.recommendations, 1)
            ),
        )

    def named(item, key: str, **more):
        return replace(
            item,
            name=text(f"{key}/name", item.name),
            description=text(f"{key}/description", item.description),
            **more,
        )

    return replace(
        questionnaire,
        title=text("title", questionnaire.title),
        description=text("description", questionnaire.description),
        summary=text("summary", questionnaire.summary),
        levels=tuple(
            replace(
                lv,
                descriptor=text(f"levels/{lv.number}/name", lv.descriptor),
                meaning=text(f"levels/{lv.number}/meaning", lv.meaning),
            )
            for lv in questionnaire.levels
        ),
        stages=tuple(named(s, f"stages/{s.id}") for s in questionnaire.stages),
        areas=tuple(
            named(
                area,
                area.id,
                sub_areas=tuple(
                    named(sub, sub.id, questions=tuple(question(q) for q in sub.questions))
                    for sub in area.sub_areas
                ),
            )
            for area in questionnaire.areas
        ),
        changes=tuple(
            replace(c, why=text(f"changes/{'+'.join(c.old or c.new)}/why", c.why))
            for c in questionnaire.changes
        ),
    )


_HEADER = """\
# Translations of a questionnaire of the ASUS City Self-Assessment Toolkit.
# msgctxt is the stable key of a text (question id / part); msgid is its English.
# Translation-State: draft
# (A translation made by the toolkit's team stays "draft" until a native speaker reviews it
# and writes "reviewed" here.)"""
