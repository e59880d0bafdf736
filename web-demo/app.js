// The clinic page: talks to the aggregator (api.js), keeps the data in this tab, and hands every heavy step to
// the Web Worker (worker.js). Each step says what happened and what to do next.
import { parseClinicCsv, CsvError } from './csv.js';
import * as api from './api.js';

const $ = (id) => document.getElementById(id);
const state = { data: null, round: null, update: null, signingKey: null, pinnedKey: null, caps: {}, busy: false };
/** How often the page re-reads the round's state (small JSON, usually a 304): Submit follows it. */
const POLL_MS = 3000;

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
/** Progress of one step; the proof reports one step per chunk read of each of its passes. */
function showProgress({ stage, done, total }) {
  $('progress').max = Math.max(total, 1);
  $('progress').value = done;
  const pct = Math.floor((100 * done) / Math.max(total, 1));
  const chunks = chunkCount();
  const detail = stage === 'prove' && chunks
    ? ` (pass ${Math.max(1, Math.ceil(done / chunks))} over the ${chunks} encrypted blocks; at least 5 passes, `
      + 'more when a random retry step of the proof repeats)'
    : '';
  setStatus($('progress-label'), `${STAGES[stage] ?? stage}: ${pct} %${detail}`);
  $('progress-label').dataset.stage = stage;
  $('progress-label').dataset.done = String(done);
}
const STAGES = { train: 'training', encrypt: 'encrypting', prove: 'proving the update is within the limit' };
/** Blocks of N coefficients the model is encrypted in (the prover reads each once per pass). */
function chunkCount() {
  const r = state.round;
  return r ? Math.ceil(r.announcement.model_dim / r.params.ring_degree) : 0;
}
function resetProgress() {
  $('progress').max = 1;
  $('progress').value = 0;
}
/** Shows a status line: kind 'ok' (plain), 'error' (red) or 'muted'. Every new message replaces the old
 * one and its colour, so an earlier error never outlives a later success. */
function setStatus(el, text, kind = 'ok') {
  el.className = kind === 'ok' ? 'status' : `status ${kind}`;
  el.textContent = text;
}
function addVerdict(kind, accepted, reason, code) {
  const li = document.createElement('li');
  if (code) li.dataset.code = code;
  li.className = accepted ? 'accepted' : 'rejected';
  li.dataset.kind = kind;
  li.dataset.verdict = accepted ? 'accepted' : 'rejected';
  li.tabIndex = -1;
  li.textContent = `${kind} update: ${accepted ? 'ACCEPTED' : 'REJECTED'}${reason ? ' — ' + reason : ''}`;
  $('verdicts').append(li);
  // The verdict is what the user waited for: bring it into view and move the focus there.
  li.scrollIntoView({ block: 'center' });
  li.focus({ preventScroll: true });
}
function showError(where, e) {
  const code = e?.code ? ` [${e.code}]` : '';
  setStatus(where, `${e?.message ?? e}${code}`, 'error');
}
function updateButtons() {
  const idle = !state.busy;
  // Synthetic data has the paper's shape: only for rounds of the paper's MLP (or without a spec).
  $('gen-data').disabled = !idle || !state.caps.synthetic || !paperShaped();
  // Data read for another model (or for no spec) does not fit this round's model.
  const fits = state.data?.source === 'synthetic' ? paperShaped() : (state.data?.spec ?? null) === roundSpec();
  $('train').disabled = !idle || !state.caps.train || !state.data || !state.round || !fits;
  const open = state.round && api.isOpen(state.round);
  const canSubmit = idle && state.caps.submit && open && state.signingKey && state.pinnedKey && !pinError();
  $('submit-honest').disabled = !canSubmit || !state.update;
  $('submit-poisoned').disabled = !canSubmit || !state.caps.poison;
  const missing = [];
  if (!state.caps.submit) missing.push('encrypt and seal');
  if (!state.caps.prove) missing.push('the norm proof');
  if (!state.caps.poison) missing.push('the poisoned-update demo');
  $('submit-note').dataset.missing = missing.join(',');
  $('submit-note').dataset.open = String(Boolean(open));
  if (state.round && !open) {
    setStatus($('submit-note'), `Round ${state.round.id} is not taking submissions (${state.round.status.state}`
      + `${state.round.status.state === 'open' ? ', deadline passed' : ''}); the buttons come back when the `
      + 'aggregator opens the next round.', 'error');
    return;
  }
  if (state.keyError) { setStatus($('submit-note'), state.keyError, 'error'); return; }
  if (pinError()) { setStatus($('submit-note'), pinError(), 'error'); return; }
  $('submit-note').className = 'status muted';
  $('submit-note').textContent = missing.length
    ? `Not in this build of the clinic package: ${missing.join(', ')}; those buttons are disabled rather than faked.`
    : 'The red button is an attacker demo: instead of your update it sends unclipped N(0, 50²) noise per '
      + 'parameter (the paper\'s attack), encrypted, with a proof from the prover with its own norm checks '
      + 'removed, signed and sealed like an honest update. The aggregator must reject it. It takes longer: the '
      + 'cheating prover retries until it gives up.';
}

