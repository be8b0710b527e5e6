"""Languages: whose language a page is in, choosing one, a city's default, the languages page,
questionnaire catalogues and their check, and reports per language."""

import re
import textwrap
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from questionnaires import AREA_IDS, load, score
from questionnaires.loader import catalogue
from questionnaires.translations import coverage, template, texts, updated, write_catalogue
from toolkit.accounts.models import User
from toolkit.core.extensions import db as database

HTML_LANG = re.compile(r'<html lang="([^"]+)"')


def page_language(response) -> str:
    return HTML_LANG.search(response.get_data(as_text=True))[1]


def test_before_choosing_the_browser_decides_then_the_city(client, make_city, make_user, login):
    assert page_language(client.get("/auth/login", headers={"Accept-Language": "th"})) == "th"
    # Filipino browsers may still say Tagalog; a region or a weight does not matter.
    tagalog = client.get("/auth/login", headers={"Accept-Language": "tl-PH,en;q=0.3"})
    assert page_language(tagalog) == "fil"
    assert page_language(client.get("/auth/login", headers={"Accept-Language": "vi-VN"})) == "vi"
    # A language we do not offer: English, for someone not signed in.
    assert page_language(client.get("/auth/login", headers={"Accept-Language": "fr"})) == "en"

    surabaya = make_city("surabaya", "ID")
    editor = make_user("city_editor", surabaya)
    login(client, editor)
    # The browser asks for none of ours: the city's default, its country's main language.
    assert page_language(client.get("/", headers={"Accept-Language": "fr, de"})) == "id"
    surabaya.language = "en"
    database.session.commit()
    assert page_language(client.get("/", headers={"Accept-Language": "fr"})) == "en"
    # The person's own choice wins over the browser's.
    editor.language = "th"
    database.session.commit()
    assert page_language(client.get("/", headers={"Accept-Language": "vi"})) == "th"


def test_a_choice_follows_the_person_not_the_browser(client, make_city, make_user, login):
    """Two people on one computer: the switch saves on the account of whoever is signed in."""
    city = make_city("da-nang", "VN")
    first, second = make_user("city_editor", city), make_user("city_lead", city)
    login(client, first)
    response = client.post(
        "/language", data={"language": "vi"}, headers={"Referer": "http://toolkit.test/account"}
    )
    assert response.status_code == 302 and response.location.endswith("/account")
    assert page_language(client.get("/account")) == "vi"
    assert database.session.get(User, first.id).language == "vi"
    client.post("/auth/logout")

    login(client, second)
    assert page_language(client.get("/")) == "en"  # the browser's English, not the first's
    assert database.session.get(User, second.id).language is None

    # Someone not signed in chooses for the sign-in page only (kept in the session).
    client.post("/auth/logout")
    client.post("/language", data={"language": "km"})
    assert page_language(client.get("/auth/login")) == "km"


@pytest.mark.parametrize("value", ["xx", "", "th" * 5000, "<script>alert(1)</script>", "../../etc"])
def test_a_language_not_offered_is_refused_with_a_message(client, value):
    response = client.post(
        "/language",
        data={"language": value},
        headers={"Referer": "https://elsewhere.example/phish"},
        follow_redirects=False,
    )
    # Back to this site only, never to the address another site sent.
    assert response.status_code == 302 and response.location.startswith("/")
    page = client.get(response.location, follow_redirects=True)
    assert "Choose one of the languages offered." in page.get_data(as_text=True)
    assert page_language(client.get("/auth/login")) == "en"


@pytest.mark.parametrize(
    "referrer", ["http://[::1/", "http://toolkit.test//[x", "HTTP://TOOLKIT.TEST/languages"]
)
def test_a_malformed_or_odd_referrer_sends_back_to_this_site(client, referrer):
    response = client.post("/language", data={"language": "th"}, headers={"Referer": referrer})
    assert response.status_code == 302 and response.location.startswith("/")
    if referrer.startswith("HTTP://TOOLKIT.TEST"):
        assert response.location == "/languages"  # the same site, whatever the letters' case


def test_a_language_the_browser_refuses_is_not_chosen(client):
    refused = client.get("/auth/login", headers={"Accept-Language": "th;q=0, vi;q=0.5"})
    assert page_language(refused) == "vi"
    # Before a person chooses, the browser's language decides: caches must keep them apart.
    assert "Accept-Language" in refused.headers["Vary"]


