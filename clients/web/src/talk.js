// The player's channels and negotiations (issue 13) without a browser:
// channel names and labels, merging pages of chat.history with live
// chat.message notifications, the terms of a contract as a form and as
// params, and what a negotiation means for one seat. src/talk.jsx draws
// them; tests/unit/talk.test.mjs checks them.
import { orderTypes } from './forms.js';

// A seat's bilateral channel with another: `dm:<A>:<B>`, ids in byte order
// (docs/protocol.md, "Channels").
export function dmChannel(a, b) {
  return a < b ? `dm:${a}:${b}` : `dm:${b}:${a}`;
}

// The other seat of a `dm:` channel, for `me`.
export function dmOther(channel, me) {
  const m = /^dm:([^:]+):(.+)$/.exec(channel || '');
  if (!m) return null;
  return m[1] === me ? m[2] : m[1];
}

// What the player reads as a channel's name.
export function channelLabel(c, me) {
  const ch = typeof c === 'string' ? { channel: c } : c || {};
  const id = ch.channel || '';
  if (id === 'all') return 'Everyone';
  if (id === 'press') return 'Press';
  if (id.startsWith('control:')) return 'Ask control';
  if (id.startsWith('team:')) return 'My team';
  if (id.startsWith('dm:')) return `Private: ${dmOther(id, me)}`;
  return ch.title || id;
}

const ORDER = { all: 0, press: 1, control: 2, team: 3, bilateral: 5, multilateral: 5 };
function rank(c) {
  if (c.channel.startsWith('dm:')) return 4;
  return ORDER[c.kind] ?? 6;
}

// The channels a seat shows: what channels.list gave, plus the `dm:`
// channels the server does not list (any two seats may use theirs) that
// this seat has used or opened, each once, in a fixed order (everyone,
// press, control, team, private, opened).
export function seatChannels(listed, me, dms = []) {
  const out = [];
  const seen = new Set();
  for (const c of listed || []) {
    if (!c || !c.channel || seen.has(c.channel)) continue;
    seen.add(c.channel);
    out.push(c);
  }
  for (const d of dms) {
    const other = d.startsWith('dm:') ? dmOther(d, me) : d;
    if (!other || other === me) continue;
    const id = dmChannel(me, other);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ channel: id, kind: 'bilateral', title: `Private: ${other}`, members: [me, other].sort() });
  }
  return out.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i).map((x) => x.c);
}

// A message's channel: `channel` when the server gives it, else what its
// `to` implies (docs/protocol.md: "How `to` maps to a channel").
export function messageChannel(m, me) {
  if (m.channel) return m.channel;
  if (!m.to || m.to === 'all') return 'all';
  if (m.from === 'admin') return `control:${m.to}`;
  if (m.to === m.from) return `team:${m.to}`;
  return dmChannel(m.from, m.to);
}

// Messages in id order, each once: a history page and live notifications
// may overlap. Messages without an id (an older server) keep their order
// after the others. At most `cap`, the newest.
export function mergeMessages(old, add, cap = 500) {
  const byId = new Map();
  const loose = [];
  for (const m of [...(old || []), ...(add || [])]) {
    if (m.id === undefined || m.id === null) loose.push(m);
    else byId.set(m.id, m);
  }
  const out = [...byId.values()].sort((a, b) => a.id - b.id).concat(loose);
  return out.slice(-cap);
}

// The last id of a page, for `after`: null when the page was the last one
// (shorter than `limit`, or without ids).
export function nextAfter(page, limit) {
  if (!Array.isArray(page) || !page.length || page.length < limit) return null;
  const id = page[page.length - 1].id;
  return typeof id === 'number' ? id : null;
}

// The params of channel.open from the form: the seats ticked (not the
// opener's own) and a title (at most 96 bytes). Returns {params} or
// {field, message}.
export function openParams(me, members, title) {
  const seats = [...new Set((members || []).filter((s) => s && s !== me))];
  if (!seats.length) return { field: 'members', message: 'Choose at least one seat besides yours' };
  const t = (title || '').trim();
  if (new TextEncoder().encode(t).length > 96) return { field: 'title', message: `The title is ${new TextEncoder().encode(t).length} bytes; at most 96` };
  return { params: { members: seats, ...(t ? { title: t } : {}) } };
}

// ---------- negotiation ----------

