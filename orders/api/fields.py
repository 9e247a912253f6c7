"""Strict JSON fields: a number where text is expected (or text for a number) is a 400,
not a silent coercion. Money travels as decimal strings and never as a float.

Their OpenAPI schemas say what they accept, so that a client (or schemathesis)
building a request from the schema alone builds one the API takes.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orders.bounds import CENTS, MAX_PRICE

# Some text besides spaces (the field trims them), and no control characters but tab.
TEXT_PATTERN = r"^[^\u0000-\u0008\u000a-\u001f]*[^\s\u0000-\u001f][^\u0000-\u0008\u000a-\u001f]*$"
# 0.01 up to MAX_PRICE's digits before the point, at most two after it (MAX_PRICE is all
# nines, so the pattern and the field's max_value agree).
WHOLE_DIGITS = len(str(int(MAX_PRICE)))
MONEY_PATTERN = (
    rf"^(?:0\.(?:0[1-9]|[1-9][0-9]?)|[1-9][0-9]{{0,{WHOLE_DIGITS - 1}}}(?:\.[0-9]{{1,2}})?)$"
)
_MONEY = re.compile(MONEY_PATTERN, re.ASCII)


@extend_schema_field({"type": "string", "pattern": TEXT_PATTERN})
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


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": MONEY_PATTERN, "example": "12.50"}
)
class MoneyField(serializers.DecimalField):
    """A positive amount with two places up to ``bounds.MAX_PRICE``, sent as a string
    such as "12.50"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", WHOLE_DIGITS + 2)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", CENTS)
        kwargs.setdefault("max_value", MAX_PRICE)
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        # Exactly the schema's pattern: Decimal() alone would also take "1E2", "+5",
        # "1_000", " 5" and non-ASCII digits, and quietly normalise them.
        if not isinstance(data, str) or not _MONEY.fullmatch(data):
            raise serializers.ValidationError(
                'send amounts as decimal strings of at most two places, e.g. "12.50"'
            )
        value: Decimal = super().to_internal_value(data)
        return value.quantize(CENTS)


class ListLengthSchema(OpenApiSerializerFieldExtension):
    """A nested list's length rules (``allow_empty=False``, ``min_length``, ``max_length``),
    which drf-spectacular leaves out, as ``minItems`` and ``maxItems``."""

    target_class = serializers.ListSerializer
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> Any:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        least = max(self.target.min_length or 0, 0 if self.target.allow_empty else 1)
        if least:
            schema["minItems"] = least
        if self.target.max_length is not None:
            schema["maxItems"] = self.target.max_length
        return schema
