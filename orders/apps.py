from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders (write side)"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        # Registers the event classes and upcasters under their stable names.
        from orders import archiving, events  # noqa: F401
        from orders.api import errors
        from orders.processes import dispatch, runner
        from orders.processes.fulfillment import process_manager

        errors.register()
        archiving.register()
        runner.register(process_manager)
        # Each django-q2 worker process, as it starts, catches up what a dead one left.
        post_spawn.connect(dispatch.recover, dispatch_uid="orders.processes.dispatch.recover")
