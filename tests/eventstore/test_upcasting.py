import pytest

from eventstore import store, upcasting
from eventstore.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def name_split_upcasters():
    @upcasting.upcaster("TestPersonRegistered", 1)
    def split_name(data):
        first, _, last = data["name"].partition(" ")
        return {"first_name": first, "last_name": last}

    @upcasting.upcaster("TestPersonRegistered", 2)
    def add_country(data):
        return {**data, "country": "unknown"}

    yield
    upcasting.unregister("TestPersonRegistered", 1)
    upcasting.unregister("TestPersonRegistered", 2)


def test_a_v1_event_reads_back_in_the_current_shape_without_rewriting_the_row(name_split_upcasters):
    store.append(
        "person-1",
        "person",
        [store.NewEvent("TestPersonRegistered", {"name": "Ada Lovelace"})],
        store.NO_STREAM,
    )
    (event,) = store.read_stream("person-1")
    assert event.schema_version == 3
    assert event.data == {"first_name": "Ada", "last_name": "Lovelace", "country": "unknown"}
    row = Event.objects.get(stream_id="person-1")
    assert (row.schema_version, row.data) == (1, {"name": "Ada Lovelace"})
    assert store.read_all()[0].data == event.data


def test_an_event_already_in_a_later_version_skips_the_earlier_upcasters(name_split_upcasters):
    new = store.NewEvent(
        "TestPersonRegistered", {"first_name": "A", "last_name": "B"}, schema_version=2
    )
    store.append("person-2", "person", [new], store.NO_STREAM)
    assert store.read_stream("person-2")[0].data == {
        "first_name": "A",
        "last_name": "B",
        "country": "unknown",
    }
