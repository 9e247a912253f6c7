"""One recorder per database backend: the SQL that differs between them.

``eventstore.store`` holds the contract (expected versions, retries, replays,
decoding) and asks the connection's recorder for the statements. A recorder holds
no state; ``for_connection`` picks it by the connection's vendor.
"""

from __future__ import annotations

from typing import Any

from eventstore.recorders.base import Recorder
from eventstore.recorders.postgresql import PostgreSQLRecorder
from eventstore.recorders.sqlite import SQLiteRecorder

_BY_VENDOR: dict[str, Recorder] = {
    "postgresql": PostgreSQLRecorder(),
    "sqlite": SQLiteRecorder(),
}


def for_connection(connection: Any) -> Recorder:
    try:
        return _BY_VENDOR[connection.vendor]
    except KeyError:
        raise NotImplementedError(
            f"Chronicle's event store has no {connection.vendor} recorder"
        ) from None


__all__ = ["Recorder", "for_connection"]
