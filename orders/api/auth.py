"""POST /api/auth/token/: trade a username and password for an API token."""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from orders.api.commanding import PROBLEM_JSON
from orders.api.fields import StrictCharField
from orders.api.serializers import ProblemSerializer
from problems import Problem


class TokenInput(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=128, trim_whitespace=False)


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()


class AuthTokenApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth_token"

    @extend_schema(
        request=TokenInput,
        responses={
            200: TokenOutput,
            (400, PROBLEM_JSON): OpenApiResponse(ProblemSerializer),
            (415, PROBLEM_JSON): OpenApiResponse(ProblemSerializer),
            (429, PROBLEM_JSON): OpenApiResponse(ProblemSerializer),
        },
        tags=["auth"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request._request, **data.validated_data)
        if user is None:
            raise Problem(
                "wrong username or password",
                code="invalid_credentials",
                title="Invalid credentials",
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
