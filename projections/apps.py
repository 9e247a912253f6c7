from django.apps import AppConfig


class ProjectionsConfig(AppConfig):
    name = "projections"
    verbose_name = "Read models"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from orders.fulfillment import process_manager
        from projections.engine import subscribers

        subscribers.register(process_manager)
