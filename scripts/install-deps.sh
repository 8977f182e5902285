#!/usr/bin/env bash
# Installs what the tests, the demo and the benchmarks need on a Debian machine, as root.
# The Rust toolchain itself is expected to be present (rustup). `--check` only lists what is missing.
set -euo pipefail
# wpasupplicant: the wpa_supplicant backend's test drives a real one (wired driver) over its control socket.
# postgresql: the several-stations ledger tests run against a cluster of their own (scripts/test-postgres.sh).
pkgs=(openssl curl iproute2 dnsmasq-base python3 ca-certificates procps psmisc wpasupplicant postgresql)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${1:-}" = --check ]; then
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== not installed: ${missing[*]} (\`sudo make deps\` installs them); the tests that need them will be listed as SKIPPED"
    exit 1
  fi
  exit 0
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
