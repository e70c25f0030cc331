#!/usr/bin/env bash
# Builds the `rampart` executable the way it is benchmarked and deployed: a release build without runtime
# exclusivity checks, with cross-module optimization (function bodies inlined and specialized across
# modules), and optimized with a profile of the proxy's own traffic (LLVM IR profile-guided optimization).
#
#   1. An instrumented build counts branches and calls (.build-release/instrumented).
#   2. It runs in front of a small Python backend with the default rules, and Benchmarks/proxy/train.py sends
#      it a mix of browser and API requests, JSON and form bodies, and attacks the rules reject.
#   3. llvm-profdata merges the counts; the optimized build lays out and inlines code by them
#      (.build-release/optimized, from scratch: the build system does not notice a changed profile).
#   4. The optimized binary answers the same traffic once more before it is copied to .build-release/rampart.
#
# Extra arguments go to both `swift build`s (the container passes --static-swift-stdlib).
#
#     scripts/release-build.sh [swift build arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-release
flags=(-c release -Xswiftc -enforce-exclusivity=unchecked -Xswiftc -cross-module-optimization "$@")
toolchain=$(dirname "$(readlink -f "$(command -v swift)")")
profdata=$toolchain/llvm-profdata
runtime=$toolchain/../lib/swift/clang/lib/linux/libclang_rt.profile-$(uname -m).a
for needed in "$profdata" "$runtime"; do
    [ -e "$needed" ] || { echo "release-build: $needed is missing from the Swift toolchain" >&2; exit 1; }
done
command -v python3 >/dev/null || { echo "release-build: python3 is needed to train the profile" >&2; exit 1; }

source scripts/loopback.sh
for port in 8095 9105 9915; do
    ! listening "$port" || { echo "release-build: 127.0.0.1:$port is in use; training needs it" >&2; exit 1; }
done
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

# train BINARY: serves the training traffic with BINARY in front of the Python backend, then stops it with
# SIGTERM so that an instrumented binary writes its counts as it exits.
train() {
    python3 Benchmarks/proxy/train.py backend 9105 &
    local backend=$!
    pids+=("$backend")
    "$1" serve --config Benchmarks/proxy/rampart-train.yaml --threads 1 --log-level warning &
    local proxy=$!
    pids+=("$proxy")
    wait_for 9105 10
    wait_for 8095 10
    python3 Benchmarks/proxy/train.py send 8095 1500
    kill -TERM "$proxy"
    wait "$proxy" || { echo "release-build: $1 did not stop cleanly" >&2; exit 1; }
    kill "$backend"
    wait "$backend" 2>/dev/null || true
}

echo "==> release-build: instrumented build"
swift build "${flags[@]}" --scratch-path "$out/instrumented" --product rampart \
    -Xswiftc -Xfrontend -Xswiftc -ir-profile-generate -Xlinker "$runtime" -Xlinker -u__llvm_profile_runtime
rm -rf "$out/profiles"
mkdir -p "$out/profiles"
echo "==> release-build: training"
LLVM_PROFILE_FILE="$PWD/$out/profiles/rampart-%p.profraw" train "$out/instrumented/release/rampart"
"$profdata" merge -o "$out/rampart.profdata" "$out"/profiles/*.profraw

echo "==> release-build: optimized build"
rm -rf "$out/optimized"
swift build "${flags[@]}" --scratch-path "$out/optimized" --product rampart \
    -Xswiftc -Xfrontend -Xswiftc -ir-profile-use="$PWD/$out/rampart.profdata"
echo "==> release-build: checking the optimized build"
train "$out/optimized/release/rampart"
cp "$out/optimized/release/rampart" "$out/rampart"
echo "release-build: $out/rampart"
