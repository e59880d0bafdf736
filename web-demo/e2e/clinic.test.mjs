// End-to-end test of the browser clinic: a real `zkfl serve --web-dir web-demo` on 127.0.0.1, Debian's
// headless Chromium driven by playwright-core, the page loaded from the aggregator. It generates the synthetic
// data and trains in the Web Worker (wasm), then submits an honest update (must be accepted) and the attacker demo's
// poisoned one (unclipped N(0, 50²) noise with a cheating prover's proof: must be rejected, proof_invalid), and
// saves a screenshot of the page showing both verdicts (SCREENSHOT_DIR/clinic.png).
// Env: ZKFL_BIN (path of the zkfl binary), SCREENSHOT_DIR (default <repo>/target/browser).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

test('the page and the wasm package load from zkfl serve', async () => {
  await page.goto(`${base}/index.html`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  assert.match(await page.textContent('#about'), /^zkfl-wasm \d+\.\d+\.\d+/);
  await page.waitForSelector('#round[data-round]', { timeout: 30_000 });
  assert.match(await page.textContent('#round'), /108,996 parameters/);
  assert.match(await page.textContent('#round'), /open/);
});

test('synthetic data is generated and the model trained in the worker', async () => {
  await page.fill('#clinic-id', '1');
  await page.fill('#samples', '128');
  await page.click('#gen-data');
  await page.waitForFunction(() => /128 synthetic samples/.test(document.getElementById('data-status').textContent),
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
  await page.waitForSelector(`${button}:not([disabled])`, { timeout: 10_000 });
  const before = await page.$$eval('#verdicts li', (l) => l.length);
  await page.click(button);
  await page.waitForFunction((n) => document.querySelectorAll('#verdicts li').length > n, before, { timeout: 600_000 });
  return page.$eval('#verdicts li:last-child', (li) => ({ verdict: li.dataset.verdict, code: li.dataset.code ?? null, text: li.textContent }));
}

const stepNames = () => page.$$eval('#timings tr[data-step]', (rows) => rows.map((r) => r.dataset.step));

test('every step is in this build of the wasm package', async () => {
  assert.equal(await missing(), '');
});

let honest = null;

test('an honest update is encrypted, proven, signed and sealed in the worker and accepted by the aggregator', async () => {
  honest = await submitAs(1, '#submit-honest');
  assert.equal(honest.verdict, 'accepted', honest.text);
  const steps = await stepNames();
  for (const s of ['clip + quantize + encrypt + prove', 'sign + seal', 'upload + verify']) assert.ok(steps.includes(s), steps.join(','));
  assert.match(await page.textContent('#progress-label'), /honest update sent: .* ≤ B_int = \d+, proof [\d,]+ bytes \(honest prover\)/);
  await page.waitForFunction(() => /1 accepted, 0 rejected of 5 clinics/.test(document.getElementById('round').textContent),
    null, { timeout: 30_000 });
});

test('the attacker demo\'s poisoned update (N(0, 50²), cheating prover) is rejected: proof_invalid', async () => {
  const v = await submitAs(3, '#submit-poisoned');
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
