"""What forgetting a customer does besides recording ``CustomerForgotten``, in the
command's transaction (README, "Compliance"; docs/architecture.md, invariant 14):
destroy their data key, delete their snapshots and email claim, rename and
deactivate their login and revoke its tokens, and drop what the login's lockout
records and failed tasks kept of them."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.contrib.auth import get_user_model
from knox.models import get_token_model

from eventstore import shredding
from eventstore.events import personal_fields
from eventstore.models import Event, Snapshot
from orders.events import ORDER_STREAM_TYPE, OrderCreated
from orders.models import CustomerAccount, EmailClaim


def customer_stream(customer_id: UUID) -> str:
    return f"customer-{customer_id}"


def order_ids_of(customer_id: UUID) -> list[UUID]:
    """Every order the customer placed, from the log (a rare, staff-only read)."""
    wanted = str(customer_id)
    created = Event.objects.filter(
        event_type=OrderCreated.event_type, stream_type=ORDER_STREAM_TYPE
    ).values_list("data", flat=True)
    return [UUID(data["order_id"]) for data in created if data.get("customer_id") == wanted]


def holds_plaintext(customer_id: UUID, order_ids: Iterable[UUID]) -> bool:
    """Whether any of the customer's personal fields is stored unencrypted (written
    before encryption): destroying the key would not erase it."""
    streams = [customer_stream(customer_id), *(f"{ORDER_STREAM_TYPE}-{o}" for o in order_ids)]
    for event_type, data in Event.objects.filter(stream_id__in=streams).values_list(
        "event_type", "data"
    ):
        spec = personal_fields(event_type)
        if spec is not None and not all(
            shredding.is_encrypted(data.get(name)) for name in spec[1] if name in data
        ):
            return True
    return False


def scrub(customer_id: UUID, order_ids: Iterable[UUID]) -> None:
    """Everything but the event: run it after ``CustomerForgotten`` is appended."""
    shredding.destroy(str(customer_id))
    streams = [customer_stream(customer_id), *(f"{ORDER_STREAM_TYPE}-{o}" for o in order_ids)]
    Snapshot.objects.filter(stream_id__in=streams).delete()
    EmailClaim.objects.filter(customer_id=customer_id).delete()
    account = CustomerAccount.objects.select_related("user").filter(customer_id=customer_id)
    for link in account:
        _retire_login(link.user, customer_id)


def _retire_login(user: object, customer_id: UUID) -> None:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    model = get_user_model()
    assert isinstance(user, model)
    old = user.get_username()
    setattr(user, model.USERNAME_FIELD, f"forgotten-{customer_id}")
    user.email = ""
    user.first_name = user.last_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    get_token_model().objects.filter(user=user).delete()
    for log in (AccessAttempt, AccessLog, AccessFailureLog):
        log.objects.filter(username=old).delete()
