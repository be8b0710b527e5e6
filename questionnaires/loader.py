"""Load a questionnaire file into frozen dataclasses, explaining every mistake.

Every problem is reported as `FILE:LINE: PATH: what is wrong`; the line comes from the YAML node
marks, so the author can jump to it. Nothing in a file, however broken, gives a traceback.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path

import yaml

from .frameworks import tag_problem
from .model import (
    AREA_IDS,
    CHANGES,
    DIRECTIONS,
    EFFORTS,
    QUESTION_TYPES,
    AnswerValueError,
    Area,
    Choice,
    ItemChange,
    Level,
    Question,
    Questionnaire,
    Recommendation,
    ShowIf,
    Stage,
    SubArea,
    Text,
    version_key,
)

MAX_BYTES = 2_000_000
MAX_DEPTH = 40
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
# A version names the questionnaire's file (ID-VERSION.yaml) and fills a 32-character column.
VERSION_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,31}")
ID_RULE = "must be an id of lowercase letters, digits, _ or -"
VERSION_RULE = "must be at most 32 letters, digits, ., _ or -, starting with a letter or digit"
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")

COMMON_KEYS = {"id", "type", "text", "help", "weight", "required", "allow_na", "evidence"}
COMMON_KEYS |= {"ask", "recommendation", "recommendations", "show_if", "tags"}
RECOMMENDATION_KEYS = {"recommendation", "recommendations"}
TYPE_KEYS = {
    "level": {"levels"},
    "yes_no": {"points"},
    "choice": {"choices"},
    "multi_choice": {"choices", "cap"},
    "number": {"unit", "direction", "bands", "minimum", "maximum"},
    "text": set(),
}
REQUIRED_TYPE_KEYS = {
    "level": {"levels"},
    "choice": {"choices"},
    "multi_choice": {"choices"},
    "number": {"unit", "direction", "bands"},
}


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in a questionnaire file."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path}: {self.message}"


class QuestionnaireError(Exception):
    """A questionnaire file that cannot be used; `problems` lists every mistake found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def load(path: str | Path) -> Questionnaire:
    """Load and check one questionnaire file; raise QuestionnaireError listing every problem."""
    path = Path(path)
    reader = _Reader(str(path))
    root = reader.parse(path)
    questionnaire = reader.questionnaire(root, str(path)) if root is not None else None
    if reader.problems or questionnaire is None:
        raise QuestionnaireError(reader.problems)
    return questionnaire


def catalogue(folder: str | Path | None = None) -> list[Questionnaire]:
    """Every questionnaire under `folder` (default: this package's folder), by id and version,
    with the translations of `folder/translations` (see translations.py).

    A bad file raises QuestionnaireError with the problems of every bad file.
    """
    folder = Path(folder) if folder else Path(__file__).parent
    found, problems = [], []
    for path in sorted(folder.rglob("*.yaml")):
        try:
            found.append(load(path))
        except QuestionnaireError as error:
            problems.extend(error.problems)
    from .versions import check_versions  # versions scores, and scoring needs the model only

    problems.extend(check_versions(found))
    if problems:
        raise QuestionnaireError(problems)
    from .translations import catalogues, translated

    languages = {}
    for questionnaire_id in {q.id for q in found}:
        try:
            languages[questionnaire_id] = catalogues(questionnaire_id, folder / "translations")
        except ValueError as error:
            problems.append(Problem(str(error), 0, "", "is not a readable gettext catalogue"))
    if problems:
        raise QuestionnaireError(problems)
    found = [translated(q, languages[q.id]) for q in found]
    return sorted(found, key=lambda q: (q.id, version_key(q.version)))


