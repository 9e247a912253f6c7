"""Test set-up shared by every suite.

The append-only trigger refuses DELETE on the event table, which is how Django's
test flush empties tables on SQLite. Only here, for the flush, the trigger is
dropped and put back in the same transaction; the application has no such path.
(PostgreSQL flushes with TRUNCATE, which the row triggers do not see.)
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseOperations as SQLiteOperations

from eventstore import guards

_sqlite_sql_flush = SQLiteOperations.sql_flush


def _sql_flush_around_trigger(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    statements = _sqlite_sql_flush(
        self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
    )
    if guards.TABLE not in tables:
        return statements
    return [
        "DROP TRIGGER IF EXISTS eventstore_event_no_delete",
        *statements,
        guards.SQLITE_NO_DELETE,
    ]


SQLiteOperations.sql_flush = _sql_flush_around_trigger


def pytest_collection_modifyitems(config, items):
    on_postgres = connection.vendor == "postgresql"
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (run with DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(request, django_db_modify_db_settings_parallel_suffix):
    """On SQLite, a run with browser tests keeps its test database in a file.

    The live server answers from a thread with a connection of its own, which sees
    an in-memory database only by sharing the test thread's connection; a file is
    what a real server opens. Other runs keep the faster in-memory database;
    ``SQLITE_TEST_PATH`` still names the file when set.
    """
    database = settings.DATABASES["default"]
    on_sqlite = database["ENGINE"] == "django.db.backends.sqlite3"
    browsing = any("browser" in item.keywords for item in request.session.items)
    if not on_sqlite or database["TEST"].get("NAME") or not browsing:
        yield
        return
    folder = Path(tempfile.mkdtemp(prefix="chronicle-test-"))
    database["TEST"]["NAME"] = str(folder / "test.sqlite3")
    yield
    shutil.rmtree(folder, ignore_errors=True)  # the database itself is gone by now


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The default hasher costs ~0.3 s a login on purpose; tests only need it to work.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _after_commit_hooks_at_once(settings):
    # Deterministic: the wake-ups run in the committing thread as it commits. Tests of
    # the background thread turn it on (tests/eventstore/test_after_commit.py).
    settings.EVENTSTORE_AFTER_COMMIT_IN_BACKGROUND = False


@pytest.fixture(autouse=True)
def _seals_and_segments_in_temporary_folders(settings, tmp_path_factory):
    # Each test's seals have outside records of their own (eventstore/sealing.py):
    # another test's records would read as seals deleted from this test's database.
    # Archive segments too (eventstore/archive.py), and no segment cached from another.
    storages = {**settings.STORAGES}
    for name in ("seals", "archive"):
        location = str(tmp_path_factory.mktemp(name))
        storages[name] = {**storages[name], "OPTIONS": {"location": location}}
    settings.STORAGES = storages
    from eventstore import archive  # a model module: imported once Django is set up

    archive._read_segment.cache_clear()
