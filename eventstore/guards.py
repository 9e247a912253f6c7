"""Database triggers that make the event table append-only.

PostgreSQL and SQLite both refuse UPDATE and DELETE on ``eventstore_event`` at the
database level. TRUNCATE is left to the role's privileges: production revokes it
(README), and Django's test flush relies on it.

SQLite rebuilds a table for most schema changes and drops its triggers on the way,
so every migration that alters the event table ends with ``reinstall()`` (a test
checks that it does).
"""

from django.db import migrations

TABLE = "eventstore_event"

POSTGRES_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION eventstore_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% on {TABLE} refused: events are append-only', TG_OP
            USING ERRCODE = 'restrict_violation';
    END $$;
    """,
    f"""
    CREATE TRIGGER eventstore_event_append_only
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION eventstore_refuse_change();
    """,
]
POSTGRES_REMOVE = [
    f"DROP TRIGGER IF EXISTS eventstore_event_append_only ON {TABLE};",
    "DROP FUNCTION IF EXISTS eventstore_refuse_change();",
]

SQLITE_NO_UPDATE = f"""
    CREATE TRIGGER eventstore_event_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'UPDATE on {TABLE} refused: events are append-only'); END;
"""
SQLITE_NO_DELETE = f"""
    CREATE TRIGGER eventstore_event_no_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'DELETE on {TABLE} refused: events are append-only'); END;
"""
SQLITE_INSTALL = [SQLITE_NO_UPDATE, SQLITE_NO_DELETE]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS eventstore_event_no_update;",
    "DROP TRIGGER IF EXISTS eventstore_event_no_delete;",
]


def install_sql(vendor: str) -> list[str]:
    return {"postgresql": POSTGRES_INSTALL, "sqlite": SQLITE_INSTALL}.get(vendor, [])


def remove_sql(vendor: str) -> list[str]:
    return {"postgresql": POSTGRES_REMOVE, "sqlite": SQLITE_REMOVE}.get(vendor, [])


def install(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    """RunPython: (re)create the triggers; idempotent."""
    vendor = schema_editor.connection.vendor
    for statement in [*remove_sql(vendor), *install_sql(vendor)]:
        schema_editor.execute(statement, params=None)


def remove(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    for statement in remove_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


def reinstall() -> migrations.RunPython:
    """The last operation of any migration that alters the event table."""
    return migrations.RunPython(install, migrations.RunPython.noop)
