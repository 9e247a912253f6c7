"""Who is acting: staff act on everything, a customer login on its own customer."""

from __future__ import annotations

from uuid import UUID

from orders.models import CustomerAccount


def customer_id_for(user) -> UUID | None:
    """The customer a login acts for; None for staff and unlinked logins."""
    if not getattr(user, "is_authenticated", False):
        return None
    account = CustomerAccount.objects.filter(user_id=user.pk).only("customer_id").first()
    return account.customer_id if account else None


def may_act_for(user, customer_id: UUID) -> bool:
    return bool(user.is_staff) or customer_id_for(user) == customer_id


def order_owner(order_id: UUID) -> UUID | None:
    """The customer an order belongs to; None when there is no such order."""
    from eventstore import store
    from orders.order import Order

    created = store.read_stream(Order.stream_id_for(order_id), to_version=1)
    return UUID(created[0].data["customer_id"]) if created else None
