"""``python -m bench.peers``: parse options, set up both databases, run the rounds, print.

See the ``bench.peers`` package docstring. Django is set up only once the
environment points at Chronicle's throwaway database; the peer's process gets an
environment of its own and never sees Chronicle's settings.
"""

from __future__ import annotations

import argparse
import os
import sys

import bench.peers
from bench.__main__ import throwaway_database
from bench.peers import report
from bench.peers.peer_process import PeerProcess, peer_database
from bench.peers.rounds import run_rounds, verdicts
from bench.peers.workloads import WORKLOADS


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.peers",
        description=bench.peers.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each side (5)")
    parser.add_argument(
        "--orders", type=int, default=500, help="orders per round of (a), (b) and (d) (500)"
    )
    parser.add_argument(
        "--max-load",
        type=float,
        default=2.0,
        help="a round due to start above this 1-minute load average waits and reruns (2)",
    )
    parser.add_argument(
        "--max-reruns", type=int, default=5, help="reruns allowed in the whole run (5)"
    )
    parser.add_argument("--pause", type=float, default=20, help="seconds before a rerun (20)")
    options = parser.parse_args(argv)
    if options.rounds < 1 or options.orders < 4:
        parser.error("--rounds must be at least 1 and --orders at least 4")
    return options


def main(argv: list[str]) -> None:
    options = parse(argv)
    os.environ["DEBUG"] = "0"  # as in production: with it on, Django logs every query
    os.environ.setdefault("SECRET_KEY", "chronicle-bench-throwaway-key")
    # The email claims' key derives from it; base64 of "chronicle-bench-throwaway-key-32".
    os.environ.setdefault("CHRONICLE_INTEGRITY_KEY", "Y2hyb25pY2xlLWJlbmNoLXRocm93YXdheS1rZXktMzI=")
    # Wraps the customers' data keys: personal fields are encrypted as in production.
    os.environ.setdefault(
        "CHRONICLE_KEY_ENCRYPTION_KEY", "Y2hyb25pY2xlLWJlbmNoLXRocm93YXdheS1rZXktMzI="
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # not one line per enqueued wake
    url = os.environ.get("DATABASE_URL") or ""
    server = url if url.startswith(("postgres://", "postgresql://")) else None
    with throwaway_database() as where, peer_database(server) as peer_env:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        run(options, where, PeerProcess(peer_env), postgres=server is not None)


def run(options: argparse.Namespace, where: str, peer: PeerProcess, *, postgres: bool) -> None:
    from bench.peers import raw
    from bench.peers.chronicle import ChronicleSide

    chronicle = ChronicleSide()
    try:
        rounds = run_rounds(
            options.rounds,
            lambda n: chronicle(n, options.orders),
            lambda n: peer(n, options.orders),
            max_load=options.max_load,
            max_reruns=options.max_reruns,
            pause=options.pause,
        )
        baselines = raw.run(options.orders)
        statements = chronicle.statements()
    finally:
        peer.close()
        chronicle.close()
    from django.conf import settings

    backend = "PostgreSQL" if postgres else "SQLite"
    print(
        f"\nChronicle and {peer.describe()} side by side on {backend} (Chronicle: {where}; "
        f"the peer: a database of its own): {options.rounds} round(s) of {options.orders} orders, "
        f"on {os.cpu_count()} CPUs" + ("" if postgres else "; the targets are PostgreSQL's")
    )
    print(report.ratios(verdicts(WORKLOADS, rounds), rounds))
    print(report.figures(rounds, peer.describe()))
    print(report.raw(baselines, postgres=postgres))
    print(
        "SQL statements on the command's connection (BEGIN and COMMIT aside; after-commit "
        "work included, the wake-ups "
        + (
            "on their background thread"
            if settings.EVENTSTORE_AFTER_COMMIT_IN_BACKGROUND
            else "in the committing thread"
        )
        + "): "
        + ", ".join(f"{name} {count}" for name, count in statements.items())
    )


if __name__ == "__main__":
    main(sys.argv[1:])
