# Chronicle: `make run` serves the whole system on the embedded default (SQLite,
# django-q2's ORM broker, demo data); `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint typecheck bench bench-peers load clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

# serve.sh makes sure of the demo login (a changed password is kept) and ends with a
# banner. The worker and django-q2 log at WARNING: `make run V=1` for INFO,
# WORKER_LOG_LEVEL=DEBUG for everything.
WORKER_LOG_LEVEL ?= $(if $(V),INFO,WARNING)

run: install
	$(PY) manage.py migrate --noinput
	Q_LOG_LEVEL=$(WORKER_LOG_LEVEL) $(PY) manage.py seed_demo --if-empty
	HOST=$(HOST) PORT=$(PORT) PY=$(PY) WORKER_LOG_LEVEL=$(WORKER_LOG_LEVEL) bash scripts/serve.sh

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

typecheck: install
	$(VENV)/bin/mypy eventstore orders projections webhooks

bench: install
	$(PY) -m bench $(BENCH_ARGS)

# The peer (the eventsourcing library) in a virtualenv of its own, made on first use.
PEER_VENV := bench/peers/.venv
PEER_SERVER ?= postgres://postgres@127.0.0.1:5432/postgres

$(PEER_VENV)/.installed: bench/peers/requirements.txt
	$(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PEER_VENV)/bin/python -m pip install --quiet -r bench/peers/requirements.txt
	touch $@

# Chronicle beside the peer on PostgreSQL (DATABASE_URL's server if it is one, else
# PEER_SERVER), then on SQLite; BENCH_ARGS="--rounds 1" for a quick run.
bench-peers: install $(PEER_VENV)/.installed
	url="$${DATABASE_URL:-}"; case "$$url" in postgres*) ;; *) url="$(PEER_SERVER)";; esac; \
	DATABASE_URL="$$url" $(PY) -m bench.peers $(BENCH_ARGS)
	env -u DATABASE_URL $(PY) -m bench.peers $(BENCH_ARGS)

# 20 clients for 60 s against gunicorn + two django-q2 workers on PostgreSQL
# (DATABASE_URL=postgres://...), then checks the log and every read model.
load: install
	$(PY) -m bench.load $(LOAD_ARGS)

clean:
	rm -rf $(VENV) chronicle.sqlite3* test-artifacts .pytest_cache
