// The debrief: #/debrief?session=S. Charts from history.get, revealed turn by
// turn, with each turn's events; printable and savable.
import { useEffect, useState } from 'preact/hooks';
import { findSession, rpc } from './rpc.js';
import { Timeline } from './control.jsx';
import { Chart, ConnectionBadge, ErrorText, download, num, pct, pname, store, useNotify, PRODUCT_NAMES, STAGE_NAMES, summaryStages, tradedProducts } from './ui.jsx';
import { SaveForGrading } from './debriefSave.jsx';

function identityFor(session) {
  const a = store.get(`admin.${session}`);
  if (a?.admin_token) return { admin_token: a.admin_token };
  const s = store.get(`seat.${session}`);
  if (s?.token) return { token: s.token };
  return {};
}

function toCsv(history, seats) {
  const rows = [['turn', 'kind', 'key', 'nation', 'value']];
  for (const h of history) {
    for (const [p, v] of Object.entries(h.prices || {})) rows.push([h.turn + 1, 'world_price_usd_kg', p, '', v]);
    for (const [p, m] of Object.entries(h.regional || {})) for (const [n, v] of Object.entries(m)) rows.push([h.turn + 1, 'regional_price_usd_kg', p, n, v]);
    for (const [st, m] of Object.entries(h.production || {})) for (const [n, v] of Object.entries(m)) rows.push([h.turn + 1, 'production_t', st, n, v]);
    for (const [st, m] of Object.entries(h.capacity || {})) for (const [n, v] of Object.entries(m)) rows.push([h.turn + 1, 'capacity_t_yr', st, n, v]);
    for (const s of h.scores || []) rows.push([h.turn + 1, 'score', s.seat, seats[s.seat]?.kind || '', s.score]);
    for (const e of h.events || []) rows.push([h.turn + 1, 'event', e.kind, e.nation || '', JSON.stringify(e.text)]);
  }
  return rows.map((r) => r.join(',')).join('\n') + '\n';
}

