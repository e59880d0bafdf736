// The aggregator's HTTP API v1 (docs/API.md), as the clinic page uses it. Same origin: the page is served by
// `zkfl serve --web-dir web-demo`. Every failure becomes an Error with the server's `code` and `message`.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

// Transient answers (429 queue_full, 503 shutting_down/storage_full) are retried after the server's
// Retry-After (else an exponential backoff), each delay stretched by up to 50 % random jitter so clinics
// turned away together do not return together; at most RETRY_ATTEMPTS attempts in all.
export const RETRY_ATTEMPTS = 8;
const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 10_000;

/** The delay before the next attempt (exported for the Node tests). */
export function retryDelayMs(attempt, retryAfterHeader, jitter = Math.random()) {
  const secs = Number.parseInt(retryAfterHeader ?? '', 10);
  const base = Number.isFinite(secs) && secs >= 0 ? secs * 1000 : RETRY_BASE_MS * 2 ** Math.min(attempt - 1, 16);
  return Math.min(base, RETRY_MAX_MS) * (1 + 0.5 * Math.min(Math.max(jitter, 0), 1));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function request(path, init = {}) {
  let resp;
  for (let attempt = 1; ; attempt++) {
    try {
      resp = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, 'network', `cannot reach the aggregator (${e.message}); is \`zkfl serve\` running?`);
    }
    if (![429, 503].includes(resp.status) || attempt >= RETRY_ATTEMPTS) break;
    await sleep(retryDelayMs(attempt, resp.headers.get('Retry-After')));
  }
  if (!resp.ok) {
    let body = {};
    try { body = await resp.json(); } catch { /* not JSON */ }
    throw new ApiError(resp.status, body.code ?? `http_${resp.status}`, body.message ?? resp.statusText);
  }
  return resp;
}

const json_ = async (path) => (await request(path)).json();
// A resource this aggregator build may not have yet (404 → null), e.g. the BFV public key.
const optionalBytes = (path) => bytes(path).catch((e) => {
  if (e instanceof ApiError && e.status === 404) return null;
  throw e;
});
const bytes = async (path) => new Uint8Array(await (await request(path)).arrayBuffer());

/**
 * Everything a clinic needs for the open round: the signed announcement (canonical bytes and signature, and the
 * unsigned JSON copy), the parameters, the aggregator's ML-DSA verifying key, ML-KEM key and BFV public key, and
 * the global model. Nothing here is trusted yet: the worker verifies the announcement (`verifyAnnouncement`) and
 * `signedRound` takes the round's terms and model from what it verified.
 */
export async function currentRound() {
  const [json, params] = await Promise.all([json_('/v1/rounds/current'), json_('/v1/params')]);
  const [kemKey, bfvKey, aggregatorKey, modelBytes] = await Promise.all([
    bytes('/v1/keys/kem'), optionalBytes('/v1/keys/bfv'), bytes('/v1/keys/aggregator'), bytes(`/v1/models/${json.round}`),
  ]);
  const status = await json_(`/v1/rounds/${json.round}`);
  return {
    id: json.round,
    json,
    params,
    status,
    clinics: params.roster_size,
    kemKey,
    bfvKey,
    aggregatorKey,
    announcementBytes: hexToBytes(json.announcement),
    signature: hexToBytes(json.signature),
    modelBytes,
  };
}

/** The JSON fields that copy a signed fact, with the verified fact's name (`verifyAnnouncement`'s getters). */
const SIGNED_COPIES = {
  round: 'round', param_set_id: 'paramSetId', model_dim: 'modelDim', norm_bound: 'normBound', scale: 'scale',
  b_int: 'bInt', plaintext_modulus_t: 't', deadline: 'deadline', model: 'model', model_sha3: 'modelSha3',
  kem_key_sha3: 'kemKeySha3', bfv_public_key_sha3: 'bfvPublicKeySha3',
};

/**
 * The round as the page uses it, from `facts` (the verified announcement, as the worker returns it): every
 * term and the model spec come from the signed bytes. A JSON copy that disagrees with them (a `model` field
 * naming another spec, another bound, …) is refused: the aggregator, or something between it and the page,
 * sent an unsigned field that is not what it signed.
 */
