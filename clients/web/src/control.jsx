// The control view of a wargame (issue 13): #/control?session=S, run with the
// session's admin token that this browser holds (the dashboard's).
//
// Panels, each over its own methods of docs/protocol.md:
//   seats      session.status (live grid), state.get with a seat (what the
//              seat sees, its pending orders, ground truth)
//   injects    event.inject, event.list, event.cancel
//   review     turn.proposed, turn.proposal, turn.release
//   fork       session.fork
//   observers  observer.issue, observer.list, observer.revoke
//   channels   channels.list, chat.history, chat.send with a channel
//   negotiations contract.negotiations (who agreed with whom)
//   timeline   timeline.get
// A server without one of these methods (it answers `unknown_method`) hides
// that panel behind a one-line note, so the view works against any server.
import { useEffect, useRef, useState } from 'preact/hooks';
import { findSession, rpc } from './rpc.js';
import { describeOrder } from './orders.jsx';
import { amendment, filterTimeline, injectParams, isMissing, truthDiff, TIMELINE_KINDS } from './control.js';
import {
  ConnectionBadge, Countdown, ErrorText, absUrl, href, money, num, pct, pname, store, tonnes, useNotify,
  PRODUCT_NAMES, STAGE_NAMES,
} from './ui.jsx';

// One panel's data from the server: {data, error, missing, loading, reload}.
// `call` runs on every (re)connection and on reload().
function useServer(call, deps = []) {
  const [st, setSt] = useState({ data: null, error: null, missing: false, loading: true });
  const ref = useRef(call);
  ref.current = call;
  const reload = useRef(async () => {
    try {
      const data = await ref.current();
      setSt({ data, error: null, missing: false, loading: false });
      return data;
    } catch (e) {
      setSt((s) => ({ ...s, error: isMissing(e) ? null : e, missing: isMissing(e), loading: false }));
      return undefined;
    }
  }).current;
  useEffect(() => rpc().onOpen(() => reload()), deps);
  return { ...st, reload };
}

function Missing({ method, what }) {
  return <p class="muted missing" data-missing={method}>This server does not offer {what} (<code>{method}</code> is unknown to it); this panel is hidden.</p>;
}

function Panel({ id, title, missing, method, what, children, actions }) {
  return (
    <section class="card ctl-panel" id={`ctl-${id}`} aria-labelledby={`h-ctl-${id}`} data-panel={id}>
      <div class="panel-head"><h2 id={`h-ctl-${id}`}>{title}</h2>{!missing ? actions : null}</div>
      {missing ? <Missing method={method} what={what} /> : children}
    </section>
  );
}

const yesNo = (v) => (v === undefined || v === null ? '–' : v ? 'yes' : 'no');
const fmtTime = (ms) => (ms ? new Date(ms).toLocaleTimeString() : '–');
const item = (v) => (v && typeof v === 'object' && v.op ? describeOrder(v) : compact(v));
const compact = (v) => (v === undefined ? '–' : typeof v === 'number' ? num(v, 3) : typeof v === 'string' ? v : JSON.stringify(v));

// ---------- seats ----------

function SeatGrid({ seats, selected, onSelect, statusKnown }) {
  return (
    <div class="table-wrap">
      <table class="ctl-grid" aria-label="Seats">
        <thead><tr>
          <th scope="col">Seat</th><th scope="col">Kind</th><th scope="col">Player</th><th scope="col">Played by</th>
          <th scope="col">Connected</th><th scope="col">Submitted</th><th scope="col">Ready</th><th scope="col">Locked</th>
        </tr></thead>
        <tbody>{seats.map((s) => {
          const by = s.seatless ? 'standing orders' : s.played_by || (s.agent ? 'agent' : s.taken ? 'person' : 'nobody');
          return (
            <tr class={`${selected === s.seat ? 'selected' : ''} by-${by}`} data-seat={s.seat} data-connected={s.connected ?? ''} data-ready={s.ready ? 'yes' : 'no'}>
              <th scope="row"><button type="button" class="link" aria-pressed={selected === s.seat} onClick={() => onSelect(selected === s.seat ? null : s.seat)}>{s.title || s.seat}</button>
                <div class="muted small">{s.seat}</div></th>
              <td>{s.kind}</td>
              <td>{s.name || <span class="muted">–</span>}</td>
              <td><span class={`badge badge-${by === 'agent' ? 'agent' : by === 'person' ? 'person' : 'empty'}`}>{by === 'agent' ? `agent${s.agent ? `: ${s.agent}` : ''}` : by}</span></td>
              <td data-col="connected">{statusKnown ? (s.connected ? `yes (${s.connected})` : 'no') : '–'}</td>
              <td data-col="submitted" class={s.submitted ? 'yes' : ''}>{statusKnown ? yesNo(s.submitted) : '–'}</td>
              <td data-col="ready" class={s.ready ? 'yes' : ''}>{statusKnown ? yesNo(s.ready) : '–'}</td>
              <td>{statusKnown ? yesNo(s.locked) : '–'}</td>
            </tr>
          );
        })}</tbody>
      </table>
    </div>
  );
}