export function Debrief({ params }) {
  const session = params.session;
  const [history, setHistory] = useState([]);
  const [meta, setMeta] = useState(null);
  const [error, setError] = useState(null);
  const [upto, setUpto] = useState(null); // last revealed index; null = all
  const [product, setProduct] = useState('ndpr_oxide');
  const ident = identityFor(session);

  useEffect(() => {
    if (!session) return undefined;
    return rpc().onOpen(async (r) => {
      try {
        setMeta(await findSession((m, p) => r.call(m, p), session));
        setHistory(await r.call('history.get', { session, ...ident }));
        setError(null);
        try { await r.call('session.watch', { session, ...ident }); } catch { /* live updates are a bonus */ }
      } catch (e) { setError(e); }
    });
  }, [session]);
  useNotify('turn.resolved', (p) => {
    if (p.session !== session) return;
    setHistory((h) => [...h.filter((x) => x.turn !== p.turn), { ...p.summary, turn: p.turn }].sort((a, b) => a.turn - b.turn));
  }, [session]);

  if (!session) return <main class="narrow"><h1>Debrief</h1><p>Open this page with <code>#/debrief?session=…</code>.</p></main>;

  const seats = Object.fromEntries((meta?.seats || []).map((s) => [s.seat, s]));
  const last = upto === null ? history.length - 1 : Math.min(upto, history.length - 1);
  const shown = history.slice(0, last + 1);
  const x = shown.map((h) => h.turn + 1);
  const lastH = history[history.length - 1];
  const nations = lastH ? Object.keys(lastH.production?.mining || lastH.regional?.concentrate || {}) : [];
  const seatIds = lastH ? (lastH.scores || []).map((s) => s.seat) : [];
  const kindOf = (s) => seats[s]?.kind || (/^[A-Z]{3}$/.test(s) ? 'nation' : 'firm');
  const nationSeats = seatIds.filter((s) => kindOf(s) === 'nation');
  const firmSeats = seatIds.filter((s) => kindOf(s) === 'firm');
  const cur = shown[shown.length - 1];
  const rank = (list) => (cur ? list.map((s) => ({ seat: s, score: (cur.scores || []).find((r) => r.seat === s)?.score ?? 0 })).sort((a, b) => b.score - a.score) : []);
  const hasCapacity = history.some((h) => h.capacity);
  const share = (h, st, n) => {
    const m = h.production?.[st] || {};
    const tot = Object.values(m).reduce((a, b) => a + b, 0);
    return tot > 0 ? (m[n] || 0) / tot : 0;
  };
  const title = meta ? `${meta.name || meta.session} · ${meta.map}` : session;

  return (
    <div class="debrief">
      <header class="topbar">
        <div class="who"><strong>Debrief</strong> <span class="muted">{title}</span></div>
        <ConnectionBadge />
      </header>
      <ErrorText error={error} />
      {error && error.code === 'unauthorized' ? <p class="hint">This session was created without spectators; open the debrief from the facilitator’s browser or a player’s.</p> : null}
      <section class="card controls noprint" aria-label="Reveal and save">
        <span role="status" aria-live="polite" data-testid="reveal">{history.length ? `Showing turns 1 to ${last + 1} of ${history.length} resolved` : 'No turn resolved yet'}</span>
        <button type="button" onClick={() => setUpto(0)} disabled={!history.length}>From the start</button>
        <button type="button" onClick={() => setUpto(Math.max(0, last - 1))} disabled={last <= 0}>Previous turn</button>
        <button type="button" class="primary" onClick={() => setUpto(last + 1 >= history.length - 1 ? null : last + 1)} disabled={last >= history.length - 1}>Next turn</button>
        <button type="button" onClick={() => setUpto(null)} disabled={upto === null}>Show all</button>
        {history.length ? (
          <span class="slider">
            <label for="d-turn">Turn</label>
            <input id="d-turn" type="range" min={1} max={history.length} step={1} value={last + 1}
              aria-valuetext={`turn ${(history[last]?.turn ?? last) + 1}`}
              onInput={(e) => { const v = Number(e.currentTarget.value) - 1; setUpto(v >= history.length - 1 ? null : v); }} />
            <output for="d-turn" data-testid="turn-out">{(history[last]?.turn ?? last) + 1}</output>
          </span>) : null}
        <button type="button" onClick={() => window.print()}>Print</button>
        <button type="button" onClick={() => download(`lanthanide-${session}.json`, JSON.stringify({ session: meta, history }, null, 1))}>Save data (JSON)</button>
        <button type="button" onClick={() => download(`lanthanide-${session}.csv`, toCsv(history, seats), 'text/csv')}>Save data (CSV)</button>
        <SaveForGrading session={session} meta={meta} history={history} ident={ident} />
      </section>
      <h1 class="print-only">Lanthanide debrief: {title}</h1>
      {cur ? <AtTurn cur={cur} prev={shown[shown.length - 2]} seats={seats} kindOf={kindOf} /> : null}
      {ident.admin_token && cur ? <div class="noprint"><Timeline session={session} admin_token={ident.admin_token} seats={meta?.seats || []} rev={history.length} atTurn={cur.turn} quiet /></div> : null}
      <div class="layout">
        <div class="col">
          <section class="card" aria-labelledby="h-prices">
            <h2 id="h-prices">Prices by region</h2>
            <div class="field noprint"><label for="d-product">Product</label>
              <select id="d-product" value={product} onChange={(e) => setProduct(e.currentTarget.value)}>
                {tradedProducts(shown).map((p) => <option value={p}>{pname(p)}</option>)}
              </select></div>
            <Chart title={`${pname(product)}: buyers’ price by nation (USD/kg)`} x={x} fmt={(v) => num(v, 2)}
              series={[{ label: 'World', width: 3, dash: [6, 4], color: '#000', values: shown.map((h) => h.prices?.[product]) },
                ...nations.map((n) => ({ label: n, values: shown.map((h) => h.regional?.[product]?.[n]) }))]} />
            <Chart title="World prices, all products (USD/kg, log scale)" x={x} log fmt={(v) => num(v, 2)}
              series={tradedProducts(shown).map((p) => ({ label: pname(p), values: shown.map((h) => h.prices?.[p]) }))} />
          </section>
          <section class="card" aria-labelledby="h-shares">
            <h2 id="h-shares">Production shares by nation</h2>
            {summaryStages(history).map((st) => (
              <Chart title={`${STAGE_NAMES[st]}: share of world output`} x={x} height={180} fmt={(v) => pct(v)}
                series={nations.map((n) => ({ label: n, values: shown.map((h) => share(h, st, n)) }))} />
            ))}
          </section>
          <section class="card" aria-labelledby="h-capacity">
            <h2 id="h-capacity">Capacity over time</h2>
            {hasCapacity ? summaryStages(history).map((st) => (
              <Chart title={`${STAGE_NAMES[st]} capacity by nation (t/yr)`} x={x} height={180} fmt={(v) => num(v)}
                series={nations.map((n) => ({ label: n, values: shown.map((h) => h.capacity?.[st]?.[n]) }))} />
            )) : <p class="muted">The server’s turn summaries do not carry capacity yet; this chart appears when they do.</p>}
          </section>
        </div>
        <div class="col">
          <section class="card" aria-labelledby="h-nations">
            <h2 id="h-nations">Nations</h2>
            <Chart title="Score path of each nation" x={x} fmt={(v) => num(v, 3)}
              series={nationSeats.map((s) => ({ label: s, values: shown.map((h) => (h.scores || []).find((r) => r.seat === s)?.score) }))} />
            <RankTable rows={rank(nationSeats)} seats={seats} label="Nations ranked" />
          </section>
          <section class="card" aria-labelledby="h-firms">
            <h2 id="h-firms">Firms</h2>
            <Chart title="Score path of each firm (net worth / opening)" x={x} fmt={(v) => num(v, 3)}
              series={firmSeats.map((s) => ({ label: s, values: shown.map((h) => (h.scores || []).find((r) => r.seat === s)?.score) }))} />
            <RankTable rows={rank(firmSeats)} seats={seats} label="Firms ranked" />
          </section>
          <section class="card" aria-labelledby="h-allevents">
            <h2 id="h-allevents">News, turn by turn</h2>
            <ol class="events">{shown.map((h) => (h.events || []).map((e) => <li value={h.turn + 1}>Turn {h.turn + 1}: {e.text}</li>))}</ol>
          </section>
        </div>
      </div>
    </div>
  );
}

