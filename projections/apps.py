from django.apps import AppConfig


class ProjectionsConfig(AppConfig):
    name = "projections"
    verbose_name = "Read models"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from projections.engine import dispatch

        # Each django-q2 worker process, as it starts, catches up what a dead one left.
        post_spawn.connect(dispatch.recover, dispatch_uid="projections.dispatch.recover")
