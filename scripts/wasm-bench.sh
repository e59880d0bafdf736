#!/usr/bin/env bash
# Browser vs native: BFV-encrypting the 108,996-parameter update (set S, 54 chunks) in headless Chromium and
# natively, same seeds, same digest; plus the page package's .wasm size (gzip). The proof is not in this bench:
# the page's worker shows its time. Writes target/browser/bench.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-target}
PKG="$TARGET/wasm-kat-pkg"
[[ "$PKG" = /* ]] || PKG="$PWD/$PKG"
mkdir -p target/browser

wasm-pack build wasm --release --target web --no-pack --out-dir "$PKG" --out-name zkfl_wasm -- --features kat
native=$(cargo run -q -p zkfl-wasm --release --features kat --example bench_encrypt)
browser=$(cd web-demo/e2e && BENCH_PKG="$PKG" node bench.mjs)
[ -f web-demo/pkg/SIZE.txt ] || bash scripts/wasm-build.sh
{
    echo "$native"
    echo "$browser"
    n=$(echo "$native" | sed -n 's/.*: \([0-9.]*\)$/\1/p' | head -1)
    b=$(echo "$browser" | sed -n 's/.*: \([0-9.]*\)$/\1/p' | head -1)
    echo "ratio chromium/native: $(awk -v b="$b" -v n="$n" 'BEGIN { printf "%.2f", b / n }')"
    [ "$(echo "$native" | grep digest)" = "$(echo "$browser" | grep digest)" ] && echo "digests equal" || echo "DIGESTS DIFFER"
    cat web-demo/pkg/SIZE.txt
} | tee target/browser/bench.txt
