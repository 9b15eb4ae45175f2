# Sourced by Scripts/cluster.sh and Scripts/bench-cluster.sh: a throwaway PostgreSQL on a free loopback port.
#   pg_start DIR   initdb into DIR/pg/data and start it; sets PG_URL and PG_PID (the postmaster)
#   pg_stop DIR    stop it (fast) if it runs
# As root, PostgreSQL's programs run as the `postgres` user (they refuse root); `make bootstrap` installs them.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_start() {
  local dir=$1 port
  [ -x "$pg_bin/pg_ctl" ] || { echo "PostgreSQL is not installed (make bootstrap installs it)" >&2; return 1; }
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$dir/pg"
  chmod 755 "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir/pg"; fi
  as_postgres "$pg_bin/initdb" -D "$dir/pg/data" -U grest --auth=trust -E UTF8 --no-sync >"$dir/pg-initdb.log" 2>&1
  as_postgres "$pg_bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/log" -w -t 30 start \
    -o "-p $port -k $dir/pg -c listen_addresses=127.0.0.1" >/dev/null
  PG_URL="postgres://grest@127.0.0.1:$port/postgres"
  PG_PID=$(head -1 "$dir/pg/data/postmaster.pid")
}

pg_stop() {
  local dir=$1
  if [ -f "$dir/pg/data/postmaster.pid" ]; then as_postgres "$pg_bin/pg_ctl" -D "$dir/pg/data" -w stop -m fast >/dev/null 2>&1 || true; fi
}
