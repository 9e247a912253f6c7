import datetime as dt
from uuid import uuid4

import msgspec
import pytest

from eventstore.records import Checkpoint, RecordedEvent

VALUES = (
    7,
    uuid4(),
    "order-1",
    "order",
    "OrderPaid",
    2,
    {"b": 1, "a": 2},
    {"user": "u"},
    3,
    dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    uuid4(),
    None,
    41,
    "ab" * 32,
)


def test_a_recorded_event_is_a_frozen_value_of_its_fields_in_order():
    event = RecordedEvent(*VALUES)
    assert msgspec.structs.astuple(event) == VALUES
    assert event == RecordedEvent(*VALUES) and event != RecordedEvent(8, *VALUES[1:])
    assert event.checkpoint == Checkpoint(41, 7)
    with pytest.raises(AttributeError):
        event.position = 8  # type: ignore[misc]
