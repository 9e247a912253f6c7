"""What forgetting a customer does besides recording ``CustomerForgotten``, in the
command's transaction (README, "Compliance"; docs/architecture.md, invariant 14):
destroy their data key, delete their snapshots and email claim, rename and
deactivate their login and revoke its tokens, drop the login's lockout records,
scrub their values from readers' error texts and drop django-q2 tasks quoting them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from uuid import UUID

from django.apps import apps
from django.contrib.auth import get_user_model
from django_q.models import OrmQ, Task
from knox.models import get_token_model

from eventstore import shredding, store
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


def personal_values(customer_id: UUID, order_ids: Iterable[UUID]) -> set[str]:
    """Every personal value of the customer's events (decrypted), to scrub from texts."""
    streams = [customer_stream(customer_id), *(f"{ORDER_STREAM_TYPE}-{o}" for o in order_ids)]
    values: set[str] = set()
    for stream in streams:
        for recorded in store.read_stream(stream):
            spec = personal_fields(recorded.event_type)
            if spec is not None:
                for name in spec[1]:
                    values.update(_strings(recorded.data.get(name)))
    # Too short to be told apart from other text (a country code, an empty line2).
    return {value for value in values if len(value) >= 4 and value != shredding.ERASED}


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def scrub(customer_id: UUID, order_ids: Iterable[UUID]) -> None:
    """Everything but the event: run it after ``CustomerForgotten`` is appended."""
    order_ids = list(order_ids)
    _scrub_texts(personal_values(customer_id, order_ids))
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


def _scrub_texts(values: set[str]) -> None:
    """Error texts of every reader of the log (projections and processes alike) lose
    the values; django-q2 task results, arguments
    and queued payloads that quote one are deleted."""
    if not values:
        return
    lowered = [value.lower() for value in values]

    def scrubbed(text: object) -> object:
        if not isinstance(text, str):
            return text
        for value in values:
            text = re.sub(re.escape(value), shredding.ERASED, text, flags=re.IGNORECASE)
        return text

    for model in apps.get_models():
        # Every reader of the log keeps its last failure as text: projections' and
        # processes' state rows alike (found by their fields, not a list).
        fields = [f.name for f in model._meta.fields if f.name in ("error", "error_traceback")]
        if "error" not in fields:
            continue
        for state in model._default_manager.exclude(**dict.fromkeys(fields, "")):
            changes = {name: scrubbed(getattr(state, name)) for name in fields}
            if any(changes[name] != getattr(state, name) for name in fields):
                model._default_manager.filter(pk=state.pk).update(**changes)
    for task in Task.objects.all():
        quoted = repr((task.args, task.kwargs, task.result)).lower()
        if any(value in quoted for value in lowered):
            task.delete()
    for queued in OrmQ.objects.all():
        if any(value in repr(queued.task).lower() for value in lowered):
            queued.delete()
