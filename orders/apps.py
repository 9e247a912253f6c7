from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders (write side)"

    def ready(self) -> None:
        # Registers the event classes and upcasters under their stable names.
        from orders import events  # noqa: F401
        from orders.api import errors

        errors.register()
