#!/usr/bin/env bash
# `make bench-ws` (issue #4): GrestWebSocket's echo server against Hummingbird 2 (HummingbirdWebSocket +
# HummingbirdWSCompression, UTF-8 validation on) and node `ws`, on this machine, in one run, with ONE load client
# for every server: Benchmarks/WebSocketBench's ws-load-raw (raw NIO, one event loop, pre-built frames: much lighter
# than the servers, like wrk for HTTP), or with LOAD_CLIENT=swift-websocket the previous ws-load (swift-websocket's
# WSClient, ~3x the client CPU per message, which pulls the msg/s ratios towards 1x on 2 cores).
#
#   1. closed-loop echo: BENCH_CONNECTIONS (50) connections, one message in flight each, for every
#      deflate {off,on} × size {128 B, 16 KiB} × server: msg/s, p50 and p99 round trip, server CPU seconds;
#   2. idle memory: the server's VmRSS growth per connection at BENCH_IDLE_CONNECTIONS (10 000) idle connections,
#      deflate off and on (ws-idle, raw NIO client).
# Prints the table with the ratios grest/hummingbird and grest/node, and whether each target of the issue is met.
# Benchmarks are not tests: exits 0 whether the targets are met or not (non-zero only if it cannot run at all).
#
#   BENCH_SECONDS=8 BENCH_IDLE_CONNECTIONS=10000 BENCH_CONNECTIONS=50 BENCH_SIZES="128 16384" Scripts/bench-ws.sh
#   BENCH_SERVERS="grest grest-global hummingbird node"   a subset of the servers
#
# `grest` is grest-ws-echo as shipped: its handler runs on the connection's event loop
# (WebSocketHandlerExecutor.eventLoop). `grest-global` is the same binary with --handler-executor global, i.e.
# the handler on Swift's global executor like Hummingbird's: the transport's speed without that option.
# Like with like: grest and Hummingbird both compress replies from 256 B up (node ws from 1024 B), at zlib's default
# level, memLevel 8, window 15, context takeover; all servers validate UTF-8.
#   LOAD_CLIENT=raw|swift-websocket            the echo load client (default raw = ws-load-raw)
#   BENCH_CLIENT_THREADS=1                     event-loop threads of ws-load-raw
#   BENCH_SKIP_IDLE=1                          skip the idle-memory part
#   GREST_PACKAGE=path/to/WebSocket            benchmark another checkout of Packages/WebSocket
#   BENCH_SCRATCH=dir                          where the release builds go (default Benchmarks/WebSocketBench), so a
#                                              benchmark never blocks another build of the same checkout
#   BENCH_BUILD=dir BENCH_GREST_BUILD=dir      exact scratch paths of the two builds (default $BENCH_SCRATCH/.build-bench-ws
#                                              and $BENCH_SCRATCH/.build-bench-ws-grest), to reuse existing builds
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH_DIR="$ROOT/Benchmarks/WebSocketBench"
GREST_PACKAGE="${GREST_PACKAGE:-$ROOT/Packages/WebSocket}"
SECONDS_PER_RUN="${BENCH_SECONDS:-8}"
IDLE_CONNECTIONS="${BENCH_IDLE_CONNECTIONS:-10000}"
CONNECTIONS="${BENCH_CONNECTIONS:-50}"
SIZES="${BENCH_SIZES:-128 16384}"
SERVERS="${BENCH_SERVERS:-grest grest-global hummingbird node nio}"
SCRATCH="${BENCH_SCRATCH:-$BENCH_DIR}"
BUILD="${BENCH_BUILD:-$SCRATCH/.build-bench-ws}"
GREST_BUILD="${BENCH_GREST_BUILD:-$SCRATCH/.build-bench-ws-grest}"
LOAD_CLIENT="${LOAD_CLIENT:-raw}"
CLIENT_THREADS="${BENCH_CLIENT_THREADS:-1}"
case "$LOAD_CLIENT" in
    raw) LOAD_BIN_NAME=ws-load-raw; LOAD_ARGS=(--threads "$CLIENT_THREADS") ;;
    swift-websocket) LOAD_BIN_NAME=ws-load; LOAD_ARGS=() ;;
    *) echo "bench-ws: LOAD_CLIENT must be raw or swift-websocket, not $LOAD_CLIENT" >&2; exit 2 ;;
