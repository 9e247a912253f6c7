"""``/api/webhooks/`` routes; ids must be UUIDs, anything else falls through to the
API's problem+json 404 (as in projections/api/urls.py)."""

from django.urls import re_path

from projections.api.urls import UUID
from webhooks import api


def subscription(tail: str) -> str:
    return rf"^api/webhooks/(?P<subscription_id>{UUID}){tail}$"


urlpatterns = [
    re_path(r"^api/webhooks/$", api.WebhookListApi.as_view(), name="webhooks"),
    re_path(subscription(""), api.WebhookDetailApi.as_view(), name="webhook"),
    re_path(subscription("/pause"), api.WebhookPauseApi.as_view(), name="webhook-pause"),
    re_path(subscription("/resume"), api.WebhookResumeApi.as_view(), name="webhook-resume"),
    re_path(subscription("/test"), api.WebhookTestApi.as_view(), name="webhook-test"),
]
