import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clockFrom, emptySeats, mergeStatus, seatState, waitingFor } from '../../src/facilitator.js';

test('the countdown runs from remaining_ms, not from the laptop clock', () => {
  assert.deepEqual(clockFrom({ deadline_ms: 1, remaining_ms: 90000 }, 1000, 'running'), { deadlineAt: 91000, frozenMs: null, exact: true });
});
test('paused: deadline_ms 0, the time left is frozen', () => {
  assert.deepEqual(clockFrom({ deadline_ms: 0, remaining_ms: 30000 }, 1000), { deadlineAt: null, frozenMs: 30000, exact: true });
  assert.deepEqual(clockFrom({ deadline_ms: 5, remaining_ms: 30000 }, 1000, 'paused'), { deadlineAt: null, frozenMs: 30000, exact: true });
});
test('no deadline (nil) is exact too; no answer is not', () => {
  assert.deepEqual(clockFrom({ deadline_ms: null, remaining_ms: null }, 1000), { deadlineAt: null, frozenMs: null, exact: true });
  assert.deepEqual(clockFrom(null), { deadlineAt: null, frozenMs: null, exact: false });
  assert.equal(clockFrom({ deadline_ms: 1, remaining_ms: -5 }, 1000).deadlineAt, 1000);
});
test('mergeStatus adds the per-seat facts and keeps the join codes', () => {
  const seats = [{ seat: 'CHN', kind: 'nation', join_code: 'AB', taken: false, agent: null }, { seat: 'USA', join_code: 'CD', taken: false }];
  const st = { seats: [{ seat: 'CHN', name: 'Li', played_by: 'person', agent: null, connected: 1, submitted: true, ready: false, locked: true }] };
  const m = mergeStatus(seats, st);
  assert.deepEqual(m[0], { seat: 'CHN', kind: 'nation', join_code: 'AB', taken: true, agent: null, name: 'Li', played_by: 'person', connected: 1, submitted: true, ready: false, locked: true });
  assert.equal(m[1], seats[1]);
  assert.deepEqual(mergeStatus(seats, null), seats);
  assert.deepEqual(waitingFor(m), ['CHN']);
});
test('a seatless seat (issue 11) is played by its standing orders: never empty, never waited for', () => {
  const seats = [
    { seat: 'USA', kind: 'nation', join_code: 'AB', taken: false, agent: null },
    { seat: 'iluka', kind: 'firm', join_code: null, seatless: true, taken: false, agent: null },
    { seat: 'lynas', kind: 'firm', join_code: 'CD', taken: false, agent: 'integrator' },
  ];
  const st = { seats: [
    { seat: 'USA', played_by: 'nobody', ready: false },
    { seat: 'iluka', seatless: true, played_by: 'nobody', ready: true },
    { seat: 'lynas', played_by: 'agent', agent: 'integrator', ready: true },
  ] };
  const m = mergeStatus(seats, st);
  assert.deepEqual(m.map(seatState), ['empty', 'standing', 'agent']);
  assert.equal(m[1].seatless, true);
  assert.ok(!('seatless' in m[0]));
  assert.deepEqual(emptySeats(m).map((s) => s.seat), ['USA']);
  assert.deepEqual(emptySeats(seats).map((s) => s.seat), ['USA']);
  assert.deepEqual(waitingFor(m), []);
  // the status alone may carry the flag (a dashboard imported without the create answer)
  assert.equal(seatState(mergeStatus([{ seat: 'iluka', taken: false }], st)[0]), 'standing');
});
