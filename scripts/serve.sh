#!/usr/bin/env bash
# Runs the web server, the main django-q2 cluster and the webhooks' cluster side by
# side, then prints a short banner (URL, login, API docs, how to stop) once the server
# answers; Ctrl-C stops them all. Local development: webhooks may target this machine.
#   -v                 the worker logs at INFO (it logs at WARNING by default)
#   WORKER_LOG_LEVEL   the worker's log level, e.g. DEBUG (-v is INFO); django-q2's
#                      lines in the web process ("Enqueued ...") follow it too
set -euo pipefail
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
WORKER_LOG_LEVEL=${WORKER_LOG_LEVEL:-WARNING}
export WEBHOOKS_ALLOW_PRIVATE_TARGETS=${WEBHOOKS_ALLOW_PRIVATE_TARGETS:-true}
while getopts v opt; do
  case $opt in
    v) WORKER_LOG_LEVEL=INFO ;;
    *) echo "usage: $0 [-v]" >&2; exit 2 ;;
  esac
done

listening() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

banner() {
  local url="http://$HOST:$PORT"
  cat <<END

  Chronicle is running at $url/
    Admin     $url/admin/
    Log in    $1
    API docs  $url/api/docs/  (OpenAPI: $url/api/schema/)
    Health    $url/healthz
    Stop      Ctrl-C stops the web server and the workers

END
}

if listening; then
  echo "Port $PORT on $HOST is in use already; try PORT=$((PORT + 1)) make run" >&2
  exit 1
fi
login=$("$PY" manage.py demo_user --login)

groups=()
stop() {
  trap - INT TERM EXIT
  # Each child leads its own process group. Only the leaders are asked to stop:
  # qcluster stops its workers itself in under a second, but hangs when they are sent
  # SIGTERM beside it. Whatever is left of a group after a few seconds is killed.
  for group in "${groups[@]}"; do kill -TERM -- "$group" 2>/dev/null || true; done
  for _ in $(seq 1 20); do
    alive=0
    for group in "${groups[@]}"; do kill -0 -- "-$group" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0 # (a bare return in a trap gives the status before it)
    sleep 0.25
  done
  for group in "${groups[@]}"; do kill -KILL -- "-$group" 2>/dev/null || true; done
}
interrupted() {
  echo "Stopping the web server and the workers..." >&2
  stop
  exit 0 # stopped as asked
}
trap interrupted INT TERM
trap stop EXIT

LOG_LEVEL=$WORKER_LOG_LEVEL setsid "$PY" manage.py qcluster &
groups+=($!)
# The webhooks' own cluster, so a slow target never takes the projections' workers.
LOG_LEVEL=$WORKER_LOG_LEVEL setsid "$PY" manage.py webhooks_worker &
groups+=($!)
Q_LOG_LEVEL=$WORKER_LOG_LEVEL setsid "$PY" manage.py runserver --noreload "$HOST:$PORT" &
web=$!
groups+=("$web")
# runserver prints its own lines before it listens: the banner comes after them.
until listening; do
  kill -0 "$web" 2>/dev/null || break # it failed to start; `wait -n` ends the script
  sleep 0.2
done
if kill -0 "$web" 2>/dev/null; then banner "$login"; fi
wait -n