// ---- round ----------------------------------------------------------------------------------------
/** The model the round announces (`logistic:3,2`, …), or null: a round without a spec trains the paper's MLP. */
const roundSpec = () => state.round?.announcement.model ?? null;
const PAPER_SPEC = 'mlp:784,128,64,4';
const paperShaped = () => !state.round || [null, PAPER_SPEC].includes(roundSpec());

function renderRound() {
  const dl = $('round');
  dl.innerHTML = '';
  for (const [k, v] of Object.entries(api.describeRound(state.round))) {
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = k;
    dd.textContent = v;
    if (k === 'Deadline') dd.id = 'deadline';
    dl.append(dt, dd);
  }
  dl.dataset.round = String(state.round.id);
  dl.dataset.state = state.round.status.state;
}

/**
 * Loads everything for the current round (model, keys: unchanged ones come back as 304 from the cache) and
 * verifies its signed announcement in the worker: the round shown, trained and proven for is the signed one.
 */
async function loadRound() {
  try {
    const r = await api.currentRound();
    const facts = await call('verifyRound', {
      bytes: r.announcementBytes, signature: r.signature, aggregatorKey: r.aggregatorKey, model: r.modelBytes,
    });
    state.round = { ...api.signedRound(r, facts), aggregatorKeySha3: facts.aggregatorKeySha3 };
    renderRound();
    setStatus($('round-note'), '');
  } catch (e) {
    state.round = null;
    $('round').innerHTML = '<dt>Status</dt><dd></dd>';
    showError($('round').querySelector('dd'), e);
  }
  updateButtons();
}

/** Re-reads only the round's state (a few hundred bytes); reloads the round when a new one has opened. */
async function refreshRound() {
  if (!state.round) return loadRound();
  try {
    const current = await api.currentAnnouncement();
    if (current.round !== state.round.id) return loadRound();
    state.round.status = await api.roundStatus(state.round.id);
    renderRound();
    setStatus($('round-note'), '');
  } catch (e) {
    showError($('round-note'), new Error(`could not refresh the round: ${e.message}`));
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
    setData({ features: d.features, labels: d.labels, samples: d.labels.length, source: 'synthetic', clinic });
    setStatus($('data-status'), `${state.data.samples} synthetic samples for clinic ${clinic}, kept in this tab.`);
  } catch (e) {
    setData(null);
    showError($('data-status'), e);
  } finally {
    state.busy = false;
    updateButtons();
  }
}

async function loadCsv(file) {
  const spec = roundSpec();
  if (spec) return loadModelCsv(file, spec);
  try {
    const d = parseClinicCsv(await file.text());
    setData({ ...d, source: file.name });
    setStatus($('data-status'), `${d.samples} samples read locally from ${file.name}.`);
  } catch (e) {
    // A bad file replaces whatever was loaded before: training must not silently use the old data.
    setData(null);
    showError($('data-status'), e instanceof CsvError
      ? new Error(`${file.name}: ${e.message}; no data is loaded`)
      : new Error(`could not read ${file.name}: ${e.message}; no data is loaded`));
  }
  updateButtons();
}

/**
 * A header CSV for the announced model, read in the worker by zkfl_learn's parser: every column but the label
 * (named in the page, else the last) is a feature; standardized with this tab's own statistics.
 */
async function loadModelCsv(file, spec) {
  state.busy = true;
  updateButtons();
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const label = $('label-col').value.trim();
    const d = await call('csv', { bytes, spec, modelDim: state.round.announcement.model_dim, label });
    setData({ features: d.features, labels: d.labels, samples: d.samples, source: file.name, spec });
    setStatus($('data-status'), `${d.samples} samples read locally from ${file.name} for the model ${spec} `
      + `(label column: ${label || 'the last'}).`);
  } catch (e) {
    setData(null);
    showError($('data-status'), new Error(`${file.name}: ${e.message}; no data is loaded`));
  } finally {
    state.busy = false;
    updateButtons();
  }
}

/** Replaces the local data; a trained update belongs to the old data, so it goes too. */
function setData(data) {
  state.data = data;
  state.update = null;
  $('data-status').dataset.samples = data ? String(data.samples) : '';
  $('train-status').removeAttribute('data-norm');
  setStatus($('train-status'), '');
}

