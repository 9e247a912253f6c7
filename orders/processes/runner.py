"""The process managers' runner: the write side's subscribers to the log.

A projection (the read side) is a deterministic function of the log that writes its
own rows and never events. A subscriber reacts to events by doing something: the
fulfillment process manager (``orders.processes.fulfillment``) sends commands, which
append events. This runner drives subscribers through the global log with the
machinery the projections use too (``eventstore.subscriptions``): the checkpoint,
the one-runner rule and the failure bookkeeping, in the ``ProcessState`` row of the
subscriber's name. It differs from the projections' runner where commands force it to:

- A reaction runs outside any transaction, because each of its commands takes one
  of its own: an append must be the first write of its transaction, and a
  transaction appends to one stream (``eventstore.store``, ``orders.handlers``).
  So the runner cannot hold the row lock for a batch: it holds a lease
  (``locks.lease``) and checks it at every commit. On PostgreSQL the lease is a
  session lock of the runner's connection, freed the moment a dead runner's
  connection closes; on SQLite it is a time lease of ``LEASE``, renewed at every
  commit, which a dead runner holds until it runs out.
- What the subscriber remembers of an event commits with the checkpoint past it,
  in one transaction that first checks the lease. A crash between a reaction's
  commands and that commit runs the reaction again: reactions must be safe to
  repeat (the process manager derives its command ids from the event).
- A reaction that raises is offered back to the subscriber, which parks it (sets
  it aside with its error, e.g. one order) so the log flows on, and hands parked
  work back when it is ``due``. Anything it cannot park stops the runner at that
  event with ``eventstore.backoff``, as a failing projection stops.

Call the runner outside any transaction (the django-q2 task ``orders.processes.tasks``).
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol
from uuid import uuid4

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from eventstore import backoff, store
from eventstore.subscriptions import faults
from eventstore.subscriptions.outcomes import BatchResult, Outcome, Report
from orders.processes import dispatch, locks
from orders.processes.state import ProcessState

BATCH_SIZE = 50  # a reaction sends several commands: keep a task's batches short
# The time lease (SQLite only; one machine): what a runner that died blocks, at most.
LEASE = dt.timedelta(seconds=10)

Remember = Callable[[], None]
logger = logging.getLogger(__name__)


class ParkedWork(Protocol):
    """What a subscriber tells of one parked piece of work; read-only (frozen values do)."""

    @property
    def key(self) -> str: ...
    @property
    def stream_id(self) -> str: ...  # the stream of the event it stopped at
    @property
    def event_type(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def step(self) -> str: ...
    @property
    def error(self) -> str: ...
    @property
    def attempts(self) -> int: ...
    @property
    def retry_at(self) -> dt.datetime | None: ...
    @property
    def parked_at(self) -> dt.datetime | None: ...


class Subscriber(Protocol):
    name: str

    def wants(self, recorded: store.RecordedEvent) -> bool: ...

    def react(self, recorded: store.RecordedEvent) -> Remember:
        """Act on ``recorded``; return what to record, committed with the checkpoint."""
        ...

    def park(self, recorded: store.RecordedEvent, error: Exception) -> Remember | None:
        """After ``react`` raised: what sets the event aside, or None if it cannot be."""
        ...

    def due(self, now: dt.datetime, limit: int) -> list[store.RecordedEvent]:
        """Parked events to react to again now."""
        ...

    def parked(self) -> Sequence[ParkedWork]: ...

    def retry(self, key: str) -> bool:
        """Make the parked work under ``key`` due now; False if there is none."""
        ...

    def skip(self, key: str) -> store.RecordedEvent | None:
        """Pass over the parked work under ``key`` for good; the event it was parked at,
        or None if there is none."""
        ...


class UnknownSubscriber(LookupError):
    pass


_registry: dict[str, Subscriber] = {}
# Subscribers that come and go with rows of their own (a webhook subscription each):
# each provider lists the current ones. They run in tasks of their own owner, never in
# the processes' task (``advance`` without names), but the health views, the
# dead-letter desk's Retry and Skip and ``get`` see them as any subscriber.
Provider = Callable[[], Iterable[Subscriber]]
_providers: list[Provider] = []


def register(subscriber: Subscriber) -> Subscriber:
    _registry[subscriber.name] = subscriber
    return subscriber


def unregister(name: str) -> None:
    _registry.pop(name, None)


def provide(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def get(name: str) -> Subscriber:
    found = _registry.get(name) or next((s for s in _provided() if s.name == name), None)
    if found is None:
        raise UnknownSubscriber(f"no subscriber named {name!r}")
    return found


def names() -> list[str]:
    return [s.name for s in all_subscribers()]


def registered() -> list[Subscriber]:
    """The process managers registered in code: what the processes' task runs."""
    return list(_registry.values())


def all_subscribers() -> list[Subscriber]:
    """The registered ones, then every provider's current ones."""
    return [*_registry.values(), *_provided()]


def _provided() -> list[Subscriber]:
    return [subscriber for provider in _providers for subscriber in provider()]


