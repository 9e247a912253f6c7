"""PostgreSQL restarted under load: commands fail cleanly, then everything recovers.

The test starts a PostgreSQL cluster of its own (initdb and pg_ctl on a free port in
a temporary directory, as the ``postgres`` OS user when run as root, since initdb
refuses root), never the machine's shared server. Chronicle runs on it under
gunicorn, with persistent connections (``CONN_MAX_AGE``) so that Django's connection
health checks are what recovers them, and one django-q2 cluster. Client threads send
commands while the database is stopped ("fast": every session is cut) and started
again. Then:

- every answer is a success or a 503 ``application/problem+json`` with the code
  ``database_unavailable``: no 500, no dropped connection, and some 503s happened;
- commands succeed again after the restart, with no manual step, and the worker
  projects them: a read with ``min_position`` of a command sent after the restart
  sees it. The projection may stall for up to ``dispatch.STALE_AFTER`` (30 s): the
  catch-up tasks of the outage failed, and the wake-up claimed before it counts as
  pending until it goes stale (or the every-minute sweep runs);
- nothing is half-written: every command's events are all there or none is (a 2xx
  command's all are), no stream has a hole, and the read models equal a rebuild.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from uuid import uuid4

import pytest

from tests.faults import processes

pytestmark = [pytest.mark.postgres]

PG_BIN = Path(os.environ.get("FAULTS_PG_BIN", "/usr/lib/postgresql/15/bin"))
CLIENTS = 3
UP_BEFORE, DOWN_FOR = 2.0, 3.0  # seconds
RECOVERY_SECONDS = 45  # dispatch.STALE_AFTER (30 s) and some
ADDRESS = {"line1": "1 Restart St", "city": "Ghent", "postal_code": "9000", "country": "BE"}
# Production settings need the integrity key too: base64 of "chronicle-fault-throwaway-key-32".
THROWAWAY_INTEGRITY_KEY = "Y2hyb25pY2xlLWZhdWx0LXRocm93YXdheS1rZXktMzI="
EXPECTED = {"CreateOrder": ["OrderCreated"], "PayOrder": ["OrderPaid"]}


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on 127.0.0.1:``port``, data in ``directory``."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory, self.port = directory, port
        self.data, self.log = directory / "data", directory / "postgres.log"

    def run(self, *command: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_postgres, *command], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self.run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                 "--no-sync", "-E", "UTF8")  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                 "-o", options, "-w", "-t", "30", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture
def private_postgres():
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"needs PostgreSQL's binaries in {PG_BIN} (FAULTS_PG_BIN)")
    directory = Path(tempfile.mkdtemp(prefix="chronicle-faults-pg-"))
    cluster = PrivatePostgres(directory, processes.free_port())
    try:
        cluster.init()
        cluster.start()
        import psycopg

        with psycopg.connect(cluster.url(), autocommit=True) as admin:
            admin.execute("CREATE DATABASE chronicle")
        yield cluster
    finally:
        try:
            cluster.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # not running
        shutil.rmtree(directory, ignore_errors=True)


def helper(action: str, env: dict[str, str]) -> dict:
    """Run ``tests.faults.private_db`` against the private database; its JSON answer."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.faults.private_db", action],
        cwd=processes.ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@dataclass
class Answer:
    command: str
    correlation: str
    status: int  # 0: the connection failed
    at: float
    body: dict = field(default_factory=dict)
    content_type: str = ""


