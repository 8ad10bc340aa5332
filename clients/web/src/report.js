// The end-of-game report: one self-contained HTML file (inline CSS, inline
// SVG charts, no script) with the session's facts, the final standings
// (nations and firms ranked apart), the debrief's charts and each turn's
// events; printable (a print stylesheet inside). This module is pure: it
// turns the data into chart specifications and, given each chart's SVG
// (reportCharts.js draws them with Chartist in the browser), into the HTML.
// Unit-tested in tests/unit/report.test.mjs.
import { gradingRows } from './grading.js';

export const PRODUCTS = { concentrate: 'Concentrate', ndpr_oxide: 'NdPr oxide', dytb_oxide: 'Dy/Tb oxide', lace_oxide: 'La/Ce oxide', magnet: 'Magnets', dy_oxide: 'Dy oxide', tb_oxide: 'Tb oxide', magnet_scrap: 'Magnet scrap' };
// recycling (issue 11, design J4) only where the summaries have it
export const STAGES = { mining: 'Mining', separation: 'Separation', magnet: 'Magnets', recycling: 'Recycling' };
export const REPORT_PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f', '#393b79', '#637939', '#843c39', '#7b4173', '#3182bd', '#e6550d', '#31a354', '#756bb1', '#636363', '#969696'];

export function esc(v) {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}
export function fmt(v, d = 3) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return Number(v).toLocaleString('en-US', { maximumFractionDigits: d });
}

const nationsOf = (history) => {
  const h = history[history.length - 1];
  return h ? Object.keys(h.production?.mining || h.regional?.concentrate || {}) : [];
};
const share = (h, st, n) => {
  const m = h.production?.[st] || {};
  const tot = Object.values(m).reduce((a, b) => a + b, 0);
  return tot > 0 ? (m[n] || 0) / tot : 0;
};

// The charts of the report, in order: {id, section, title, unit, type
// ('line' or 'stacked'), labels (turn numbers), series [{name, values}]}.
// Capacity and supply security appear only when the turn summaries carry
// them (`capacity`: stage -> nation -> t/yr; `security`: nation -> fraction).
export function reportCharts(history, rows) {
  const labels = history.map((h) => h.turn + 1);
  const nations = nationsOf(history);
  const out = [];
  for (const p of Object.keys(PRODUCTS)) {
    // a product the map lacks has no price (or 0) throughout (design J1)
    if (!history.some((h) => h.prices?.[p])) continue;
    out.push({ id: `price-${p}`, section: 'prices', title: `${PRODUCTS[p]}: buyers’ price by nation`, unit: 'USD/kg', type: 'line', labels,
      series: [{ name: 'World', values: history.map((h) => h.prices?.[p] ?? null) },
        ...nations.map((n) => ({ name: n, values: history.map((h) => h.regional?.[p]?.[n] ?? null) }))] });
  }
  const stages = Object.keys(STAGES).filter((st) => st !== 'recycling' || history.some((h) => h.production?.[st]));
  for (const st of stages) {
    out.push({ id: `share-${st}`, section: 'shares', title: `${STAGES[st]}: share of world output by nation`, unit: 'fraction of world output', type: 'stacked', labels,
      series: nations.map((n) => ({ name: n, values: history.map((h) => share(h, st, n)) })) });
  }
  if (history.some((h) => h.capacity)) {
    for (const st of stages) {
      out.push({ id: `capacity-${st}`, section: 'capacity', title: `${STAGES[st]} capacity by nation`, unit: 't/yr', type: 'line', labels,
        series: nations.map((n) => ({ name: n, values: history.map((h) => h.capacity?.[st]?.[n] ?? null) })) });
    }
  }
  if (history.some((h) => h.security)) {
    out.push({ id: 'security', section: 'security', title: 'Supply security by nation', unit: 'share of demand met from own or allied supply', type: 'line', labels,
      series: Object.keys(history.find((h) => h.security).security).map((n) => ({ name: n, values: history.map((h) => h.security?.[n] ?? null) })) });
  }
  for (const kind of ['nation', 'firm']) {
    const list = rows.filter((r) => r.kind === kind);
    if (!list.length) continue;
    out.push({ id: `score-${kind}`, section: 'scores', title: kind === 'nation' ? 'Score path of each nation' : 'Score path of each firm (net worth / opening)', unit: 'score', type: 'line', labels,
      series: list.map((r) => ({ name: r.title, values: r.path.map((v) => v ?? null) })) });
  }
  return out;
}

