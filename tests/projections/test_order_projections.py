"""The order list and order details, fed with events and read back as rows."""

from decimal import Decimal

from eventstore import store
from projections.engine.freshness import read_view
from projections.engine.projection import get
from projections.models import OrderDetail, OrderSummary
from tests.projections.conftest import append, catch_up


def summary(order_id) -> OrderSummary:
    return OrderSummary.objects.get(
        order_id=order_id, generation=read_view("order_list").generation
    )


def detail(order_id) -> OrderDetail:
    return OrderDetail.objects.get(
        order_id=order_id, generation=read_view("order_details").generation
    )


def test_a_created_order_is_listed_with_its_customer_denormalized(shop):
    alice = shop.customer("Alice", phone="+32 9 123")
    mug = shop.product("MUG", "12.50")
    order_id = shop.order(alice, (mug, 2))
    catch_up()

    row = summary(order_id)
    assert (row.order_number, row.customer_id, row.customer_name) == ("ORD-000001", alice, "Alice")
    assert row.customer_email == "alice@example.com"
    assert (row.total_amount, row.currency, row.item_count, row.status) == (
        Decimal("25.00"),
        "EUR",
        1,
        "PENDING",
    )
    assert row.version == 1
    assert row.position == shop.last.position
    assert row.created_at == row.updated_at


def test_item_changes_move_total_item_count_and_provenance(shop):
    alice = shop.customer()
    mug, tea = shop.product("MUG", "12.50"), shop.product("TEA", "4.20")
    order_id = shop.order(alice, (mug, 1))
    shop.add_item(order_id, tea, 2)
    shop.add_item(order_id, tea, 1)  # same product: the line grows, no new line
    shop.remove_item(order_id, mug)
    catch_up()

    row = summary(order_id)
    assert (row.total_amount, row.item_count, row.version) == (Decimal("12.60"), 1, 4)
    assert row.position == shop.last.position
    lines = detail(order_id).lines
    assert lines == [
        {
            "product_id": str(tea),
            "product_name": "Product TEA",
            "product_image_url": "",
            "quantity": 3,
            "unit_price": "4.20",
            "line_total": "12.60",
            "reservation": None,
        }
    ]


def test_status_follows_payment_shipping_and_cancellation(shop):
    alice = shop.customer()
    mug = shop.product("MUG", "12.50")
    shipped, cancelled = shop.order(alice, (mug, 1)), shop.order(alice, (mug, 1))
    shop.pay(shipped, "pay-7")
    shop.ship(shipped, "DHL", "TRK-9")
    shop.cancel(cancelled, "too slow")
    catch_up()

    assert summary(shipped).status == "SHIPPED"
    assert summary(cancelled).status == "CANCELLED"
    details = detail(shipped)
    assert (details.payment_status, details.payment_id) == ("PAID", "pay-7")
    assert (details.carrier, details.tracking_number) == ("DHL", "TRK-9")


def test_an_email_change_reaches_every_order_row_of_that_customer(shop):
    alice, bob = shop.customer("Alice"), shop.customer("Bob")
    mug = shop.product("MUG", "12.50")
    first, second, bobs = (
        shop.order(alice, (mug, 1)),
        shop.order(alice, (mug, 2)),
        shop.order(bob, (mug, 1)),
    )
    catch_up()
    shop.change_email(alice, "alice@new.example")
    later = shop.order(alice, (mug, 3))
    catch_up()

    for order_id in (first, second, later):
        assert summary(order_id).customer_email == "alice@new.example"
        assert detail(order_id).customer_email == "alice@new.example"
    assert summary(bobs).customer_email == "bob@example.com"
    assert summary(first).version == 1, "the order's own version is not moved by customer events"


def test_an_email_change_in_the_same_batch_as_the_order_is_applied_in_order(shop):
    alice = shop.customer("Alice")
    mug = shop.product("MUG", "12.50")
    order_id = shop.order(alice, (mug, 1))
    shop.change_email(alice, "a@new.example")
    catch_up()

    assert summary(order_id).customer_email == "a@new.example"


def test_details_carry_phone_address_product_images_and_a_timeline(shop):
    alice = shop.customer("Alice", phone="+32 9 123")
    mug = shop.product("MUG", "12.50", image_url="https://img.example/mug.png")
    order_id = shop.order(alice, (mug, 2))
    shop.pay(order_id, "pay-1")
    catch_up()

    row = detail(order_id)
    assert row.customer_phone == "+32 9 123"
    assert row.shipping_address == {
        "line1": "1 Main St",
        "city": "Ghent",
        "postal_code": "9000",
        "country": "BE",
        "line2": "",
    }
    assert row.lines[0]["product_image_url"] == "https://img.example/mug.png"
    assert [(e["event_type"], e["version"]) for e in row.timeline] == [
        ("OrderCreated", 1),
        ("OrderPaid", 2),
    ]
    assert row.timeline[0]["description"] == "Order ORD-000001 placed: 1 line, total 25.00 EUR"
    assert row.timeline[1]["description"] == "Paid 25.00 EUR (payment pay-1)"


def test_replaying_an_event_changes_nothing(shop):
    alice = shop.customer()
    mug = shop.product("MUG", "12.50")
    order_id = shop.order(alice, (mug, 1))
    shop.add_item(order_id, mug, 1)
    catch_up()
    before = (summary(order_id).item_count, detail(order_id).timeline, detail(order_id).lines)

    events = store.read_all(limit=100)
    for name in ("order_list", "order_details"):
        get(name).apply_batch(read_view(name).generation, events)

    assert (
        summary(order_id).item_count,
        detail(order_id).timeline,
        detail(order_id).lines,
    ) == before


def test_fulfillment_and_refunds_reach_the_details(shop):
    alice = shop.customer()
    mug = shop.product("MUG", "12.50")
    order_id = shop.order(alice, (mug, 1))
    shop.pay(order_id)
    shop.ready_to_ship(order_id, reference="CHR42")
    shop.cancel(order_id, "lost interest")
    catch_up()

    row = detail(order_id)
    assert (row.status, row.payment_status, row.shipment_reference, row.version) == (
        "CANCELLED",
        "REFUNDED",
        "CHR42",
        5,
    )
    assert row.tracking_number == "", "never shipped: no carrier, no tracking number"
    assert [e["event_type"] for e in row.timeline][-3:] == [
        "OrderReadyToShip",
        "OrderRefunded",
        "OrderCancelled",
    ]
    assert summary(order_id).version == 5


def test_an_order_event_without_a_handler_still_moves_the_version(shop):
    alice = shop.customer()
    mug = shop.product("MUG", "12.50")
    order_id = shop.order(alice, (mug, 1))
    later = store.NewEvent("OrderGiftWrapped", {"order_id": str(order_id)})
    append(f"order-{order_id}", "order", later)
    catch_up()

    assert (summary(order_id).version, detail(order_id).version) == (2, 2)
    assert detail(order_id).timeline[-1]["description"] == "OrderGiftWrapped"
