import datetime as dt
import json
import math
from dataclasses import dataclass
from decimal import Decimal
from uuid import RFC_4122, UUID, uuid4

import pytest

from eventstore.serialization import dumps, from_primitive, loads, random_uuid, to_primitive


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


@pytest.mark.parametrize(
    "text",
    [
        '{"huge":100000000000000000000000000000000000000001,"neg":-18446744073709551617}',
        '{"zeta":1e300,"tiny":5e-324,"max":1.7976931348623157e308,"over":1e400,"z":-0.0}',
        '{"b":1,"a":2,"b":3}',
        '{"lone":"\\ud800","pair":"\\ud83e\\uddfe","nan":NaN}',
        '[1, 2.5, "x", null, true, {"": {}}]',
    ],
)
def test_loads_reads_what_the_standard_library_reads(text):
    import json

    got, expected = loads(text), json.loads(text)
    assert repr(got) == repr(expected)
    assert [type(v) for v in _leaves(got)] == [type(v) for v in _leaves(expected)]


def _leaves(value):
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in (k, *_leaves(v))]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


@pytest.mark.parametrize(
    "text",
    [
        "975ff1be-e97e-46e1-9460-9252e9f784d8",
        "975FF1BE-E97E-46E1-9460-9252E9F784D8",
        "{975ff1be-e97e-46e1-9460-9252e9f784d8}",
        "urn:uuid:975ff1be-e97e-46e1-9460-9252e9f784d8",
        "975ff1bee97e46e194609252e9f784d8",
    ],
)
def test_uuids_read_back_as_uuid_reads_them(text):
    got = from_primitive(UUID, text)
    assert type(got) is UUID and got == UUID(text) and got.is_safe == UUID(text).is_safe
    assert hash(got) == hash(UUID(text)) and str(got) == str(UUID(text))


@pytest.mark.parametrize("text", ["975ff1be-e97e-46e1-9460-9252e9f784dz", "975ff1be", ""])
def test_a_malformed_uuid_is_refused(text):
    with pytest.raises(ValueError):
        from_primitive(UUID, text)


@pytest.mark.parametrize(
    "value",
    [
        {"text": 'quote " backslash \\ \n\t\x00\x1f\x7f \u2028 é 日本語 🧾', "": None},
        [0, -1, 2**53 + 1, 2**64, -(10**40), True, False, None],
        {"nested": [{"b": 1, "a": [2, {"z": "y"}]}], "order": {"z": 1, "a": 2}},
    ],
)
def test_dumps_writes_what_the_standard_library_writes(value):
    assert dumps(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@pytest.mark.parametrize("number", [0.1, 1e300, -1.5e-300, 5e-324, 3.0, 1e16])
def test_a_float_reads_back_as_the_same_float(number):
    assert loads(dumps({"x": [number]})) == {"x": [number]}


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_a_float_with_no_json_form_is_refused_wherever_it_is(number):
    for value in (number, [1, number], {"a": {"b": [number]}}):
        with pytest.raises(ValueError):
            dumps(value)


def test_a_lone_surrogate_is_refused():
    with pytest.raises(ValueError):
        dumps({"text": "\ud800"})


def test_random_uuids_are_version_4_uuids_like_uuid4s():
    made = [random_uuid() for _ in range(2000)]
    assert len(set(made)) == len(made)
    for uuid in made[:200]:
        assert uuid.version == 4 and uuid.variant == RFC_4122
        assert UUID(str(uuid)) == uuid and hash(UUID(str(uuid))) == hash(uuid)
    # Every other bit is random: each of the 122 is set in some of them and clear in others.
    fixed = (0xF000 << 64) | (0xC000 << 48)
    ones = zero = 0
    for uuid in made:
        ones |= uuid.int
        zero |= ~uuid.int
    assert (ones & zero) | fixed == (1 << 128) - 1


def test_a_dataclass_gives_the_same_primitive_the_first_time_and_after():
    value = Line("A", Decimal("1.50"))
    assert to_primitive(value) == to_primitive(value) == {"sku": "A", "price": "1.50"}
