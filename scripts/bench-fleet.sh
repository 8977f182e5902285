#!/usr/bin/env bash
# Benchmarks `accessory provision fleet` (release build) on 100 simulated accessories (one
# `accessory sim fleet` process on loopback, no simulated delays) at --parallel 1, 2, 4, 8, 16,
# against a curl loop making the same three calls per accessory (GET /v1/device, PUT /v1/network,
# GET /v1/status?wait=5) on one TLS session per accessory (one curl process per accessory, `--next`
# reuses the connection, verified against the fleet's anchors), run by `xargs -P N`.
#
# Each cell: wall time and CPU (user+sys of the measured process and its children, from
# /usr/bin/time) for all 100; speed-up is the wall time at N=1 over the wall time at N. Two
# ledgers: SQLite (a fresh file per run; WAL, synchronous=FULL) and PostgreSQL (a fresh database
# per run on a cluster of the benchmark's own, on loopback, with the server's default durability:
# fsync=on, synchronous_commit=on, unlike the tests' cluster, which runs with fsync=off). The
# server's CPU is not counted, as the simulator's is not (the other sides of the exchange).
#
# Environment: COUNT (default 100), ACCESSORY (a prebuilt binary), CARGO_TARGET_DIR,
# BENCH_POSTGRES_PORT (default 54351), NO_POSTGRES=1 (SQLite only).
set -euo pipefail
cd "$(dirname "$0")/.."

count=${COUNT:-100}
target=${CARGO_TARGET_DIR:-target}
bin=${ACCESSORY:-}
if [ -z "$bin" ]; then
  cargo build --release --quiet --bin accessory
  bin="$target/release/accessory"
fi
command -v curl >/dev/null || { echo "bench-fleet: curl is needed" >&2; exit 1; }

work=$(mktemp -d)
sim_pid=
pg_dir=
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  [ -n "$pg_dir" ] && as_pg "$pg_bin/pg_ctl" -D "$pg_dir" -m fast stop >/dev/null 2>&1 || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# PostgreSQL: a cluster of the benchmark's own, default durability.
pg_port=${BENCH_POSTGRES_PORT:-54351}
pg_url=
if [ -z "${NO_POSTGRES:-}" ]; then
  [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || { echo "bench-fleet: no PostgreSQL server (make deps), or NO_POSTGRES=1" >&2; exit 1; }
  pg_dir="$work/pg"
  mkdir -m 0700 "$pg_dir"
  [ "$(id -u)" -ne 0 ] || { chown postgres: "$pg_dir"; chmod 0711 "$work"; }
  as_pg "$pg_bin/initdb" -D "$pg_dir" -U postgres --auth=trust -E UTF8 >/dev/null
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir" -w -t 30 -l "$pg_dir/server.log" \
    -o "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories=$pg_dir" start >/dev/null
  pg_url="postgres://postgres@127.0.0.1:$pg_port"
fi

cat > "$work/scenario.toml" <<'TOML'
id = "BENCH-0000"
[timings]
connect_delay_ms = 0
TOML
"$bin" sim fleet --scenario "$work/scenario.toml" --count "$count" --id-prefix BENCH \
  --out "$work/sim" --manifest "$work/manifest.json" > "$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 300); do [ -s "$work/manifest.json" ] && break; sleep 0.1; done
[ -s "$work/manifest.json" ] || { echo "bench-fleet: the fleet did not start" >&2; cat "$work/sim.log" >&2; exit 1; }
printf 'correct horse battery\n' > "$work/home.pass"
chmod 600 "$work/home.pass"

# The curl job: one line per accessory, "ID PORT".
python3 - "$work/manifest.json" > "$work/targets" <<'PY'
import json, sys
for a in json.load(open(sys.argv[1]))["accessories"]:
    print(a["id"], a["addr"].rsplit(":", 1)[1])
PY
anchors=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["anchors"])' "$work/manifest.json")
cat > "$work/curl-one.sh" <<SH
#!/bin/sh
# The same three calls on one TLS session, verified against the fleet's anchors.
id=\$1; port=\$2; host=\$id.accessory.local
exec curl -sf --cacert "$anchors" --resolve "\$host:\$port:127.0.0.1" \
  "https://\$host:\$port/v1/device" -o /dev/null --next \
  --cacert "$anchors" --resolve "\$host:\$port:127.0.0.1" -X PUT -H 'content-type: application/json' \
  --data '{"ssid":"Home","passphrase":"correct horse battery","security":"wpa2-psk","hidden":false,"apply":true}' \
  "https://\$host:\$port/v1/network" -o /dev/null --next \
  --cacert "$anchors" --resolve "\$host:\$port:127.0.0.1" "https://\$host:\$port/v1/status?wait=5" -o /dev/null
SH
chmod +x "$work/curl-one.sh"

# Runs a command under /usr/bin/time; prints "wall cpu" in seconds.
measure() {
  /usr/bin/time -f '%e %U %S' -o "$work/time" "$@" > "$work/out" 2> "$work/err" || {
    echo "bench-fleet: failed: $*" >&2; tail -5 "$work/err" >&2; exit 1; }
  awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$work/time"
}

# The fleet run on one ledger; prints "wall cpu".
fleet() {
  measure "$bin" provision fleet --inventory "$work/manifest.json" --parallel "$1" \
    --network-ssid Home --network-passphrase-file "$work/home.pass" --ledger "$2" --json
}
# Fails unless the last fleet run's report says every accessory connected.
check_connected() {
  python3 - "$work/out" "$count" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
if r["counts"].get("connected", 0) != int(sys.argv[2]):
    sys.exit(f"bench-fleet: not every accessory connected: {r['counts']}")
PY
}

printf '%-9s | %-28s | %-28s | %-28s\n' "" "fleet, SQLite ledger" "fleet, PostgreSQL ledger" "curl loop (xargs -P N)"
printf '%-9s | %8s %8s %9s | %8s %8s %9s | %8s %8s %9s\n' "parallel" \
  "wall s" "cpu s" "speed-up" "wall s" "cpu s" "speed-up" "wall s" "cpu s" "speed-up"
base_a= base_p= base_c=
for n in 1 2 4 8 16; do
  rm -f "$work/ledger.sqlite3"*
  read -r aw ac < <(fleet "$n" "$work/ledger.sqlite3")
  check_connected
  pw=- pc=- ps=-
  if [ -n "$pg_url" ]; then
    PGOPTIONS="-c client_min_messages=warning" as_pg "$pg_bin/psql" -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres \
      -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench" >/dev/null
    read -r pw pc < <(fleet "$n" "$pg_url/bench")
    check_connected
    base_p=${base_p:-$pw}
    ps=$(printf '%.2fx' "$(echo "$base_p / $pw" | bc -l)")
  fi
  read -r cw cc < <(measure xargs -P "$n" -L 1 "$work/curl-one.sh" < "$work/targets")
  base_a=${base_a:-$aw}; base_c=${base_c:-$cw}
  printf '%-9s | %8s %8s %8.2fx | %8s %8s %9s | %8s %8s %8.2fx\n' "$n" "$aw" "$ac" \
    "$(echo "$base_a / $aw" | bc -l)" "$pw" "$pc" "$ps" "$cw" "$cc" "$(echo "$base_c / $cw" | bc -l)"
done
echo "$count accessories, loopback, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end;"
echo "SQLite: WAL, synchronous=FULL; PostgreSQL $(basename "$(dirname "$pg_bin")"): fsync=on, synchronous_commit=on;"
echo "simulator and server CPU not counted"
