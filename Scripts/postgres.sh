# Sourced by Scripts/cluster.sh, Scripts/bench-cluster.sh and the tests' PostgresServer fixture
# (Examples/Tests/ChatExampleTests): a throwaway PostgreSQL on a loopback port.
#   pg_start DIR   initdb into DIR/pg/data and start it on a free port; sets PG_URL and PG_PID (the postmaster)
#   pg_stop DIR    stop it (fast) if it runs
# and the steps they take, for a caller that picks the folders, the port and the settings itself:
#   pg_init DATA                             initdb into DATA (user grest, trust authentication, UTF8)
#   pg_run DATA SOCKETS PORT LOG [NAME=VALUE...]   pg_ctl start on 127.0.0.1:PORT, waiting until it accepts connections
#   pg_halt DATA                             pg_ctl stop -m fast, waiting (connections dropped, the data stays)
# As root, PostgreSQL's programs run as the `postgres` user (they refuse root); `make bootstrap` installs them.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_init() {
  as_postgres "$pg_bin/initdb" -D "$1" -U grest --auth=trust -E UTF8 --no-sync
}

pg_run() {
  local data=$1 sockets=$2 port=$3 log=$4 options setting
  shift 4
  options="-p $port -k $sockets -c listen_addresses=127.0.0.1"
  for setting in "$@"; do options="$options -c $setting"; done
  as_postgres "$pg_bin/pg_ctl" -D "$data" -l "$log" -w -t 30 start -o "$options"
}

pg_halt() {
  as_postgres "$pg_bin/pg_ctl" -D "$1" -w -t 30 stop -m fast
}

pg_start() {
  local dir=$1 port
  [ -x "$pg_bin/pg_ctl" ] || { echo "PostgreSQL is not installed (make bootstrap installs it)" >&2; return 1; }
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$dir/pg"
  chmod 755 "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir/pg"; fi
  pg_init "$dir/pg/data" >"$dir/pg-initdb.log" 2>&1
  pg_run "$dir/pg/data" "$dir/pg" "$port" "$dir/pg/log" >/dev/null
  PG_URL="postgres://grest@127.0.0.1:$port/postgres"
  PG_PID=$(head -1 "$dir/pg/data/postmaster.pid")
}

pg_stop() {
  local dir=$1
  if [ -f "$dir/pg/data/postmaster.pid" ]; then pg_halt "$dir/pg/data" >/dev/null 2>&1 || true; fi
}
