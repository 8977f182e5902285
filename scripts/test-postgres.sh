#!/usr/bin/env bash
# A PostgreSQL cluster of the tests' own, on loopback, for the several-stations ledger tests.
#
#   scripts/test-postgres.sh start   # prints ACCESSORY_TEST_POSTGRES=postgres://... (also in target/test-postgres.env)
#   scripts/test-postgres.sh stop
#
# Debian's server package (postgresql, installed by `make deps`) provides initdb/pg_ctl; the cluster lives in
# target/test-postgres (0700, owned by the postgres user when run as root, since the server refuses to run as
# root), listens on 127.0.0.1 only, and trusts local connections: a throwaway cluster for tests, never a
# place for real data. Tests create and drop their own databases in it.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${ACCESSORY_TEST_POSTGRES_PORT:-54329}"
dir="$PWD/target/test-postgres"
env_file="$PWD/target/test-postgres.env"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "test-postgres: no PostgreSQL server (initdb) found; \`make deps\` installs Debian's postgresql" >&2
  exit 3
fi
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "${1:-start}" in
  start)
    mkdir -p target
    if [ ! -s "$dir/PG_VERSION" ]; then
      rm -rf "$dir"
      mkdir -m 0700 "$dir"
      [ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
      as_owner "$bin/initdb" -D "$dir" -U postgres --auth=trust --no-sync -E UTF8 >/dev/null
    fi
    if ! as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      as_owner "$bin/pg_ctl" -D "$dir" -w -t 30 -l "$dir/server.log" \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=200" start >/dev/null
    fi
    url="postgres://postgres@127.0.0.1:$port/postgres"
    echo "ACCESSORY_TEST_POSTGRES=$url" > "$env_file"
    echo "ACCESSORY_TEST_POSTGRES=$url"
    ;;
  stop)
    if [ -d "$dir" ]; then as_owner "$bin/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true; fi
    rm -f "$env_file"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