def test_the_language_chosen_on_the_sign_in_page_becomes_the_persons(app, make_user):
    from conftest import PASSWORD

    person = make_user("admin", email="chooser@example.org", password=PASSWORD)
    client = app.test_client()
    client.post("/language", data={"language": "lo"})
    client.post("/auth/login", data={"email": "chooser@example.org", "password": PASSWORD})
    database.session.expire_all()
    assert database.session.get(User, person.id).language == "lo"
    assert page_language(client.get("/")) == "lo"


def test_a_nul_byte_in_the_switch_is_a_bad_request(client):
    response = client.post("/language", data={"language": "en\x00"})
    assert response.status_code == 400


def test_the_switch_needs_its_csrf_token(make_app, make_city, make_user, login):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    editor = make_user("city_editor", make_city("hue", "VN"))
    login(client, editor)
    page = client.get("/account").get_data(as_text=True)
    assert 'action="/language"' in page
    client.post("/language", data={"language": "th"})
    assert database.session.get(User, editor.id).language is None
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    assert client.post("/language", data={"language": "th", "csrf_token": token}).status_code == 302
    database.session.expire_all()
    assert database.session.get(User, editor.id).language == "th"


def test_an_administrator_sets_a_citys_language(client, make_user, login, make_city):
    make_city("da-nang", "VN")
    login(client, make_user("admin"))
    form = client.get("/cities/da-nang/edit").get_data(as_text=True)
    assert 'name="language"' in form and "The main language of the country" in form
    data = {
        "name": "Da Nang",
        "country": "VN",
        "population": "1000000",
        "land_area_km2": "",
        "tags": "",
        "time_zone": "",
        "language": "en",
        "active": "y",
    }
    assert client.post("/cities/da-nang/edit", data=data).status_code == 302
    from toolkit.cities.models import City

    city = database.session.execute(database.select(City).filter_by(slug="da-nang")).scalar_one()
    assert city.language == "en"
    refused = client.post("/cities/da-nang/edit", data={**data, "language": "zz"})
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)


def test_the_languages_page_says_the_state_of_each_translation(client):
    page = client.get("/languages").get_data(as_text=True)
    for name in ("English", "Indonesia", "Tiếng Việt", "ไทย", "Melayu", "Filipino", "ខ្មែរ"):
        assert name in page
    assert "ລາວ" in page and "မြန်မာ" in page
    assert "Source language" in page
    assert "Draft translation" in page
    # Each questionnaire's coverage per language, from its catalogue.
    assert "ASUS quick screening" in page and re.search(r"\d[\d,]* / \d[\d,]*", page)


def test_times_and_numbers_are_written_as_the_language_writes_them(app):
    from datetime import datetime

    from flask import g

    from toolkit.core.templating import format_when, number, thousands

    moment = datetime(2026, 12, 1, 8, 11)
    written = {}
    for code in ("en", "vi", "id", "th"):
        g.pop("_flask_babel", None)
        with app.test_request_context(headers={"Accept-Language": code}):
            written[code] = (
                format_when(moment, "Asia/Ho_Chi_Minh"),
                number(2.5),
                thousands(12345),
            )
    assert written["en"] == ("Dec 1, 2026, 15:11 (UTC+7)", "2.5", "12,345")
    assert written["vi"][1:] == ("2,5", "12.345") and "15:11" in written["vi"][0]
    assert written["id"][1:] == ("2,5", "12.345") and "Des" in written["id"][0]
    assert "ธ.ค." in written["th"][0]


# -- questionnaire catalogues --------------------------------------------------------------------

QUESTIONNAIRE = textwrap.dedent(
    """\
    id: tiny
    version: "2026.1"
    title: Tiny
    description: A tiny questionnaire.
    stages:
      - {id: start, name: Start, min: 0}
    areas:
      - id: civic_social
        name: Civic and Social
        sub_areas:
          - id: cs_one
            name: One
            questions:
              - id: cs_budget
                type: level
                text: How do residents take part in the budget?
                levels:
                  0: Not at all.
                  1: Sometimes.
                  2: Always.
              - id: cs_choice
                type: choice
                text: Which channel?
                choices:
                  - {id: web, label: The web, points: 1}
                  - {id: paper, label: Paper, points: 0}
    """
) + "".join(
    f"""\
  - id: {area}
    name: {area.replace("_", " ").title()}
    sub_areas:
      - id: {area}_one
        name: One
        questions:
          - id: {area}_plan
            type: yes_no
            text: Is there a plan?
"""
    for area in AREA_IDS[1:]
)


