#!/usr/bin/env bash
# make bench-cluster: socket fan-out across two chat servers (PostgreSQL LISTEN/NOTIFY) against one chat server with
# the in-process broadcast, same clients, same run, same PostgreSQL (history in it for both).
# CLIENTS receivers spread over the servers, SENDERS senders each keeping WINDOW messages in flight for SECONDS.
# Prints pushes/s, p50/p99 send-to-delivery latency, and the CPU the servers and PostgreSQL spent per message.
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS="${CLIENTS:-200}"
SENDERS="${SENDERS:-4}"
WINDOW="${WINDOW:-8}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-8}"
BENCH=bench-cluster
source Scripts/bench-chat/common.sh
source Scripts/postgres.sh
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    pg_stop "$DATA"
    rm -rf "$DATA"
}
trap cleanup EXIT
pg_start "$DATA"

# CPU seconds (user + system) of the given pids, children that exited included.
cpu() { python3 - "$@" <<'PY'
import os, sys
ticks = os.sysconf("SC_CLK_TCK")
total = 0
for pid in sys.argv[1:]:
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        total += sum(int(v) for v in fields[11:15])
    except FileNotFoundError:
        pass
print(total / ticks)
PY
}
postgres_pids() { echo "$PG_PID $(pgrep -P "$PG_PID" | tr '\n' ' ')"; }

start_server() {  # start_server NAME ARGS... → sets PORT, appends to pids
    local name=$1; shift
    "$SERVER" --port 0 --postgres "$PG_URL" "$@" >"$DATA/$name.out" 2>&1 &
    pids+=($!)
    PORT=$(server_port "$DATA/$name.out")
}

run() {  # run LABEL URLS SERVER_PIDS → prints a JSON line with cpu figures
    local label=$1 urls=$2 server_pids=$3 before_server before_pg result after_server after_pg
    before_server=$(cpu $server_pids); before_pg=$(cpu $(postgres_pids))
    result=$(node Scripts/bench-cluster/load.mjs "$urls" "$CLIENTS" "$SENDERS" "$WINDOW" "$SECONDS_PER_RUN")
    after_server=$(cpu $server_pids); after_pg=$(cpu $(postgres_pids))
    python3 - "$label" "$result" "$before_server" "$after_server" "$before_pg" "$after_pg" <<'PY'
import json, sys
label, result = sys.argv[1], json.loads(sys.argv[2])
server, pg = float(sys.argv[4]) - float(sys.argv[3]), float(sys.argv[6]) - float(sys.argv[5])
# Whole run (warm-up and drain included) over the measured messages: an upper bound per message.
messages = result["messagesPerSecond"] * result["seconds"]
result.update(label=label, serverCpuSeconds=server, postgresCpuSeconds=pg,
              serverCpuMicrosPerMessage=server / messages * 1e6 if messages else None,
              postgresCpuMicrosPerMessage=pg / messages * 1e6 if messages else None)
print(json.dumps(result))
PY
}

echo "clients=$CLIENTS senders=$SENDERS window=$WINDOW seconds=$SECONDS_PER_RUN server=$SERVER (history in PostgreSQL for both)"
start_server single --local-broadcast
single=$(run "1 server, in-process broadcast" "ws://127.0.0.1:$PORT" "${pids[*]}")
kill -TERM "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true; pids=()

start_server a; port_a=$PORT
start_server b; port_b=$PORT
cluster=$(run "2 servers, PostgreSQL LISTEN/NOTIFY" "ws://127.0.0.1:$port_a,ws://127.0.0.1:$port_b" "${pids[*]}")

python3 - "$single" "$cluster" <<'PY'
import json, sys
single, cluster = json.loads(sys.argv[1]), json.loads(sys.argv[2])
def line(r):
    return (f"{r['label']:<40} {r['messagesPerSecond']:>8.0f} msg/s {r['pushesPerSecond']:>10.0f} pushes/s  "
            f"p50 {r['deliveryP50']:.1f} ms  p99 {r['deliveryP99']:.1f} ms  "
            f"server CPU {r['serverCpuMicrosPerMessage']:.0f} µs/msg  PostgreSQL CPU {r['postgresCpuMicrosPerMessage']:.0f} µs/msg"
            + (f"  refused {r['refused']}" if r['refused'] else ""))
print(line(single))
print(line(cluster))
print(f"ratio pushes/s cluster ÷ single: {cluster['pushesPerSecond'] / single['pushesPerSecond']:.2f}x  (target ≥ 0.5x)")
PY
