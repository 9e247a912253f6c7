"""Set up and check the private PostgreSQL cluster's database, from another process.

``test_database_restart`` runs Chronicle on a PostgreSQL cluster it starts itself,
outside pytest-django's test database; this module is how it migrates and seeds
that database and checks it afterwards, each in a process of its own whose
``DATABASE_URL`` names it:

    python -m tests.faults.private_db seed     # migrate; staff token, customer, product
    python -m tests.faults.private_db settle   # have the projections caught up?
    python -m tests.faults.private_db verify   # the log and the read models

Both print one JSON object on their last line.
"""

from __future__ import annotations

import json
import sys
import time

import django


def seed() -> dict[str, str]:
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from knox.models import AuthToken

    from orders import commands as c
    from orders.handlers import execute

    call_command("migrate", verbosity=0, interactive=False)  # with the sweep, as deployed
    staff = get_user_model().objects.create_user("staff", is_staff=True)
    customer = execute(c.RegisterCustomer(name="Rita", email="rita@f.example", phone="1")).id
    product = execute(c.AddProduct(sku="RESTART-1", name="Mug", price=Decimal("4.50"))).id
    execute(c.ReceiveStock(product_id=product, quantity=1_000_000))
    _, token = AuthToken.objects.create(user=staff)
    return {"token": token, "customer": str(customer), "product": str(product)}


def settle() -> dict[str, object]:
    """Whether the running worker brings every projection to the head within 30 s (the
    subscriber may still hold the lease of a run the outage cut: ``subscribers.LEASE``)."""
    from orders.processes.state import ProcessState
    from projections.engine.projection import names
    from projections.models import ProjectionState
    from tests.faults.checks import caught_up

    deadline = time.monotonic() + 30
    while not caught_up(names()) and time.monotonic() < deadline:
        time.sleep(0.2)
    states = [*ProjectionState.objects.all(), *ProcessState.objects.all()]
    return {
        "projections_caught_up": caught_up(names()),
        "checkpoints": {s.name: s.position for s in states},
    }


def verify() -> dict[str, object]:
    """The log and the read models, once the worker has stopped: every command's events,
    broken streams, and the read models against a rebuild (caught up here first, in case
    the subscriber appended after ``settle``)."""
    from django.db import connection

    from projections.engine import runner
    from tests.faults.checks import differences, read_models, rebuilt_read_models

    while runner.advance(max_batches=100).behind:
        pass
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT correlation_id::text, metadata->>'command', event_type "
            "FROM eventstore_event WHERE correlation_id IS NOT NULL ORDER BY position"
        )
        events: dict[str, list[str]] = {}
        for correlation, command, event_type in cursor.fetchall():
            events.setdefault(f"{correlation} {command}", []).append(event_type)
        cursor.execute(
            "SELECT COUNT(*) FROM (SELECT stream_id FROM eventstore_event GROUP BY stream_id "
            "HAVING COUNT(*) <> COUNT(DISTINCT version) OR MIN(version) <> 1 "
            "OR MAX(version) <> COUNT(*)) AS broken"
        )
        broken_streams = cursor.fetchone()[0]
    live = read_models()
    return {
        "events_by_command": events,
        "broken_streams": broken_streams,
        "read_model_rows": sum(sum(rows.values()) for rows in live.values()),
        "read_model_differences": differences(live, rebuilt_read_models()),
    }


if __name__ == "__main__":
    django.setup()
    action = {"seed": seed, "settle": settle, "verify": verify}[sys.argv[1]]
    print(json.dumps(action()))
