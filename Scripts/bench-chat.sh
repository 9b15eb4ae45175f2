#!/usr/bin/env bash
# make bench-chat: 1 000 connected clients in #general, one sender at a fixed rate (RATES, messages/s), SQLite writes on;
# delivered pushes/s, p50/p99 latency from send to "every client has it", RSS per connected client. The same
# workload against a hand-written Node `ws` broadcast server (in memory, no database) in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS="${CLIENTS:-1000}"
RATES="${RATES:-10 20 50}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-10}"
BENCH=bench-chat
source Scripts/bench-chat/common.sh
trap 'rm -rf "$DATA"' EXIT

start_grest() {
    "$SERVER" --port 0 --db "$DATA/chat-$1.sqlite" >"$DATA/grest.out" 2>&1 &
    GREST_PID=$!
    GREST_PORT=$(server_port "$DATA/grest.out")
}

start_node() {
    node Scripts/bench-chat/broadcast-server.mjs 0 >"$DATA/node.out" 2>&1 &
    NODE_PID=$!
    until grep -q "listening" "$DATA/node.out"; do sleep 0.1; done
    NODE_PORT=$(awk '/listening/ {print $2}' "$DATA/node.out")
}

summary() { python3 Scripts/bench-chat/summary.py run "$1" "$2"; }

echo "clients=$CLIENTS seconds=$SECONDS_PER_RUN (grest: release build, SQLite WAL on; node: ws, in memory)"
for rate in $RATES; do
    start_grest "$rate"
    grest=$(node Scripts/bench-chat/load.mjs "ws://127.0.0.1:$GREST_PORT/ws/chat" "$CLIENTS" "$rate" "$SECONDS_PER_RUN" "$GREST_PID")
    kill -TERM "$GREST_PID"; wait "$GREST_PID" || true
    start_node
    nodejs=$(node Scripts/bench-chat/load.mjs "ws://127.0.0.1:$NODE_PORT/" "$CLIENTS" "$rate" "$SECONDS_PER_RUN" "$NODE_PID")
    kill -TERM "$NODE_PID"; wait "$NODE_PID" || true
    summary grest "$grest"
    summary node "$nodejs"
    python3 Scripts/bench-chat/summary.py compare "$grest" "$nodejs"
done
