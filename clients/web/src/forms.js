// Turns a JSON Schema of one order (the server's `orders.schema`, or the
// fallback in orderSchema.js) into a list of order types a form can show.
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
    oneOf: child.oneOf, anyOf: child.anyOf,
    'x-who': child['x-who'] || parent['x-who'],
    'x-stands': child['x-stands'] ?? parent['x-stands'],
    title: child.title || parent.title,
    description: child.description || parent.description,
  };
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
    .map(([name, fs]) => ({ name, schema: deref(fs, root), required: (m.required || []).includes(name) }));
  out.push({
    key: kind !== undefined ? `${op}:${kind}` : op,
    op, kind,
    title: m.title || (kind ? `${op} ${kind}` : op),
    description: m.description,
    who: m['x-who'],
    stands: m['x-stands'],
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

// Field options that come from the game, not the schema.
export function optionsFor(field, obs) {
  const s = field.schema || {};
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

// Client-side check of one order against its type: types and ranges only
// (the server checks the game). Returns null or {field, message}.
export function checkOrder(order, type) {
  if (!type) return { field: 'op', message: `unknown order '${order.op}'` };
  for (const f of type.fields) {
    const v = order[f.name];
    const s = f.schema || {};
    const t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
    if (v === undefined || v === null || v === '') {
      if (f.required) return { field: f.name, message: `${s.title || f.name} is required` };
      continue;
    }
    if (t === 'number' || t === 'integer') {
      if (typeof v !== 'number' || !Number.isFinite(v)) return { field: f.name, message: `${s.title || f.name} must be a number` };
      if (t === 'integer' && !Number.isInteger(v)) return { field: f.name, message: `${s.title || f.name} must be a whole number` };
      if (s.minimum !== undefined && v < s.minimum) return { field: f.name, message: `${s.title || f.name} must be at least ${s.minimum}` };
      if (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum) return { field: f.name, message: `${s.title || f.name} must be more than ${s.exclusiveMinimum}` };
      if (s.maximum !== undefined && v > s.maximum) return { field: f.name, message: `${s.title || f.name} must be at most ${s.maximum}` };
    }
  }
  return null;
}
