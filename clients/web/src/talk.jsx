// The player's channels and deals (issue 13): every channel the seat reads
// (channels.list, plus its private `dm:` lines), each with its stored
// history (chat.history, paged with `after`) and live messages
// (chat.message with `channel`); posting; opening a channel with chosen
// seats (channel.open; channel.opened adds it); and negotiating contracts
// (contract.propose, .counter, .accept, .withdraw, .negotiations;
// contract.updated refreshes them). The logic is in src/talk.js.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { rpc } from './rpc.js';
import { baseType, checkOrder, fieldNeed, humanize } from './forms.js';
import { FALLBACK_SCHEMA } from './orderSchema.js';
import { ErrorText, PRODUCT_NAMES, num, pname, useNotify } from './ui.jsx';
import {
  channelLabel, contractOf, dmChannel, mergeMessages, messageChannel, negotiationFor, nextAfter, openParams,
  seatChannels, sortNegotiations, termsForm, termsParams, termsText, termsType,
} from './talk.js';

const PAGE = 100;
const fmtTime = (ms) => (ms ? new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '');
const missing = (e) => e && e.code === 'unknown_method';

// ---------- channels ----------

export function Channels({ session, token, me, seats }) {
  const [listed, setListed] = useState(null);
  const [dms, setDms] = useState([]);
  const [channel, setChannel] = useState('all');
  const [msgs, setMsgs] = useState({});
  const [unread, setUnread] = useState({});
  const [old, setOld] = useState(false);
  const [text, setText] = useState('');
  const [error, setError] = useState(null);
  const [opening, setOpening] = useState(false);
  const list = useRef(null);
  const current = useRef(channel);
  current.current = channel;

  async function loadList() {
    try { setListed(await rpc().call('channels.list', { session, token })); } catch (e) { if (missing(e)) setOld(true); else setError(e); }
  }
  // Every page of one channel after what is already here.
  async function loadHistory(ch) {
    try {
      let got = [];
      for (let i = 0, after = 0; i < 20; i++) {
        const page = await rpc().call('chat.history', { session, token, channel: ch, limit: PAGE, ...(after ? { after } : {}) });
        got = got.concat(Array.isArray(page) ? page : []);
        const n = nextAfter(page, PAGE);
        if (n === null) break;
        after = n;
      }
      setMsgs((m) => ({ ...m, [ch]: mergeMessages(m[ch], got) }));
    } catch (e) { if (missing(e)) setOld(true); else if (e.code !== 'not_found') setError(e); }
  }
  // The private lines this seat has used: from one pass over everything it reads.
  async function loadDms() {
    try {
      const page = await rpc().call('chat.history', { session, token, limit: 200 });
      setDms((d) => [...new Set([...d, ...(page || []).map((m) => messageChannel(m, me)).filter((c) => c.startsWith('dm:'))])]);
    } catch (e) { /* older server: nothing to add */ }
  }
  useEffect(() => {
    const off = rpc().onOpen(() => { loadList(); loadDms(); loadHistory(current.current); });
    loadList(); loadDms();
    return off;
  }, [session, token]);
  useEffect(() => { if (!old) loadHistory(channel); setUnread((u) => ({ ...u, [channel]: 0 })); }, [channel, old]);
  useEffect(() => { if (list.current) list.current.scrollTop = list.current.scrollHeight; }, [channel, (msgs[channel] || []).length]);
  useNotify('chat.message', (p) => {
    if (p.session !== session) return;
    const ch = messageChannel(p, me);
    if (ch.startsWith('dm:')) setDms((d) => (d.includes(ch) ? d : [...d, ch]));
    setMsgs((m) => ({ ...m, [ch]: mergeMessages(m[ch], [{ ...p, created_ms: p.created_ms || Date.now() }]) }));
    if (ch !== current.current) setUnread((u) => ({ ...u, [ch]: (u[ch] || 0) + 1 }));
  }, [session, me]);
  useNotify('channel.opened', (p) => {
    if (p.session !== session || !p.channel) return;
    setListed((l) => [...(l || []).filter((c) => c.channel !== p.channel.channel), p.channel]);
    if (p.opened_by !== me) setUnread((u) => ({ ...u, [p.channel.channel]: (u[p.channel.channel] || 0) + 1 }));
  }, [session, me]);

  const chans = useMemo(() => seatChannels(listed || [{ channel: 'all', kind: 'all' }], me, dms), [listed, dms, me]);
  const cur = chans.find((c) => c.channel === channel) || { channel };
  const shown = msgs[channel] || [];
  const others = seats.filter((s) => s !== me);

  async function send(e) {
    e.preventDefault();
    if (!text.trim()) return;
    setError(null);
    try {
      // An older server knows `to` only: everyone or one seat.
      const dm = channel.startsWith('dm:') ? channel.split(':').slice(1).find((s) => s !== me) : null;
      const target = old ? { to: channel === 'all' ? 'all' : dm || 'all' } : { channel };
      const r = await rpc().call('chat.send', { session, token, ...target, text: text.trim() });
      setText('');
      if (r && r.id !== undefined) setMsgs((m) => ({ ...m, [channel]: mergeMessages(m[channel], [{ ...r, from: r.from || me, channel, text: r.text || text.trim() }]) }));
    } catch (err) { setError(err); }
  }
  return (
    <section id="chat" class="card chat talk" aria-labelledby="h-chat">
      <h2 id="h-chat">Channels</h2>
      {old ? <p class="hint">This server has no channels: messages go to everyone or to one seat, and only those since this page opened are shown.</p> : null}
      <div class="talk-body">
        <ul class="channel-list" aria-label="Your channels">{chans.map((c) => (
          <li><button type="button" class={`chan ${c.channel === channel ? 'current' : ''}`} aria-pressed={c.channel === channel} data-channel={c.channel}
            onClick={() => setChannel(c.channel)} title={c.members ? c.members.join(', ') : ''}>
            {channelLabel(c, me)}{unread[c.channel] ? <span class="unread" aria-label={`${unread[c.channel]} new`}> {unread[c.channel]}</span> : null}
          </button></li>))}</ul>
        <div class="channel-view">
          <h3 id="h-channel">{channelLabel(cur, me)} <span class="muted small">{cur.kind === 'control' ? 'your line to the control cell: questions, requests' : cur.members && !['all', 'press'].includes(cur.kind) ? cur.members.join(', ') : ''}</span></h3>
          <ol class="messages" ref={list} aria-live="polite" aria-labelledby="h-channel" data-channel={channel}>
            {shown.length ? shown.map((m) => (
              <li class={`msg ${m.from === me ? 'mine' : ''} ${m.from === 'admin' ? 'from-admin' : ''}`}>
                <span class="from">{m.from === 'admin' ? 'Control' : m.from === me ? 'You' : m.from}</span>{' '}
                <span class="muted small">{m.turn !== undefined ? `turn ${m.turn + 1}` : ''}{m.created_ms ? ` · ${fmtTime(m.created_ms)}` : ''}</span> {m.text}
              </li>)) : <li class="muted">No messages here yet.</li>}
          </ol>
          <form onSubmit={send} class="chat-form">
            <div class="field grow">
              <label for="talk-text">Message to {channelLabel(cur, me)}</label>
              <input id="talk-text" value={text} onInput={(e) => setText(e.currentTarget.value)} maxLength={2000} autocomplete="off" />
            </div>
            <button type="submit">Send</button>
          </form>
          <ErrorText error={error} />
        </div>
      </div>
      <div class="talk-tools">
        <div class="field">
          <label for="talk-dm">Private line to</label>
          <select id="talk-dm" value="" onChange={(e) => { const s = e.currentTarget.value; if (!s) return; const id = dmChannel(me, s); setDms((d) => (d.includes(id) ? d : [...d, id])); setChannel(id); setTimeout(() => document.getElementById('talk-text')?.focus(), 0); }}>
            <option value="">choose a seat…</option>
            {others.map((s) => <option value={s}>{s}</option>)}
          </select>
        </div>
        {old ? null : opening ? <OpenChannel session={session} token={token} me={me} others={others}
          onDone={(c) => {
            setOpening(false);
            if (c) { setListed((l) => [...(l || []).filter((x) => x.channel !== c.channel), c]); setChannel(c.channel); }
            // Focus where the player goes on: the new channel's message box, or back to the button.
            setTimeout(() => document.getElementById(c ? 'talk-text' : 'talk-open')?.focus(), 0);
          }} />
          : <button type="button" id="talk-open" onClick={() => setOpening(true)} data-testid="open-channel">Open a channel…</button>}
      </div>
    </section>
  );
}

