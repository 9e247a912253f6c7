import pytest
from django.db import DatabaseError, connection, transaction

from eventstore import store


@pytest.fixture
def stored_event(db):
    return store.append("ledger-1", "ledger", [store.NewEvent("Opened", {"n": 1})], store.NO_STREAM)


def test_raw_sql_update_of_an_event_is_refused_by_the_database(stored_event):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE eventstore_event SET event_type = 'Forged'")
    assert [e.event_type for e in store.read_stream("ledger-1")] == ["Opened"]


def test_raw_sql_delete_of_an_event_is_refused_by_the_database(stored_event):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM eventstore_event")
    assert len(store.read_stream("ledger-1")) == 1


def test_the_orm_cannot_delete_events_either(stored_event):
    from eventstore.models import Event

    with pytest.raises(DatabaseError):
        with transaction.atomic():
            Event.objects.all().delete()
    assert Event.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_trigger_survives_the_test_flush():
    # Runs after other transactional tests flushed the table: the guard is back.
    store.append("ledger-2", "ledger", [store.NewEvent("Opened", {})], store.NO_STREAM)
    with pytest.raises(DatabaseError, match="append-only"):
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM eventstore_event")
