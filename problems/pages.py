"""``/problems/<code>``: the page a problem document's ``type`` names, one per entry of
``problems.catalogue`` (status, meaning, what to do), and ``/problems/``, all of them.
A code that is not in the catalogue is a 404."""

from __future__ import annotations

import re

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from problems.catalogue import BY_CODE, CATALOGUE


@require_safe
def problem_index(request: HttpRequest) -> HttpResponse:
    return render(request, "problems/index.html", {"problems": CATALOGUE})


@require_safe
def problem_page(request: HttpRequest, code: str) -> HttpResponse:
    entry = BY_CODE.get(code)
    if entry is None:
        raise Http404(f"no problem type {code!r}")
    context = {"problem": entry, "meaning": _html(entry.meaning), "remedy": _html(entry.remedy)}
    return render(request, "problems/problem.html", context)


def _html(text: str) -> SafeString:
    """The catalogue's text, escaped, with `backticks` as <code>."""
    return mark_safe(re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text)))  # noqa: S308
