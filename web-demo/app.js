// The clinic page: talks to the aggregator (api.js), keeps the data in this tab, and hands every heavy step to
// the Web Worker (worker.js). Each step says what happened and what to do next.
import { parseClinicCsv, CsvError } from './csv.js';
import * as api from './api.js';

const $ = (id) => document.getElementById(id);
const state = { data: null, round: null, update: null, signingKey: null, caps: {}, busy: false };

// ---- worker plumbing -------------------------------------------------------------------------------
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let nextId = 1;
const pending = new Map();
worker.onmessage = ({ data: m }) => {
  const p = pending.get(m.id);
  if (!p) return;
  if (m.type === 'progress') p.onProgress?.(m);
  else if (m.type === 'timing') addTiming(m.step, m.ms);
  else {
    pending.delete(m.id);
    if (m.type === 'result') p.resolve(m.value);
    else p.reject(Object.assign(new Error(m.message), { name: m.name, code: m.code }));
  }
};
function call(op, args, onProgress) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onProgress });
    worker.postMessage({ id, op, args });
  });
}

// ---- display helpers -------------------------------------------------------------------------------
function addTiming(step, ms) {
  const tr = document.createElement('tr');
  tr.innerHTML = `<td></td><td>${ms < 1000 ? ms.toFixed(0) + ' ms' : (ms / 1000).toFixed(2) + ' s'}</td>`;
  tr.firstChild.textContent = step;
  tr.dataset.step = step;
  tr.dataset.ms = String(ms);
  $('timings').tBodies[0].append(tr);
}
function showProgress({ stage, done, total }) {
  $('progress').max = Math.max(total, 1);
  $('progress').value = done;
  $('progress-label').textContent = `${stage}: ${done} / ${total}`;
}
function addVerdict(kind, accepted, reason, code) {
  const li = document.createElement('li');
  if (code) li.dataset.code = code;
  li.className = accepted ? 'accepted' : 'rejected';
  li.dataset.kind = kind;
  li.dataset.verdict = accepted ? 'accepted' : 'rejected';
  li.textContent = `${kind} update: ${accepted ? 'ACCEPTED' : 'REJECTED'}${reason ? ' — ' + reason : ''}`;
  $('verdicts').append(li);
}
function showError(where, e) {
  const code = e?.code ? ` [${e.code}]` : '';
  where.className = 'status error';
  where.textContent = `${e?.message ?? e}${code}`;
}
function updateButtons() {
  const idle = !state.busy;
  $('gen-data').disabled = !idle || !state.caps.synthetic;
  $('train').disabled = !idle || !state.caps.train || !state.data || !state.round;
  const canSubmit = idle && state.caps.submit && state.round && state.signingKey;
  $('submit-honest').disabled = !canSubmit || !state.update;
  $('submit-poisoned').disabled = !canSubmit || !state.caps.poison;
  const missing = [];
  if (!state.caps.submit) missing.push('encrypt and seal');
  if (!state.caps.prove) missing.push('the norm proof');
  if (!state.caps.poison) missing.push('the poisoned-update demo');
  $('submit-note').dataset.missing = missing.join(',');
  $('submit-note').textContent = missing.length
    ? `Not in this build of the clinic package: ${missing.join(', ')}; those buttons are disabled rather than faked.`
    : 'The red button is an attacker demo: instead of your update it sends unclipped N(0, 50²) noise per '
      + 'parameter (the paper\'s attack), encrypted, with a proof from the prover with its own norm checks '
      + 'removed, signed and sealed like an honest update. The aggregator must reject it. It takes longer: the '
      + 'cheating prover retries until it gives up.';
}

// ---- round ----------------------------------------------------------------------------------------
async function refreshRound() {
  try {
    state.round = await api.currentRound();
    const dl = $('round');
    dl.innerHTML = '';
    for (const [k, v] of Object.entries(api.describeRound(state.round))) {
      const dt = document.createElement('dt');
      const dd = document.createElement('dd');
      dt.textContent = k;
      dd.textContent = v;
      dl.append(dt, dd);
    }
    dl.dataset.round = String(state.round.id);
  } catch (e) {
    state.round = null;
    $('round').innerHTML = '<dt>Status</dt><dd></dd>';
    showError($('round').querySelector('dd'), e);
  }
  updateButtons();
}

