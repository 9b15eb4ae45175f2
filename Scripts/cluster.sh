#!/usr/bin/env bash
# make cluster: a local PostgreSQL, the discovery router and REPLICAS chat servers behind it, one URL for all of them.
#   ROUTER_PORT=9000 REPLICAS=2 bash Scripts/cluster.sh
# PostgreSQL runs from a temporary data folder on a free loopback port (initdb + pg_ctl; as the `postgres` user when
# run as root) and holds the history; every chat server LISTENs on it, so a message sent on one replica reaches the
# clients of all of them. Each chat server binds a free port and registers its APIs, its socket and its page with
# the router; the router round-robins every request and every WebSocket upgrade across the replicas. Kill the router
# (or any replica) and watch the rest carry on: a chat server takes the router's port over when the router dies.
# Ctrl-C stops everything gracefully (SIGTERM: each replica withdraws its routes before it stops), then PostgreSQL,
# and removes its folder.
set -euo pipefail
cd "$(dirname "$0")/.."

router_port=${ROUTER_PORT:-9000}
replicas=${REPLICAS:-2}
scratch=.build-examples

swift build --package-path Examples --scratch-path "$scratch" --product grest-chat-server
swift build --package-path Examples --scratch-path "$scratch" --product grest-discovery
bin=$(swift build --package-path Examples --scratch-path "$scratch" --show-bin-path)

logs=$(mktemp -d)
pids=()
source Scripts/postgres.sh
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pg_stop "$logs"
  rm -rf "$logs"
}
trap stop EXIT INT TERM

pg_start "$logs"
postgres_url=$PG_URL

# Waits (10 s at most) until `file` holds a line matching `pattern`, and prints that line.
wait_for() {
  local file=$1 pattern=$2
  for _ in $(seq 1 200); do
    if grep -m1 -E "$pattern" "$file" 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "cluster: timed out waiting for '$pattern' in $file:" >&2
  cat "$file" >&2
  return 1
}

"$bin/grest-discovery" --port "$router_port" --health-path /metrics >"$logs/router.log" 2>&1 &
pids+=($!)
wait_for "$logs/router.log" "routing on" >/dev/null

ports=()
for index in $(seq 1 "$replicas"); do
  "$bin/grest-chat-server" --port 0 --postgres "$postgres_url" --discovery-port "$router_port" >"$logs/chat-$index.log" 2>&1 &
  pids+=($!)
  line=$(wait_for "$logs/chat-$index.log" "Registered in discovery")
  ports+=("$(sed -E 's/.* port=([0-9]+) .*/\1/' <<<"$line")")
done

cat <<EOF
grest chat cluster: one router, $replicas chat servers, PostgreSQL on $postgres_url
  open http://127.0.0.1:$router_port/       round-robins across the replicas on ports ${ports[*]}
  socket ws://127.0.0.1:$router_port/ws/chat     each upgrade goes to the next replica
  try:   for i in 1 2 3 4; do curl -s -H 'authorization: Bearer alice' http://127.0.0.1:$router_port/api/me; echo; done
  history lives in PostgreSQL; a message sent on any replica is pushed to the clients of every replica (LISTEN/NOTIFY).
  logs:  $logs    Ctrl-C stops the cluster.
EOF
wait || true
