// Unit tests of the page's round helpers (node --test): when Submit is allowed and how the deadline reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOpen, relativeTime, describeDeadline } from '../api.js';

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
