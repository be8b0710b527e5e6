"""`toolkit demo`, `toolkit user ...` and configuration: what `make run` relies on."""

import re

import pytest

from toolkit.accounts.models import User
from toolkit.assessments.models import Answer, Assessment
from toolkit.cities.models import City, Country
from toolkit.network.models import Cohort


def _snapshot(db):
    rows = db.session.execute(
        db.select(
            City.slug,
            Assessment.questionnaire_id,
            Assessment.cycle,
            Assessment.status,
            Assessment.overall_score,
            Assessment.completeness,
        )
        .join(Assessment.city)
        .order_by(City.slug, Assessment.questionnaire_id, Assessment.cycle)
    ).all()
    return [tuple(row) for row in rows]


def test_demo_network_is_realistic_deterministic_and_idempotent(runner, db):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "asus-demo-2026" in first.output
    assert (
        "lead.surabaya@example.org" in first.output and "editor.da-nang@example.org" in first.output
    )
    snapshot = _snapshot(db)

    countries = db.session.execute(db.select(Country.code)).scalars().all()
    assert len(countries) == 10
    cities = {c.slug: c for c in db.session.execute(db.select(City)).scalars()}
    assert len(cities) >= 12 and {"surabaya", "da-nang"} <= set(cities)
    assert {s for _, _, _, s, _, _ in snapshot} == {"draft", "submitted", "returned", "approved"}
    assert {(q, cycle) for _, q, cycle, _, _, _ in snapshot} >= {
        ("asus-quick", 2025),
        ("asus-quick", 2026),
        ("asus-detailed", 2026),
    }
    # Cities differ in a plausible way: not uniform noise, and better in 2026 than in 2025.
    overall = {(slug, q, cycle): score for slug, q, cycle, _, score, _ in snapshot}
    assert overall[("singapore", "asus-quick", 2026)] > overall[("mandalay", "asus-quick", 2026)]
    improved = [
        slug
        for slug in cities
        if (slug, "asus-quick", 2025) in overall
        and overall[(slug, "asus-quick", 2026)] > overall[(slug, "asus-quick", 2025)]
    ]
    assert len(improved) >= 6
    users = db.session.execute(db.select(User.email)).scalars().all()
    assert len(users) == 2 + 2 * len(cities)

    second = runner.invoke(args=["demo"])
    assert "(0 added now)" in second.output
    assert _snapshot(db) == snapshot


def test_demo_network_is_the_same_on_every_machine(runner, db):
    """Figures of the demo network, pinned: a change to its data or generator shows here."""
    runner.invoke(args=["demo"])

    def count(column):
        return db.session.execute(db.select(db.func.count(column))).scalar_one()

    assert (count(Country.id), count(City.id), count(User.id), count(Cohort.id)) == (10, 13, 28, 4)
    assert (count(Assessment.id), count(Answer.id)) == (30, 1449)
    figures = {(slug, q, cycle): (score, done) for slug, q, cycle, _, score, done in _snapshot(db)}
    # Both versions: 2026.2 came out during the 2026 cycle; Surabaya's 2027 draft started from
    # its 2026.1 answers through the item map.
    versions = dict(
        db.session.execute(
            db.select(Assessment.questionnaire_version, db.func.count(Assessment.id)).group_by(
                Assessment.questionnaire_version
            )
        ).all()
    )
    assert versions == {"2026.1": 21, "2026.2": 9}
    surabaya = db.session.execute(
        db.select(Assessment).join(City).filter(City.slug == "surabaya", Assessment.cycle == 2027)
    ).scalar_one()
    assert (surabaya.questionnaire_version, surabaya.carried_over_cycle) == ("2026.2", 2026)
    assert figures[("singapore", "asus-quick", 2026)] == (pytest.approx(86.111111), 1.0)
    assert figures[("da-nang", "asus-detailed", 2026)] == (pytest.approx(63.235317), 1.0)
    assert figures[("surabaya", "asus-detailed", 2026)] == (
        pytest.approx(64.855556),
        pytest.approx(0.562044),
    )


def test_a_wrong_demo_data_file_is_refused_naming_the_file_and_the_key(tmp_path):
    from toolkit.cli.demo import DATA_FILE, DemoDataError, read_demo_data

    text = DATA_FILE.read_text(encoding="utf-8")
    wrong = {
        "cities[0].profile.security": text.replace("security: 0.55", "security: high", 1),
        "cities[0].assessments.asus-quick.2026": text.replace("2026: submitted", "2026: sent"),
        "cities[2].timezone": text.replace("time_zone:", "timezone:", 1),
        "cohorts.Coastal cities.tags": text.replace("tags: [coastal]", "tags: coastal", 1),
        "staff.admin.email": text.replace("{email: admin@example.org, ", "{", 1),
        "the file": "- just a list\n",
    }
    path = tmp_path / "demo.yaml"
    for key, changed in wrong.items():
        assert changed != text
        path.write_text(changed, encoding="utf-8")
        with pytest.raises(DemoDataError) as error:
            read_demo_data(path)
        assert str(error.value).startswith(f"{path}: {key}: "), error.value
    path.write_text("cities: [\n", encoding="utf-8")
    with pytest.raises(DemoDataError, match="not valid YAML"):
        read_demo_data(path)


