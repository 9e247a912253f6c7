"""The customer directory (projection ``customer_directory``): one entry per
customer, its email following ``CustomerEmailChanged``, erased by ``CustomerForgotten``."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from eventstore.events import DomainEvent
from eventstore.shredding import ERASED
from eventstore.store import RecordedEvent
from orders.events import CustomerEmailChanged, CustomerForgotten, CustomerRegistered
from projections.engine.projection import Projection, first_sight, handles, register
from projections.engine.read_model import ReadModel
from projections.engine.rows import Key, Rows


class DirectoryCustomer(ReadModel):
    """A customer's directory entry (projection ``customer_directory``)."""

    key_field = "customer_id"

    customer_id = models.UUIDField()
    name = models.CharField(max_length=200)
    email = models.CharField(max_length=254)
    phone = models.CharField(max_length=50, blank=True)
    registered_at = models.DateTimeField()

    class Meta:
        verbose_name = "customer directory entry"
        verbose_name_plural = "customer directory entries"
        constraints = [
            models.UniqueConstraint(
                fields=["generation", "customer_id"], name="directory_customer_key"
            ),
        ]
        indexes = [models.Index(fields=["generation", "name"], name="directory_customer_name")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


@register
class CustomerDirectoryProjection(Projection):
    name = "customer_directory"
    tables = (DirectoryCustomer,)

    def keys(self, event: DomainEvent) -> Iterable[Key]:
        yield DirectoryCustomer, event.customer_id  # type: ignore[attr-defined]

    @handles(CustomerRegistered)
    def customer_registered(self, rows: Rows, e: CustomerRegistered, r: RecordedEvent) -> None:
        row = rows.edit_or_create(DirectoryCustomer, e.customer_id)
        if first_sight(row, r):
            row.name, row.email, row.phone = e.name, e.email, e.phone
            row.registered_at = r.recorded_at

    @handles(CustomerEmailChanged)
    def customer_email_changed(self, rows: Rows, e: CustomerEmailChanged, r: RecordedEvent) -> None:
        row = rows.edit(DirectoryCustomer, e.customer_id)
        if row is not None and first_sight(row, r):
            row.email = e.email

    @handles(CustomerForgotten)
    def customer_forgotten(self, rows: Rows, e: CustomerForgotten, r: RecordedEvent) -> None:
        row = rows.edit(DirectoryCustomer, e.customer_id)
        if row is not None and first_sight(row, r):
            row.name = row.email = row.phone = ERASED
