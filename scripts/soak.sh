#!/usr/bin/env bash
# The soak (issue 12, docs/fuzzing.md): 100 simulated accessories, each provisioned 10 times, with
# random faults (bad certificates, alerts, reboots mid-exchange, wrong passphrases, broken answers)
# and runs killed mid-exchange, all into one ledger. Prints the counts; fails unless there are zero
# accepted bad certificates, zero credentials to a refused accessory, zero lost or duplicated
# ledger records. Options go to scripts/soak.py (--accessories, --rounds, --parallel, --seed).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --bin accessory
exec python3 scripts/soak.py --binary target/debug/accessory "$@"