function OpenChannel({ session, token, me, others, onDone }) {
  const [members, setMembers] = useState([]);
  const [title, setTitle] = useState('');
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => { document.getElementById('oc-title')?.focus(); }, []);
  async function submit(e) {
    e.preventDefault();
    const p = openParams(me, members, title);
    if (p.field) { setProblem(p); return; }
    setBusy(true); setProblem(null);
    try { onDone(await rpc().call('channel.open', { session, token, ...p.params })); } catch (err) { setProblem({ field: err.field || '', message: err.message, code: err.code }); }
    setBusy(false);
  }
  return (
    <form class="open-channel" onSubmit={submit} aria-label="Open a channel" noValidate>
      <div class={`field ${problem?.field === 'title' ? 'field-bad' : ''}`}>
        <label for="oc-title">Title (optional)</label>
        <input id="oc-title" value={title} onInput={(e) => setTitle(e.currentTarget.value)} autocomplete="off" aria-invalid={problem?.field === 'title'} />
        <p class="hint">At most 96 bytes; without one, the members’ ids.</p>
      </div>
      <fieldset class={problem?.field === 'members' ? 'field-bad' : ''}>
        <legend>With (you are in it)</legend>
        <div class="checks">{others.map((s) => (
          <label class="check"><input type="checkbox" value={s} checked={members.includes(s)}
            onChange={(e) => setMembers(e.currentTarget.checked ? [...members, s] : members.filter((x) => x !== s))} /> {s}</label>))}</div>
      </fieldset>
      {problem ? <p class="error" role="alert">{problem.field ? <strong>{humanize(problem.field)}: </strong> : null}{problem.message}</p> : null}
      <div class="buttons">
        <button type="submit" class="primary" disabled={busy}>Open the channel</button>
        <button type="button" onClick={() => onDone(null)}>Cancel</button>
      </div>
    </form>
  );
}

