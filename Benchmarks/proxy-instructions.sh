#!/usr/bin/env bash
# Instructions per proxied request, counted by valgrind's callgrind: the proxy's user-space work on each of
# reference.sh's workloads, exact and repeatable where its throughput on a shared VM is not (BENCHMARKS.md,
# "Instructions per proxied request"). The proxy (ProxyBench: `rampart serve`'s server on one event loop)
# runs under callgrind in front of an nginx backend on 127.0.0.1:9001, started here if none is listening. For
# each workload, 200 requests warm it up, the counters are zeroed, and N more requests are counted
# (Benchmarks/proxy/send_requests.py, 8 connections in rounds). Every thread's instructions count: the event
# loop's, and the idle others'.
#
#     Benchmarks/proxy-instructions.sh [requests per workload, default 1000]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
for tool in valgrind nginx python3; do
    command -v "$tool" >/dev/null || { echo "proxy-instructions: $tool is needed (apt-get install $tool)" >&2; exit 2; }
done
swift build -c release -Xswiftc -enforce-exclusivity=unchecked --product ProxyBench >/dev/null
dir=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$dir/backend.pid" ] && kill "$(cat "$dir/backend.pid")" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
# valgrind cannot read the DWARF 5 debug information of Swift binaries; the symbol table is enough.
cp "$(swift build -c release --show-bin-path)/ProxyBench" "$dir/ProxyBench"
strip --strip-debug "$dir/ProxyBench"

source scripts/loopback.sh
if ! listening 9001; then
    cat > "$dir/backend.conf" <<CONF
worker_processes 1;
pid $dir/backend.pid;
error_log $dir/backend.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:9001; location / { default_type application/json; return 200 '{"hello":"world"}'; } }
}
CONF
    nginx -c "$dir/backend.conf"
    wait_for 9001 120
fi

# measure CONFIG PORT: one callgrind run of the proxy, every workload in turn; prints a table column.
measure() {
    local config=$1 port=$2
    # Swift seeds its hashing per process; a fixed seed makes dictionary work, and so the counts, repeat.
    SWIFT_DETERMINISTIC_HASHING=1 valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.%p" \
        "$dir/ProxyBench" "$config" >"$dir/valgrind.log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    wait_for "$port" 120
    local dumps=0
    for workload in get get_host query post2k; do
        python3 Benchmarks/proxy/send_requests.py "$port" "$workload" 200
        callgrind_control --zero "$pid" >/dev/null 2>&1
        python3 Benchmarks/proxy/send_requests.py "$port" "$workload" "$n"
        callgrind_control --dump "$pid" >/dev/null 2>&1
        dumps=$((dumps + 1))
        # Dumps are numbered from 1 in the order they were asked for.
        echo "$workload $(($(awk '/^summary:/ { print $2 }' "$dir/callgrind.$pid.$dumps") / n))"
    done
    kill "$pid"
    wait "$pid" 2>/dev/null || true
}
measure Benchmarks/proxy/rampart-bench.yaml 8090 >"$dir/firewall"
measure Benchmarks/proxy/rampart-bench-nofirewall.yaml 8091 >"$dir/nofirewall"
echo "| workload | default firewall rules | no firewall rules |"
echo "|---|---:|---:|"
paste -d' ' "$dir/firewall" "$dir/nofirewall" | while read -r workload with _ without; do
    echo "| $workload | $with | $without |"
done
