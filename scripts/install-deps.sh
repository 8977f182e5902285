#!/usr/bin/env bash
# Installs what the tests, the demo and the benchmarks need on a Debian machine, as root.
# The Rust toolchain itself is expected to be present (rustup). `--check` only lists what is missing.
set -euo pipefail
# wpasupplicant: the wpa_supplicant backend's test drives a real one (wired driver) over its control socket.
# postgresql: the several-stations ledger tests run against a cluster of their own (scripts/test-postgres.sh).
# zbar-tools: zbarimg, a second QR decoder (C, not ours) that must read the label.png `certs mint` writes.
# python3-venv: the venv for Espressif's provisioning client (below).
pkgs=(openssl curl iproute2 dnsmasq-base python3 python3-venv ca-certificates procps psmisc wpasupplicant postgresql zbar-tools)
# gcc, libmbedtls-dev: tests/probe_mbedtls.rs builds a small server on Debian's mbedTLS 2.28 and
# probes it (record sizes, max_fragment_length: a real stack, not our simulator's personality).
pkgs+=(gcc libc6-dev libmbedtls-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Espressif's own provisioning client (esp-rainmaker-cli's rmaker_tools, Apache-2.0), for the ESP-IDF
# interop tests (tests/esp_*.rs find it at target/esp-venv). --no-deps: only the three modules it
# imports, not the CLI's own dependencies.
esp_venv="$(dirname "$0")/../target/esp-venv"
esp_ok() { [ -x "$esp_venv/bin/python" ] && "$esp_venv/bin/python" -c 'import rmaker_tools' 2>/dev/null; }
if [ "${1:-}" = --check ]; then
  esp_ok || missing+=("target/esp-venv")
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
if ! esp_ok; then
  echo "== making target/esp-venv (Espressif's provisioning client from PyPI)"
  python3 -m venv "$esp_venv"
  "$esp_venv/bin/pip" install -q --no-deps esp-rainmaker-cli==1.14.1
  "$esp_venv/bin/pip" install -q protobuf cryptography future
fi
