#!/usr/bin/env bash
# Runs the web server and one django-q2 cluster side by side; Ctrl-C stops both.
set -euo pipefail
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

groups=()
stop() {
  trap - INT TERM EXIT
  # Each child leads its own process group, so its workers are signalled too.
  for group in "${groups[@]}"; do kill -TERM -- "-$group" 2>/dev/null || true; done
  # qcluster can hang on SIGTERM: give it a few seconds, then kill it.
  for _ in $(seq 1 20); do
    alive=0
    for group in "${groups[@]}"; do kill -0 -- "-$group" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return
    sleep 0.25
  done
  for group in "${groups[@]}"; do kill -KILL -- "-$group" 2>/dev/null || true; done
}
trap stop INT TERM EXIT

setsid "$PY" manage.py qcluster &
groups+=($!)
setsid "$PY" manage.py runserver --noreload "$HOST:$PORT" &
groups+=($!)
echo "Chronicle: http://$HOST:$PORT/admin/  (API docs: http://$HOST:$PORT/api/docs/). Ctrl-C stops."
wait -n
