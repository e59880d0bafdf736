// Browser half of the browser/native bench (scripts/wasm-bench.sh): loads the `kat`-featured wasm package
// (built into $BENCH_PKG) in headless Chromium, in the main thread, and times
//   - KatBench.run(): BFV encryption of the 108,996-parameter KAT update (set S, 54 chunks), median of REPS;
//   - KatProveBench.run(): clip + quantize + encrypt + prove of the same update with the page's code path
//     (ClinicRound::encrypt) and seeded randomness, median of PROVE_REPS.
// Prints one JSON object: times, the results' digests (must equal the native ones) and the browser version.
import { launch } from './browser.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const PKG = process.env.BENCH_PKG;
const REPS = Number(process.env.REPS || 9);
const PROVE_REPS = Number(process.env.PROVE_REPS || 3);
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
  const r = await page.evaluate(async ([reps, proveReps]) => {
    const m = await import('/zkfl_wasm.js');
    await m.default();
    const median = (bench, n) => {
      const times = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        bench.run();
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      return { median_ms: times[Math.floor(n / 2)], reps: n, times_ms: times };
    };
    const enc = new m.KatBench();
    const encrypt = { ...median(enc, reps), digest: enc.digest() };
    const prove = new m.KatProveBench();
    const encrypt_prove = { ...median(prove, proveReps), digest: prove.digest() };
    return { encrypt, encrypt_prove, user_agent: navigator.userAgent };
  }, [REPS, PROVE_REPS]);
  console.log(JSON.stringify(r));
} finally {
  await ctx.close();
}
