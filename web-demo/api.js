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

const json = async (path) => (await request(path)).json();
// A resource this aggregator build may not have yet (404 → null), e.g. the BFV public key.
const optionalBytes = (path) => bytes(path).catch((e) => {
  if (e instanceof ApiError && e.status === 404) return null;
  throw e;
});
const bytes = async (path) => new Uint8Array(await (await request(path)).arrayBuffer());

/**
 * Everything a clinic needs for the open round: the signed announcement (JSON copy and canonical bytes), the
 * parameters, the aggregator's ML-KEM key, the BFV public key and the global model.
 */
export async function currentRound() {
  const [announcement, params] = await Promise.all([json('/v1/rounds/current'), json('/v1/params')]);
  const [kemKey, bfvKey, modelBytes] = await Promise.all([
    bytes('/v1/keys/kem'), optionalBytes('/v1/keys/bfv'), bytes(`/v1/models/${announcement.round}`),
  ]);
  if (modelBytes.length !== 4 * announcement.model_dim) {
    throw new ApiError(0, 'bad_model', `model has ${modelBytes.length} bytes, expected ${4 * announcement.model_dim}`);
  }
  const status = await json(`/v1/rounds/${announcement.round}`);
  return {
    id: announcement.round,
    announcement,
    params,
    status,
    clinics: params.roster_size,
    kemKey,
    bfvKey,
    announcementBytes: hexToBytes(announcement.announcement),
    model: new Float32Array(modelBytes.buffer, modelBytes.byteOffset, announcement.model_dim),
  };
}

/** Round status (per-clinic decisions). */
export const roundStatus = (round) => json(`/v1/rounds/${round}`);

/** The fields the page shows for a round. */
export function describeRound(r) {
  const a = r.announcement;
  return {
    Round: String(r.id),
    State: r.status.state,
    'Parameter set': `${r.params.param_set} (N = ${r.params.ring_degree}, q = ${r.params.modulus_q})`,
    'Norm bound B / scale S': `${a.norm_bound} / ${a.scale} (B_int = ${a.b_int})`,
    'Model': `${a.model_dim.toLocaleString()} parameters`,
    'Decisions': `${r.status.accepted} accepted, ${r.status.rejected} rejected of ${r.status.expected} clinics`,
    'Deadline': new Date(a.deadline * 1000).toISOString(),
    'BFV public key': r.bfvKey ? `${r.bfvKey.length.toLocaleString()} bytes` : 'not published by this aggregator',
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
