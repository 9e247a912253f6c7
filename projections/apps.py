from django.apps import AppConfig


class ProjectionsConfig(AppConfig):
    name = "projections"
    verbose_name = "Read models"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from orders.fulfillment import process_manager
        from projections import handlers, subscribers  # noqa: F401  (registers the projections)

        subscribers.register(process_manager)
