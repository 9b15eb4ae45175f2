#!/usr/bin/env bash
# Typed socket RPC round trip vs a raw echo of the same bytes on the same transport (issue #5's bar: >= 0.8x).
#   CONNECTIONS=50 DURATION=5 Scripts/bench-rpc.sh   (EXECUTOR=eventLoop: handlers on the event loop)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
swift build -c release --package-path "$ROOT/Benchmarks/SocketRPCBench" --scratch-path "$ROOT/.build-bench-rpc" >&2
"$(swift build -c release --package-path "$ROOT/Benchmarks/SocketRPCBench" --scratch-path "$ROOT/.build-bench-rpc" --show-bin-path)/grest-rpc-bench"
