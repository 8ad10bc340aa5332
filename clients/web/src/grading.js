// The grading CSV of the debrief: one row per seat with the player's name,
// whether a person or an agent played it (and the agent's strategy), kind,
// title, the final score and its rank among seats of the same kind, and the
// score after each turn. Pure functions, unit-tested in
// tests/unit/grading.test.mjs.

// One CSV field (RFC 4180). A field a spreadsheet would read as a formula
// (=, +, -, @, tab, CR at its start) is prefixed with ' unless it is a
// number we wrote: player names are typed by players.
export function csvField(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
export const csvLine = (fields) => fields.map(csvField).join(',');

// Who played a seat: from session.status when the page holds the admin token,
// else from session.list (which knows an agent, and "someone joined").
export function playedBy(seat, st) {
  if (st) return { played_by: st.played_by, strategy: st.agent || '', name: st.name || '' };
  return { played_by: seat.agent ? 'agent' : seat.taken ? 'person' : 'nobody', strategy: seat.agent || '', name: null };
}

// Ranks among seats of the same kind by score, highest first; equal scores
// share a rank (1, 1, 3).
export function rankByKind(rows) {
  const out = {};
  for (const kind of new Set(rows.map((r) => r.kind))) {
    const list = rows.filter((r) => r.kind === kind && typeof r.score === 'number').sort((a, b) => b.score - a.score);
    list.forEach((r, i) => { out[r.seat] = { rank: i && list[i - 1].score === r.score ? out[list[i - 1].seat].rank : i + 1, of: list.length }; });
  }
  return out;
}

// seats: session.list's seats ({seat, kind, title, agent, taken});
// status: session.status (or null without the admin token); history:
// history.get's summaries. Returns {rows, header, note, csv}.
export function gradingRows({ seats, status, history }) {
  const by = Object.fromEntries((status?.seats || []).map((s) => [s.seat, s]));
  const list = seats.length ? seats : (status?.seats || []);
  const turns = history.map((h) => h.turn);
  const last = history[history.length - 1];
  const scoreAt = (h, seat) => (h?.scores || []).find((r) => r.seat === seat)?.score;
  const rows = list.map((s) => {
    const p = playedBy(s, by[s.seat]);
    return {
      seat: s.seat, kind: s.kind || by[s.seat]?.kind || (/^[A-Z]{3}$/.test(s.seat) ? 'nation' : 'firm'),
      title: s.title || by[s.seat]?.title || s.seat, ...p,
      score: scoreAt(last, s.seat), path: history.map((h) => scoreAt(h, s.seat)),
    };
  });
  const ranks = rankByKind(rows);
  for (const r of rows) Object.assign(r, ranks[r.seat] || { rank: null, of: null });
  return { rows, turns };
}

// why: when there is no status, why not (default: no admin token).
export function gradingCsv({ session, seats, status, history, now = new Date(), why = 'this page does not hold the admin token' }) {
  const { rows, turns } = gradingRows({ seats, status, history });
  const who = status
    ? 'player names and the human/agent flag from session.status (the facilitator\'s view)'
    : `no player names: ${why}, so only the seats, who played them as far as session.list tells (agent or person), and the scores`;
  const note = `# Lanthanide session ${session?.session || ''}${session?.name ? ` (${session.name})` : ''}, map ${session?.map || '?'}, ${history.length} turn(s) resolved, saved ${now.toISOString()}; ${who}. Scores: nations a weighted score of security, value added and budget; firms net worth over opening net worth. Ranks are among seats of the same kind.`;
  const header = ['seat', 'kind', 'title', 'player_name', 'played_by', 'human', 'strategy', 'final_score', 'rank_in_kind', 'seats_of_kind', ...turns.map((t) => `score_turn_${t + 1}`)];
  const lines = [note.replace(/[\r\n]/g, ' '), csvLine(header)];
  for (const r of rows) {
    lines.push(csvLine([r.seat, r.kind, r.title, r.name ?? '', r.played_by, r.played_by === 'person' ? 'yes' : 'no', r.strategy,
      r.score ?? '', r.rank ?? '', r.of ?? '', ...r.path.map((v) => v ?? '')]));
  }
  return `${lines.join('\r\n')}\r\n`;
}
