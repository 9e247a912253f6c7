"""The peer's process of ``make bench-peers``, on SQLite in its own virtualenv.

Skipped where the peer's virtualenv was not made (``make bench-peers`` makes it).
"""

from __future__ import annotations

import pytest

from bench.peers.peer_process import PYTHON, PeerProcess, peer_database
from bench.peers.workloads import KEYS

pytestmark = pytest.mark.skipif(
    not PYTHON.exists(), reason="no peer virtualenv: make bench-peers makes bench/peers/.venv"
)


def test_a_round_answers_every_workload_and_reads_the_whole_log_it_wrote():
    with peer_database(None) as env:
        peer = PeerProcess(env)
        try:
            figures = peer(0, 4)
        finally:
            peer.close()
    assert peer.describe() == "eventsourcing 9.5.6"
    assert set(KEYS) <= set(figures)
    assert all(figures[key] > 0 for key in KEYS)
    # (a) and (d) 4 orders of 4 events each, (b) 4 created and 4 paid, (c)'s 5 appends
    # and the snapshotted order of (e) 1,000 each: (f) read every one of them.
    assert figures["log-events"] == 16 + 8 + 5 * 1000 + 16 + 1000
