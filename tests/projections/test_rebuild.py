"""Rebuilds: equal to live catch-up, invisible to readers until an atomic switch."""

import datetime as dt

from django.forms.models import model_to_dict

from projections.engine import rebuilding, runner
from projections.engine.freshness import read_view
from projections.engine.projection import all_projections, get
from projections.engine.runner import Outcome
from projections.models import (
    CustomerStatistics,
    DirectoryCustomer,
    Lookup,
    OrderSummary,
    ProjectionState,
)
from projections.readmodels.order_list import OrderListProjection
from tests.projections.conftest import catch_up


def busy_history(shop, orders: int = 12) -> None:
    """Orders paid, shipped, cancelled, items added and removed, emails and prices changed."""
    customers = [shop.customer(name) for name in ("Ann", "Ben", "Cid")]
    products = [
        shop.product(sku, price) for sku, price in (("A", "1.10"), ("B", "2.20"), ("C", "3.30"))
    ]
    for product_id in products:
        shop.receive(product_id, 100)
    for n in range(orders):
        order_id = shop.order(customers[n % 3], (products[n % 3], n % 4 + 1))
        if n % 2:
            shop.add_item(order_id, products[(n + 1) % 3], 2)
        if n % 4 == 3:
            shop.remove_item(order_id, products[n % 3])
        if n % 3 != 2:
            shop.pay(order_id, f"pay-{n}")
            shop.reserve(order_id)
            shop.ready_to_ship(order_id)
        if n % 3 == 0:
            shop.ship(order_id)
            shop.issue(order_id)
        elif n % 5 == 4:
            shop.cancel(order_id)
            shop.release(order_id)
        if n == orders // 2:
            shop.change_email(customers[0], "ann@new.example")
            shop.change_price(products[0], "1.50")


def snapshot() -> dict[str, list[dict]]:
    """Every active row of every projection, without surrogate keys or generations."""
    tables = {}
    for projection in all_projections():
        generation = read_view(projection.name).generation
        for model in projection.tables:
            rows = model.objects.filter(**model.partition(projection.name, generation))
            dicts = [model_to_dict(row, exclude=["id", "generation"]) for row in rows]
            tables[f"{projection.name}.{model.__name__}"] = sorted(dicts, key=repr)
    return tables


def rebuild_all() -> None:
    for projection in all_projections():
        rebuilding.start(projection.name)
    catch_up()


def test_a_rebuild_produces_exactly_what_live_catch_up_produced(shop, settings):
    settings.PROJECTIONS_BATCH_SIZE = 3
    busy_history(shop, orders=6)
    catch_up()  # live, in small batches, interleaved with more history
    busy_history(shop, orders=6)
    catch_up()
    live = snapshot()
    assert sum(len(rows) for rows in live.values()) > 30

    settings.PROJECTIONS_BATCH_SIZE = 500
    rebuild_all()

    assert snapshot() == live
    assert {read_view(p.name).generation for p in all_projections()} == {2}


def test_reads_during_a_rebuild_see_the_old_or_the_new_complete_state(
    shop, staff, settings, monkeypatch
):
    busy_history(shop)
    real = OrderListProjection.order_created

    def old_order_created(self, rows, e, r):
        row = real(self, rows, e, r)
        if row is not None:
            row.customer_name = "OLD"
        return row

    monkeypatch.setattr(OrderListProjection, "order_created", old_order_created)
    catch_up()
    monkeypatch.undo()  # the fix the rebuild is for
    orders = OrderSummary.objects.count()

    rebuilding.start("order_list")
    seen = set()
    outcome = None
    while outcome is not Outcome.SWITCHED:
        outcome = runner.run_batch(get("order_list"), batch_size=4).outcome
        body = staff.get("/api/orders/", page_size=100).json()
        names = {row["customer_name"] for row in body["results"]}
        assert body["count"] == orders
        assert names == {"OLD"} or "OLD" not in names, names
        seen.add("old" if names == {"OLD"} else "new")

    assert seen == {"old", "new"}
    assert ProjectionState.objects.get(name="order_list").retired_generation == 1


def test_live_events_keep_reaching_the_old_rows_while_a_rebuild_runs(shop, staff):
    alice = shop.customer()
    mug = shop.product("MUG", "1.00")
    shop.order(alice, (mug, 1))
    catch_up()
    rebuilding.start("order_list")
    shop.order(alice, (mug, 2))

    result = runner.run_batch(get("order_list"), batch_size=1)

    assert (result.outcome, result.rebuilding) == (Outcome.APPLIED, False)
    assert staff.get("/api/orders/").json()["count"] == 2
    catch_up()
    assert staff.get("/api/orders/").json()["count"] == 2
    assert read_view("order_list").generation == 2


def test_the_old_generation_is_deleted_only_after_the_grace_period(shop, monkeypatch):
    alice = shop.customer()
    mug = shop.product("MUG", "1.00")
    shop.order(alice, (mug, 1))
    catch_up()
    before_switch = read_view("order_list")
    rebuilding.start("order_list")
    catch_up()

    # A request that resolved the old generation just before the switch still reads it whole.
    assert OrderSummary.objects.filter(generation=before_switch.generation).count() == 1
    assert Lookup.objects.filter(projection="order_list", generation=1).exists()

    monkeypatch.setattr(rebuilding, "RETIRE_AFTER", dt.timedelta(0))
    runner.run_batch(get("order_list"))

    assert not OrderSummary.objects.filter(generation=1).exists()
    assert not Lookup.objects.filter(projection="order_list", generation=1).exists()
    assert OrderSummary.objects.filter(generation=2).count() == 1
    assert ProjectionState.objects.get(name="order_list").retired_generation is None


def test_starting_again_discards_an_unfinished_rebuild(shop):
    for name in ("Ann", "Ben", "Cid"):
        shop.customer(name)
    catch_up()
    rebuilding.start("customer_directory")
    runner.run_batch(get("customer_directory"), batch_size=2)

    assert rebuilding.start("customer_directory") == 3
    assert not DirectoryCustomer.objects.filter(generation=2).exists()
    catch_up()
    assert DirectoryCustomer.objects.filter(generation=3).count() == 3


def test_a_rebuild_mends_a_projection_whose_own_rows_broke_it(shop):
    alice = shop.customer()
    mug = shop.product("MUG", "1.00")
    order_id = shop.order(alice, (mug, 3))
    catch_up()
    damaged = {"projection": "customer_statistics", "key": f"order:{order_id}"}
    Lookup.objects.filter(**damaged).update(data={})
    shop.pay(order_id)
    catch_up()
    assert (
        ProjectionState.objects.get(name="customer_statistics").error == "KeyError: 'customer_id'"
    )

    rebuilding.start("customer_statistics")
    catch_up()

    mended = ProjectionState.objects.get(name="customer_statistics")
    assert (mended.generation, mended.error, mended.retry_at) == (2, "", None)
    statistics = CustomerStatistics.objects.get(generation=2, customer_id=alice)
    assert (statistics.orders_paid, statistics.total_spent) == (1, 3)
