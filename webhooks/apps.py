from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from orders.processes import runner
        from webhooks import delivery, dispatch

        runner.provide(delivery.subscribers)
        post_spawn.connect(dispatch.recover, dispatch_uid="webhooks.dispatch.recover")
