// End-to-end test of the browser clinic: a real `zkfl serve --web-dir web-demo` on 127.0.0.1, Debian's
// headless Chromium driven by playwright-core, the page loaded from the aggregator. It generates the synthetic
// data and trains in the Web Worker (wasm), then submits an honest update (must be accepted) and the attacker demo's
// poisoned one (unclipped N(0, 50²) noise with a cheating prover's proof: must be rejected, proof_invalid), and
// saves a screenshot of the page showing both verdicts (SCREENSHOT_DIR/clinic.png). Along the way it checks the
// page as a clinic user meets it: the bar moves during the proof, errors clear after a later success, a bad CSV
// unloads the old data, the clinic id and the data agree, the verdict is scrolled to and focused, the timing
// table is per submission, Submit turns off when the round closes, and the bytes a load, a reload and a
// re-submission download (printed; the server compresses and answers 304 to known ETags).
// Env: ZKFL_BIN (path of the zkfl binary), SCREENSHOT_DIR (default <repo>/target/browser).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const ZKFL = process.env.ZKFL_BIN || join(repo, 'target/release/zkfl');
const SHOTS = process.env.SCREENSHOT_DIR || join(repo, 'target/browser');
const PARAMS = 108_996;

let server, base, ctx, page, keys;

// Bytes on the wire, from Chromium's own accounting (headers + encoded body), page and worker requests alike.
const traffic = { pending: [], down: 0, up: 0, byUrl: new Map(), inflight: 0 };
function countTraffic(p) {
  p.on('request', () => { traffic.inflight++; });
  p.on('requestfailed', () => { traffic.inflight--; });
  p.on('requestfinished', (req) => {
    traffic.inflight--;
    traffic.pending.push(req.sizes().then((s) => {
    const down = s.responseHeadersSize + s.responseBodySize;
    traffic.down += down;
    traffic.up += s.requestHeadersSize + s.requestBodySize;
    const path = new URL(req.url()).pathname;
      traffic.byUrl.set(path, (traffic.byUrl.get(path) ?? 0) + down);
    }, () => {}));
  });
}
/** Bytes downloaded (and uploaded) while `f` runs, once the network is quiet again. */
async function measure(f) {
  await settle();
  const [d0, u0] = [traffic.down, traffic.up];
  traffic.byUrl.clear();
  await f();
  await settle();
  return { down: traffic.down - d0, up: traffic.up - u0, byUrl: Object.fromEntries(traffic.byUrl) };
}
/** Waits until no request has been in flight for half a second, then for their byte counts. */
async function settle() {
  for (let quiet = 0; quiet < 5;) {
    await new Promise((r) => setTimeout(r, 100));
    quiet = traffic.inflight > 0 ? 0 : quiet + 1;
  }
  await Promise.all(traffic.pending);
}
const kB = (n) => `${(n / 1000).toFixed(1)} kB`;

/** A deterministic small-random initial model (little-endian f32), like a freshly initialised MLP. */
function initialModel() {
  const buf = new Float32Array(PARAMS);
  let x = 0x9e3779b9;
  for (let i = 0; i < PARAMS; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    buf[i] = (x / 2 ** 32 - 0.5) * 0.1;
  }
  return Buffer.from(buf.buffer);
}

function startServer(dir) {
  return new Promise((resolveStart, reject) => {
    const p = spawn(ZKFL, ['serve', '--addr', '127.0.0.1:0', '--data-dir', join(dir, 'data'), '--keys', keys,
      '--initial-model', join(dir, 'model.bin'), '--open-round', '--web-dir', join(repo, 'web-demo')],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`zkfl serve did not start:\n${out}`)), 60_000);
    const onData = (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); resolveStart({ p, url: m[1] }); }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', (d) => { out += d; });
    p.on('exit', (code) => reject(new Error(`zkfl serve exited (${code}):\n${out}`)));
  });
}

before(async () => {
  for (const f of ['clinic.png', 'clinic-failed.png']) rmSync(join(SHOTS, f), { force: true });
  const dir = mkdtempSync(join(tmpdir(), 'zkfl-e2e-'));
  keys = join(dir, 'keys');
  execFileSync(ZKFL, ['keygen', '--out', keys, '--clinics', '5'], { stdio: 'pipe' });
  writeFileSync(join(dir, 'model.bin'), initialModel());
  ({ p: server, url: base } = await startServer(dir));
  ctx = await launch();
  page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  countTraffic(page);
});

