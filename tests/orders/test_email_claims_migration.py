"""Migration orders.0005: every existing customer claims its email, from the log; where
two share one in any case, the younger is reported and left unclaimed instead of the
migration failing."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from eventstore import store
from orders import commands as c
from orders.emails import email_key
from orders.errors import DuplicateEmail
from orders.handlers import execute
from orders.models import EmailClaim

BEFORE = [("orders", "0004_process_state")]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def registered(email: str) -> uuid.UUID:
    """A customer as the write side recorded it before there were claims."""
    customer_id = uuid.uuid4()
    data = {"customer_id": str(customer_id), "name": "N", "email": email, "phone": ""}
    store.append(
        f"customer-{customer_id}",
        "customer",
        [store.NewEvent("CustomerRegistered", data)],
        store.NO_STREAM,
    )
    return customer_id


def changed(customer_id: uuid.UUID, email: str) -> None:
    data = {"customer_id": str(customer_id), "email": email}
    new = store.NewEvent("CustomerEmailChanged", data)
    store.append(f"customer-{customer_id}", "customer", [new], store.ANY)


@pytest.mark.django_db(transaction=True)
def test_existing_customers_claim_their_emails_and_duplicates_are_reported_not_fatal(capsys):
    migrate(BEFORE)
    try:
        ann = registered("ann@example.com")
        ann_twin = registered("ANN@Example.com")  # younger: left unclaimed
        bo = registered("bo@example.com")
        changed(bo, "bo@new.example")
        bo_old = registered("bo@example.com")  # bo moved away first: no duplicate
        cy = registered("cy@example.com")
        cy_twin = registered("cy@example.com")
        capsys.readouterr()
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    claims = dict(EmailClaim.objects.values_list("customer_id", "key"))
    assert claims == {
        ann: email_key("ann@example.com"),
        bo: email_key("bo@new.example"),
        bo_old: email_key("bo@example.com"),
        cy: email_key("cy@example.com"),
    }
    printed = capsys.readouterr().out
    assert "2 customer(s) share an email" in printed
    assert f"customer {ann_twin} has the email of customer {ann}" in printed
    assert f"customer {cy_twin} has the email of customer {cy}" in printed
    assert "@" not in printed, "the report names customers, never their emails"

    with pytest.raises(DuplicateEmail):  # from now on, refused
        execute(c.RegisterCustomer(name="N", email="Ann@example.com", phone=""))
    execute(c.ChangeCustomerEmail(customer_id=ann_twin, email="ann.twin@example.com"))
    assert EmailClaim.objects.get(customer_id=ann_twin).key == email_key("ann.twin@example.com")


@pytest.mark.django_db(transaction=True)
def test_without_customers_the_migration_claims_nothing_and_says_nothing(capsys):
    migrate(BEFORE)
    capsys.readouterr()
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert not EmailClaim.objects.exists()
    assert capsys.readouterr().out == ""
