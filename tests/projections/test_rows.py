import datetime as dt
from uuid import UUID, uuid4

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projections.engine.rows import Rows
from projections.readmodels.customer_directory import DirectoryCustomer

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def customer(rows, key, name="Ann"):
    return rows.edit_or_create(
        DirectoryCustomer,
        key,
        name=name,
        email="a@example.com",
        registered_at=NOW,
        position=1,
        version=1,
    )


@pytest.mark.django_db
def test_rows_keyed_by_uuid_are_found_by_any_equal_uuid_and_keep_their_uuid():
    key = uuid4()
    rows = Rows("customer_directory", 1)
    row = customer(rows, key)
    assert rows.find(DirectoryCustomer, UUID(str(key))) is row
    assert rows.edit(DirectoryCustomer, UUID(str(key))) is row
    rows.flush()
    (stored,) = DirectoryCustomer.objects.filter(generation=1)
    assert stored.customer_id == key and type(row.customer_id) is UUID


@pytest.mark.django_db
def test_a_prefetched_uuid_row_is_not_asked_for_again():
    key = uuid4()
    first = Rows("customer_directory", 1)
    customer(first, key, "Bob")
    first.flush()
    rows = Rows("customer_directory", 1)
    absent = uuid4()
    rows.prefetch([(DirectoryCustomer, key), (DirectoryCustomer, absent)])
    with CaptureQueriesContext(connection) as queries:
        assert rows.edit(DirectoryCustomer, UUID(str(key))).name == "Bob"
        assert rows.find(DirectoryCustomer, absent) is None
        rows.update_all(DirectoryCustomer, {"name": "Bob"}, name="Rob")
    assert len(queries) == 0
    rows.flush()
    assert DirectoryCustomer.objects.get(generation=1, customer_id=key).name == "Rob"
