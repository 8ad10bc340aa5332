// The facilitator dashboard: #/admin and #/admin?session=S
import { useEffect, useState } from 'preact/hooks';
import { findSession, listSessions, rpc } from './rpc.js';
import { Chat } from './chat.jsx';
import { ExtendControl, RotateToken, SeatStatus, WaitingFor } from './dashboard.jsx';
import { clockFrom, emptySeats, mergeStatus, seatState } from './facilitator.js';
import {
  Chart, ConnectionBadge, Countdown, ErrorText, QR, absUrl, href, num, pname, store, useNotify,
  STAGE_NAMES, summaryStages, tradedProducts,
} from './ui.jsx';

const mySessions = () => store.get('admin.sessions', []);

function CreateForm({ onCreated }) {
  const [maps, setMaps] = useState([]);
  const [map, setMap] = useState('classroom');
  const [name, setName] = useState('');
  const [turns, setTurns] = useState('');
  const [minutes, setMinutes] = useState('5');
  const [seed, setSeed] = useState('');
  const [spectators, setSpectators] = useState(true);
  const [fixed, setFixed] = useState(false);
  const [scripted, setScripted] = useState(true);
  const [review, setReview] = useState(false);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => rpc().onOpen(async (r) => {
    try {
      const m = await r.call('maps.list');
      setMaps(m);
      if (!m.find((x) => x.id === 'classroom') && m[0]) setMap(m[0].id);
    } catch (e) { setError(e); }
  }), []);
  const chosen = maps.find((m) => m.id === map);
  async function submit(e) {
    e.preventDefault();
    setBusy(true); setError(null);
    const p = { map, spectators };
    if (name.trim()) p.name = name.trim();
    if (turns !== '') p.turns = Number(turns);
    const secs = Number(minutes) * 60;
    if (minutes !== '' && secs > 0) p.turn_seconds = secs;
    if (fixed) p.fixed = true;
    // Sent only when not the default, so that an older server is not asked
    // for something it does not know (it ignores unknown keys anyway).
    if (!scripted) p.scripted_events = false;
    if (review) p.review = true;
    if (seed !== '') p.seed = Number(seed);
    try {
      const r = await rpc().call('session.create', p);
      store.set(`admin.${r.session}`, { ...r, name: p.name || '', map, turn_seconds: p.turn_seconds || 0, created: Date.now() });
      store.set('admin.sessions', [r.session, ...mySessions().filter((s) => s !== r.session)]);
      onCreated(r.session);
    } catch (err) {
      setError(err);
      if (err.field) document.getElementById(`c-${err.field}`)?.focus();
    }
    setBusy(false);
  }
  return (
    <form class="card create" onSubmit={submit} aria-labelledby="h-create">
      <h2 id="h-create">New session</h2>
      <div class="field"><label for="c-map">Map</label>
        <select id="c-map" value={map} onChange={(e) => setMap(e.currentTarget.value)}>
          {maps.map((m) => <option value={m.id}>{m.title} ({m.seats} seats, {m.turns} turns)</option>)}
        </select></div>
      <div class="field"><label for="c-name">Name (optional)</label>
        <input id="c-name" value={name} onInput={(e) => setName(e.currentTarget.value)} maxLength={95} placeholder="e.g. Policy 101, group B" /></div>
      <div class="grid2">
        <div class="field"><label for="c-turns">Turns</label>
          <input id="c-turns" inputMode="numeric" value={turns} onInput={(e) => setTurns(e.currentTarget.value)} placeholder={chosen ? `${chosen.turns} (the map’s)` : ''} aria-describedby="c-turns-hint" />
          <p class="hint" id="c-turns-hint">1 to {chosen ? chosen.turns : 'the map’s number'}; one turn is a quarter.</p></div>
        <div class="field"><label for="c-turn_seconds">Minutes per turn</label>
          <input id="c-turn_seconds" inputMode="decimal" value={minutes} onInput={(e) => setMinutes(e.currentTarget.value)} aria-describedby="c-min-hint" />
          <p class="hint" id="c-min-hint">0 or empty: no deadline (you advance the turns).</p></div>
      </div>
      <div class="field"><label for="c-seed">Seed (optional)</label>
        <input id="c-seed" inputMode="numeric" value={seed} onInput={(e) => setSeed(e.currentTarget.value)} aria-describedby="c-seed-hint" />
        <p class="hint" id="c-seed-hint">The same map, seed and orders replay the same game.</p></div>
      <label class="check"><input type="checkbox" checked={spectators} onChange={(e) => setSpectators(e.currentTarget.checked)} /> Allow spectators (a projector can follow without a token)</label>
      <label class="check"><input id="c-fixed" type="checkbox" checked={fixed} onChange={(e) => setFixed(e.currentTarget.checked)} /> Fixed-length turns (do not end early when everyone is ready)</label>
      <details class="wargame-opts">
        <summary>Wargame options (control cell)</summary>
        <label class="check"><input id="c-scripted_events" type="checkbox" checked={scripted} onChange={(e) => setScripted(e.currentTarget.checked)} /> Run the scenario’s scripted events (its history)</label>
        <label class="check"><input id="c-review" type="checkbox" checked={review} onChange={(e) => setReview(e.currentTarget.checked)} /> Review each turn before the players see it (control releases it)</label>
      </details>
      <ErrorText error={error} />
      <button class="primary" type="submit" disabled={busy || !maps.length}>{busy ? 'Creating…' : 'Create session'}</button>
    </form>
  );
}

