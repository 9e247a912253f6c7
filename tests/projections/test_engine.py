"""The runner: batches, checkpoints in the safe read order, atomic commits, failures."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from eventstore import store
from projections.engine import locks, runner
from projections.engine.projection import get
from projections.engine.runner import Outcome
from projections.models import DirectoryCustomer, OrderSummary, ProjectionState
from tests.browser.shop_story import decline_payments
from tests.projections.conftest import append, catch_up


def state(name: str) -> ProjectionState:
    return ProjectionState.objects.get(name=name)


def test_a_batch_applies_at_most_batch_size_events_and_checkpoints_the_last(shop):
    alice = shop.customer()
    mug = shop.product("MUG", "1.00")
    shop.order(alice, (mug, 1))
    events = store.read_all()

    result = runner.run_batch(get("order_list"), batch_size=2)

    assert (result.outcome, result.events) == (Outcome.APPLIED, 2)
    assert state("order_list").checkpoint == events[1].checkpoint
    assert not OrderSummary.objects.exists()
    assert runner.run_batch(get("order_list"), batch_size=2).events == 1
    assert OrderSummary.objects.count() == 1


def test_a_caught_up_projection_is_idle(shop):
    shop.customer()
    catch_up()
    assert runner.run_batch(get("order_list")).outcome is Outcome.IDLE


def test_events_no_projection_handles_still_move_the_checkpoint(db):
    append("other-1", "other", store.NewEvent("SomethingElse", {}))
    catch_up()
    assert state("catalog").checkpoint == store.head()


def test_rows_and_checkpoint_commit_together_or_not_at_all(shop, monkeypatch):
    alice = shop.customer()
    mug = shop.product("MUG", "1.00")
    shop.order(alice, (mug, 1))

    locks.ensure("order_list")
    applied = []

    def broken_save(self, *args, **kwargs):
        applied.append(OrderSummary.objects.count())  # the rows are written by now
        raise RuntimeError("disk full")

    monkeypatch.setattr(ProjectionState, "save", broken_save)
    with pytest.raises(RuntimeError, match="disk full"):
        runner.run_batch(get("order_list"))
    monkeypatch.undo()

    assert applied == [1]
    assert not OrderSummary.objects.exists()
    assert not ProjectionState.objects.filter(name="order_list", position__gt=0).exists()


@pytest.fixture
def declined_payments(monkeypatch):
    decline_payments(monkeypatch)
    return monkeypatch


def test_a_failing_handler_stops_its_projection_at_that_event_and_says_why(shop, declined_payments):
    alice = shop.customer()
    mug = shop.product("MUG", "1.00")
    first, second = shop.order(alice, (mug, 1)), shop.order(alice, (mug, 1))
    before_failure = shop.last
    shop.pay(first, "declined")
    failing = shop.last
    shop.pay(second, "fine")

    report = runner.advance()

    assert report.failed == ["order_list"]
    failed = state("order_list")
    assert failed.position == before_failure.position
    assert failed.error_position == failing.position
    assert failed.error == "RuntimeError: card declined"
    assert "order_paid" in failed.error_traceback
    assert failed.retry_at > timezone.now()
    statuses = dict(OrderSummary.objects.values_list("order_id", "status"))
    assert statuses == {first: "PENDING", second: "PENDING"}
    # Other projections are not held back.
    assert state("order_details").checkpoint == store.head()
    assert state("customer_statistics").checkpoint == store.head()


def test_a_failed_projection_waits_for_its_backoff_and_then_retries(shop, declined_payments):
    alice = shop.customer()
    mug = shop.product("MUG", "1.00")
    order_id = shop.order(alice, (mug, 1))
    shop.pay(order_id, "declined")
    runner.advance()
    assert runner.run_batch(get("order_list")).outcome is Outcome.WAITING

    ProjectionState.objects.filter(name="order_list").update(retry_at=timezone.now())
    assert runner.run_batch(get("order_list")).outcome is Outcome.FAILED
    again = state("order_list")
    assert again.failures == 2
    assert again.retry_at - timezone.now() > dt.timedelta(seconds=1), "backoff doubles"

    declined_payments.undo()  # the bug is fixed
    ProjectionState.objects.filter(name="order_list").update(retry_at=timezone.now())
    catch_up()

    fixed = state("order_list")
    assert (fixed.error, fixed.error_position, fixed.failures, fixed.retry_at) == (
        "",
        None,
        0,
        None,
    )
    assert OrderSummary.objects.get(order_id=order_id).status == "PAID"


def test_advance_reports_projections_still_behind_after_its_batch_budget(shop, settings):
    for n in range(5):
        shop.customer(f"C{n}")
    settings.PROJECTIONS_BATCH_SIZE = 2
    settings.PROJECTIONS_REBUILD_BATCH_SIZE = 2  # live batches grow up to it while behind

    report = runner.advance(["customer_directory"], max_batches=2)

    assert report.behind == ["customer_directory"]
    assert report.events == {"customer_directory": 4}
    assert runner.advance(["customer_directory"], max_batches=2).behind == []


def test_live_batches_are_large_while_far_behind_and_small_near_the_head(shop, settings):
    settings.PROJECTIONS_BATCH_SIZE = 2
    settings.PROJECTIONS_REBUILD_BATCH_SIZE = 4
    for n in range(11):
        shop.customer(f"C{n}")
    projection = get("customer_directory")
    sizes = [runner.run_batch(projection).events for _ in range(4)]
    assert sizes == [4, 4, 3, 0]  # as many as it is behind, at most the rebuild's batch
    shop.customer("Late")
    assert runner.run_batch(projection).events == 1
    for n in range(3):
        shop.customer(f"D{n}")
    assert runner.run_batch(projection).events == 3  # behind by more than the live batch


def test_live_rows_are_kept_between_batches_of_one_process(
    shop, settings, django_capture_on_commit_callbacks
):
    settings.PROJECTIONS_BATCH_SIZE = 2
    settings.PROJECTIONS_REBUILD_BATCH_SIZE = 2
    ann = shop.customer("Ann")
    shop.customer("Ben")
    shop.change_email(ann, "ann@example.org")
    projection = get("customer_directory")

    def batch() -> list[str]:
        """Run a batch that commits; the statements that read the directory's rows."""
        with (
            django_capture_on_commit_callbacks(execute=True),
            CaptureQueriesContext(connection) as queries,
        ):
            runner.run_batch(projection)
        return [q["sql"] for q in queries.captured_queries if READS_DIRECTORY in q["sql"]]

    assert batch() == []  # from the start of the log: no row exists yet
    assert batch() == []  # Ann's row is the one the first batch made, held
    assert DirectoryCustomer.objects.get(customer_id=ann).email == "ann@example.org"
    shop.change_email(ann, "ann@example.net")
    # Another process's batch (it would move the checkpoint, too) saves the state row.
    ProjectionState.objects.filter(name="customer_directory").update(updated_at=timezone.now())
    assert batch() != []  # the held rows may be stale: read afresh
    assert DirectoryCustomer.objects.get(customer_id=ann).email == "ann@example.net"


# A read of rows (PostgreSQL's temporary table of changed rows copies the columns only).
READS_DIRECTORY = 'FROM "projections_directorycustomer" WHERE'
