#!/usr/bin/env bash
# Tests of the browser bindings: native unit tests, then the wasm32 build under Node through
# wasm-bindgen-test-runner (installed with wasm-bindgen-cli by scripts/wasm-tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test -p zkfl-wasm --release --features kat
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test -p zkfl-wasm --release --features kat --target wasm32-unknown-unknown
(cd web-demo/e2e && node --test csv.test.mjs api.test.mjs)
