// The clinic's Web Worker: loads the wasm package and runs every heavy step (data generation, training,
// encryption, proof, sealing) off the page's main thread, posting progress and timings back.
//
// Messages in:  {id, op, args}        ops: 'init', 'verifyRound', 'synthetic', 'csv', 'train', 'encryptProveSeal'
// Messages out: {id, type: 'progress', stage, done, total}
//               {id, type: 'timing', step, ms}
//               {id, type: 'result', value}  |  {id, type: 'error', name, code, message}
import init, * as zkfl from './pkg/zkfl_wasm.js';

let ready = null;

const ops = {
  async init() {
    ready ??= init();
    await ready;
    return { version: zkfl.version(), capabilities: capabilities() };
  },
  // The signed round announcement under the aggregator key (`verifyAnnouncement`: zkfl-core's check), and the
  // served global model against its signed hash. Returns the verified facts: the page's only source of the
  // round's terms and model spec.
  verifyRound({ bytes, signature, aggregatorKey, model }) {
    const v = zkfl.verifyAnnouncement(bytes, signature, aggregatorKey);
    try {
      v.checkModel(model);
      return {
        round: v.round, paramSetId: v.paramSetId, modelDim: v.modelDim, normBound: v.normBound, scale: v.scale,
        bInt: v.bInt, t: v.t, openedAt: v.openedAt, deadline: v.deadline, model: v.model ?? null,
        modelSha3: v.modelSha3, kemKeySha3: v.kemKeySha3, bfvPublicKeySha3: v.bfvPublicKeySha3,
        aggregatorKeySha3: zkfl.aggregatorKeySha3(aggregatorKey),
      };
    } finally {
      v.free();
    }
  },
  synthetic({ clinic, clinics, samples, seed }, ctx) {
    return ctx.timed('generate data', () => zkfl.syntheticClinicData(clinic, clinics, samples, seed));
  },
  // A header CSV as the announced model's data (zkfl_learn's parser: errors name line and column).
  csv({ bytes, spec, modelDim, label }, ctx) {
    return ctx.timed('read CSV', () => zkfl.parseModelCsv(bytes, spec, modelDim, label || undefined));
  },
  // `spec`: the round's announced model (trained by zkfl_learn::local_update); none: the paper's MLP.
  train({ spec, global, features, labels, epochs, seed }, ctx) {
    return ctx.timed('train locally', () => (spec
      ? zkfl.trainModelUpdate(spec, global, features, labels, epochs, seed, ctx.progress)
      : zkfl.trainUpdate(global, features, labels, epochs, seed, ctx.progress)));
  },
  // Clip + quantize + BFV-encrypt + prove, then sign and seal. `poisoned`: the attacker demo instead — unclipped
  // N(0, 50²) noise, encrypted, with a proof from the prover with its norm checks removed (the aggregator must
  // reject it); signed and sealed exactly like the honest update. The round is rebuilt here from the signed
  // announcement, verified again under the clinic's pinned aggregator key (`aggregator-vk.bin`).
  encryptProveSeal({ round, update, signingKey, pinnedKey, clinic, poisoned }, ctx) {
    const { c, pkHash } = ctx.timed('verify announcement + load round', () => {
      const v = zkfl.verifyAnnouncement(round.announcementBytes, round.signature, pinnedKey);
      try {
        return { c: zkfl.ClinicRound.fromAnnouncement(v, round.bfvKey, round.kemKey), pkHash: hexBytes(v.bfvPublicKeySha3) };
      } finally {
        v.free();
      }
    });
    try {
      const prepared = poisoned
        ? ctx.timed('attacker demo: N(0, 50²) noise + encrypt + cheating prover', () =>
          c.attackerDemoPoisonedUpdate(clinic, pkHash, undefined, ctx.progress))
        : ctx.timed('clip + quantize + encrypt + prove', () =>
          c.encryptAndProve(update, clinic, pkHash, ctx.progress));
      try {
        const envelope = ctx.timed('sign + seal', () => c.seal(prepared, clinic, signingKey, BigInt(Date.now())));
        return { envelope, proofLen: prepared.proofLen, proofKind: prepared.proofKind, normSq: prepared.normSq,
          bInt: c.bInt };
      } finally {
        prepared.free();
      }
    } finally {
      c.free();
    }
  },
};

// Which bindings this build of the package provides; the page labels missing steps instead of faking them.
function capabilities() {
  return {
    synthetic: typeof zkfl.syntheticClinicData === 'function',
    train: typeof zkfl.trainUpdate === 'function',
    spec: typeof zkfl.parseModelCsv === 'function' && typeof zkfl.trainModelUpdate === 'function',
    submit: typeof zkfl.ClinicRound === 'function' && typeof zkfl.verifyAnnouncement === 'function',
    prove: typeof zkfl.ClinicRound === 'function' && typeof zkfl.ClinicRound.prototype.encryptAndProve === 'function',
    poison: typeof zkfl.ClinicRound === 'function'
      && typeof zkfl.ClinicRound.prototype.attackerDemoPoisonedUpdate === 'function',
  };
}

self.onmessage = async ({ data: { id, op, args } }) => {
  const ctx = {
    progress: (stage, done, total) => self.postMessage({ id, type: 'progress', stage, done, total }),
    timed(step, f) {
      const t0 = performance.now();
      const v = f();
      self.postMessage({ id, type: 'timing', step, ms: performance.now() - t0 });
      return v;
    },
  };
  try {
    if (op !== 'init') await (ready ??= init());
    const handler = ops[op];
    if (!handler) throw Object.assign(new Error(`unknown operation ${op}`), { code: 'BadInput' });
    const value = await handler(args ?? {}, ctx);
    self.postMessage({ id, type: 'result', value }, transferables(value));
  } catch (e) {
    self.postMessage({ id, type: 'error', name: e?.name ?? 'Error', code: e?.code ?? null, message: String(e?.message ?? e) });
  }
};

function hexBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

function transferables(v) {
  if (!v || typeof v !== 'object') return [];
  const out = [];
  for (const x of ArrayBuffer.isView(v) ? [v] : Object.values(v)) {
    if (ArrayBuffer.isView(x) && !out.includes(x.buffer)) out.push(x.buffer);
  }
  return out;
}
