#!/usr/bin/env bash
# Benchmarks the simulated accessory (release build), in one run:
#
# 1. Full TLS 1.3 handshakes per second (no resumption: `openssl s_time -new`) against
#    `accessory sim` and against `openssl s_server` serving the same certificate chain and key,
#    with the same client, one after the other. Prints both and the ratio (target >= 1.0x).
# 2. The resident memory (VmRSS) of `accessory sim fleet --count 1000` once idle (target <= 200 MB).
#
# The two servers are measured in alternating rounds (BENCH_ROUNDS, default 3, of BENCH_SECONDS,
# default 5, each) so that other load on the machine falls on both alike.
#
# Environment: BENCH_SECONDS, BENCH_ROUNDS, FLEET_COUNT (default 1000), CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${BENCH_SECONDS:-5}
rounds=${BENCH_ROUNDS:-3}
fleet_count=${FLEET_COUNT:-1000}
target=${CARGO_TARGET_DIR:-target}
bin="$target/release/accessory"

cargo build --release --quiet --bin accessory

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_for_line() { # file, seconds
  for _ in $(seq 1 $(($2 * 10))); do
    [ -s "$1" ] && return 0
    sleep 0.1
  done
  echo "bench-sim: timed out waiting for $1" >&2
  return 1
}

wait_for_port() { # port
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench-sim: nothing listens on port $1" >&2
  return 1
}

handshakes() { # port -> prints "connections wall-seconds" for one s_time run
  local out start end
  start=$(date +%s.%N)
  out=$(openssl s_time -connect "127.0.0.1:$1" -new -time "$seconds" 2>&1 </dev/null)
  end=$(date +%s.%N)
  # "1234 connections in 6 real seconds, ..." (whole seconds: the wall time is measured here)
  echo "$out" | awk -v t="$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" \
    '/connections in [0-9]+ real seconds/ { print $1, t; found=1 } END { if (!found) exit 1 }' \
    || { echo "bench-sim: openssl s_time failed:" >&2; echo "$out" >&2; return 1; }
}

echo "== TLS 1.3 full handshakes per second (openssl s_time -new, $rounds alternating rounds of ${seconds}s)"
sim_port=$(free_port)
"$bin" sim --listen "127.0.0.1:$sim_port" --out "$work/sim" --json >"$work/sim.json" 2>"$work/sim.log" &
pids+=($!)
wait_for_line "$work/sim.json" 60
wait_for_port "$sim_port"

# The same identity for openssl s_server: the leaf, then the rest of the chain.
awk -v dir="$work" '/-----BEGIN/ { n++ } { print > (dir "/" (n == 1 ? "leaf.pem" : "rest.pem")) }' "$work/sim/chain.pem"
touch "$work/rest.pem"
ossl_port=$(free_port)
openssl s_server -accept "$ossl_port" -cert "$work/leaf.pem" -cert_chain "$work/rest.pem" \
  -key "$work/sim/key.pem" -tls1_3 -www -quiet </dev/null >/dev/null 2>"$work/s_server.log" &
pids+=($!)
wait_for_port "$ossl_port"

sim_n=0; sim_s=0; ossl_n=0; ossl_s=0
for _ in $(seq 1 "$rounds"); do
  read -r n t < <(handshakes "$sim_port")
  sim_n=$((sim_n + n)); sim_s=$(awk -v a="$sim_s" -v b="$t" 'BEGIN { print a + b }')
  read -r n t < <(handshakes "$ossl_port")
  ossl_n=$((ossl_n + n)); ossl_s=$(awk -v a="$ossl_s" -v b="$t" 'BEGIN { print a + b }')
done
sim_rate=$(awk -v n="$sim_n" -v t="$sim_s" 'BEGIN { printf "%.1f", n / t }')
ossl_rate=$(awk -v n="$ossl_n" -v t="$ossl_s" 'BEGIN { printf "%.1f", n / t }')
ratio=$(awk -v a="$sim_rate" -v b="$ossl_rate" 'BEGIN { printf "%.2f", a / b }')
echo "accessory sim:    $sim_rate handshakes/s"
echo "openssl s_server: $ossl_rate handshakes/s (same chain and key)"
echo "ratio:            ${ratio}x (target >= 1.0x)"
echo "load average:     $(cut -d" " -f1-3 /proc/loadavg) (other work on this machine skews both alike)"

kill "${pids[@]}" 2>/dev/null || true
wait 2>/dev/null || true
pids=()

echo "== Resident memory of accessory sim fleet --count $fleet_count, idle"
"$bin" sim fleet --count "$fleet_count" --out "$work/fleet" --json >"$work/fleet.json" 2>"$work/fleet.log" &
fleet_pid=$!
pids+=($fleet_pid)
wait_for_line "$work/fleet.json" 300
sleep 2
rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$fleet_pid/status")
members=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["accessories"]))' "$work/fleet.json")
rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
echo "fleet of $members: VmRSS ${rss_mb} MB (target <= 200 MB)"
