#!/usr/bin/env bash
# Fuzzes every parser of outside input with libFuzzer (cargo-fuzz; docs/fuzzing.md lists the
# targets). Needs the nightly toolchain and cargo-fuzz (installed here if missing).
#
#   scripts/fuzz.sh [TARGET...]     each target FUZZ_SECONDS (default 60) seconds
#   scripts/fuzz.sh --smoke         build every target, run each FUZZ_SECONDS (default 5) seconds
#
# The seeds are in fuzz/corpus/<target>/ (in the repository, read only here); what a run learns
# goes to fuzz/target/corpus/<target>/ (not committed). A crash stops the run with a non-zero
# status and leaves its input in fuzz/artifacts/<target>/: make it a unit test in the owning crate.
# The last line of each run ("Done N runs in S second(s)") is the figure docs/fuzzing.md quotes.
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=false
if [ "${1:-}" = "--smoke" ]; then smoke=true; shift; fi
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: the nightly toolchain is missing (rustup toolchain install nightly)" >&2
  exit 2
fi
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
seconds=${FUZZ_SECONDS:-$($smoke && echo 5 || echo 60)}
# No AddressSanitizer: our crates forbid unsafe code, and the C of aws-lc is built by cc without
# the sanitizer flags anyway; what is left to find is panics, overflows (debug assertions on) and
# broken invariants, and ASan would halve the executions. Debug assertions turn on overflow checks.
build=(-s none -a)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cd fuzz && cargo +nightly fuzz list)
fi
(cd fuzz && cargo +nightly fuzz build "${build[@]}")
for t in "${targets[@]}"; do
  seeds=fuzz/corpus/$t
  work=fuzz/target/corpus/$t
  [ -d "$seeds" ] || { echo "fuzz: no seeds for $t in $seeds" >&2; exit 2; }
  mkdir -p "$work"
  echo "== fuzz $t for ${seconds}s (seeds: $(ls "$seeds" | wc -l))"
  log=fuzz/target/fuzz-$t.log
  status=0
  # cargo fuzz runs in fuzz/; the paths are relative to it.
  (cd fuzz && cargo +nightly fuzz run "${build[@]}" "$t" "target/corpus/$t" "corpus/$t" -- \
    -max_total_time="$seconds" -max_len=65536 -print_final_stats=1) >"$log" 2>&1 || status=$?
  grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units|thread .* panicked|SUMMARY|Test unit written)' "$log" || true
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$log" >&2
    echo "fuzz: $t FAILED (status $status): the input is in fuzz/artifacts/$t/, the log in $log" >&2
    exit 1
  fi
done
