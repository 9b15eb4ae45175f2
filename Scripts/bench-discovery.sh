#!/usr/bin/env bash
# make bench-discovery: resolve() latency (uncached / cached, in-process and against a real etcd on loopback) and
# the per-call resolution cost of a discovery-backed HTTPClient against a fixed-URL one, in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --package-path Packages/Discovery --scratch-path .build-bench-discovery --product grest-discovery-bench
bin=".build-bench-discovery/release/grest-discovery-bench"

data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
peer=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
etcd --name bench --data-dir "$data" --log-level error \
  --listen-client-urls "http://127.0.0.1:$port" --advertise-client-urls "http://127.0.0.1:$port" \
  --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
  --initial-cluster "bench=http://127.0.0.1:$peer" >/dev/null 2>&1 &
etcd_pid=$!
trap 'kill $etcd_pid 2>/dev/null; wait $etcd_pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done

echo "== grest-discovery-bench ($(nproc) cores)"
ETCD_URL="http://127.0.0.1:$port" "$bin"
