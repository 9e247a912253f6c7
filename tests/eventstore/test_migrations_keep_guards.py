"""The append-only triggers survive every migration of the event table.

SQLite rebuilds a table for most schema changes (``AlterField``, a new NOT NULL
column), and the rebuild drops its triggers silently. Every migration that touches
the event table therefore reinstalls them; these tests migrate a fresh database
from zero, on the backend the suite runs on, and try to change an event.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection, migrations
from django.db.migrations.loader import MigrationLoader

from eventstore import guards

ROOT = Path(__file__).resolve().parents[2]
INSERT = (
    "INSERT INTO eventstore_event (event_id, stream_id, stream_type, event_type, "
    "schema_version, data, metadata, version, recorded_at, tx_id) VALUES "
    "('{id}', 's-1', 's', 'Noted', 1, '{{}}', '{{}}', 1, '2026-01-01 00:00:00', 0)"
)
# Operations after which SQLite may have rebuilt the table (indexes alone do not).
REBUILDING = (
    migrations.AddField,
    migrations.AlterField,
    migrations.RemoveField,
    migrations.RenameField,
    migrations.AddConstraint,
    migrations.RemoveConstraint,
    migrations.AlterModelTable,
)


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        timeout=300,
    )


def refused(execute, statement: str) -> bool:
    try:
        execute(statement)
    except Exception as error:  # the driver's own error class
        return "append-only" in str(error)
    return False


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's own table rebuild")
def test_after_migrating_from_zero_sqlite_refuses_update_and_delete(tmp_path):
    path = tmp_path / "fresh.sqlite3"
    migrate({"SQLITE_PATH": str(path)})
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute(INSERT.format(id=uuid.uuid4().hex))
        assert refused(db.execute, "UPDATE eventstore_event SET event_type = 'Forged'")
        assert refused(db.execute, "DELETE FROM eventstore_event")
        assert db.execute("SELECT event_type FROM eventstore_event").fetchall() == [("Noted",)]
    finally:
        db.close()


@pytest.mark.postgres
@pytest.mark.django_db
def test_after_migrating_from_zero_postgres_refuses_update_and_delete():
    import psycopg

    settings = connection.settings_dict
    params = {
        "host": settings["HOST"] or "127.0.0.1",
        "port": settings["PORT"] or 5432,
        "user": settings["USER"] or "postgres",
    }
    name = f"chronicle_migrate_{os.getpid()}"
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        url = f"postgres://{params['user']}@{params['host']}:{params['port']}/{name}"
        migrate({"DATABASE_URL": url})
        with psycopg.connect(dbname=name, autocommit=True, **params) as db:
            db.execute(INSERT.format(id=uuid.uuid4()))
            assert refused(db.execute, "UPDATE eventstore_event SET event_type = 'Forged'")
            assert refused(db.execute, "DELETE FROM eventstore_event")
            rows = db.execute("SELECT event_type FROM eventstore_event").fetchall()
            assert rows == [("Noted",)]
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_every_migration_that_can_rebuild_the_event_table_reinstalls_the_guards():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for (app, name), migration in loader.disk_migrations.items():
        last_change = last_guard = -1
        for index, operation in enumerate(migration.operations):
            if isinstance(operation, REBUILDING) and _on_event_table(app, operation):
                last_change = index
            if isinstance(operation, migrations.RunPython) and operation.code is guards.install:
                last_guard = index
        if last_change >= 0:
            assert last_guard > last_change, f"{app}.{name} must end with guards.reinstall()"


def _on_event_table(app: str, operation) -> bool:
    return app == "eventstore" and getattr(operation, "model_name", "").lower() == "event"
