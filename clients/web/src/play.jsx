// The player client: #/play?session=S&code=C
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { findSession, rpc } from './rpc.js';
import { fetchOrderSchema, typesFor } from './forms.js';
import { FALLBACK_SCHEMA } from './orderSchema.js';
import { OrderForm, OrderList, describeOrder, newItem } from './orders.jsx';
import {
  Chart, ConnectionBadge, Countdown, ErrorText, QR, absUrl, fmtDuration, href, money, num, pct, pname, signed, store,
  tonnes, usdkg, useNotify, useNow, STAGE_NAMES, mapProducts, mapStages,
} from './ui.jsx';
import { Channels, Deals } from './talk.jsx';

const isNation = (seat) => /^[A-Z]{3}$/.test(seat);

function JoinForm({ session, code, onJoined }) {
  const [s, setS] = useState(session || '');
  const [c, setC] = useState(code || '');
  const [name, setName] = useState(store.get('name', ''));
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  // Focus where the player starts: Join when the link carried everything.
  useEffect(() => {
    const id = !session ? 'j-session' : !code ? 'j-code' : 'j-join';
    document.getElementById(id)?.focus();
  }, []);
  async function submit(e) {
    e.preventDefault();
    setBusy(true); setError(null);
    try {
      const r = await rpc().call('session.join', { session: s.trim(), join_code: c.trim(), ...(name.trim() ? { name: name.trim() } : {}) });
      store.set('name', name.trim());
      store.set(`seat.${s.trim()}`, { seat: r.seat, token: r.token });
      onJoined(s.trim(), r);
    } catch (err) { setError(err); }
    setBusy(false);
  }
  return (
    <main class="narrow">
      <h1>Join a game</h1>
      <form onSubmit={submit} class="card">
        <div class="field"><label for="j-session">Session</label>
          <input id="j-session" value={s} onInput={(e) => setS(e.currentTarget.value)} autocomplete="off" autocapitalize="none" required /></div>
        <div class="field"><label for="j-code">Join code</label>
          <input id="j-code" value={c} onInput={(e) => setC(e.currentTarget.value)} autocomplete="off" autocapitalize="characters" required
            aria-describedby="j-code-hint" />
          <p class="hint" id="j-code-hint">10 characters from your facilitator; case and dashes do not matter.</p></div>
        <div class="field"><label for="j-name">Your name (optional)</label>
          <input id="j-name" value={name} onInput={(e) => setName(e.currentTarget.value)} autocomplete="name" /></div>
        <ErrorText error={error} />
        <button class="primary" type="submit" id="j-join" disabled={busy}>{busy ? 'Joining…' : 'Join'}</button>
      </form>
    </main>
  );
}

// A slim copy of an observation, kept per turn to say what changed.
function snapshot(obs) {
  const me = (obs.public?.scores || []).find((x) => x.seat === obs.seat);
  return {
    turn: obs.turn, cash: obs.you?.cash, score: me?.score,
    inventory: obs.you?.inventory, staff: obs.you?.staff, prices: obs.market?.prices,
    facilities: (obs.you?.facilities || []).map((f) => ({ id: f.id, status: f.status, capacity: f.capacity, output: f.output })),
  };
}

function changes(obs, prev) {
  const out = [];
  if (!prev) return out;
  const you = obs.you || {};
  const dc = (you.cash ?? 0) - (prev.cash ?? 0);
  if (Math.abs(dc) >= 1) out.push(`${obs.kind === 'nation' ? 'Budget' : 'Cash'} ${dc > 0 ? 'up' : 'down'} ${money(Math.abs(dc))} to ${money(you.cash)}`);
  const me = (obs.public?.scores || []).find((x) => x.seat === obs.seat);
  if (me && prev.score > 0 && Math.abs(me.score - prev.score) > 1e-6) out.push(`Score ${signed(me.score - prev.score, (v) => num(v, 3))} to ${num(me.score, 3)}`);
  for (const [p, v] of Object.entries(obs.market?.prices || {})) {
    const o = prev.prices?.[p];
    if (o && Math.abs(v - o) / o > 0.01) out.push(`${pname(p)} price ${v > o ? 'rose' : 'fell'} ${pct(Math.abs(v - o) / o)} to ${usdkg(v)}`);
  }
  for (const [p, v] of Object.entries(you.inventory || {})) {
    const o = prev.inventory?.[p] ?? 0;
    if (Math.abs(v - o) >= 0.5) out.push(`${pname(p)} stock ${signed(v - o)} t (now ${tonnes(v)})`);
  }
  for (const [k, v] of Object.entries(you.staff || {})) {
    const o = prev.staff?.[k] ?? 0;
    if (v !== o) out.push(`${k} ${obs.kind === 'nation' ? 'talent pool' : 'staff'} ${signed(v - o)} (now ${num(v)})`);
  }
  for (const f of you.facilities || []) {
    const o = (prev.facilities || []).find((x) => x.id === f.id);
    if (!o) out.push(`New facility ${f.id} (${f.stage}, ${f.status})`);
    else if (o.status !== f.status) out.push(`${f.id} is now ${f.status}`);
    else if (o.capacity !== f.capacity) out.push(`${f.id} capacity ${signed(f.capacity - o.capacity)} t/yr`);
  }
  return out;
}

