#!/usr/bin/env bash
# Runs the example ServiceKit services with Rampart in front of them (deploy/rampart.yaml, the rules in rules/),
# in the foreground; Ctrl-C or SIGTERM stops everything it started.
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

# A port still held (another demo, another server) would make a half-started demo: say so and stop.
for port in 5001 5002 8080 9901; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "error: 127.0.0.1:$port is in use; stop what listens there (ss -ltnp | grep :$port) and run make demo again" >&2
        exit 1
    fi
done

"$bin/teams-service" --host 127.0.0.1 --port 5001 & pids+=($!)
"$bin/burger-service" --host 127.0.0.1 --port 5002 & pids+=($!)

for port in 5001 5002; do
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
done

"$bin/rampart" serve --config deploy/rampart.yaml & pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:9901/healthz" && break; sleep 0.1; done

cat <<'TRY'

Rampart demo: Rampart on http://127.0.0.1:8080 in front of two ServiceKit services
(teams-service on 127.0.0.1:5001 for /teams and /employees, burger-service on 127.0.0.1:5002 for the rest),
admin listener on http://127.0.0.1:9901. The config is deploy/rampart.yaml; the firewall rules and rate
limits are in rules/. Each request's access-log line (JSON) appears below.

Try, in another terminal:
  # A normal request: a 200 showing the X-Forwarded-For, X-Real-IP and X-Request-ID the backend saw.
  curl -s http://127.0.0.1:8080/headers
  curl -s http://127.0.0.1:8080/teams

  # An SQL injection: a 403 JSON naming the rule ids; the backend never sees it.
  curl -s "http://127.0.0.1:8080/teams?q=1'+UNION+SELECT+password+FROM+users--"

  # A burst on the login policy (5 a minute): 429s with Retry-After and RateLimit fields. (The services have
  # no /login, so the first five answers are a backend's JSON 404s.)
  for i in $(seq 7); do curl -s -o /dev/null -w '%{http_code} ' -X POST http://127.0.0.1:8080/login; done; echo
  curl -s -i -X POST http://127.0.0.1:8080/login

  # The dashboard (live charts) and the figures behind it; Prometheus metrics; readiness.
  open http://127.0.0.1:9901/ in a browser
  curl -s http://127.0.0.1:9901/stats
  curl -s http://127.0.0.1:9901/metrics | grep ^rampart_requests_total
  curl -s http://127.0.0.1:9901/readyz

  # Live reload: edit a file in rules/ (break it, too); the log below says what happened, and so does
  curl -s http://127.0.0.1:9901/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["rules"]["last_reload"])'
  curl -s -X POST http://127.0.0.1:9901/reload

  # Check the rules and config as a deployment would.
  .build/release/rampart check --config deploy/rampart.yaml

Press Ctrl-C to stop.
TRY
wait
