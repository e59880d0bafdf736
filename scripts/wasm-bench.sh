#!/usr/bin/env bash
# Browser vs native, same run, same seeds, same bytes: (1) BFV encryption of the 108,996-parameter KAT update
# (set S, 54 chunks), (2) clip + quantize + encrypt + prove of that update through the page's code path
# (ClinicRound::encrypt). Native first, then headless Chromium (main thread); the digests of both must agree.
# Also the page package's .wasm size (raw and gzip -9). Writes target/browser/bench.json (machine-readable)
# and target/browser/bench.txt. Env: REPS (encrypt, default 9), PROVE_REPS (encrypt + prove, default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-target}
PKG="$TARGET/wasm-kat-pkg"
[[ "$PKG" = /* ]] || PKG="$PWD/$PKG"
mkdir -p target/browser
export REPS=${REPS:-9} PROVE_REPS=${PROVE_REPS:-3}

wasm-pack build wasm --release --target web --no-pack --out-dir "$PKG" --out-name zkfl_wasm -- --features kat
[ -f web-demo/pkg/zkfl_wasm_bg.wasm ] || bash scripts/wasm-build.sh
cargo build -q -p zkfl-wasm --release --features kat --examples
native_enc=$(cargo run -q -p zkfl-wasm --release --features kat --example bench_encrypt)
native_prove=$(REPS=$PROVE_REPS cargo run -q -p zkfl-wasm --release --features kat --example bench_prove)
browser=$(cd web-demo/e2e && BENCH_PKG="$PKG" node bench.mjs)

NATIVE_ENC="$native_enc" NATIVE_PROVE="$native_prove" BROWSER="$browser" \
WASM="web-demo/pkg/zkfl_wasm_bg.wasm" OUT="target/browser/bench.json" node --input-type=module -e '
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { cpus, loadavg } from "node:os";
const env = process.env;
const ms = (text) => Number(/ms \(median of \d+\): ([0-9.]+)/.exec(text)[1]);
const digest = (text) => text.split("\n").filter((l) => /^(digest|proof_len|ciphertext|proof) /.test(l)).join("\n");
const b = JSON.parse(env.BROWSER);
const wasm = readFileSync(env.WASM);
const enc = { native_ms: ms(env.NATIVE_ENC), chromium_ms: b.encrypt.median_ms, reps: b.encrypt.reps,
  same_bytes: digest(env.NATIVE_ENC) === `digest ${b.encrypt.digest}` };
const ep = { native_ms: ms(env.NATIVE_PROVE), chromium_ms: b.encrypt_prove.median_ms, reps: b.encrypt_prove.reps,
  same_bytes: digest(env.NATIVE_PROVE) === b.encrypt_prove.digest.trim(),
  proof_len: Number(/proof_len (\d+)/.exec(b.encrypt_prove.digest)[1]) };
enc.ratio = enc.chromium_ms / enc.native_ms;
ep.ratio = ep.chromium_ms / ep.native_ms;
const out = {
  params: 108996, param_set: "S", chunks: 54,
  encrypt: enc,
  encrypt_prove: ep,
  ratio_encrypt_prove: ep.ratio,
  goal_ratio_max: 1.6,
  wasm: { file: env.WASM, raw_bytes: wasm.length, gzip9_bytes: gzipSync(wasm, { level: 9 }).length },
  chromium: b.user_agent, cpus: cpus().length, loadavg_1m: loadavg()[0],
  date: new Date().toISOString(),
};
writeFileSync(env.OUT, JSON.stringify(out, null, 2) + "\n");
if (!enc.same_bytes || !ep.same_bytes) { console.error("DIGESTS DIFFER between native and Chromium"); process.exit(1); }
'
{
    echo "$native_enc"
    echo "$native_prove"
    echo "chromium: $browser"
    cat target/browser/bench.json
} > target/browser/bench.txt
cat target/browser/bench.json
