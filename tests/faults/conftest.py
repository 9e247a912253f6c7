"""The webhook receiver of tests/webhooks, for the webhooks' fault tests."""

from tests.webhooks.conftest import receiver  # noqa: F401  (a fixture)
