"""Database triggers that make the event table append-only.

PostgreSQL and SQLite both refuse UPDATE and DELETE on ``eventstore_event`` at the
database level, with one narrow exception: the delete of a row whose stream is
archived in a verified segment, at or below its archived version (archival's one
sanctioned path, ``eventstore/archive.py``; on PostgreSQL it also runs as a role of
its own, the only one with DELETE: README, production notes). TRUNCATE is left to the
role's privileges: production revokes it (README), and Django's test flush relies
on it.

SQLite rebuilds a table for most schema changes and drops its triggers on the way,
so every migration that alters the event table ends with ``reinstall()`` (a test
checks that it does).
"""

from django.db import migrations

TABLE = "eventstore_event"
ARCHIVED_TABLE = "eventstore_archivedstream"
# The rows archival may delete: their stream is archived in a verified segment, and
# they are at or below its archived version.
_ARCHIVED = """EXISTS (
    SELECT 1 FROM eventstore_archivedstream AS a
      JOIN eventstore_archivesegment AS s ON s.number = a.segment_id
     WHERE a.stream_id = OLD.stream_id AND OLD.version <= a.version
       AND s.verified_at IS NOT NULL)"""


def _postgres_install(archival: bool) -> list[str]:
    exception = f"IF TG_OP = 'DELETE' AND {_ARCHIVED} THEN RETURN OLD; END IF;" if archival else ""
    return [
        f"""
        CREATE OR REPLACE FUNCTION eventstore_refuse_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            {exception}
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


POSTGRES_INSTALL = _postgres_install(archival=True)
POSTGRES_REMOVE = [
    f"DROP TRIGGER IF EXISTS eventstore_event_append_only ON {TABLE};",
    "DROP FUNCTION IF EXISTS eventstore_refuse_change();",
]

SQLITE_NO_UPDATE = f"""
    CREATE TRIGGER eventstore_event_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'UPDATE on {TABLE} refused: events are append-only'); END;
"""


def _sqlite_no_delete(archival: bool) -> str:
    return f"""
    CREATE TRIGGER eventstore_event_no_delete BEFORE DELETE ON {TABLE}
    {f"WHEN NOT {_ARCHIVED}" if archival else ""}
    BEGIN SELECT RAISE(ABORT, 'DELETE on {TABLE} refused: events are append-only'); END;
"""


SQLITE_NO_DELETE = _sqlite_no_delete(archival=True)
SQLITE_INSTALL = [SQLITE_NO_UPDATE, SQLITE_NO_DELETE]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS eventstore_event_no_update;",
    "DROP TRIGGER IF EXISTS eventstore_event_no_delete;",
]


def install_sql(vendor: str, *, archival: bool = True) -> list[str]:
    """The triggers' SQL; ``archival``: with archival's one sanctioned delete, which
    needs its tables (migrations before eventstore 0007 install them without)."""
    if vendor == "postgresql":
        return _postgres_install(archival)
    if vendor == "sqlite":
        return [SQLITE_NO_UPDATE, _sqlite_no_delete(archival)]
    return []


def remove_sql(vendor: str) -> list[str]:
    return {"postgresql": POSTGRES_REMOVE, "sqlite": SQLITE_REMOVE}.get(vendor, [])


def install(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    """RunPython: (re)create the triggers; idempotent."""
    connection = schema_editor.connection
    archival = ARCHIVED_TABLE in connection.introspection.table_names()
    for statement in [
        *remove_sql(connection.vendor),
        *install_sql(connection.vendor, archival=archival),
    ]:
        schema_editor.execute(statement, params=None)


def remove(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    for statement in remove_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


def reinstall() -> migrations.RunPython:
    """The last operation of any migration that alters the event table."""
    return migrations.RunPython(install, migrations.RunPython.noop)