let shotTaken = false;

after(async () => {
  if (page && !shotTaken) {
    // A test failed before the verdicts screenshot: keep the page as it was, for diagnosis.
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'clinic-failed.png'), fullPage: true }).catch(() => {});
  }
  await ctx?.close();
  server?.kill('SIGTERM');
});

test('the page and the wasm package load from zkfl serve, compressed; a reload downloads only 304s', async () => {
  const load = await measure(async () => {
    await page.goto(`${base}/index.html`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    await page.waitForSelector('#round[data-round]', { timeout: 30_000 });
  });
  assert.match(await page.textContent('#about'), /^zkfl-wasm \d+\.\d+\.\d+/);
  assert.match(await page.textContent('#round'), /108,996 parameters/);
  assert.match(await page.textContent('#round'), /open/);
  // The deadline in local time with the time left, not a raw UTC timestamp.
  const deadline = await page.textContent('#deadline');
  assert.match(deadline, /closes in \d+ min/);
  assert.doesNotMatch(deadline, /\d{4}-\d\d-\d\dT/);
  const wasm = Object.entries(load.byUrl).find(([u]) => u.endsWith('.wasm'));
  const raw = statSync(join(repo, 'web-demo/pkg/zkfl_wasm_bg.wasm')).size;
  const reload = await measure(async () => {
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    await page.waitForSelector('#round[data-round]', { timeout: 30_000 });
  });
  console.log(`bytes downloaded: first load ${kB(load.down)} (wasm ${kB(wasm?.[1] ?? 0)} of ${kB(raw)} raw), `
    + `reload ${kB(reload.down)}`);
  assert.ok(wasm && wasm[1] < 0.8 * raw, `the wasm is sent compressed: ${wasm?.[1]} of ${raw} bytes`);
  assert.ok(load.down < 2_200_000, `first load ${load.down} bytes`);
  assert.ok(reload.down < 60_000, `a reload revalidates (304) instead of downloading: ${JSON.stringify(reload.byUrl)}`);
});

test('a bad CSV after a good one unloads the old data; a later success clears the red error', async () => {
  const csvRow = (label) => [...Array(784).fill('0.25'), label].join(',');
  const good = Buffer.from(Array.from({ length: 16 }, (_, i) => csvRow(i % 4)).join('\n'));
  await page.setInputFiles('#csv', { name: 'good.csv', mimeType: 'text/csv', buffer: good });
  await page.waitForSelector('#data-status[data-samples="16"]');
  await page.setInputFiles('#csv', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(csvRow(0) + '\n1,2,3') });
  await page.waitForSelector('#data-status.error');
  assert.match(await page.textContent('#data-status'), /bad\.csv: line 2: expected 785 columns.*no data is loaded/);
  assert.equal(await page.getAttribute('#data-status', 'data-samples'), '');
  assert.ok(await page.isDisabled('#train'), 'Train must not use the old file\'s data');
});

test('synthetic data is generated for the clinic id shown and the model trained in the worker', async () => {
  await page.fill('#clinic-id', '2');
  await page.fill('#samples', '128');
  await page.click('#gen-data');
  await page.waitForFunction(() => /128 synthetic samples for clinic 2/.test(document.getElementById('data-status').textContent),
    null, { timeout: 60_000 });
  assert.equal(await page.getAttribute('#data-status', 'class'), 'status', 'the earlier CSV error is gone');
  // Another clinic id: the line must not keep claiming clinic 2's data; that data is unloaded.
  await page.fill('#clinic-id', '1');
  await page.waitForFunction(() => /generate it again for clinic 1/.test(document.getElementById('data-status').textContent));
  assert.ok(await page.isDisabled('#train'));
  await page.click('#gen-data');
  await page.waitForFunction(() => /128 synthetic samples for clinic 1/.test(document.getElementById('data-status').textContent),
    null, { timeout: 60_000 });
  await page.click('#train');
  await page.waitForSelector('#train-status[data-norm]', { timeout: 120_000 });
  const norm = Number(await page.getAttribute('#train-status', 'data-norm'));
  assert.ok(Number.isFinite(norm) && norm > 0, `update norm ${norm}`);
  const steps = await page.$$eval('#timings tr[data-step]', (rows) => rows.map((r) => r.dataset.step));
  assert.ok(steps.includes('train locally'), steps.join(','));
});