class _Composer(yaml.SafeLoader):
    """Builds the node tree, refusing aliases (no alias bombs) and very deep nesting."""

    def __init__(self, stream):
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (&name, *name) are not allowed", event.start_mark
            )
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_BAD = object()


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _got(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag.endswith(":null"):
        return "nothing"
    value = node.value if len(node.value) <= 60 else node.value[:57] + "..."
    return repr(value)


class _Reader:
    """Walks the YAML nodes, building dataclasses and collecting problems."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self.ids: dict[str, int] = {}
        self.show_if_nodes: dict[str, tuple[yaml.Node, str]] = {}
        # A list or mapping under a key is reported on the key's line, where the author looks.
        self.key_lines: dict[int, int] = {}

    def error(self, where: yaml.Node | int, path: str, message: str) -> None:
        line = where if isinstance(where, int) else self.key_lines.get(id(where), _line(where))
        self.problems.append(Problem(self.file, line, path or "(file)", message))

    # -- parsing -----------------------------------------------------------------------------

    def parse(self, path: Path) -> yaml.Node | None:
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
        except OSError as error:
            self.error(1, "", f"cannot be read: {error.strerror or error}")
            return None
        if len(data) > MAX_BYTES:
            self.error(1, "", f"is larger than {MAX_BYTES // 1_000_000} MB; is it a questionnaire?")
            return None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            self.error(line, "", "is not UTF-8 text (is it a binary file?)")
            return None
        composer = None
        try:
            composer = _Composer(text)
            root = composer.get_single_node()
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            message = error.problem or error.context or "not valid YAML"
            if error.context and error.problem and error.problem.startswith("but "):
                message = f"{error.context}, {error.problem}"
            elif error.context and error.problem and error.context_mark:
                message += f" ({error.context} started on line {error.context_mark.line + 1})"
            self.error(mark.line + 1 if mark else 1, "", f"YAML syntax error: {message}")
            return None
        except yaml.reader.ReaderError as error:
            line = text[: error.position].count("\n") + 1
            self.error(line, "", "contains a control character that YAML does not allow")
            return None
        except yaml.YAMLError as error:
            self.error(1, "", f"YAML syntax error: {str(error).splitlines()[0]}")
            return None
        finally:
            if composer is not None:
                composer.dispose()
        if root is None:
            self.error(1, "", "is empty; a questionnaire starts with id, version, title, ...")
        elif not isinstance(root, yaml.MappingNode):
            self.error(
                root, "", f"must be a mapping with id, version, title, ...; got {_got(root)}"
            )
            return None
        return root

    # -- generic readers ---------------------------------------------------------------------

    def fields(self, node, path, required, optional=frozenset(), what="") -> dict | None:
        """The keys of a mapping node, checking for missing, unknown and duplicate keys."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, path, f"must be a mapping (key: value), got {_got(node)}")
            return None
        allowed = set(required) | set(optional)
        found: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is None:
                self.error(key_node, path, "keys must be plain words")
            elif key in found:
                self.error(key_node, _join(path, key), "is given twice")
            elif key not in allowed:
                close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                where = f" of {what}" if what else ""
                self.error(key_node, _join(path, key), f"unknown key{where}{hint}")
            else:
                found[key] = value_node
                self.key_lines[id(value_node)] = _line(key_node)
        for key in sorted(set(required) - set(found)):
            self.error(node, _join(path, key), "is required")
        return found

    def scalar(self, node, path, expected: str):
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, path, f"must be {expected}, got {_got(node)}")
            return _BAD
        try:
            return _Composer("").construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError):
            self.error(node, path, f"must be {expected}, got {_got(node)}")
            return _BAD

    def text(self, node, path) -> Text | None:
        if isinstance(node, yaml.MappingNode):
            languages = {}
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
                if not LANGUAGE_PATTERN.match(key):
                    self.error(
                        key_node, _join(path, key), "is not a language code (en, vi, th, ...)"
                    )
                elif key in languages:
                    self.error(key_node, _join(path, key), "is given twice")
                else:
                    languages[key] = self.plain_text(value_node, _join(path, key))
            if "en" not in languages:
                self.error(node, path, "language map has no 'en': English text is required")
                return None
            if None in languages.values():
                return None
            others = tuple(sorted((k, v) for k, v in languages.items() if k != "en"))
            return Text(languages["en"], others, line=_line(node))
        value = self.plain_text(node, path)
        return Text(value, line=_line(node)) if value is not None else None

    def plain_text(self, node, path) -> str | None:
        if isinstance(node, yaml.ScalarNode) and not node.tag.endswith(":null"):
            if node.value.strip():
                return node.value.strip()
            self.error(node, path, "must not be empty")
            return None
        self.error(node, path, f"must be text or a language map with 'en', got {_got(node)}")
        return None

    def ident(self, node, path) -> str | None:
        value = node.value if isinstance(node, yaml.ScalarNode) else None
        if value is None or not ID_PATTERN.match(value):
            self.error(node, path, f"{ID_RULE}, got {_got(node)}")
            return None
        return value

    def unique_id(self, node, path) -> str | None:
        value = self.ident(node, path)
        if value is None:
            return None
        if value in self.ids:
            self.error(node, path, f"duplicate id '{value}' (first used on line {self.ids[value]})")
            return None
        self.ids[value] = _line(node)
        return value

    def number(self, node, path, *, low=None, positive=False) -> float | None:
        expected = "a positive number" if positive else "a number"
        if low is not None:
            expected = f"a number of at least {low:g}"
        value = self.scalar(node, path, expected)
        if value is _BAD:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            self.error(node, path, f"must be {expected}, got {_got(node)}")
            return None
        if (
            abs(value) == float("inf")
            or (positive and value <= 0)
            or (low is not None and value < low)
        ):
            self.error(node, path, f"must be {expected}, got {_got(node)}")
            return None
        return float(value)

    def boolean(self, node, path) -> bool | None:
        value = self.scalar(node, path, "true or false")
        if value is _BAD:
            return None
        if not isinstance(value, bool):
            self.error(node, path, f"must be true or false, got {_got(node)}")
            return None
        return value

    def sequence(self, node, path, what) -> list:
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, path, f"must be a list of {what}, got {_got(node)}")
            return []
        if not node.value:
            self.error(node, path, f"must list at least one of {what}")
        return [(item, _join(path, i)) for i, item in enumerate(node.value)]

    def numbered(self, node, path, first: int, what: str) -> dict[int, yaml.Node] | None:
        """A mapping from consecutive whole numbers (from `first`) to values."""
        if not isinstance(node, yaml.MappingNode):
            self.error(
                node, path, f"must be a mapping from {what} number to value, got {_got(node)}"
            )
            return None
        numbered = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
            if not key.isdigit():
                self.error(key_node, _join(path, key), f"{what}s are whole numbers, got {key!r}")
                return None
            if int(key) in numbered:
                self.error(key_node, _join(path, key), "is given twice")
                return None
            numbered[int(key)] = value_node
        if len(numbered) < 2 - first:
            self.error(node, path, f"needs at least {2 - first} {what}s")
            return None
        expected = list(range(first, first + len(numbered)))
        if sorted(numbered) != expected:
            missing = sorted(set(expected) - set(numbered))
            detail = f"{missing[0]} is missing" if missing else f"{first} is missing"
            self.error(
                node,
                path,
                f"{what}s must be numbered {first}, {first + 1}, ... without gaps; {detail}",
            )
            return None
        return dict(sorted(numbered.items()))

    def levels(self, node, path, ladder=False) -> tuple[Level, ...] | None:
        """A question's levels, each a descriptor; with `ladder`, the questionnaire's scale,
        each a name or `{name, meaning}` (the meaning every question's level shares)."""
        numbered = self.numbered(node, path, 0, "level")
        if numbered is None:
            return None
        levels = []
        for number, value_node in numbered.items():
            where = _join(path, str(number))
            if isinstance(value_node, yaml.ScalarNode) and value_node.tag.endswith(":null"):
                self.error(value_node, where, "level has no descriptor")
                return None
            meaning = None
            if (
                ladder
                and isinstance(value_node, yaml.MappingNode)
                and any(getattr(k, "value", None) == "name" for k, _ in value_node.value)
            ):
                f = self.fields(value_node, where, {"name"}, {"meaning"}, "a level")
                if f is None or "name" not in f:
                    return None
                value_node = f["name"]
                if "meaning" in f:
                    meaning = self.text(f["meaning"], _join(where, "meaning"))
                    if meaning is None:
                        return None
                where = _join(where, "name")
            descriptor = self.text(value_node, where)
            if descriptor is None:
                return None
            levels.append(Level(number, descriptor, meaning))
        return tuple(levels)

    # -- the questionnaire -------------------------------------------------------------------

    def questionnaire(self, root, source) -> Questionnaire | None:
        f = self.fields(
            root,
            "",
            {"id", "version", "title", "description", "stages", "areas"},
            {"levels", "provisional_below", "replaces", "changes", "summary"},
            "a questionnaire",
        )
        if f is None:
            return None
        qid = self.ident(f["id"], "id") if "id" in f else None
        version = None
        if "version" in f:
            version = self.plain_text(f["version"], "version")
            if version is not None and not VERSION_PATTERN.fullmatch(version):
                self.error(f["version"], "version", f"{VERSION_RULE}, got {_got(f['version'])}")
                version = None
        title = self.text(f["title"], "title") if "title" in f else None
        description = self.text(f["description"], "description") if "description" in f else None
        scale = self.levels(f["levels"], "levels", ladder=True) if "levels" in f else ()
        provisional_below = 50.0
        if "provisional_below" in f:
            value = self.number(f["provisional_below"], "provisional_below", low=0)
            if value is not None and value > 100:
                self.error(f["provisional_below"], "provisional_below", "is a percentage: 0 to 100")
            provisional_below = value if value is not None else provisional_below
        stages = self.stages(f["stages"]) if "stages" in f else None
        areas = self.areas(f["areas"], scale) if "areas" in f else None
        if areas:
            self.check_show_if(areas)
        history = self.history(f)
        if None in (qid, version, title, description, scale, stages, areas) or self.problems:
            return None
        return Questionnaire(
            id=qid,
            version=version,
            title=title,
            description=description,
            stages=stages,
            areas=areas,
            levels=scale,
            provisional_below=provisional_below,
            source=source,
            **history,
        )

    def history(self, f) -> dict:
        """`replaces`, `changes` (the item map) and `summary`: all three or none. Whether the map
        fits the replaced version is checked against it (versions.check_map)."""
        given = {"replaces", "changes", "summary"} & set(f)
        if not given:
            return {}
        for key in sorted({"replaces", "changes", "summary"} - given):
            self.error(next(iter(f.values())), key, "is required when a version replaces another")
        if given != {"replaces", "changes", "summary"}:
            return {}
        replaces = self.plain_text(f["replaces"], "replaces")
        summary = self.text(f["summary"], "summary")
        changes = [
            self.item_change(item, path)
            for item, path in self.sequence(f["changes"], "changes", "changes")
        ]
        return {
            "replaces": replaces,
            "summary": summary,
            "changes": tuple(c for c in changes if c is not None),
            "changes_line": self.key_lines.get(id(f["changes"]), _line(f["changes"])),
        }

    def item_change(self, node, path) -> ItemChange | None:
        """One entry of the item map, checked for its own shape."""
        f = self.fields(node, path, {"change"}, {"old", "new", "comparable", "why"}, "a change")
        if f is None or "change" not in f:
            return None
        change = f["change"].value if isinstance(f["change"], yaml.ScalarNode) else None
        if change not in CHANGES:
            close = difflib.get_close_matches(str(change), CHANGES, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.error(
                f["change"], _join(path, "change"), f"must be one of {', '.join(CHANGES)}{hint}"
            )
            return None
        # Which of old and new the change takes, and how many ids each holds.
        wanted = {
            "same": ("one", None),
            "changed": ("one", None),
            "moved": ("one", "one"),
            "split": ("one", "several"),
            "merged": ("several", "one"),
            "retired": ("one", None),
            "added": (None, "one"),
        }[change]
        ids = {}
        for key, count in zip(("old", "new"), wanted, strict=True):
            if count is None:
                if key in f:
                    self.error(f[key], _join(path, key), f"a '{change}' entry has no '{key}'")
                    return None
                ids[key] = ()
            elif key not in f:
                self.error(node, _join(path, key), f"is required for a '{change}' entry")
                return None
            else:
                ids[key] = self.item_ids(f[key], _join(path, key), count)
                if ids[key] is None:
                    return None
        if change in ("same", "changed"):
            ids["new"] = ids["old"]
        why = self.text(f["why"], _join(path, "why")) if "why" in f else None
        if change != "same" and "why" not in f:
            self.error(node, _join(path, "why"), f"is required: say why the item is {change}")
            return None
        if change == "changed":
            if "comparable" not in f:
                self.error(
                    node,
                    _join(path, "comparable"),
                    "is required for a 'changed' entry: true or false",
                )
                return None
            comparable = self.boolean(f["comparable"], _join(path, "comparable"))
        elif "comparable" in f:
            self.error(
                f["comparable"],
                _join(path, "comparable"),
                f"only a 'changed' entry takes it; a '{change}' item is "
                + ("comparable" if change in ("same", "moved") else "not comparable"),
            )
            return None
        else:
            comparable = change in ("same", "moved")
        if comparable is None or (change != "same" and why is None):
            return None
        return ItemChange(change, ids["old"], ids["new"], comparable, why, _line(node))

    def item_ids(self, node, path, count) -> tuple[str, ...] | None:
        """One question id (`count` "one"), or a list of at least two ("several")."""
        if count == "one":
            value = self.ident(node, path)
            return (value,) if value else None
        if not isinstance(node, yaml.SequenceNode) or len(node.value) < 2:
            self.error(node, path, f"must be a list of at least two question ids, got {_got(node)}")
            return None
        values = tuple(self.ident(item, _join(path, i)) for i, item in enumerate(node.value))
        return None if None in values else values

    def stages(self, node) -> tuple[Stage, ...] | None:
        stages, ok = [], True
        for item, path in self.sequence(node, "stages", "stages"):
            f = self.fields(item, path, {"id", "name", "min"}, {"description"}, "a stage")
            if f is None:
                ok = False
                continue
            sid = self.ident(f["id"], _join(path, "id")) if "id" in f else None
            name = self.text(f["name"], _join(path, "name")) if "name" in f else None
            low = self.number(f["min"], _join(path, "min"), low=0) if "min" in f else None
            description = None
            if "description" in f:
                description = self.text(f["description"], _join(path, "description"))
            if None in (sid, name, low):
                ok = False
                continue
            if not stages and low != 0:
                self.error(f["min"], _join(path, "min"), "the first stage must start at 0")
                ok = False
            elif stages and not stages[-1].min < low < 100:
                self.error(
                    f["min"],
                    _join(path, "min"),
                    f"must be above the previous stage's {stages[-1].min:g} and below 100",
                )
                ok = False
            stages.append(Stage(sid, name, low, description))
        return tuple(stages) if ok and stages else None

    def areas(self, node, scale) -> tuple[Area, ...] | None:
        areas, seen = [], set()
        for item, path in self.sequence(node, "areas", "areas"):
            f = self.fields(
                item, path, {"id", "name", "sub_areas"}, {"description", "weight"}, "an area"
            )
            if f is None:
                continue
            aid = self.unique_id(f["id"], _join(path, "id")) if "id" in f else None
            if aid is not None and aid not in AREA_IDS:
                close = difflib.get_close_matches(aid, AREA_IDS, n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                self.error(
                    f["id"],
                    _join(path, "id"),
                    f"'{aid}' is not an ASUS core area; {hint}the six are {', '.join(AREA_IDS)}",
                )
                aid = None
            seen.add(aid)
            name = self.text(f["name"], _join(path, "name")) if "name" in f else None
            description = self.optional_text(f, "description", path)
            weight = self.weight(f, path)
            sub_areas = []
            if "sub_areas" in f:
                for sub_node, sub_path in self.sequence(
                    f["sub_areas"], _join(path, "sub_areas"), "sub-areas"
                ):
                    sub_areas.append(self.sub_area(sub_node, sub_path, aid, scale))
            if aid and name and weight and sub_areas and None not in sub_areas:
                areas.append(Area(aid, name, tuple(sub_areas), description, weight))
        if isinstance(node, yaml.SequenceNode):
            for missing in [a for a in AREA_IDS if a not in seen]:
                self.error(node, "areas", f"the ASUS core area '{missing}' is missing")
        return tuple(sorted(areas, key=lambda a: AREA_IDS.index(a.id)))

    def optional_text(self, f, key, path) -> Text | None:
        return self.text(f[key], _join(path, key)) if key in f else None

    def weight(self, f, path) -> float | None:
        if "weight" not in f:
            return 1.0
        return self.number(f["weight"], _join(path, "weight"), positive=True)

    def sub_area(self, node, path, area_id, scale) -> SubArea | None:
        f = self.fields(
            node, path, {"id", "name", "questions"}, {"description", "weight"}, "a sub-area"
        )
        if f is None:
            return None
        sid = self.unique_id(f["id"], _join(path, "id")) if "id" in f else None
        name = self.text(f["name"], _join(path, "name")) if "name" in f else None
        description = self.optional_text(f, "description", path)
        weight = self.weight(f, path)
        questions = []
        if "questions" in f:
            for q_node, q_path in self.sequence(
                f["questions"], _join(path, "questions"), "questions"
            ):
                questions.append(self.question(q_node, q_path, area_id, sid, scale))
        if not (sid and name and weight and questions) or None in questions:
            return None
        return SubArea(sid, name, tuple(questions), description, weight)

    def question(self, node, path, area_id, sub_area_id, scale) -> Question | None:
        qtype = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if getattr(key_node, "value", None) == "type":
                    qtype = getattr(value_node, "value", None)
                    if qtype not in QUESTION_TYPES:
                        close = difflib.get_close_matches(str(qtype), QUESTION_TYPES, n=1)
                        hint = f" (did you mean '{close[0]}'?)" if close else ""
                        self.error(
                            value_node,
                            _join(path, "type"),
                            f"must be one of {', '.join(QUESTION_TYPES)}{hint}",
                        )
                        qtype = None
        if qtype:
            optional = COMMON_KEYS | TYPE_KEYS[qtype]
            if qtype == "text":
                optional = optional - RECOMMENDATION_KEYS
            required = {"id", "type", "text"} | REQUIRED_TYPE_KEYS.get(qtype, set())
            what = f"a {qtype} question"
        else:
            optional = COMMON_KEYS.union(*TYPE_KEYS.values())
            required, what = {"id", "type", "text"}, "a question"
        f = self.fields(node, path, required, optional, what)
        if f is None:
            return None
        p = lambda key: _join(path, key)  # noqa: E731
        values = {
            "id": self.unique_id(f["id"], p("id")) if "id" in f else None,
            "text": self.text(f["text"], p("text")) if "text" in f else None,
            "weight": self.weight(f, path),
            "tags": self.tags(f["tags"], p("tags")) if "tags" in f else (),
        }
        for key in ("help", "evidence", "ask"):
            if key in f:
                values[key] = self.text(f[key], p(key))
        for key in ("required", "allow_na"):
            if key in f:
                values[key] = self.boolean(f[key], p(key))
        if None in values.values() or not qtype or REQUIRED_TYPE_KEYS.get(qtype, set()) - set(f):
            return None
        values.update(self.typed_fields(f, path, qtype, scale))
        if None in values.values():
            return None
        values["line"] = _line(node)
        question = Question(type=qtype, area_id=area_id, sub_area_id=sub_area_id, **values)
        if set(f) >= RECOMMENDATION_KEYS:
            self.error(
                f["recommendations"],
                p("recommendations"),
                "give 'recommendation' (one step) or 'recommendations' (a list of steps), not both",
            )
            return None
        if "recommendation" in f:
            step = self.recommendation(f["recommendation"], p("recommendation"), question)
            if step is None:
                return None
            question = replace(question, recommendations=(step,))
        if "recommendations" in f:
            steps = self.recommendation_steps(f["recommendations"], p("recommendations"), question)
            if steps is None:
                return None
            question = replace(question, recommendations=steps)
        if "show_if" in f:
            show_if = self.show_if_shape(f["show_if"], p("show_if"))
            if show_if is None:
                return None
            question = replace(question, show_if=show_if)
            self.show_if_nodes[question.id] = (f["show_if"], p("show_if"))
        return question

    def typed_fields(self, f, path, qtype, scale) -> dict:
        p = lambda key: _join(path, key)  # noqa: E731
        if qtype == "level":
            levels = self.levels(f["levels"], p("levels"))
            if levels and scale and len(levels) != len(scale):
                self.error(
                    f["levels"],
                    p("levels"),
                    f"must have levels 0 to {len(scale) - 1} like the questionnaire's scale, "
                    f"got 0 to {len(levels) - 1}",
                )
                return {"levels": None}
            return {"levels": levels}
        if qtype == "yes_no":
            if "points" not in f:
                return {}
            g = self.fields(f["points"], p("points"), {"yes", "no"}, what="points")
            if g is None:
                return {"yes_points": None}
            yes = self.number(g["yes"], p("points.yes"), low=0) if "yes" in g else None
            no = self.number(g["no"], p("points.no"), low=0) if "no" in g else None
            if yes is not None and no is not None and max(yes, no) == 0:
                self.error(f["points"], p("points"), "yes or no must give more than 0 points")
                return {"yes_points": None}
            return {"yes_points": yes, "no_points": no}
        if qtype in ("choice", "multi_choice"):
            return self.choices(f, path, qtype)
        if qtype == "number":
            return self.number_fields(f, path, scale)
        return {}

    def choices(self, f, path, qtype) -> dict:
        choices, ids, ok = [], set(), True
        for item, item_path in self.sequence(f["choices"], _join(path, "choices"), "choices"):
            g = self.fields(
                item, item_path, {"id", "label", "points"}, {"exclusive"}, what="a choice"
            )
            if g is None:
                ok = False
                continue
            exclusive = self.exclusive(g, item_path, qtype)
            cid = self.ident(g["id"], _join(item_path, "id")) if "id" in g else None
            if cid in ids:
                self.error(g["id"], _join(item_path, "id"), f"duplicate choice id '{cid}'")
                cid = None
            ids.add(cid)
            label = self.text(g["label"], _join(item_path, "label")) if "label" in g else None
            points = None
            if "points" in g:
                points = self.number(g["points"], _join(item_path, "points"), low=0)
            if None in (cid, label, points, exclusive):
                ok = False
                continue
            choices.append(Choice(cid, label, points, exclusive))
        if not ok:
            return {"choices": None}
        if len(choices) < 2:
            self.error(f["choices"], _join(path, "choices"), "needs at least two choices")
            return {"choices": None}
        if all(c.exclusive for c in choices):
            self.error(
                f["choices"],
                _join(path, "choices"),
                "every choice is exclusive: make it a choice question, or let some be combined",
            )
            return {"choices": None}
        if sum(c.points for c in choices) == 0:
            self.error(f["choices"], _join(path, "choices"), "at least one choice must give points")
            return {"choices": None}
        result = {"choices": tuple(choices)}
        if qtype == "multi_choice" and "cap" in f:
            cap = self.number(f["cap"], _join(path, "cap"), positive=True)
            if cap is not None and cap > sum(c.points for c in choices):
                self.error(
                    f["cap"],
                    _join(path, "cap"),
                    f"is more than all choices together give ({sum(c.points for c in choices):g})",
                )
                cap = None
            result["cap"] = cap
        return result

    def exclusive(self, g, path, qtype) -> bool | None:
        """Whether a choice is exclusive ("None of these"): only a multi_choice's can be."""
        if "exclusive" not in g:
            return False
        where = _join(path, "exclusive")
        if qtype != "multi_choice":
            self.error(
                g["exclusive"],
                where,
                "only the choices of a multi_choice question can be exclusive "
                "(a choice question takes one choice anyway)",
            )
            return None
        return self.boolean(g["exclusive"], where)

    def number_fields(self, f, path, scale) -> dict:
        p = lambda key: _join(path, key)  # noqa: E731
        unit = self.text(f["unit"], p("unit"))
        direction = f["direction"].value if isinstance(f["direction"], yaml.ScalarNode) else None
        if direction not in DIRECTIONS:
            self.error(f["direction"], p("direction"), f"must be {' or '.join(DIRECTIONS)}")
            direction = None
        bounds = {}
        for key in ("minimum", "maximum"):
            if key in f:
                bounds[key] = self.number(f[key], p(key))
        low, high = bounds.get("minimum"), bounds.get("maximum")
        if low is not None and high is not None and low >= high:
            self.error(f["maximum"], p("maximum"), "must be above minimum")
            bounds["maximum"] = None
        bands = None
        numbered = self.numbered(f["bands"], p("bands"), 1, "band level")
        if numbered is not None:
            thresholds = [self.number(n, _join(p("bands"), str(k))) for k, n in numbered.items()]
            if None not in thresholds:
                bands = tuple(zip(numbered, thresholds, strict=True))
        if bands and scale and len(bands) != len(scale) - 1:
            self.error(
                f["bands"],
                p("bands"),
                f"must have bands 1 to {len(scale) - 1} like the questionnaire's scale, "
                f"got 1 to {len(bands)}",
            )
            bands = None
        if bands and direction:
            rising = all(a[1] < b[1] for a, b in pairwise(bands))
            falling = all(a[1] > b[1] for a, b in pairwise(bands))
            if not (rising if direction == "higher_is_better" else falling):
                way = "rise" if direction == "higher_is_better" else "fall"
                self.error(
                    f["bands"], p("bands"), f"thresholds must {way} with the level ({direction})"
                )
                bands = None
        return {"unit": unit, "direction": direction, "bands": bands, **bounds}

    def tags(self, node, path) -> tuple[str, ...] | None:
        tags = []
        for item, item_path in self.sequence(node, path, "tags"):
            tag = self.plain_text(item, item_path)
            if tag is None:
                return None
            problem = tag_problem(tag)
            if problem:
                self.error(item, item_path, problem)
                return None
            tags.append(tag)
        return tuple(tags) if isinstance(node, yaml.SequenceNode) else None

    def recommendation_steps(self, node, path, question) -> tuple[Recommendation, ...] | None:
        """A list of steps, each `below` higher than the one before."""
        steps = []
        for item, item_path in self.sequence(node, path, "recommendations"):
            step = self.recommendation(item, item_path, question, below_required=True)
            if step is None:
                return None
            if steps and step.below <= steps[-1].below:
                self.error(
                    item,
                    _join(item_path, "below"),
                    f"steps must rise: {step.below:g} does not come after {steps[-1].below:g}",
                )
                return None
            steps.append(step)
        return tuple(steps) or None

    def recommendation(self, node, path, question, below_required=False) -> Recommendation | None:
        required = {"text", "below"} if below_required else {"text"}
        f = self.fields(node, path, required, {"below", "effort", "who"}, "a recommendation")
        if f is None:
            return None
        effort = None
        if "effort" in f:
            effort = f["effort"].value if isinstance(f["effort"], yaml.ScalarNode) else None
            if effort not in EFFORTS:
                self.error(
                    f["effort"],
                    _join(path, "effort"),
                    f"must be {', '.join(EFFORTS)}, got {_got(f['effort'])}",
                )
                return None
        who = self.text(f["who"], _join(path, "who")) if "who" in f else None
        if "who" in f and who is None:
            return None
        text = self.text(f["text"], _join(path, "text")) if "text" in f else None
        below = question.max_points
        if "below" in f:
            below = self.number(f["below"], _join(path, "below"))
            if below is not None and not 0 < below <= question.max_points:
                self.error(
                    f["below"],
                    _join(path, "below"),
                    f"must be above 0 and at most {question.max_points:g} "
                    f"(the question's scale), got {below:g}",
                )
                below = None
        if text is None or below is None:
            return None
        return Recommendation(text, below, effort, who)

    def show_if_shape(self, node, path) -> ShowIf | None:
        f = self.fields(node, path, {"question"}, {"equals", "in"}, "show_if")
        if f is None or "question" not in f:
            return None
        if ("equals" in f) == ("in" in f):
            self.error(node, path, "needs exactly one of 'equals' or 'in'")
            return None
        target = self.ident(f["question"], _join(path, "question"))
        if "equals" in f:
            value_nodes = [f["equals"]]
        else:
            value_nodes = [n for n, _ in self.sequence(f["in"], _join(path, "in"), "values")]
        values = tuple(self.scalar(n, path, "a plain value") for n in value_nodes)
        if target is None or _BAD in values or not values:
            return None
        return ShowIf(target, values)

    def check_show_if(self, areas) -> None:
        """show_if must name an earlier question, with values that question can take."""
        earlier: dict[str, Question] = {}
        for area in areas:
            for question in area.questions():
                condition = question.show_if
                if condition:
                    node, path = self.show_if_nodes[question.id]
                    target = earlier.get(condition.question)
                    if target is None:
                        later = condition.question in self.ids
                        problem = "a later question" if later else "an unknown question"
                        self.error(
                            node,
                            path + ".question",
                            f"'{condition.question}' is {problem}; "
                            "show_if must name an earlier one",
                        )
                    else:
                        self.check_show_if_values(node, path, target, condition.values)
                earlier[question.id] = question

    def check_show_if_values(self, node, path, target, values) -> None:
        for value in values:
            try:
                target.parse_answer([value] if target.type == "multi_choice" else value)
            except AnswerValueError as error:
                self.error(node, path, f"value {value!r} for '{target.id}' {error}")
