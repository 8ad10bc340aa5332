// Parts of the facilitator dashboard kept apart from admin.jsx: moving the
// open turn's deadline (session.extend), replacing the admin token
// (session.rotate_admin_token), and the live facts session.status gives
// per seat.
import { useState } from 'preact/hooks';
import { rpc } from './rpc.js';
import { ErrorText } from './ui.jsx';
import { waitingFor } from './facilitator.js';
import './extras.css';

// Buttons that move the deadline by a minute or five, either way, and a
// field for any number of minutes. onMoved gets {deadline_ms, remaining_ms}.
export function ExtendControl({ session, admin_token, disabled, onMoved, say }) {
  const [minutes, setMinutes] = useState('2');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function extend(mins) {
    const seconds = Math.round(Number(mins) * 60);
    if (!Number.isFinite(seconds) || seconds === 0) { setError({ message: 'Give a number of minutes other than 0 (negative: less time).' }); return; }
    if (seconds < 0 && !window.confirm(`Take ${-seconds / 60} min off this turn? If its deadline passes, the turn ends at once.`)) return;
    setBusy(true); setError(null);
    try {
      const r = await rpc().call('session.extend', { session, admin_token, seconds });
      onMoved(r);
      say?.(`deadline moved by ${seconds > 0 ? '+' : ''}${seconds / 60} min`);
    } catch (e) { setError(e); }
    setBusy(false);
  }
  const off = disabled || busy;
  return (
    <div class="extend" role="group" aria-label="Move the deadline of this turn" data-testid="extend">
      <span class="muted small">Deadline:</span>
      <button type="button" disabled={off} onClick={() => extend(-1)} title="One minute less">−1 min</button>
      <button type="button" disabled={off} onClick={() => extend(1)} title="One minute more">+1 min</button>
      <button type="button" disabled={off} onClick={() => extend(5)} title="Five minutes more">+5 min</button>
      <label for="x-minutes" class="sr-only">Minutes to add (negative: less)</label>
      <input id="x-minutes" class="short" inputMode="decimal" value={minutes} onInput={(e) => setMinutes(e.currentTarget.value)} />
      <button type="button" disabled={off} onClick={() => extend(minutes)}>Extend</button>
      <ErrorText error={error} />
    </div>
  );
}

// Replace a leaked admin token. The new one is shown once; this browser
// keeps it (onToken) so the page goes on working, and other browsers that
// held the old one are told (session.admin_rotated).
export function RotateToken({ session, admin_token, onToken, say }) {
  const [shown, setShown] = useState(null);
  const [error, setError] = useState(null);
  async function rotate() {
    if (!window.confirm('Replace the admin token of this session? The old token stops working at once, in every browser and terminal that holds it; this page keeps working with the new one.')) return;
    setError(null);
    try {
      const r = await rpc().call('session.rotate_admin_token', { session, admin_token });
      onToken(r.admin_token);
      setShown(r.admin_token);
      say?.('the admin token was replaced');
    } catch (e) { setError(e); }
  }
  return (
    <div class="rotate">
      <button type="button" onClick={rotate}>New admin token</button>
      {shown ? (
        <p class="banner" role="status" data-testid="new-admin-token">
          New admin token: <code>{shown}</code>. Copy it now if another browser or a terminal must run this session: it is shown only this once (this browser keeps it).
          {' '}<button type="button" class="link" onClick={() => setShown(null)}>hide</button>
        </p>) : null}
      <ErrorText error={error} />
    </div>
  );
}

// One line of session.status's facts for a seat card.
export function SeatStatus({ seat }) {
  if (seat.played_by === undefined) return null;
  const bits = [];
  if (seat.name) bits.push(<span data-testid="player-name">{seat.name}</span>);
  if (seat.played_by === 'person') bits.push(<span class={seat.connected ? 'ok' : 'muted'}>{seat.connected ? 'connected' : 'not connected'}</span>);
  if (seat.played_by !== 'nobody') {
    bits.push(<span>{seat.submitted ? 'orders in' : 'no orders yet'}</span>);
    bits.push(<span class={seat.ready ? 'ok' : ''}>{seat.ready ? 'ready' : 'not ready'}</span>);
  }
  return <div class="seat-status small" data-testid="seat-status">{bits.map((b, i) => <>{i ? ' · ' : ''}{b}</>)}</div>;
}

// Who the open turn still waits for (session.status: not ready; an agent
// always is), by title.
export function WaitingFor({ seats, phase }) {
  if (phase !== 'running' || !seats.some((s) => s.ready !== undefined)) return null;
  const ids = new Set(waitingFor(seats));
  const waiting = seats.filter((s) => ids.has(s.seat));
  return (
    <p class="small" role="status" data-testid="waiting">
      {waiting.length ? <>The turn waits for: {waiting.map((s) => s.title).join(', ')}.</> : 'Every seat is ready.'}
    </p>
  );
}