/** Capabilities the page found missing in the wasm package (empty: everything is in this build). */
const missing = () => page.getAttribute('#submit-note', 'data-missing');

async function submitAs(clinic, button) {
  await page.fill('#clinic-id', String(clinic));
  await page.setInputFiles('#sign-key', join(keys, 'clinics', String(clinic), 'sign-seed.bin'));
  await page.setInputFiles('#aggregator-key', join(keys, 'clinics', String(clinic), 'aggregator-vk.bin'));
  await page.waitForSelector(`${button}:not([disabled])`, { timeout: 10_000 });
  const before = await page.$$eval('#verdicts li', (l) => l.length);
  await page.click(button);
  await page.waitForFunction((n) => document.querySelectorAll('#verdicts li').length > n, before, { timeout: 600_000 });
  await page.waitForSelector(`${button}:not([disabled])`, { timeout: 30_000 }).catch(() => {});
  return page.$eval('#verdicts li:last-child', (li) => ({ verdict: li.dataset.verdict, code: li.dataset.code ?? null, text: li.textContent }));
}

/** Records every (stage, done) the progress label shows, in the page. */
const recordProgress = () => page.evaluate(() => {
  window.__progress = [];
  const el = document.getElementById('progress-label');
  new MutationObserver(() => {
    if (el.dataset.stage) window.__progress.push([el.dataset.stage, Number(el.dataset.done)]);
  }).observe(el, { attributes: true, childList: true, characterData: true, subtree: true });
});

/** Whether the newest verdict is on screen and has the focus. */
const verdictInView = () => page.$eval('#verdicts li:last-child', (li) => {
  const r = li.getBoundingClientRect();
  return r.top >= 0 && r.bottom <= window.innerHeight && document.activeElement === li;
});

const stepNames = () => page.$$eval('#timings tr[data-step]', (rows) => rows.map((r) => r.dataset.step));

test('every step is in this build of the wasm package', async () => {
  assert.equal(await missing(), '');
});

let honest = null;

test('a failed upload resets the bar and shows the error; the next success clears it', async () => {
  await page.route('**/v1/rounds/*/submissions', (route) => route.abort('connectionrefused'));
  try {
    await page.fill('#clinic-id', '1');
    await page.setInputFiles('#sign-key', join(keys, 'clinics', '1', 'sign-seed.bin'));
    await page.setInputFiles('#aggregator-key', join(keys, 'clinics', '1', 'aggregator-vk.bin'));
    await page.waitForSelector('#submit-honest:not([disabled])', { timeout: 10_000 });
    await recordProgress();
    await page.click('#submit-honest');
    await page.waitForSelector('#progress-label.error', { timeout: 600_000 });
  } finally {
    await page.unroute('**/v1/rounds/*/submissions');
  }
  assert.match(await page.textContent('#progress-label'), /cannot reach the aggregator.*\[network\]/);
  assert.equal(await page.$eval('#progress', (p) => p.value), 0, 'the bar is reset after a failure');
  // The bar moved during the proof: one step per chunk read of each prover pass (≥ 5 passes × 54 chunks).
  const prove = (await page.evaluate(() => window.__progress)).filter(([s]) => s === 'prove').map(([, d]) => d);
  assert.ok(new Set(prove).size >= 5 * 54, `distinct proof progress values: ${new Set(prove).size}`);
  assert.deepEqual(prove, [...prove].sort((a, b) => a - b), 'proof progress only moves forward');
});

test('an honest update is encrypted, proven, signed and sealed in the worker and accepted by the aggregator', async () => {
  honest = await submitAs(1, '#submit-honest');
  assert.equal(honest.verdict, 'accepted', honest.text);
  const steps = await stepNames();
  for (const s of ['clip + quantize + encrypt + prove', 'sign + seal', 'upload + verify']) assert.ok(steps.includes(s), steps.join(','));
  assert.match(await page.textContent('#progress-label'), /honest update sent: .* ≤ B_int = \d+, proof [\d,]+ bytes \(honest prover\)/);
  assert.equal(await page.getAttribute('#progress-label', 'class'), 'status', 'the earlier upload error is cleared');
  assert.equal(await page.$eval('#progress', (p) => p.value === p.max), true);
  assert.ok(await verdictInView(), 'the verdict is scrolled into view and focused');
  await page.waitForFunction(() => /1 accepted, 0 rejected of 5 clinics/.test(document.getElementById('round').textContent),
    null, { timeout: 30_000 });
});

