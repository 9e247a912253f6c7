#!/usr/bin/env bash
# Runs the web server and one django-q2 cluster side by side; Ctrl-C stops both.
set -euo pipefail
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # qcluster can hang on SIGTERM: give it a few seconds, then kill it.
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}
trap stop INT TERM EXIT

"$PY" manage.py qcluster &
pids+=($!)
"$PY" manage.py runserver --noreload "$HOST:$PORT" &
pids+=($!)
echo "Chronicle: http://$HOST:$PORT/admin/  (API docs: http://$HOST:$PORT/api/docs/). Ctrl-C stops."
wait -n
