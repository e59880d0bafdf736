// Unit tests of the page's round helpers (node --test): when Submit is allowed and how the deadline reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOpen, relativeTime, describeDeadline, signedRound } from '../api.js';

const now = Date.UTC(2026, 11, 4, 15, 0, 0);
const round = (state, deadlineMs) => ({ status: { state }, announcement: { deadline: deadlineMs / 1000 } });

test('a round is open only in state open and before its deadline', () => {
  assert.equal(isOpen(round('open', now + 60_000), now), true);
  assert.equal(isOpen(round('open', now - 1_000), now), false, 'deadline passed');
  for (const s of ['closing', 'decrypting', 'published', 'failed']) {
    assert.equal(isOpen(round(s, now + 60_000), now), false, s);
  }
});

test('relative times read plainly', () => {
  assert.equal(relativeTime(now + 42_000, now), 'in 42 s');
  assert.equal(relativeTime(now + 8 * 60_000 + 55_000, now), 'in 8 min 55 s');
  assert.equal(relativeTime(now + 2 * 3600_000 + 5 * 60_000, now), 'in 2 h 5 min');
  assert.equal(relativeTime(now - 3 * 60_000, now), '3 min 0 s ago');
});

test('the deadline is local time with the time left, or closed', () => {
  const open = describeDeadline(round('open', now + 600_000), now);
  assert.match(open, /\(closes in 10 min 0 s\)$/);
  assert.doesNotMatch(open, /T\d\d:\d\d|Z\b/, 'not a raw UTC timestamp');
  assert.match(describeDeadline(round('closing', now + 600_000), now), /\(closed\)$/);
});

// What the worker returns for a verified announcement (`verifyAnnouncement`'s getters) and the JSON copy the
// aggregator sends next to the signed bytes.
const facts = {
  round: 3, paramSetId: 1, modelDim: 8, normBound: 5, scale: 512, bInt: 2727, t: '27271', openedAt: 1, deadline: 2,
  model: 'logistic:3,2', modelSha3: 'aa', kemKeySha3: 'bb', bfvPublicKeySha3: 'cc',
};
const served = (json) => ({
  json: {
    round: 3, state: 'open', param_set_id: 1, model_dim: 8, model_sha3: 'aa', norm_bound: 5.0, scale: 512.0,
    b_int: '2727', plaintext_modulus_t: '27271', opened_at: 1, deadline: 2, kem_key_sha3: 'bb',
    bfv_public_key_sha3: 'cc', model: 'logistic:3,2', announcement: '00', signature: '00', ...json,
  },
  modelBytes: new Uint8Array(32),
});

test('the round the page uses is the verified announcement', () => {
  const r = signedRound(served({}), facts);
  assert.equal(r.announcement.model, 'logistic:3,2');
  assert.equal(r.announcement.b_int, 2727);
  assert.equal(r.model.length, 8);
});

test('a JSON model field (or bound) that is not the signed one is refused', () => {
  for (const tampered of [{ model: 'logistic:2,2' }, { model: null }, { norm_bound: 50 }, { b_int: '9999' },
    { bfv_public_key_sha3: 'dd' }]) {
    assert.throws(() => signedRound(served(tampered), facts), (e) => e.code === 'bad_announcement'
      && /is not what the aggregator signed/.test(e.message), JSON.stringify(tampered));
  }
  // A round without a spec: the JSON says null and so do the signed bytes.
  assert.equal(signedRound(served({ model: null }), { ...facts, model: null }).announcement.model, null);
});
