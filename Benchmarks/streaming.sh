#!/usr/bin/env bash
# 1 GiB downloaded and 1 GiB uploaded through the release `rampart` binary, one after the other, with its peak
# resident memory (VmHWM) afterwards: bodies stream with backpressure, so it stays far below the body size.
# The test suite runs the same at 256 MiB (Tests/RampartTests/StreamingTests.swift). Usage: Benchmarks/streaming.sh [BYTES]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1073741824}
swift build -c release -Xswiftc -enforce-exclusivity=unchecked --product rampart >/dev/null
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
backend_port=18711 proxy_port=18712 admin_port=18713
python3 Tests/Peers/bulk_backend.py $backend_port & pids+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$backend_port") 2>/dev/null && break; sleep 0.1; done
cat > "$work/rampart.yaml" <<YAML
listen: 127.0.0.1:$proxy_port
admin: {listen: 127.0.0.1:$admin_port}
upstreams:
  bulk: {servers: [127.0.0.1:$backend_port]}
routes:
  - {path_prefix: /, upstream: bulk}
rules: rules
limits: {max_inspected_body: 65536, oversized_body: inspect_prefix}
YAML
.build/release/rampart serve --config "$work/rampart.yaml" --threads 1 --log-level warning & pids+=($!)
proxy=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$admin_port/healthz" && break; sleep 0.1; done
truncate -s "$size" "$work/upload.bin"
echo "download $size bytes: $(curl -s -o /dev/null -w '%{http_code}, %{size_download} bytes, %{speed_download} B/s' "http://127.0.0.1:$proxy_port/download/$size")"
echo "upload $size bytes: $(curl -s -T "$work/upload.bin" -X POST -w ' (%{http_code}, %{speed_upload} B/s)' "http://127.0.0.1:$proxy_port/upload")"
echo "rampart peak RSS: $(grep VmHWM /proc/$proxy/status)"
