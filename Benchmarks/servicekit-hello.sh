#!/usr/bin/env bash
# ServiceKit's JSON hello endpoint against plain Hummingbird and Quart on hypercorn.
# Same machine, same `wrk -t1 -c50`, one worker each: every server is pinned to CPU 1, wrk to CPU 0.
# ROUNDS rounds of DURATION per target, the order alternating. This VM's speed drifts over seconds, so each
# round's ratio to Hummingbird is taken within the round, and the table reports medians of those ratios.
# Prints a Markdown table for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-9}
DURATION=${DURATION:-5s}
flags=(-c release -Xswiftc -enforce-exclusivity=unchecked)

swift build "${flags[@]}" --product HelloServiceKit >/dev/null
swift build "${flags[@]}" --product HelloHummingbird >/dev/null
bin=$(swift build "${flags[@]}" --show-bin-path)
python3 -c "import quart, hypercorn" 2>/dev/null || python3 -m pip install --quiet quart hypercorn

pids=()
# hypercorn runs its worker as a child process: stop whole process groups, not just the leaders.
trap 'for pid in "${pids[@]}"; do kill -- -"$pid" 2>/dev/null || kill "$pid" 2>/dev/null; done; wait 2>/dev/null || true' EXIT
set -m
taskset -c 1 "$bin/HelloServiceKit" 18081 >/dev/null 2>&1 & pids+=($!)
taskset -c 1 "$bin/HelloHummingbird" 18082 >/dev/null 2>&1 & pids+=($!)
(cd Benchmarks && exec taskset -c 1 python3 -m hypercorn --workers 1 --bind 127.0.0.1:18083 quart_hello:app >/dev/null 2>&1) & pids+=($!)

set +m
declare -A ports=([servicekit]=18081 [hummingbird]=18082 [quart]=18083)
for name in "${!ports[@]}"; do
    for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:${ports[$name]}/hello" && break; sleep 0.1; done
    curl -sf "http://127.0.0.1:${ports[$name]}/hello" >/dev/null || { echo "$name did not start" >&2; exit 1; }
    taskset -c 0 wrk -t1 -c50 -d2s "http://127.0.0.1:${ports[$name]}/hello" >/dev/null
done

declare -A rps p99 ratio
for round in $(seq "$ROUNDS"); do
    order=(servicekit hummingbird quart)
    ((round % 2 == 0)) && order=(quart hummingbird servicekit)
    declare -A this=()
    for name in "${order[@]}"; do
        out=$(taskset -c 0 wrk -t1 -c50 -d"$DURATION" --latency "http://127.0.0.1:${ports[$name]}/hello")
        this[$name]=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
        rps[$name]+="${this[$name]} "
        p99[$name]+="$(awk '$1 == "99%" {print $2}' <<<"$out") "
    done
    for name in servicekit hummingbird quart; do
        ratio[$name]+="$(awk -v a="${this[$name]}" -v b="${this[hummingbird]}" 'BEGIN {print a/b}') "
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}'; }
echo "| target | req/s (median of $ROUNDS) | p99 ms (median) | vs Hummingbird (median of per-round ratios) | per-round ratio range |"
echo "|---|---|---|---|---|"
for name in servicekit hummingbird quart; do
    r=$(median <<<"${rps[$name]}")
    p=$(for v in ${p99[$name]}; do to_ms <<<"$v"; echo; done | median)
    q=$(median <<<"${ratio[$name]}")
    lo=$(tr ' ' '\n' <<<"${ratio[$name]}" | grep -v '^$' | sort -g | head -1)
    hi=$(tr ' ' '\n' <<<"${ratio[$name]}" | grep -v '^$' | sort -g | tail -1)
    printf '| %s | %.0f | %s | %.2fx | %.2f–%.2f |\n' "$name" "$r" "$p" "$q" "$lo" "$hi"
done
