"""Enumerations as the API writes them: upper case, words joined by ``_``, whatever
case the read model stores (``ready_to_ship`` answers ``READY_TO_SHIP``). Filters
accept any case and compare with the stored value."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import django_filters as filters
from django_filters.fields import ChoiceField as FilterChoiceField
from rest_framework import serializers

from orders.status import STATUSES, ShipmentStatus

# The stored vocabularies that are not the domain's (orders.status holds those).
RESERVATIONS = ("reserved", "released", "issued")
PAYMENT_STATES = ("UNPAID", "PAID", "REFUNDED")
SHIPMENT_STATES = ShipmentStatus.STATES
PROJECTION_STATES_STORED = ("up to date", "behind", "rebuilding", "failing")


def api_value(stored: str) -> str:
    return stored.upper().replace(" ", "_")


def api_values(stored: Iterable[str]) -> list[str]:
    return [api_value(value) for value in stored]


class EnumField(serializers.ChoiceField):
    """An output enumeration: the stored values, in the API's case."""

    def __init__(self, stored: Iterable[str], **kwargs: Any) -> None:
        super().__init__(choices=api_values(stored), **kwargs)

    def to_representation(self, value: Any) -> Any:
        return value if value in ("", None) else api_value(str(value))


class _AnyCaseChoiceField(FilterChoiceField):
    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return value.upper() if isinstance(value, str) else value


class EnumFilter(filters.ChoiceFilter):
    """A filter on an enumeration: documented in upper case, accepted in any case."""

    field_class = _AnyCaseChoiceField

    def __init__(self, stored: Iterable[str], **kwargs: Any) -> None:
        self.stored = {api_value(value): value for value in stored}
        super().__init__(choices=[(value, value) for value in self.stored], **kwargs)

    def filter(self, qs: Any, value: Any) -> Any:
        return super().filter(qs, self.stored.get(value, value))


# The API's spelling of enumerations whose field names collide, for
# ENUM_NAME_OVERRIDES (config/settings.py).
ORDER_STATUSES = api_values(STATUSES)
PAYMENT_STATUSES = api_values(PAYMENT_STATES)
HEALTH_STATUSES = api_values(("ok", "unavailable"))
PROJECTION_STATES = api_values(PROJECTION_STATES_STORED)
