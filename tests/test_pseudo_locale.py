"""Every page in a pseudo-locale: interface text that is not wrapped for translation shows.

The catalogue is extracted from the sources as `pybabel extract -F babel.cfg` does, every
message becomes `[!! Ŝàvé ţĥîš !!]` (toolkit/i18n/pseudo.py), and the result is compiled for
Esperanto (`eo`), a real locale the toolkit never ships. Each role then opens every page of the
route table on the demo network, the error pages, forms after a bad POST and the messages
after a good one, the report's HTML and the export's README sheet. Whatever plain English is
left, once the pseudo words and the data (names, questionnaire texts, numbers, dates, ids) are
taken out, is a string somebody forgot to wrap: the failure names the page and the words.
"""

from __future__ import annotations

import html.parser
import io
import json
import re
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel import Locale
from conftest import ROOT
from openpyxl import load_workbook

from questionnaires import AREA_IDS
from questionnaires.framework_data import SDG_GOALS, SDG_TARGETS, SENDAI_PRIORITIES, SENDAI_TARGETS
from questionnaires.loader import catalogue
from questionnaires.model import Text
from reports import PAPER_SIZES, charts
from toolkit.actions.service import CURRENCIES
from toolkit.i18n.languages import languages
from toolkit.i18n.pseudo import CLOSE, OPEN, PADDING, extract, write_pseudo_mo

LOCALE = "eo"
# Names that read the same in every language: of the strategy, the networks and file formats.
# A word here is never interface text; anything else in plain letters is.
PROPER_NOUNS = {"ASUS", "ASEAN", "ASCN", "UCLG", "ASPAC", "SDG", "UNDRR", "PDF", "CSV", "XLSX"}
# The times' zones as written after them (toolkit/core/templating.py, zone_name).
ZONES = {"UTC", "WIB", "WITA", "WIT", "ICT", "PST", "PHT", "MYT", "SGT", "BNT", "MMT"}
WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
# Attributes whose text people read or hear.
# What the test itself types into forms: shown back to the person, it is data.
SENT = ("last year", "many", "nonsense", "Dashboard", "Not A Slug", "nobody", "test client")
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "aria-description")


@pytest.fixture(scope="module")
def pseudo_translations(tmp_path_factory) -> Path:
    """The pseudo catalogue of the whole project, compiled for `eo` into a folder of its own."""
    template = extract(ROOT, ROOT / "babel.cfg")
    assert len(template) > 500, "the extraction found hardly any messages: is babel.cfg right?"
    folder = tmp_path_factory.mktemp("pseudo-translations")
    write_pseudo_mo(template, LOCALE, folder)
    return folder


@pytest.fixture
def pseudo_app(make_app, pseudo_translations, monkeypatch):
    """The app with `eo` among its languages, translated by the pseudo catalogue; the report
    (reports/render.py keeps catalogues of its own) reads the same one."""
    from reports import render

    monkeypatch.setattr(render, "TRANSLATIONS", pseudo_translations)
    render._environment.cache_clear()
    render._look.cache_clear()
    app = make_app(LANGUAGES=["en", LOCALE], BABEL_TRANSLATION_DIRECTORIES=str(pseudo_translations))
    with app.app_context():
        yield app
    render._environment.cache_clear()
    render._look.cache_clear()


@pytest.fixture
def app(pseudo_app):
    """The pseudo-locale app is the app of this module's `client`, `db` and `login`."""
    return pseudo_app


@dataclass
class World:
    """The demo network as the test needs it: people by actor, the objects URLs name, and
    every string that is data rather than interface text."""

    users: dict[str, int]
    city: str
    assessments: dict[str, list[int]]  # actor -> the assessments their pages show
    data: set[str] = field(default_factory=set)
    pattern: re.Pattern | None = None