esac
WORK="$(mktemp -d)"
RESULTS="$WORK/results.jsonl"
SERVER_PID=""
SERVER_PORT=""
: >"$RESULTS"

log() { echo "bench-ws: $*" >&2; }

stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT

# File descriptors: 10 000 idle connections need 10 000+ in the server and as many in ws-idle.
WANT_FILES=65536
ulimit -Hn "$WANT_FILES" 2>/dev/null || true
ulimit -n "$WANT_FILES" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FILES="$(ulimit -n)"
if [ "$FILES" != unlimited ] && [ "$FILES" -lt "$WANT_FILES" ]; then
    log "open-file limit is $FILES (hard limit $(ulimit -Hn); could not raise it to $WANT_FILES)"
    if [ "$FILES" -lt $((IDLE_CONNECTIONS + 512)) ]; then
        IDLE_CONNECTIONS=$((FILES - 512))
        log "idle connections lowered to $IDLE_CONNECTIONS"
    fi
fi

if [ ! -f /usr/share/nodejs/ws/index.js ]; then
    log "installing node-ws"
    apt-get install -y -qq --no-install-recommends node-ws >/dev/null
fi

log "building release binaries (Benchmarks/WebSocketBench, then grest-ws-echo)"
swift build -c release --package-path "$BENCH_DIR" --scratch-path "$BUILD" >&2
BIN="$(swift build -c release --package-path "$BENCH_DIR" --scratch-path "$BUILD" --show-bin-path)"
GREST_BIN=""
if [[ " $SERVERS " != *" grest "* && " $SERVERS " != *" grest-global "* ]]; then
    log "grest not in BENCH_SERVERS: not building grest-ws-echo"
elif swift build -c release --package-path "$GREST_PACKAGE" --scratch-path "$GREST_BUILD" \
    --product grest-ws-echo >&2; then
    GREST_BIN="$(swift build -c release --package-path "$GREST_PACKAGE" --scratch-path "$GREST_BUILD" --show-bin-path)/grest-ws-echo"
else
    log "grest-ws-echo did not build: benchmarking the other servers only"
fi

# start_server NAME DEFLATE(on|off): sets SERVER_PID and SERVER_PORT, or returns 1.
start_server() {
    local name="$1" deflate="$2" logfile="$WORK/$1-$2.log" flag=()
    [ "$deflate" = off ] && flag=(--no-deflate)
    case "$name" in
        grest) [ -n "$GREST_BIN" ] || return 1; "$GREST_BIN" --host 127.0.0.1 --port 0 "${flag[@]}" >"$logfile" 2>&1 & ;;
        grest-global)
            [ -n "$GREST_BIN" ] || return 1
            "$GREST_BIN" --host 127.0.0.1 --port 0 --handler-executor global "${flag[@]}" >"$logfile" 2>&1 &
            ;;
        hummingbird) "$BIN/hummingbird-ws-echo" --host 127.0.0.1 --port 0 "${flag[@]}" >"$logfile" 2>&1 & ;;
        nio)
            # Bare NIO has no permessage-deflate: it only runs the deflate-off rows.
            [ "$deflate" = off ] || return 1
            "$BIN/nio-ws-echo" --host 127.0.0.1 --port 0 >"$logfile" 2>&1 &
            ;;
        node) NODE_PATH=/usr/share/nodejs node "$BENCH_DIR/node/ws-echo.js" 0 "${flag[@]}" >"$logfile" 2>&1 & ;;
        *) return 1 ;;
    esac
    SERVER_PID=$!
    for _ in $(seq 1 200); do
        SERVER_PORT="$(sed -n 's/^listening on [^:]*:\([0-9][0-9]*\).*/\1/p' "$logfile" | head -1)"
        [ -n "$SERVER_PORT" ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    log "$name (deflate $deflate) did not start:"; cat "$logfile" >&2
    stop_server
    return 1
}

# Server CPU time (user + system) in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