function RankTable({ rows, seats, label }) {
  if (!rows.length) return null;
  return (
    <table aria-label={label}>
      <thead><tr><th scope="col">#</th><th scope="col">Seat</th><th scope="col">Score</th><th scope="col">Played by</th></tr></thead>
      <tbody>{rows.map((r, i) => (
        <tr><td>{i + 1}</td><th scope="row">{seats[r.seat]?.title || r.seat}</th><td>{num(r.score, 3)}</td>
          <td>{seats[r.seat] ? (seats[r.seat].seatless ? 'standing orders' : seats[r.seat].agent ? `agent (${seats[r.seat].agent})` : seats[r.seat].taken ? 'a person' : '—') : ''}</td></tr>))}</tbody>
    </table>
  );
}

// One turn of the step-through: its prices (and their change), production
// by stage and nation, the scores ranked by kind (and their change), and
// its events, for the turn the slider stands on.
function AtTurn({ cur, prev, seats, kindOf }) {
  const nations = Object.keys(cur.production?.mining || {});
  const prevScore = (s) => (prev?.scores || []).find((r) => r.seat === s)?.score;
  const change = (a, b) => (a === undefined || b === undefined || b === 0 ? '' : `${a >= b ? '+' : '−'}${num(Math.abs(a / b - 1) * 100, 1)}%`);
  return (
    <section class="card at-turn" aria-labelledby="h-at-turn" data-testid="at-turn" data-turn={cur.turn}>
      <h2 id="h-at-turn">At turn {cur.turn + 1}</h2>
      <div class="layout">
        <div class="col">
          <table aria-label={`World prices at turn ${cur.turn + 1}`}>
            <thead><tr><th scope="col">Product</th><th scope="col">World price (USD/kg)</th><th scope="col">Change</th></tr></thead>
            <tbody>{Object.keys(PRODUCT_NAMES).filter((p) => cur.prices?.[p]).map((p) => (
              <tr><th scope="row">{pname(p)}</th><td>{num(cur.prices[p], 2)}</td><td>{change(cur.prices[p], prev?.prices?.[p])}</td></tr>))}</tbody>
          </table>
          <div class="table-wrap"><table aria-label={`Production at turn ${cur.turn + 1}`}>
            <thead><tr><th scope="col">Output (t)</th>{nations.map((n) => <th scope="col">{n}</th>)}</tr></thead>
            <tbody>{summaryStages([cur]).map((st) => (
              <tr><th scope="row">{STAGE_NAMES[st]}</th>{nations.map((n) => <td>{num(cur.production?.[st]?.[n])}</td>)}</tr>))}</tbody>
          </table></div>
        </div>
        <div class="col">
          <table aria-label={`Scores at turn ${cur.turn + 1}`}>
            <thead><tr><th scope="col">Seat</th><th scope="col">Kind</th><th scope="col">Score</th><th scope="col">Change</th></tr></thead>
            <tbody>{[...(cur.scores || [])].sort((a, b) => (kindOf(a.seat) === kindOf(b.seat) ? b.score - a.score : kindOf(a.seat) < kindOf(b.seat) ? -1 : 1)).map((r) => {
              const p = prevScore(r.seat);
              return <tr data-seat={r.seat}><th scope="row">{seats[r.seat]?.title || r.seat}</th><td>{kindOf(r.seat)}</td><td>{num(r.score, 3)}</td>
                <td>{p === undefined ? '' : `${r.score >= p ? '+' : '−'}${num(Math.abs(r.score - p), 3)}`}</td></tr>;
            })}</tbody>
          </table>
          {(cur.events || []).length
            ? <ul class="events">{cur.events.map((e) => <li><strong>{e.kind.replace(/_/g, ' ')}</strong>: {e.text}</li>)}</ul>
            : <p class="muted">No events at this turn.</p>}
        </div>
      </div>
    </section>
  );
}
