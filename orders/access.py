"""Who is acting: staff act on everything, a customer login on its own customer."""

from __future__ import annotations

from uuid import UUID

from orders.models import CustomerAccount


def customer_id_for(user) -> UUID | None:
    """The customer a login acts for; None for staff and unlinked logins."""
    if not getattr(user, "is_authenticated", False):
        return None
    # Read with the login when its token was checked (accounts.tokens); else asked.
    relation = getattr(getattr(user.__class__, "customer_account", None), "related", None)
    if relation is not None and relation.is_cached(user):
        account = relation.get_cached_value(user)
    else:
        account = CustomerAccount.objects.filter(user_id=user.pk).only("customer_id").first()
    return account.customer_id if account else None


def may_act_for(user, customer_id: UUID) -> bool:
    return bool(user.is_staff) or customer_id_for(user) == customer_id
