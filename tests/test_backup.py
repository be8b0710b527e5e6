"""`toolkit backup` and `toolkit restore`: every row from SQLite into PostgreSQL and back again;
a database with rows, without schema or at another revision, and damaged archives, are refused."""

import json
import uuid
import zipfile
from contextlib import contextmanager
from datetime import datetime

import pytest
import sqlalchemy as sa
from conftest import _make_app, new_postgres_database
from flask_migrate import upgrade

from toolkit.accounts import service as accounts
from toolkit.accounts.models import User
from toolkit.api.models import ApiToken
from toolkit.assessments.models import Assessment, ReviewDecision, ReviewNote, ReviewReply
from toolkit.assessments.workbook import build_workbook, keep_upload
from toolkit.cities.models import Country
from toolkit.cli import main
from toolkit.cli.backup import FORMAT_VERSION
from toolkit.cli.demo import load_demo
from toolkit.core import instrument
from toolkit.core.extensions import db
from toolkit.evidence import service as evidence
from toolkit.jobs.models import Job
from toolkit.reporting.service import blank_of, blank_pdf, report_pdf

# Backup and restore read and write on connections of their own.
pytestmark = pytest.mark.usefixtures("real_commits")


@pytest.fixture
def new_postgres():
    """The URL of a new, empty PostgreSQL database, dropped at the end."""
    with new_postgres_database("toolkit_restore") as url:
        yield url


@contextmanager
def upgraded(url):
    """An app on `url` with the schema built by the migrations, inside its app context."""
    app = _make_app(url)
    with app.app_context():
        upgrade()
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def run(app, *args):
    return app.test_cli_runner().invoke(main, [str(a) for a in args])


