#!/usr/bin/env python
"""Chronicle's command-line entry point."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    from config import tracing

    tracing.configure()  # runserver, and django-q2's workers (qcluster)

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