// ---- data -----------------------------------------------------------------------------------------
async function generateData() {
  state.busy = true;
  updateButtons();
  try {
    const clinic = Number($('clinic-id').value);
    const samples = Number($('samples').value);
    const clinics = Math.max(state.round?.clinics ?? 5, clinic);
    const d = await call('synthetic', { clinic, clinics, samples });
    state.data = { features: d.features, labels: d.labels, samples: d.labels.length, source: 'synthetic' };
    $('data-status').className = 'status';
    $('data-status').textContent = `${state.data.samples} synthetic samples for clinic ${clinic}, kept in this tab.`;
  } catch (e) {
    showError($('data-status'), e);
  } finally {
    state.busy = false;
    updateButtons();
  }
}

async function loadCsv(file) {
  try {
    const d = parseClinicCsv(await file.text());
    state.data = { ...d, source: file.name };
    $('data-status').className = 'status';
    $('data-status').textContent = `${d.samples} samples read locally from ${file.name}.`;
  } catch (e) {
    showError($('data-status'), e instanceof CsvError ? e : new Error(`could not read the file: ${e.message}`));
  }
  updateButtons();
}

// ---- train --------------------------------------------------------------------------------------
async function train() {
  state.busy = true;
  updateButtons();
  $('timings').tBodies[0].innerHTML = '';
  try {
    const epochs = Number($('epochs').value);
    const update = await call('train', {
      global: state.round.model, features: state.data.features, labels: state.data.labels, epochs,
    }, showProgress);
    state.update = update;
    let sq = 0;
    for (const v of update) sq += v * v;
    const norm = Math.sqrt(sq);
    const bound = state.round.announcement.norm_bound;
    $('train-status').className = 'status';
    $('train-status').dataset.norm = String(norm);
    $('train-status').textContent = `Trained ${epochs} epoch(s) on ${state.data.samples} samples: update of `
      + `${update.length.toLocaleString()} parameters, ‖update‖₂ = ${norm.toFixed(3)}`
      + (norm > bound ? ` (will be clipped to B = ${bound})` : ` (within B = ${bound})`);
  } catch (e) {
    showError($('train-status'), e);
  } finally {
    state.busy = false;
    updateButtons();
  }
}

// ---- submit ---------------------------------------------------------------------------------------
async function submit(poisoned) {
  state.busy = true;
  updateButtons();
  const kind = poisoned ? 'poisoned' : 'honest';
  try {
    const sealed = await call('encryptProveSeal', {
      round: state.round, update: state.update, signingKey: state.signingKey,
      clinic: Number($('clinic-id').value), poisoned,
    }, showProgress);
    const envelope = sealed.envelope;
    const t0 = performance.now();
    const verdict = await api.submit(state.round.id, envelope);
    addTiming('upload + verify', performance.now() - t0);
    addVerdict(kind, verdict.accepted, verdict.reason, verdict.code);
    const norm = Math.sqrt(sealed.normSq);
    $('progress-label').textContent = `${kind} update sent: ${envelope.length.toLocaleString()} bytes, `
      + `‖m‖₂ = ${norm.toFixed(0)} ${norm <= sealed.bInt ? '≤' : '>'} B_int = ${sealed.bInt}, `
      + `proof ${sealed.proofLen.toLocaleString()} bytes (${sealed.proofKind}).`;
  } catch (e) {
    showError($('progress-label'), e);
  } finally {
    state.busy = false;
    updateButtons();
    refreshRound();
  }
}

async function loadSigningKey(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.length !== 32) {
    state.signingKey = null;
    showError($('submit-note'), new Error(`${file.name} has ${bytes.length} bytes; sign-seed.bin has 32`));
  } else {
    state.signingKey = bytes;
  }
  updateButtons();
}

// ---- start ----------------------------------------------------------------------------------------
$('refresh-round').onclick = refreshRound;
$('gen-data').onclick = generateData;
$('csv').onchange = (ev) => ev.target.files[0] && loadCsv(ev.target.files[0]);
$('train').onclick = train;
$('sign-key').onchange = (ev) => ev.target.files[0] && loadSigningKey(ev.target.files[0]);
$('submit-honest').onclick = () => submit(false);
$('submit-poisoned').onclick = () => submit(true);

call('init').then(({ version, capabilities }) => {
  state.caps = capabilities;
  const missing = Object.entries(capabilities).filter(([, v]) => !v).map(([k]) => k);
  $('about').textContent = `zkfl-wasm ${version}` +
    (missing.length ? ` — not in this build yet: ${missing.join(', ')}` : '');
  document.body.dataset.ready = 'true';
  updateButtons();
}, (e) => showError($('about'), e));
refreshRound();
