from django.apps import AppConfig


class BaselineConfig(AppConfig):
    """The plainest Django write, as the HTTP benchmark's baseline. Installed only
    when CHRONICLE_BENCH is set; never part of the product."""

    name = "bench.baseline"
    label = "bench_baseline"
    default_auto_field = "django.db.models.BigAutoField"
