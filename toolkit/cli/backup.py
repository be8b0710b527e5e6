"""`toolkit backup FILE | restore FILE`: every table of the database in one portable archive.

The archive is a ZIP file with `manifest.json` (format version, app version, Alembic revision,
creation time, rows per table, evidence files) and one JSON Lines file per table,
`tables/<name>.jsonl`, one object per row. Values are JSON: datetimes as ISO strings, bytes as
`{"$base64": "..."}`. Evidence files kept in a file store (config EVIDENCE_STORE) rather than
in the database are in the archive as `evidence/<sha256[:2]>/<sha256>`. The same archive
restores into SQLite or PostgreSQL, into an empty database whose schema `toolkit db upgrade`
has built at the archive's revision.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib.metadata import version
from itertools import islice
from pathlib import Path

import click
import sqlalchemy as sa
from alembic.migration import MigrationContext
from flask.cli import with_appcontext

from toolkit.core.extensions import db
from toolkit.evidence.service import file_store, stored_path, write_to_store

FORMAT = "asus-toolkit-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BATCH = 1000  # rows per fetch and per insert
FILE_BATCH = 1  # the same for tables holding files (PDFs, ZIPs): one file in memory at a time
BINARY = "$base64"
EVIDENCE = "evidence/"  # the files of the evidence store (EVIDENCE_STORE), by SHA-256


class BackupError(Exception):
    """An archive that cannot be read, or a database it must not be restored into."""


@dataclass(frozen=True)
class Summary:
    """What a backup wrote or a restore loaded."""

    revision: str
    rows: dict[str, int]  # table name -> rows, in dependency order
    size: int  # bytes of the archive

    def __str__(self) -> str:
        return (
            f"{len(self.rows)} tables, {sum(self.rows.values()):,} rows, "
            f"revision {self.revision}, {self.size / 1024:,.0f} KB"
        )


def write_backup(path: str | Path) -> Summary:
    """Write every table of the app's database to a new archive at `path`.

    Rows are streamed table by table, in dependency order, from one transaction (on PostgreSQL
    a repeatable-read one, so the tables agree with each other).
    """
    engine = db.engine
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    rows = {}
    with engine.connect().execution_options(**options) as connection, connection.begin():
        revision = _revision(connection)
        try:
            archive = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        except OSError as error:
            raise BackupError(f"cannot write {path}: {error.strerror}") from None
        with archive:
            for table in db.metadata.sorted_tables:
                rows[table.name] = _write_table(connection, table, archive)
            stored = _write_evidence_store(connection, archive)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "app_version": version("asus-toolkit"),
                "alembic_revision": revision,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "database": engine.dialect.name,
                "tables": rows,
                "evidence_files": stored,
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return Summary(revision, rows, Path(path).stat().st_size)


def restore_backup(path: str | Path) -> Summary:
    """Load the archive at `path` into the app's database, which must be empty and at the
    archive's Alembic revision; raise `BackupError` (changing nothing) otherwise.

    Everything is inserted in one transaction, table by table in dependency order, in batches.
    On PostgreSQL each table's id sequence then continues after the largest restored id.
    """
    with _open(path) as archive:
        manifest = _manifest(archive)
        with db.engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                # Python's sqlite3 starts a transaction only at the first INSERT, so the
                # savepoints of `_insert` would otherwise be outermost, and their release commit.
                connection.exec_driver_sql("BEGIN")
            revision = _revision(connection)
            if revision != manifest["alembic_revision"]:
                raise BackupError(
                    f"the archive is of database revision {manifest['alembic_revision']}, "
                    f"the database is at {revision}: "
                    "restore into a database upgraded to the same revision"
                )
            filled = [t.name for t in db.metadata.sorted_tables if _has_rows(connection, t)]
            if filled:
                raise BackupError(
                    f"the database is not empty (rows in {', '.join(filled)}): "
                    "restore only into a new, empty database"
                )
            stored = _evidence_members(archive)
            if stored and file_store() is None:
                raise BackupError(
                    f"{archive.filename} holds {len(stored)} evidence files of a file store: "
                    "set EVIDENCE_STORE to the directory to restore them into"
                )
            for table in db.metadata.sorted_tables:
                _restore_table(connection, table, archive, manifest["tables"][table.name])
            for member in stored:
                _restore_evidence_file(archive, member)
            if connection.dialect.name == "postgresql":
                _reset_sequences(connection)
    return Summary(revision, manifest["tables"], Path(path).stat().st_size)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(file):
    """Write every table of the database to the archive FILE (a ZIP of JSON Lines)."""
    try:
        summary = write_backup(file)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up {summary} to {file}.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def restore_command(file):
    """Load the archive FILE into an empty database (run `toolkit db upgrade` first)."""
    try:
        summary = restore_backup(file)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {summary} from {file}.")


def _revision(connection: sa.Connection) -> str:
    """The database's Alembic revision; a database without one has no schema yet."""
    revision = MigrationContext.configure(connection).get_current_revision()
    if revision is None:
        raise BackupError("the database has no schema: run `toolkit db upgrade` first")
    return revision