@pytest.fixture
def world(pseudo_app, db) -> World:
    from toolkit.accounts.models import User
    from toolkit.accounts.service import device_name
    from toolkit.assessments.models import STATUSES, Assessment
    from toolkit.cities.models import City
    from toolkit.cli.demo import load_demo
    from toolkit.jobs.models import Job

    load_demo()
    db.session.flush()

    def user(email):
        return db.session.execute(db.select(User).filter_by(email=email)).scalar_one().id

    def assessments(slug):
        city = db.session.execute(db.select(City).filter_by(slug=slug)).scalar_one()
        rows = db.session.execute(
            db.select(Assessment).filter_by(city_id=city.id).order_by(Assessment.id)
        ).scalars()
        return [a.id for a in rows]

    users = {
        "admin": user("admin@example.org"),
        "network": user("network@example.org"),
        "lead": user("lead.surabaya@example.org"),
        "editor": user("editor.surabaya@example.org"),
        # A city whose assessment came back from review, with the reviewer's notes.
        "returned_lead": user("lead.iloilo-city@example.org"),
    }
    own, returned = assessments("surabaya"), assessments("iloilo-city")
    for actor, user_id in users.items():
        for status, extra in (
            ("finished", {"result_name": "report.pdf", "result_type": "application/pdf"}),
            ("failed", {"error": "The worker was stopped."}),
            ("running", {"total": 4, "done": 1}),
        ):
            db.session.add(
                Job(
                    id=f"{actor[:8]}{status}".ljust(32, "0"),
                    kind="report",
                    title=f"Demo job {status}",
                    requested_by_id=user_id,
                    status=status,
                    result=b"%PDF" if status == "finished" else None,
                    **extra,
                )
            )
    db.session.commit()
    found = World(
        users=users,
        city="surabaya",
        assessments={
            "anonymous": own[:1],
            "admin": own + returned,
            "network": own + returned,
            "lead": own,
            "editor": own,
            "returned_lead": returned,
        },
    )
    # The device a sign-in came from is named after the client's User-Agent; paper sizes and
    # statuses are the values of ?paper= and ?status= (and of the exports' status column).
    sent = {*SENT, device_name("test client"), *PAPER_SIZES, *STATUSES}
    found.data = data_strings(db) | sent
    alternatives = "|".join(re.escape(s) for s in sorted(found.data, key=len, reverse=True))
    found.pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
    return found


def data_strings(db) -> set[str]:
    """Every text that is data: each string stored in the database (names, emails, comments,
    evidence, cities, cohorts, job titles...), every questionnaire text in every language, and
    the pseudo-locale's own words for dates."""
    strings = set()

    def keep(value):
        if isinstance(value, str):
            strings.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                keep(item)
        elif isinstance(value, list | tuple):
            for item in value:
                keep(item)

    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)):
            for value in row:
                keep(value)
    # Machine values (statuses, roles, kinds) are not shown as they are stored: a page that
    # shows one shows an unwrapped word. A city's tags are, with spaces for underscores.
    strings = {s for s in strings if not re.fullmatch(r"[a-z0-9_]+", s)}
    for (tags,) in db.session.execute(sa.text("SELECT tags FROM city")):
        for tag in json.loads(tags) if isinstance(tags, str) else tags or ():
            strings.update((tag, tag.replace("_", " ")))
    for questionnaire in catalogue():
        texts = questionnaire_strings(questionnaire)
        # A radar's axis label is an area name on two lines.
        strings.update(texts, (line for text in texts for line in charts._wrap(text)))
    # The global frameworks' titles are data, in English as the UN publishes them, and so are
    # the currency codes of an action's budget.
    strings.update(SDG_GOALS.values(), SDG_TARGETS.values())
    strings.update(SENDAI_TARGETS.values(), SENDAI_PRIORITIES.values(), CURRENCIES.values())
    locale = Locale.parse(LOCALE)
    for names in (locale.months, locale.days):
        for width in names.values():
            for forms in width.values():
                strings.update(forms.values())
    strings.update(locale.eras["abbreviated"].values())
    # Each language is named in itself, in the language switch and on the languages page.
    strings.update(language.name for language in languages())
    strings.update(locale.periods.values())
    # Long texts are shown a paragraph or a line at a time.
    strings.update(p for s in list(strings) for p in s.splitlines())
    # Compared as the page's texts are: with their runs of white space as one space.
    found = {" ".join(s.split()) for s in strings if s}
    return {s for s in found if len(s) > 1}


