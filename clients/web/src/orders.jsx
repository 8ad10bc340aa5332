// The order list and the order form of the player view.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { optionsFor, typeOfOrder, checkOrder } from './forms.js';
import { num, pname } from './ui.jsx';

let seq = 1;
export const newItem = (order, status = 'draft', extra = {}) => ({ id: seq++, order, status, ...extra });

export function describeOrder(o) {
  const f = (k) => (o[k] === undefined || o[k] === null ? '' : o[k]);
  switch (o.op) {
    case 'build': return `Build ${f('capacity')} t/yr of ${f('stage')}${o.facility ? ` (expand ${o.facility})` : o.site ? ` at ${o.site}` : ''}`;
    case 'operate': return `Run ${f('facility')} at ${Math.round((o.utilisation ?? 0) * 100)}%`;
    case 'hire': return o.count < 0 ? `Release ${-o.count} ${f('skill')} staff` : `Hire ${f('count')} ${f('skill')} staff`;
    case 'train': return `Train ${f('count')} ${f('skill')} people`;
    case 'offer': return o.quantity ? `Offer ${f('quantity')} t ${pname(o.product)} at ≥ $${f('min_price')}/kg` : `Withdraw offer of ${pname(o.product)}`;
    case 'bid': return o.quantity ? `Bid for ${f('quantity')} t ${pname(o.product)} at ≤ $${f('max_price')}/kg` : `Withdraw bid for ${pname(o.product)}`;
    case 'policy': {
      const rest = Object.entries(o).filter(([k]) => k !== 'op' && k !== 'kind').map(([k, v]) => `${k} ${v === null ? '—' : v}`).join(', ');
      return `Policy ${String(o.kind).replace(/_/g, ' ')}: ${rest}`;
    }
    default: return JSON.stringify(o);
  }
}

const STATUS_TEXT = {
  draft: 'not sent', sent: 'sent, accepted', refused: 'refused, not part of your orders', invalid: 'not sent: check it',
};

export function OrderList({ items, onEdit, onRemove, editing }) {
  if (!items.length) return <p class="muted">No orders for this turn yet. Your standing orders (utilisation, offers, bids, policies) hold if you send nothing.</p>;
  return (
    <ol class="orders" aria-label="Your orders for this turn">
      {items.map((it) => (
        <li key={it.id} class={`order order-${it.status} ${editing === it.id ? 'editing' : ''}`} data-status={it.status}>
          <div class="order-main">
            <span class={`badge badge-${it.status}`}>{STATUS_TEXT[it.status]}</span>
            <span class="order-text">{describeOrder(it.order)}</span>
          </div>
          {it.message && (
            <p class="order-error" role="alert">
              {it.field ? <strong>{it.field}: </strong> : null}{it.message}
            </p>
          )}
          <div class="order-actions">
            <button type="button" onClick={() => onEdit(it)} aria-label={`Edit: ${describeOrder(it.order)}`}>Edit</button>
            <button type="button" onClick={() => onRemove(it)} aria-label={`Remove: ${describeOrder(it.order)}`}>Remove</button>
          </div>
        </li>
      ))}
    </ol>
  );
}

function toValue(raw, schema) {
  const t = Array.isArray(schema.type) ? schema.type.find((x) => x !== 'null') : schema.type;
  if (t === 'boolean') return !!raw;
  if (raw === '' || raw === undefined) return undefined;
  if (t === 'number' || t === 'integer') {
    const str = String(raw).trim().replace(/[, _]/g, '').replace(/^−/, '-');
    const n = str.endsWith('%') ? Number(str.slice(0, -1)) / 100 : Number(str);
    return Number.isFinite(n) ? n : raw;
  }
  return raw;
}

// A build's site matters only for a new mine.
function hidden(type, f, values) {
  return type.op === 'build' && f.name === 'site' && ((values.stage && values.stage !== 'mining') || values.facility);
}

