"""What the store needs from a backend."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Protocol
from uuid import UUID

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from eventstore.records import EncodedEvent

TABLE = "eventstore_event"
SNAPSHOT_TABLE = "eventstore_snapshot"
ARCHIVED_TABLE = "eventstore_archivedstream"
SEGMENT_TABLE = "eventstore_archivesegment"
COLUMNS = (
    "position, event_id, stream_id, stream_type, event_type, schema_version, data, "
    "metadata, version, recorded_at, correlation_id, causation_id, tx_id, chain_hash"
)
NativeValues = Callable[[Any, Any, Any, Any], tuple[UUID, UUID | None, UUID | None, dt.datetime]]
INSERT_COLUMNS = (
    "event_id, stream_id, stream_type, event_type, schema_version, data, metadata, version, "
    "correlation_id, causation_id, chain_hash"
)


def stored_instant(value: Any) -> dt.datetime:
    """A ``recorded_at`` as fetched (a datetime, or SQLite's text) as an aware datetime."""
    parsed = value if isinstance(value, dt.datetime) else parse_datetime(value)
    if parsed is None:
        raise ValueError(f"stored timestamp {value!r} is not a datetime")
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=dt.UTC)


def uuid_value(value: Any) -> UUID | None:
    """A fetched UUID (psycopg's UUID, or SQLite's hex text) as a UUID."""
    return value if value is None or isinstance(value, UUID) else UUID(str(value))


def native_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row fetched as ``COLUMNS`` with its UUIDs and instant as Python values on any
    backend (``data`` and ``metadata`` stay the stored text)."""
    pos, event_id, stream, stream_type, type_, schema, data, meta, version, at = row[:10]
    corr, caus, tx, chain_hash = row[10:]
    return (
        pos,
        uuid_value(event_id),
        stream,
        stream_type,
        type_,
        schema,
        data,
        meta,
        version,
        stored_instant(at),
        uuid_value(corr),
        uuid_value(caus),
        tx,
        chain_hash,
    )


class Recorder(Protocol):
    # Whether an append may be one INSERT outside any transaction.
    single_statement_appends: bool
    # Rows one ``insert`` may take; None for a batch of any size in one statement.
    max_batch: int | None
    # Whether a statement that fails aborts the whole transaction it runs in (then
    # nothing more can be asked in it until the caller rolls back).
    aborts_on_error: bool
    # Whether a refused INSERT at the expected version means an OrderingConflict.
    orders_by_transaction: bool
    # The snapshot table's ``state`` as the event table's ``data`` type, for one query
    # that reads a snapshot and the events after it.
    snapshot_state: str
    # SQL for the text of a top-level field of a JSON column ({column}, {field}), and a
    # data key's wrapped bytes ({column}) in the event table's chain_hash type: for the
    # keys a stream read fetches in its own statement.
    json_text: str
    wrapped_key: str

    def insert(
        self,
        connection: Any,
        stream_id: str,
        stream_type: str,
        chunk: Sequence[EncodedEvent],
        hashes: Sequence[str],
        after: int,
        recorded_at: dt.datetime,
    ) -> tuple[str, list[Any]]:
        """One guarded INSERT of ``chunk`` as versions ``after + 1...`` with their
        chain hashes, all stamped ``recorded_at``, returning ``(position,)`` per row in
        version order, or no row when the guard refused (nothing written; the statement
        fails only for what the database refuses outright)."""
        ...

    def after(self) -> str:
        """SQL for the rows after the checkpoint ``(tx_id, position)`` (two params)."""
        ...

    def horizon(self) -> str:
        """SQL (`` AND ...``) keeping the rows a reader may safely see now."""
        ...

    def horizon_value(self) -> str:
        """SQL for the transaction id below which a reader may safely see rows now (a
        large number where every committed row is safe)."""
        ...

    def refresh_horizon(self, connection: Any, cursor: Any) -> None:
        """Run before a query that uses ``horizon()``."""
        ...

    def read_page(self, before: str) -> str:
        """SQL for the next page of ``COLUMNS`` in the read order after a checkpoint
        (params: its tx_id and position, then the page's size), below the transaction
        id that the SQL ``before`` gives."""
        ...

    def prepare_read(self, cursor: Any) -> None:
        """Set the cursor up to fetch rows for ``decode``."""
        ...

    def statement_cursor(self, connection: Any, *, binary: bool = False) -> Any:
        """A cursor (Django's wrapper: execute wrappers and query logging apply) for the
        store's own statements whose text does not vary with their input, which the
        backend may keep prepared on the connection; ``binary``: its rows may come in
        the driver's binary format (``prepare_read`` sets up their loaders)."""
        ...

    def uuid_param(self, value: UUID | None) -> Any: ...

    # Turns a fetched (event_id, correlation_id, causation_id, recorded_at) into
    # Python values; None where the driver returns them as such already.
    native_values: NativeValues | None


def event_params(
    recorder: Recorder,
    stream_id: str,
    stream_type: str,
    chunk: Sequence[EncodedEvent],
    hashes: Sequence[str],
    after: int,
) -> list[Any]:
    """The VALUES parameters of ``chunk``, in ``INSERT_COLUMNS`` order."""
    uuid = recorder.uuid_param
    params: list[Any] = []
    for offset, (encoded, chain_hash) in enumerate(zip(chunk, hashes, strict=True), start=1):
        new = encoded.new
        params += [
            uuid(new.event_id),
            stream_id,
            stream_type,
            new.event_type,
            new.schema_version,
            encoded.data,
            encoded.metadata,
            after + offset,
            uuid(new.correlation_id),
            uuid(new.causation_id),
            chain_hash,
        ]
    return params
