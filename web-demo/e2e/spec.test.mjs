// End-to-end test of the browser clinic on a round that announces its own model: a real
// `zkfl serve --model logistic:3,2` (8 parameters, signed into the announcement) with headless Chromium. The page
// shows the announced model, reads a 4-column header CSV (3 features, the label column chosen by name) with
// zkfl_learn's parser in the worker, reports a bad file's line and column, trains the announced model with
// zkfl_learn::local_update, and the honest update is accepted. It also refuses a round whose JSON `model` field is
// not the signed one, and Submit stays off under a pinned aggregator key that is not the serving aggregator's.
// Env: ZKFL_BIN (path of the zkfl binary).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const ZKFL = process.env.ZKFL_BIN || join(repo, 'target/release/zkfl');
const SPEC = 'logistic:3,2';
const PARAMS = 3 * 2 + 2;

let server, base, ctx, page, keys;

function startServer(dir) {
  return new Promise((resolveStart, reject) => {
    const p = spawn(ZKFL, ['serve', '--addr', '127.0.0.1:0', '--data-dir', join(dir, 'data'), '--keys', keys,
      '--initial-model', join(dir, 'model.bin'), '--model', SPEC, '--open-round', '--web-dir', join(repo, 'web-demo')],
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
  const dir = mkdtempSync(join(tmpdir(), 'zkfl-e2e-spec-'));
  keys = join(dir, 'keys');
  execFileSync(ZKFL, ['keygen', '--out', keys, '--clinics', '3'], { stdio: 'pipe' });
  writeFileSync(join(dir, 'model.bin'), Buffer.from(new Float32Array(PARAMS).fill(0.01).buffer));
  ({ p: server, url: base } = await startServer(dir));
  ctx = await launch();
  page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await ctx?.close();
  server?.kill('SIGTERM');
});

/** 40 rows: the label `outcome` in the middle column, separable by `score`. */
function csv() {
  const rows = ['age,score,outcome,dose'];
  for (let i = 0; i < 40; i++) {
    const y = i % 2;
    rows.push(`${40 + i},${(y ? 1.5 : -1.5) + (i % 3) * 0.1},${y},${(i * 0.1).toFixed(1)}`);
  }
  return Buffer.from(rows.join('\n'));
}

test('a round announcing logistic:3,2: the page reads a 4-column CSV, trains it and is accepted', async () => {
  await page.goto(`${base}/index.html`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  await page.waitForSelector('#round[data-round]', { timeout: 30_000 });
  assert.match(await page.textContent('#round'), /8 parameters, announced as logistic:3,2/);
  assert.ok(await page.isDisabled('#gen-data'), 'synthetic data has the paper\'s shape, not this model\'s');

  // A bad cell: the learn crate's parser names line and column.
  await page.fill('#label-col', 'outcome');
  await page.setInputFiles('#csv', { name: 'bad.csv', mimeType: 'text/csv',
    buffer: Buffer.from('age,score,outcome,dose\n1,2,0,3\n1,x,1,3\n') });
  await page.waitForSelector('#data-status.error', { timeout: 30_000 });
  assert.match(await page.textContent('#data-status'), /bad\.csv: line 3, column `score`: `x` is not a number/);
  // The wrong label column: `age` is no class 0..1.
  await page.fill('#label-col', 'age');
  await page.setInputFiles('#csv', { name: 'clinic.csv', mimeType: 'text/csv', buffer: csv() });
  await page.waitForFunction(() => /line 2, label column/.test(document.getElementById('data-status').textContent),
    null, { timeout: 30_000 });
  assert.ok(await page.isDisabled('#train'));

  await page.fill('#label-col', 'outcome');
  await page.setInputFiles('#csv', { name: 'clinic2.csv', mimeType: 'text/csv', buffer: csv() });
  await page.waitForSelector('#data-status[data-samples="40"]', { timeout: 30_000 });
  assert.match(await page.textContent('#data-status'), /40 samples .* for the model logistic:3,2/);
  await page.fill('#epochs', '3');
  await page.click('#train');
  await page.waitForSelector('#train-status[data-norm]', { timeout: 60_000 });
  const norm = Number(await page.getAttribute('#train-status', 'data-norm'));
  assert.ok(Number.isFinite(norm) && norm > 0, `update norm ${norm}`);
  assert.match(await page.textContent('#train-status'), /update of 8 parameters/);

  await page.setInputFiles('#sign-key', join(keys, 'clinics', '1', 'sign-seed.bin'));
  await page.setInputFiles('#aggregator-key', join(keys, 'clinics', '1', 'aggregator-vk.bin'));
  await page.waitForSelector('#submit-honest:not([disabled])', { timeout: 10_000 });
  await page.click('#submit-honest');
  await page.waitForFunction(() => document.querySelectorAll('#verdicts li').length > 0, null, { timeout: 300_000 });
  const v = await page.$eval('#verdicts li:last-child', (li) => ({ verdict: li.dataset.verdict, text: li.textContent }));
  assert.equal(v.verdict, 'accepted', v.text);
  await page.waitForFunction(() => /1 accepted, 0 rejected of 3 clinics/.test(document.getElementById('round').textContent),
    null, { timeout: 30_000 });
});

test('the page refuses a round JSON whose model is not the signed one, and a pinned key of another aggregator', async () => {
  // The JSON copy's `model` changed on the way (the signed bytes are untouched): the round is refused.
  const tampered = await ctx.newPage();
  await tampered.route('**/v1/rounds/current', async (route) => {
    const resp = await route.fetch();
    await route.fulfill({ response: resp, json: { ...(await resp.json()), model: 'logistic:2,3' } });
  });
  await tampered.goto(`${base}/index.html`);
  await tampered.waitForFunction(() => /is not what the aggregator signed/.test(document.getElementById('round').textContent),
    null, { timeout: 60_000 });
  assert.match(await tampered.textContent('#round'), /JSON field model .*\[bad_announcement\]/);
  assert.ok(await tampered.isDisabled('#train'), 'nothing to train for a refused round');
  await tampered.close();

  // The real round, but the aggregator-vk.bin chosen is another aggregator's: Submit stays off.
  const other = mkdtempSync(join(tmpdir(), 'zkfl-e2e-other-'));
  execFileSync(ZKFL, ['keygen', '--out', join(other, 'keys'), '--clinics', '1'], { stdio: 'pipe' });
  const pinned = await ctx.newPage();
  await pinned.goto(`${base}/index.html`);
  await pinned.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  await pinned.waitForSelector('#round[data-round]', { timeout: 30_000 });
  await pinned.fill('#clinic-id', '1');
  await pinned.setInputFiles('#sign-key', join(keys, 'clinics', '1', 'sign-seed.bin'));
  await pinned.setInputFiles('#aggregator-key', join(other, 'keys', 'clinics', '1', 'aggregator-vk.bin'));
  await pinned.waitForFunction(() => /signs with another key/.test(document.getElementById('submit-note').textContent),
    null, { timeout: 10_000 });
  assert.ok(await pinned.isDisabled('#submit-poisoned'), 'nothing is sent to an aggregator the clinic did not pin');
  await pinned.close();
});
