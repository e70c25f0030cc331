#!/usr/bin/env bash
# Runs the example ServiceKit services in the foreground; Ctrl-C or SIGTERM stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(swift build -c release --show-bin-path)

pids=()
stop() {
    trap - INT TERM EXIT
    ((${#pids[@]})) && kill -TERM "${pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
    echo "demo stopped"
}
# Ctrl-C or SIGTERM is how a demo ends: stop everything and exit successfully.
trap 'stop; exit 0' INT TERM
trap stop EXIT

"$bin/teams-service" --host 127.0.0.1 --port 5001 & pids+=($!)
"$bin/burger-service" --host 127.0.0.1 --port 5002 & pids+=($!)

for port in 5001 5002; do
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
done

cat <<'TRY'

Rampart demo: two ServiceKit services are running.
  teams-service   http://127.0.0.1:5001
  burger-service  http://127.0.0.1:5002

Try:
  curl -s http://127.0.0.1:5001/teams
  curl -s http://127.0.0.1:5001/employees/1
  curl -s -u alice:secret http://127.0.0.1:5002/api
  curl -s http://127.0.0.1:5002/headers
  curl -s -c jar -b jar -X POST -d '{"name": "Fries"}' http://127.0.0.1:5002/cart
  curl -s -c jar -b jar -X POST -d '{"email": "you@example.com"}' http://127.0.0.1:5002/orders
  curl -s http://127.0.0.1:5002/orders/1/email
  curl -s http://127.0.0.1:5001/teams/42        # a JSON 404

Press Ctrl-C to stop.
TRY
wait