def questionnaire_strings(item) -> set[str]:
    """The texts of a questionnaire (every Text in every language) and its other strings
    (ids, units, versions): not gettext messages, and so English in any interface language."""
    found = set()
    if isinstance(item, Text):
        found.add(item.en)
        found.update(text for _language, text in item.translations)
    elif isinstance(item, str):
        found.add(item)
    elif is_dataclass(item):
        for one in fields(item):
            found |= questionnaire_strings(getattr(item, one.name))
    elif isinstance(item, dict):
        for key, value in item.items():
            found |= questionnaire_strings(key) | questionnaire_strings(value)
    elif isinstance(item, list | tuple | set | frozenset):
        for value in item:
            found |= questionnaire_strings(value)
    return found


class _Reader(html.parser.HTMLParser):
    """The text a person reads or hears on a page: text outside scripts and styles, the
    attributes screen readers say, and the labels of buttons."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1
        attributes = dict(attrs)
        self.texts += [attributes[name] for name in READ_ATTRIBUTES if attributes.get(name)]
        if tag == "input" and attributes.get("type") in ("submit", "button", "reset"):
            self.texts.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.hidden = max(0, self.hidden - 1)

    def handle_data(self, data):
        if not self.hidden:
            self.texts.append(data)


def page_texts(page: str) -> list[str]:
    """The readable texts of an HTML page."""
    reader = _Reader()
    reader.feed(page)
    reader.close()
    return [text for text in reader.texts if text.strip()]


def leftovers(texts: list[str], world: World) -> list[str]:
    """The texts that still hold plain English words once data and pseudo words are gone."""
    found = []
    for text in texts:
        text = " ".join(text.split())
        if text in world.data:
            continue
        words = english_words(text, world)
        if words:
            found.append(f"{' '.join(words)!r} in {text[:160]!r}")
    return found


def english_words(text: str, world: World) -> list[str]:
    """The plain-letter words of `text` that are neither data nor names every language keeps.

    Pseudo words are all accented letters, so a word in plain ASCII letters was never
    translated; a value put into a message (`%(city)s`) stays visible and is judged too."""
    text = text.replace(OPEN.strip(), " ").replace(CLOSE.strip(), " ").replace(PADDING, " ")
    if not WORD.search(text):
        return []
    text = world.pattern.sub(" ", text)
    # Emails, addresses, time zones, tokens, ids and codes (snake_case, slugs, versions).
    text = re.sub(
        r"\S+@\S+|\w+://\S+|\w*/\S*|[\w-]{16,}|\b\w*[_\d]\w*\b|\b[a-z]+(?:-[a-z0-9]+)+\b",
        " ",
        text,
    )
    return [
        word
        for word in WORD.findall(text)
        if word not in PROPER_NOUNS and word not in ZONES and len(word) > 1
    ]


@dataclass(frozen=True)
class Visit:
    """One page as an actor sees it: how it was reached and what came back."""

    actor: str
    method: str
    url: str
    status: int
    body: str


# Files, not pages; the PDFs' HTML is checked on its own (a long report would start a job,
# whose thread does not belong in a rolled-back test).
SKIPPED_ENDPOINTS = {
    "static",
    "report.static",
    "report.pdf",
    "report.blank",
    "network.network_report",
    "evidence.download",
    # Only sends on to the page it names, which is visited itself.
    "notifications.follow",
}


def get_urls(app, world: World, actor: str) -> list[str]:
    """A URL for every shape of every GET route: each of the actor's assessments, each area,
    a question with history, every questionnaire version, a person, a cohort and the actor's
    jobs (finished, failed, running)."""
    from toolkit.accounts.models import User
    from toolkit.assessments.models import Answer, Assessment
    from toolkit.core.extensions import db
    from toolkit.network.models import Cohort

    editor = db.session.execute(
        db.select(User).filter_by(email="editor.surabaya@example.org")
    ).scalar_one()
    cohort = db.session.execute(db.select(Cohort).order_by(Cohort.id)).scalars().first()
    jobs = [f"{actor[:8]}{status}".ljust(32, "0") for status in ("finished", "failed", "running")]

    def question_of(assessment_id):
        answer = db.session.execute(
            db.select(Answer).filter_by(assessment_id=assessment_id).order_by(Answer.id)
        ).scalars()
        return next(answer).question_id

    from toolkit.actions.models import Action

    values = {
        "action_id": list(db.session.scalars(db.select(Action.id).order_by(Action.id))),
        "slug": [world.city],
        "user_id": [editor.id],
        "cohort_id": [cohort.id],
        "job_id": jobs,
        "questionnaire_id,version": [(q.id, q.version) for q in catalogue()],
    }
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        if rule.endpoint.startswith(("api.", "health.")) and rule.endpoint != "api.tokens":
            continue
        arguments = set(rule.arguments)
        combinations = [{}]
        if "assessment_id" in arguments:
            combinations = []
            for assessment_id in world.assessments[actor]:
                one = {"assessment_id": assessment_id}
                if "area_id" in arguments:
                    combinations += [{**one, "area_id": area} for area in AREA_IDS]
                elif "question_id" in arguments:
                    combinations.append({**one, "question_id": question_of(assessment_id)})
                else:
                    combinations.append(one)
        if {"questionnaire_id", "version"} <= arguments:
            combinations = [
                {"questionnaire_id": q, "version": v} for q, v in values["questionnaire_id,version"]
            ]
        for name in ("slug", "user_id", "cohort_id", "job_id", "action_id"):
            if name in arguments:
                combinations = [{**c, name: v} for c in combinations for v in values[name]]
        if arguments & {"name", "token", "kind"}:
            continue  # the exports and the set-password link: checked on their own below
        with app.test_request_context():
            from flask import url_for

            urls += [url_for(rule.endpoint, **c, _external=False) for c in combinations]
    del Assessment
    return urls


def visit(client, actor, method, url, **kwargs) -> Visit:
    """Open `url` (following redirects): the body of an HTML page, the texts of a JSON
    answer (a script shows them on its page) as one, else nothing."""
    forget_locale()
    response = client.open(url, method=method, follow_redirects=True, **kwargs)
    body = ""
    if response.mimetype == "text/html":
        body = response.get_data(as_text=True)
    elif response.is_json:
        body = json_page(response.get_json())
    return Visit(actor, method, url, response.status_code, body)


def json_page(document) -> str:
    """The texts of a JSON document as an HTML page."""
    texts = [v for v in flatten(document) if isinstance(v, str)]
    return "<html><body>" + "".join(f"<p>{html_escape(t)}</p>" for t in texts) + "</body>"


def forget_locale():
    """Let the next request choose its language: the tests' one app context keeps `g`, where
    Flask-Babel keeps the locale it chose (without a request: the default, English)."""
    from flask import g

    g.pop("_flask_babel", None)


def sign_in(client, login, world, actor):
    from toolkit.accounts.models import User
    from toolkit.core.extensions import db

    if actor != "anonymous":
        login(client, db.session.get(User, world.users[actor]))


ACTORS = ("anonymous", "admin", "network", "lead", "editor", "returned_lead")


def check(visits: list[Visit], world: World) -> None:
    """Fail naming every page that shows plain English, with the words."""
    problems = []
    for one in visits:
        left = leftovers(page_texts(one.body), world)
        if left:
            shown = "\n    ".join(left[:40])
            problems.append(f"{one.actor} {one.method} {one.url} ({one.status}):\n    {shown}")
    assert not problems, (
        f"{len(problems)} of {len(visits)} pages show text that is not translatable; wrap it "
        "in _() / gettext (toolkit/i18n/pseudo.py shows why):\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("actor", ACTORS)
def test_every_page_is_translated(pseudo_app, world, client, login, actor):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = LOCALE
    sign_in(client, login, world, actor)
    urls = get_urls(pseudo_app, world, actor)
    visits = [visit(client, actor, "GET", url) for url in urls]
    visits += bad_and_good_posts(client, world, actor)
    assert len([v for v in visits if v.status == 200]) > 10
    check(visits, world)


def bad_and_good_posts(client, world: World, actor: str) -> list[Visit]:
    """Forms sent wrong (they come back with their errors), forms sent right (the next page
    says what happened), and the error pages: 403, 404, 400, 405."""
    from toolkit.accounts.models import User
    from toolkit.accounts.service import issue_link
    from toolkit.assessments.models import Assessment
    from toolkit.core.extensions import db

    own = world.assessments[actor]
    statuses = {db.session.get(Assessment, a).status: a for a in own}
    draft = statuses.get("draft") or statuses.get("returned")
    editor = db.session.execute(
        db.select(User).filter_by(email="editor.surabaya@example.org")
    ).scalar_one()
    visits = [
        visit(client, actor, "GET", "/cities/no-such-city"),
        visit(client, actor, "GET", "/no/such/page"),
        visit(client, actor, "GET", "/network/?status=nonsense"),
        visit(client, actor, "GET", "/auth/logout"),
        visit(client, actor, "GET", f"/assessments/{own[0]}/report.pdf?paper=Folio"),
        visit(client, actor, "GET", f"/assessments/{own[0]}/areas/security?page=x"),
        visit(client, actor, "POST", "/account/api-tokens", data={}),
        visit(client, actor, "POST", "/account/api-tokens", data={"name": "Dashboard"}),
    ]
    if actor == "anonymous":
        link = issue_link(editor, "reset", None)
        db.session.commit()
        return [
            visit(client, actor, "POST", "/auth/login", data={"email": "x", "password": "y"}),
            visit(client, actor, "GET", f"/auth/set-password/{link.token}"),
            visit(
                client,
                actor,
                "POST",
                f"/auth/set-password/{link.token}",
                data={"password": "short", "confirm": "other"},
            ),
            visit(client, actor, "GET", "/cities/no-such-city"),
        ]
    if draft:
        area = f"/assessments/{draft}/areas/security"
        visits += [
            visit(client, actor, "POST", f"/assessments/{draft}/submit"),
            visit(client, actor, "POST", area, data={}),
            # A figure that is no number, a year that is no year: the page explains both.
            visit(client, actor, "POST", area, data=bad_answers(draft)),
            visit(client, actor, "POST", f"/assessments/{draft}/assignments", data={}),
            visit(client, actor, "POST", f"/cities/{world.city}/assessments/new", data={}),
            visit(
                client,
                actor,
                "POST",
                f"/assessments/{draft}/questions/no_such_question",
                headers={"Accept": "application/json"},
            ),
        ]
        visits += json_messages(client, actor, draft)
    if "submitted" in statuses:
        review = f"/assessments/{statuses['submitted']}/review"
        visits += [visit(client, actor, "POST", review, data={"decision": "nonsense"})]
    if "approved" in statuses:
        reopen = f"/assessments/{statuses['approved']}/reopen"
        visits += [visit(client, actor, "POST", reopen, data={})]
    if actor == "admin":
        visits += [
            visit(client, actor, "POST", "/cities/new", data={"slug": "Not A Slug"}),
            visit(client, actor, "POST", "/people/new", data={"email": "nobody"}),
            visit(client, actor, "POST", f"/people/{editor.id}/edit", data={"email": "no"}),
            visit(client, actor, "POST", "/network/cohorts/new", data={"population_min": "x"}),
            visit(client, actor, "POST", f"/people/{editor.id}/reset-link"),
            visit(client, actor, "POST", f"/people/{editor.id}/deactivate"),
            visit(client, actor, "POST", f"/people/{editor.id}/reactivate"),
        ]
    if actor == "lead":
        visits += [
            visit(client, actor, "POST", f"/cities/{world.city}/team", data={"email": "no"}),
            visit(client, actor, "POST", f"/people/{editor.id}/reset-link"),
        ]
    # Last, as it ends the session: the sign-in page says so.
    visits.append(visit(client, actor, "POST", "/account/sign-out-everywhere"))
    return visits


def bad_answers(assessment_id: int) -> dict:
    """Form data for the security area with an answer of every kind that is wrong."""
    from toolkit.assessments.models import Assessment
    from toolkit.assessments.scores import questionnaire_of
    from toolkit.core.extensions import db

    questionnaire = questionnaire_of(db.session.get(Assessment, assessment_id))
    data = {}
    for question in questionnaire.area("security").questions():
        if question.type == "number":
            data[question.id] = "many"
            data[f"{question.id}__year"] = "last year"
        elif question.type in ("level", "choice", "yes_no"):
            data[question.id] = "nonsense"
        data[f"{question.id}__na"] = "y"  # not applicable without a reason
    return data


def json_messages(client, actor: str, assessment_id: int) -> list[Visit]:
    """The autosave's answers that answers.js shows on the page, as a page of their own."""
    from toolkit.assessments.models import Assessment
    from toolkit.assessments.scores import questionnaire_of
    from toolkit.core.extensions import db

    questionnaire = questionnaire_of(db.session.get(Assessment, assessment_id))
    number = next(q for q in questionnaire.questions() if q.type == "number")
    url = f"/assessments/{assessment_id}/questions/{number.id}"
    visits = []
    for data in ({number.id: "many"}, {f"{number.id}__na": "y"}, {number.id: "7"}):
        forget_locale()
        response = client.post(url, data=data, headers={"Accept": "application/json"})
        page = json_page(response.get_json(silent=True) or {})
        visits.append(Visit(actor, "POST", f"{url} (JSON)", response.status_code, page))
    return visits


