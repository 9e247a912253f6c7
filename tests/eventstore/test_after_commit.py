"""The store's after-commit hooks on the background thread (eventstore/after_commit.py):
after the commit, off the committing thread, coalesced, and never stopped by a hook
that fails."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction

from eventstore import after_commit, store
from eventstore.after_commit import Background


@pytest.fixture
def calls(transactional_db, settings, monkeypatch) -> list[str]:
    """The threads the store's hook ran on, with the hooks in the background."""
    settings.EVENTSTORE_AFTER_COMMIT_IN_BACKGROUND = True
    ran: list[str] = []

    def hook() -> None:
        ran.append(threading.current_thread().name)

    monkeypatch.setattr(store, "_after_commit_hooks", lambda: (hook,))
    yield ran
    assert after_commit.background.release()


def new() -> list[store.NewEvent]:
    return [store.NewEvent("Noted", {})]


def test_the_hooks_run_after_the_commit_on_the_background_thread(calls):
    with transaction.atomic():
        store.append("s-1", "s", new(), store.NO_STREAM)
        assert after_commit.background.wait_idle() and calls == []
    assert after_commit.background.wait_idle()
    assert calls == ["eventstore-after-commit"]


def test_a_rolled_back_append_asks_for_nothing(calls):
    with transaction.atomic():
        store.append("s-1", "s", new(), store.NO_STREAM)
        transaction.set_rollback(True)
    assert after_commit.background.wait_idle()
    assert calls == []


def test_asks_that_come_while_the_hooks_run_are_answered_by_one_more_run():
    background = Background()
    running, go_on = threading.Event(), threading.Event()
    runs: list[int] = []

    def hook() -> None:
        runs.append(1)
        running.set()
        go_on.wait(10)

    background.ask([hook])
    assert running.wait(10)
    for _ in range(20):
        background.ask([hook])
    go_on.set()
    assert background.wait_idle()
    assert len(runs) == 2


def test_a_failing_hook_stops_neither_the_others_nor_later_runs(caplog):
    background = Background()
    ran: list[str] = []

    def failing() -> None:
        ran.append("failing")
        raise RuntimeError("broker away")

    def fine() -> None:
        ran.append("fine")

    background.ask([failing, fine])
    assert background.wait_idle()
    background.ask([fine])
    assert background.wait_idle()
    assert ran == ["failing", "fine", "fine"]
    assert "broker away" in caplog.text


def test_flush_runs_what_is_still_asked_for_in_the_calling_thread():
    background = Background()
    ran: list[str] = []
    blocked, go_on = threading.Event(), threading.Event()

    def slow() -> None:
        blocked.set()
        go_on.wait(10)

    background.ask([slow])
    assert blocked.wait(10)
    background.ask([lambda: ran.append(threading.current_thread().name)])
    background.flush()  # as a process exiting does
    go_on.set()
    assert background.wait_idle()
    assert ran == [threading.current_thread().name]


def test_runs_begin_at_most_once_per_interval_and_gather_the_asks_between(settings):
    settings.EVENTSTORE_AFTER_COMMIT_INTERVAL = 1.0  # the burst below takes far less
    background = Background()
    started: list[float] = []

    def hook() -> None:
        started.append(time.monotonic())

    background.ask([hook])
    assert background.wait_idle()
    for _ in range(20):  # a burst of commits right after a run
        background.ask([hook])
    assert background.wait_idle()
    assert len(started) == 2
    assert started[1] - started[0] >= 1.0


def test_an_ask_after_a_quiet_interval_runs_at_once(settings):
    settings.EVENTSTORE_AFTER_COMMIT_INTERVAL = 0.5
    background = Background()
    started: list[float] = []
    background.ask([lambda: started.append(time.monotonic())])
    assert background.wait_idle()
    time.sleep(0.6)
    asked = time.monotonic()
    background.ask([lambda: started.append(time.monotonic())])
    assert background.wait_idle()
    assert started[1] - asked < 0.4
