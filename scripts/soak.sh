#!/usr/bin/env bash
# Soak and fault run of the aggregator on loopback (docs/SERVICE.md "Soak"): real zkfl keygen/serve/key-holder
# processes, a junk flood with idle and slow connections, kill -9 of the key holder and of the server mid-round.
# Writes target/soak.json and exits non-zero if a goal is missed. Stops by itself.
#   scripts/soak.sh           full run (12 clinics, 4,000 junk requests, 500 slow connections; a few minutes)
#   scripts/soak.sh --quick   CI run (6 clinics, 1,200 junk requests, 220 slow connections; about a minute)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=()
if [ "${1:-}" = "--quick" ]; then quick=(--quick); fi
cargo build --release -p zkfl-aggregator --bin zkfl --example soak
target_dir="${CARGO_TARGET_DIR:-target}"
mkdir -p target
exec "$target_dir/release/examples/soak" --zkfl "$target_dir/release/zkfl" --out target/soak.json "${quick[@]}"