def test_toolkit_demo_shows_what_is_wrong_with_its_data(runner, db, monkeypatch, tmp_path):
    from toolkit.cli import demo

    path = tmp_path / "demo.yaml"
    path.write_text("password: asus-demo-2026\n", encoding="utf-8")
    monkeypatch.setattr(demo, "DATA_FILE", path)
    demo.demo_data.cache_clear()
    try:
        result = runner.invoke(args=["demo"])
    finally:
        demo.demo_data.cache_clear()
    assert result.exit_code == 1
    assert f"Error: {path}: staff: missing" in result.output


def test_demo_users_sign_in_with_the_printed_password(runner, client, db):
    runner.invoke(args=["demo"])
    response = client.post(
        "/auth/login", data={"email": "editor.da-nang@example.org", "password": "asus-demo-2026"}
    )
    assert response.status_code == 302
    assert b"Assessments of Da Nang" in client.get("/").data


def test_user_create_prints_an_invitation_link(runner, db, make_city):
    make_city("da-nang")
    db.session.commit()
    result = runner.invoke(
        args=[
            "user",
            "create",
            "--email",
            "Lead@Example.org",
            "--role",
            "city_lead",
            "--city",
            "da-nang",
        ]
    )
    assert result.exit_code == 0, result.output
    assert re.search(
        r"Invitation link, valid once, until .* UTC:\nhttp://\S+/auth/set-password/\S+",
        result.output,
    )
    user = db.session.execute(db.select(User).filter_by(email="lead@example.org")).scalar_one()
    assert user.city.slug == "da-nang"

    no_city = runner.invoke(
        args=["user", "create", "--email", "x@example.org", "--role", "city_editor"]
    )
    assert no_city.exit_code == 1
    assert "City leads and editors belong to a city" in no_city.output
    unknown = runner.invoke(
        args=[
            "user",
            "create",
            "--email",
            "y@example.org",
            "--role",
            "city_lead",
            "--city",
            "atlantis",
        ]
    )
    assert "no city with the slug 'atlantis'" in unknown.output


def test_user_set_password(runner, client, db, make_user):
    make_user("admin", email="admin@example.org")
    db.session.commit()
    short = runner.invoke(
        args=["user", "set-password", "admin@example.org"], input="short\nshort\n"
    )
    assert short.exit_code == 1 and "Use at least 10 characters." in short.output
    secret = "a long enough secret"
    ok = runner.invoke(
        args=["user", "set-password", "admin@example.org"], input=f"{secret}\n{secret}\n"
    )
    assert ok.exit_code == 0, ok.output
    assert (
        client.post(
            "/auth/login", data={"email": "admin@example.org", "password": secret}
        ).status_code
        == 302
    )


def test_configuration_order(monkeypatch, tmp_path):
    from toolkit import create_app

    monkeypatch.setenv("DATABASE_URL", "postgres://someone@db.example/toolkit")
    monkeypatch.setenv("TOOLKIT_INVITATION_DAYS", "3")
    monkeypatch.setenv("SECRET_KEY", "from-environment")
    app = create_app()
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://someone@db.example/toolkit"
    )
    assert app.config["INVITATION_DAYS"] == 3
    assert app.config["SECRET_KEY"] == "from-environment"
    override = create_app({"INVITATION_DAYS": 9, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert override.config["INVITATION_DAYS"] == 9


def test_every_demo_user_signs_in_and_sees_only_what_the_role_allows(runner, app, db):
    from toolkit.cli.demo import demo_data, demo_logins

    runner.invoke(args=["demo"])
    data = demo_data()
    names = {c.name for c in data.cities}
    for email, role, city in demo_logins():
        client = app.test_client()
        signed_in = client.post("/auth/login", data={"email": email, "password": data.password})
        assert signed_in.status_code == 302, email
        home = client.get("/").data.decode()
        shown = {name for name in names if name in home}
        if role in ("admin", "network"):
            assert shown == names, email
            assert (client.get("/people/").status_code == 200) == (role == "admin")
        else:
            assert shown == {city}, email
            slug = email.split(".", 1)[1].split("@")[0]
            own_team = client.get(f"/cities/{slug}/team").status_code
            assert own_team == (200 if role == "city_lead" else 403), email
            other = "surabaya" if slug != "surabaya" else "da-nang"
            assert client.get(f"/cities/{other}").status_code == 404, email
