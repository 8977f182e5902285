#!/usr/bin/env bash
# The simulator under load (issue 12 "Also build"): 1,000 concurrent idle TLS connections plus 200
# slow-header ones (a slowloris: one header byte a second) held against one `accessory sim`, while a
# legitimate `accessory provision` runs. Prints a table: the provisioning's latency (target under
# 2 s), how many connections were held, and the simulator's resident memory (VmRSS) fresh, under
# the load, and after the load closed.
#
# Environment: ACCESSORY_BIN (default target/release/accessory, else target/debug/accessory),
# LOAD_IDLE (1000), LOAD_SLOW (200), LOAD_ROUNDS (3: memory that is reused, not leaked, stays flat),
# SETTLE (seconds after closing, 5).
set -euo pipefail
cd "$(dirname "$0")/.."

target=${CARGO_TARGET_DIR:-target}
bin=${ACCESSORY_BIN:-}
if [ -z "$bin" ]; then
  if [ -x "$target/release/accessory" ]; then bin="$target/release/accessory"; else bin="$target/debug/accessory"; fi
fi
[ -x "$bin" ] || { echo "bench-sim-load: $bin is not built (cargo build --bin accessory)" >&2; exit 2; }
idle=${LOAD_IDLE:-1000}
slow=${LOAD_SLOW:-200}
settle=${SETTLE:-5}

work=$(mktemp -d -t accessory-load.XXXXXX)
sim_pid="" load_pid=""
cleanup() {
  for p in $load_pid $sim_pid; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" sim --listen 127.0.0.1:0 --out "$work/sim" --json >"$work/sim.json" 2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 1 100); do [ -s "$work/sim.json" ] && break; sleep 0.1; done
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/sim.json" "$1"; }
addr=$(field addr)
anchors=$(field anchors)
device=$(field device_id)
provision=$(field provision)
rss() { awk '/^VmRSS/ {print $2}' "/proc/$sim_pid/status"; }
fds() { ls "/proc/$sim_pid/fd" | wc -l; }

# One legitimate provisioning; prints its wall time in milliseconds.
provision_ms() {
  local ledger="$work/ledger-$1.sqlite3" start end
  start=$(date +%s%N)
  # shellcheck disable=SC2086 # the printed command is words
  ${provision/#accessory/$bin} --ledger "$ledger" --deadline 30 >"$work/provision-$1.log" 2>&1 \
    || { echo "bench-sim-load: provisioning ($1) failed:" >&2; cat "$work/provision-$1.log" >&2; exit 1; }
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}

sleep 1
fresh_rss=$(rss)
quiet_ms=$(provision_ms quiet)

rounds=${LOAD_ROUNDS:-3}
table=()
for round in $(seq 1 "$rounds"); do
  rm -f "$work/ready"
  python3 scripts/sim-load.py "$addr" "$anchors" "$device.accessory.local" "$idle" "$slow" "$work/ready" \
    2>"$work/load.log" &
  load_pid=$!
  for _ in $(seq 1 1200); do [ -s "$work/ready" ] && break; sleep 0.1; done
  [ -s "$work/ready" ] || { echo "bench-sim-load: the load did not open in 120 s" >&2; exit 1; }
  held_before=$(cat "$work/ready")
  under_ms=$(provision_ms "loaded-$round")
  under_rss=$(rss)
  under_fds=$(fds)
  held_after=$(cat "$work/ready")
  kill -TERM "$load_pid"; wait "$load_pid" 2>/dev/null || true; load_pid=""
  sleep "$settle"
  after_rss=$(rss)
  after_fds=$(fds)
  table+=("$(printf '%-6s %-22s %-22s %8s %10s %10s %10s' "$round" "$held_before" "$held_after" "$under_ms" \
    "$(echo "scale=1; $under_rss/1024" | bc)" "$(echo "scale=1; $after_rss/1024" | bc)" "$under_fds/$after_fds")")
done

echo "accessory sim under load ($bin; $idle idle TLS + $slow slow-header connections, $rounds rounds)"
printf '%-44s %s ms\n' "provisioning, no load" "$quiet_ms"
printf '%-44s %6.1f MB\n' "simulator RSS fresh" "$(echo "$fresh_rss/1024" | bc -l)"
printf '%-6s %-22s %-22s %8s %10s %10s %10s\n' round "held at start" "held at end" "prov ms" "RSS under" "RSS after" "fds u/a"
printf '%s\n' "${table[@]}"
echo "(RSS in MB; 'after' is ${settle} s after the load closed; provisioning target < 2000 ms)"
