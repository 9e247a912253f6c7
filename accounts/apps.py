from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Logins"

    def ready(self) -> None:
        from accounts import schema, tokens, usernames  # noqa: F401 (receivers, extension)
