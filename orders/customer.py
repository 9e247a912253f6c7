"""The Customer aggregate: who orders, and how to reach them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import singledispatchmethod
from typing import ClassVar
from uuid import UUID

from eventstore.aggregate import Aggregate
from orders.errors import AlreadyForgotten, CustomerIsForgotten
from orders.events import CustomerEmailChanged, CustomerForgotten, CustomerRegistered


@dataclass
class Customer(Aggregate):
    stream_type: ClassVar[str] = "customer"

    name: str = ""
    email: str = ""
    phone: str = ""
    forgotten: bool = False

    @classmethod
    def register(cls, customer_id: UUID, *, name: str, email: str, phone: str) -> Customer:
        customer = cls(id=customer_id)
        customer._record(
            CustomerRegistered(customer_id=customer_id, name=name, email=email, phone=phone)
        )
        return customer

    def change_email(self, email: str) -> None:
        self.require_not_forgotten()
        if email != self.email:
            self._record(CustomerEmailChanged(customer_id=self.id, email=email))

    def forget(self) -> None:
        """Record that the customer is forgotten (their key goes with it: the handler)."""
        if self.forgotten:
            raise AlreadyForgotten(f"customer {self.id} was forgotten already")
        self._record(CustomerForgotten(customer_id=self.id))

    def require_not_forgotten(self) -> None:
        if self.forgotten:
            raise CustomerIsForgotten(f"customer {self.id} was forgotten")

    @singledispatchmethod
    def apply(self, event: object) -> None:
        raise NotImplementedError(type(event).__name__)

    @apply.register
    def _registered(self, event: CustomerRegistered) -> None:
        self.name, self.email, self.phone = event.name, event.email, event.phone

    @apply.register
    def _email_changed(self, event: CustomerEmailChanged) -> None:
        self.email = event.email

    @apply.register
    def _forgotten(self, event: CustomerForgotten) -> None:
        self.forgotten = True
