"""manage.py projections, catch_up and rebuild_projections."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from eventstore import store
from projections.management.commands import catch_up as catch_up_command
from projections.management.commands import rebuild_projections
from projections.models import OrderSummary, ProjectionState
from projections.readmodels.order_list import OrderListProjection
from tests.projections.conftest import catch_up


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.fixture
def history(shop):
    alice = shop.customer()
    mug = shop.product("MUG", "1.00")
    for _ in range(3):
        shop.order(alice, (mug, 1))
    return shop


def test_projections_shows_state_checkpoint_head_lag_and_errors(history):
    catch_up("order_list")
    lines = run("projections").splitlines()

    assert lines[0].split()[:5] == ["NAME", "STATE", "GEN", "CHECKPOINT", "HEAD"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {
        "order_list",
        "order_details",
        "customer_statistics",
        "catalog",
        "customer_directory",
        "fulfillment",
    }
    assert "up to date" in rows["order_list"]
    assert "behind" in rows["catalog"] and " 5 " in rows["catalog"]


def test_projections_shows_checkpoints_as_positions_and_times(history):
    """The checkpoint is the position of the last event applied and when it was
    recorded, never the raw (transaction id, position) pair: PostgreSQL's xid8 is a
    large number that says nothing to a reader."""
    catch_up("order_list")
    head = store.head()
    last = store.read_all()[-1]
    at = f"{timezone.localtime(last.recorded_at):%H:%M:%S}"
    lines = run("projections").splitlines()
    header = lines[0]
    rows = {line.split()[0]: line for line in lines[1:]}

    def cell(row: str, column: str, next_column: str) -> str:
        return row[header.index(column) : header.index(next_column)].strip()

    assert cell(rows["order_list"], "CHECKPOINT", "HEAD") == f"{head.position} ({at})"
    assert cell(rows["order_list"], "HEAD", "LAG") == f"{head.position} ({at})"
    assert cell(rows["catalog"], "CHECKPOINT", "HEAD") == "0 (start)"
    assert ":" not in cell(rows["catalog"], "CHECKPOINT", "HEAD")


def test_catch_up_runs_every_projection_to_the_head(history):
    output = run("catch_up")
    assert "applied" in output
    assert OrderSummary.objects.count() == 3
    assert run("catch_up") == "up to date\n"


def test_catch_up_says_up_to_date_when_there_is_nothing_to_do(db):
    assert run("catch_up") == "up to date\n"
    assert run("catch_up", "catalog") == "up to date\n"


def test_catch_up_follow_says_once_that_it_is_up_to_date(history, monkeypatch):
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(catch_up_command.time, "sleep", sleep)
    lines = run("catch_up", "--follow").splitlines()
    assert lines[0].startswith("applied ")
    assert lines[1:] == ["up to date; following new events (Ctrl-C stops)", "stopped"]


def test_catch_up_runs_the_subscribers_and_projections_it_is_named(history):
    assert run("catch_up", "fulfillment", "catalog") == (
        "applied 10 events (fulfillment 5, catalog 5)\n"
    )
    assert not OrderSummary.objects.exists()
    with pytest.raises(CommandError, match="no projection named 'nope'"):
        run("catch_up", "nope")


def test_catch_up_follow_keeps_polling_until_interrupted(history, monkeypatch):
    def interrupt(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(catch_up_command.time, "sleep", interrupt)
    assert run("catch_up", "--follow").splitlines()[-1] == "stopped"
    assert OrderSummary.objects.count() == 3


def test_rebuild_shows_progress_and_switches(history):
    catch_up()
    output = run("rebuild_projections", "order_list", "--batch-size", "2")

    assert "building generation 2" in output
    assert "events/s" in output and "ETA" in output and "5/5 events" in output
    assert output.rstrip().endswith("order_list: generation 2 is live")
    assert ProjectionState.objects.get(name="order_list").generation == 2
    assert OrderSummary.objects.filter(generation=2).count() == 3


def test_rebuild_progress_to_a_file_or_pipe_is_one_line_per_update(history):
    """Not a terminal (StringIO here, a pipe below): no carriage returns redrawing a
    bar, each update a line of its own."""
    catch_up()
    output = run("rebuild_projections", "order_list", "--batch-size", "2")

    assert "\r" not in output
    progress = [line for line in output.splitlines() if "events/s" in line]
    assert [line.split()[1] for line in progress] == ["2/5", "4/5", "5/5"]
    assert output.splitlines()[-1] == "order_list: generation 2 is live"


def test_rebuild_all_rebuilds_every_projection(history):
    run("rebuild_projections", "--all")
    assert set(ProjectionState.objects.values_list("generation", flat=True)) == {2}


def test_rebuild_needs_names_it_knows(db):
    with pytest.raises(CommandError, match="--all"):
        run("rebuild_projections")
    with pytest.raises(CommandError, match="no projection named 'nope'"):
        run("rebuild_projections", "nope")


def test_rebuild_async_queues_tasks(db, monkeypatch):
    queued = []
    monkeypatch.setattr(rebuild_projections, "async_task", lambda *a, **k: queued.append(a) or "t1")
    output = run("rebuild_projections", "catalog", "order_list", "--async")
    assert queued == [
        ("projections.engine.tasks.rebuild", "catalog"),
        ("projections.engine.tasks.rebuild", "order_list"),
    ]
    assert "catalog: rebuild queued (task t1)" in output
    run("rebuild_projections", "catalog", "--async", "--verify")
    assert queued[-1] == ("projections.engine.tasks.rebuild", "catalog", True)


def test_a_failing_rebuild_says_where_it_stopped(history, monkeypatch):
    def broken(self, rows, e, r):
        raise ValueError("bad data")

    monkeypatch.setattr(OrderListProjection, "order_created", broken)
    first_order = next(e for e in store.read_all() if e.event_type == "OrderCreated")
    with pytest.raises(
        CommandError, match=f"failed at position {first_order.position}: ValueError: bad"
    ):
        run("rebuild_projections", "order_list")
