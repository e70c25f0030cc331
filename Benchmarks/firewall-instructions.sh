#!/usr/bin/env bash
# Instructions per firewall evaluation, counted by valgrind's callgrind: exact and repeatable, where wall-clock
# time on a shared VM is not (BENCHMARKS.md, "Session 4"). For each FirewallBench case, the difference between
# a run of N and of 2N evaluations, divided by N, leaves loading and start-up out. Only evaluations made in the
# last one's storage run (FirewallBench's `reusing`), as the proxy makes them.
#
#     Benchmarks/firewall-instructions.sh [rules directory, default rules/firewall]
set -euo pipefail
cd "$(dirname "$0")/.."
rules=${1:-rules/firewall}
command -v valgrind >/dev/null || { echo "firewall-instructions: valgrind is needed (apt-get install valgrind)" >&2; exit 2; }
swift build -c release -Xswiftc -enforce-exclusivity=unchecked --product FirewallBench >/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# valgrind cannot read the DWARF 5 debug information of Swift binaries; the symbol table is enough.
cp "$(swift build -c release --show-bin-path)/FirewallBench" "$dir/FirewallBench"
strip --strip-debug "$dir/FirewallBench"
count() {
    # Swift seeds its hashing per process, so dictionary layouts, and the work of walking them, would differ
    # from run to run by about 1%; a fixed seed makes the counts repeat exactly.
    SWIFT_DETERMINISTIC_HASHING=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$dir/FirewallBench" "$rules" "$1" "$2" reusing 2>&1 \
        | awk '/Collected/ { print $4 }'
}
n=1000
echo "| request | instructions per evaluation |"
echo "|---|---:|"
for case in 1 2 3 4 5 6; do
    name=$("$dir/FirewallBench" "$rules" 1 "$case" | tail -1 | awk -F'|' '{ gsub(/^ +| +$/, "", $2); print $2 }')
    first=$(count "$n" "$case")
    second=$(count $((2 * n)) "$case")
    echo "| $name | $(((second - first) / n)) |"
done
