// Turns the JSON Schema of one order (the server's `orders.schema`, see
// docs/protocol.md "orders.schema"; or the copy in orderSchema.js for an
// older server) into the order types a form shows: one per `oneOf` branch,
// each with its fields' labels, units, ranges, required flags and
// descriptions, and the rules across fields that the branch's `allOf`
// carries (`if` / `then`). Nothing about the orders is written here: a new
// op, policy kind or field on the server appears in the form by itself.
import { FALLBACK_SCHEMA } from './orderSchema.js';

function constOf(s) {
  if (!s || typeof s !== 'object') return undefined;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length === 1) return s.enum[0];
  return undefined;
}

function branches(s) {
  return (s && (s.oneOf || s.anyOf)) || null;
}

// Resolve local "$ref": "#/$defs/x" references.
function deref(s, root) {
  if (s && typeof s.$ref === 'string' && s.$ref.startsWith('#/')) {
    let t = root;
    for (const part of s.$ref.slice(2).split('/')) t = t && t[part];
    return t ? { ...t, ...s, $ref: undefined } : s;
  }
  return s;
}

function merge(parent, child) {
  return {
    ...parent, ...child,
    properties: { ...(parent.properties || {}), ...(child.properties || {}) },
    required: [...new Set([...(parent.required || []), ...(child.required || [])])],
    allOf: [...(parent.allOf || []), ...(child.allOf || [])],
    oneOf: child.oneOf, anyOf: child.anyOf,
    'x-who': child['x-who'] || parent['x-who'],
    'x-stands': child['x-stands'] ?? parent['x-stands'],
    title: child.title || parent.title,
    description: child.description || parent.description,
  };
}

// "min_price" -> "Min price"; "export_quota" -> "Export quota".
export function humanize(key) {
  const s = String(key).replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// x-who is a sentence on the server ("firms", "firms, nations (stockpile
// sales)") and may be an array of seat kinds: both become ['firm', 'nation'].
export function seatKinds(who) {
  if (!who) return undefined;
  const words = Array.isArray(who) ? who : String(who).replace(/\([^)]*\)/g, '').split(/[,\s]+/);
  const kinds = words.map((w) => w.trim().toLowerCase().replace(/s$/, '')).filter(Boolean);
  return kinds.length ? kinds : undefined;
}

// The type a field holds besides null: ["number", "null"] -> "number".
export function baseType(s) {
  return Array.isArray(s?.type) ? s.type.find((x) => x !== 'null') : s?.type;
}

// A field that may be nil: nil (or absent) lifts a quota.
export function nilLifts(s) {
  return Array.isArray(s?.type) && s.type.includes('null');
}

function collect(s, root, out, parent = {}) {
  s = deref(s, root);
  const m = merge(parent, s);
  const b = branches(s);
  if (b) {
    for (const c of b) collect(c, root, out, { ...m, oneOf: undefined, anyOf: undefined });
    return;
  }
  const props = m.properties || {};
  const op = constOf(deref(props.op, root));
  if (op === undefined) return;
  const kind = constOf(deref(props.kind, root));
  const fields = Object.entries(props)
    .filter(([name]) => name !== 'op' && !(name === 'kind' && kind !== undefined))
    .map(([name, fs]) => {
      const schema = deref(fs, root);
      return {
        name, schema,
        label: schema.title || humanize(name),
        unit: schema['x-unit'] || '',
        required: (m.required || []).includes(name),
        nullable: nilLifts(schema),
      };
    });
  // The server's branch titles are the op ("hire") or "policy " and the
  // kind ("policy tariff"); the form shows "Hire" and "Tariff" (under
  // "Policies"). A schema whose titles are already sentences keeps them.
  const bare = kind !== undefined ? `policy ${kind}` : String(op);
  const title = !m.title || m.title === bare || m.title === op ? humanize(kind ?? op) : m.title;
  out.push({
    key: kind !== undefined ? `${op}:${kind}` : op,
    op, kind,
    title,
    group: kind !== undefined ? humanize(op) : null,
    description: m.description,
    who: seatKinds(m['x-who']),
    stands: m['x-stands'],
    rules: (m.allOf || []).filter((r) => r && r.if && r.then),
    fields,
  });
}