// ---------- deals ----------

function toValue(raw, f) {
  const t = baseType(f.schema || {});
  if (t === 'boolean') return raw === true ? true : undefined;
  if (raw === '' || raw === undefined || raw === null) return undefined;
  if (t === 'number' || t === 'integer') {
    const n = Number(String(raw).trim().replace(/[, _]/g, ''));
    return Number.isFinite(n) ? n : raw;
  }
  return raw;
}

// The terms of a contract, as a form built from the schema's
// `contract_propose` branch (less `to`): labels, units, ranges, required
// fields and the client's checks as the order form has them; the server's
// refusal (with its field) is shown at the field too.
function TermsForm({ type, initial, prefix, submitLabel, serverProblem, busy, onSubmit, onCancel, children }) {
  const [values, setValues] = useState(initial || {});
  const [problem, setProblem] = useState(null);
  useEffect(() => { setProblem(serverProblem || null); }, [serverProblem]);
  const build = () => {
    const o = { op: 'contract_propose' };
    for (const f of type.fields) { const v = toValue(values[f.name], f); if (v !== undefined) o[f.name] = v; }
    return o;
  };
  function submit(e) {
    e.preventDefault();
    const o = build();
    const p = checkOrder(o, type);
    setProblem(p);
    if (p) { document.getElementById(`${prefix}-${p.field}`)?.focus(); return; }
    onSubmit(termsParams(o));
  }
  const current = build();
  // The formula's fields only once an index is chosen; the rest always.
  const fields = type.fields.filter((f) => !['share', 'floor', 'cap'].includes(f.name) || values.index);
  return (
    <form class="terms-form" onSubmit={submit} noValidate aria-label={submitLabel}>
      {children}
      <div class="terms-grid">
        {fields.map((f) => {
          const s = f.schema || {};
          const t = baseType(s);
          const id = `${prefix}-${f.name}`;
          const bad = problem && problem.field === f.name;
          const v = values[f.name] ?? '';
          const set = (val) => { setValues({ ...values, [f.name]: val }); if (bad) setProblem(null); };
          const need = fieldNeed(type, f, current);
          const range = s.minimum !== undefined || s.maximum !== undefined ? `${num(s.minimum ?? s.exclusiveMinimum ?? 0, 3)} to ${num(s.maximum, 2)}${f.unit ? ` ${f.unit}` : ''}` : '';
          const label = f.label;
          return (
            <div class={`field ${bad ? 'field-bad' : ''}`} data-field={f.name}>
              {t === 'boolean' ? (
                <label class="check"><input id={id} type="checkbox" checked={!!values[f.name]} onChange={(e) => set(e.currentTarget.checked)} aria-describedby={`${id}-hint`} /> {label}</label>
              ) : <>
                <label for={id}>{label}{need?.need === 'required' ? '' : <span class="need"> (optional)</span>}</label>
                {Array.isArray(s.enum) ? (
                  <select id={id} value={v} onChange={(e) => set(e.currentTarget.value)} aria-invalid={bad} aria-describedby={`${id}-hint`}>
                    <option value="">{need ? 'choose…' : '—'}</option>
                    {s.enum.map((o) => <option value={o}>{f.name === 'side' ? (o === 'sell' ? 'sell (you deliver)' : 'buy (you pay)') : pname(o)}</option>)}
                  </select>
                ) : (
                  <div class="with-unit">
                    <input id={id} type="text" inputMode={t === 'number' || t === 'integer' ? 'decimal' : 'text'} value={v} autocomplete="off"
                      onInput={(e) => set(e.currentTarget.value)} aria-invalid={bad} aria-describedby={`${id}-hint`} />
                    {f.unit && f.unit !== 'factor' && f.unit !== 'fraction' ? <span class="unit" aria-hidden="true">{f.unit}</span> : null}
                  </div>
                )}
              </>}
              <p class="hint" id={`${id}-hint`}>{bad ? <span class="error" role="alert">{problem.message}</span> : <>{s.description ? `${s.description.charAt(0).toUpperCase()}${s.description.slice(1)}.` : ''}{range ? ` ${range}.` : ''}</>}</p>
            </div>
          );
        })}
      </div>
      {problem && !fields.some((f) => f.name === problem.field) ? <p class="error" role="alert">{problem.field ? <strong>{humanize(problem.field)}: </strong> : null}{problem.message}</p> : null}
      <div class="buttons">
        <button type="submit" class="primary" disabled={busy}>{submitLabel}</button>
        {onCancel ? <button type="button" onClick={onCancel}>Cancel</button> : null}
      </div>
    </form>
  );
}

