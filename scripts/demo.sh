#!/usr/bin/env bash
# The demo grows with the product. For now: generate the certificate catalogue and verify a few profiles.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "demo: not built yet"