export function orderTypes(schema) {
  const out = [];
  try { collect(schema, schema, out); } catch (e) { return []; }
  return out;
}

export function typesFor(schema, kind) {
  let types = orderTypes(schema);
  if (!types.length) types = orderTypes(FALLBACK_SCHEMA);
  return types.filter((t) => !t.who || t.who.includes(kind));
}

// The schema to build forms from: the server's `orders.schema` (called with
// no arguments), or the built-in copy only when the server does not know
// the method (an older server). Any other failure is the connection's and
// is thrown, so the caller tries again on the next connection.
export async function fetchOrderSchema(call) {
  try {
    const r = await call('orders.schema', {});
    const s = r && typeof r === 'object' ? (r.schema || r) : null;
    if (s && typeof s === 'object' && orderTypes(s).length) return { schema: s, source: 'server' };
    return { schema: FALLBACK_SCHEMA, source: 'built-in (the server’s was unreadable)' };
  } catch (e) {
    if (e && e.code === 'unknown_method') return { schema: FALLBACK_SCHEMA, source: 'built-in (older server)' };
    throw e;
  }
}

// Field options that come from the game, not the schema.
export function optionsFor(field, obs) {
  const s = field.schema || {};
  // products: only those of the map (public.rules.products, design J1)
  const prods = obs?.public?.rules?.products;
  if (Array.isArray(s.enum) && Array.isArray(prods) && s.enum.includes('dytb_oxide'))
    return s.enum.filter((p) => prods.includes(p));
  if (Array.isArray(s.enum)) return s.enum;
  if (!obs) return null;
  if (field.name === 'facility') return (obs.you?.facilities || []).map((f) => f.id);
  if (field.name === 'site') return (obs.public?.deposits || []).filter((d) => d.open !== false).map((d) => d.id);
  if (field.name === 'to' || field.name === 'from') {
    const nations = Object.keys(obs.public?.capacity?.mining || obs.market?.regional?.concentrate || {});
    return ['all', ...nations.filter((n) => n !== obs.nation)];
  }
  return null;
}

export function typeOfOrder(order, types) {
  const key = order.op === 'policy' ? `policy:${order.kind}` : order.op;
  return types.find((t) => t.key === key);
}

const present = (v) => v !== undefined && v !== null && v !== '';

// Does an order satisfy a (small) JSON Schema: the subset the server's
// `if` clauses use (required, properties with const, enum, minimum,
// exclusiveMinimum, maximum, exclusiveMaximum).
function satisfies(order, s) {
  if (!s || typeof s !== 'object') return true;
  for (const k of s.required || []) if (!present(order[k])) return false;
  for (const [k, c] of Object.entries(s.properties || {})) {
    const v = order[k];
    if (!present(v)) continue; // properties constrain only what is there
    if ('const' in c && v !== c.const) return false;
    if (Array.isArray(c.enum) && !c.enum.includes(v)) return false;
    if (typeof v === 'number') {
      if (c.minimum !== undefined && v < c.minimum) return false;
      if (c.exclusiveMinimum !== undefined && v <= c.exclusiveMinimum) return false;
      if (c.maximum !== undefined && v > c.maximum) return false;
      if (c.exclusiveMaximum !== undefined && v >= c.exclusiveMaximum) return false;
    }
  }
  if (Array.isArray(s.anyOf) && !s.anyOf.some((x) => satisfies(order, x))) return false;
  if (Array.isArray(s.allOf) && !s.allOf.every((x) => satisfies(order, x))) return false;
  return true;
}

function labelOf(type, name) {
  return type.fields.find((f) => f.name === name)?.label || humanize(name);
}

