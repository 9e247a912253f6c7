"""Strict JSON fields: a number where text is expected (or text for a number) is a 400,
not a silent coercion. Money travels as decimal strings and never as a float."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if any(ord(ch) < 32 and ch not in "\t" for ch in data):
            raise serializers.ValidationError("control characters are not allowed")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data).lower()


class MoneyField(serializers.DecimalField):
    """A positive amount with two places, sent as a string such as "12.50"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0.01"))
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool) or not isinstance(data, str | int):
            raise serializers.ValidationError('send amounts as decimal strings, e.g. "12.50"')
        value: Decimal = super().to_internal_value(data)
        return value.quantize(Decimal("0.01"))