export function OrderForm({ types, obs, item, onSave, onCancel }) {
  const [key, setKey] = useState(types[0]?.key);
  const [values, setValues] = useState({});
  const [problem, setProblem] = useState(null);
  useEffect(() => {
    if (item) {
      const t = typeOfOrder(item.order, types);
      setKey(t ? t.key : types[0]?.key);
      const v = {};
      for (const [k, val] of Object.entries(item.order)) v[k] = val === null ? '' : val;
      setValues(v);
      setProblem(item.field ? { field: item.field, message: item.message } : null);
    }
  }, [item?.id]);
  const type = useMemo(() => types.find((t) => t.key === key), [key, types]);
  if (!type) return <p class="muted">No orders available for this seat.</p>;

  function build() {
    const o = { op: type.op };
    if (type.kind !== undefined) o.kind = type.kind;
    for (const f of type.fields) {
      const raw = values[f.name] ?? (f.schema.default !== undefined ? f.schema.default : undefined);
      const v = toValue(raw, f.schema);
      if (v !== undefined) o[f.name] = v;
    }
    return o;
  }
  function submit(e) {
    e.preventDefault();
    const o = build();
    const p = checkOrder(o, type);
    setProblem(p);
    if (p) {
      document.getElementById(`f-${p.field}`)?.focus();
      return;
    }
    onSave(o);
    setValues({});
  }
  const fid = (name) => `f-${name}`;
  return (
    <form class="order-form" onSubmit={submit} aria-label={item ? 'Edit order' : 'New order'} noValidate>
      <div class="field">
        <label for="f-type">Order</label>
        <select id="f-type" value={key} onChange={(e) => { setKey(e.currentTarget.value); setProblem(null); }}>
          {types.map((t) => <option value={t.key} key={t.key}>{t.title}</option>)}
        </select>
        {type.description && <p class="hint">{type.description}</p>}
        <p class="hint">{type.stands ? 'Stands until you change it.' : 'Acts once, this turn.'}</p>
      </div>
      {type.fields.filter((f) => !hidden(type, f, values)).map((f) => {
        const s = f.schema || {};
        const t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
        const opts = optionsFor(f, obs);
        const v = values[f.name] ?? (s.default !== undefined ? s.default : '');
        const bad = problem && problem.field === f.name;
        const set = (val) => { setValues({ ...values, [f.name]: val }); if (bad) setProblem(null); };
        const range = [s.minimum ?? s.exclusiveMinimum, s.maximum].some((x) => x !== undefined)
          ? ` (${num(s.minimum ?? s.exclusiveMinimum, 2)} to ${num(s.maximum, 2)})` : '';
        const hintId = `${fid(f.name)}-hint`;
        return (
          <div class={`field ${bad ? 'field-bad' : ''}`} key={`${key}-${f.name}`}>
            {t === 'boolean' ? (
              <label class="check">
                <input id={fid(f.name)} type="checkbox" checked={!!v} onChange={(e) => set(e.currentTarget.checked)} aria-describedby={hintId} />
                {s.title || f.name}
              </label>
            ) : (
              <>
                <label for={fid(f.name)}>{s.title || f.name}{f.required ? '' : ' (optional)'}</label>
                {opts ? (
                  <select id={fid(f.name)} value={v} onChange={(e) => set(e.currentTarget.value)} aria-invalid={bad} aria-describedby={hintId}>
                    {!f.required || v === '' ? <option value="">{f.required ? 'choose…' : '—'}</option> : null}
                    {opts.map((o) => <option value={o} key={o}>{s.enum ? pname(o) : o}</option>)}
                  </select>
                ) : (
                  <input id={fid(f.name)} type="text" inputMode={(t === 'number' || t === 'integer') && !((s.minimum ?? 0) < 0) ? 'decimal' : 'text'}
                    value={v} onInput={(e) => set(e.currentTarget.value)} aria-invalid={bad} aria-describedby={hintId} autocomplete="off" />
                )}
              </>
            )}
            <p class="hint" id={hintId}>
              {bad ? <span class="error" role="alert">{problem.message}</span> : <>{s.description || ''}{range}</>}
            </p>
          </div>
        );
      })}
      {problem && !type.fields.some((f) => f.name === problem.field) ? <p class="error" role="alert">{problem.message}</p> : null}
      <div class="buttons">
        <button type="submit" class="primary">{item && item.status !== 'prefill' ? 'Save changes (not sent yet)' : 'Add to my orders (not sent yet)'}</button>
        {item ? <button type="button" onClick={onCancel}>Cancel</button> : null}
      </div>
    </form>
  );
}
