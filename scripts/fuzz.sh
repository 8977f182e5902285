#!/usr/bin/env bash
# Fuzzes certificate input parsing (PEM/DER/garbage -> certificates, inspection, pins) with libFuzzer.
# Needs the nightly toolchain and cargo-fuzz (installed here if missing). FUZZ_SECONDS sets the run time.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
seconds=${FUZZ_SECONDS:-60}
corpus=fuzz/corpus/certificate_input
mkdir -p "$corpus"
# Seed with real certificates from the catalogue, if the binary is built.
if [ -x target/release/accessory ] && [ -z "$(ls -A "$corpus")" ]; then
  tmp=$(mktemp -d); target/release/accessory certs catalogue --out "$tmp" >/dev/null
  find "$tmp" -name '*.pem' -exec cp {} "$corpus"/ \; ; rm -rf "$tmp"
fi
cargo +nightly fuzz run certificate_input "$corpus" -- -max_total_time="$seconds" -max_len=65536