def every_row() -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order.

    SQLAlchemy gives the same Python values on SQLite and PostgreSQL (naive datetimes, bytes,
    parsed JSON), so the rows compare as they are.
    """
    with db.engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(sa.select(table).order_by(*table.primary_key))
            ]
            for table in db.metadata.sorted_tables
        }


def fill_every_table():
    """The demo network, a rendered report, and rows of the tables the demo leaves empty."""
    load_demo()
    assessment = db.session.execute(db.select(Assessment).order_by(Assessment.id)).scalars().first()
    report_pdf(assessment)
    admin = accounts.find_user("admin@example.org")
    plan = evidence.check("plan.pdf", b"%PDF-1.4\n%%EOF\n")
    evidence.attach(assessment, "cs_participation", [plan], admin)
    blank_pdf(blank_of(instrument.latest("asus-quick"), "security"))
    keep_upload(assessment, admin, build_workbook(assessment, admin, "security", "en"))
    accounts.issue_link(accounts.find_user("network@example.org"), "reset", admin)
    db.session.add(
        Job(
            id=uuid.uuid4().hex,
            kind="report_zip",
            title="Reports of 2026",
            params={"cycle": 2026, "cities": ["surabaya", "da-nang"]},
            requested_by_id=admin.id,
            status="finished",
            finished_at=datetime(2026, 3, 1, 12, 30, 15, 250_000),
            result=bytes(range(256)),
        )
    )
    db.session.add(ApiToken(user_id=admin.id, name="nightly export", token_hash="f" * 64))
    accounts.start_session(admin, "Mozilla/5.0 (Windows NT 10.0) Firefox/133.0", remembered=True)
    decision = ReviewDecision(
        assessment_id=assessment.id, decision="returned", comment="See the notes"
    )
    note = ReviewNote(
        assessment_id=assessment.id,
        question_id="cs_participation",
        text='แนบรายงานการประชุม — attach the minutes, "signed"\nplease',
        created_by_id=admin.id,
    )
    note.replies.append(ReviewReply(text="Attached: บันทึกการประชุม", created_by_id=admin.id))
    decision.notes.append(note)
    db.session.add(decision)
    db.session.commit()


def test_round_trip_from_sqlite_to_postgresql_keeps_every_row(tmp_path, new_postgres):
    archive, again = tmp_path / "toolkit.zip", tmp_path / "again.zip"
    with upgraded(f"sqlite:///{tmp_path / 'source.db'}") as source:
        fill_every_table()
        before = every_row()
        result = run(source, "backup", archive)
        revision = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Backed up {len(before)} tables, ")
    assert all(before.values()), [name for name, rows in before.items() if not rows]
    assert any(b"%PDF" in row[5] for row in before["report_file"])

    manifest = read_manifest(archive)
    with zipfile.ZipFile(archive) as files:
        names = set(files.namelist())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["alembic_revision"] == revision
    assert manifest["tables"] == {name: len(rows) for name, rows in before.items()}
    assert names == {"manifest.json"} | {f"tables/{name}.jsonl" for name in before}

    with upgraded(new_postgres) as target:
        result = run(target, "restore", archive)
        assert result.exit_code == 0, result.output
        assert result.output.startswith(f"Restored {len(before)} tables, ")
        after = every_row()
        # The archive of the restored database is the same, file for file but the manifest.
        assert run(target, "backup", again).exit_code == 0
        # Every sequence continues after the restored ids.
        country = Country(code="TL", name="Timor-Leste")
        user = User(email="new@example.org", name="New", role="network")
        db.session.add_all([country, user])
        db.session.commit()
        assert country.id == max(row[0] for row in before["country"]) + 1
        assert user.id == max(row[0] for row in before["user"]) + 1
    for name in before:
        assert after[name] == before[name], name
    with zipfile.ZipFile(archive) as first, zipfile.ZipFile(again) as second:
        for name in names - {"manifest.json"}:
            assert first.read(name) == second.read(name), name
    # And the archive of PostgreSQL restores into SQLite.
    with upgraded(f"sqlite:///{tmp_path / 'back.db'}") as back:
        assert run(back, "restore", again).exit_code == 0
        assert every_row() == before


def test_restore_refuses_a_database_with_rows_and_changes_nothing(app, make_city, tmp_path):
    make_city("da-nang")
    db.session.commit()
    archive = tmp_path / "toolkit.zip"
    assert run(app, "backup", archive).exit_code == 0
    before = every_row()

    result = run(app, "restore", archive)

    assert result.exit_code == 1
    assert "the database is not empty (rows in country, city)" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert every_row() == before


def test_restore_refuses_an_archive_of_another_revision(app, tmp_path):
    archive, other = tmp_path / "toolkit.zip", tmp_path / "other.zip"
    assert run(app, "backup", archive).exit_code == 0
    manifest = read_manifest(archive)
    rewrite(archive, other, {"manifest.json": {**manifest, "alembic_revision": "0123456789ab"}})

    result = run(app, "restore", other)

    assert result.exit_code == 1
    assert "the archive is of database revision 0123456789ab, the database is at " in result.output
    assert isinstance(result.exception, SystemExit)


def test_restore_refuses_a_database_without_schema_and_backup_an_unwritable_path(app, tmp_path):
    archive = tmp_path / "toolkit.zip"
    unwritable = run(app, "backup", tmp_path / "missing" / "toolkit.zip")
    assert unwritable.exit_code == 1
    assert unwritable.output.startswith(f"Error: cannot write {tmp_path / 'missing'}")
    assert run(app, "backup", archive).exit_code == 0
    bare = _make_app(f"sqlite:///{tmp_path / 'bare.db'}")

    with bare.app_context():
        result = run(bare, "restore", archive)
        db.engine.dispose()

    assert result.output == "Error: the database has no schema: run `toolkit db upgrade` first\n"


COUNTRY = {"id": 1, "code": "VN", "name": "Viet Nam"}


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("not a zip", "is not a backup archive (not a readable ZIP file)"),
        ({"manifest.json": None}, "is not a backup archive (no manifest.json)"),
        ({"manifest.json": b"{"}, "manifest.json is damaged"),
        ({"manifest.json": {"format_version": 99}}, "has backup format version 99;"),
        ({"tables/country.jsonl": None}, "tables/country.jsonl is damaged"),
        ({"tables/country.jsonl": b'{"id": 1, "code": "VN"'}, "tables/country.jsonl is damaged"),
        ({"tables/country.jsonl": COUNTRY}, "tables/country.jsonl has 1 rows, the manifest 2"),
    ],
    ids=["not-zip", "no-manifest", "bad-manifest", "format", "no-table", "bad-row", "count"],
)
def test_a_damaged_archive_is_refused_in_one_line_and_nothing_is_restored(
    app, tmp_path, damage, message
):
    archive, damaged = tmp_path / "toolkit.zip", tmp_path / "damaged.zip"
    assert run(app, "backup", archive).exit_code == 0
    if damage == "not a zip":
        damaged.write_text("country,city\n", encoding="utf-8")
    else:
        manifest = read_manifest(archive)
        manifest["tables"]["country"] = 2  # only the "count" case gets as far as counting
        if isinstance(damage.get("manifest.json"), dict):
            damage = {"manifest.json": {**manifest, **damage["manifest.json"]}}
        rewrite(archive, damaged, {"manifest.json": manifest, **damage})

    result = run(app, "restore", damaged)

    assert result.exit_code == 1
    assert message in result.output and len(result.output.splitlines()) == 1
    assert isinstance(result.exception, SystemExit)
    assert not any(every_row().values())


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        ({"slug": "da-nang"}, "the city row id={id} (slug='da-nang', country_id={country})"),
        ({"country_id": 999}, "the city row id={id} (slug='hue', country_id=999)"),
    ],
    ids=["unique", "foreign-key"],
)
def test_rows_that_break_a_constraint_are_named_in_one_line_and_nothing_is_restored(
    app, make_city, tmp_path, database_url, change, refused
):
    make_city("da-nang")
    hue = make_city("hue")
    db.session.commit()
    archive, broken = tmp_path / "toolkit.zip", tmp_path / "broken.zip"
    assert run(app, "backup", archive).exit_code == 0
    with zipfile.ZipFile(archive) as files:
        cities = [json.loads(line) for line in files.read("tables/city.jsonl").splitlines()]
    line = next(number for number, row in enumerate(cities, 1) if row["id"] == hue.id)
    cities[line - 1].update(change)
    rows = "".join(json.dumps(row) + "\n" for row in cities).encode()
    rewrite(archive, broken, {"tables/city.jsonl": rows})
    refused = refused.format(id=hue.id, country=hue.country_id)
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())

    result = run(app, "restore", broken)

    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert len(result.output.splitlines()) == 1 and "Traceback" not in result.output
    assert f"tables/city.jsonl line {line}, {refused} cannot be restored: " in result.output
    said = "UNIQUE constraint failed: city.slug" if "slug" in change else "FOREIGN KEY"
    if database_url.startswith("postgresql"):
        said = "Key (slug)=(da-nang) already exists" if "slug" in change else "Key (country_id)"
    assert said in result.output and result.output.endswith("Nothing was restored.\n")
    assert not any(every_row().values())


def read_manifest(path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json"))


def rewrite(source, target, changes: dict):
    """Copy a ZIP archive, replacing members (dicts are written as JSON) or leaving out None."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            if name not in changes:
                new.writestr(name, old.read(name))
        for name, content in changes.items():
            if isinstance(content, dict):
                content = json.dumps(content)
            if content is not None:
                new.writestr(name, content)


def test_every_foreign_key_points_to_an_earlier_table():
    """Restore inserts tables in this order, so no table may refer to itself or to a later one."""
    order = [table.name for table in db.metadata.sorted_tables]
    for table in db.metadata.sorted_tables:
        for key in table.foreign_keys:
            assert order.index(key.column.table.name) < order.index(table.name), key