function SessionList() {
  const [all, setAll] = useState([]);
  useEffect(() => rpc().onOpen(async (r) => { try { setAll(await listSessions((m, p) => r.call(m, p))); } catch { /* */ } }), []);
  const mine = new Set(mySessions());
  return (
    <section class="card" aria-labelledby="h-sessions">
      <h2 id="h-sessions">Sessions on this server</h2>
      {all.length ? (
        <div class="table-wrap"><table>
          <thead><tr><th scope="col">Session</th><th scope="col">Name</th><th scope="col">Map</th><th scope="col">Status</th><th scope="col">Turn</th><th scope="col"></th></tr></thead>
          <tbody>{all.map((s) => (
            <tr><th scope="row">{s.session}</th><td>{s.name}</td><td>{s.map}</td><td>{s.status}</td><td>{Math.min(s.turn + 1, s.turns)} / {s.turns}</td>
              <td>{mine.has(s.session) ? <><a href={href('/admin', { session: s.session })}>manage</a>{' · '}<a href={href('/control', { session: s.session })}>control</a></> : <span class="muted">not created here</span>}
                {' · '}<a href={href('/debrief', { session: s.session })}>debrief</a></td></tr>))}</tbody>
        </table></div>
      ) : <p class="muted">No sessions yet.</p>}
      <p class="hint">Admin tokens and join codes are shown only when a session is created; this browser keeps those of the sessions it created.</p>
      <ImportForm />
    </section>
  );
}

// Run a session created elsewhere (say with `lanthanide admin create`) from
// its admin token. Join codes cannot be recovered from the server.
function ImportForm() {
  const [session, setSession] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState(null);
  async function submit(e) {
    e.preventDefault();
    setError(null);
    try {
      await rpc().call('session.watch', { session: session.trim(), admin_token: token.trim() });
      const s = await findSession((m, p) => rpc().call(m, p), session.trim());
      store.set(`admin.${session.trim()}`, { session: session.trim(), admin_token: token.trim(), seats: (s?.seats || []).map((x) => ({ ...x, join_code: null })), name: s?.name || '', map: s?.map || '', turn_seconds: 0, imported: true });
      store.set('admin.sessions', [session.trim(), ...mySessions().filter((x) => x !== session.trim())]);
      location.hash = href('/admin', { session: session.trim() });
    } catch (err) { setError(err); }
  }
  return (
    <details>
      <summary>Run a session created elsewhere (with its admin token)</summary>
      <form onSubmit={submit}>
        <div class="field"><label for="i-session">Session</label><input id="i-session" value={session} onInput={(e) => setSession(e.currentTarget.value)} autocomplete="off" /></div>
        <div class="field"><label for="i-token">Admin token</label><input id="i-token" value={token} onInput={(e) => setToken(e.currentTarget.value)} autocomplete="off" spellcheck={false} /></div>
        <ErrorText error={error} />
        <button type="submit">Open</button>
      </form>
    </details>
  );
}