def _write_table(connection: sa.Connection, table: sa.Table, archive: zipfile.ZipFile) -> int:
    """Stream the rows of `table` into `tables/<name>.jsonl`; return how many there were."""
    query = sa.select(table).order_by(*table.primary_key.columns)
    result = connection.execution_options(yield_per=_batch(table)).execute(query)
    count = 0
    with (
        archive.open(f"tables/{table.name}.jsonl", "w", force_zip64=True) as raw,
        io.TextIOWrapper(raw, encoding="utf-8", newline="\n") as out,
    ):
        for row in result.mappings():
            encoded = {c.name: _encode(c, row[c]) for c in table.columns}
            out.write(json.dumps(encoded, ensure_ascii=False) + "\n")
            count += 1
    return count


def _batch(table: sa.Table) -> int:
    holds_files = any(isinstance(c.type, sa.LargeBinary) for c in table.columns)
    return FILE_BATCH if holds_files else BATCH


def _encode(column: sa.Column, value):
    if value is None:
        return None
    if isinstance(column.type, sa.LargeBinary):
        return {BINARY: base64.b64encode(value).decode("ascii")}
    if isinstance(column.type, sa.DateTime | sa.Date):
        return value.isoformat()
    if isinstance(column.type, sa.Numeric) and isinstance(value, Decimal):
        # As text: an amount keeps every digit (a JSON number would go through a float).
        return str(value)
    return value


def _decode(column: sa.Column, value):
    if value is None:
        return None
    if isinstance(column.type, sa.LargeBinary):
        return base64.b64decode(value[BINARY], validate=True)
    if isinstance(column.type, sa.DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, sa.Date):
        return date.fromisoformat(value)
    if isinstance(column.type, sa.Numeric) and isinstance(value, str):
        return Decimal(value)
    return value


def _open(path: str | Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise BackupError(f"{path} is not a backup archive (not a readable ZIP file)") from error


def _manifest(archive: zipfile.ZipFile) -> dict:
    """The archive's manifest, checked against this app's format and tables."""
    name = archive.filename
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise BackupError(f"{name} is not a backup archive (no {MANIFEST})") from None
    except (ValueError, zipfile.BadZipFile) as error:
        raise BackupError(f"{name}: {MANIFEST} is damaged ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{name} is not a backup archive of this toolkit")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{name} has backup format version {manifest.get('format_version')}; "
            f"this toolkit reads version {FORMAT_VERSION}"
        )
    tables = manifest.get("tables")
    if not isinstance(tables, dict) or set(tables) != {t.name for t in db.metadata.sorted_tables}:
        raise BackupError(f"{name}: the archive's tables differ from the database's")
    return manifest


def _write_evidence_store(connection: sa.Connection, archive: zipfile.ZipFile) -> int:
    """Copy the evidence files kept in the file store (config EVIDENCE_STORE; their database
    row has no data) into the archive as `evidence/<sha256[:2]>/<sha256>`; return how many."""
    content = db.metadata.tables["evidence_content"]
    hashes = connection.execute(
        sa.select(content.c.sha256).where(content.c.data.is_(None)).order_by(content.c.sha256)
    ).scalars()
    count = 0
    for sha256 in hashes:
        path = stored_path(sha256)
        if path is None:
            raise BackupError(
                f"evidence file {sha256} is kept in a file store, but EVIDENCE_STORE is not set"
            )
        if not path.is_file():
            raise BackupError(f"evidence file {sha256} is missing from the file store ({path})")
        archive.write(path, f"{EVIDENCE}{sha256[:2]}/{sha256}")
        count += 1
    return count


def _evidence_members(archive: zipfile.ZipFile) -> list[str]:
    """The archive's evidence files (`evidence/<sha256[:2]>/<sha256>`); any other name under
    evidence/ is a damaged archive."""
    members = [n for n in archive.namelist() if n.startswith(EVIDENCE)]
    for name in members:
        if not re.fullmatch(rf"{EVIDENCE}([0-9a-f]{{2}})/\1[0-9a-f]{{62}}", name):
            raise BackupError(f"{archive.filename}: {name} is not an evidence file's name")
    return members


