"""The staff admin's site: Chronicle's sections first on the index and in the sidebar.

The event store, then the read models, then projection health (the projection states'
list is the health page, so it gets a section of its own); django-q2's tasks, logins,
tokens and lockouts follow, in Django's alphabetical order.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest

FIRST = ("eventstore", "projections", "projection_health", "orders", "webhooks")
HEALTH = "projectionstate"


class ChronicleAdminSite(admin.AdminSite):
    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        apps = []
        for app in super().get_app_list(request, app_label):
            apps.append(app)
            if app["app_label"] != "projections":
                continue
            health = [m for m in app["models"] if m["object_name"].lower() == HEALTH]
            if health:
                app["models"] = [m for m in app["models"] if m not in health]
                health[0]["name"] = "Projection health"
                apps.append(health_section(app, health))
        apps = [app for app in apps if app["models"]]
        return sorted(apps, key=lambda app: _rank(app.get("section", app["app_label"])))


def health_section(read_models: dict[str, Any], models: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        **read_models,
        "name": "Projection health",
        "section": "projection_health",
        "app_url": models[0].get("admin_url") or read_models["app_url"],
        "models": models,
    }


def _rank(section: str) -> int:
    return FIRST.index(section) if section in FIRST else len(FIRST)


class ChronicleAdminConfig(AdminConfig):
    default_site = "config.admin_site.ChronicleAdminSite"