function SeatCard({ seat, info, strategies, onBot, onLock, onReissue, onRevoke, busy, score, finished }) {
  const [strategy, setStrategy] = useState('');
  const fit = strategies.filter((s) => !s.kinds || s.kinds.includes(seat.kind));
  useEffect(() => { if (!strategy && fit.length) setStrategy((fit.find((s) => s.id !== 'random' && s.id !== 'standing') || fit[0]).id); }, [fit.length]);
  const link = absUrl(href('/play', { session: info.session, code: seat.join_code }));
  const state = seatState(seat);
  // A seatless seat (issue 11): its standing orders play it; no join code,
  // no agent, no seat control.
  if (state === 'standing') {
    return (
      <li class="seat seat-standing" data-seat={seat.seat}>
        <div class="seat-head">
          <strong>{seat.title}</strong> <span class="muted">{seat.seat} · {seat.kind}</span>
          <span class="badge badge-standing">standing orders</span>
          {score ? <span class="seat-score noprint">score {num(score.score, 3)} (#{score.rank})</span> : null}
        </div>
        <p class="small muted">Played by its standing orders on this map: nobody joins it and no agent takes it, so it has no join code.</p>
      </li>
    );
  }
  return (
    <li class={`seat seat-${state}`} data-seat={seat.seat}>
      <div class="seat-head">
        <strong>{seat.title}</strong> <span class="muted">{seat.seat} · {seat.kind}</span>
        <span class={`badge badge-${state}`}>{state === 'agent' ? `agent: ${seat.agent}` : state === 'person' ? 'a person joined' : 'empty'}</span>
        {seat.locked ? <span class="badge badge-locked">locked</span> : null}
        {score ? <span class="seat-score noprint">score {num(score.score, 3)} (#{score.rank})</span> : null}
      </div>
      <SeatStatus seat={seat} />
      <div class="seat-code">
        {seat.join_code ? <QR text={link} size={120} label={`QR code to join as ${seat.title}`} /> : null}
        <div>
          <div class="code" aria-label={`join code of ${seat.title}`}>{seat.join_code || '—'}</div>
          <a class="small" href={link}>join link</a>
        </div>
      </div>
      <p class="print-only small">Or open {absUrl(href('/play'))} and type session <strong>{info.session}</strong> and the code above.</p>
      <div class="seat-actions noprint">
        <label for={`bot-${seat.seat}`} class="sr-only">Agent for {seat.title}</label>
        <select id={`bot-${seat.seat}`} value={strategy} onChange={(e) => setStrategy(e.currentTarget.value)}>
          {fit.map((s) => <option value={s.id} title={s.description}>{s.id}</option>)}
        </select>
        <button type="button" disabled={busy || !strategy || finished} onClick={() => onBot(seat, strategy)}>
          {seat.agent ? 'Change agent' : 'Give to agent'}
        </button>
      </div>
      <div class="seat-actions seat-control noprint" role="group" aria-label={`Control of ${seat.title}`}>
        <button type="button" disabled={busy} onClick={() => onLock(seat, !seat.locked)} aria-pressed={!!seat.locked}
          title={seat.locked ? 'Let the join code be used again' : 'Refuse the join code; whoever holds the seat keeps it'}>
          {seat.locked ? 'Unlock' : 'Lock'}
        </button>
        <button type="button" disabled={busy} onClick={() => onReissue(seat)} title="A new join code; the old one stops working">New code</button>
        <button type="button" class="danger" disabled={busy} onClick={() => onRevoke(seat)} title="Throw out whoever holds the seat">Revoke (kick)</button>
      </div>
    </li>
  );
}

function SessionPanel({ session }) {
  const info = store.get(`admin.${session}`);
  const admin_token = info?.admin_token;
  const [listing, setListing] = useState(null);
  const [strategies, setStrategies] = useState([]);
  const [history, setHistory] = useState([]);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [clock, setClock] = useState({ deadlineAt: null, frozenMs: null });
  const [log, setLog] = useState([]);
  const [, setRev] = useState(0); // bumped when this browser's copy of the session changes
  const [rotated, setRotated] = useState(false);
  const [status, setStatus] = useState(null); // session.status; null: not known (an older server)
  const say = (t) => setLog((l) => [`${new Date().toLocaleTimeString()}: ${t}`, ...l].slice(0, 30));

  // The admin token is read afresh at each call: session.rotate_admin_token
  // replaces it while the page runs.
  const tok = () => store.get(`admin.${session}`)?.admin_token;
  async function poll() {
    try {
      setListing(await findSession((m, p) => rpc().call(m, p), session));
    } catch (e) { setError(e); }
    // session.status: who is connected and ready, and the real deadline.
    try {
      const st = await rpc().call('session.status', { session, admin_token: tok() });
      setStatus(st);
      setClock(clockFrom(st, Date.now(), st.status));
    } catch { setStatus(null); }
  }
  useEffect(() => {
    if (!admin_token) return undefined;
    const off = rpc().onOpen(async (r) => {
      try {
        await r.call('session.watch', { session, admin_token: tok() });
        setStrategies(await r.call('strategies.list'));
        setHistory(await r.call('history.get', { session, admin_token: tok() }));
        await poll();
      } catch (e) { setError(e); }
    });
    const t = setInterval(poll, 4000);
    return () => { off(); clearInterval(t); };
  }, [session]);

  const secs = info?.turn_seconds || 0;
  const turnOpened = () => setClock({ deadlineAt: secs ? Date.now() + secs * 1000 : null, frozenMs: null });
  useNotify('session.started', (p) => { if (p.session === session) { turnOpened(); say('the game started'); poll(); } }, [session]);
  useNotify('turn.resolved', (p) => {
    if (p.session !== session) return;
    turnOpened();
    say(`turn ${p.turn + 1} resolved`);
    setHistory((h) => [...h.filter((x) => x.turn !== p.turn), { ...p.summary, turn: p.turn }].sort((a, b) => a.turn - b.turn));
    poll();
  }, [session]);
  useNotify('session.paused', (p) => { if (p.session === session) { setClock((c) => ({ deadlineAt: null, frozenMs: c.deadlineAt ? c.deadlineAt - Date.now() : null })); say('paused'); poll(); } }, [session]);
  useNotify('session.resumed', (p) => { if (p.session === session) { setClock((c) => ({ deadlineAt: c.frozenMs != null ? Date.now() + c.frozenMs : null, frozenMs: null })); say('resumed'); poll(); } }, [session]);
  // Another browser replaced the admin token: this one no longer sees
  // private chat, and its admin token no longer works.
  useNotify('session.admin_rotated', (p) => { if (p.session === session) { setRotated(true); say('the admin token was replaced elsewhere'); } }, [session]);
  useNotify('session.extended', (p) => { if (p.session === session) { setClock(clockFrom(p)); say(`the deadline moved: ${Math.round(p.remaining_ms / 1000)} s left`); } }, [session]);
  useNotify('session.finished', (p) => { if (p.session === session) { setClock({ deadlineAt: null, frozenMs: null }); say('the game is over'); poll(); } }, [session]);

  if (!admin_token) {
    return <main class="narrow"><p class="error">This browser does not hold the admin token of session {session}. Only the browser that created a session can run it.</p><a href={href('/admin')}>Back</a></main>;
  }

  async function act(method, confirmText) {
    if (confirmText && !window.confirm(confirmText)) return;
    setBusy(true); setError(null);
    try { const r = await rpc().call(method, { session, admin_token }); say(`${method}: ${r.status}`); await poll(); } catch (e) { setError(e); }
    setBusy(false);
  }
  async function bot(seat, strategy, ask = true) {
    // A person's seat is given to an agent only after the facilitator said
    // yes, and then with force (the server refuses it otherwise).
    const person = seat.taken && !seat.agent;
    if (ask && person && !window.confirm(`A person has joined ${seat.title} (${seat.seat}). Replace them with the agent "${strategy}"? They are told, and can take the seat back by joining again unless you also revoke their access.`)) return false;
    setBusy(true); setError(null);
    try { await rpc().call('session.bot', { session, admin_token, seat: seat.seat, strategy, ...(ask && person ? { force: true } : {}) }); say(`${seat.seat} played by ${strategy}`); } catch (e) { setError(e); setBusy(false); return false; }
    setBusy(false);
    await poll();
    return true;
  }
  async function fillEmpty() {
    // Ask the server first: someone may have joined since the last poll, and a
    // person must never be replaced without being asked.
    let fresh;
    try { fresh = await findSession((m, p) => rpc().call(m, p), session); } catch (e) { setError(e); return; }
    if (fresh) setListing(fresh);
    const empty = emptySeats(fresh?.seats || seats);
    for (const s of empty) {
      const sel = document.getElementById(`bot-${s.seat}`);
      const strategy = sel?.value || (strategies.find((x) => !x.kinds || x.kinds.includes(s.kind)) || {}).id;
      if (!(await bot(s, strategy, false))) break;
    }
  }
  // Seat control (docs/protocol.md "Seat control"). What the server does
  // not list (a seat's lock, its current code) this browser keeps with the
  // session's admin token.
  function keep(change) {
    store.set(`admin.${session}`, change(store.get(`admin.${session}`)));
    setRev((n) => n + 1);
  }
  async function seatCall(method, seat, extra = {}) {
    setBusy(true); setError(null);
    try { return await rpc().call(method, { session, admin_token, seat: seat.seat, ...extra }); } catch (e) { setError(e); return null; } finally { setBusy(false); }
  }
  async function lock(seat, locked) {
    const r = await seatCall('seat.lock', seat, { locked });
    if (!r) return;
    keep((i) => ({ ...i, locked: { ...(i.locked || {}), [seat.seat]: r.locked } }));
    say(`${seat.seat} ${r.locked ? 'locked: its join code is refused, whoever holds it keeps it' : 'unlocked'}`);
  }
  async function reissue(seat) {
    if (!window.confirm(`Give ${seat.title} (${seat.seat}) a new join code? The old code stops working at once; whoever holds the seat keeps it.`)) return;
    const r = await seatCall('seat.reissue_code', seat);
    if (!r) return;
    keep((i) => ({ ...i, seats: (i.seats?.length ? i.seats : seats).map((x) => (x.seat === seat.seat ? { ...x, join_code: r.join_code } : x)) }));
    say(`${seat.seat} has a new join code: ${r.join_code}`);
  }
  async function revoke(seat) {
    if (!window.confirm(`Throw out whoever holds ${seat.title} (${seat.seat})? Their access stops at once and they are told. Its join code stops working too: press “New code” to give the seat to someone else. An agent on the seat keeps playing.`)) return;
    const r = await seatCall('seat.rotate_token', seat);
    if (!r) return;
    keep((i) => ({ ...i, seats: (i.seats?.length ? i.seats : seats).map((x) => (x.seat === seat.seat ? { ...x, join_code: null } : x)) }));
    say(`${seat.seat}: access revoked; press New code to give it out again`);
    await poll();
  }

  function printCodes() {
    document.body.classList.add('print-codes');
    const done = () => { document.body.classList.remove('print-codes'); removeEventListener('afterprint', done); };
    addEventListener('afterprint', done);
    window.print();
  }

  const codes = Object.fromEntries((info.seats || []).map((s) => [s.seat, s.join_code]));
  const locks = info.locked || {};
  const seats = mergeStatus((listing?.seats || info.seats || []).map((s) => ({ ...s, join_code: codes[s.seat], locked: s.locked ?? locks[s.seat] ?? false })), status);
  const phase = status?.status || listing?.status || 'lobby';
  const x = history.map((h) => h.turn + 1);
  const nations = history.length ? Object.keys(history[history.length - 1].production?.mining || {}) : [];
  const spectate = absUrl(href('/debrief', { session }));
  // Last resolved turn's scores, ranked among seats of the same kind.
  const ranks = {};
  const lastScores = history.length ? history[history.length - 1].scores || [] : [];
  for (const kind of ['nation', 'firm']) {
    const kinds = Object.fromEntries(seats.map((x) => [x.seat, x.kind]));
    lastScores.filter((x) => kinds[x.seat] === kind).sort((a, b) => b.score - a.score)
      .forEach((x, i) => { ranks[x.seat] = { score: x.score, rank: i + 1 }; });
  }

  return (
    <div class="admin">
      <header class="topbar">
        <div class="who"><strong>{info.name || session}</strong> <span class="muted">{session} · {info.map}</span></div>
        <span class={`status status-${phase}`} data-testid="status">{phase}{listing ? ` · turn ${Math.min(listing.turn + 1, listing.turns)} / ${listing.turns}` : ''}</span>
        {!secs || clock.deadlineAt || clock.frozenMs != null
          ? <Countdown deadlineAt={clock.deadlineAt} frozenMs={clock.frozenMs} status={phase} approx={!clock.exact} />
          : phase === 'running' ? <span class="countdown muted">{num(secs / 60, 1)} min turns</span> : null}
        <ConnectionBadge />
      </header>
      {rotated ? <p class="banner error-banner" role="alert">The admin token of this session was replaced from another browser: this page can no longer run the session. Open it with the new token (“Run a session created elsewhere” on the facilitator page).</p> : null}
      <ErrorText error={error} />
      <section class="card controls noprint" aria-label="Game controls">
        {phase === 'lobby' ? <button type="button" class="primary" disabled={busy} onClick={() => act('session.start')}>Start the game</button> : null}
        {phase === 'running' ? <button type="button" disabled={busy} onClick={() => act('session.pause')}>Pause</button> : null}
        {phase === 'paused' ? <button type="button" class="primary" disabled={busy} onClick={() => act('session.resume')}>Resume</button> : null}
        {phase === 'running' ? <button type="button" disabled={busy} onClick={() => act('session.advance', 'End this turn now? Seats that sent nothing play their standing orders.')}>Advance now</button> : null}
        {phase !== 'finished' ? <button type="button" disabled={busy} onClick={() => act('session.stop', 'Stop the game for good? The open turn will not be played.')}>Stop</button> : null}
        <button type="button" disabled={busy || !emptySeats(seats).length || phase === 'finished'} onClick={fillEmpty}>Agents take the empty seats</button>
        <button type="button" onClick={printCodes}>Print join cards</button>
        <a href={href('/control', { session })} data-testid="control-link">Control view</a>
        <a href={href('/debrief', { session })}>Debrief</a>
        {info.imported ? <p class="hint">Opened from an admin token: join codes are shown only to whoever created the session.</p> : secs || status?.remaining_ms != null ? <p class="hint">{secs ? `Turns last ${num(secs / 60, 1)} min; ` : ''}{clock.exact ? 'the countdown is the server’s deadline.' : 'the countdown is estimated from when the turn opened (this server has no session.status).'}</p> : <p class="hint">No deadline: a turn ends when every seat is ready, or when you press Advance now.</p>}
        {(phase === 'running' || phase === 'paused') && (secs || status?.remaining_ms != null) ? <ExtendControl session={session} admin_token={admin_token} disabled={busy} say={say} onMoved={(r) => setClock(clockFrom(r, Date.now(), phase))} /> : null}
        <RotateToken session={session} admin_token={admin_token} say={say} onToken={(t) => { keep((i) => ({ ...i, admin_token: t })); setRotated(false); }} />
      </section>

      <section aria-labelledby="h-seats" class="seats-section">
        <h2 id="h-seats">Seats and join codes</h2>
        <WaitingFor seats={seats} phase={phase} />
        <p class="print-only">Session {session}{info.name ? ` (${info.name})` : ''}: open the link or scan the code, then press Join.</p>
        <ul class="seats">{seats.map((s) => <SeatCard seat={s} info={{ session }} strategies={strategies} onBot={bot} onLock={lock} onReissue={reissue} onRevoke={revoke} busy={busy} score={ranks[s.seat]} finished={phase === 'finished'} />)}</ul>
        <p class="hint noprint">{status ? 'Each card: the player’s name, whether they are connected now, and whether their orders are in and they are ready for this turn.' : '“A person joined” stays true after they leave; this server does not report who is ready (no session.status).'}</p>
      </section>

      <div class="layout noprint">
        <div class="col">
          <section class="card" aria-labelledby="h-market">
            <h2 id="h-market">Market, live</h2>
            <Chart title="World prices (USD/kg, log scale)" x={x} log fmt={(v) => num(v, 2)}
              series={tradedProducts(history).map((p) => ({ label: pname(p), values: history.map((h) => h.prices?.[p]) }))} />
            {summaryStages(history).map((st) => (
              <Chart title={`${STAGE_NAMES[st]} output by nation (t per turn)`} x={x} fmt={(v) => num(v)} height={180}
                series={nations.map((n) => ({ label: n, values: history.map((h) => h.production?.[st]?.[n] ?? 0) }))} />
            ))}
          </section>
        </div>
        <div class="col">
          <Chat session={session} identity={{ admin_token }} me="admin" seats={seats.map((s) => s.seat)} title="Messages (you see all)" broadcast />
          <section class="card" aria-labelledby="h-log"><h2 id="h-log">Log</h2>
            <ul class="log">{log.map((l) => <li>{l}</li>)}</ul></section>
          <section class="card"><h2>Projector</h2><p>Spectators follow the debrief page:</p><QR text={spectate} size={140} label="QR code of the debrief page" /><p class="small">{spectate}</p></section>
        </div>
      </div>
    </div>
  );
}

export function Admin({ params }) {
  if (params.session) return <SessionPanel session={params.session} />;
  return (
    <main>
      <header class="topbar"><div class="who"><strong>Facilitator</strong></div><ConnectionBadge /></header>
      <div class="layout">
        <div class="col"><CreateForm onCreated={(s) => { location.hash = href('/admin', { session: s }); }} /></div>
        <div class="col"><SessionList /></div>
      </div>
    </main>
  );
}