def _tiny(tmp_path):
    (tmp_path / "tiny-2026.1.yaml").write_text(QUESTIONNAIRE, encoding="utf-8")
    return load(tmp_path / "tiny-2026.1.yaml")


def _write(tmp_path, language, entries, fuzzy=()):
    catalogue_ = Catalog(locale=language, fuzzy=False)
    for context, english, translation in entries:
        message = catalogue_.add(english, translation, context=context)
        if context in fuzzy:
            message.flags.add("fuzzy")
    path = tmp_path / "translations" / language / "tiny.po"
    write_catalogue(catalogue_, path)
    return path


def test_a_catalogue_translates_by_key_and_falls_back_to_english_text_by_text(tmp_path):
    _tiny(tmp_path)
    _write(
        tmp_path,
        "th",
        [
            ("title", "Tiny", "จิ๋ว"),
            ("cs_budget/text", "How do residents take part in the budget?", "ผู้อยู่อาศัย?"),
            # The English changed since: stale, so not used.
            ("cs_choice/text", "Which channel, if any?", "ช่องทางใด"),
            # Marked fuzzy by a translator or by update: not used either.
            ("cs_choice/choices/web", "The web", "เว็บ"),
        ],
        fuzzy={"cs_choice/choices/web"},
    )
    (translated,) = catalogue(tmp_path)
    question = translated.question("cs_budget")
    assert translated.title.get("th") == "จิ๋ว"
    assert question.text.get("th") == "ผู้อยู่อาศัย?" and question.text.get("vi") == question.text.en
    assert not question.levels[0].descriptor.has("th")  # English, field by field
    choice = translated.question("cs_choice")
    assert choice.text.get("th") == "Which channel?" and not choice.choices[0].label.has("th")


def test_check_reports_missing_stale_and_structure_errors_with_file_and_line(tmp_path):
    questionnaire = _tiny(tmp_path)
    path = _write(
        tmp_path,
        "vi",
        [
            ("cs_budget/levels/0", "Not at all.", "Không."),
            ("cs_budget/levels/1", "Sometimes.", "Đôi khi."),
            ("cs_choice/text", "Which channel, if any?", "Kênh nào?"),
            ("cs_choice/choices/email", "Email", "Thư điện tử"),
        ],
    )
    from questionnaires.translations import read_catalogue

    report = coverage(questionnaire, read_catalogue(path), "vi", path)
    assert report.translated == 2 and report.total == len(list(texts(questionnaire)))
    assert any(
        line.startswith(f"{path}:") and "cs_choice/text" in line and "earlier English" in line
        for line in report.stale
    )
    assert any(
        f"{path}:" in e and "cs_choice/choices/email: names no text" in e for e in report.errors
    )
    assert any("cs_budget/levels" in e and "missing: 2" in e for e in report.errors)
    source = questionnaire.source
    assert f"{source}:16: cs_budget/text: not translated" in report.missing


def test_update_keeps_translations_and_offers_the_old_one_for_a_changed_text(tmp_path):
    questionnaire = _tiny(tmp_path)
    old = Catalog(locale="id")
    old.add("Which channel, if any?", "Saluran mana?", context="cs_choice/text")
    old.add("Tiny", "Mungil", context="title")
    old.add("Gone", "Hilang", context="cs_gone/text")
    merged = updated(old, template([questionnaire]), "id")
    assert merged.get("Tiny", context="title").string == "Mungil"
    offered = merged.get("Which channel?", context="cs_choice/text")
    assert offered.string == "Saluran mana?" and offered.fuzzy
    assert offered.previous_id == ["Which channel, if any?"]
    assert not merged.get("Not at all.", context="cs_budget/levels/0").string
    assert any(key[1] == "cs_gone/text" for key in merged.obsolete)


def test_the_shipped_translations_check_without_errors():
    from click.testing import CliRunner

    from toolkit.cli import main

    result = CliRunner().invoke(main, ["questionnaire", "check", "--languages"])
    assert result.exit_code == 0, result.output
    for language in ("id", "vi", "th", "ms", "fil", "km", "lo", "my"):
        assert f"{language} asus-detailed 2026.2: " in result.output
    assert "error:" not in result.output


