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

// Flattens an observation part to path -> leaf value, so that what a seat
// sees and the ground truth can be compared line by line. Arrays of maps
// are keyed by their id, seat, nation or firm where they have one.
function flatten(v, path = '', out = {}) {
  if (v === null || typeof v !== 'object') { out[path] = v; return out; }
  if (Array.isArray(v)) {
    if (!v.length) { out[path] = '[]'; return out; }
    v.forEach((x, i) => {
      const key = x && typeof x === 'object' && !Array.isArray(x) ? (x.id ?? x.seat ?? x.firm ?? x.facility ?? x.nation ?? i) : i;
      flatten(x, `${path}[${key}]`, out);
    });
    return out;
  }
  for (const [k, x] of Object.entries(v)) flatten(x, path ? `${path}.${k}` : k, out);
  return out;
}

export function truthDiff(seen, truth) {
  const a = flatten(seen || {}), b = flatten(truth || {});
  const rows = [];
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) rows.push({ path: k, seen: a[k], truth: b[k] });
  }
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
    if (!(m >= 0 && m <= 1)) return { field: 'magnitude', error: 'Magnitude is a share from 0 to 1 (0.3 for 30%).' };
    event.magnitude = m;
  }
  if (f.duration !== '' && f.duration !== undefined) {
    const d = Number(f.duration);
    if (!Number.isInteger(d) || d < 1) return { field: 'duration', error: 'Duration is a whole number of turns, 1 or more.' };
    event.duration = d;
  }
  if (f.text && f.text.trim()) event.text = f.text.trim();
  if (f.kind === 'policy') {
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

// One amendment of turn.release from the form: {amendment} or {error}.
export function amendment(kind, seat, fieldsText, reason, hint = '{}') {
  let fields = {};
  if (fieldsText.trim()) {
    try { fields = JSON.parse(fieldsText); } catch { return { error: `The fields are a JSON map, like ${hint}.` }; }
    if (!fields || typeof fields !== 'object' || Array.isArray(fields)) return { error: `The fields are a JSON map, like ${hint}.` };
  }
  if (!seat) return { error: 'Choose the seat the amendment is for.' };
  if (!reason.trim()) return { error: 'Every amendment needs a reason (it goes into the record).' };
  return { amendment: { ...fields, seat, kind, reason: reason.trim() } };
}
