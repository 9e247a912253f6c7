"""The first run, from outside: `make run`'s scripts/serve.sh and a management
command's progress written to a pipe, each in processes of their own on a SQLite file.

Whatever DATABASE_URL the suite runs on, these run on a temporary SQLite file, the
embedded default a newcomer's `make run` uses."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BANNER_END = "Stop      Ctrl-C stops the web server and the workers"
START_UP_SECONDS = 60


@pytest.fixture(scope="module")
def sqlite_env(tmp_path_factory) -> dict[str, str]:
    """The environment of a fresh checkout's `make run`: a migrated SQLite file with
    a small demo history."""
    path = tmp_path_factory.mktemp("first-run") / "chronicle.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DEMO_"))}
    env.update(SQLITE_PATH=str(path), PYTHONUNBUFFERED="1")
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo", "--orders", "6", "--customers", "2")
    return env


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_progress_written_to_a_pipe_is_one_line_per_update(sqlite_env):
    rebuild = subprocess.run(
        [sys.executable, "manage.py", "rebuild_projections", "order_list", "--batch-size", "10"],
        cwd=ROOT,
        env=sqlite_env,
        capture_output=True,  # stdout is a pipe, as in `rebuild_projections --all | tee`
        timeout=120,
    )
    assert rebuild.returncode == 0, rebuild.stderr
    output = rebuild.stdout.decode()

    assert "\r" not in output
    progress = [line for line in output.splitlines() if "events/s" in line]
    counts = [int(line.split()[1].split("/")[0].replace(",", "")) for line in progress]
    assert len(progress) >= 3
    assert counts == sorted(set(counts))  # a line each time the count moves, no repeats
    total = int(progress[-1].split()[1].split("/")[1].replace(",", ""))
    assert counts[-1] == total
    assert output.splitlines()[-1] == "order_list: generation 2 is live"


class Served:
    """scripts/serve.sh in its own session, its output read line by line."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.port = free_port()
        self.env = {**env, "HOST": "127.0.0.1", "PORT": str(self.port), "PY": sys.executable}
        self.process = subprocess.Popen(
            ["bash", "scripts/serve.sh", *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def read_until(self, text: str, seconds: float) -> list[str]:
        deadline = time.monotonic() + seconds
        while not any(text in line for line in self.lines):
            try:
                line = self._queue.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                pytest.fail(f"no {text!r} within {seconds} s; output:\n" + "\n".join(self.lines))
            if line is None:
                pytest.fail(f"serve.sh ended before {text!r}; output:\n" + "\n".join(self.lines))
            self.lines.append(line)
        return self.lines

    def more(self, seconds: float) -> list[str]:
        """The lines that arrive within ``seconds``."""
        deadline, more = time.monotonic() + seconds, []
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            more.append(line)
        self.lines += more
        return more

    def ctrl_c(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=30)

    def stop(self) -> None:
        """Whatever a failed test left running: the script, and the server and worker
        it started in sessions of their own."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for pid in processes_on(self.env["SQLITE_PATH"]):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def processes_on(sqlite_path: str) -> list[int]:
    """Processes (ours) whose environment names this database file."""
    found = []
    needle = f"SQLITE_PATH={sqlite_path}".encode()
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and needle in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_make_run_ends_with_a_banner_and_ctrl_c_stops_everything(sqlite_env):
    served = Served(sqlite_env)
    try:
        lines = served.read_until(BANNER_END, START_UP_SECONDS)
        url = f"http://127.0.0.1:{served.port}"
        first = f"  Chronicle is running at {url}/"
        banner = lines[lines.index(first) :]
        assert banner == [
            first,
            f"    Admin     {url}/admin/",
            "    Log in    demo / chronicle-demo",
            f"    API docs  {url}/api/docs/  (OpenAPI: {url}/api/schema/)",
            f"    Health    {url}/healthz",
            f"    {BANNER_END}",
        ]
        noise = lines[: lines.index(first)]
        assert any("Starting development server" in line for line in noise)
        # The worker logs at WARNING: none of django-q2's start-up lines.
        assert not [line for line in lines if "Q Cluster" in line or "ready for work" in line]
        # The banner is the last thing printed (but for its closing blank line).
        assert [line for line in served.more(1.5) if line.strip()] == []
        with urllib.request.urlopen(f"{url}/admin/login/", timeout=10) as response:
            assert response.status == 200
        with urllib.request.urlopen(f"{url}/", timeout=10) as response:
            assert b"/admin/" in response.read()  # the banner's first line: the landing page

        assert served.ctrl_c() == 0
        assert "Stopping the web server and the workers..." in served.more(1)
        assert not listening(served.port)
        assert processes_on(sqlite_env["SQLITE_PATH"]) == []
    finally:
        served.stop()


def test_make_run_keeps_a_changed_demo_password_and_v_shows_the_worker(sqlite_env):
    manage(sqlite_env, "demo_user")
    manage(
        sqlite_env,
        "shell",
        "-c",
        "from django.contrib.auth.models import User; u = User.objects.get(username='demo');"
        " u.set_password('mine-now'); u.save()",
    )
    served = Served(sqlite_env, "-v")
    try:
        lines = served.read_until(BANNER_END, START_UP_SECONDS)
        assert (
            "    Log in    demo (its password was changed; "
            "`manage.py demo_user --reset-password` sets the demo one again)"
        ) in lines
        # -v: the worker's INFO lines (they may come just after the banner).
        lines += served.more(3) if not any("Q Cluster" in line for line in lines) else []
        assert any("Q Cluster" in line and "starting" in line for line in lines)
        assert served.ctrl_c() == 0
        # The cluster stopped its workers itself, in time: it was not killed.
        assert any("Q Cluster" in line and "has stopped" in line for line in served.more(1))
        assert processes_on(sqlite_env["SQLITE_PATH"]) == []
    finally:
        served.stop()
    check = "from django.contrib.auth.models import User;"
    check += " print(User.objects.get(username='demo').check_password('mine-now'))"
    assert manage(sqlite_env, "shell", "-c", check).splitlines()[-1] == "True"


def test_a_port_in_use_is_refused_before_anything_starts(sqlite_env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**sqlite_env, "HOST": "127.0.0.1", "PORT": str(port), "PY": sys.executable}
        done = subprocess.run(
            ["bash", "scripts/serve.sh"], cwd=ROOT, env=env, capture_output=True, text=True
        )
    assert done.returncode == 1
    assert f"Port {port} on 127.0.0.1 is in use already; try PORT={port + 1}" in done.stderr
    assert done.stdout == ""
