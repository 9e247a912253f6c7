"""Money in read models: a ``Decimal`` in Python, whole cents in a 64-bit integer column.

A ``DecimalField`` is not exact on both backends: SQLite stores it as a REAL (about
15 significant digits, so ``99999999999999.99`` reads back as ``…98``), and a
``numeric(14,2)`` column refused order totals the write side had accepted, which
stopped a projection for every customer. A signed 64-bit integer of cents holds
every amount and every sum ``orders.bounds`` allows, exactly, on both; handlers,
queries and serializers keep working with ``Decimal`` amounts of two places.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import models
from django.db.models import lookups
from django.db.models.expressions import Combinable

from orders.bounds import CENTS


class CentsField(models.BigIntegerField):
    """An amount of two decimal places, stored as whole cents (``bigint``).

    An amount with a fraction of a cent is written rounded half up, as the ``numeric(14,2)``
    columns before did (the write side records none since it checks prices; an older
    event must not stop a projection). A query may compare with any amount:
    ``total_amount__gte=10.005`` means at least 10.01.
    """

    description = "An amount of money, stored as whole cents"
    # For django-stubs: a model's attribute takes and gives a Decimal, not the int stored
    # (the stubs' integer field says int; narrowing it is the point, hence the ignores).
    _pyi_private_set_type: Decimal | int | str | Combinable  # type: ignore[assignment]
    _pyi_private_get_type: Decimal  # type: ignore[assignment]

    def from_db_value(self, value: int | None, expression: Any, connection: Any) -> Any:
        return None if value is None else Decimal(value).scaleb(-2)

    def to_python(self, value: Any) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        return Decimal(str(value)).quantize(CENTS)

    def get_prep_value(self, value: Any) -> Any:
        if value is None or hasattr(value, "resolve_expression"):
            return value
        amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        return int(amount.scaleb(2).to_integral_value(ROUND_HALF_UP))


class _ComparedInCents:
    """Turns the amount a query compares with into cents, rounded so that the comparison
    with whole cents means what it says of the amount."""

    rounding: str | None = None  # None: an amount with a fraction of a cent stays one

    def get_prep_lookup(self) -> Any:
        rhs = self.rhs  # type: ignore[attr-defined]
        if rhs is None or hasattr(rhs, "resolve_expression"):
            return rhs
        scaled = Decimal(str(rhs) if isinstance(rhs, float) else rhs).scaleb(2)
        whole = scaled.to_integral_value(self.rounding or ROUND_FLOOR)
        if self.rounding is None and scaled != whole:
            return scaled
        return int(whole)


# IntegerFieldOverflow turns a comparison with an amount past the column's range into
# no rows or all rows, rather than an error from the database.


@CentsField.register_lookup
class CentsExact(lookups.IntegerFieldOverflow, _ComparedInCents, lookups.Exact):
    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        if isinstance(self.rhs, Decimal):  # a fraction of a cent: no amount is equal to it
            raise EmptyResultSet
        return super().process_rhs(compiler, connection)


@CentsField.register_lookup
class CentsGreaterThan(lookups.IntegerFieldOverflow, _ComparedInCents, lookups.GreaterThan):
    rounding = ROUND_FLOOR
    underflow_exception = FullResultSet


@CentsField.register_lookup
class CentsGreaterThanOrEqual(
    lookups.IntegerFieldOverflow, _ComparedInCents, lookups.GreaterThanOrEqual
):
    rounding = ROUND_CEILING
    underflow_exception = FullResultSet


@CentsField.register_lookup
class CentsLessThan(lookups.IntegerFieldOverflow, _ComparedInCents, lookups.LessThan):
    rounding = ROUND_CEILING
    overflow_exception = FullResultSet


@CentsField.register_lookup
class CentsLessThanOrEqual(lookups.IntegerFieldOverflow, _ComparedInCents, lookups.LessThanOrEqual):
    rounding = ROUND_FLOOR
    overflow_exception = FullResultSet
