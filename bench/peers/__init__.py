"""Chronicle beside the best Python peer, the ``eventsourcing`` library, in one run.

Usage, from the project root::

    make bench-peers                      # PostgreSQL, then SQLite; 5 rounds each
    python -m bench.peers --rounds 1      # one backend: DATABASE_URL's, else SQLite
    python -m bench.peers --max-load 4    # on a machine others are loading

``make bench-peers`` makes the peer's own virtualenv (``bench/peers/.venv``, from
``bench/peers/requirements.txt``) on first use. Each side gets a fresh database on
the same server (SQLite: a file each). The peer runs in its own process
(``bench/peers/peer.py``, JSON lines on stdin and stdout), Chronicle in this one.

Workloads, the same on both sides (``--orders`` orders of 4 events where it says so):

(a) append: each of an order's 4 events saved in its own transaction, the aggregate
    kept in memory (``store.append``; the peer's ``Application.save``);
(b) command cycle: load -> command -> save, one transaction per command: paying an
    order created beforehand (Chronicle: ``orders.handlers.execute(PayOrder)``; the
    peer: an order aggregate of the same shape, ``repository.get``, ``pay``, ``save``);
(c) one append of 1,000 events to a new stream (the events' encoding included;
    median of 5, each to a new stream);
(d) 4 threads appending as in (a), each on its own orders;
(e) load a 1,000-event aggregate, without a snapshot and from one (median of 9);
(f) read the whole log in pages of 1,000, each event's data and metadata decoded
    into Python objects (Chronicle: ``store.read_all``; the peer: its recorder's
    ``select_notifications`` and its transcoder's ``decode``); median of 3 reads.

Each round measures both sides back to back, the first side alternating; the
verdict per workload is the median of the rounds' ratios (``bench/peers/rounds.py``)
against the targets in ``bench/peers/workloads.py``. The raw baselines
(``bench/peers/raw.py``) follow in the same run.
"""