const CSS = `
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f23; margin: 0 auto; max-width: 980px; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; } h2 { font-size: 1.25rem; margin: 1.8rem 0 .6rem; border-bottom: 2px solid #2b5d8a; padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; }
.muted { color: #5a6570; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .8rem 0; } dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #d8dde2; } td.num, th.num { text-align: right; }
.standings { display: grid; grid-template-columns: 1fr 1fr; gap: 1.5rem; }
figure.chart { margin: 0 0 1.2rem; break-inside: avoid; page-break-inside: avoid; }
figure.chart figcaption { font-weight: 600; margin-bottom: .2rem; } figure.chart figcaption span { font-weight: 400; color: #5a6570; }
figure.chart svg { display: block; width: 100%; height: auto; max-width: 900px; }
ul.legend { list-style: none; padding: 0; margin: .2rem 0 0; display: flex; flex-wrap: wrap; gap: .2rem .9rem; font-size: .85rem; }
ul.legend li::before { content: ""; display: inline-block; width: .9em; height: .9em; margin-right: .3em; vertical-align: -.1em; background: var(--c); border-radius: 2px; }
.charts2 { display: grid; grid-template-columns: 1fr 1fr; gap: 0 1.5rem; }
ol.turns { padding-left: 0; list-style: none; } ol.turns > li { margin-bottom: .5rem; break-inside: avoid; } ol.turns ul { margin: .2rem 0; }
.note { background: #fff4d6; padding: .4rem .6rem; border-radius: 4px; }
footer { margin-top: 2rem; font-size: .85rem; color: #5a6570; }
/* Chartist's classes, for the SVG it draws */
.ct-grid { stroke: #c8ced4; stroke-width: 1px; stroke-dasharray: 2px; }
.ct-label { fill: #4a545e; font-size: 11px; }
.ct-line { fill: none; stroke-width: 2.5px; } .ct-point { stroke-width: 7px; stroke-linecap: round; }
.ct-bar { fill: none; stroke-width: 18px; }
@media (max-width: 700px) { .standings, .charts2 { grid-template-columns: 1fr; } body { padding: .8rem; } }
@media print {
  @page { size: A4; margin: 14mm; }
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  section.charts, section.turns { break-before: page; page-break-before: always; }
  a { color: inherit; text-decoration: none; }
  .note { border: 1px solid #8a5a00; background: none; }
}
`;

function seriesCss(n) {
  let css = '';
  for (let i = 0; i < n; i++) {
    const c = REPORT_PALETTE[i % REPORT_PALETTE.length];
    css += `.s${i} .ct-line, .s${i} .ct-point, .s${i} .ct-bar { stroke: ${c}; }\n`;
  }
  return css;
}

function legend(spec) {
  return `<ul class="legend">${spec.series.map((s, i) => `<li style="--c:${REPORT_PALETTE[i % REPORT_PALETTE.length]}">${esc(s.name)}</li>`).join('')}</ul>`;
}
function figure(spec, svg) {
  return `<figure class="chart" id="${esc(spec.id)}"><figcaption>${esc(spec.title)} <span>(${esc(spec.unit)}; x: turn)</span></figcaption>${svg || '<p class="muted">No data.</p>'}${legend(spec)}</figure>`;
}
function standingsTable(rows, kind, named) {
  const list = rows.filter((r) => r.kind === kind && r.rank).sort((a, b) => a.rank - b.rank);
  if (!list.length) return '';
  const label = kind === 'nation' ? 'Nations' : 'Firms';
  return `<div><h3>${label}</h3><table class="standings-${kind}"><thead><tr><th class="num">#</th><th>Seat</th>${named ? '<th>Player</th>' : ''}<th>Played by</th><th class="num">Score</th></tr></thead><tbody>${
    list.map((r) => `<tr data-seat="${esc(r.seat)}"><td class="num">${r.rank}</td><td>${esc(r.title)} <span class="muted">${esc(r.seat)}</span></td>${named ? `<td>${esc(r.name)}</td>` : ''}<td>${r.played_by === 'agent' ? `agent (${esc(r.strategy)})` : r.played_by === 'person' ? 'a person' : 'nobody'}</td><td class="num">${fmt(r.score)}</td></tr>`).join('')
  }</tbody></table></div>`;
}

