#!/usr/bin/env bash
# Benchmarks `accessory provision` (release build) against one simulated accessory on loopback with
# no simulated delays (`connect_delay_ms = 0`): the median wall time over many runs, and the round
# trips each run took.
#
# Two times are reported:
# - "flow": the flow's own `elapsed_ms` (`provision::run`: the ledger's attempt record, connect,
#   TLS, the three exchanges up to the answer "connected", the ledger commits) -- what a user waits
#   for on a real SoftAP, minus the radio;
# - "process": the wall time of the whole `accessory provision` process (start, argument parsing,
#   ledger open, the flow, the ledger write, exit), measured here.
#
# Round trips come from the outcome's `round_trips` (the flow counts every TCP connect attempt, each
# TLS handshake -- two for TLS 1.2 or a HelloRetryRequest -- and each HTTP exchange). The minimum is
# 5: TCP, TLS 1.3, GET /v1/device, PUT /v1/network with apply, one long-poll answer. The script fails
# when a run takes more.
#
# Where the time goes (callgrind, 2026-12, issue 14): before `.cargo/config.toml` set
# AWS_LC_SYS_NO_JITTER_ENTROPY, aws-lc seeded its DRBG with a CPU-jitter collector (`jent_*`) at the
# first random number of the process -- the ClientHello's session id, inside the TLS handshake, so
# inside the flow's time, not before it -- ~97% of a whole process's instructions and 2.6x curl. It
# now seeds from getrandom, as OpenSSL does; the rest is TCP, TLS 1.3, three HTTP exchanges and
# three SQLite commits with fsync (wall time curl does not spend). A fleet run seeds once anyway.
#
# Environment: RUNS (default 200), CARGO_TARGET_DIR (default target), ACCESSORY (a prebuilt binary).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-200}
target=${CARGO_TARGET_DIR:-target}
bin=${ACCESSORY:-}
if [ -z "$bin" ]; then
  cargo build --release --quiet --bin accessory
  bin="$target/release/accessory"
fi

work=$(mktemp -d)
sim_pid=
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/scenario.toml" <<'EOF'
id = "BENCH-0001"
[timings]
connect_delay_ms = 0
EOF
"$bin" sim --scenario "$work/scenario.toml" --listen "127.0.0.1:$port" --out "$work/sim" --json \
  > "$work/sim.json" 2> "$work/sim.log" &
sim_pid=$!
for _ in $(seq 1 100); do [ -s "$work/sim.json" ] && break; sleep 0.1; done
[ -s "$work/sim.json" ] || { echo "bench-provision: the simulator did not start" >&2; cat "$work/sim.log" >&2; exit 1; }
pin=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pin"])' "$work/sim.json")

python3 - "$bin" "$port" "$pin" "$work" "$runs" <<'PY'
import json, resource, statistics, subprocess, sys, time

bin, port, pin, work, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])

def children_cpu_ms():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r.ru_utime + r.ru_stime) * 1000
args = [bin, "provision", "--accessory", f"127.0.0.1:{port}", "--pin", pin,
        "--device-id", "BENCH-0001", "--network-ssid", "Home",
        "--network-passphrase-file", f"{work}/sim/Home.passphrase",
        "--ledger", f"{work}/ledger.sqlite3", "--json"]
flow, process, trips, cpu = [], [], [], []
for i in range(runs + 3):
    c0 = children_cpu_ms()
    t0 = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True)
    wall = (time.perf_counter() - t0) * 1000
    c1 = children_cpu_ms()
    if done.returncode != 0:
        sys.exit(f"bench-provision: run {i} failed ({done.returncode}): {done.stderr.strip()}")
    out = json.loads(done.stdout)
    if i < 3:
        continue  # warm-up: page cache, the ledger's first write
    flow.append(out["elapsed_ms"])
    process.append(wall)
    cpu.append(c1 - c0)
    trips.append(out["round_trips"])

totals = sorted({t["total"] for t in trips})
def q(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]
print(f"provision one simulated accessory on loopback, {runs} runs, no simulated delays")
print(f"  flow     median {statistics.median(flow):7.2f} ms   p90 {q(flow, .9):7.2f} ms   (provision::run: ledger, connect .. 'connected', ledger)")
print(f"  process  median {statistics.median(process):7.2f} ms   p90 {q(process, .9):7.2f} ms   (whole `accessory provision`)")
t = trips[0]
print(f"  round trips per run: {t['total']} (tcp {t['tcp']}, tls {t['tls']}, http {t['http']}); "
      f"distinct totals over all runs: {totals}; minimum possible 5")

# The same three calls from curl on one TLS session (`--next` reuses it), pinned to the same key
# and verified against the same anchors, in the same run: the whole process, as above.
host = "BENCH-0001.accessory.local"
base = ["--cacert", f"{work}/sim/anchors.pem", "--resolve", f"{host}:{port}:127.0.0.1",
        "--pinnedpubkey", pin.replace("sha256/", "sha256//", 1), "-sf", "-o", "/dev/null"]
curl = (["curl"] + base + [f"https://{host}:{port}/v1/device", "--next"] + base
        + ["-X", "PUT", "-H", "content-type: application/json", "--data",
           '{"ssid":"Home","passphrase":"correct horse battery","security":"wpa2-psk","hidden":false,"apply":true}',
           f"https://{host}:{port}/v1/network", "--next"] + base
        + [f"https://{host}:{port}/v1/status?wait=5"])
cwall, ccpu = [], []
for i in range(runs + 3):
    c0 = children_cpu_ms()
    t0 = time.perf_counter()
    done = subprocess.run(curl, capture_output=True, text=True)
    wall = (time.perf_counter() - t0) * 1000
    c1 = children_cpu_ms()
    if done.returncode != 0:
        sys.exit(f"bench-provision: curl run {i} failed ({done.returncode}): {done.stderr.strip()}")
    if i >= 3:
        cwall.append(wall)
        ccpu.append(c1 - c0)
pm, cm = statistics.median(process), statistics.median(cwall)
pc, cc = statistics.mean(cpu), statistics.mean(ccpu)
print(f"  curl     median {cm:7.2f} ms   p90 {q(cwall, .9):7.2f} ms   (same three calls, one pinned TLS session)")
print(f"  whole process vs curl: wall {pm:.2f} / {cm:.2f} ms = {pm / cm:.2f}x; "
      f"CPU (user+sys) {pc:.2f} / {cc:.2f} ms = {pc / cc:.2f}x")
if totals != [5]:
    sys.exit("bench-provision: a run took more than the minimum 5 round trips")
PY
