"""OpenAPI: how ``accounts.tokens.TokenAuthentication`` reads in the schema (drf-spectacular
describes knox's own class, not subclasses of it)."""

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme


class TokenScheme(KnoxTokenScheme):
    target_class = "accounts.tokens.TokenAuthentication"
    name = "tokenAuth"