/** The clinic id names who submits; synthetic data and the signing key belong to one clinic. */
function clinicChanged() {
  const clinic = Number($('clinic-id').value);
  if (state.data?.source === 'synthetic' && state.data.clinic !== clinic) {
    const was = state.data.clinic;
    setData(null);
    setStatus($('data-status'), `The synthetic data was clinic ${was}'s; generate it again for clinic ${clinic}.`,
      'muted');
  }
  if (state.signingKey && state.keyClinic !== clinic) {
    state.signingKey = null;
    $('sign-key').value = '';
    state.keyError = `Choose clinic ${clinic}'s signing key (the one chosen before was for another clinic).`;
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
      spec: roundSpec(), global: state.round.model, features: state.data.features, labels: state.data.labels, epochs,
    }, showProgress);
    state.update = update;
    resetProgress();
    let sq = 0;
    for (const v of update) sq += v * v;
    const norm = Math.sqrt(sq);
    const bound = state.round.announcement.norm_bound;
    $('train-status').dataset.norm = String(norm);
    setStatus($('train-status'), `Trained ${epochs} epoch(s) on ${state.data.samples} samples: update of `
      + `${update.length.toLocaleString()} parameters, length ‖update‖₂ = ${norm.toFixed(3)}`
      + (norm > bound ? ` (larger than the limit B = ${bound}: it will be scaled down to it)`
        : ` (within the limit B = ${bound})`));
  } catch (e) {
    resetProgress();
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
  // One submission, one table and one bar: nothing left over from the previous one.
  $('timings').tBodies[0].innerHTML = '';
  resetProgress();
  setStatus($('progress-label'), 'checking that the round is still open…', 'muted');
  try {
    // Do not spend seconds proving for a round that has closed (the aggregator would answer round_not_open).
    await refreshRound();
    if (!state.round || !api.isOpen(state.round)) {
      throw Object.assign(new Error(`round ${state.round?.id ?? '?'} is no longer open; nothing was computed or `
        + 'sent'), { code: 'round_not_open' });
    }
    const sealed = await call('encryptProveSeal', {
      round: state.round, update: state.update, signingKey: state.signingKey, pinnedKey: state.pinnedKey,
      clinic: Number($('clinic-id').value), poisoned,
    }, showProgress);
    const envelope = sealed.envelope;
    setStatus($('progress-label'), `uploading ${envelope.length.toLocaleString()} bytes; the aggregator checks `
      + 'the proof…', 'muted');
    const t0 = performance.now();
    const verdict = await api.submit(state.round.id, envelope);
    addTiming('upload + verify', performance.now() - t0);
    const norm = Math.sqrt(sealed.normSq);
    setStatus($('progress-label'), `${kind} update sent: ${envelope.length.toLocaleString()} bytes, `
      + `‖m‖₂ = ${norm.toFixed(0)} ${norm <= sealed.bInt ? '≤' : '>'} B_int = ${sealed.bInt}, `
      + `proof ${sealed.proofLen.toLocaleString()} bytes (${sealed.proofKind}).`);
    $('progress').value = $('progress').max;
    addVerdict(kind, verdict.accepted, verdict.reason, verdict.code);
  } catch (e) {
    resetProgress();
    showError($('progress-label'), e);
  } finally {
    state.busy = false;
    await refreshRound();
  }
}

async function loadSigningKey(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.length !== 32) {
    state.signingKey = null;
    state.keyError = `${file.name} has ${bytes.length} bytes; sign-seed.bin has 32`;
  } else {
    state.signingKey = bytes;
    state.keyClinic = Number($('clinic-id').value);
    state.keyError = null;
  }
  updateButtons();
}

/**
 * The aggregator key the clinic was given (`aggregator-vk.bin` in its `zkfl keygen` folder), pinned as
 * `zkfl clinic` pins it: the announcement is verified under it again before anything is proven or sent.
 */
async function loadPinnedKey(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  state.pinnedKey = bytes.length === 1952 ? bytes : null;
  state.pinFile = file.name;
  $('aggregator-key').dataset.pinned = String(Boolean(state.pinnedKey));
  updateButtons();
}

/** Why the pinned aggregator key does not fit the aggregator serving this round (null: it does). */
function pinError() {
  if (!state.pinFile) return null;
  if (!state.pinnedKey) return `${state.pinFile} is not an ML-DSA-65 verifying key (aggregator-vk.bin has 1,952 bytes)`;
  const served = state.round?.aggregatorKey;
  if (served && !sameBytes(served, state.pinnedKey)) {
    return 'The aggregator serving this page signs with another key than the aggregator-vk.bin you chose: '
      + 'nothing will be sent to it.';
  }
  return null;
}
const sameBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// ---- start ----------------------------------------------------------------------------------------
$('refresh-round').onclick = refreshRound;
$('clinic-id').oninput = clinicChanged;
$('gen-data').onclick = generateData;
$('csv').onchange = (ev) => ev.target.files[0] && loadCsv(ev.target.files[0]);
$('train').onclick = train;
$('sign-key').onchange = (ev) => ev.target.files[0] && loadSigningKey(ev.target.files[0]);
$('aggregator-key').onchange = (ev) => ev.target.files[0] && loadPinnedKey(ev.target.files[0]);
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
loadRound();
// Follow the round: Submit turns off when it closes, the deadline's "closes in" stays current.
setInterval(() => { if (!state.busy) refreshRound(); }, POLL_MS);
