// Browser half of the browser/native ratio: loads the `kat`-featured wasm package (scripts/wasm-bench.sh builds
// it into $BENCH_PKG) in headless Chromium and times KatBench.run() — BFV encryption of the 108,996-parameter
// KAT update (set S, 54 chunks) under a key derived beforehand — median of REPS runs in the main thread. Prints ms and the digest.
import { launch } from './browser.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const PKG = process.env.BENCH_PKG;
const REPS = Number(process.env.REPS || 9);
const ORIGIN = 'http://bench.invalid';
const types = { js: 'text/javascript', wasm: 'application/wasm', html: 'text/html' };

const ctx = await launch();
try {
  const page = await ctx.newPage();
  await page.route(`${ORIGIN}/**`, (route) => {
    const name = new URL(route.request().url()).pathname.slice(1) || 'index.html';
    if (name === 'index.html') return route.fulfill({ contentType: types.html, body: '<!doctype html><title>bench</title>' });
    return route.fulfill({ contentType: types[name.split('.').pop()] ?? 'application/octet-stream', body: readFileSync(join(PKG, name)) });
  });
  await page.goto(`${ORIGIN}/index.html`);
  const r = await page.evaluate(async (reps) => {
    const m = await import('/zkfl_wasm.js');
    await m.default();
    const bench = new m.KatBench();
    const times = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      bench.run();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return { median: times[Math.floor(reps / 2)], digest: bench.digest() };
  }, REPS);
  console.log(`chromium encrypt ms (median of ${REPS}): ${r.median.toFixed(1)}`);
  console.log(`digest ${r.digest}`);
} finally {
  await ctx.close();
}
