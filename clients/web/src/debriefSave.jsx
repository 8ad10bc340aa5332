// The debrief's grading CSV and end-of-game report buttons. With the admin
// token the page asks session.status for the players' names and who played
// each seat; without it (a player's or a projector's debrief) the files say
// that they hold the seats and scores only.
import { useState } from 'preact/hooks';
import { rpc } from './rpc.js';
import { gradingCsv } from './grading.js';
import { download, ErrorText } from './ui.jsx';
import './extras.css';

async function statusFor(session, ident) {
  if (!ident.admin_token) return null;
  try { return await rpc().call('session.status', { session, admin_token: ident.admin_token }); } catch { return null; }
}

export function SaveForGrading({ session, meta, history, ident }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  async function csv() {
    setError(null);
    const status = await statusFor(session, ident);
    const why = ident.admin_token ? 'the server did not answer session.status (an older server, or the admin token was replaced)' : undefined;
    download(`lanthanide-${session}-grades.csv`, gradingCsv({ session: meta || { session }, seats: meta?.seats || [], status, history, ...(why ? { why } : {}) }), 'text/csv');
  }
  async function report() {
    setBusy(true); setError(null);
    try {
      const status = await statusFor(session, ident);
      const { buildReport } = await import('./reportCharts.js');
      const html = await buildReport({ meta: meta || { session }, status, history });
      download(`lanthanide-${session}-report.html`, html, 'text/html');
    } catch (e) { setError(e); }
    setBusy(false);
  }
  return (
    <>
      <button type="button" onClick={csv} disabled={!history.length} data-testid="grading-csv"
        title={ident.admin_token ? 'One row per seat: player, person or agent, final score and rank, score per turn' : 'Without the admin token: the seats and scores, no names'}>Grades (CSV)</button>
      <button type="button" onClick={report} disabled={busy || !history.length} data-testid="save-report">{busy ? 'Drawing…' : 'Save report (HTML)'}</button>
      {ident.admin_token ? null : <span class="hint">Without the facilitator’s token, grades and report hold no player names.</span>}
      <ErrorText error={error} />
    </>
  );
}
