// The control view's logic that needs no browser (unit-tested in
// tests/unit/control.test.mjs): which errors mean a missing method, what a
// seat sees against the truth, the timeline's filter, an inject's and an
// amendment's parameters from the forms' strings.

// Whether an error means "this server has no such method".
export function isMissing(e) {
  if (!e) return false;
  if (e.code === 'unknown_method') return true;
  return /unknown method|no such method|not implemented/i.test(e.message || '');
}

// What a seat sees against the truth, item by item: [{path, seen, truth}]
// for every leaf that differs, and for an element of a list present on one
// side only, the whole element (seen or truth undefined). Elements of lists
// are matched by what names them (an id, a seat, a policy's kind and
// target), not by position, so one hidden policy is one row, not a shifted
// list.
export function elementKey(x, i) {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return String(i);
  if (x.id !== undefined) return String(x.id);
  if (x.seat !== undefined) return String(x.seat);
  if (x.op === 'policy') {
    const what = x.product ?? x.stage ?? x.skill ?? x.firm ?? '';
    return `${x.kind}${what ? `:${what}` : ''}${x.to && x.to !== 'all' ? `>${x.to}` : ''}${x.from && x.from !== 'all' ? `<${x.from}` : ''}`;
  }
  for (const k of ['facility', 'firm', 'nation']) if (x[k] !== undefined) return `${k === 'facility' ? '' : `${k}:`}${x[k]}${x.kind ? `:${x.kind}` : ''}`;
  return String(i);
}

function keyed(list) {
  const m = new Map();
  list.forEach((x, i) => {
    let k = elementKey(x, i);
    while (m.has(k)) k += "'";
    m.set(k, x);
  });
  return m;
}

function diffInto(a, b, path, rows) {
  const obj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (obj(a) && obj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diffInto(a[k], b[k], path ? `${path}.${k}` : k, rows);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    const ka = keyed(a), kb = keyed(b);
    for (const k of new Set([...ka.keys(), ...kb.keys()])) diffInto(ka.get(k), kb.get(k), `${path}[${k}]`, rows);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    rows.push({ path, seen: a, truth: b });
  }
}

export function truthDiff(seen, truth) {
  const rows = [];
  diffInto(seen || {}, truth || {}, '', rows);
  return rows.sort((x, y) => (x.path < y.path ? -1 : 1));
}

export const TIMELINE_KINDS = ['session', 'join', 'orders', 'ready', 'resolved', 'inject', 'amendment', 'release', 'message', 'contract', 'fork'];

export function filterTimeline(rows, { kind = '', seat = '', from = '', to = '', q = '' }) {
  const lo = from === '' ? -Infinity : Number(from) - 1, hi = to === '' ? Infinity : Number(to) - 1;
  const needle = q.trim().toLowerCase();
  return rows.filter((r) => (!kind || r.kind === kind) && (!seat || r.seat === seat)
    && (r.turn === undefined || r.turn === null || (r.turn >= lo && r.turn <= hi))
    && (!needle || `${r.text || ''} ${r.data ? JSON.stringify(r.data) : ''}`.toLowerCase().includes(needle)));
}


// event.inject's params from the form's strings: {params} or {error, field}.
// Turns are typed 1-based and sent 0-based; `openTurn` is 0-based.
export function injectParams(f, seatsPicked, openTurn) {
  const event = { kind: f.kind };
  for (const k of ['nation', 'facility', 'product', 'stage']) if (f[k]) event[k] = f[k];
  if (f.magnitude !== '' && f.magnitude !== undefined) {
    const m = Number(f.magnitude);
    if (!(m >= 0 && m <= 10)) return { field: 'magnitude', error: 'Magnitude is a share from 0 to 10 (0.3 for 30%).' };
    event.magnitude = m;
  }
  if (f.duration !== '' && f.duration !== undefined) {
    const d = Number(f.duration);
    if (!Number.isInteger(d) || d < 1) return { field: 'duration', error: 'Duration is a whole number of turns, 1 or more.' };
    event.duration = d;
  }
  if (f.text && f.text.trim()) event.text = f.text.trim();
  if (f.kind === 'policy' || f.kind === 'state_support') {
    let pol;
    try { pol = JSON.parse(f.policy || ''); } catch { pol = null; }
    if (!pol || typeof pol !== 'object' || Array.isArray(pol)) {
      return { field: 'policy', error: 'The policy must be an order map in JSON, like {"op": "policy", "kind": "export_ban", "product": "dytb_oxide", "to": "all"}.' };
    }
    event.policy = pol;
  }
  const params = { event };
  if (f.turn !== '' && f.turn !== undefined) {
    const t = Number(f.turn) - 1;
    if (!Number.isInteger(t) || t < openTurn) return { field: 'turn', error: `The turn is the open one (${openTurn + 1}) or a later one.` };
    params.turn = t;
  }
  if (seatsPicked.length) params.seats = seatsPicked;
  if (f.note && f.note.trim()) params.note = f.note.trim();
  return { params };
}

// A decimal string as an exact integer in units of 10^-places ("1,250.5"
// with 2 places: 125050), or null. No floating point: money is cents and
// tonnes are kg on the wire.
export function exactUnits(str, places) {
  const t = String(str).replace(/[\s,_]/g, '').replace(/^\u2212/, '-');
  const m = /^([+-]?)(\d+)(?:\.(\d*))?$/.exec(t);
  if (!m) return null;
  const frac = m[3] || '';
  if (frac.length > places) return null;
  const v = Number(m[2] + frac.padEnd(places, '0'));
  if (!Number.isSafeInteger(v)) return null;
  return m[1] === '-' ? -v : v;
}

// One amendment of turn.release from the review form (docs/protocol.md
// "turn.release"): {amendment} or {error, field}. `f` holds strings:
// kind, seat, reason, and per kind amount (USD), facility and tonnes,
// contract and tonnes, order (an index of the seat's orders).
export function amendment(f) {
  if (!f.seat) return { field: 'seat', error: 'Choose the seat the amendment is for.' };
  const reason = (f.reason || '').trim();
  if (!reason) return { field: 'reason', error: 'Every amendment needs a reason (it goes into the record).' };
  const a = { seat: f.seat, kind: f.kind };
  if (f.kind === 'cash') {
    const c = exactUnits(f.amount ?? '', 2);
    if (c === null || c === 0 || Math.abs(c) > 1e15) return { field: 'amount', error: 'The amount is in USD, non-zero, with at most 2 decimals (a minus sign takes money away).' };
    a.amount_cents = c;
  } else if (f.kind === 'production' || f.kind === 'delivery') {
    const key = f.kind === 'production' ? 'facility' : 'contract';
    if (!f[key] && f[key] !== 0) return { field: key, error: f.kind === 'production' ? 'Choose the facility.' : 'Choose the contract.' };
    const kg = exactUnits(f.tonnes ?? '', 3);
    if (kg === null || kg < 0) return { field: 'tonnes', error: 'The quantity is in tonnes, 0 or more, with at most 3 decimals.' };
    a[key] = f.kind === 'delivery' && /^\d+$/.test(String(f.contract)) ? Number(f.contract) : f[key];
    a.kg = kg;
  } else if (f.kind === 'refuse_order') {
    if (f.order === '' || f.order === undefined || !/^\d+$/.test(String(f.order))) return { field: 'order', error: 'Choose the order to refuse.' };
    a.order = Number(f.order);
  } else {
    return { field: 'kind', error: `unknown amendment kind '${f.kind}'` };
  }
  a.reason = reason;
  return { amendment: a };
}
