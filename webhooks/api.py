"""``/api/webhooks/``: staff with the ``webhooks.manage_webhooks`` permission register,
pause, resume, test and delete subscriptions. The secret is made by the server and
shown once, in the 201 of the POST that registers the subscription."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from eventstore import events
from problems import NotFound
from projections.api.schema import problems
from webhooks import dispatch, registration, targets
from webhooks.models import Subscription, with_held_counts

PERMISSION = "webhooks.manage_webhooks"
SUBSCRIPTION_ID = OpenApiParameter("subscription_id", str, OpenApiParameter.PATH)


class CanManageWebhooks(BasePermission):
    message = "managing webhooks needs staff status and the webhooks.manage_webhooks permission"

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff and user.has_perm(PERMISSION))


class SubscriptionIn(serializers.Serializer):
    target_url = serializers.URLField(max_length=2000, help_text="http or https.")
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        default=list,
        max_length=100,
        help_text="Event types to send (empty: every type).",
    )
    stream_types = serializers.ListField(
        child=serializers.RegexField(r"^[a-z][a-z0-9_-]{0,63}$"),
        required=False,
        default=list,
        max_length=100,
        help_text="Stream types to send, e.g. order (empty: every stream type).",
    )
    include_personal = serializers.BooleanField(
        required=False, default=False, help_text="Send personal fields (masked by default)."
    )
    active = serializers.BooleanField(required=False, default=True)
    description = serializers.CharField(
        required=False, default="", max_length=200, allow_blank=True
    )

    def validate_target_url(self, value: str) -> str:
        try:
            targets.check_url(value)
        except targets.TargetRefused as refused:
            raise serializers.ValidationError(str(refused)) from None
        return value

    def validate_event_types(self, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(events.event_types()))
        if unknown:
            raise serializers.ValidationError(f"unknown event types: {', '.join(unknown)}")
        return sorted(set(value))

    def validate_stream_types(self, value: list[str]) -> list[str]:
        return sorted(set(value))


class SubscriptionOut(serializers.Serializer):
    id = serializers.UUIDField()
    target_url = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    stream_types = serializers.ListField(child=serializers.CharField())
    include_personal = serializers.BooleanField()
    active = serializers.BooleanField()
    description = serializers.CharField()
    created_at = serializers.DateTimeField()
    held_streams = serializers.IntegerField(
        help_text="Streams whose next event the target has not taken yet."
    )
    parked = serializers.IntegerField(help_text="Of those, parked on the dead-letter desk.")


class CreatedSubscriptionOut(SubscriptionOut):
    secret = serializers.CharField(
        help_text="The Standard Webhooks signing secret (whsec_...). Shown only here, once."
    )


class QueuedOut(serializers.Serializer):
    status = serializers.ChoiceField(["queued"])


def _counted() -> Any:
    return with_held_counts(Subscription.objects.all())


def _subscription(subscription_id: str) -> Any:
    found = _counted().filter(pk=subscription_id).first()  # a UUID: webhooks/urls.py
    if found is None:
        raise NotFound(f"no webhook subscription {subscription_id}")
    return found


class _WebhooksApi(APIView):
    permission_classes = [CanManageWebhooks]


class WebhookListApi(_WebhooksApi):
    @extend_schema(
        summary="Webhook subscriptions",
        description="Every subscription, oldest first; never their secrets. Staff with the "
        "`webhooks.manage_webhooks` permission.",
        responses={200: SubscriptionOut(many=True), **problems(401, 403)},
        tags=["webhooks"],
    )
    def get(self, request: Request) -> Response:
        return Response(SubscriptionOut(_counted(), many=True).data)

    @extend_schema(
        summary="Register a webhook subscription",
        description="Chronicle POSTs every matching event, from the next one on, to "
        "`target_url`, signed with the Standard Webhooks scheme. The answer holds the "
        "signing secret, shown this once. The target must not resolve to a private, "
        "loopback or link-local address (unless the server allows private targets).",
        request=SubscriptionIn,
        responses={201: CreatedSubscriptionOut, **problems(400, 401, 403)},
        tags=["webhooks"],
    )
    def post(self, request: Request) -> Response:
        incoming = SubscriptionIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        subscription, secret = registration.register(
            **incoming.validated_data, created_by=request.user
        )
        created = _subscription(str(subscription.id))
        body = {**SubscriptionOut(created).data, "secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)


class WebhookDetailApi(_WebhooksApi):
    @extend_schema(
        summary="A webhook subscription",
        description="The subscription and how many of its streams are held or parked.",
        parameters=[SUBSCRIPTION_ID],
        responses={200: SubscriptionOut, **problems(401, 403, 404)},
        tags=["webhooks"],
    )
    def get(self, request: Request, subscription_id: str) -> Response:
        return Response(SubscriptionOut(_subscription(subscription_id)).data)

    @extend_schema(
        summary="Delete a webhook subscription",
        description="Nothing more is sent to it; its held and parked deliveries go with it.",
        parameters=[SUBSCRIPTION_ID],
        responses={204: None, **problems(401, 403, 404)},
        tags=["webhooks"],
    )
    def delete(self, request: Request, subscription_id: str) -> Response:
        subscription = _subscription(subscription_id)
        registration.delete(subscription)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _SwitchApi(_WebhooksApi):
    active: bool

    def post(self, request: Request, subscription_id: str) -> Response:
        registration.switch(_subscription(subscription_id), active=self.active)
        return Response(SubscriptionOut(_subscription(subscription_id)).data)


def _switch_schema(summary: str, description: str) -> Any:
    return extend_schema(
        summary=summary,
        description=description,
        parameters=[SUBSCRIPTION_ID],
        request=None,
        responses={200: SubscriptionOut, **problems(401, 403, 404)},
        tags=["webhooks"],
    )


@extend_schema_view(
    post=_switch_schema(
        "Pause a webhook subscription",
        "Nothing is sent until it is resumed; it keeps its place in the log.",
    )
)
class WebhookPauseApi(_SwitchApi):
    active = False


@extend_schema_view(
    post=_switch_schema(
        "Resume a webhook subscription",
        "Delivery goes on from where it stopped: every event since is sent.",
    )
)
class WebhookResumeApi(_SwitchApi):
    active = True


class WebhookTestApi(_WebhooksApi):
    @extend_schema(
        summary="Send a webhook subscription a test message",
        description="Queues a signed `webhook.ping` message to the target (outside the log; "
        "it is sent once, not retried).",
        parameters=[SUBSCRIPTION_ID],
        request=None,
        responses={202: QueuedOut, **problems(401, 403, 404)},
        tags=["webhooks"],
    )
    def post(self, request: Request, subscription_id: str) -> Response:
        subscription = _subscription(subscription_id)
        transaction.on_commit(lambda: dispatch.run("webhooks.tasks.ping", str(subscription.pk)))
        return Response({"status": "queued"}, status=status.HTTP_202_ACCEPTED)