echo_run() {
    local server="$1" deflate="$2" size="$3" flag=() out ticks0 ticks1
    [ "$deflate" = on ] && flag=(--deflate)
    if ! start_server "$server" "$deflate"; then return 0; fi
    ticks0="$(cpu_ticks "$SERVER_PID")"
    out="$(timeout $((SECONDS_PER_RUN + 90)) "$BIN/$LOAD_BIN_NAME" --url "ws://127.0.0.1:$SERVER_PORT/echo" \
        --connections "$CONNECTIONS" --size "$size" --duration "$SECONDS_PER_RUN" "${flag[@]}" "${LOAD_ARGS[@]}" \
        2>"$WORK/load.err" | tail -1)" || true
    ticks1="$(cpu_ticks "$SERVER_PID")"
    stop_server
    [ -s "$WORK/load.err" ] && sed 's/^/  /' "$WORK/load.err" >&2
    if [ -z "$out" ]; then log "$LOAD_BIN_NAME produced nothing against $server"; return 0; fi
    log "$server deflate=$deflate size=$size → $out"
    printf '{"kind":"echo","server":"%s","deflate":"%s","size":%s,"serverCpuSeconds":%s,"load":%s}\n' \
        "$server" "$deflate" "$size" "$(awk -v t=$((ticks1 - ticks0)) -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", t/hz}')" \
        "$out" >>"$RESULTS"
}

idle_run() {
    local server="$1" deflate="$2" flag=() out
    [ "$deflate" = on ] && flag=(--deflate)
    if ! start_server "$server" "$deflate"; then return 0; fi
    out="$(timeout 600 "$BIN/ws-idle" --url "ws://127.0.0.1:$SERVER_PORT/echo" --connections "$IDLE_CONNECTIONS" \
        --server-pid "$SERVER_PID" --exit-when-ready "${flag[@]}" </dev/null 2>"$WORK/idle.err" | grep '^{' | tail -1)" || true
    stop_server
    [ -s "$WORK/idle.err" ] && sed 's/^/  /' "$WORK/idle.err" >&2
    if [ -z "$out" ]; then log "ws-idle produced nothing against $server"; return 0; fi
    log "$server idle deflate=$deflate → $out"
    printf '{"kind":"idle","server":"%s","deflate":"%s","idle":%s}\n' "$server" "$deflate" "$out" >>"$RESULTS"
}

# The servers take turns within each configuration, so drift of the shared machine hits all of them alike.
for deflate in off on; do
    for size in $SIZES; do
        for server in $SERVERS; do echo_run "$server" "$deflate" "$size"; done
    done
done
if [ "${BENCH_SKIP_IDLE:-0}" != 1 ]; then
    for deflate in off on; do
        # The handler executor does not change what an idle connection holds: grest-global is not measured twice.
        for server in $SERVERS; do [ "$server" = grest-global ] || { idle_run "$server" "$deflate"; sleep 1; }; done
    done
fi

python3 - "$RESULTS" "$CONNECTIONS" "$SECONDS_PER_RUN" "$IDLE_CONNECTIONS" "$LOAD_BIN_NAME" <<'PY'
import json, sys
path, connections, seconds, idle_n, client = sys.argv[1:]
rows = [json.loads(line) for line in open(path) if line.strip()]
echo = {(r["server"], r["deflate"], r["size"]): r for r in rows if r["kind"] == "echo"}
idle = {(r["server"], r["deflate"]): r["idle"] for r in rows if r["kind"] == "idle"}
servers = [s for s in ("grest", "grest-global", "hummingbird", "node", "nio") if any(k[0] == s for k in list(echo) + list(idle))]
targets = {"off": 1.6, "on": 1.3}
verdicts = []

def size_name(n):
    return f"{n // 1024} KiB" if n % 1024 == 0 and n >= 1024 else f"{n} B"

def ratio(a, b):
    return a / b if a and b else None

def fmt_ratio(x):
    return f"{x:.2f}x" if x is not None else "-"

print()
print(f"WebSocket echo, closed loop, {connections} connections, {seconds} s per run (same {client} client for every server)")
header = (f"{'server':<13} {'deflate':<7} {'size':>7} {'msg/s':>10} {'p50 us':>8} {'p99 us':>8} {'err':>4} {'msg/cpu-s':>10} "
          f"{'cli us/msg':>10} {'grest/hb':>9} {'grest/node':>10} {'grest/nio':>9}")
