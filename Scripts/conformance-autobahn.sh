#!/usr/bin/env bash
# Autobahn|Testsuite against Packages/WebSocket, in both roles:
#   server mode: the fuzzing client hits grest-ws-echo (permessage-deflate on), cases 1.x-13.x;
#   client mode: grest-ws-autobahn-client runs every fuzzing-server case through our client.
# Prints both summaries (plus NON-STRICT / INFORMATIONAL cases) and exits non-zero if any case is
# FAILED, UNIMPLEMENTED or missing.
#
#   Scripts/conformance-autobahn.sh            # every case
#   CASES="1.*,12.1.*" Scripts/conformance-autobahn.sh
#
# Reports: ${AUTOBAHN_OUT:-Packages/WebSocket/.build/autobahn-reports}/{server,client}/index.html
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
package="$root/Packages/WebSocket"
autobahn="${AUTOBAHN:-$root/Scripts/autobahn}"
cases="${CASES:-*}"
export AUTOBAHN_OUT="${AUTOBAHN_OUT:-$package/.build/autobahn-reports}"
mkdir -p "$AUTOBAHN_OUT"

echo "conformance: building grest-ws-echo and grest-ws-autobahn-client (release)" >&2
swift build --package-path "$package" -c release --product grest-ws-echo >&2
swift build --package-path "$package" -c release --product grest-ws-autobahn-client >&2
bin="$(swift build --package-path "$package" -c release --show-bin-path)"

pids=()
cleanup() { for pid in "${pids[@]}"; do pkill -P "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_for_port() {
    for _ in $(seq 1 120); do
        (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.5
    done
    echo "conformance: nothing listening on port $1" >&2
    return 1
}

noteworthy() {
    python3 - "$1/index.json" <<'PY'
import json, sys
for agent, cases in json.load(open(sys.argv[1])).items():
    for case, r in sorted(cases.items(), key=lambda kv: [int(x) for x in kv[0].split(".")]):
        for key in ("behavior", "behaviorClose"):
            if r.get(key) in ("NON-STRICT", "INFORMATIONAL"):
                print(f"  {case}: {key}={r[key]}")
PY
}

# Both modes run at the same time (each side of the suite is one single-threaded Python 2 process, and the
# compression cases 12.x/13.x dominate): about 15 minutes on a quiet 2-core machine instead of 30 in sequence.
# SEQUENTIAL=1 runs them one after the other.
server_mode() {
    local echo_log="$AUTOBAHN_OUT/grest-ws-echo.log"
    "$bin/grest-ws-echo" --port 0 >"$echo_log" 2>&1 &
    local echo_pid=$!
    for _ in $(seq 1 100); do grep -q '^listening on' "$echo_log" && break; sleep 0.1; done
    local port
    port="$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$echo_log" | head -1)"
    [ -n "$port" ] || { echo "conformance: grest-ws-echo did not start" >&2; cat "$echo_log" >&2; return 1; }
    echo "conformance: server mode against ws://127.0.0.1:$port (cases: $cases)" >&2
    local status=0
    "$autobahn" server "ws://127.0.0.1:$port" "$cases" grest-ws-echo >"$AUTOBAHN_OUT/server-summary.txt" || status=$?
    kill "$echo_pid" 2>/dev/null || true
    return "$status"
}

client_mode() {
    local client_port
    client_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    "$autobahn" client "$client_port" "$cases" >"$AUTOBAHN_OUT/fuzzingserver.log" 2>&1 &
    local server_pid=$!
    wait_for_port "$client_port" || { kill "$server_pid" 2>/dev/null; return 1; }
    echo "conformance: client mode against the fuzzing server on port $client_port" >&2
    "$bin/grest-ws-autobahn-client" --url "ws://127.0.0.1:$client_port" --agent grest-ws-client \
        >"$AUTOBAHN_OUT/grest-ws-autobahn-client.log" 2>&1 || true
    kill "$server_pid" 2>/dev/null || true
    "$autobahn" summary "$AUTOBAHN_OUT/client" >"$AUTOBAHN_OUT/client-summary.txt"
}

# Install the suite before the two modes start side by side (a first-use install in each would race).
"$autobahn" install
started=$SECONDS
server_status=0
client_status=0
if [ "${SEQUENTIAL:-0}" = 1 ]; then
    server_mode || server_status=$?
    client_mode || client_status=$?
else
    server_mode & pids+=($!)
    client_mode & pids+=($!)
    wait "${pids[0]}" || server_status=$?
    wait "${pids[1]}" || client_status=$?
fi
server_summary="$(cat "$AUTOBAHN_OUT/server-summary.txt" 2>/dev/null || echo "no server summary")"
client_summary="$(cat "$AUTOBAHN_OUT/client-summary.txt" 2>/dev/null || echo "no client summary")"
echo "conformance: Autobahn took $((SECONDS - started)) s" >&2

echo "== Autobahn server mode (grest-ws-echo) =="
echo "$server_summary"
noteworthy "$AUTOBAHN_OUT/server"
echo "== Autobahn client mode (grest-ws-autobahn-client) =="
echo "$client_summary"
noteworthy "$AUTOBAHN_OUT/client"
echo "reports: $AUTOBAHN_OUT/{server,client}/index.html"
[ "$server_status" -eq 0 ] && [ "$client_status" -eq 0 ]
