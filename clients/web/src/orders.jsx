// The order list and the order form of the player view.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { baseType, checkOrder, fieldNeed, humanize, optionsFor, typeOfOrder } from './forms.js';
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
      const rest = Object.entries(o).filter(([k]) => k !== 'op' && k !== 'kind').map(([k, v]) => `${k.replace(/_/g, ' ')} ${v === null ? 'lifted' : v}`).join(', ');
      return `Policy ${String(o.kind).replace(/_/g, ' ')}: ${rest}`;
    }
    case 'grant': return `Grant $${num(o.amount)} to ${f('firm')}`;
    case 'equity': return `Buy ${Math.round((o.stake ?? 0) * 1000) / 10}% of ${f('firm')} for $${num(o.amount)}`;
    case 'loan': return `Lend $${num(o.amount)} to ${f('firm')} at ${Math.round((o.rate ?? 0) * 1000) / 10}% over ${f('turns')} turns`;
    case 'contract_propose': return `Propose contract ${f('id')} to ${f('to')}: ${o.side === 'sell' ? 'sell' : 'buy'} ${f('quantity')} t ${pname(o.product)} a turn at $${f('price')}/kg for ${f('turns')} turns`;
    case 'contract_accept': return `Accept contract ${f('id')} from ${f('from')}`;
    case 'contract_withdraw': return `Withdraw contract ${f('id')}`;
    default: {
      // Any other op (the schema may grow): its fields, readable.
      const rest = Object.entries(o).filter(([k]) => k !== 'op').map(([k, v]) => `${k.replace(/_/g, ' ')} ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ');
      return `${String(o.op).replace(/_/g, ' ')}${rest ? `: ${rest}` : ''}`;
    }
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
              {it.field ? <strong>{humanize(it.field)}: </strong> : null}{it.message}
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

function toValue(raw, field) {
  const schema = field.schema || {};
  const t = baseType(schema);
  if (t === 'boolean') return !!raw;
  // An empty field that may be nil is sent as nil: it lifts the quota.
  if (raw === '' || raw === undefined) return field.nullable ? null : undefined;
  if (t === 'number' || t === 'integer') {
    const str = String(raw).trim().replace(/[, _]/g, '').replace(/^−/, '-');
    const n = str.endsWith('%') ? Number(str.slice(0, -1)) / 100 : Number(str);
    return Number.isFinite(n) ? n : raw;
  }
  return raw;
}

// A field's range in words, with its unit: "0 to 1,000,000,000 t";
// fractions also say how to write them (toValue reads "25%").
function rangeText(f) {
  const s = f.schema || {};
  const lo = s.minimum ?? s.exclusiveMinimum;
  if (lo === undefined && s.maximum === undefined) return '';
  const d = baseType(s) === 'integer' ? 0 : 3;
  const unit = f.unit === 'fraction' ? ' (a fraction: 0.25 or 25%)' : f.unit === 'factor' ? ' (a factor)' : f.unit ? ` ${f.unit}` : '';
  const from = s.exclusiveMinimum !== undefined && s.minimum === undefined ? `more than ${num(lo, d)}` : num(lo, d);
  return `${from} to ${num(s.maximum, d)}${unit}`;
}

// What the label says after the field's name: nothing when it is required
// now, "(optional)", "(empty lifts it)", or "(or Facility)" for one of two.
function needText(need, f) {
  if (need?.need === 'required') return '';
  if (need?.need === 'one of') return ` (or ${need.others.join(' or ')})`;
  if (f.nullable) return ' (empty lifts it)';
  return ' (optional)';
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
      const v = toValue(raw, f);
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
  // The order as it stands, so the rules across fields (a price once a
  // quantity is given) mark what they need while the player types.
  const current = build();
  return (
    <form class="order-form" onSubmit={submit} aria-label={item ? 'Edit order' : 'New order'} noValidate>
      <div class="field">
        <label for="f-type">Order</label>
        <select id="f-type" value={key} onChange={(e) => { setKey(e.currentTarget.value); setProblem(null); }}>
          {types.filter((t) => !t.group).map((t) => <option value={t.key} key={t.key}>{t.title}</option>)}
          {[...new Set(types.filter((t) => t.group).map((t) => t.group))].map((g) => (
            <optgroup label={g} key={g}>
              {types.filter((t) => t.group === g).map((t) => <option value={t.key} key={t.key}>{t.title}</option>)}
            </optgroup>
          ))}
        </select>
        {type.description && <p class="hint type-description">{type.description.charAt(0).toUpperCase() + type.description.slice(1)}.</p>}
        <p class="hint">{type.stands ? 'Stands until you change it.' : 'Acts once, this turn.'}</p>
      </div>
      {type.fields.map((f) => {
        const s = f.schema || {};
        const t = baseType(s);
        const opts = optionsFor(f, obs);
        const v = values[f.name] ?? (s.default !== undefined ? s.default : '');
        const bad = problem && problem.field === f.name;
        const set = (val) => { setValues({ ...values, [f.name]: val }); if (bad) setProblem(null); };
        const need = fieldNeed(type, f, current);
        const range = rangeText(f);
        const hintId = `${fid(f.name)}-hint`;
        return (
          <div class={`field ${bad ? 'field-bad' : ''}`} key={`${key}-${f.name}`} data-field={f.name}>
            {t === 'boolean' ? (
              <label class="check">
                <input id={fid(f.name)} type="checkbox" checked={!!v} onChange={(e) => set(e.currentTarget.checked)} aria-describedby={hintId} />
                {f.label}
              </label>
            ) : (
              <>
                <label for={fid(f.name)}>{f.label}<span class="need">{needText(need, f)}</span></label>
                {opts ? (
                  <select id={fid(f.name)} value={v} onChange={(e) => set(e.currentTarget.value)} aria-invalid={bad} aria-describedby={hintId}>
                    {!need || v === '' ? <option value="">{need ? 'choose…' : '—'}</option> : null}
                    {opts.map((o) => <option value={o} key={o}>{s.enum ? pname(o) : o}</option>)}
                  </select>
                ) : (
                  <div class="with-unit">
                    <input id={fid(f.name)} type="text" inputMode={(t === 'number' || t === 'integer') && !((s.minimum ?? 0) < 0) ? 'decimal' : 'text'}
                      value={v} onInput={(e) => set(e.currentTarget.value)} aria-invalid={bad} aria-describedby={hintId} autocomplete="off"
                      placeholder={f.nullable ? 'empty: lifted' : undefined} />
                    {f.unit && f.unit !== 'fraction' && f.unit !== 'factor' ? <span class="unit" aria-hidden="true">{f.unit}</span> : null}
                  </div>
                )}
              </>
            )}
            <p class="hint" id={hintId}>
              {bad ? <span class="error" role="alert">{problem.message}</span> : <>
                {s.description ? `${s.description.charAt(0).toUpperCase()}${s.description.slice(1)}.` : ''}
                {range ? ` ${range}.` : ''}
              </>}
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