// The `contract_propose` order type from the schema, without `to` (the
// negotiation names the other party) and `op`: the terms form.
export function termsType(schema) {
  const t = orderTypes(schema).find((x) => x.op === 'contract_propose');
  if (!t) return null;
  // The wire fills `id` (the negotiation's) and `side` ("sell"); the
  // schema writes `side` and `index` as free strings, the form offers their
  // choices (the sides; the products, as the branch's `product` lists them).
  const products = t.fields.find((f) => f.name === 'product')?.schema?.enum;
  const fields = t.fields.filter((f) => f.name !== 'to').map((f) => {
    if (f.name === 'id') return { ...f, required: false, label: f.schema?.title || 'Contract id' };
    if (f.name === 'side') return { ...f, required: false, schema: { ...f.schema, enum: ['sell', 'buy'] } };
    if (f.name === 'index' && products) return { ...f, schema: { ...f.schema, enum: products } };
    return f;
  });
  return { ...t, fields };
}

// The params of contract.propose / .counter from terms (an order map as
// the form or contract.negotiations gives it): without `op` and `to`, and
// without the formula's fields when there is no index (the server answers
// share, floor and cap as 0 then).
export function termsParams(terms) {
  const out = {};
  for (const [k, v] of Object.entries(terms || {})) {
    if (k === 'op' || k === 'to' || v === undefined || v === null || v === '') continue;
    out[k] = v;
  }
  if (!out.index) { delete out.share; delete out.floor; delete out.cap; }
  if (out.consume === false) delete out.consume;
  return out;
}

// Terms as the form's values: the same map, formula fields only with an
// index, and `side` from the point of view of `me` (a counter-offer is the
// counterer's own proposal, so a sell offer made to me is countered as a
// buy).
export function termsForm(terms, { flip = false } = {}) {
  const v = termsParams(terms);
  if (flip) v.side = (v.side || 'sell') === 'sell' ? 'buy' : 'sell';
  return v;
}

// Terms in words, from the author's side: "sells NdPr oxide 100 t/turn at
// $60/kg for 2 turns, penalty $10/kg".
export function termsText(t, names = {}) {
  if (!t || typeof t !== 'object') return '';
  const n = (v, d = 0) => (typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: d }) : String(v));
  const product = names[t.product] || t.product;
  const price = t.index
    ? `${n(t.share ?? 1, 2)} x ${names[t.index] || t.index} price${t.floor ? `, at least $${n(t.floor, 2)}/kg` : ''}${t.cap ? `, at most $${n(t.cap, 2)}/kg` : ''}`
    : t.price !== undefined ? `$${n(t.price, 2)}/kg` : '';
  return [t.side === 'buy' ? 'buys' : 'sells', product, t.quantity !== undefined ? `${n(t.quantity)} t/turn` : '',
    price && `at ${price}`, t.turns ? `for ${t.turns} turn${t.turns === 1 ? '' : 's'}` : '',
    t.penalty ? `penalty $${n(t.penalty, 2)}/kg` : '', t.consume ? 'consumed' : '']
    .filter(Boolean).join(' ');
}

// A negotiation as one seat sees it: the other party, whether it may
// counter or accept now (it is not the author of the offer in force and the
// negotiation is open or countered), whether it may withdraw, and who
// sells.
export function negotiationFor(n, me) {
  const live = n.status === 'open' || n.status === 'countered';
  const other = n.from === me ? n.to : n.from;
  const side = n.terms?.side || 'sell';
  const seller = side === 'sell' ? n.author : (n.author === n.from ? n.to : n.from);
  return {
    other,
    live,
    mine: n.author === me,
    canAnswer: live && n.author !== me,
    canWithdraw: live,
    seller,
    buyer: seller === n.from ? n.to : n.from,
    waitingFor: live ? (n.author === me ? other : me) : null,
  };
}

// Negotiations in the order a player reads them: those waiting for this
// seat first, then the other live ones, then the ended; newest first
// within each.
export function sortNegotiations(list, me) {
  const key = (n) => { const v = negotiationFor(n, me); return v.canAnswer ? 0 : v.live ? 1 : 2; };
  const num = (n) => Number(String(n.negotiation).replace(/\D/g, '')) || 0;
  return [...(list || [])].sort((a, b) => key(a) - key(b) || num(b) - num(a));
}

// A running or proposed contract of `you.contracts` negotiated with
// `other` (by id): the link between a deal and what the game made of it.
export function contractOf(n, contracts) {
  const id = n.terms?.id || n.negotiation;
  return (contracts || []).find((c) => c.id === id && (c.proposer === n.author || c.seller === n.from || c.buyer === n.from)) || null;
}
