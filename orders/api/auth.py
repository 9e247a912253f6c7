"""API tokens: ``POST /api/auth/token/`` trades a username and password for a token of
its own with an expiry; ``/api/auth/logout/`` revokes the token used,
``/api/auth/logout-all/`` every token of its user (204 both).

Failed logins count per username and per client address (``accounts.lockout``);
past the limit a login answers 429 with ``Retry-After``, right password or not.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox import views as knox
from knox.models import get_token_model
from rest_framework import serializers
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import lockout, tokens
from accounts.client_address import client_ip
from accounts.tokens import TokenAuthentication
from orders.api.commanding import PROBLEM_JSON
from orders.api.fields import StrictCharField
from problems import Problem
from problems.schema import ProblemSerializer

_PROBLEM = OpenApiResponse(ProblemSerializer)


class TokenInput(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=128, trim_whitespace=False)


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField(help_text="The token is refused from then on.")


class AuthTokenApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Log in: trade a username and password for a token",
        description="Answers a token of its own for this login, with its expiry; send it as "
        "`Authorization: Token <token>`. A wrong username or password is 400 "
        "`invalid_credentials`; after repeated failures for a username or from an address, "
        "429 `throttled` with Retry-After, right password or not.",
        request=TokenInput,
        responses={
            200: TokenOutput,
            (400, PROBLEM_JSON): _PROBLEM,
            (415, PROBLEM_JSON): _PROBLEM,
            (429, PROBLEM_JSON): OpenApiResponse(
                ProblemSerializer, description="Locked out; Retry-After says for how long."
            ),
        },
        tags=["auth"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        credentials = data.validated_data
        http_request = request._request  # what axes and the auth signals expect
        with lockout.login_lock(credentials["username"], client_ip(http_request)):
            user = authenticate(http_request, **credentials)
            if user is not None:
                tokens.clear_expired(user)
                token, key = get_token_model().objects.create(user=user)
                user_logged_in.send(sender=type(user), request=http_request, user=user)
        if lockout.is_locked_out(http_request):
            wait = lockout.seconds_until_unlocked(http_request, credentials)
            raise Throttled(wait, "too many failed logins; try again later")
        if user is None:
            raise Problem(
                "wrong username or password",
                code="invalid_credentials",
                title="Invalid credentials",
            )
        return Response(TokenOutput({"token": key, "expiry": token.expiry}).data)


def _logout(summary: str, description: str) -> Any:
    return extend_schema(
        summary=summary,
        description=description,
        request=None,
        responses={
            204: OpenApiResponse(description="Revoked."),
            (401, PROBLEM_JSON): _PROBLEM,
        },
        tags=["auth"],
    )


class LogoutApi(knox.LogoutView):
    """Revokes the token the request authenticated with (a session cannot log out here)."""

    authentication_classes = [TokenAuthentication]

    @_logout(
        "Log out: revoke this token",
        "Revokes the token the request authenticated with; the user's other tokens stay "
        "valid. 204 without a body.",
    )
    def post(self, request: Request, format: str | None = None) -> Response:
        return super().post(request, format)


class LogoutAllApi(knox.LogoutAllView):
    """Revokes every token of the user the request authenticated as."""

    authentication_classes = [TokenAuthentication]

    @_logout(
        "Log out everywhere: revoke every token of this user",
        "Revokes every token of the user the request authenticated as, this one included. "
        "204 without a body.",
    )
    def post(self, request: Request, format: str | None = None) -> Response:
        return super().post(request, format)
