"""A trailing slash is optional on every API path, without redirects: a path that
does not resolve is retried with its trailing slash toggled."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve


class OptionalTrailingSlashMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith("/api/") and not _resolves(path):
            toggled = path[:-1] if path.endswith("/") else path + "/"
            if _resolves(toggled):
                request.path_info = toggled
        return self.get_response(request)


def _resolves(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.url_name != "api-not-found"