@cache
def _with_and_without_translations():
    import questionnaires

    folder = Path(questionnaires.__file__).parent
    return [(q, load(folder / Path(q.source).name)) for q in catalogue()]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_scores_never_depend_on_the_language(data):
    """The shipped questionnaires with their translations score every answer as without."""
    for translated, plain in _with_and_without_translations():
        answers = {}
        for question in plain.questions():
            if question.type == "level" and data.draw(st.booleans()):
                answers[question.id] = data.draw(
                    st.sampled_from([lv.number for lv in question.levels])
                )
        assert score(translated, answers).overall == score(plain, answers).overall
        assert [a.score for a in score(translated, answers).areas] == [
            a.score for a in score(plain, answers).areas
        ]


# -- the interface catalogues --------------------------------------------------------------------


@pytest.fixture(scope="module")
def interface_template(tmp_path_factory):
    """The catalogue template extracted from the sources now, as `toolkit i18n extract` does."""
    from babel.messages.pofile import read_po

    from toolkit.i18n.cli import extract

    output = tmp_path_factory.mktemp("template") / "messages.pot"
    extract(output)
    with output.open("rb") as file:
        return read_po(file)


@pytest.mark.parametrize("language", ["id", "vi", "th", "ms", "fil", "km", "lo", "my"])
def test_each_interface_catalogue_is_complete_and_compiles(language, interface_template, tmp_path):
    """Every message of the sources as they are now is translated, none fuzzy, placeholders
    kept; the catalogue compiles; its header says whether a native speaker reviewed it."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    from toolkit.i18n.languages import STATE_LINE, catalogue_path

    with catalogue_path(language).open("rb") as file:
        catalogue_ = read_po(file, locale=language)
    wanted = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in interface_template}
    wanted.discard(("", None))
    found = {(m.id if isinstance(m.id, str) else m.id[0], m.context): m for m in catalogue_ if m.id}
    missing = sorted(key[0] for key in wanted if key not in found)
    assert not missing, f"{language}: not in the catalogue (toolkit i18n update): {missing[:10]}"
    untranslated = [
        m.id
        for key, m in found.items()
        if key in wanted
        and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    ]
    assert not untranslated, f"{language}: untranslated or fuzzy: {untranslated[:10]}"
    problems = [(m.id, errors) for m, errors in catalogue_.check()]
    assert not problems, f"{language}: {problems[:5]}"
    with (tmp_path / "messages.mo").open("wb") as file:
        write_mo(file, catalogue_)
    assert STATE_LINE.search(catalogue_.header_comment).group(1) in ("draft", "reviewed")


# -- layout in every script, in a real browser ---------------------------------------------------

PHONE = {"viewport": {"width": 360, "height": 800}, "is_mobile": True, "has_touch": True}


@pytest.mark.parametrize("language", ["th", "my", "km", "lo", "vi", "fil"])
def test_pages_hold_at_phone_width_in_every_script(live_server, open_page, db, language):
    """Long words without spaces and tall stacks: nothing of the header, the area page, the
    results or the network's dashboard runs off a phone's screen."""
    from conftest import sign_in

    from toolkit.assessments.models import Assessment

    base, users = live_server
    for user in users.values():
        user.language = language
    db.session.commit()
    assessment = db.session.execute(db.select(Assessment)).scalars().first()
    pages = {
        "lead": [
            f"/assessments/{assessment.id}",
            f"/assessments/{assessment.id}/areas/civic_social",
            f"/assessments/{assessment.id}/results",
            "/account",
        ],
        "network": ["/network/", "/languages"],
    }
    for who, paths in pages.items():
        page = open_page(**PHONE)
        sign_in(page, base, users[who].email)
        for path in paths:
            page.goto(base + path)
            assert page.evaluate("document.documentElement.lang") == language, path
            overflow = page.evaluate(
                """() => [...document.querySelectorAll('header *, main *')]
                    .filter(e => e.getBoundingClientRect().right > innerWidth + 1
                                 && getComputedStyle(e).position !== 'fixed'
                                 && !e.closest('.table-wrap'))
                    .map(e => e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 40))"""
            )
            assert not overflow, (language, path, overflow[:5])
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 361, (language, path, width)
        assert not page.errors
