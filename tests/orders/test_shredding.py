"""Personal fields are stored encrypted per customer and read back decrypted, or as
"[erased]" once the customer's data key is destroyed (eventstore/shredding.py)."""

from __future__ import annotations

import base64

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test import override_settings

from eventstore import shredding, store
from eventstore.admin_views import stream_url
from eventstore.models import DataKey, Event
from orders import commands as c
from orders.handlers import execute
from orders.repositories import customers

pytestmark = pytest.mark.django_db(transaction=True)


def _register(name: str = "Ann Example", email: str = "ann@example.com") -> str:
    result = execute(c.RegisterCustomer(name=name, email=email, phone="+44 1234"))
    return str(result.id)


def _stored(stream_id: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM eventstore_event WHERE stream_id = %s", [stream_id])
        return [str(row[0]) for row in cursor.fetchall()]


def test_personal_fields_are_ciphertext_in_the_table_and_plain_when_read():
    customer_id = _register()
    stream = f"customer-{customer_id}"
    (raw,) = _stored(stream)
    assert "Ann" not in raw and "ann@example.com" not in raw and "1234" not in raw
    assert customer_id in raw  # the subject itself is not personal data
    (event,) = store.read_stream(stream)
    assert event.data["name"] == "Ann Example"
    assert event.data["email"] == "ann@example.com"
    assert store.read_all()[-1].data["phone"] == "+44 1234"
    assert customers.load(customer_id).email == "ann@example.com"
    key = DataKey.objects.get(subject=customer_id)
    assert key.wrapped is not None and b"ann" not in bytes(key.wrapped)


def test_a_destroyed_key_reads_as_erased_and_others_read_as_before():
    forgotten = _register()
    other = _register("Bob Other", "bob@example.com")
    shredding.destroy(forgotten)
    (event,) = store.read_stream(f"customer-{forgotten}")
    assert event.data["name"] == event.data["email"] == event.data["phone"] == shredding.ERASED
    assert customers.load(forgotten).name == shredding.ERASED
    assert customers.load(other).email == "bob@example.com"
    assert DataKey.objects.get(subject=forgotten).wrapped is None


def test_nothing_is_encrypted_for_a_destroyed_key():
    customer_id = _register()
    shredding.destroy(customer_id)
    customer = customers.load(customer_id)
    customer.change_email("new@example.com")
    with pytest.raises(shredding.SubjectForgotten):
        customers.save(customer)


def test_plaintext_written_before_encryption_reads_as_it_is():
    data = {"customer_id": "x", "name": "Old Plain", "email": "old@example.com", "phone": "1"}
    store.append("customer-x", "customer", [store.NewEvent("CustomerRegistered", data)], "any")
    (event,) = store.read_stream("customer-x")
    assert event.data["name"] == "Old Plain"
    assert not shredding.is_encrypted(event.data["name"])


def test_the_admin_event_pages_show_personal_fields_decrypted(admin_client):
    customer_id = _register()
    stream = f"customer-{customer_id}"
    page = admin_client.get(stream_url(stream))
    assert page.status_code == 200
    assert "ann@example.com" in page.content.decode()
    position = Event.objects.get(stream_id=stream).position
    detail = admin_client.get(f"/admin/eventstore/event/{position}/change/")
    assert "ann@example.com" in detail.content.decode()
    shredding.destroy(customer_id)
    detail = admin_client.get(f"/admin/eventstore/event/{position}/change/")
    assert "ann@example.com" not in detail.content.decode()
    assert shredding.ERASED in detail.content.decode()


def test_rotation_rewraps_every_live_key():
    customer_id = _register()
    new = base64.b64encode(b"n" * 32).decode()
    old = shredding.key_encryption_key()
    with override_settings(KEY_ENCRYPTION_KEY=new):
        with pytest.raises(shredding.InvalidTag):  # the wrong key-encryption key
            store.read_stream(f"customer-{customer_id}")
        call_command("rotate_key_encryption_key", old_key=base64.b64encode(old).decode())
        assert store.read_stream(f"customer-{customer_id}")[0].data["name"] == "Ann Example"
        # Run again: nothing left to do, nothing broken.
        call_command("rotate_key_encryption_key", old_key=base64.b64encode(old).decode())
        assert customers.load(customer_id).email == "ann@example.com"


def test_check_deploy_requires_the_key():
    with override_settings(KEY_ENCRYPTION_KEY=""):
        with pytest.raises(SystemCheckError, match="KEY_ENCRYPTION_KEY"):
            call_command("check", "--deploy", "--fail-level", "ERROR", tags=["security"])
    with override_settings(KEY_ENCRYPTION_KEY="c2hvcnQ="):
        with pytest.raises(SystemCheckError, match="32 bytes"):
            call_command("check", "--deploy", "--fail-level", "ERROR", tags=["security"])


def test_sqlite_zeroes_deleted_content():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        assert cursor.fetchone()[0] == 1


def test_a_stream_read_fetches_its_subjects_keys_in_its_own_statement():
    from django.test.utils import CaptureQueriesContext

    customer_id = _register()
    stream = f"customer-{customer_id}"
    with CaptureQueriesContext(connection) as queries:
        (event,) = store.read_stream(stream)
        customer = customers.load(customer_id)
    assert len(queries) == 2, [q["sql"] for q in queries]
    assert event.data["name"] == customer.name == "Ann Example"
    shredding.destroy(customer_id)
    with CaptureQueriesContext(connection) as queries:
        (event,) = store.read_stream(stream)
        customer = customers.load(customer_id)
    assert len(queries) == 2, [q["sql"] for q in queries]
    assert event.data["name"] == customer.name == shredding.ERASED


def test_ciphertext_of_a_subject_with_no_key_row_reads_as_erased():
    customer_id = _register()
    DataKey.objects.filter(subject=customer_id).delete()
    (event,) = store.read_stream(f"customer-{customer_id}")
    assert event.data["email"] == shredding.ERASED
    assert customers.load(customer_id).email == shredding.ERASED


def test_a_subject_the_read_did_not_ask_for_is_looked_up_apart():
    from django.test.utils import CaptureQueriesContext

    from eventstore.serialization import loads

    customer_id = _register()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data FROM eventstore_event WHERE stream_id = %s", [f"customer-{customer_id}"]
        )
        (stored,) = cursor.fetchone()
    data = stored if isinstance(stored, dict) else loads(stored)  # psycopg decodes json
    pair = [("CustomerRegistered", data)]
    wrapped = bytes(DataKey.objects.get(subject=customer_id).wrapped)
    read = shredding.ReadKeys(frozenset([customer_id]), {customer_id: wrapped})
    with CaptureQueriesContext(connection) as queries:
        (revealed,) = shredding.reveal_data(pair, read=read)
    assert len(queries) == 0 and revealed["name"] == "Ann Example"
    with CaptureQueriesContext(connection) as queries:
        (revealed,) = shredding.reveal_data(pair, read=shredding.ReadKeys(frozenset(), {}))
    assert len(queries) == 1 and revealed["name"] == "Ann Example"
