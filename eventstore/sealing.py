"""Seals: every stream's head up to a checkpoint of the log, keyed and chained.

A chain hash shows an edited or forged event, but not a deleted newest event or a
dropped stream: the chain that is left is whole. A seal records, under the same key
as the chain (never in the database), the head version and chain hash of every
stream written since the previous seal, up to the log's safe head, and chains to
the previous seal. Each seal's hash is also written outside the database (the
``seals`` storage of ``settings.STORAGES``: a directory by default, any Django
storage in production), so deleting the newest seals along with the newest events
shows too. The first seal is the genesis seal: it also pins events recorded before
chaining, by the hash they would have had. See docs/architecture.md, invariant 15.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.utils import timezone

from eventstore import chain, raw_log, recorders, store
from eventstore.models import Seal
from eventstore.recorders.base import TABLE
from eventstore.records import START, Checkpoint

logger = logging.getLogger(__name__)
STORAGE = "seals"


def take_seal(
    *, using: str = DEFAULT_DB_ALIAS, archived: dict[str, list[Any]] | None = None
) -> Seal | None:
    """Seal the log up to its safe head; None when nothing was written since the last
    seal (or another seal was taken at the same moment). ``archived``: the streams
    that just went to an archive segment, as ``{stream: [segment, version, head hash]}``
    (eventstore/archive.py); sealed even when nothing else changed."""
    try:
        with transaction.atomic(using=using):
            return _take_seal(using, archived or {})
    except IntegrityError:
        return None  # another worker took this number first: the log is sealed


def seal_task() -> None:
    """The django-q2 schedule's entry point (hourly; migration eventstore 0006)."""
    seal = take_seal()
    if seal is not None:
        logger.info("%s", seal)


def _take_seal(using: str, archived: dict[str, list[Any]]) -> Seal | None:
    last = Seal.objects.using(using).order_by("-number").first()
    after = Checkpoint(last.tx_id, last.position) if last else START
    up_to = max(store.head(using=using), after)
    if up_to <= after and not archived:
        return None
    heads, count = _heads_between(after, up_to, using)
    seal = Seal(
        number=last.number + 1 if last else 1,
        tx_id=up_to.tx_id,
        position=up_to.position,
        heads=heads,
        events=(last.events if last else 0) + count,
        sealed_at=timezone.now(),
        previous_hash=last.seal_hash if last else "",
        archived=archived,
    )
    seal.seal_hash = hash_of(seal)
    # Not update_or_create: a number taken meanwhile must fail, not be overwritten.
    seal.save(using=using, force_insert=True)
    transaction.on_commit(partial(_write_outside, seal.number, seal.seal_hash), using=using)
    return seal


def hash_of(seal: Seal) -> str:
    content = {
        "number": seal.number,
        "tx_id": seal.tx_id,
        "position": seal.position,
        "heads": seal.heads,
        "events": seal.events,
        "sealed_at": chain.instant(seal.sealed_at),
        "previous": seal.previous_hash,
    }
    if seal.archived:
        content["archived"] = seal.archived
    return chain.sign(content)


def heads_at(seals: Iterable[Seal]) -> dict[str, tuple[int, str]]:
    """Every stream's head as of the last of ``seals`` (in number order), archived
    streams' included."""
    heads: dict[str, tuple[int, str]] = {}
    for seal in seals:
        heads.update((stream, (version, value)) for stream, (version, value) in seal.heads.items())
        heads.update(
            (stream, (version, value))
            for stream, (_, version, value) in seal.archived.items()
            if value is not None
        )
    return heads


def archived_at(seals: Iterable[Seal]) -> dict[str, int]:
    """Which segment each stream archived by ``seals`` went to."""
    return {stream: entry[0] for seal in seals for stream, entry in seal.archived.items()}


def _heads_between(
    after: Checkpoint, up_to: Checkpoint, using: str
) -> tuple[dict[str, list[Any]], int]:
    """The head of each stream written in ``(after, up_to]`` and how many events that
    range holds. An unchained head (recorded before chaining) is pinned by the hash
    its stream's events would have had."""
    connection = connections[using]
    in_range = f"{recorders.for_connection(connection).after()}"
    params = [after.tx_id, after.position, up_to.tx_id, up_to.position]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT e.stream_id, e.version, e.chain_hash FROM {TABLE} AS e JOIN ("
            f"SELECT stream_id, MAX(version) AS version, COUNT(*) AS n FROM {TABLE}"
            f" WHERE {in_range} AND NOT ({in_range}) GROUP BY stream_id) AS head"
            " ON e.stream_id = head.stream_id AND e.version = head.version",
            params,
        )
        rows = cursor.fetchall()
        cursor.execute(
            f"SELECT COUNT(*) FROM {TABLE} WHERE {in_range} AND NOT ({in_range})", params
        )
        (count,) = cursor.fetchone()
    heads: dict[str, list[Any]] = {}
    for stream_id, version, chain_hash in rows:
        heads[stream_id] = [version, chain_hash or _unchained_head(stream_id, version, using)]
    return heads, int(count)


def _unchained_head(stream_id: str, version: int, using: str) -> str:
    value: str | None = None
    for _, rows in raw_log.streams(None, {stream_id}, using):
        for row in rows:
            if row.version > version:
                break
            value = raw_log.sealed_value(row, value)
    if value is None:
        raise AssertionError(f"{stream_id} has no version {version}")
    return value


def _write_outside(number: int, seal_hash: str) -> None:
    record = json.dumps({"number": number, "seal_hash": seal_hash}).encode()
    storages[STORAGE].save(_name(number), ContentFile(record))


def _name(number: int) -> str:
    return f"seal-{number:08d}.json"


def outside_records() -> dict[int, str]:
    """The seals' hashes as written outside the database, by seal number."""
    storage = storages[STORAGE]
    try:
        _, files = storage.listdir("")
    except FileNotFoundError:
        return {}
    records: dict[int, str] = {}
    for name in files:
        if name.startswith("seal-") and name.endswith(".json"):
            with storage.open(name) as handle:
                record = json.loads(handle.read())
            records[int(record["number"])] = record["seal_hash"]
    return records