class Client(threading.Thread):
    """Creates orders and pays them until told to stop; records every answer."""

    def __init__(self, port: int, seed: dict[str, str], stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.seed, self.stop = port, seed, stop
        self.answers: list[Answer] = []

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        items = [{"product_id": self.seed["product"], "quantity": 1}]
        body = {"customer_id": self.seed["customer"], "items": items, "shipping_address": ADDRESS}
        while not self.stop.is_set():
            created = self.send(connection, "CreateOrder", "/api/orders/", body)
            if created.status == 201:
                path = f"/api/orders/{created.body['id']}/pay"
                self.send(connection, "PayOrder", path, {"payment_id": uuid4().hex})
            else:
                time.sleep(0.05)

    def send(self, connection, command: str, path: str, body: dict) -> Answer:
        correlation = str(uuid4())
        headers = {
            "Authorization": f"Token {self.seed['token']}",
            "Content-Type": "application/json",
            "X-Correlation-ID": correlation,
        }
        answer = Answer(command, correlation, 0, time.monotonic())
        try:
            connection.request("POST", path, json.dumps(body), headers)
            response = connection.getresponse()
            raw = response.read()
            answer.status, answer.content_type = response.status, response.getheader("Content-Type")
            answer.body = json.loads(raw or b"{}")
        except (OSError, http.client.HTTPException, ValueError):
            connection.close()
        self.answers.append(answer)
        return answer


def test_a_database_restart_under_load_fails_commands_cleanly_and_recovers(
    private_postgres, tmp_path
):
    url = private_postgres.url("chronicle")
    env = processes.environment(url, CONN_MAX_AGE="60", DEBUG="0", SECURE_SSL_REDIRECT="0",
                                SECRET_KEY="chronicle-faults-throwaway-key",
                                CHRONICLE_INTEGRITY_KEY=THROWAWAY_INTEGRITY_KEY,
                                CHRONICLE_KEY_ENCRYPTION_KEY=THROWAWAY_INTEGRITY_KEY)  # fmt: skip
    seed = helper("seed", env)
    port = processes.free_port()
    web = processes.gunicorn(env, port, tmp_path / "gunicorn.log", workers=1)
    worker = processes.qcluster(env, tmp_path / "qcluster.log")
    # A restart hits a running cluster (one starting while the database is down exits).
    processes.wait_until_running(worker)
    stop = threading.Event()
    clients = [Client(port, seed, stop) for _ in range(CLIENTS)]
    try:
        for client in clients:
            client.start()
        time.sleep(UP_BEFORE)
        down_at = time.monotonic()
        private_postgres.stop("fast")
        time.sleep(DOWN_FOR)
        private_postgres.start()
        up_at = time.monotonic()
        projected_at = _first_write_read_back(port, seed["token"], clients, after=up_at)
        stop.set()
        for client in clients:
            client.join(30)
        answers = [answer for client in clients for answer in client.answers]
        assert web.alive() and worker.alive(), worker.output()
        settled = helper("settle", env)
    finally:
        stop.set()
        web.stop()
        worker.stop()
    logs = f"{web.output()}\n{worker.output()}"
    checked = helper("verify", env)

    statuses = Counter(answer.status for answer in answers)
    assert set(statuses) <= {200, 201, 503}, (statuses, logs)
    unavailable = [a for a in answers if a.status == 503]
    assert unavailable, f"the restart was never noticed: {statuses}"
    assert all(
        a.content_type == "application/problem+json" and a.body["code"] == "database_unavailable"
        for a in unavailable
    )
    assert any(a.status == 503 and a.at >= down_at for a in answers)
    served_at = min((a.at for a in answers if a.status < 300 and a.at > up_at), default=None)
    assert served_at is not None, "no command succeeded after the restart"
    assert projected_at is not None, f"nothing sent after the restart was projected\n{logs}"
    print(f"after the restart: commands served in {served_at - up_at:.1f} s, "
          f"projected in {projected_at - up_at:.1f} s")  # fmt: skip

    assert settled["projections_caught_up"], (settled["checkpoints"], logs)
    assert checked["broken_streams"] == 0
    for answer in answers:
        stored = checked["events_by_command"].get(f"{answer.correlation} {answer.command}", [])
        if answer.status < 300:
            assert stored == EXPECTED[answer.command], answer
        else:
            assert stored in ([], EXPECTED[answer.command]), answer  # all or nothing
    assert checked["read_model_rows"] > 0
    assert checked["read_model_differences"] == {}


def _first_write_read_back(port: int, token: str, clients: list[Client], after: float):
    """When a read with ``min_position`` first saw an order created after ``after``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    deadline = time.monotonic() + RECOVERY_SECONDS
    while time.monotonic() < deadline:
        created = [
            a.body for client in clients for a in list(client.answers)
            if a.command == "CreateOrder" and a.status == 201 and a.at > after
        ]  # fmt: skip
        if created:
            path = f"/api/orders/{created[-1]['id']}?min_position={created[-1]['position']}"
            connection.request("GET", path, headers={"Authorization": f"Token {token}"})
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                return time.monotonic()
        time.sleep(0.5)
    return None
