"""Webhook subscriptions in the admin: staff with ``webhooks.manage_webhooks`` register,
pause, resume and delete them; the secret shows once, on the page after the add.
Held and parked deliveries are on the dead-letter desk (Projection health)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from webhooks import registration
from webhooks.api import PERMISSION, SubscriptionIn
from webhooks.models import Subscription, with_held_counts

FIELDS = ("target_url", "event_types", "stream_types", "include_personal", "active", "description")


class SubscriptionForm(forms.ModelForm):
    target_url = forms.URLField(max_length=2000, assume_scheme="https")

    class Meta:
        model = Subscription
        fields = FIELDS
        help_texts = {
            "event_types": 'A JSON list of event types, e.g. ["OrderPaid"]; [] for every type.',
            "stream_types": 'A JSON list of stream types, e.g. ["order"]; [] for every type.',
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        checked = SubscriptionIn(data={k: v for k, v in cleaned.items() if v is not None})
        if not checked.is_valid():
            for field, errors in checked.errors.items():
                self.add_error(field if field in FIELDS else None, [str(e) for e in errors])
            return cleaned
        cleaned.update(checked.validated_data)
        return cleaned


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("target_url", "active", "wanted", "personal", "held", "parked")
    list_filter = ("active", "include_personal")
    readonly_fields = ("id", "created_at", "created_by")
    actions = ["pause", "resume"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Subscription]:
        return with_held_counts(super().get_queryset(request))

    @admin.display(description="Sends")
    def wanted(self, subscription: Subscription) -> str:
        kinds = ", ".join(subscription.event_types) or "every event type"
        streams = ", ".join(subscription.stream_types)
        return f"{kinds} of {streams} streams" if streams else kinds

    @admin.display(description="Personal fields", boolean=True, ordering="include_personal")
    def personal(self, subscription: Subscription) -> bool:
        return subscription.include_personal

    @admin.display(description="Held streams", ordering="held_streams")
    def held(self, subscription: Any) -> int:
        return subscription.held_streams

    @admin.display(description="Parked", ordering="parked")
    def parked(self, subscription: Any) -> int:
        return subscription.parked

    def save_model(self, request: HttpRequest, obj: Subscription, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            registration.switch(obj, active=obj.active)
            return
        fields = {name: form.cleaned_data[name] for name in FIELDS}
        created, secret = registration.register(**fields, created_by=request.user)
        obj.pk, obj.sealed_secret, obj._state.adding = created.pk, created.sealed_secret, False
        messages.warning(
            request,
            f"The signing secret of this subscription, shown this once: {secret} "
            "(copy it now; the receiver verifies signatures with it).",
        )

    def delete_model(self, request: HttpRequest, obj: Subscription) -> None:
        registration.delete(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        for subscription in queryset:
            registration.delete(subscription)

    @admin.action(description="Pause the selected subscriptions")
    def pause(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        for subscription in queryset:
            registration.switch(subscription, active=False)
        messages.success(request, f"Paused {len(queryset)} subscriptions.")

    @admin.action(description="Resume the selected subscriptions")
    def resume(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        for subscription in queryset:
            registration.switch(subscription, active=True)
        messages.success(request, f"Resumed {len(queryset)} subscriptions.")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PERMISSION)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(PERMISSION)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PERMISSION)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(PERMISSION)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(PERMISSION)
