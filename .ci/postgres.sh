#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests and prints the lines
# to eval: ROLLCALL_TEST_POSTGRES_URL and ROLLCALL_TEST_POSTGRES_DIR.
#
#   eval "$(.ci/postgres.sh start)"   # initdb into a temporary directory,
#                                     # a free port on 127.0.0.1
#   .ci/postgres.sh stop "$ROLLCALL_TEST_POSTGRES_DIR"
#
# Installs Debian's postgresql package when initdb is missing. As root it
# runs the server as the postgres user (initdb refuses root).
set -euo pipefail

bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ]; then echo "$d"; return; fi
  done
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  return 1
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local bin
  if ! bin=$(bindir); then
    echo "== installing postgresql (Debian package) for the PostgreSQL tests" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >/dev/null
    bin=$(bindir)
  fi
  local dir port
  dir=$(mktemp -d "${TMPDIR:-/tmp}/rollcall-pg.XXXXXX")
  chmod 755 "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_owner "$bin/initdb" -D "$dir/data" -U rollcall --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  # Every user is trusted, except rollcall_pw, which must give its password
  # (scram-sha-256): the tests of a wrong password use it.
  as_owner sh -c "{ echo 'host all rollcall_pw 127.0.0.1/32 scram-sha-256'; cat '$dir/data/pg_hba.conf'; } > '$dir/data/pg_hba.new' && mv '$dir/data/pg_hba.new' '$dir/data/pg_hba.conf'"
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c fsync=off -c full_page_writes=off" start >&2 ||
    { cat "$dir/server.log" >&2; exit 1; }
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U rollcall rollcall >&2
  echo "export ROLLCALL_TEST_POSTGRES_URL='postgres://rollcall@127.0.0.1:$port/rollcall?sslmode=disable'"
  echo "export ROLLCALL_TEST_POSTGRES_DIR='$dir'"
  echo "export ROLLCALL_TEST_POSTGRES_BIN='$bin'"
}

stop() {
  local dir=$1 bin
  bin=$(bindir)
  if [ -d "$dir/data" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:?usage: postgres.sh stop DIR}" ;;
  *) echo "usage: postgres.sh start | stop DIR" >&2; exit 2 ;;
esac
