"""The databases a benchmark runs on: a temporary SQLite file, then a fresh PostgreSQL
database created for the run and dropped after it."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import sqlalchemy as sa


@contextmanager
def _sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


@contextmanager
def postgres_database(server: str) -> Iterator[str]:
    """A new PostgreSQL database on `server`, dropped on leaving; its URL."""
    name = f"toolkit_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield sa.make_url(server).set(database=name).render_as_string(False)
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def each_database(postgres_server: str) -> Iterator[tuple[str, str]]:
    """(label, URL) of SQLite, then of PostgreSQL on `postgres_server`; each exists only until
    the next one is asked for."""
    for label, database in (
        ("SQLite", _sqlite()),
        ("PostgreSQL", postgres_database(postgres_server)),
    ):
        with database as url:
            yield label, url
