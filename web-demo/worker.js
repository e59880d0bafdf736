// The clinic's Web Worker: loads the wasm package and runs every heavy step (data generation, training,
// encryption, proof, sealing) off the page's main thread, posting progress and timings back.
//
// Messages in:  {id, op, args}        ops: 'init', 'synthetic', 'train', 'encryptProveSeal'
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
  synthetic({ clinic, clinics, samples, seed }, ctx) {
    return ctx.timed('generate data', () => zkfl.syntheticClinicData(clinic, clinics, samples, seed));
  },
  train({ global, features, labels, epochs, seed }, ctx) {
    return ctx.timed('train locally', () =>
      zkfl.trainUpdate(global, features, labels, epochs, seed, ctx.progress));
  },
  encryptProveSeal({ round, update, signingKey, clinic, poisoned }, ctx) {
    if (typeof zkfl.ClinicRound !== 'function') {
      throw Object.assign(new Error('this build of the clinic package cannot encrypt, prove and seal yet'),
        { name: 'ZkflError', code: 'Unavailable' });
    }
    const c = ctx.timed('load round', () =>
      new zkfl.ClinicRound(round.announcementBytes, round.bfvKey, round.kemKey, round.announcement.norm_bound,
        round.announcement.scale));
    try {
      const sub = poisoned
        ? ctx.timed('craft poisoned update', () => c.poisonedSubmission(update.length, ctx.progress))
        : ctx.timed('encrypt + prove', () => c.encryptAndProve(update, ctx.progress));
      return ctx.timed('sign + seal', () => c.seal(sub, clinic, signingKey));
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
    submit: typeof zkfl.ClinicRound === 'function',
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

function transferables(v) {
  if (!v || typeof v !== 'object') return [];
  const out = [];
  for (const x of ArrayBuffer.isView(v) ? [v] : Object.values(v)) {
    if (ArrayBuffer.isView(x) && !out.includes(x.buffer)) out.push(x.buffer);
  }
  return out;
}
