#!/usr/bin/env bash
# Builds the browser package into web-demo/pkg (ES module + .wasm, `--target web`, usable from the page and from
# a module Web Worker) and prints its sizes. Debian 12's wasm-opt (binaryen 108) is too old for the externref
# table that wasm-bindgen 0.2.130 emits: its output fails in Chromium with "WebAssembly.Table.set(): Argument 1
# is invalid for table", so it is off unless ZKFL_WASM_OPT=1 (for size experiments only).
# Offline: wasm-pack uses the wasm-bindgen CLI on PATH (scripts/wasm-tools.sh installs the pinned version) and
# has wasm-opt disabled in wasm/Cargo.toml, so it downloads nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=web-demo/pkg
wasm-pack build wasm --release --target web --no-pack --out-dir "../$OUT" --out-name zkfl_wasm

WASM=$OUT/zkfl_wasm_bg.wasm
raw=$(stat -c %s "$WASM")
if command -v wasm-opt >/dev/null 2>&1 && [ "${ZKFL_WASM_OPT:-0}" = 1 ]; then
    # rustc's default wasm32 features; binaryen 108 (Debian 12) must be told about each of them.
    wasm-opt -O3 --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
        --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
        "$WASM" -o "$WASM.opt"
    mv "$WASM.opt" "$WASM"
fi
size=$(stat -c %s "$WASM")
gz=$(gzip -9 -c "$WASM" | wc -c)
echo "wasm size: raw $raw B, shipped $size B, gzip -9 $gz B" | tee "$OUT/SIZE.txt"