const asProblem = (err) => ({ field: err.field || '', message: err.message || String(err), code: err.code });

export function Deals({ session, token, me, seats, schema, contracts, turn }) {
  const type = useMemo(() => termsType(schema) || termsType(FALLBACK_SCHEMA), [schema]);
  const [rows, setRows] = useState(null);
  const [old, setOld] = useState(false);
  const [error, setError] = useState(null);
  const [to, setTo] = useState('');
  const [proposing, setProposing] = useState(false);
  const [proposeProblem, setProposeProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  async function load() {
    try { setRows(await rpc().call('contract.negotiations', { session, token })); } catch (e) { if (missing(e)) setOld(true); else setError(e); }
  }
  useEffect(() => { load(); return rpc().onOpen(() => load()); }, [session, token]);
  useEffect(() => { load(); }, [turn]);
  useNotify('contract.updated', (p) => { if (!p.session || p.session === session) load(); }, [session]);
  const others = seats.filter((s) => s !== me);
  const sorted = sortNegotiations(rows || [], me);

  async function propose(terms) {
    if (!to) { setProposeProblem({ field: 'to', message: 'Choose the seat to propose to' }); return; }
    setBusy(true); setProposeProblem(null);
    try { await rpc().call('contract.propose', { session, token, to, ...terms }); setProposing(false); load(); setTimeout(() => document.getElementById('deal-propose')?.focus(), 0); } catch (err) { setProposeProblem(asProblem(err)); }
    setBusy(false);
  }
  if (old) return null;
  if (!type) return null;
  return (
    <section id="deals" class="card deals" aria-labelledby="h-deals">
      <h2 id="h-deals">Deals</h2>
      <p class="hint">Negotiate a delivery contract with another seat: propose, counter, accept. An accepted deal is signed when the turn resolves and delivers from that turn.</p>
      {sorted.length ? <ol class="negotiations" aria-label="Your negotiations">{sorted.map((n) => (
        <Negotiation n={n} me={me} type={type} session={session} token={token} contracts={contracts} onChange={load} />))}</ol>
        : rows ? <p class="muted">No negotiation yet.</p> : null}
      {proposing ? (
        <TermsForm type={type} prefix="dp" submitLabel="Propose" busy={busy} serverProblem={proposeProblem?.field !== 'to' ? proposeProblem : null}
          initial={{ side: 'sell' }} onSubmit={propose} onCancel={() => { setProposing(false); setProposeProblem(null); setTimeout(() => document.getElementById('deal-propose')?.focus(), 0); }}>
          <div class={`field ${proposeProblem?.field === 'to' ? 'field-bad' : ''}`}>
            <label for="dp-to">Propose to</label>
            <select id="dp-to" value={to} onChange={(e) => setTo(e.currentTarget.value)} aria-invalid={proposeProblem?.field === 'to'}>
              <option value="">choose a seat…</option>
              {others.map((s) => <option value={s}>{s}</option>)}
            </select>
            {proposeProblem?.field === 'to' ? <p class="hint"><span class="error" role="alert">{proposeProblem.message}</span></p> : null}
          </div>
        </TermsForm>
      ) : <button type="button" onClick={() => { setProposing(true); setTimeout(() => document.getElementById('dp-to')?.focus(), 0); }} id="deal-propose" data-testid="propose">Propose a contract…</button>}
      <ErrorText error={error} />
    </section>
  );
}

const STATUS = { open: 'open', countered: 'countered', accepted: 'accepted', withdrawn: 'withdrawn' };

function Negotiation({ n, me, type, session, token, contracts, onChange }) {
  const v = negotiationFor(n, me);
  const [countering, setCountering] = useState(false);
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  async function act(method, extra = {}) {
    setBusy(true); setProblem(null);
    try { await rpc().call(method, { session, token, negotiation: n.negotiation, ...extra }); setCountering(false); onChange(); } catch (err) { setProblem(asProblem(err)); }
    setBusy(false);
  }
  const c = n.status === 'accepted' ? contractOf(n, contracts) : null;
  const author = n.author === me ? 'You' : n.author;
  return (
    <li class={`negotiation neg-${n.status} ${v.canAnswer ? 'neg-yours' : ''}`} data-negotiation={n.negotiation} data-status={n.status}>
      <div class="neg-head">
        <strong>With {v.other}</strong> <span class={`badge neg-badge-${n.status}`}>{STATUS[n.status] || n.status}</span>
        {v.canAnswer ? <span class="badge badge-draft">your move</span> : v.live ? <span class="muted small">waiting for {v.other}</span> : null}
      </div>
      <p class="neg-terms">{author} {termsText(n.terms, PRODUCT_NAMES)} <span class="muted small">(seller {v.seller === me ? 'you' : v.seller}, contract id {n.terms?.id || n.negotiation})</span></p>
      {n.status === 'accepted' ? <p class="small">Agreed: delivers from turn {(n.turn ?? 0) + 1}.{c ? ` In your contracts: ${c.status}, ${num(c.delivered_total ?? 0)} t delivered so far, ${c.turns_left} turn${c.turns_left === 1 ? '' : 's'} left.` : ' It appears in your contracts when that turn resolves.'}</p> : null}
      <details class="neg-steps"><summary>{(n.history || []).length} step{(n.history || []).length === 1 ? '' : 's'}</summary>
        <ol>{(n.history || []).map((h) => <li><strong>{h.seat === me ? 'You' : h.seat}</strong> {h.action}{h.action === 'propose' || h.action === 'counter' ? `: ${termsText(h.terms, PRODUCT_NAMES)}` : ''} <span class="muted small">(turn {h.turn + 1}{h.t_ms ? `, ${fmtTime(h.t_ms)}` : ''})</span></li>)}</ol>
      </details>
      {problem && !countering ? <p class="error" role="alert">{problem.field ? <strong>{humanize(problem.field)}: </strong> : null}{problem.message}</p> : null}
      {v.live ? (
        <div class="buttons">
          {v.canAnswer ? <button type="button" class="primary" disabled={busy} onClick={() => act('contract.accept')} aria-label={`Accept ${n.negotiation} with ${v.other}`}>Accept</button> : null}
          {v.canAnswer && !countering ? <button type="button" disabled={busy} onClick={() => { setCountering(true); setProblem(null); setTimeout(() => document.getElementById(`dc${n.negotiation}-quantity`)?.focus(), 0); }} aria-label={`Counter ${n.negotiation} with ${v.other}`}>Counter…</button> : null}
          <button type="button" disabled={busy} onClick={() => act('contract.withdraw')} aria-label={`Withdraw from ${n.negotiation} with ${v.other}`}>Withdraw</button>
        </div>) : null}
      {countering ? (
        <TermsForm type={type} prefix={`dc${n.negotiation}`} submitLabel="Send counter-offer" busy={busy} serverProblem={problem}
          initial={termsForm(n.terms, { flip: true })} onSubmit={(t) => act('contract.counter', t)} onCancel={() => { setCountering(false); setProblem(null); }}>
          <p class="hint">Your own offer to {v.other}: the side is yours.</p>
        </TermsForm>) : null}
    </li>
  );
}
