"""``python -m bench``: parse options, set up a throwaway database, run, print.

See the ``bench`` package docstring for usage. Django is imported only after the
environment points its settings at the throwaway database, so no connection to
the developer's database is ever opened by Django.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import bench
from bench import render

# name -> module with run(options) -> list[Row]; a new benchmark is one more line.
BENCHMARKS = {
    "archive": "bench.archive_bench",
    "eventstore": "bench.eventstore_bench",
    "http": "bench.http_bench",
    "projections": "bench.projections_bench",
}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=bench.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--only", action="append", choices=sorted(BENCHMARKS), help="run only this benchmark"
    )
    parser.add_argument("--orders", type=int, default=2000, help="orders of 4 events (2000)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions; medians (3)")
    parser.add_argument(
        "--events", type=int, default=100_000, help="events of the projections' history (100,000)"
    )
    parser.add_argument(
        "--rss-factor",
        type=int,
        default=3,
        help="the projections' second peak-RSS rebuild runs on this many times the history "
        "(3; 0 skips it)",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    options = parse(argv)
    # Production settings: with DEBUG on, Django also logs every query in memory.
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "chronicle-bench-throwaway-key")
    # The email claims' key derives from it; base64 of "chronicle-bench-throwaway-key-32".
    os.environ.setdefault("CHRONICLE_INTEGRITY_KEY", "Y2hyb25pY2xlLWJlbmNoLXRocm93YXdheS1rZXktMzI=")
    # Wraps the customers' data keys: personal fields are encrypted as in production.
    os.environ.setdefault(
        "CHRONICLE_KEY_ENCRYPTION_KEY", "Y2hyb25pY2xlLWJlbmNoLXRocm93YXdheS1rZXktMzI="
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Archive segments and seal records of the throwaway database: throwaway too.
    files = tempfile.mkdtemp(prefix="chronicle-bench-")
    os.environ.setdefault("CHRONICLE_ARCHIVE_DIR", os.path.join(files, "archive"))
    os.environ.setdefault("CHRONICLE_SEAL_RECORDS_DIR", os.path.join(files, "seals"))
    # Installs bench/baseline, the plain endpoint the HTTP benchmark compares with.
    os.environ["CHRONICLE_BENCH"] = "1"
    with throwaway_database() as where:
        import django

        django.setup()
        names = options.only or sorted(BENCHMARKS)
        modules = [importlib.import_module(BENCHMARKS[name]) for name in names]
        migrate(modules)
        print(header(where, options))
        for name, module in zip(names, modules, strict=True):
            print(f"\n[{name}]\n{render(module.run(options), judge=postgres())}")


def migrate(modules: list[Any]) -> None:
    """Migrate the app labels the benchmarks list in ``MIGRATE``; all apps if one has none.

    A benchmark that names its apps stays runnable while another app's migrations
    are being reworked.
    """
    from django.core.management import call_command

    wanted: list[tuple[str, ...] | None] = [getattr(m, "MIGRATE", None) for m in modules]
    labels = {label for apps in wanted if apps is not None for label in apps}
    if None in wanted or not labels:
        call_command("migrate", verbosity=0, interactive=False)
        return
    for label in sorted(labels):
        call_command("migrate", label, verbosity=0, interactive=False)


def header(where: str, options: argparse.Namespace) -> str:
    from django.db import connection

    # The machine may be shared: the load says how far to trust the figures.
    load = os.getloadavg()[0]
    return (
        f"Chronicle benchmarks on {connection.vendor} ({where}): {options.orders} orders, "
        f"medians of {options.repeat}; load average {load:.1f} on {os.cpu_count()} CPUs"
    )


def postgres() -> bool:
    from django.db import connection

    # The targets are set for PostgreSQL; elsewhere they are shown, not judged.
    return connection.vendor == "postgresql"


@contextmanager
def throwaway_database() -> Iterator[str]:
    """Point the settings' environment at a fresh database; remove it afterwards."""
    url = os.environ.get("DATABASE_URL") or ""
    if url.startswith(("postgres://", "postgresql://")):
        with _postgres_database(url) as name:
            yield name
    elif not url or url.startswith("sqlite:"):
        with _sqlite_file() as path:
            yield path
    else:
        raise SystemExit(f"bench runs on PostgreSQL or SQLite, not {url.split(':')[0]}")


@contextmanager
def _postgres_database(url: str) -> Iterator[str]:
    from psycopg import sql

    name = f"chronicle_bench_{os.getpid()}"
    parts = urlsplit(url)
    with _maintenance(parts.geturl()) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    try:
        yield name
    finally:
        _close_django_connections()
        # FORCE ends sessions a crashed writer thread may have left behind.
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        with _maintenance(parts.geturl()) as admin:
            admin.execute(drop)


@contextmanager
def _maintenance(url: str) -> Iterator[Any]:
    """An autocommit connection to the ``postgres`` database, else the configured one."""
    import psycopg

    try:
        conn = psycopg.connect(
            urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True
        )
    except psycopg.OperationalError:
        conn = psycopg.connect(url, autocommit=True)
    with conn:
        yield conn


@contextmanager
def _sqlite_file() -> Iterator[str]:
    directory = tempfile.mkdtemp(prefix="chronicle_bench_")
    os.environ.pop("DATABASE_URL", None)
    os.environ["SQLITE_PATH"] = path = os.path.join(directory, "bench.sqlite3")
    try:
        yield path
    finally:
        _close_django_connections()
        shutil.rmtree(directory, ignore_errors=True)


def _close_django_connections() -> None:
    if "eventstore.after_commit" in sys.modules:
        from eventstore import after_commit

        # Wake-ups still due run while their database is there, then its thread lets
        # go of its connections.
        after_commit.background.wait_idle()
        after_commit.background.release()
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()


if __name__ == "__main__":
    main(sys.argv[1:])
