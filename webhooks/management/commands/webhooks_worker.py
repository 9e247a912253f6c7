"""Run the webhooks' own django-q2 cluster: ``qcluster`` under ``Q_CLUSTER_NAME=webhooks``.

django-q2 reads the cluster's name from the environment as it loads its settings, so
the command starts ``manage.py qcluster`` again in its place with that name set; the
cluster's options are ``Q_CLUSTER["ALT_CLUSTERS"]["webhooks"]`` (config/settings.py).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand

from webhooks.dispatch import CLUSTER


class Command(BaseCommand):
    help = "Run the django-q2 cluster that delivers webhooks (beside the main qcluster)."

    def handle(self, *args: Any, **options: Any) -> None:
        environment = {**os.environ, "Q_CLUSTER_NAME": CLUSTER}
        manage = os.path.abspath(sys.argv[0])
        os.execve(sys.executable, [sys.executable, manage, "qcluster"], environment)
