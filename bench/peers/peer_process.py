"""The peer in its own process and virtualenv, on a database of its own.

``peer_database`` gives the peer an empty database beside Chronicle's (PostgreSQL:
``chronicle_peer_<pid>`` on the same server, dropped afterwards; SQLite: a file in
its own temporary directory) as the environment the library reads. ``PeerProcess``
runs ``bench/peers/peer.py`` with the venv's interpreter and exchanges JSON lines.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from bench.peers.workloads import KEYS

HERE = Path(__file__).resolve().parent
PYTHON = HERE / ".venv" / "bin" / "python"


@contextmanager
def peer_database(server_url: str | None) -> Iterator[dict[str, str]]:
    """The library's environment for a fresh database (``server_url``: PostgreSQL)."""
    if server_url is None:
        directory = tempfile.mkdtemp(prefix="chronicle_peer_")
        try:
            path = os.path.join(directory, "peer.sqlite3")
            yield {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path}
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    from psycopg import sql

    from bench.__main__ import _maintenance

    name, parts = f"chronicle_peer_{os.getpid()}", urlsplit(server_url)
    with _maintenance(server_url) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": name,
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
        }
    finally:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        with _maintenance(server_url) as admin:
            admin.execute(drop)


class PeerProcess:
    """``peer.py`` under the peer's interpreter; one request line, one answer line."""

    def __init__(self, env: dict[str, str], python: Path = PYTHON) -> None:
        if not python.exists():
            raise SystemExit(f"no peer virtualenv at {python.parent.parent}: run make bench-peers")
        # Only what the library reads, plus PATH: nothing of Chronicle's settings.
        clean = {"PATH": os.environ.get("PATH", ""), **env}
        self.process = subprocess.Popen(
            [str(python), str(HERE / "peer.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=clean,
        )
        self.hello = self._answer()

    def describe(self) -> str:
        return f"{self.hello['library']} {self.hello['version']}"

    def __call__(self, number: int, orders: int) -> dict[str, float]:
        stdin: IO[str] = self.process.stdin  # type: ignore[assignment]
        stdin.write(json.dumps({"round": number, "orders": orders}) + "\n")
        stdin.flush()
        figures = self._answer()
        missing = set(KEYS) - set(figures)
        if missing:
            raise RuntimeError(f"the peer gave no figure for {sorted(missing)}")
        return figures

    def _answer(self) -> Any:
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line:
            code = self.process.wait()
            raise RuntimeError(f"the peer's process ended (exit {code}); its error is above")
        return json.loads(line)

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(30)