def flatten(value):
    """Every leaf of a JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            # Machine values: states, ids, tokens and addresses.
            if key in ("status", "version", "csrf_token", "id", "question", "download"):
                continue
            yield from flatten(item)
    elif isinstance(value, list):
        for item in value:
            yield from flatten(item)
    else:
        yield value


def html_escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def test_the_report_and_the_network_report_are_translated(pseudo_app, world, db):
    from flask_babel import force_locale

    from reports import render_html
    from toolkit.assessments.models import Assessment
    from toolkit.network import comparison
    from toolkit.network.report import network_pdf
    from toolkit.reporting.service import report_of

    visits = []
    with pseudo_app.test_request_context(), force_locale(LOCALE):
        for assessment_id in world.assessments["admin"]:
            report = report_of(db.session.get(Assessment, assessment_id), language=LOCALE)
            visits.append(Visit("-", "report", str(assessment_id), 200, render_html(report)))
        rendered = {}

        def keep(report):
            rendered["html"] = render_html(report)
            return b"%PDF"

        import toolkit.network.report as network_report

        original = network_report.render_pdf
        network_report.render_pdf = keep
        try:
            network_pdf(comparison.Filter(), LOCALE)
        finally:
            network_report.render_pdf = original
        visits.append(Visit("-", "network report", "all", 200, rendered["html"]))
    check(visits, world)


def test_the_exports_readme_is_translated(pseudo_app, world, client, login):
    from toolkit.network.comparison import Filter, selection

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = LOCALE
    sign_in(client, login, world, "network")
    visits = []
    for name in ("area-scores", "answers"):
        response = client.get(f"/network/export/{name}.xlsx")
        assert response.status_code == 200
        workbook = load_workbook(io.BytesIO(response.data), read_only=True)
        cells = [
            str(cell)
            for row in workbook["README"].iter_rows(values_only=True)
            for cell in row
            if cell is not None
        ]
        # Column and filter names stay machine names: the README names them, then says what
        # they mean.
        header = next(workbook.worksheets[0].iter_rows(values_only=True))
        machine = {*header, *(name for name, _value in selection(Filter()))}
        texts = [c for c in cells if c not in machine]
        page = "<html><body>" + "".join(f"<p>{html_escape(t)}</p>" for t in texts) + "</body>"
        visits.append(Visit("network", "GET", f"/network/export/{name}.xlsx README", 200, page))
    check(visits, world)
