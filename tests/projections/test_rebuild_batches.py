"""Rebuilds in many batches: rows kept between batches, pages of the log shared."""

from uuid import UUID

import pytest

from eventstore import store
from projections.engine import rebuilding, runner
from projections.engine.projection import all_projections, get
from projections.engine.runner import Outcome
from projections.models import OrderSummary, ProjectionState
from projections.readmodels.order_list import OrderListProjection
from tests.projections.conftest import catch_up
from tests.projections.test_rebuild import busy_history, snapshot

# Real commits: a rebuild keeps its rows for the next batch once a batch commits.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live(shop, settings):
    """A busy history caught up live in small batches; its rows, as ``snapshot`` has them."""
    settings.PROJECTIONS_BATCH_SIZE = 3
    busy_history(shop, orders=9)
    catch_up()
    return snapshot()


def rebuild_in_batches_of(size: int, settings) -> None:
    settings.PROJECTIONS_REBUILD_BATCH_SIZE = size
    for projection in all_projections():
        rebuilding.start(projection.name)
    catch_up()


def test_a_rebuild_in_small_batches_produces_exactly_what_live_catch_up_produced(live, settings):
    rebuild_in_batches_of(4, settings)

    assert snapshot() == live


def test_a_rebuild_another_process_went_on_with_reloads_its_rows(live, settings):
    settings.PROJECTIONS_REBUILD_BATCH_SIZE = 5
    rebuilding.start("order_list")
    assert runner.run_batch(get("order_list")).outcome is Outcome.APPLIED
    rebuilding.forget_rows("order_list")  # what another process sees: none of these rows

    catch_up()

    assert snapshot() == live


@pytest.fixture
def failing_payment(monkeypatch):
    """Make the order list's payment handler raise at the first payment it sees, while
    ``failing`` holds that payment's position (``None``: fail once, then recover)."""
    real = OrderListProjection.order_paid
    state = {"position": None, "failed": 0}

    def order_paid(self, rows, e, r):
        row = real(self, rows, e, r)
        state["position"] = state["position"] or r.position
        if r.position == state["position"] and state["failed"] < state["times"]:
            state["failed"] += 1
            row.customer_name = "half-done"  # a row changed before the handler fails
            raise RuntimeError("flaky")
        return row

    monkeypatch.setattr(OrderListProjection, "order_paid", order_paid)
    return state


def test_rows_a_failed_batch_changed_are_not_kept_for_the_next(live, settings, failing_payment):
    failing_payment["times"] = 1  # fails in the whole batch, passes when it is split
    settings.PROJECTIONS_REBUILD_BATCH_SIZE = 7
    rebuilding.start("order_list")
    while not failing_payment["failed"]:
        assert runner.run_batch(get("order_list")).outcome is Outcome.APPLIED

    state = ProjectionState.objects.get(name="order_list")
    next_rows = rebuilding.rows(get("order_list"), state)
    paid = next(e for e in store.read_all(limit=10**6) if e.position == failing_payment["position"])
    row = next_rows.find(OrderSummary, UUID(paid.data["order_id"]))
    assert row is not None and row.customer_name != "half-done"
    catch_up()
    assert snapshot() == live


def test_a_rebuild_stopped_by_a_failing_handler_goes_on_once_it_is_fixed(
    live, settings, failing_payment, monkeypatch
):
    failing_payment["times"] = 1000
    settings.PROJECTIONS_REBUILD_BATCH_SIZE = 7
    rebuilding.start("order_list")
    while runner.run_batch(get("order_list")).outcome is not Outcome.FAILED:
        pass
    stopped = ProjectionState.objects.get(name="order_list")
    assert stopped.error_position == failing_payment["position"]

    monkeypatch.undo()
    ProjectionState.objects.filter(name="order_list").update(retry_at=None)
    catch_up()

    assert snapshot() == live


def test_projections_at_the_same_checkpoint_read_each_page_once(shop, monkeypatch):
    busy_history(shop, orders=3)
    reads = []
    real = store.read_all

    def counting(*args, **kwargs):
        reads.append(kwargs.get("after"))
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "read_all", counting)
    runner.advance(max_batches=1)

    assert len(reads) == 1 and len(all_projections()) > 1