def _restore_evidence_file(archive: zipfile.ZipFile, member: str) -> None:
    """Write one evidence file back into the file store, checked against its SHA-256."""
    sha256 = member.rpartition("/")[2]
    try:
        data = archive.read(member)
    except (zipfile.BadZipFile, OSError) as error:
        raise BackupError(f"{archive.filename}: {member} is damaged ({error})") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise BackupError(f"{archive.filename}: {member} does not hold the file it names")
    write_to_store(sha256, data)


def _has_rows(connection: sa.Connection, table: sa.Table) -> bool:
    return (
        connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is not None
    )


def _restore_table(
    connection: sa.Connection, table: sa.Table, archive: zipfile.ZipFile, expected: int
) -> None:
    """Insert the rows of the table's file in batches; their number must match the manifest."""
    rows, count = _read_rows(archive, table), 0
    while batch := list(islice(rows, _batch(table))):
        _insert(connection, table, batch, archive.filename, count + 1)
        count += len(batch)
    if count != expected:
        raise BackupError(
            f"{archive.filename}: tables/{table.name}.jsonl has {count} rows, "
            f"the manifest {expected}"
        )


def _insert(
    connection: sa.Connection, table: sa.Table, batch: list[dict], name: str, first: int
) -> None:
    """Insert a batch of rows (the first is line `first` of the table's file). A row that
    breaks a constraint of the database is a `BackupError` naming it: the batch is tried again
    row by row, each in a savepoint, to find which."""
    refused = (sa.exc.IntegrityError, sa.exc.DataError)
    try:
        with connection.begin_nested():
            connection.execute(table.insert(), batch)
        return
    except refused:
        pass
    for line, row in enumerate(batch, first):
        try:
            with connection.begin_nested():
                connection.execute(table.insert(), row)
        except refused as error:
            raise BackupError(_refused_row(name, table, line, row, error)) from None


def _refused_row(name: str, table: sa.Table, line: int, row: dict, error: Exception) -> str:
    """One line: where the row is, its primary key, the values that the database's constraints
    check (unique, foreign key, or missing where required), and what the database said."""
    key = ", ".join(_shown(c.name, row[c.name]) for c in table.primary_key.columns)
    unique = {c for u in table.constraints if isinstance(u, sa.UniqueConstraint) for c in u.columns}
    unique |= {c for index in table.indexes if index.unique for c in index.columns}
    checked = [
        c
        for c in table.columns
        if not c.primary_key
        and (c in unique or c.foreign_keys or (row[c.name] is None and not c.nullable))
    ]
    values = ", ".join(_shown(c.name, row[c.name]) for c in checked)
    said = " ".join(str(getattr(error, "orig", error)).split()).rstrip(".")
    return (
        f"{name}: tables/{table.name}.jsonl line {line}, the {table.name} row {key}"
        f"{f' ({values})' if values else ''} cannot be restored: {said}. Nothing was restored."
    )


def _shown(column: str, value) -> str:
    text = repr(value)
    return f"{column}={text if len(text) <= 60 else text[:57] + '...'}"


def _read_rows(archive: zipfile.ZipFile, table: sa.Table) -> Iterator[dict]:
    """The rows of `tables/<name>.jsonl`, decoded, one at a time."""
    member = f"tables/{table.name}.jsonl"
    try:
        with archive.open(member) as raw:
            for line in io.TextIOWrapper(raw, encoding="utf-8"):
                row = json.loads(line)
                yield {c.name: _decode(c, row[c.name]) for c in table.columns}
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile) as error:
        raise BackupError(f"{archive.filename}: {member} is damaged ({error!r})") from None


def _reset_sequences(connection: sa.Connection) -> None:
    """Make each PostgreSQL id sequence continue after the largest id of its table."""
    preparer = connection.dialect.identifier_preparer
    for table in db.metadata.sorted_tables:
        column = table.autoincrement_column
        if column is None:
            continue
        sequence = connection.execute(
            sa.select(sa.func.pg_get_serial_sequence(preparer.format_table(table), column.name))
        ).scalar_one()
        if sequence is not None:
            top = connection.execute(sa.select(sa.func.max(column))).scalar_one()
            connection.execute(sa.select(sa.func.setval(sequence, (top or 0) + 1, False)))