def retry(name: str, key: str) -> bool:
    """Try parked work again now: due at once, and the runners woken once this commits."""
    found = get(name).retry(key)
    if found:
        transaction.on_commit(dispatch.wake)
    return found


def skip(name: str, key: str) -> store.RecordedEvent | None:
    """Pass over parked work for good: its later work goes on, the runners woken."""
    skipped = get(name).skip(key)
    if skipped is not None:
        transaction.on_commit(dispatch.wake)
    return skipped


def run_batch(subscriber: Subscriber, batch_size: int | None = None) -> BatchResult:
    """Retry what is due, then react to at most one batch of new events."""
    state = locks.ensure(subscriber.name)
    if state.checkpoint >= store.head() and not subscriber.due(timezone.now(), 1):
        return BatchResult(Outcome.IDLE)
    owner = uuid4().hex
    leased = locks.lease(subscriber.name, owner, LEASE)
    if leased is None:
        return BatchResult(Outcome.BUSY)
    try:
        return _Batch(subscriber, owner, leased).run(batch_size or BATCH_SIZE)
    except locks.LeaseLost:
        return BatchResult(Outcome.BUSY)
    finally:
        _release(subscriber.name, owner)


def advance(names: Iterable[str] | None = None, max_batches: int | None = None) -> Report:
    """Run up to ``max_batches`` batches per subscriber, round robin, until all are idle."""
    limit = max_batches or settings.PROCESSES_BATCHES_PER_TASK
    active = [get(name) for name in names] if names is not None else registered()
    report = Report(events={s.name: 0 for s in active})
    for _ in range(limit):
        for subscriber in list(active):
            result = run_batch(subscriber)
            report.events[subscriber.name] += result.events
            if result.outcome is Outcome.FAILED:
                report.failed.append(subscriber.name)
            if not result.may_have_more:
                active.remove(subscriber)
        if not active:
            break
    report.behind = [s.name for s in active]
    return report


class _Batch:
    def __init__(self, subscriber: Subscriber, owner: str, state: ProcessState) -> None:
        self.subscriber = subscriber
        self.owner = owner
        self.state = state
        self.passed = state.checkpoint  # every event up to here is handled, not yet committed

    def run(self, size: int) -> BatchResult:
        now = timezone.now()
        if self.state.error and self.state.retry_at is not None and self.state.retry_at > now:
            return BatchResult(Outcome.WAITING)
        done = 0
        for recorded in self.subscriber.due(now, size):
            if not self._step(recorded, move=False):
                return BatchResult(Outcome.FAILED, done)
            done += 1
        events = store.read_all(after=self.state.checkpoint, limit=size)
        faults.reached(self.subscriber.name, events)  # test-only; off unless armed (tests/faults)
        for recorded in events:
            if self.subscriber.wants(recorded) and not self._step(recorded, move=True):
                return BatchResult(Outcome.FAILED, done)
            self.passed = recorded.checkpoint
            done += 1
        if events and self.passed != self.state.checkpoint:
            self._commit(None)
        return BatchResult(Outcome.APPLIED if done else Outcome.IDLE, done)

    def _step(self, recorded: store.RecordedEvent, *, move: bool) -> bool:
        """React and commit; False when the runner must stop at ``recorded``."""
        remember: Remember | None
        try:
            remember = self.subscriber.react(recorded)
        except Exception as error:
            remember = self.subscriber.park(recorded, error)
            if remember is None:
                self._fail(recorded, traceback.format_exc())
                return False
        try:
            self._commit(remember, recorded.checkpoint if move else None)
        except locks.LeaseLost:
            raise
        except Exception:
            self._fail(recorded, traceback.format_exc())
            return False
        return True

    def _commit(
        self, remember: Remember | None, checkpoint: store.Checkpoint | None = None
    ) -> None:
        """Record, move the checkpoint and renew the lease, in one transaction."""
        with transaction.atomic():
            state = locks.hold(self.subscriber.name, self.owner, LEASE)
            if remember is not None:
                remember()
            passed = checkpoint or self.passed
            state.tx_id, state.position = passed.tx_id, passed.position
            if state.error:
                state.forget_failure()
            state.updated_at = timezone.now()
            state.save()
            self.state = state

    def _fail(self, recorded: store.RecordedEvent, trace: str) -> None:
        """Stop at ``recorded``: keep what passed before it, the error, and when to retry."""
        with transaction.atomic():
            state = locks.hold(self.subscriber.name, self.owner, LEASE)
            state.tx_id, state.position = self.passed.tx_id, self.passed.position
            now = timezone.now()
            state.failures += 1
            state.error = trace.strip().splitlines()[-1]
            state.error_position = recorded.position
            state.error_traceback = trace
            state.retry_at = now + backoff.wait_after(state.failures)
            state.updated_at = now
            state.save()
            self.state = state


def _release(name: str, owner: str) -> None:
    try:
        locks.release(name, owner)
    except DatabaseError:  # the connection is gone, and a session lock with it
        logger.warning("could not release the lease of %s; it ends on its own", name)
