// Pure helpers of the facilitator dashboard (admin.jsx): the countdown from
// session.status / session.extend / session.extended, and the seat grid
// merged with session.status's per-seat facts. No DOM, no RPC: unit-tested
// in tests/unit/facilitator.test.mjs.

// The clock the Countdown component shows, from the server's figures.
// remaining_ms is used rather than deadline_ms so that a laptop whose clock
// is off still counts down the right time; deadline_ms 0 (or nil) with a
// remaining time means paused. status: the session's status when known.
export function clockFrom(r, now = Date.now(), status = null) {
  if (!r || r.remaining_ms === null || r.remaining_ms === undefined) return { deadlineAt: null, frozenMs: null, exact: !!r && 'remaining_ms' in r };
  const paused = status === 'paused' || !r.deadline_ms;
  return paused
    ? { deadlineAt: null, frozenMs: Math.max(0, r.remaining_ms), exact: true }
    : { deadlineAt: now + Math.max(0, r.remaining_ms), frozenMs: null, exact: true };
}

// The seats of session.list (or of this browser's copy) with session.status's
// facts: the player's name, who plays it, connected, submitted, ready, lock.
export function mergeStatus(seats, status) {
  const by = Object.fromEntries((status?.seats || []).map((s) => [s.seat, s]));
  return seats.map((s) => {
    const st = by[s.seat];
    if (!st) return s;
    return {
      ...s,
      name: st.name || '',
      played_by: st.played_by,
      agent: st.agent ?? (st.played_by === 'agent' ? s.agent : null),
      taken: s.taken || st.played_by === 'person',
      connected: st.connected,
      submitted: st.submitted,
      ready: st.ready,
      locked: st.locked,
      ...(s.seatless || st.seatless ? { seatless: true } : {}),
    };
  });
}

// How a seat is played, for the dashboards: 'standing' for a seatless seat
// (issue 11: it plays its standing orders; no join code, no agent), else
// 'agent', 'person' or 'empty'.
export function seatState(s) {
  return s.seatless ? 'standing' : s.agent ? 'agent' : s.taken ? 'person' : 'empty';
}

// The seats "Agents take the empty seats" gives to agents: nobody plays them
// and they are not seatless (the server refuses an agent on those).
export function emptySeats(seats) {
  return seats.filter((s) => seatState(s) === 'empty');
}

// Who the open turn waits for: seats that are not ready (agents always are).
export function waitingFor(seats) {
  return seats.filter((s) => s.ready === false && s.played_by !== 'nobody').map((s) => s.seat);
}
