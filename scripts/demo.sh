#!/usr/bin/env bash
# The demo: provision a simulated accessory the way a phone or a field tool would.
#
# As root: a SoftAP in a network namespace (veth pair, dnsmasq, the accessory's HTTPS server at
# 192.168.4.1), joined through the `sim` Wi-Fi backend by a real DHCP exchange, provisioned over TLS
# verified by the accessory's pin with every connection bound to the joined interface, then left; the
# SoftAP is removed at the end (also on Ctrl-C).
# Not root: the same accessory on loopback (`accessory sim` in the background + `accessory provision`).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${ACCESSORY_BIN:-${CARGO_TARGET_DIR:-target}/release/accessory}"
if [ ! -x "$BIN" ]; then
  echo "demo: $BIN is not built; run \`make demo\` (it builds it) or set ACCESSORY_BIN" >&2
  exit 2
fi
work="$(mktemp -d -t accessory-demo.XXXXXX)"
sim_pid=""
cleanup() {
  if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
    kill -TERM "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval("d"+sys.argv[2]))' "$@"; }

# Waits for the first line of JSON a background command prints.
wait_for_json() {
  local file="$1"
  for _ in $(seq 1 200); do
    if [ -s "$file" ] && python3 -c 'import json,sys; json.loads(open(sys.argv[1]).readline())' "$file" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$sim_pid" 2>/dev/null; then
      echo "demo: the simulated accessory exited early" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "demo: the simulated accessory did not start in 20 s" >&2
  return 1
}

# What the SoftAP path needs beyond the binary: iproute2 (`ip`), dnsmasq (the SoftAP's DHCP server) and
# python3 (this script reads JSON with it). As root on a fresh Debian machine they are installed here
# (scripts/install-deps.sh, the same list `make deps` installs); when that cannot be done, the demo
# falls back to loopback and says why. ACCESSORY_DEMO_NO_INSTALL=1 skips the install attempt.
PATH="$PATH:/usr/sbin:/sbin"
have() { local p; p=$(type -P "$1") && [ -x "$p" ]; }
softap_ready() { have ip && have dnsmasq && have python3; }
mode=loopback
if [ "$(id -u)" -eq 0 ]; then
  mode=softap
  if ! softap_ready && [ "${ACCESSORY_DEMO_NO_INSTALL:-0}" != 1 ]; then
    echo "== installing what the SoftAP demo needs (iproute2, dnsmasq, python3: scripts/install-deps.sh)"
    ./scripts/install-deps.sh || echo "demo: the install failed (no package mirror?)" >&2
  fi
  if ! softap_ready; then
    missing=""
    for t in ip dnsmasq python3; do have "$t" || missing="$missing $t"; done
    echo "== root, but${missing} missing: the SoftAP demo cannot run; falling back to loopback"
    echo "   (\`make deps\` installs them; then \`make demo\` again for the namespace SoftAP with DHCP)"
    mode=loopback-fallback
  fi
fi
if ! have python3; then
  echo "demo: python3 is needed to read the simulator's JSON (\`make deps\` installs it)" >&2
  exit 3
fi

device_id="SIM-DEMO-7F3A"
if [ "$mode" = softap ]; then
  echo "== root: a SoftAP in a network namespace, joined by DHCP through the sim Wi-Fi backend"
  "$BIN" sim softap --device-id "$device_id" --json --out "$work/softap" >"$work/softap.json" &
  sim_pid=$!
  wait_for_json "$work/softap.json"
  ssid="$(json "$work/softap.json" "['ssid']")"
  pin="$(json "$work/softap.json" "['pin']")"
  pass_file="$(json "$work/softap.json" "['network_passphrase_file']")"
  echo "   SoftAP $ssid in namespace $(json "$work/softap.json" "['namespace']"), accessory $device_id at 192.168.4.1:443"
  echo "   accessory key pin (as from its label): $pin"
  echo
  echo "== accessory provision --wifi sim --ssid-prefix Accessory- --device-id $device_id --pin ..."
  "$BIN" provision --wifi sim --ssid-prefix Accessory- --device-id "$device_id" --pin "$pin" \
    --network-ssid Home --network-passphrase-file "$pass_file" \
    --ledger "$work/ledger.sqlite3"
  echo
  echo "== the station left the SoftAP; stopping it"
  kill -TERM "$sim_pid"
  wait "$sim_pid" || true
  sim_pid=""
  ns="$(json "$work/softap.json" "['namespace']")"
  if ip netns list | grep -q "$ns"; then
    echo "demo: namespace $ns was left behind" >&2
    exit 1
  fi
  echo "   namespace, veth pair, dnsmasq and registry entry removed"
else
  if [ "$mode" = loopback ]; then
    echo "== not root: no network namespace can be made, so this runs on loopback instead"
    echo "   (run as root, e.g. \`sudo make demo\`, for the SoftAP with DHCP and interface binding)"
  fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$BIN" sim --device-id "$device_id" --listen "127.0.0.1:$port" --json --out "$work/sim" >"$work/sim.json" &
  sim_pid=$!
  wait_for_json "$work/sim.json"
  pin="$(json "$work/sim.json" "['pin']")"
  pass_file="$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(next(n["passphrase_file"] for n in d["networks"] if n["ssid"]=="Home"))' "$work/sim.json")"
  echo "   accessory $device_id on 127.0.0.1:$port, key pin $pin"
  echo
  echo "== accessory provision --accessory 127.0.0.1:$port --device-id $device_id --pin ..."
  "$BIN" provision --accessory "127.0.0.1:$port" --device-id "$device_id" --pin "$pin" \
    --network-ssid Home --network-passphrase-file "$pass_file" \
    --ledger "$work/ledger.sqlite3"
fi
echo
echo "== the ledger"
"$BIN" ledger list --ledger "$work/ledger.sqlite3" 2>/dev/null || true
