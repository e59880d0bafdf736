#!/usr/bin/env bash
# Everything CI does for the browser clinic (call from .ci/run): install the pinned tools only when missing,
# build the wasm package offline, run the binding tests (native + Node), then the end-to-end browser test in
# headless Chromium against a real `zkfl serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== wasm: tools (installed only when missing or of another version)"
bash scripts/wasm-tools.sh
echo "== wasm: build (wasm-pack, offline)"
bash scripts/wasm-build.sh
echo "== wasm: binding tests (native + Node)"
bash scripts/wasm-test.sh
if [ -f scripts/browser-test.sh ]; then
    echo "== wasm: end-to-end browser test (headless Chromium)"
    bash scripts/browser-test.sh
fi
