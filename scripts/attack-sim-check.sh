#!/usr/bin/env bash
# The broken verifiers (zkfl-core feature `attack-sim`: `zk::verify::verify_with` / `Disable`, the lax z
# decoder, the version-1 A2) exist only for the forgers. This check fails if
#   1. any workspace crate other than the forgers' crate (zkfl-tests) turns the feature on in its normal
#      (non-dev) dependency graph, or
#   2. the release `zkfl` binary or the browser package's .wasm contains `zk::ATTACK_SIM_MARKER`, the text
#      that every broken-verifier code path keeps in the binary it is linked into.
# Positive control: a forgers' test binary (built with the feature) must contain the marker, so the grep in
# step 2 is shown able to fail. The cheating prover (`attack-prover`) is allowed in products: its proofs are
# rejected by the real verifier.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-target}
MARKER=$(sed -n 's/^pub const ATTACK_SIM_MARKER: &str = "\(.*\)";$/\1/p' core/src/zk/mod.rs)
[ -n "$MARKER" ] || { echo "attack-sim-check: marker not found in core/src/zk/mod.rs" >&2; exit 1; }
FORGERS=zkfl-tests
fail=0

echo "-- feature graph: only $FORGERS may enable zkfl-core/attack-sim"
packages=$(cargo metadata --no-deps --format-version 1 |
    python3 -c 'import json, sys; print("\n".join(p["name"] for p in json.load(sys.stdin)["packages"]))')
for p in $packages; do
    feats=$(cargo tree -q -p "$p" -e normal,build -f '{p} [{f}]' --prefix none |
        sed -n 's/^zkfl-core v[^ ]* ([^)]*) \[\(.*\)\]$/\1/p' | sort -u | tr '\n' ' ')
    if [[ ",${feats// /,}," == *",attack-sim,"* ]]; then
        if [ "$p" = "$FORGERS" ]; then
            echo "   $p: attack-sim (allowed: the forgers)"
        else
            echo "   $p: ENABLES attack-sim" >&2
            fail=1
        fi
    else
        echo "   $p: ${feats:-(no zkfl-core)}"
    fi
done

has_marker() { grep -q -a -F "$MARKER" "$1"; }

echo "-- positive control: a forgers' test binary contains the marker"
forger=$(cargo test -q -p "$FORGERS" --release --test zk_forgers_codec --no-run --message-format=json |
    python3 -c 'import json, sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable"): print(m["executable"])' | tail -1)
if [ -n "$forger" ] && has_marker "$forger"; then
    echo "   $(basename "$forger"): marker present"
else
    echo "   forgers' binary '$forger' lacks the marker: the check below could not fail" >&2
    fail=1
fi

echo "-- release zkfl binary"
cargo build -q --release -p zkfl-aggregator --bin zkfl
if has_marker "$TARGET/release/zkfl"; then
    echo "   $TARGET/release/zkfl CONTAINS the broken verifier" >&2
    fail=1
else
    echo "   $TARGET/release/zkfl: absent"
fi

echo "-- browser .wasm (zkfl-wasm, wasm32-unknown-unknown, release)"
cargo build -q --release -p zkfl-wasm --lib --target wasm32-unknown-unknown
wasm="$TARGET/wasm32-unknown-unknown/release/zkfl_wasm.wasm"
if has_marker "$wasm"; then
    echo "   $wasm CONTAINS the broken verifier" >&2
    fail=1
else
    echo "   $wasm: absent"
fi

[ "$fail" = 0 ] && echo "attack-sim-check: ok"
exit "$fail"