// An `if` clause in words: "quantity is more than 0", "stage is mining".
function describeIf(type, s) {
  const parts = [];
  for (const [k, c] of Object.entries(s.properties || {})) {
    const l = labelOf(type, k).toLowerCase();
    if ('const' in c) parts.push(`${l} is ${c.const}`);
    else if (c.exclusiveMinimum !== undefined) parts.push(`${l} is more than ${c.exclusiveMinimum}`);
    else if (c.minimum !== undefined) parts.push(`${l} is at least ${c.minimum}`);
    else if (Array.isArray(c.enum)) parts.push(`${l} is ${c.enum.join(' or ')}`);
  }
  return parts.join(' and ') || 'the other fields say so';
}

// The fields a rule asks for, as alternatives: [[a], [b, c]] means "a, or
// b and c".
function alternatives(then) {
  if (Array.isArray(then.anyOf)) return then.anyOf.map((x) => x.required || []).filter((r) => r.length);
  return then.required ? [then.required] : [];
}

// The rules across fields that apply to these values now: for each, the
// alternatives it asks for and the condition in words. The form uses this
// to mark a field required while its condition holds.
export function activeRules(type, order) {
  return (type?.rules || []).filter((r) => satisfies(order, r.if))
    .map((r) => ({ alternatives: alternatives(r.then), when: describeIf(type, r.if) }))
    .filter((r) => r.alternatives.length);
}

// What a field needs now: 'required', 'one of' (with its alternatives),
// or null (optional).
export function fieldNeed(type, field, order) {
  if (field.required) return { need: 'required' };
  for (const r of activeRules(type, order)) {
    const alt = r.alternatives.find((a) => a.includes(field.name));
    if (!alt) continue;
    if (r.alternatives.length === 1) return { need: 'required', when: r.when };
    const others = r.alternatives.filter((a) => a !== alt).map((a) => a.map((n) => labelOf(type, n)).join(' and '));
    return { need: 'one of', others, when: r.when };
  }
  return null;
}

// Client-side check of one order against its type: types, ranges, required
// fields and the rules across fields (the server checks the game). Returns
// null or {field, message}.
export function checkOrder(order, type) {
  if (!type) return { field: 'op', message: `unknown order '${order.op}'` };
  for (const f of type.fields) {
    const v = order[f.name];
    const s = f.schema || {};
    const t = baseType(s);
    const label = f.label || f.name;
    if (!present(v)) {
      if (f.required && !(v === null && f.nullable)) return { field: f.name, message: `${label} is required` };
      continue;
    }
    if (t === 'number' || t === 'integer') {
      if (typeof v !== 'number' || !Number.isFinite(v)) return { field: f.name, message: `${label} must be a number` };
      if (t === 'integer' && !Number.isInteger(v)) return { field: f.name, message: `${label} must be a whole number` };
      const u = f.unit && f.unit !== 'fraction' && f.unit !== 'factor' ? ` ${f.unit}` : '';
      if (s.minimum !== undefined && v < s.minimum) return { field: f.name, message: `${label} must be at least ${s.minimum}${u}` };
      if (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum) return { field: f.name, message: `${label} must be more than ${s.exclusiveMinimum}${u}` };
      if (s.maximum !== undefined && v > s.maximum) return { field: f.name, message: `${label} must be at most ${s.maximum}${u}` };
    }
    if (t === 'string' && typeof v === 'string') {
      if (Array.isArray(s.enum) && !s.enum.includes(v)) return { field: f.name, message: `${label} must be one of ${s.enum.join(', ')}` };
      if (s.maxLength !== undefined && v.length > s.maxLength) return { field: f.name, message: `${label} must be at most ${s.maxLength} characters` };
    }
    if (t === 'boolean' && typeof v !== 'boolean') return { field: f.name, message: `${label} must be yes or no` };
  }
  for (const r of activeRules(type, order)) {
    if (r.alternatives.some((a) => a.every((n) => present(order[n])))) continue;
    const first = r.alternatives[0][0];
    const names = r.alternatives.map((a) => a.map((n) => labelOf(type, n)).join(' and ')).join(' or ');
    return { field: first, message: `${names} ${r.alternatives.length > 1 ? 'is needed' : 'is required'} when ${r.when}` };
  }
  return null;
}
