#!/usr/bin/env bash
# GrestHTTP vs Hummingbird 2 on the same machine, in the same run: a JSON POST echo and a GET with a path param.
# Release builds of Packages/Http (grest-http-bench-server) and Benchmarks/HTTPBench (hummingbird-bench-server),
# then `wrk -t2 -c64 -d10s` against each, printing req/s, p99 and the GrestHTTP/Hummingbird ratio per route.
#
#   DURATION=10s CONNECTIONS=64 THREADS=2 Scripts/bench-http.sh
#   GREST_PACKAGE=path/to/Http   benchmark another checkout of Packages/Http
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
GREST_PACKAGE="${GREST_PACKAGE:-$ROOT/Packages/Http}"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "bench-http: installing wrk" >&2; apt-get install -y -qq wrk >/dev/null; }

echo "bench-http: building release binaries" >&2
swift build -c release --package-path "$GREST_PACKAGE" --product grest-http-bench-server >&2
swift build -c release --package-path "$ROOT/Benchmarks/HTTPBench" --product hummingbird-bench-server >&2
GREST_BIN="$(swift build -c release --package-path "$GREST_PACKAGE" --show-bin-path)/grest-http-bench-server"
HB_BIN="$(swift build -c release --package-path "$ROOT/Benchmarks/HTTPBench" --show-bin-path)/hummingbird-bench-server"

# Starts a server on a free port (port 0) and sets PORT to the port it reports. Not called in `$(...)`: the PID must
# reach this shell's PIDS, or `cleanup` leaves the server running.
start() {
    local name="$1" bin="$2" log="$WORK/$1.log"
    "$bin" 0 >"$log" 2>&1 &
    PIDS+=("$!")
    for _ in $(seq 1 200); do
        if grep -q '^listening on ' "$log"; then PORT="$(sed -n 's/^listening on \([0-9]*\).*/\1/p' "$log" | head -1)"; return; fi
        sleep 0.05
    done
    echo "bench-http: $name did not start" >&2; cat "$log" >&2; exit 1
}

start grest "$GREST_BIN"; GREST_PORT="$PORT"
start hummingbird "$HB_BIN"; HB_PORT="$PORT"

BODY='{"id":12345,"name":"widget","tags":["alpha","beta","gamma"],"price":19.99,"inStock":true}'
cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
LUA

# Sanity: both answer the same JSON shape.
curl -fsS -X POST -H 'content-type: application/json' -d "$BODY" "http://127.0.0.1:$GREST_PORT/bench/echo" >"$WORK/grest.json" 2>/dev/null || true
curl -fsS -X POST -H 'content-type: application/json' -d "$BODY" "http://127.0.0.1:$HB_PORT/bench/echo" >"$WORK/hb.json" 2>/dev/null || true
echo "bench-http: grest echo  → $(cat "$WORK/grest.json" 2>/dev/null)" >&2
echo "bench-http: hb    echo  → $(cat "$WORK/hb.json" 2>/dev/null)" >&2

# Runs wrk; prints "<req/s> <p99 ms>".
measure() {
    local url="$1" script="${2:-}"
    local args=(-t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency)
    [ -n "$script" ] && args+=(-s "$script")
    wrk "${args[@]}" "$url" >"$WORK/wrk.out" 2>&1
    local rps p99
    rps="$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.out")"
    p99="$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}' "$WORK/wrk.out")"
    if grep -q 'Non-2xx' "$WORK/wrk.out"; then echo "bench-http: non-2xx answers from $url" >&2; grep 'Non-2xx' "$WORK/wrk.out" >&2; fi
    echo "${rps:-0} ${p99:-0}"
}

printf '%-10s %-13s %12s %10s\n' "route" "server" "req/s" "p99 ms"
for route in echo get; do
    if [ "$route" = echo ]; then
        grest="$(measure "http://127.0.0.1:$GREST_PORT/bench/echo" "$WORK/post.lua")"
        hb="$(measure "http://127.0.0.1:$HB_PORT/bench/echo" "$WORK/post.lua")"
    else
        grest="$(measure "http://127.0.0.1:$GREST_PORT/bench/items/42")"
        hb="$(measure "http://127.0.0.1:$HB_PORT/bench/items/42")"
    fi
    read -r g_rps g_p99 <<<"$grest"
    read -r h_rps h_p99 <<<"$hb"
    printf '%-10s %-13s %12s %10s\n' "$route" "GrestHTTP" "$g_rps" "$g_p99"
    printf '%-10s %-13s %12s %10s\n' "$route" "Hummingbird" "$h_rps" "$h_p99"
    awk -v g="$g_rps" -v h="$h_rps" -v r="$route" 'BEGIN { if (h > 0) printf "%-10s ratio GrestHTTP/Hummingbird: %.2fx\n", r, g / h }'
done
