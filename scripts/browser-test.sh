#!/usr/bin/env bash
# End-to-end browser test: builds `zkfl` and the wasm package if needed, then drives Debian's headless Chromium
# (playwright-core, no browser download) against a real `zkfl serve --web-dir web-demo` on 127.0.0.1.
# The screenshot lands in target/browser/clinic.png.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-target}

cargo build -p zkfl-aggregator --release
[ -f web-demo/pkg/zkfl_wasm.js ] || bash scripts/wasm-build.sh
[ -d web-demo/e2e/node_modules/playwright-core ] || (cd web-demo/e2e && npm ci --no-audit --no-fund)
export ZKFL_BIN="$PWD/$TARGET/release/zkfl"
[[ "$TARGET" = /* ]] && ZKFL_BIN="$TARGET/release/zkfl"
export SCREENSHOT_DIR="$PWD/target/browser"
(cd web-demo/e2e && node --test --test-concurrency=1 clinic.test.mjs spec.test.mjs)
