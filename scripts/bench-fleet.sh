#!/usr/bin/env bash
# Benchmarks `accessory provision fleet` (release build) on 100 simulated accessories (one
# `accessory sim fleet` process on loopback, no simulated delays) at --parallel 1, 2, 4, 8, 16,
# against a curl loop making the same three calls per accessory (GET /v1/device, PUT /v1/network,
# GET /v1/status?wait=5) on one TLS session per accessory (one curl process per accessory, `--next`
# reuses the connection, verified against the fleet's anchors), run by `xargs -P N`.
#
# Each cell: wall time and CPU (user+sys of the measured process and its children, from
# /usr/bin/time) for all 100; speed-up is the wall time at N=1 over the wall time at N. The ledger
# is SQLite (a fresh file per run); the PostgreSQL column is left for the ledger's backend.
# The simulator's own CPU is not counted (it is the accessories' side).
#
# Environment: COUNT (default 100), ACCESSORY (a prebuilt binary), CARGO_TARGET_DIR.
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
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

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

printf '%-9s | %-28s | %-28s | %s\n' "" "accessory provision fleet" "curl loop (xargs -P N)" "PostgreSQL"
printf '%-9s | %8s %8s %9s | %8s %8s %9s | %s\n' "parallel" "wall s" "cpu s" "speed-up" "wall s" "cpu s" "speed-up" "wall s"
base_a= base_c=
for n in 1 2 4 8 16; do
  rm -f "$work/ledger.sqlite3"*
  read -r aw ac < <(measure "$bin" provision fleet --inventory "$work/manifest.json" --parallel "$n" \
    --network-ssid Home --network-passphrase-file "$work/home.pass" --ledger "$work/ledger.sqlite3" --json)
  python3 - "$work/out" "$count" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
if r["counts"].get("connected", 0) != int(sys.argv[2]):
    sys.exit(f"bench-fleet: not every accessory connected: {r['counts']}")
PY
  read -r cw cc < <(measure xargs -P "$n" -L 1 "$work/curl-one.sh" < "$work/targets")
  base_a=${base_a:-$aw}; base_c=${base_c:-$cw}
  printf '%-9s | %8s %8s %8.2fx | %8s %8s %8.2fx | %s\n' "$n" "$aw" "$ac" \
    "$(echo "$base_a / $aw" | bc -l)" "$cw" "$cc" "$(echo "$base_c / $cw" | bc -l)" "(lead)"
done
echo "$count accessories, loopback, $(nproc) cores; SQLite ledger; simulator CPU not counted"
