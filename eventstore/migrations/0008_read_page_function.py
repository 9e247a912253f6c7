"""A page of the log in the read order, as a function carrying its planner settings
(eventstore/recorders/postgresql.py, ``read_page``); PostgreSQL only."""

from django.db import migrations

# The settings hold the planner to the read-order index scanned in order whatever its
# statistics say (a table that grew since its last ANALYZE looked to it like a few
# rows after the checkpoint: it chose a bitmap scan of every row after it and a sort).
# Set on the function, they last its call and no longer: the statement that calls it
# can be prepared and fetch binary rows, which a SET LOCAL before it ruled out.
CREATE = """
CREATE FUNCTION eventstore_read_page(
    after_tx bigint, after_position bigint, before_tx bigint, page integer
) RETURNS SETOF eventstore_event
LANGUAGE sql STABLE
SET enable_bitmapscan = off
SET enable_sort = off
AS $$
    SELECT * FROM eventstore_event
     WHERE (tx_id, position) > (after_tx, after_position) AND tx_id < before_tx
     ORDER BY tx_id, position
     LIMIT page
$$
"""
DROP = "DROP FUNCTION IF EXISTS eventstore_read_page(bigint, bigint, bigint, integer)"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("eventstore", "0007_archive_segments")]
    operations = [migrations.RunPython(create, drop)]
