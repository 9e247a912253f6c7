"""What the fault tests make happen and what they check afterwards.

- ``shop``, ``shop_history``: customers, products and orders through the real handlers.
- ``read_models`` / ``rebuilt_read_models``: every projection's active rows, and the
  same after rebuilding every projection from position 0; equal means nothing was
  lost, applied twice or applied out of order.
- ``CheckpointMoves``: a trigger on the projections' state rows records every move of
  a checkpoint (runner, old, new), committed with the batch it belongs to. Each
  projection's moves must chain from where it started to the head, every one starting
  where the one before ended: then every event was applied exactly once.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from decimal import Decimal
from uuid import UUID

from django.db import connection
from django.forms.models import model_to_dict

from eventstore import store
from orders import commands as c
from orders.events import ShippingAddress
from orders.handlers import execute
from orders.processes.state import ProcessState
from projections.engine import rebuilding, runner
from projections.engine.freshness import read_view
from projections.engine.projection import all_projections
from projections.management.commands import catch_up as catch_up_command
from projections.models import ProjectionState

ADDRESS = ShippingAddress(line1="1 Fault St", city="Ghent", postal_code="9000", country="BE")
Rows = dict[str, Counter[str]]


def shop() -> tuple[list[UUID], list[UUID]]:
    """Three customers, and three products with ample stock."""
    customers = [
        execute(c.RegisterCustomer(name=f"C{n}", email=f"c{n}@f.example", phone="1")).id
        for n in range(3)
    ]
    return customers, [_product(n) for n in range(3)]


def shop_history(orders: int) -> list[UUID]:
    """Orders added to, paid and cancelled; returns the order ids."""
    customers, products = shop()
    return [order_through_its_life(n, customers, products) for n in range(orders)]


def _product(n: int) -> UUID:
    price = Decimal(f"{n + 1}.25")
    product = execute(c.AddProduct(sku=f"F-{n}-{time.time_ns()}", name=f"Part {n}", price=price))
    execute(c.ReceiveStock(product_id=product.id, quantity=100_000))
    return product.id


def order_through_its_life(n: int, customers: list[UUID], products: list[UUID]) -> UUID:
    item = c.ItemRequest(products[n % 3], 1)
    customer = customers[n % 3]
    order = execute(c.CreateOrder(customer_id=customer, items=(item,), shipping_address=ADDRESS))
    if n % 2:
        execute(c.AddItem(order_id=order.id, product_id=products[(n + 1) % 3], quantity=2))
    if n % 3 != 2:
        execute(c.PayOrder(order_id=order.id, payment_id=f"pay-{n}"))
    if n % 4 == 3:
        execute(c.CancelOrder(order_id=order.id, reason="changed my mind"))
    return order.id


def caught_up(names: list[str] | None = None) -> bool:
    """The named projections and subscribers (all by default) are at the head, and none
    is rebuilding."""
    head = store.head()
    states, processes = ProjectionState.objects.all(), ProcessState.objects.all()
    if names is not None:
        states, processes = states.filter(name__in=names), processes.filter(name__in=names)
    found = [*states, *processes]
    return bool(found) and all(
        s.checkpoint >= head and not getattr(s, "rebuilding", False) for s in found
    )


def catch_up_here() -> None:
    """Run subscribers and projections in this process until none is behind."""
    while catch_up_command.advance().behind:
        pass


def read_models() -> Rows:
    """Every projection's active rows, without surrogate keys and generations."""
    tables: Rows = {}
    for projection in all_projections():
        generation = read_view(projection.name).generation
        for model in projection.tables:
            rows = model._default_manager.filter(**model.partition(projection.name, generation))
            tables[f"{projection.name}.{model.__name__}"] = Counter(
                json.dumps(model_to_dict(r, exclude=["id", "generation"]), default=str)
                for r in rows
            )
    return tables


def rebuilt_read_models() -> Rows:
    for projection in all_projections():
        rebuilding.start(projection.name)
    while runner.advance(max_batches=100).behind:
        pass
    assert not ProjectionState.objects.filter(rebuild_generation__isnull=False).exists()
    return read_models()


def differences(live: Rows, rebuilt: Rows) -> dict[str, int]:
    """Rows per table that are in one and not the other (empty when equal)."""
    found = {
        table: sum(((live[table] - rebuilt[table]) + (rebuilt[table] - live[table])).values())
        for table in live.keys() | rebuilt.keys()
        if table in live and table in rebuilt
    }
    missing = {table: -1 for table in live.keys() ^ rebuilt.keys()}
    return {table: n for table, n in {**found, **missing}.items() if n}


class CheckpointMoves:
    """Records every checkpoint move of the live track (projections and processes), by
    whom; PostgreSQL only."""

    SQL_UP = """
        CREATE TABLE faults_checkpoint_move (
            id bigserial PRIMARY KEY, name text, old_tx bigint, old_position bigint,
            new_tx bigint, new_position bigint, runner text);
        CREATE FUNCTION faults_record_move() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF (OLD.tx_id, OLD.position) IS DISTINCT FROM (NEW.tx_id, NEW.position) THEN
                INSERT INTO faults_checkpoint_move
                    (name, old_tx, old_position, new_tx, new_position, runner)
                VALUES (NEW.name, OLD.tx_id, OLD.position, NEW.tx_id, NEW.position,
                        current_setting('application_name'));
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER faults_record_move AFTER UPDATE ON projections_projectionstate
            FOR EACH ROW EXECUTE FUNCTION faults_record_move();
        CREATE TRIGGER faults_record_move AFTER UPDATE ON orders_processstate
            FOR EACH ROW EXECUTE FUNCTION faults_record_move();
    """
    SQL_DOWN = """
        DROP TRIGGER IF EXISTS faults_record_move ON projections_projectionstate;
        DROP TRIGGER IF EXISTS faults_record_move ON orders_processstate;
        DROP FUNCTION IF EXISTS faults_record_move();
        DROP TABLE IF EXISTS faults_checkpoint_move;
    """

    def __enter__(self) -> CheckpointMoves:
        with connection.cursor() as cursor:
            cursor.execute(self.SQL_DOWN + self.SQL_UP)
        return self

    def __exit__(self, *exc: object) -> None:
        with connection.cursor() as cursor:
            cursor.execute(self.SQL_DOWN)

    def moves(self) -> dict[str, list[tuple[tuple[int, int], tuple[int, int], str]]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, old_tx, old_position, new_tx, new_position, runner "
                "FROM faults_checkpoint_move ORDER BY new_tx, new_position"
            )
            found: dict[str, list] = {}
            for name, old_tx, old_pos, new_tx, new_pos, who in cursor.fetchall():
                found.setdefault(name, []).append(((old_tx, old_pos), (new_tx, new_pos), who))
        return found

    def broken_chains(self, name: str) -> list[str]:
        """Why ``name``'s moves do not chain from the start to the head (empty if they do)."""
        moves = self.moves().get(name, [])
        problems = [] if moves else ["never moved"]
        expected = (0, 0)
        for old, new, who in moves:
            if old != expected:
                problems.append(f"{who} moved from {old}, the previous move ended at {expected}")
            expected = new
        head = store.head()
        if expected != (head.tx_id, head.position):
            problems.append(f"ended at {expected}, the head is {head}")
        return problems
