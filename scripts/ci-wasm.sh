#!/usr/bin/env bash
# Everything CI does for the browser clinic (call from .ci/run): install the pinned tools only when missing,
# build the wasm package offline, check its gzip size against the 450 KB budget, run the binding tests
# (native + Node), then the end-to-end browser test in headless Chromium against a real `zkfl serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== wasm: tools (installed only when missing or of another version)"
bash scripts/wasm-tools.sh
echo "== wasm: build (wasm-pack, offline)"
bash scripts/wasm-build.sh
echo "== wasm: size budget (gzip -9 of the page's .wasm <= 450 KB; issue 11)"
gz=$(gzip -9 -c web-demo/pkg/zkfl_wasm_bg.wasm | wc -c)
if [ "$gz" -gt 450000 ]; then
    echo "the page's .wasm is $gz B after gzip -9, above the 450,000 B budget" >&2
    exit 1
fi
echo "gzip -9: $gz B (budget 450,000 B)"
echo "== wasm: binding tests (native + Node)"
bash scripts/wasm-test.sh
if [ -f scripts/browser-test.sh ]; then
    echo "== wasm: end-to-end browser test (headless Chromium)"
    bash scripts/browser-test.sh
fi
