#!/usr/bin/env bash
# Rate-limit costs: local decisions for 1, 10k and 1M keys on one (pinned) and two threads, bytes per key, and Redis
# decisions per second with 1, 16 and 64 in flight, against a redis-server this script starts and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
flags=(-c release -Xswiftc -enforce-exclusivity=unchecked)
swift build "${flags[@]}" --product RateLimitBench >/dev/null
bin=$(swift build "${flags[@]}" --show-bin-path)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes --pidfile "$dir/redis.pid" >/dev/null
trap 'kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
# One thread pinned to a core (see RateLimitBench's --threads), then two threads, memory and Redis.
taskset -c 0 "$bin/RateLimitBench" --threads 1 --no-memory
echo
"$bin/RateLimitBench" --threads 2 --redis-port "$port"