// meta: session.list's entry; status: session.status or null; history:
// history.get; svgs: chart id -> SVG text (from reportCharts.js); now: when.
export function reportHtml({ meta, status, history, svgs = {}, now = new Date() }) {
  const seats = meta?.seats || [];
  const { rows } = gradingRows({ seats, status, history });
  const charts = reportCharts(history, rows);
  const named = !!status;
  const id = meta?.session || status?.session || '';
  const title = `Lanthanide: ${meta?.name || status?.name || id}`;
  const people = rows.filter((r) => r.played_by === 'person').length;
  const agents = rows.filter((r) => r.played_by === 'agent').length;
  const sect = (name) => charts.filter((c) => c.section === name).map((c) => figure(c, svgs[c.id])).join('');
  const maxSeries = Math.max(0, ...charts.map((c) => c.series.length));
  const events = history.map((h) => `<li><strong>Turn ${h.turn + 1}</strong>${(h.events || []).length
    ? `<ul>${h.events.map((e) => `<li>${esc(e.text)}${e.magnitude ? ` <span class="muted">(${fmt(e.magnitude * 100, 1)}%)</span>` : ''}</li>`).join('')}</ul>`
    : ' <span class="muted">no news</span>'}</li>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Lanthanide web client">
<title>${esc(title)}</title>
<style>${CSS}${seriesCss(maxSeries)}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<p class="muted">End-of-game report of a game about the rare-earth supply chain (mining, separation, magnets). Saved ${esc(now.toISOString().replace('T', ' ').slice(0, 16))} UTC.</p>
<dl class="facts">
<dt>Session</dt><dd>${esc(id)}${meta?.name ? ` (${esc(meta.name)})` : ''}</dd>
<dt>Map</dt><dd>${esc(meta?.map || status?.map || '')}</dd>
<dt>Status</dt><dd>${esc(status?.status || meta?.status || '')}</dd>
<dt>Turns resolved</dt><dd>${history.length}${meta?.turns || status?.turns ? ` of ${meta?.turns || status?.turns}` : ''} (one turn is a quarter of a year)</dd>
<dt>Seats</dt><dd>${rows.length}: ${people} played by people, ${agents} by agents${rows.length - people - agents ? `, ${rows.length - people - agents} by nobody` : ''}</dd>
</dl>
${named ? '' : '<p class="note">Saved without the facilitator’s admin token: the players’ names are not in this report.</p>'}
</header>
<main>
<section class="standings-section"><h2>Final standings</h2>
<p class="muted">Nations and firms are ranked apart: a nation’s score weighs its supply security, the value added by its industry and its budget; a firm’s is its net worth over its opening net worth (1.0 = where it started).</p>
<div class="standings">${standingsTable(rows, 'nation', named)}${standingsTable(rows, 'firm', named)}</div>
</section>
<section class="charts"><h2>Scores over the game</h2><div class="charts2">${sect('scores')}</div>
<h2>Prices by region</h2><div class="charts2">${sect('prices')}</div>
<h2>Production shares by nation</h2><div class="charts2">${sect('shares')}</div>
<h2>Capacity over time</h2>${sect('capacity') || '<p class="muted">The server’s turn summaries of this session do not carry capacity.</p>'}
<h2>Supply security</h2>${sect('security') || '<p class="muted">The server’s turn summaries of this session do not carry supply security per nation; it is part of each nation’s score above.</p>'}
</section>
<section class="turns"><h2>Turn by turn: the news</h2><ol class="turns">${events || '<li class="muted">No turn resolved.</li>'}</ol></section>
</main>
<footer>Lanthanide. Charts drawn with Chartist. This file needs no network and no script to view or print.</footer>
</body>
</html>
`;
}
