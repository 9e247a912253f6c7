"""Customer statistics, the customer directory and the catalog, fed with events."""

from decimal import Decimal

from projections.engine.freshness import read_view
from projections.models import CatalogProduct, CustomerStatistics, DirectoryCustomer
from tests.projections.conftest import catch_up


def active(model, projection, **key):
    return model.objects.get(generation=read_view(projection).generation, **key)


def statistics(customer_id) -> CustomerStatistics:
    return active(CustomerStatistics, "customer_statistics", customer_id=customer_id)


def test_a_new_customer_has_zero_statistics(shop):
    alice = shop.customer()
    catch_up()

    row = statistics(alice)
    assert (row.orders_placed, row.orders_paid, row.total_spent) == (0, 0, Decimal("0"))
    assert row.average_order_value == Decimal("0.00")
    assert row.first_order_at is None
    assert row.version == 1


def test_statistics_count_orders_and_spend_only_what_stays_paid(shop):
    alice = shop.customer()
    mug = shop.product("MUG", "10.00")
    paid = shop.order(alice, (mug, 1))
    shipped = shop.order(alice, (mug, 2))
    refunded = shop.order(alice, (mug, 5))
    dropped = shop.order(alice, (mug, 1))
    shop.pay(paid)
    shop.pay(shipped)
    shop.ship(shipped)
    shop.pay(refunded)
    shop.cancel(refunded)
    shop.cancel(dropped)
    catch_up()

    row = statistics(alice)
    assert (row.orders_placed, row.orders_paid, row.orders_shipped, row.orders_cancelled) == (
        4,
        3,
        1,
        2,
    )
    assert row.total_spent == Decimal("30.00")
    assert row.average_order_value == Decimal("15.00")
    assert row.first_order_at < row.last_order_at
    assert row.position == shop.last.position


def test_statistics_are_the_same_when_built_in_many_small_batches(shop, settings):
    alice = shop.customer()
    mug = shop.product("MUG", "3.33")
    for _ in range(3):
        order_id = shop.order(alice, (mug, 1))
        shop.pay(order_id)
    settings.PROJECTIONS_BATCH_SIZE = 1
    settings.PROJECTIONS_REBUILD_BATCH_SIZE = 1  # live batches grow up to it while behind
    catch_up()

    row = statistics(alice)
    assert (row.orders_placed, row.total_spent, row.average_order_value) == (
        3,
        Decimal("9.99"),
        Decimal("3.33"),
    )


def test_the_directory_follows_registration_and_email_changes(shop):
    alice = shop.customer("Alice", phone="+32 1")
    shop.change_email(alice, "alice@new.example")
    catch_up()

    row = active(DirectoryCustomer, "customer_directory", customer_id=alice)
    assert (row.name, row.email, row.phone, row.version) == (
        "Alice",
        "alice@new.example",
        "+32 1",
        2,
    )


def product(product_id) -> CatalogProduct:
    return active(CatalogProduct, "catalog", product_id=product_id)


def test_the_catalog_shows_price_and_the_stock_the_write_side_counts(shop):
    alice = shop.customer()
    mug = shop.product("MUG", "12.50", image_url="https://img/mug")
    shop.receive(mug, 10)
    shop.receive(mug, 5)
    shipped, cancelled = shop.order(alice, (mug, 2)), shop.order(alice, (mug, 4))
    for order_id in (shipped, cancelled):
        shop.pay(order_id)
        shop.reserve(order_id)
    shop.change_price(mug, "13.00")
    catch_up()
    assert (product(mug).stock_on_hand, product(mug).available_stock) == (15, 9)

    shop.issue(shipped)
    shop.cancel(cancelled)
    shop.release(cancelled)
    catch_up()

    row = product(mug)
    assert (row.sku, row.name, row.image_url) == ("MUG", "Product MUG", "https://img/mug")
    assert row.price == Decimal("13.00")
    assert (row.stock_on_hand, row.stock_reserved, row.available_stock) == (13, 0, 13)
    assert row.version == 2, "the product stream's version"
    assert row.position == shop.last.position