function Situation({ obs, prev, onPrefill }) {
  const open = obs.status !== 'finished';
  const you = obs.you || {};
  const nation = obs.kind === 'nation';
  const scores = obs.public?.scores || [];
  const me = scores.find((x) => x.seat === obs.seat);
  const peers = scores.filter((x) => isNation(x.seat) === nation).sort((a, b) => b.score - a.score);
  const rank = peers.findIndex((x) => x.seat === obs.seat) + 1;
  const ch = changes(obs, prev);
  const events = obs.public?.events || [];
  const standing = you.standing || [];
  return (
    <section id="situation" aria-labelledby="h-situation">
      <h2 id="h-situation">Your situation</h2>
      <div class="kpis">
        <div class="kpi"><span class="kpi-label">{nation ? 'Budget' : 'Cash'}</span><span class="kpi-value" data-testid="cash">{money(you.cash)}</span>
          {prev && prev.cash !== undefined ? <span class="kpi-delta">{signed((you.cash ?? 0) - prev.cash, money)}</span> : null}</div>
        <div class="kpi"><span class="kpi-label">Score</span><span class="kpi-value">{me ? num(me.score, 3) : '–'}</span>
          {rank ? <span class="kpi-delta">#{rank} of {peers.length} {nation ? 'nations' : 'firms'}</span> : null}</div>
        <div class="kpi"><span class="kpi-label">Turn</span><span class="kpi-value">{Math.min(obs.turn + 1, obs.turns)} / {obs.turns}</span>
          <span class="kpi-delta">{obs.status}</span></div>
      </div>
      <details class="card" open={ch.length > 0 || events.length > 0}>
        <summary>What changed since last turn</summary>
        {ch.length ? <ul>{ch.map((c) => <li>{c}</li>)}</ul> : <p class="muted">{prev ? 'Nothing of yours changed.' : 'Nothing to compare with yet (this browser had not seen the last turn).'}</p>}
        {events.length ? <><h3>News</h3><ul class="events">{events.map((e) => <li>{e.text}</li>)}</ul></> : null}
      </details>
      <details class="card">
        <summary>What moves your score</summary>
        {nation
          ? <p>A nation’s score weighs its <strong>supply security</strong> (the share of its demand met from its own or allied supply), the <strong>industry value added</strong> at home, and its <strong>budget</strong>. Policies that build home capacity and talent raise security over time; subsidies and stockpiles cost budget.</p>
          : <p>A firm’s score is its <strong>net worth over its opening net worth</strong> (1.0 = where it started). Profitable output, cheaper unit costs from experience and capacity that pays back raise it; idle plants, unsold stock and builds that never pay back lower it.</p>}
      </details>

      {you.facilities?.length ? (
        <div class="card">
          <h3>Facilities</h3>
          <div class="table-wrap"><table>
            <thead><tr><th scope="col">Facility</th><th scope="col">Stage</th><th scope="col">Capacity t/yr</th><th scope="col">Running</th><th scope="col">Status</th><th scope="col">Staff</th><th scope="col">Unit cost</th><th scope="col">Output t</th>{open ? <th scope="col"><span class="sr-only">Actions</span></th> : null}</tr></thead>
            <tbody>{you.facilities.map((f) => (
              <tr key={f.id}>
                <th scope="row">{f.id}{f.site ? <span class="muted"> @{f.site}</span> : null}</th>
                <td>{STAGE_NAMES[f.stage] || f.stage}</td>
                <td>{num(f.capacity)}{f.effective_capacity !== undefined && f.effective_capacity !== f.capacity ? <span class="muted"> (eff. {num(f.effective_capacity)})</span> : null}
                  {f.expanding ? <div class="muted">+{num(f.expanding)} in {f.expansion_turns_left} turns</div> : null}</td>
                <td>{pct(f.utilisation)}</td>
                <td>{f.status === 'building' ? `building, ${f.turns_left} turns left` : f.status}</td>
                <td>{num(f.staff)}{f.staff_needed !== undefined ? ` / ${num(f.staff_needed)}` : ''}</td>
                <td>{usdkg(f.unit_cost)}</td>
                <td>{num(f.output)}</td>
                {open ? <td class="row-actions">
                  <button type="button" class="small-btn" onClick={() => onPrefill({ op: 'operate', facility: f.id, utilisation: f.utilisation })} aria-label={`Change the utilisation of ${f.id}`}>Run</button>
                  {f.status === 'operating' && !f.expanding ? <button type="button" class="small-btn" onClick={() => onPrefill({ op: 'build', stage: f.stage, facility: f.id })} aria-label={`Expand ${f.id}`}>Expand</button> : null}
                </td> : null}
              </tr>))}</tbody>
          </table></div>
        </div>
      ) : null}

      <div class="grid2">
        <div class="card">
          <h3>{nation ? 'Stockpile' : 'Stocks'}</h3>
          <table><tbody>{Object.entries(you.inventory || {}).map(([p, v]) => <tr><th scope="row">{pname(p)}</th><td>{tonnes(v)}</td></tr>)}</tbody></table>
          {you.collection && obs.turn > 0 ? <p class="muted" data-testid="collection">End-of-life magnets collected last turn: {tonnes(you.collection.scrap)} for {money(you.collection.paid)}.</p> : null}
        </div>
        <div class="card">
          <h3>{nation ? 'Talent pool' : 'Staff'}</h3>
          <table>
            <thead><tr><th scope="col">Skill</th><th scope="col">{nation ? 'Pool' : 'Employed'}</th><th scope="col">Training</th>{nation ? null : <th scope="col">Hireable</th>}</tr></thead>
            <tbody>{Object.entries(you.staff || {}).map(([k, v]) => (
              <tr><th scope="row">{k}</th><td>{num(v)}</td><td>{num(you.in_training?.[k])}</td>{nation ? null : <td>{num(you.talent_pool?.[k])}</td>}</tr>))}</tbody>
          </table>
        </div>
      </div>

      <div class="card">
        <h3>Market (last resolved turn)</h3>
        <div class="table-wrap"><table>
          <thead><tr><th scope="col">Product</th><th scope="col">World</th><th scope="col">In {obs.nation}</th><th scope="col">Traded</th><th scope="col">Your standing offer / bid</th>{open ? <th scope="col"><span class="sr-only">Actions</span></th> : null}</tr></thead>
          <tbody>{mapProducts(obs).map((p) => {
            const off = standing.find((o) => o.op === 'offer' && o.product === p);
            const bid = standing.find((o) => o.op === 'bid' && o.product === p);
            return (
              <tr key={p}><th scope="row">{pname(p)}</th><td>{usdkg(obs.market?.prices?.[p])}</td>
                <td>{usdkg(obs.market?.regional?.[p]?.[obs.nation])}</td><td>{tonnes(obs.market?.volumes?.[p] ?? 0)}</td>
                <td>{off ? `sell ${num(off.quantity)} t ≥ ${usdkg(off.min_price)}` : ''}{off && bid ? '; ' : ''}{bid ? `buy ${num(bid.quantity)} t ≤ ${usdkg(bid.max_price)}` : ''}</td>
                {open ? <td class="row-actions">
                  <button type="button" class="small-btn" aria-label={`Offer ${pname(p)} for sale`}
                    onClick={() => onPrefill(off ? { ...off } : { op: 'offer', product: p, quantity: Math.floor(you.inventory?.[p] || 0), min_price: Math.round((obs.market?.prices?.[p] || 0) * 100) / 100 })}>Sell</button>
                  <button type="button" class="small-btn" aria-label={`Bid for ${pname(p)}`}
                    onClick={() => onPrefill(bid ? { ...bid } : { op: 'bid', product: p, quantity: '', max_price: Math.round((obs.market?.prices?.[p] || 0) * 100) / 100 })}>Buy</button>
                </td> : null}</tr>);
          })}</tbody>
        </table></div>
      </div>

      {nation ? (
        <div class="grid2">
          <div class="card">
            <h3>Demand</h3>
            <table><thead><tr><th scope="col">Product</th><th scope="col">t / turn</th><th scope="col">Met last turn</th></tr></thead>
              <tbody>{Object.entries(you.demand || {}).filter(([, d]) => d.volume > 0).map(([p, d]) => (
                <tr><th scope="row">{pname(p)}</th><td>{num(d.volume)}</td><td>{num(d.met)} ({d.volume ? pct(d.met / d.volume) : '–'})</td></tr>))}</tbody></table>
          </div>
          <div class="card">
            <h3>Policies in force</h3>
            {you.policies?.length ? <ul>{you.policies.map((p) => (
              <li>{String(p.kind).replace(/_/g, ' ')}: {Object.entries(p).filter(([k]) => k !== 'op' && k !== 'kind').map(([k, v]) => `${k} ${v}`).join(', ')}
                {open ? <> <button type="button" class="small-btn" onClick={() => onPrefill({ ...p })} aria-label={`Change the ${String(p.kind).replace(/_/g, ' ')} policy`}>Change</button></> : null}</li>))}</ul> : <p class="muted">None.</p>}
          </div>
        </div>
      ) : null}
    </section>
  );
}

// The story's moves the map offers this seat (you.choices, issue 11): each
// a named set of orders, added to the list with one click, to send or not.
function StoryMoves({ choices, open, onAdd }) {
  if (!choices?.length) return null;
  return (
    <details class="card" data-testid="story-moves">
      <summary>The story’s moves ({choices.length})</summary>
      <p class="hint">What this seat did (or could have done) in the real story. Taking one adds its orders to your list; nothing is sent until you send.</p>
      <ul class="choices">{choices.map((c) => (
        <li key={c.id}>
          <strong>{String(c.id).replace(/_/g, ' ')}</strong>
          {c.note ? <p>{c.note}{c.sources ? <span class="muted"> [{c.sources}]</span> : null}</p> : null}
          <ul>{(c.orders || []).map((o) => <li>{describeOrder(o)}</li>)}</ul>
          {open ? <button type="button" class="small-btn" onClick={() => onAdd(c)} aria-label={`Add the orders of ${String(c.id).replace(/_/g, ' ')}`}>Add {c.orders.length === 1 ? 'this order' : `these ${c.orders.length} orders`}</button> : null}
        </li>))}</ul>
    </details>
  );
}

function TurnCharts({ history, obs }) {
  const x = history.map((h) => h.turn + 1);
  const products = mapProducts(obs);
  const nation = obs.kind === 'nation';
  const peers = (obs.public?.scores || []).map((s) => s.seat).filter((s) => isNation(s) === nation);
  return (
    <section id="charts" aria-labelledby="h-charts">
      <h2 id="h-charts">Turn by turn</h2>
      <Chart title="World prices (USD/kg, log scale)" x={x} log yLabel="$/kg" fmt={(v) => num(v, 2)}
        series={products.map((p) => ({ label: pname(p), values: history.map((h) => h.prices?.[p]) }))} />
      <Chart title={`Scores of ${nation ? 'nations' : 'firms'}`} x={x} fmt={(v) => num(v, 3)}
        series={peers.map((s) => ({ label: s, width: s === obs.seat ? 4 : 1.5, values: history.map((h) => (h.scores || []).find((r) => r.seat === s)?.score) }))} />
      <Chart title={`Production in ${obs.nation} (t per turn)`} x={x} fmt={(v) => num(v)}
        series={mapStages(obs).map((st) => ({ label: STAGE_NAMES[st], values: history.map((h) => h.production?.[st]?.[obs.nation] ?? 0) }))} />
    </section>
  );
}

export function Play({ params }) {
  const session = params.session;
  const [seatInfo, setSeatInfo] = useState(session ? store.get(`seat.${session}`) : null);
  const [obs, setObs] = useState(null);
  const [receivedAt, setReceivedAt] = useState(0);
  const [error, setError] = useState(null);
  const [history, setHistory] = useState([]);
  const [schema, setSchema] = useState(null);
  const [schemaSource, setSchemaSource] = useState('');
  const schemaRef = useRef(null);
  schemaRef.current = schema;
  const [items, setItems] = useState([]);
  const [editing, setEditing] = useState(null);
  const [ready, setReady] = useState(null); // {turn, waiting}
  const [busy, setBusy] = useState(false);
  const [sendError, setSendError] = useState(null);
  const [moved, setMoved] = useState(false);
  const [revoked, setRevoked] = useState(false);
  const [agent, setAgent] = useState(null); // the strategy the facilitator put on this seat
  const [banner, setBanner] = useState(null);
  const [meta, setMeta] = useState(null); // this session's entry of session.list
  const turnRef = useRef(null);
  const token = seatInfo?.token;

  // Orders prepared in this browser survive a reload (per session, seat and turn).
  const draftKey = obs ? `drafts.${session}.${obs.seat}.${obs.turn}` : null;
  useEffect(() => { if (draftKey) store.set(draftKey, items.filter((i) => i.status !== 'sent')); }, [items, draftKey]);

  async function refresh() {
    if (!token) return;
    try {
      const o = await rpc().call('state.get', { session, token });
      setReceivedAt(Date.now());
      setError(null);
      const snaps = store.get(`snaps.${session}.${o.seat}`, {});
      snaps[o.turn] = snapshot(o);
      for (const k of Object.keys(snaps)) if (Number(k) < o.turn - 2) delete snaps[k];
      store.set(`snaps.${session}.${o.seat}`, snaps);
      if (turnRef.current !== o.turn) {
        // A new turn (or the first look): the list is this turn's accepted orders
        // plus what this browser had prepared and not sent.
        turnRef.current = o.turn;
        setReady(null);
        setEditing(null);
        const drafts = store.get(`drafts.${session}.${o.seat}.${o.turn}`, []);
        setItems([...(o.you?.orders || []).map((ord) => newItem(ord, 'sent')), ...drafts.map((d) => newItem(d.order, d.status, { message: d.message, field: d.field }))]);
      }
      setObs(o);
    } catch (e) { setError(e); }
  }
  async function loadHistory() {
    try { setHistory(await rpc().call('history.get', { session, token })); } catch { /* shown by state errors */ }
  }
  // The order forms come from the server's orders.schema; the built-in copy
  // only for a server that does not know the method. A failed call (the
  // connection dropped) is tried again on the next connection.
  async function loadSchema(r) {
    try {
      const { schema: s, source } = await fetchOrderSchema((m, p) => r.call(m, p));
      setSchema(s); setSchemaSource(source);
    } catch { /* tried again on reconnection */ }
  }

  // Join (again) with the token on every (re)connection: joining is idempotent
  // and makes this connection the seat's connection for notifications.
  useEffect(() => {
    if (!token || params.code) return undefined; // a code in the link: join with it first
    return rpc().onOpen(async (r) => {
      try {
        await r.call('session.join', { session, token });
        setMoved(false);
        setRevoked(false); setAgent(null);
        findSession((m, p) => r.call(m, p), session).then(setMeta).catch(() => {});
        await Promise.all([refresh(), loadHistory(), schemaRef.current ? null : loadSchema(r)]);
      } catch (e) { setError(e); }
    });
  }, [token, session, params.code]);

  useNotify('turn.resolved', (p) => {
    if (p.session !== session) return;
    const scores = p.summary?.scores || [];
    const mine = scores.find((x) => x.seat === seatInfo?.seat);
    const peers = scores.filter((x) => isNation(x.seat) === isNation(seatInfo?.seat || '')).sort((a, b) => b.score - a.score);
    const rank = mine ? peers.findIndex((x) => x.seat === mine.seat) + 1 : 0;
    setBanner(`Turn ${p.turn + 1} resolved.${mine ? ` Your score: ${num(mine.score, 3)} (#${rank} of ${peers.length}).` : ''}`);
    setHistory((h) => [...h.filter((x) => x.turn !== p.turn), { ...p.summary, turn: p.turn }].sort((a, b) => a.turn - b.turn));
    refresh();
  }, [session, token]);
  for (const m of ['session.started', 'session.paused', 'session.resumed', 'session.finished', 'session.extended']) {
    // eslint-disable-next-line react-hooks/rules-of-hooks
    useNotify(m, (p) => {
      if (p.session !== session) return;
      setBanner({ 'session.started': 'The game has started.', 'session.paused': 'The facilitator paused the game.', 'session.resumed': 'The game goes on.', 'session.finished': 'The game is over.', 'session.extended': `The facilitator moved the deadline: ${Math.round((p.remaining_ms || 0) / 60000)} min left.` }[m]);
      refresh();
    }, [session, token]);
  }
  useNotify('seat.moved', (p) => { if (p.session === session) setMoved(true); }, [session]);
  // The facilitator revoked the seat's token (seat.rotate_token): this page
  // can do nothing more with it; a new join code is the way back.
  useNotify('seat.revoked', (p) => { if (p.session === session && p.seat === seatInfo?.seat) { setRevoked(true); setMoved(false); setAgent(null); } }, [session, seatInfo?.seat]);
  // The facilitator gave the seat to an agent (session.bot with force).
  useNotify('seat.agent', (p) => { if (p.session === session && p.seat === seatInfo?.seat) { setAgent(p.strategy || 'an agent'); refresh(); } }, [session, seatInfo?.seat]);

  const types = useMemo(() => (obs ? typesFor(schema || FALLBACK_SCHEMA, obs.kind) : []), [schema, obs?.kind]);
  const prevSnap = obs ? store.get(`snaps.${session}.${obs.seat}`, {})[obs.turn - 1] : null;

  const now = useNow(1000);
  const unsent = items.filter((i) => i.status === 'draft' || i.status === 'invalid').length;
  const deadlineAt = obs && obs.remaining_ms != null && obs.status === 'running' ? receivedAt + obs.remaining_ms : null;
  const left = deadlineAt ? deadlineAt - now : null;
  const title = meta?.seats?.find((x) => x.seat === obs?.seat)?.title || obs?.seat || '';
  useEffect(() => {
    document.title = `${left != null ? `${fmtDuration(left)} · ` : ''}${unsent ? `${unsent} not sent · ` : ''}${title} · Lanthanide`;
  }, [left != null ? Math.ceil(left / 1000) : null, unsent, title]);
  // A link with a join code always joins with it (a shared computer may hold
  // another seat's token for this session); the token is then used alone.
  if (!session || !token || params.code) {
    return <JoinForm session={session} code={params.code} onJoined={(s, r) => {
      location.hash = href('/play', { session: s });
      setSeatInfo({ seat: r.seat, token: r.token });
    }} />;
  }

  const refused = items.filter((i) => i.status === 'refused').length;
  // A revoked seat can send nothing: its token is refused from now on.
  const open = !revoked && obs && (obs.status === 'running' || obs.status === 'paused' || obs.status === 'lobby');

  async function send(andReady) {
    setBusy(true); setSendError(null);
    const toSend = items.filter((i) => i.status === 'draft' || i.status === 'sent');
    try {
      const r = await rpc().call('orders.submit', { session, token, orders: toSend.map((i) => i.order), ...(andReady ? { ready: true } : {}) });
      const rej = new Map((r.rejected || []).map((x) => [x.index, x]));
      const sentIds = new Map(toSend.map((i, k) => [i.id, k]));
      setItems(items.map((i) => {
        if (!sentIds.has(i.id)) return i;
        const x = rej.get(sentIds.get(i.id));
        return x ? { ...i, status: 'refused', message: x.message, field: x.field } : { ...i, status: 'sent', message: undefined, field: undefined };
      }));
      if (rej.size) {
        setSendError({ message: `${rej.size} of ${toSend.length} orders were refused; they are marked above. The others are in.` });
        // Take keyboard and screen-reader users to the first refusal.
        setTimeout(() => document.querySelector('.order-refused button')?.focus(), 50);
      }
      if (andReady && obs.status !== 'lobby') setReady({ turn: r.turn, waiting: null });
      const o = await rpc().call('state.get', { session, token });
      setObs(o); setReceivedAt(Date.now());
    } catch (e) { setSendError(e); }
    setBusy(false);
  }
  async function markReady() {
    if (unsent) return send(true);
    setBusy(true); setSendError(null);
    try {
      const r = await rpc().call('turn.ready', { session, token });
      setReady(r);
      // Everyone is ready: the turn resolves now, or (a session with review)
      // is held for the control cell, which no notification tells players;
      // a look at the state a moment later says which (`held`).
      if (Array.isArray(r?.waiting) && r.waiting.length === 0) setTimeout(refresh, 1500);
    } catch (e) { setSendError(e); }
    setBusy(false);
  }

  const joinLink = absUrl(href('/play', { session }));

  return (
    <div class="play">
      <header class="topbar">
        <div class="who">
          <strong>{meta?.seats?.find((x) => x.seat === (obs?.seat || seatInfo.seat))?.title || obs?.seat || seatInfo.seat}</strong>
          {obs ? <span class="muted"> {obs.kind}{obs.kind === 'firm' ? ` in ${obs.nation}` : ''}</span> : null}
        </div>
        {obs ? <Countdown deadlineAt={deadlineAt} frozenMs={obs.remaining_ms} status={obs.status} /> : null}
        <ConnectionBadge />
        {obs && obs.status === 'running' && !revoked ? (
          <button type="button" class={`ready ${ready ? 'is-ready' : ''}`} onClick={markReady} disabled={busy} data-testid="ready">
            {ready ? 'Ready ✓' : unsent ? 'Send & ready' : 'Ready'}
          </button>
        ) : null}
      </header>
      <nav class="tabs" aria-label="Sections">
        <a href="#situation" onClick={(e) => { e.preventDefault(); document.getElementById('situation')?.scrollIntoView(); }}>Situation</a>
        <a href="#orders" onClick={(e) => { e.preventDefault(); document.getElementById('orders')?.scrollIntoView(); }}>Orders{unsent ? ` (${unsent} not sent)` : ''}</a>
        <a href="#charts" onClick={(e) => { e.preventDefault(); document.getElementById('charts')?.scrollIntoView(); }}>Charts</a>
        <a href="#deals" onClick={(e) => { e.preventDefault(); document.getElementById('deals')?.scrollIntoView(); }}>Deals</a>
        <a href="#chat" onClick={(e) => { e.preventDefault(); document.getElementById('chat')?.scrollIntoView(); }}>Chat</a>
      </nav>
      {left != null && left < 60000 && left > 0 && (unsent || !ready) ? (
        <p class="banner warn" role="alert">Less than a minute left.{unsent ? ` ${unsent} order${unsent > 1 ? 's are' : ' is'} not sent.` : ''}{!ready ? ' When time is up, what you sent (or your standing orders) is played.' : ''}</p>
      ) : null}
      {banner ? <p class="banner" role="status">{banner} <button type="button" class="link" onClick={() => setBanner(null)}>dismiss</button></p> : null}
      {moved ? <p class="banner warn" role="alert">This seat was opened on another device; this page no longer gets its news.
        <button type="button" onClick={async () => { await rpc().call('session.join', { session, token }); setMoved(false); refresh(); }}>Take it back here</button></p> : null}
      {revoked ? (
        <div class="banner error-banner" role="alert" data-testid="revoked">
          <p><strong>The facilitator revoked this seat’s access.</strong> This browser can no longer play or follow {title || seatInfo.seat}: its token does not work any more. Ask the facilitator for a new join code.</p>
          <button type="button" onClick={() => { store.del(`seat.${session}`); setSeatInfo(null); setRevoked(false); setError(null); }}>Join with a new code</button>
        </div>
      ) : null}
      {agent && !revoked ? (
        <div class="banner warn" role="alert" data-testid="agent">
          <p><strong>The facilitator gave this seat to an agent ({agent}).</strong> It plays {title || seatInfo.seat} from now on; you still follow the game here. Orders you send replace the agent’s for this turn only.</p>
          <button type="button" onClick={async () => { try { await rpc().call('session.join', { session, token }); setAgent(null); refresh(); } catch (e) { setError(e); } }}>Play the seat again here (ask the facilitator first)</button>
        </div>
      ) : null}
      {ready && ready.waiting && !obs?.held ? <p class="banner" role="status">You are ready for turn {ready.turn + 1}. {ready.waiting.length ? `Waiting for: ${ready.waiting.join(', ')}.` : 'Everyone is ready.'} You may still change your orders until the turn resolves.</p> : null}
      {ready && !ready.waiting ? <p class="banner" role="status">You are ready for turn {ready.turn + 1}.</p> : null}
      {obs && obs.status === 'lobby' ? <p class="banner" role="status">Waiting for the facilitator to start the game. You can already prepare and send your orders for turn 1.</p> : null}
      {obs && obs.held ? <p class="banner warn" role="status" data-testid="held">Turn {obs.turn + 1} is closed: the control cell is reviewing its result. You will see it when they release it; your orders then go to the next turn.</p> : null}
      {obs && obs.status === 'finished' ? <p class="banner" role="status">The game is over. <a href={href('/debrief', { session })}>See the debrief</a>.</p> : null}
      {revoked ? null : <ErrorText error={error} />}
      {error && !revoked && ['unauthorized', 'forbidden', 'not_found'].includes(error.code) ? (
        <p><button type="button" onClick={() => { store.del(`seat.${session}`); setSeatInfo(null); setError(null); }}>Forget this seat and join again with a code</button></p>
      ) : null}
      {!obs ? <p class="muted">Loading your seat…</p> : (
        <div class="layout">
          <div class="col">
            <Situation obs={obs} prev={prevSnap} onPrefill={(order) => {
              // A new order, filled in from what stands; it is added only on save.
              setEditing({ id: `prefill-${Date.now()}`, order, status: 'prefill' });
              setTimeout(() => { document.getElementById('order-form-h')?.scrollIntoView(); document.getElementById('f-type')?.focus(); }, 0);
            }} />
          </div>
          <div class="col">
            <section id="orders" aria-labelledby="h-orders" class="card">
              <h2 id="h-orders">Orders for turn {Math.min(obs.turn + 1, obs.turns)}</h2>
              {unsent ? <p class="banner warn" role="status" data-testid="unsent">{unsent} order{unsent > 1 ? 's' : ''} prepared but <strong>not sent</strong>.</p> : null}
              {refused ? <p class="banner error-banner">{refused} refused order{refused > 1 ? 's' : ''}: edit {refused > 1 ? 'them' : 'it'} below and send again.</p> : null}
              <OrderList items={items} editing={editing?.id}
                onEdit={(it) => { setEditing(it); setTimeout(() => document.getElementById('f-type')?.focus(), 0); }}
                onRemove={(it) => { setItems(items.filter((i) => i.id !== it.id).map((i) => (i.status === 'sent' ? { ...i, status: 'draft' } : i))); if (editing?.id === it.id) setEditing(null); }} />
              <StoryMoves choices={obs.you?.choices} open={open}
                onAdd={(c) => setItems([...items, ...c.orders.map((o) => newItem({ ...o }))])} />
              <ErrorText error={sendError} />
              {open ? (
                <div class="buttons">
                  <button type="button" class="primary" onClick={() => send(false)} disabled={busy || (!unsent && !items.some((i) => i.status === 'sent'))} data-testid="send">
                    {busy ? 'Sending…' : 'Send orders'}
                  </button>
                </div>
              ) : <p class="muted">No turn is open.</p>}
              {open ? (
                <>
                  <h3 id="order-form-h">{editing && editing.status !== 'prefill' ? 'Edit order' : 'New order'}</h3>
                  <OrderForm types={types} obs={obs} item={editing}
                    onCancel={() => setEditing(null)}
                    onSave={(o) => {
                      if (editing && editing.status !== 'prefill') {
                        setItems(items.map((i) => (i.id === editing.id ? { ...i, order: o, status: 'draft', message: undefined, field: undefined } : i)));
                        setEditing(null);
                      } else { setItems([...items, newItem(o)]); setEditing(null); }
                    }} />
                  <p class="hint">Order forms from the {schemaSource || 'built-in'} schema. Sending replaces everything you sent earlier this turn.</p>
                </>
              ) : null}
            </section>
            <TurnCharts history={history} obs={obs} />
            {revoked ? null : <>
              <Deals session={session} token={token} me={obs.seat} seats={(obs.public?.scores || []).map((s) => s.seat)}
                schema={schema || FALLBACK_SCHEMA} contracts={obs.you?.contracts || []} turn={obs.turn} />
              <Channels session={session} token={token} me={obs.seat} seats={(obs.public?.scores || []).map((s) => s.seat)} />
            </>}
            <details class="card">
              <summary>Open this seat on another device</summary>
              <p>Scan to continue on a phone; the join code is not in this link, so use the code from your facilitator.</p>
              <QR text={joinLink} label="QR code of this game's join page" />
            </details>
          </div>
        </div>
      )}
    </div>
  );
}
