import dataclasses
import datetime as dt
from uuid import uuid4

import pytest

from eventstore.records import RecordedEvent, recorded_event


def test_recorded_event_makes_the_same_frozen_value_as_the_constructor():
    values = (
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
    fast, slow = recorded_event(*values), RecordedEvent(*values)
    assert type(fast) is RecordedEvent
    assert fast == slow and hash(fast.checkpoint) == hash(slow.checkpoint)
    assert dataclasses.astuple(fast) == dataclasses.astuple(slow) == values
    assert fast.checkpoint == slow.checkpoint
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.position = 8  # type: ignore[misc]
