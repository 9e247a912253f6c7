import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from eventstore.serialization import dumps, from_primitive, loads, to_primitive


@dataclass(frozen=True)
class Line:
    sku: str
    price: Decimal


@dataclass(frozen=True)
class Everything:
    amount: Decimal
    ident: UUID
    at: dt.datetime
    day: dt.date
    lines: tuple[Line, ...]
    maybe: UUID | None = None


def test_values_round_trip_exactly_through_json():
    value = Everything(
        amount=Decimal("12.50"),
        ident=uuid4(),
        at=dt.datetime(2026, 11, 27, 10, 32, 1, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        day=dt.date(2026, 2, 28),
        lines=(Line("A", Decimal("0.10")), Line("B", Decimal("1E+3"))),
    )
    back = from_primitive(Everything, loads(dumps(value)))
    assert back == value
    assert str(back.amount) == "12.50" and back.at.utcoffset() == dt.timedelta(hours=2)
    assert str(back.lines[1].price) == "1E+3"


def test_stored_json_is_plain_for_other_readers():
    assert loads(dumps(Line("A", Decimal("12.50")))) == {"sku": "A", "price": "12.50"}


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError):
        to_primitive(dt.datetime(2026, 1, 1))