print(header)
print("-" * len(header))
for deflate in ("off", "on"):
    for size in sorted({k[2] for k in echo}):
        for server in servers:
            r = echo.get((server, deflate, size))
            if r is None:
                continue
            load = r["load"]
            cpu = r.get("serverCpuSeconds") or 0
            # round trips per second of server CPU over the whole run (warm-up included): robust to a noisy machine.
            per_cpu = load.get("allMessages", 0) / cpu if cpu > 0 else 0
            # the load client's own CPU (user + sys, whole process, connecting included) per round trip
            client_us = 1e6 * load.get("clientCpuSeconds", 0) / load["allMessages"] if load.get("allMessages") else 0
            vs_hb = vs_node = vs_nio = ""
            if server.startswith("grest"):
                h = echo.get(("hummingbird", deflate, size))
                n = echo.get(("node", deflate, size))
                b = echo.get(("nio", deflate, size))
                vs_hb = fmt_ratio(ratio(load["msgPerSec"], h["load"]["msgPerSec"])) if h else "-"
                vs_node = fmt_ratio(ratio(load["msgPerSec"], n["load"]["msgPerSec"])) if n else "-"
                vs_nio = fmt_ratio(ratio(load["msgPerSec"], b["load"]["msgPerSec"])) if b else "-"
            print(f"{server:<13} {deflate:<7} {size_name(size):>7} {load['msgPerSec']:>10.0f} {load['p50us']:>8} {load['p99us']:>8} "
                  f"{load['errors']:>4} {per_cpu:>10.0f} {client_us:>10.1f} {vs_hb:>9} {vs_node:>10} {vs_nio:>9}")
        h = echo.get(("hummingbird", deflate, size))
        for name in ("grest", "grest-global"):
            g = echo.get((name, deflate, size))
            if g and h:
                x = ratio(g["load"]["msgPerSec"], h["load"]["msgPerSec"])
                verdicts.append((f"throughput deflate {deflate}, {size_name(size)}: {name}/hummingbird {fmt_ratio(x)} (target >= {targets[deflate]}x)",
                                 x is not None and x >= targets[deflate]))
    print()

if idle:
    print(f"Idle memory: server VmRSS growth per connection at {idle_n} idle connections")
    header = f"{'server':<12} {'deflate':<7} {'conns':>6} {'RSS before':>12} {'RSS after':>12} {'B/conn':>8} {'grest/hb':>9} {'grest/node':>10}"
    print(header)
    print("-" * len(header))
    for deflate in ("off", "on"):
        for server in servers:
            r = idle.get((server, deflate))
            if r is None:
                continue
            vs_hb = vs_node = ""
            if server == "grest":
                h = idle.get(("hummingbird", deflate))
                n = idle.get(("node", deflate))
                vs_hb = fmt_ratio(ratio(r["bytesPerConnection"], h["bytesPerConnection"])) if h else "-"
                vs_node = fmt_ratio(ratio(r["bytesPerConnection"], n["bytesPerConnection"])) if n else "-"
            print(f"{server:<12} {deflate:<7} {r['connections']:>6} {r['rssBeforeBytes'] / 2**20:>10.1f}MB {r['rssAfterBytes'] / 2**20:>10.1f}MB "
                  f"{r['bytesPerConnection']:>8} {vs_hb:>9} {vs_node:>10}")
        g = idle.get(("grest", deflate))
        h = idle.get(("hummingbird", deflate))
        if g and h:
            verdicts.append((f"idle memory deflate {deflate}: grest {g['bytesPerConnection']} B/conn vs hummingbird {h['bytesPerConnection']} B/conn (target <=)",
                             g["bytesPerConnection"] <= h["bytesPerConnection"]))
    print()

print("Targets (issue #4):")
if not verdicts:
    print("  (no grest/hummingbird pair measured)")
for text, met in verdicts:
    print(f"  [{'MET' if met else 'MISSED'}] {text}")
print("  ratios are msg/s of the same run; msg/cpu-s is messages per second of server CPU (less sensitive to a busy machine)")
print(f"  cli us/msg = the load client's own CPU (user + sys) per round trip ({client}; LOAD_CLIENT=swift-websocket for the previous ws-load)")
print("  grest = grest-ws-echo as shipped (handler on the connection's event loop); grest-global = handler on Swift's global executor, as Hummingbird's")
print("  nio = a bare SwiftNIO echo (NIO's codec and aggregator, one synchronous handler, no deflate): the floor under any NIO server")
print("  like with like: grest and hummingbird compress replies from 256 B (node ws from 1024 B) at zlib's default level; all validate UTF-8")
PY
exit 0