function SeatInspector({ session, admin_token, seat, title, rev }) {
  const view = useServer(() => rpc().call('state.get', { session, admin_token, seat }), [seat]);
  useEffect(() => { view.reload(); }, [rev]);
  useNotify('turn.resolved', (p) => { if (p.session === session) view.reload(); }, [session, seat]);
  if (view.missing) return <Missing method="state.get" what="control's view of a seat" />;
  const o = view.data;
  if (view.error) {
    return <div class="inspector"><ErrorText error={view.error} />
      {view.error.code === 'forbidden' ? <p class="hint">This server does not yet let the admin token read a seat's view (state.get with admin_token and seat).</p> : null}</div>;
  }
  if (!o) return <p class="muted">Loading {title}…</p>;
  const you = o.you || {};
  const pending = o.pending || null;
  const diff = o.truth ? truthDiff(o.public, o.truth) : null;
  const shown = diff ? diff.slice(0, 150) : [];
  return (
    <div class="inspector" data-testid="inspector" data-seat={seat}>
      <h3>{title} <span class="muted">({seat}, {o.kind}{o.nation && o.nation !== seat ? ` of ${o.nation}` : ''}) {o.turns !== undefined && o.turn >= o.turns ? 'after the last turn' : `at turn ${o.turn + 1}`}</span></h3>
      <div class="inspector-cols">
        <div>
          <h4>What the seat sees</h4>
          <dl class="kv">
            <dt>{o.kind === 'nation' ? 'Budget' : 'Cash'}</dt><dd>{money(you.cash)}</dd>
            <dt>Score</dt><dd>{num((o.public?.scores || []).find((s) => s.seat === seat)?.score, 3)}</dd>
            {you.headroom !== undefined ? <><dt>Headroom</dt><dd>{money(you.headroom)}</dd></> : null}
          </dl>
          {(you.facilities || []).length ? (
            <div class="table-wrap"><table aria-label={`Facilities of ${title}`}>
              <thead><tr><th scope="col">Facility</th><th scope="col">Stage</th><th scope="col">Capacity</th><th scope="col">Effective</th><th scope="col">Utilisation</th><th scope="col">Output</th></tr></thead>
              <tbody>{you.facilities.map((f) => <tr><th scope="row">{f.id}</th><td>{f.stage}</td><td>{num(f.capacity)}</td><td>{num(f.effective_capacity)}</td><td>{pct(f.utilisation)}</td><td>{tonnes(f.output)}</td></tr>)}</tbody>
            </table></div>) : null}
          <p class="small"><strong>Stocks:</strong> {Object.entries(you.inventory || {}).filter(([, v]) => v).map(([p, v]) => `${pname(p)} ${tonnes(v)}`).join(', ') || 'none'}</p>
          {(you.policies || []).length ? <p class="small"><strong>Policies:</strong> {you.policies.map(describeOrder).join('; ')}</p> : null}
          {(you.standing || []).length ? <p class="small"><strong>Standing:</strong> {you.standing.map(describeOrder).join('; ')}</p> : null}
          <p class="small"><strong>News it got:</strong> {(o.public?.events || []).map((e) => e.text).join(' · ') || 'none'}</p>
        </div>
        <div>
          <h4>Pending orders of the open turn</h4>
          {pending ? (
            <>
              <p data-testid="pending-flags">submitted: <strong>{yesNo(pending.submitted)}</strong> · ready: <strong>{yesNo(pending.ready)}</strong></p>
              {(pending.orders || []).length
                ? <ol class="pending-orders">{pending.orders.map((x) => <li>{describeOrder(x)}</li>)}</ol>
                : <p class="muted">No orders for the open turn.</p>}
            </>
          ) : <p class="muted">The server does not report pending orders (no <code>pending</code> in its answer).</p>}
          <h4>Seen versus true</h4>
          {diff === null ? <p class="muted">The server sent no ground truth (<code>truth</code>) with this view.</p>
            : diff.length === 0 ? <p data-testid="truth-same">The seat sees the ground truth: nothing is hidden from it on this map.</p>
              : (
                <div class="table-wrap truth"><table aria-label="What the seat sees versus the truth">
                  <thead><tr><th scope="col">Item</th><th scope="col">Seat sees</th><th scope="col">Truth</th></tr></thead>
                  <tbody>{shown.map((r) => <tr><th scope="row">{r.path}</th><td>{r.seen === undefined ? <span class="muted">not shown</span> : item(r.seen)}</td><td>{r.truth === undefined ? '–' : item(r.truth)}</td></tr>)}</tbody>
                </table>{diff.length > shown.length ? <p class="hint">and {diff.length - shown.length} more differences</p> : null}</div>)}
        </div>
      </div>
      <details><summary>The whole answer (JSON)</summary><pre class="json">{JSON.stringify(o, null, 1)}</pre></details>
    </div>
  );
}

// ---------- injects ----------

const INJECT_KINDS = [
  ['flood', 'Flood (a nation’s mines lose capacity)'],
  ['mine_accident', 'Mine accident (a mine loses capacity)'],
  ['conflict', 'Conflict (a nation’s mining is cut)'],
  ['plant_outage', 'Plant outage (a plant loses capacity)'],
  ['demand_surge', 'Demand surge (a product’s demand rises)'],
  ['cost_overrun', 'Cost overrun (a project is delayed and costs more)'],
  ['policy', 'Policy (set on a nation’s behalf)'],
  ['state_support', 'State support (a grant, equity, loan or price floor)'],
];

function eventTarget(e) {
  return [e.nation, e.facility, e.product && pname(e.product), e.stage].filter(Boolean).join(' · ');
}

function InjectForm({ session, admin_token, seats, nations, facilities, openTurn, onDone }) {
  const [f, setF] = useState({ kind: 'flood', nation: '', facility: '', product: '', stage: '', magnitude: '', duration: '', turn: '', note: '', text: '', policy: '' });
  const [who, setWho] = useState({}); // seat -> true; none = all seats
  const [error, setError] = useState(null);
  const [bad, setBad] = useState(null);
  const [done, setDone] = useState(null);
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  async function submit(e) {
    e.preventDefault();
    setError(null); setBad(null); setDone(null);
    const chosen = Object.keys(who).filter((s) => who[s]);
    const r0 = injectParams(f, chosen, openTurn);
    if (r0.error) { setBad(r0.field); setError({ message: r0.error }); return; }
    const p = { session, admin_token, ...r0.params };
    try {
      const r = await rpc().call('event.inject', p);
      setDone(`Inject ${r.inject} set for turn ${r.turn + 1}.`);
      setF({ ...f, text: '', note: '' });
      onDone();
    } catch (err) {
      setError(err);
      if (err.field) setBad(String(err.field).replace(/^event\./, ''));
    }
  }
  const fieldCls = (k) => `field ${bad === k ? 'field-bad' : ''}`;
  const needsNation = ['flood', 'conflict', 'demand_surge', 'policy'].includes(f.kind);
  const needsFacility = ['mine_accident', 'plant_outage', 'cost_overrun'].includes(f.kind);
  return (
    <form class="inject-form" onSubmit={submit} aria-label="New inject">
      <div class="grid3">
        <div class={fieldCls('kind')}><label for="inj-kind">Kind</label>
          <select id="inj-kind" value={f.kind} onChange={set('kind')}>{INJECT_KINDS.map(([k, t]) => <option value={k}>{t}</option>)}</select></div>
        <div class={fieldCls('nation')}><label for="inj-nation">Nation{needsNation ? '' : <span class="need"> (optional)</span>}</label>
          <input id="inj-nation" list="inj-nations" value={f.nation} onInput={set('nation')} autocomplete="off" spellcheck={false} />
          <datalist id="inj-nations">{nations.map((n) => <option value={n} />)}</datalist></div>
        <div class={fieldCls('facility')}><label for="inj-facility">Facility{needsFacility ? '' : <span class="need"> (optional)</span>}</label>
          <input id="inj-facility" list="inj-facilities" value={f.facility} onInput={set('facility')} autocomplete="off" />
          <datalist id="inj-facilities">{facilities.map((x) => <option value={x.id}>{`${x.id} (${x.stage}, ${x.nation})`}</option>)}</datalist></div>
        <div class={fieldCls('product')}><label for="inj-product">Product <span class="need">(optional)</span></label>
          <select id="inj-product" value={f.product} onChange={set('product')}><option value="">–</option>{Object.keys(PRODUCT_NAMES).map((p) => <option value={p}>{pname(p)}</option>)}</select></div>
        <div class={fieldCls('stage')}><label for="inj-stage">Stage <span class="need">(optional)</span></label>
          <select id="inj-stage" value={f.stage} onChange={set('stage')}><option value="">–</option>{Object.keys(STAGE_NAMES).map((s) => <option value={s}>{STAGE_NAMES[s]}</option>)}</select></div>
        <div class={fieldCls('magnitude')}><label for="inj-magnitude">Magnitude <span class="need">(a share)</span></label>
          <input id="inj-magnitude" inputMode="decimal" value={f.magnitude} onInput={set('magnitude')} placeholder="0.3 = 30%" /></div>
        <div class={fieldCls('duration')}><label for="inj-duration">Duration <span class="need">(turns)</span></label>
          <input id="inj-duration" inputMode="numeric" value={f.duration} onInput={set('duration')} /></div>
        <div class={fieldCls('turn')}><label for="inj-turn">Turn</label>
          <input id="inj-turn" inputMode="numeric" value={f.turn} onInput={set('turn')} placeholder={`${openTurn + 1} (the open turn)`} aria-describedby="inj-turn-hint" />
          <p class="hint" id="inj-turn-hint">A later turn prepares it: hidden from every seat until it fires.</p></div>
      </div>
      {f.kind === 'policy' || f.kind === 'state_support' ? (
        <div class={fieldCls('policy')}><label for="inj-policy">{f.kind === 'policy' ? 'Policy' : 'Support'} (an order map, JSON)</label>
          <textarea id="inj-policy" rows={2} value={f.policy} onInput={set('policy')} placeholder={'{"op": "policy", "kind": "export_licence", "product": "dytb_oxide", "approval": 0.3}'} /></div>) : null}
      <div class={fieldCls('text')}><label for="inj-text">Headline</label>
        <input id="inj-text" value={f.text} onInput={set('text')} maxLength={300} placeholder="what the seats read in their news" /></div>
      <fieldset class={`seat-picks ${bad === 'seats' ? 'field-bad' : ''}`}><legend>Seats who see it in their news <span class="need">(none ticked: all)</span></legend>
        {seats.map((s) => <label class="check"><input type="checkbox" checked={!!who[s.seat]} onChange={(e) => setWho({ ...who, [s.seat]: e.currentTarget.checked })} />{s.seat}</label>)}
      </fieldset>
      <div class={fieldCls('note')}><label for="inj-note">Note <span class="need">(control only)</span></label>
        <input id="inj-note" value={f.note} onInput={set('note')} maxLength={1000} /></div>
      <ErrorText error={error} />
      {done ? <p class="ok" role="status">{done}</p> : null}
      <button type="submit" class="primary">Inject</button>
    </form>
  );
}

function Injects({ session, admin_token, status, seats, nations, facilities, rev }) {
  const list = useServer(() => rpc().call('event.list', { session, admin_token }), [session]);
  const [error, setError] = useState(null);
  useEffect(() => { list.reload(); }, [rev]);
  async function cancel(which) {
    if (!window.confirm(which.inject !== undefined ? `Cancel inject ${which.inject}?` : `Cancel scripted event ${which.scripted} of the map?`)) return;
    setError(null);
    try { await rpc().call('event.cancel', { session, admin_token, ...which }); await list.reload(); } catch (e) { setError(e); }
  }
  const injects = list.data?.injects || [];
  const scripted = list.data?.scripted || [];
  const runs = list.data?.scripted_events ?? status?.scripted_events;
  return (
    <Panel id="injects" title="Injects" missing={list.missing} method="event.inject" what="injects"
      actions={<span class="switch-wrap"><span role="switch" aria-checked={runs === undefined ? 'mixed' : String(!!runs)} aria-disabled="true" aria-label="Scripted events run"
        class={`switch ${runs ? 'on' : 'off'}`} data-testid="scripted-switch" title="Set when the session is created (scripted_events)" />
        <span class="small">scripted events {runs === undefined ? 'unknown' : runs ? 'run' : 'off'}</span></span>}>
      <InjectForm session={session} admin_token={admin_token} seats={seats} nations={nations} facilities={facilities}
        openTurn={status?.turn ?? 0} onDone={() => list.reload()} />
      <ErrorText error={error || list.error} />
      <h3>Control’s injects</h3>
      {injects.length ? (
        <div class="table-wrap"><table class="inject-list" aria-label="Injects">
          <thead><tr><th scope="col">#</th><th scope="col">Turn</th><th scope="col">Kind</th><th scope="col">Target</th><th scope="col">Magnitude</th><th scope="col">Headline</th><th scope="col">Seats</th><th scope="col">Note</th><th scope="col">Status</th><th scope="col"></th></tr></thead>
          <tbody>{injects.map((i) => (
            <tr data-inject={i.inject} data-status={i.status}>
              <th scope="row">{i.inject}</th><td>{i.turn + 1}</td><td>{i.event?.kind}</td><td>{eventTarget(i.event || {})}</td>
              <td>{i.event?.magnitude !== undefined ? pct(i.event.magnitude) : '–'}{i.event?.duration ? ` · ${i.event.duration} turns` : ''}</td>
              <td>{i.event?.text || ''}{i.sources ? <div class="small muted">sources: {i.sources}</div> : null}</td><td>{i.seats?.length ? i.seats.join(', ') : 'all'}</td><td>{i.note || ''}</td>
              <td><span class={`badge badge-st-${i.status}`}>{i.status}</span></td>
              <td>{i.status === 'pending' ? <button type="button" class="small-btn danger" onClick={() => cancel({ inject: i.inject })}>Cancel</button> : null}</td>
            </tr>))}</tbody>
        </table></div>) : <p class="muted">No injects yet.</p>}
      <h3>The map’s scripted events</h3>
      {scripted.length ? (
        <div class="table-wrap"><table aria-label="Scripted events">
          <thead><tr><th scope="col">#</th><th scope="col">Turn</th><th scope="col">Kind</th><th scope="col">Target</th><th scope="col">Headline</th><th scope="col">Status</th><th scope="col"></th></tr></thead>
          <tbody>{scripted.map((s) => (
            <tr data-scripted={s.index} data-status={s.status}>
              <th scope="row">{s.index}</th><td>{s.turn + 1}</td><td>{s.event?.kind}</td><td>{eventTarget(s.event || {})}</td><td>{s.event?.text || ''}</td>
              <td><span class={`badge badge-st-${s.status}`}>{s.status}</span></td>
              <td>{s.status === 'pending' ? <button type="button" class="small-btn danger" onClick={() => cancel({ scripted: s.index })}>Cancel</button> : null}</td>
            </tr>))}</tbody>
        </table></div>) : <p class="muted">{runs === false ? 'This session runs without the map’s scripted events.' : 'The map has no scripted events.'}</p>}
    </Panel>
  );
}

// ---------- review ----------

const AMEND_KINDS = {
  cash: 'Cash (add or take money)',
  production: 'Production (cap a facility’s output)',
  delivery: 'Delivery (cut a contract’s delivery)',
  refuse_order: 'Refuse an order',
};
const kgText = (kg) => tonnes(kg / 1000);

function Review({ session, admin_token, status, seats, rev, onReleased }) {
  const prop = useServer(() => rpc().call('turn.proposal', { session, admin_token }), [session]);
  const [amend, setAmend] = useState([]);
  const [a, setA] = useState({ kind: 'cash', seat: '', amount: '', facility: '', contract: '', tonnes: '', order: '', reason: '' });
  const [bad, setBad] = useState(null);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  useEffect(() => { prop.reload(); }, [rev]);
  useNotify('turn.proposed', (p) => { if (p.session === session) { prop.reload(); setDone(null); } }, [session]);
  const data = prop.data;
  const outcome = data?.outcome || (data && data.seats ? data : null);
  const turn = data?.turn ?? outcome?.turn;
  const seatOut = (outcome?.seats || []).find((x) => x.seat === a.seat) || {};
  const set = (k) => (e) => setA({ ...a, [k]: e.currentTarget.value });
  function add(e) {
    e.preventDefault();
    setError(null); setBad(null);
    const r = amendment(a);
    if (r.error) { setBad(r.field); setError({ message: r.error }); return; }
    setAmend([...amend, r.amendment]);
    setA({ ...a, amount: '', tonnes: '', order: '', reason: '' });
  }
  async function release() {
    if (!window.confirm(`Release turn ${turn + 1} to the players${amend.length ? ` with ${amend.length} amendment(s)` : ' as the model resolved it'}?`)) return;
    setError(null);
    try {
      const r = await rpc().call('turn.release', { session, admin_token, ...(amend.length ? { amendments: amend } : {}) });
      setDone(`Turn ${r.turn + 1} released with ${r.amendments} amendment(s).`);
      setAmend([]);
      await prop.reload();
      onReleased();
    } catch (e) { setError(e); }
  }
  const describeAmend = (x) => {
    if (x.kind === 'cash') return `${x.amount_cents >= 0 ? '+' : '−'}$${num(Math.abs(x.amount_cents) / 100, 2)}`;
    if (x.kind === 'production') return `${x.facility} makes at most ${kgText(x.kg)}`;
    if (x.kind === 'delivery') return `contract ${x.contract} delivers only ${kgText(x.kg)}`;
    if (x.kind === 'refuse_order') { const o = (outcome?.seats || []).find((y) => y.seat === x.seat)?.orders?.[x.order]; return `refuse order ${x.order + 1}${o ? ` (${describeOrder(o)})` : ''}`; }
    return '';
  };
  const fieldCls = (k) => `field ${bad === k ? 'field-bad' : ''}`;
  const reviewOn = status?.review;
  return (
    <Panel id="review" title="Review before release" missing={prop.missing} method="turn.proposal" what="review of resolved turns">
      {reviewOn === false && !outcome ? <p class="muted">This session releases every turn at once (it was created without “review each turn”).</p> : null}
      {done ? <p class="ok" role="status" data-testid="released">{done}</p> : null}
      {!outcome && reviewOn !== false ? <p class="muted" data-testid="no-proposal">No turn awaits release{status?.status === 'running' ? ': the open turn has not resolved yet' : ''}.</p> : null}
      {outcome ? (
        <div data-testid="proposal" data-turn={turn}>
          <p class="banner warn">Turn {turn + 1} is resolved and held: the players see nothing until you release it.</p>
          <div class="table-wrap"><table aria-label="Proposed outcome per seat">
            <thead><tr><th scope="col">Seat</th><th scope="col">Cash</th><th scope="col">Change</th><th scope="col">Production</th><th scope="col">Deliveries</th><th scope="col">Refused late</th></tr></thead>
            <tbody>{(outcome.seats || []).map((s) => (
              <tr data-seat={s.seat}><th scope="row">{s.seat}</th><td>{money(s.cash)}</td><td>{s.cash_delta > 0 ? '+' : ''}{money(s.cash_delta)}</td>
                <td>{Array.isArray(s.production) ? s.production.map((f) => `${f.facility} ${kgText(f.kg)}`).join(', ') : compact(s.production)}</td>
                <td>{(s.deliveries || []).map((d) => `#${d.contract} → ${d.buyer} ${kgText(d.kg)} ${pname(d.product)}`).join(', ')}</td>
                <td>{(s.refused || []).map((r) => (typeof r === 'string' ? r : r.message || compact(r))).join('; ')}</td></tr>))}</tbody>
          </table></div>
          {outcome.prices ? <p class="small"><strong>World prices:</strong> {Object.entries(outcome.prices).map(([p, v]) => `${pname(p)} $${num(v, 2)}/kg`).join(' · ')}</p> : null}
          {(outcome.news || outcome.events || []).length ? <p class="small"><strong>News:</strong> {(outcome.news || outcome.events).map((e) => e.text || compact(e)).join(' · ')}</p> : null}
          <h3>Amendments</h3>
          {amend.length ? <ol class="amendments">{amend.map((x, i) => (
            <li>{x.seat}: {describeAmend(x)} (reason: {x.reason})
              {' '}<button type="button" class="link" onClick={() => setAmend(amend.filter((_, j) => j !== i))}>remove</button></li>))}</ol>
            : <p class="muted">None: the turn goes out as the model resolved it.</p>}
          <form class="amend-form" onSubmit={add} aria-label="Add an amendment">
            <div class="grid3">
              <div class={fieldCls('kind')}><label for="am-kind">Kind</label>
                <select id="am-kind" value={a.kind} onChange={set('kind')}>{Object.entries(AMEND_KINDS).map(([k, v]) => <option value={k}>{v}</option>)}</select></div>
              <div class={fieldCls('seat')}><label for="am-seat">Seat</label>
                <select id="am-seat" value={a.seat} onChange={set('seat')}><option value="">–</option>{seats.map((s) => <option value={s.seat}>{s.seat}</option>)}</select></div>
              {a.kind === 'cash' ? (
                <div class={fieldCls('amount')}><label for="am-amount">Amount (USD, − to take)</label>
                  <input id="am-amount" inputMode="decimal" value={a.amount} onInput={set('amount')} placeholder="e.g. 5,000,000 or −250000" /></div>) : null}
              {a.kind === 'production' ? (
                <div class={fieldCls('facility')}><label for="am-facility">Facility</label>
                  <input id="am-facility" list="am-facilities" value={a.facility} onInput={set('facility')} autocomplete="off" />
                  <datalist id="am-facilities">{(seatOut.production || []).map((f) => <option value={f.facility}>{`${f.facility}: ${kgText(f.kg)} this turn`}</option>)}</datalist></div>) : null}
              {a.kind === 'delivery' ? (
                <div class={fieldCls('contract')}><label for="am-contract">Contract</label>
                  <select id="am-contract" value={a.contract} onChange={set('contract')}><option value="">–</option>
                    {(seatOut.deliveries || []).map((d) => <option value={d.contract}>{`#${d.contract} to ${d.buyer}: ${kgText(d.kg)} ${pname(d.product)}`}</option>)}</select></div>) : null}
              {a.kind === 'production' || a.kind === 'delivery' ? (
                <div class={fieldCls('tonnes')}><label for="am-tonnes">{a.kind === 'production' ? 'At most (t this turn)' : 'Delivered only (t)'}</label>
                  <input id="am-tonnes" inputMode="decimal" value={a.tonnes} onInput={set('tonnes')} /></div>) : null}
              {a.kind === 'refuse_order' ? (
                <div class={fieldCls('order')}><label for="am-order">Order</label>
                  <select id="am-order" value={a.order} onChange={set('order')}><option value="">–</option>
                    {(seatOut.orders || []).map((o, i) => <option value={String(i)}>{`${i + 1}. ${describeOrder(o)}`}</option>)}</select></div>) : null}
            </div>
            <div class={fieldCls('reason')}><label for="am-reason">Reason</label>
              <input id="am-reason" value={a.reason} onInput={set('reason')} maxLength={511} /></div>
            <button type="submit">Add amendment</button>
          </form>
          <ErrorText error={error || prop.error} />
          <div class="buttons release"><button type="button" class="primary" onClick={release}>Release turn {turn + 1}</button>
            <span class="hint">{amend.length ? `with ${amend.length} amendment(s), stored with their reasons` : 'as the model resolved it'}</span></div>
        </div>
      ) : <ErrorText error={error || prop.error} />}
    </Panel>
  );
}

// ---------- fork ----------

function Fork({ session, admin_token, status }) {
  const open = status?.turn ?? 0;
  const [turn, setTurn] = useState('');
  const [res, setRes] = useState(null);
  const [error, setError] = useState(null);
  const [missing, setMissing] = useState(false);
  const t = turn === '' ? open : Number(turn) - 1;
  // Whether the server forks at all, asked without forking: a request
  // without admin_token is refused by a server that knows the method
  // (unauthorized) and by name by one that does not (unknown_method).
  useEffect(() => rpc().onOpen(async (r) => {
    try { await r.call('session.fork', { session }); } catch (e) { setMissing(isMissing(e)); }
  }), [session]);
  async function fork() {
    setError(null); setRes(null);
    if (!Number.isInteger(t) || t < 0 || t > open) { setError({ message: `Fork at a turn from 1 to ${open + 1} (the open one).` }); return; }
    try {
      const r = await rpc().call('session.fork', { session, admin_token, turn: t });
      setRes(r);
      const base = store.get(`admin.${session}`) || {};
      store.set(`admin.${r.session}`, { session: r.session, admin_token: r.admin_token, seats: r.seats, name: `${base.name || session} (fork at turn ${t + 1})`, map: base.map || '', turn_seconds: base.turn_seconds || 0, created: Date.now(), forked_from: r.forked_from });
      store.set('admin.sessions', [r.session, ...store.get('admin.sessions', []).filter((s) => s !== r.session)]);
    } catch (e) { if (isMissing(e)) setMissing(true); else setError(e); }
  }
  return (
    <Panel id="fork" title="Fork (what if?)" missing={missing} method="session.fork" what="forks">
      <p class="hint">A new session whose turns before the fork equal this one’s, paused at that turn, with its own admin token and join codes.</p>
      <div class="fork-row">
        <div class="field"><label for="fork-turn">Turn</label>
          <input id="fork-turn" inputMode="numeric" value={turn} onInput={(e) => setTurn(e.currentTarget.value)} placeholder={String(open + 1)} /></div>
        <button type="button" onClick={fork}>Fork at turn {Number.isInteger(t) ? t + 1 : '?'}</button>
      </div>
      <ErrorText error={error} />
      {res ? (
        <div class="fork-result" data-testid="fork-result" role="status">
          <p>New session <strong data-testid="fork-session">{res.session}</strong>{res.forked_from ? ` (from ${res.forked_from.session} at turn ${res.forked_from.turn + 1})` : ''}.
            {' '}<a href={href('/control', { session: res.session })}>Its control view</a> · <a href={href('/admin', { session: res.session })}>its dashboard</a></p>
          <p>Admin token: <code data-testid="fork-admin-token">{res.admin_token}</code> <span class="hint">(this browser keeps it)</span></p>
          <div class="table-wrap"><table aria-label="Join codes of the fork">
            <thead><tr><th scope="col">Seat</th><th scope="col">Title</th><th scope="col">Join code</th></tr></thead>
            <tbody>{(res.seats || []).map((s) => <tr><th scope="row">{s.seat}</th><td>{s.title}</td><td class="code">{s.seatless ? <span class="muted">standing orders (no code)</span> : s.join_code}</td></tr>)}</tbody>
          </table></div>
        </div>) : null}
    </Panel>
  );
}

// ---------- observers ----------

function Observers({ session, admin_token, seats }) {
  const list = useServer(() => rpc().call('observer.list', { session, admin_token }), [session]);
  const [name, setName] = useState('');
  const [who, setWho] = useState({});
  const [issued, setIssued] = useState(null);
  const [error, setError] = useState(null);
  async function issue(e) {
    e.preventDefault();
    setError(null); setIssued(null);
    const picked = Object.keys(who).filter((k) => who[k]);
    try {
      const r = await rpc().call('observer.issue', { session, admin_token, ...(name.trim() ? { name: name.trim() } : {}), ...(picked.length ? { seats: picked } : {}) });
      setIssued({ ...r, name: name.trim(), seats: picked });
      setName(''); setWho({});
      list.reload();
    } catch (err) { setError(err); }
  }
  async function revoke(o) {
    if (!window.confirm(`Revoke observer ${o.name || o.observer}? Its token stops working at once.`)) return;
    setError(null);
    try { await rpc().call('observer.revoke', { session, admin_token, observer: o.observer }); list.reload(); } catch (err) { setError(err); }
  }
  const rows = Array.isArray(list.data) ? list.data : list.data?.observers || [];
  return (
    <Panel id="observers" title="Observers (read-only)" missing={list.missing} method="observer.list" what="observer tokens">
      <p class="hint">An observer token reads the public view, the history and the press channel, and the seats you tick; it can never act.</p>
      <form onSubmit={issue} aria-label="Issue an observer token">
        <div class="field"><label for="obs-name">Name <span class="need">(optional)</span></label>
          <input id="obs-name" value={name} onInput={(e) => setName(e.currentTarget.value)} maxLength={95} placeholder="e.g. umpire, analyst" /></div>
        <fieldset class="seat-picks"><legend>Seats it may view <span class="need">(none: public only)</span></legend>
          {seats.map((s) => <label class="check"><input type="checkbox" checked={!!who[s.seat]} onChange={(e) => setWho({ ...who, [s.seat]: e.currentTarget.checked })} />{s.seat}</label>)}
        </fieldset>
        <button type="submit">Issue observer token</button>
      </form>
      {issued ? <p class="fork-result" role="status" data-testid="observer-token">Observer {issued.observer}{issued.name ? ` (${issued.name})` : ''}: token <code>{issued.token}</code> <span class="hint">(shown once: hand it over now)</span></p> : null}
      <ErrorText error={error || list.error} />
      {rows.length ? (
        <table aria-label="Observers">
          <thead><tr><th scope="col">#</th><th scope="col">Name</th><th scope="col">Seats</th><th scope="col"></th></tr></thead>
          <tbody>{rows.map((o) => <tr data-observer={o.observer}><th scope="row">{o.observer}</th><td>{o.name || ''}</td><td>{o.seats?.length ? o.seats.join(', ') : 'public only'}</td>
            <td><button type="button" class="small-btn danger" onClick={() => revoke(o)}>Revoke</button></td></tr>)}</tbody>
        </table>) : <p class="muted">No observers.</p>}
    </Panel>
  );
}

// ---------- channels ----------

function Channels({ session, admin_token, seats }) {
  const chans = useServer(() => rpc().call('channels.list', { session, admin_token }), [session]);
  const [channel, setChannel] = useState('press');
  const [msgs, setMsgs] = useState([]);
  const [histMissing, setHistMissing] = useState(false);
  const [post, setPost] = useState('press');
  const [text, setText] = useState('');
  const [error, setError] = useState(null);
  async function load(ch) {
    try {
      // Oldest first, a page at a time after the last id seen (at most
      // --chat-history-max a page); the newest 500 are kept.
      let all = [];
      for (let i = 0, after = 0; i < 50; i++) {
        const r = await rpc().call('chat.history', { session, admin_token, channel: ch, ...(after ? { after } : {}) });
        const page = Array.isArray(r) ? r : r?.messages || [];
        all = [...all, ...page].slice(-500);
        if (!page.length || !Array.isArray(r) || page[page.length - 1].id === undefined) break;
        after = page[page.length - 1].id;
      }
      setMsgs(all);
    } catch (e) { if (isMissing(e)) setHistMissing(true); else setError(e); }
  }
  useEffect(() => { if (!chans.missing) load(channel); }, [channel, chans.data]);
  useNotify('chat.message', (p) => {
    if (p.session !== session || (p.channel || 'press') !== channel) return;
    setMsgs((m) => (p.id !== undefined && m.some((x) => x.id === p.id) ? m : [...m, { ...p, created_ms: p.created_ms || Date.now() }]));
  }, [session, channel]);
  useNotify('channel.opened', (p) => { if (p.session === session) chans.reload(); }, [session]);
  async function send(e) {
    e.preventDefault();
    if (!text.trim()) return;
    setError(null);
    try { await rpc().call('chat.send', { session, admin_token, channel: post, text: text.trim() }); setText(''); if (post !== channel) setChannel(post); } catch (err) { setError(err); }
  }
  const list = chans.data || [];
  const known = new Set(list.map((c) => c.channel));
  const targets = ['press', ...seats.map((s) => `control:${s.seat}`)];
  for (const c of list) if (!targets.includes(c.channel)) known.add(c.channel);
  return (
    <Panel id="channels" title="Channels" missing={chans.missing} method="channels.list" what="channels">
      <div class="channels">
        <ul class="channel-list" aria-label="Channels">{list.map((c) => (
          <li><button type="button" class={`link ${c.channel === channel ? 'current' : ''}`} aria-pressed={c.channel === channel} data-channel={c.channel} onClick={() => setChannel(c.channel)}>
            {c.title || c.channel}</button> <span class="muted small">{c.kind}{c.members?.length > 3 ? ` (${c.members.length})` : c.members?.length && !['team', 'control'].includes(c.kind) ? `: ${c.members.join(', ')}` : ''}</span></li>))}</ul>
        <div class="channel-view">
          <h3>{channel}</h3>
          {histMissing ? <Missing method="chat.history" what="chat history" /> : (
            <ol class="messages" aria-live="polite" aria-label={`Messages of ${channel}`} data-channel={channel}>
              {msgs.length ? msgs.map((m) => <li class={`msg ${m.from === 'admin' ? 'from-admin' : ''}`}><span class="muted small">turn {(m.turn ?? 0) + 1} · {fmtTime(m.created_ms)}</span> <span class="from">{m.from === 'admin' ? 'Control' : m.from}</span> {m.text}</li>)
                : <li class="muted">No messages.</li>}
            </ol>)}
          <form class="chat-form" onSubmit={send}>
            <div class="field"><label for="ch-post">Post to</label>
              <select id="ch-post" value={post} onChange={(e) => setPost(e.currentTarget.value)}>{targets.map((t) => <option value={t}>{t}</option>)}</select></div>
            <div class="field grow"><label for="ch-text">Message</label>
              <input id="ch-text" value={text} onInput={(e) => setText(e.currentTarget.value)} maxLength={2000} autocomplete="off" /></div>
            <button type="submit">Post</button>
          </form>
          <ErrorText error={error || chans.error} />
        </div>
      </div>
    </Panel>
  );
}

// ---------- negotiations ----------

function termsText(t) {
  if (!t || typeof t !== 'object') return compact(t);
  const q = t.quantity !== undefined ? `${num(t.quantity)} t/turn` : '';
  const price = t.index ? `${num(t.share ?? 1, 2)} x ${pname(t.index)} price` : t.price !== undefined ? `$${num(t.price, 2)}/kg` : '';
  return [t.side === 'buy' ? 'buys' : 'sells', t.product && pname(t.product), q, price && `at ${price}`, t.turns && `for ${t.turns} turns`, t.penalty ? `penalty $${num(t.penalty, 2)}/kg` : '']
    .filter(Boolean).join(' ');
}

function Negotiations({ session, admin_token, rev }) {
  const neg = useServer(() => rpc().call('contract.negotiations', { session, admin_token }), [session]);
  useEffect(() => { neg.reload(); }, [rev]);
  useNotify('contract.updated', (p) => { if (p.session === session) neg.reload(); }, [session]);
  const rows = Array.isArray(neg.data) ? neg.data : neg.data?.negotiations || [];
  return (
    <Panel id="negotiations" title="Negotiations" missing={neg.missing} method="contract.negotiations" what="negotiated contracts">
      {rows.length ? (
        <div class="table-wrap"><table aria-label="Negotiations">
          <thead><tr><th scope="col">#</th><th scope="col">From</th><th scope="col">To</th><th scope="col">Terms (the proposer…)</th><th scope="col">Status</th><th scope="col">Steps</th></tr></thead>
          <tbody>{rows.map((n) => (
            <tr data-negotiation={n.negotiation} data-status={n.status}><th scope="row">{n.negotiation}</th><td>{n.from}</td><td>{n.to}</td>
              <td>{termsText(n.terms)}</td><td><span class={`badge badge-st-${n.status === 'accepted' ? 'fired' : n.status === 'withdrawn' ? 'cancelled' : 'pending'}`}>{n.status}</span>{n.status === 'accepted' && n.turn != null ? ` (turn ${n.turn + 1})` : ''}</td>
              <td class="small">{(n.history || []).map((h) => `${h.seat} ${h.action} (turn ${h.turn + 1})`).join(' → ')}</td></tr>))}</tbody>
        </table></div>) : <p class="muted">No negotiation yet.</p>}
      <ErrorText error={neg.error} />
    </Panel>
  );
}

// ---------- timeline ----------

// The timeline; `atTurn` (0-based, from the debrief's slider) offers to
// show that turn only.
export function Timeline({ session, admin_token, seats, rev, atTurn, quiet }) {
  // Page by page (`offset`; a page holds at most the server's --timeline-max).
  const tl = useServer(async () => {
    const all = [];
    for (let i = 0; i < 50; i++) {
      const page = await rpc().call('timeline.get', { session, admin_token, ...(all.length ? { offset: all.length } : {}) });
      const rows = Array.isArray(page) ? page : page?.events || [];
      all.push(...rows);
      if (!rows.length || !Array.isArray(page)) break;
    }
    return all;
  }, [session]);
  const [flt, setFlt] = useState({ kind: '', seat: '', from: '', to: '', q: '' });
  useEffect(() => { tl.reload(); }, [rev]);
  const rows = Array.isArray(tl.data) ? tl.data : tl.data?.events || [];
  const [onlyAt, setOnlyAt] = useState(true);
  const follow = atTurn !== undefined && atTurn !== null && onlyAt;
  const shown = filterTimeline(rows, follow ? { ...flt, from: String(atTurn + 1), to: String(atTurn + 1) } : flt);
  const set = (k) => (e) => setFlt({ ...flt, [k]: e.currentTarget.value });
  const kinds = [...new Set([...TIMELINE_KINDS, ...rows.map((r) => r.kind)])];
  if (quiet && tl.missing) return null; // the debrief: no note, no panel
  return (
    <Panel id="timeline" title="Timeline" missing={tl.missing} method="timeline.get" what="the timeline"
      actions={<button type="button" class="small-btn" onClick={() => tl.reload()}>Refresh</button>}>
      <div class="filters" role="group" aria-label="Filter the timeline">
        <div class="field"><label for="tl-kind">Kind</label><select id="tl-kind" value={flt.kind} onChange={set('kind')}><option value="">all</option>{kinds.map((k) => <option value={k}>{k}</option>)}</select></div>
        <div class="field"><label for="tl-seat">Seat</label><select id="tl-seat" value={flt.seat} onChange={set('seat')}><option value="">all</option>{seats.map((s) => <option value={s.seat}>{s.seat}</option>)}</select></div>
        {atTurn !== undefined && atTurn !== null ? <label class="check"><input type="checkbox" checked={onlyAt} onChange={(e) => setOnlyAt(e.currentTarget.checked)} /> Only turn {atTurn + 1} (the slider’s)</label> : null}
        {!follow ? <>
          <div class="field"><label for="tl-from">From turn</label><input id="tl-from" inputMode="numeric" value={flt.from} onInput={set('from')} /></div>
          <div class="field"><label for="tl-to">To turn</label><input id="tl-to" inputMode="numeric" value={flt.to} onInput={set('to')} /></div></> : null}
        <div class="field grow"><label for="tl-q">Text</label><input id="tl-q" value={flt.q} onInput={set('q')} type="search" /></div>
      </div>
      <p class="small" role="status" data-testid="timeline-count">{shown.length} of {rows.length} entries</p>
      <ol class="timeline" aria-label="Timeline">
        {shown.map((r) => (
          <li class={`tl tl-${r.kind}`} data-kind={r.kind}>
            <span class="tl-when">{fmtTime(r.t_ms)}</span> <span class="tl-turn">turn {r.turn !== undefined && r.turn !== null ? r.turn + 1 : '–'}</span>
            {' '}<span class={`badge tl-kind`}>{r.kind}</span>{r.seat ? <strong> {r.seat}</strong> : null} {r.text}
            {r.data && typeof r.data === 'object' && Object.keys(r.data).length ? <details><summary>details</summary><pre class="json">{JSON.stringify(r.data, null, 1)}</pre></details> : null}
          </li>))}
      </ol>
      <ErrorText error={tl.error} />
    </Panel>
  );
}

// ---------- the page ----------

export function Control({ params }) {
  const session = params.session;
  const info = session ? store.get(`admin.${session}`) : null;
  const admin_token = info?.admin_token;
  const [status, setStatus] = useState(null);
  const [statusMissing, setStatusMissing] = useState(false);
  const [listing, setListing] = useState(null);
  const [error, setError] = useState(null);
  const [selected, setSelected] = useState(null);
  const [rev, setRev] = useState(0);
  const [clock, setClock] = useState({ deadlineAt: null, frozenMs: null });
  const [nations, setNations] = useState([]);
  const [facilities, setFacilities] = useState([]);
  const bump = () => setRev((n) => n + 1);

  async function poll() {
    if (!statusMissing) {
      try {
        const s = await rpc().call('session.status', { session, admin_token });
        setStatus(s);
        setClock({ deadlineAt: s.status === 'running' && s.remaining_ms != null ? Date.now() + s.remaining_ms : null, frozenMs: s.status === 'paused' ? s.remaining_ms ?? null : null });
        setError(null);
        return;
      } catch (e) {
        if (isMissing(e)) setStatusMissing(true); else { setError(e); return; }
      }
    }
    try { setListing(await findSession((m, p) => rpc().call(m, p), session)); } catch (e) { setError(e); }
  }
  useEffect(() => {
    if (!admin_token) return undefined;
    const off = rpc().onOpen(async (r) => {
      try { await r.call('session.watch', { session, admin_token }); } catch (e) { setError(e); }
      await poll();
      try {
        const h = await r.call('history.get', { session, admin_token, from: 0 });
        const last = h[h.length - 1];
        if (last) setNations(Object.keys(last.production?.mining || {}));
      } catch { /* nations then come from the seats */ }
    });
    const t = setInterval(poll, 3000);
    return () => { off(); clearInterval(t); };
  }, [session, statusMissing]);
  const refresh = () => { poll(); bump(); };
  for (const n of ['session.started', 'session.paused', 'session.resumed', 'session.finished', 'turn.resolved', 'turn.proposed', 'turn.released']) {
    useNotify(n, (p) => { if (p.session === session) refresh(); }, [session, statusMissing]);
  }

  const seats = status?.seats || (listing?.seats || info?.seats || []).map((s) => ({ ...s, played_by: s.agent ? 'agent' : s.taken ? 'person' : 'nobody' }));
  const nationList = nations.length ? nations : seats.filter((s) => s.kind === 'nation').map((s) => s.seat);

  // Facilities for the inject form's list: every firm's, as control sees them.
  useEffect(() => {
    if (!admin_token || !seats.length || facilities.length) return;
    (async () => {
      const all = [];
      for (const s of seats.filter((x) => x.kind === 'firm')) {
        try {
          const o = await rpc().call('state.get', { session, admin_token, seat: s.seat });
          all.push(...(o.you?.facilities || []));
          // Every nation of the map, seated or not.
          const ns = Object.keys((o.truth || o.public)?.production?.mining || {});
          if (ns.length) setNations((cur) => (cur.length ? cur : ns));
        } catch { return; }
      }
      setFacilities(all);
    })();
  }, [seats.length]);

  if (!session) return <main class="narrow"><h1>Control</h1><p>Open this page with <code>#/control?session=…</code>, from the dashboard of a session.</p></main>;
  if (!admin_token) {
    return <main class="narrow"><h1>Control</h1><p class="error">This browser does not hold the admin token of session {session}.</p>
      <p>Open it on the facilitator page (“Run a session created elsewhere”), then come back.</p><a href={href('/admin')}>Facilitator page</a></main>;
  }
  const st = status?.status || listing?.status || 'lobby';
  const turn = status?.turn ?? listing?.turn ?? 0;
  const turns = status?.turns ?? listing?.turns;
  const sel = seats.find((s) => s.seat === selected);
  async function act(method, confirmText) {
    if (confirmText && !window.confirm(confirmText)) return;
    setError(null);
    try { await rpc().call(method, { session, admin_token }); } catch (e) { setError(e); }
    refresh();
  }
  return (
    <div class="admin control">
      <header class="topbar">
        <div class="who"><strong>Control</strong> <span class="muted">{status?.name || info.name || session} · {session} · {status?.map || info.map}</span></div>
        <span class={`status status-${st}`} data-testid="ctl-status">{st}{turns ? ` · turn ${Math.min(turn + 1, turns)} / ${turns}` : ''}</span>
        {status?.review ? <span class={`badge ${status.proposed ? 'badge-draft' : ''}`} data-testid="review-flag">{status.proposed ? 'turn held for review' : 'review on'}</span> : null}
        {status ? <Countdown deadlineAt={clock.deadlineAt} frozenMs={clock.frozenMs} status={st} /> : null}
        <ConnectionBadge />
      </header>
      <nav class="ctl-nav noprint" aria-label="Control panels">
        <a href={href('/admin', { session })}>Dashboard</a>
        {['seats', 'review', 'injects', 'channels', 'negotiations', 'fork', 'observers', 'timeline'].map((p) => <a href={`#ctl-${p}`} onClick={(e) => { e.preventDefault(); document.getElementById(`ctl-${p}`)?.scrollIntoView(); }}>{p}</a>)}
        <a href={href('/debrief', { session })}>Debrief</a>
      </nav>
      <ErrorText error={error} />
      <section class="card controls noprint" aria-label="Game controls">
        {st === 'lobby' ? <button type="button" class="primary" onClick={() => act('session.start')}>Start the game</button> : null}
        {st === 'running' ? <button type="button" onClick={() => act('session.pause')}>Pause</button> : null}
        {st === 'paused' ? <button type="button" class="primary" onClick={() => act('session.resume')}>Resume</button> : null}
        {st === 'running' && !status?.proposed ? <button type="button" onClick={() => act('session.advance', 'End this turn now? Seats that sent nothing play their standing orders.')}>Advance now</button> : null}
      </section>
      <section class="card ctl-panel" id="ctl-seats" aria-labelledby="h-ctl-seats" data-panel="seats">
        <h2 id="h-ctl-seats">Seats, live</h2>
        {statusMissing ? <Missing method="session.status" what="live seat status (connected, submitted, ready)" /> : null}
        <SeatGrid seats={seats} selected={selected} onSelect={setSelected} statusKnown={!!status} />
        <p class="hint">Choose a seat to see its view, its pending orders and the ground truth.</p>
        {sel ? <SeatInspector session={session} admin_token={admin_token} seat={sel.seat} title={sel.title || sel.seat} rev={`${rev}:${sel.submitted}:${sel.ready}`} /> : null}
      </section>
      <Review session={session} admin_token={admin_token} status={status} seats={seats} rev={rev} onReleased={refresh} />
      <Injects session={session} admin_token={admin_token} status={status} seats={seats} nations={nationList} facilities={facilities} rev={rev} />
      <div class="layout">
        <div class="col">
          <Channels session={session} admin_token={admin_token} seats={seats} />
          <Negotiations session={session} admin_token={admin_token} rev={rev} />
        </div>
        <div class="col">
          <Fork session={session} admin_token={admin_token} status={status || listing} />
          <Observers session={session} admin_token={admin_token} seats={seats} />
        </div>
      </div>
      <Timeline session={session} admin_token={admin_token} seats={seats} rev={rev} />
      <p class="hint">Link to this page: {absUrl(href('/control', { session }))}</p>
    </div>
  );
}