export function signedRound(r, facts) {
  for (const [field, fact] of Object.entries(SIGNED_COPIES)) {
    if (!(field in r.json)) continue;
    const sent = r.json[field] ?? null;
    const signed = facts[fact] ?? null;
    if (String(sent) !== String(signed)) {
      throw new ApiError(0, 'bad_announcement', `the round's JSON field ${field} (${JSON.stringify(sent)}) is not `
        + `what the aggregator signed (${JSON.stringify(signed)}); the round is refused`);
    }
  }
  const announcement = {
    round: facts.round, param_set_id: facts.paramSetId, model_dim: facts.modelDim, norm_bound: facts.normBound,
    scale: facts.scale, b_int: facts.bInt, t: facts.t, opened_at: facts.openedAt, deadline: facts.deadline,
    model: facts.model ?? null, model_sha3: facts.modelSha3, kem_key_sha3: facts.kemKeySha3,
    bfv_public_key_sha3: facts.bfvPublicKeySha3,
  };
  const model = new Float32Array(r.modelBytes.buffer, r.modelBytes.byteOffset, facts.modelDim);
  return { ...r, id: facts.round, announcement, model };
}

/** Round status (state, deadline, per-clinic decisions). */
export const roundStatus = (round) => json_(`/v1/rounds/${round}`);

/** The current round's announcement (small JSON; tells whether a new round has opened). */
export const currentAnnouncement = () => json_('/v1/rounds/current');

/** Whether the round takes submissions now: state `open` and the deadline not passed. */
export function isOpen(r, now = Date.now()) {
  return r.status.state === 'open' && r.announcement.deadline * 1000 > now;
}

/** "in 4 min 10 s" / "2 min ago": a plain relative time from now to `ms` (epoch milliseconds). */
export function relativeTime(ms, now = Date.now()) {
  const s = Math.round(Math.abs(ms - now) / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const text = h ? `${h} h ${m} min` : m ? `${m} min ${s % 60} s` : `${s} s`;
  return ms >= now ? `in ${text}` : `${text} ago`;
}

/** The deadline in the reader's local time zone, with how long is left. */
export function describeDeadline(r, now = Date.now()) {
  const ms = r.announcement.deadline * 1000;
  const local = new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  if (!isOpen(r, now)) return `${local} (closed)`;
  return `${local} (closes ${relativeTime(ms, now)})`;
}

/** The fields the page shows for a round, each with a plain explanation of its symbols. */
export function describeRound(r, now = Date.now()) {
  const a = r.announcement;
  const open = isOpen(r, now);
  return {
    Round: String(r.id),
    State: open ? 'open: taking submissions' : `${r.status.state}: not taking submissions`,
    'Encryption parameters': `set ${r.params.param_set}: polynomials of N = ${r.params.ring_degree} coefficients `
      + `modulo q = ${r.params.modulus_q} (the ciphertext modulus; fixed by the protocol, nothing to choose)`,
    'Size limit of an update': `B = ${a.norm_bound}: updates whose length ‖update‖₂ is larger are scaled down `
      + `to it; after multiplying by the scale S = ${a.scale} and rounding to integers, the limit is `
      + `B_int = ${a.b_int}, which the proof shows your encrypted update respects`,
    'Model': `${a.model_dim.toLocaleString()} parameters, `
      + (a.model ? `announced as ${a.model} (signed into the round, signature checked)`
        : 'the paper\'s MLP 784-128-64-4 (no spec announced)'),
    'Decisions': `${r.status.accepted} accepted, ${r.status.rejected} rejected of ${r.status.expected} clinics`,
    'Deadline': describeDeadline(r, now),
    'BFV public key': r.bfvKey ? `${r.bfvKey.length.toLocaleString()} bytes (the key your update is encrypted under)`
      : 'not published by this aggregator',
    'Decryption': r.params.decryption_mode,
  };
}

/**
 * Submits a sealed envelope. Resolves to {accepted: true, ...} on 200; an authenticated rejection (403/409/422)
 * resolves to {accepted: false, code, reason}; 429/503 are retried (see `request`); anything else (unreachable,
 * 400, 429/5xx after the retries) throws.
 */
export async function submit(round, envelope) {
  try {
    const resp = await request(`/v1/rounds/${round}/submissions`, {
      method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: envelope,
    });
    const body = await resp.json();
    return { accepted: body.decision === 'accepted', reason: `accepted (${body.accepted_so_far} so far)`, body };
  } catch (e) {
    if (e instanceof ApiError && [403, 409, 422].includes(e.status)) {
      return { accepted: false, code: e.code, reason: `${e.code}: ${e.message}` };
    }
    throw e;
  }
}

export function hexToBytes(hex) {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || /[^0-9a-fA-F]/.test(hex)) {
    throw new ApiError(0, 'bad_hex', 'the aggregator sent malformed hex');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}
