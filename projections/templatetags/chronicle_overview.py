"""``{% chronicle_overview as overview %}``: the admin index overview
(``projections.admin.overview``)."""

from __future__ import annotations

from typing import Any

from django import template

from projections.admin.overview import Overview

register = template.Library()


@register.simple_tag(takes_context=True)
def chronicle_overview(context: dict[str, Any]) -> Overview:
    return Overview(context["request"].user)