test('the attacker demo\'s poisoned update (N(0, 50²), cheating prover) is rejected: proof_invalid', async () => {
  let v;
  const resubmit = await measure(async () => { v = await submitAs(3, '#submit-poisoned'); });
  console.log(`bytes per re-submission: downloaded ${kB(resubmit.down)}, uploaded ${kB(resubmit.up)} (the sealed update)`);
  assert.ok(resubmit.down < 50_000, `a re-submission re-downloads nothing big: ${JSON.stringify(resubmit.byUrl)}`);
  assert.ok(await verdictInView(), 'the verdict is scrolled into view and focused');
  // The timing table is this submission's alone.
  const steps = await stepNames();
  assert.ok(!steps.includes('clip + quantize + encrypt + prove') && steps.filter((s) => s === 'sign + seal').length === 1,
    steps.join(','));
  assert.equal(v.verdict, 'rejected', v.text);
  assert.equal(v.code, 'proof_invalid', v.text);
  assert.match(v.text, /poisoned update: REJECTED — proof_invalid: the norm proof does not verify/);
  assert.ok((await stepNames()).includes('attacker demo: N(0, 50²) noise + encrypt + cheating prover'));
  // Far above the bound: ‖m‖₂ > B_int is shown, and the proof came from the cheating prover (or its forgery).
  assert.match(await page.textContent('#progress-label'),
    /poisoned update sent: .* > B_int = \d+, proof [\d,]+ bytes \((cheating prover|forged: header then zeros)/);
  await page.waitForFunction(() => /1 accepted, 1 rejected of 5 clinics/.test(document.getElementById('round').textContent),
    null, { timeout: 30_000 });
  // Both verdicts on the page, then the screenshot.
  const verdicts = await page.$$eval('#verdicts li', (l) => l.map((li) => `${li.dataset.kind}:${li.dataset.verdict}`));
  assert.deepEqual(verdicts, ['honest:accepted', 'poisoned:rejected']);
  mkdirSync(SHOTS, { recursive: true });
  const shot = join(SHOTS, 'clinic.png');
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(statSync(shot).size > 10_000, `screenshot ${shot}`);
  shotTaken = true;
});

test('every symbol the page shows is explained in plain words', async () => {
  const text = await page.$eval('main', (m) => {
    const c = m.cloneNode(true);
    c.querySelector('#glossary').remove();
    return c.textContent;
  });
  const explained = await page.$$eval('#glossary dt', (d) => d.map((x) => x.textContent));
  for (const [shown, sym] of [['B_int =', 'B_int'], ['‖m‖₂ =', '‖m‖₂'], ['‖update‖₂', '‖update‖₂'], ['q =', 'q'],
    ['N =', 'N'], ['S =', 'S'], ['B =', 'B']]) {
    assert.ok(text.includes(shown), `${shown} is shown`);
    assert.ok(explained.some((e) => e.split(/,\s*/).includes(sym)), `${sym} is in the glossary: ${explained}`);
  }
});

test('Submit turns off when the round closes (the page polls the round state)', async () => {
  const id = await page.getAttribute('#round', 'data-round');
  // The admin endpoints take the aggregator's bearer token (written by `zkfl keygen`).
  const token = readFileSync(join(keys, 'aggregator', 'admin-token'), 'utf8').trim();
  const r = await fetch(`${base}/v1/admin/rounds/${id}/close`,
    { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{}' });
  assert.ok(r.ok, await r.text());
  await page.waitForSelector('#submit-note[data-open="false"]', { timeout: 15_000 });
  assert.ok(await page.isDisabled('#submit-poisoned'));
  assert.ok(await page.isDisabled('#submit-honest'));
  assert.match(await page.textContent('#submit-note'), new RegExp(`Round ${id} is not taking submissions`));
  assert.match(await page.textContent('#deadline'), /closed/);
});
