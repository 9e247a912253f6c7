"""The Customer aggregate: who orders, and how to reach them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import singledispatchmethod
from typing import ClassVar
from uuid import UUID

from eventstore.aggregate import Aggregate
from orders.events import CustomerEmailChanged, CustomerRegistered


@dataclass
class Customer(Aggregate):
    stream_type: ClassVar[str] = "customer"

    name: str = ""
    email: str = ""
    phone: str = ""

    @classmethod
    def register(cls, customer_id: UUID, *, name: str, email: str, phone: str) -> Customer:
        customer = cls(id=customer_id)
        customer._record(
            CustomerRegistered(customer_id=customer_id, name=name, email=email, phone=phone)
        )
        return customer

    def change_email(self, email: str) -> None:
        if email != self.email:
            self._record(CustomerEmailChanged(customer_id=self.id, email=email))

    @singledispatchmethod
    def apply(self, event: object) -> None:
        raise NotImplementedError(type(event).__name__)

    @apply.register
    def _registered(self, event: CustomerRegistered) -> None:
        self.name, self.email, self.phone = event.name, event.email, event.phone

    @apply.register
    def _email_changed(self, event: CustomerEmailChanged) -> None:
        self.email = event.email
