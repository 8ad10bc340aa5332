import { test } from 'node:test';
import assert from 'node:assert/strict';
import { esc, reportCharts, reportHtml } from '../../src/report.js';
import { gradingRows } from '../../src/grading.js';
import { checkHtml } from '../htmlcheck.mjs';

const meta = { session: 's1', name: 'Class <B>', map: 'classroom', status: 'finished', turns: 2, seats: [
  { seat: 'CHN', kind: 'nation', title: 'China', agent: 'hawk' },
  { seat: 'USA', kind: 'nation', title: 'United States', taken: true },
  { seat: 'dragon_mining', kind: 'firm', title: 'Dragon Mining', taken: true },
] };
const h = (turn, s) => ({ turn, prices: { magnet: 100 + turn }, regional: { magnet: { CHN: 90, USA: 120 } },
  production: { mining: { CHN: 30, USA: 10 }, separation: { CHN: 10, USA: 0 }, magnet: { CHN: 0, USA: 0 } },
  scores: [{ seat: 'CHN', score: s }, { seat: 'USA', score: 0.2 }, { seat: 'dragon_mining', score: 1.1 }],
  events: turn ? [{ kind: 'flood', text: 'flood in <CHN>', magnitude: 0.25 }] : [] });
const history = [h(0, 0.5), h(1, 0.6)];
const status = { session: 's1', status: 'finished', seats: [
  { seat: 'CHN', name: '', played_by: 'agent', agent: 'hawk' },
  { seat: 'USA', name: 'Ada & Bo', played_by: 'person', agent: null },
  { seat: 'dragon_mining', name: 'Grace', played_by: 'person', agent: null },
] };

test('esc', () => assert.equal(esc(`<a href="x">'&`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;'));

test('the charts: prices per product present, shares per stage, scores by kind; no capacity or security without data', () => {
  const { rows } = gradingRows({ seats: meta.seats, status, history });
  const c = reportCharts(history, rows);
  const ids = c.map((x) => x.id);
  assert.deepEqual(ids, ['price-magnet', 'share-mining', 'share-separation', 'share-magnet', 'score-nation', 'score-firm']);
  const price = c[0];
  assert.deepEqual(price.labels, [1, 2]);
  assert.deepEqual(price.series.map((s) => s.name), ['World', 'CHN', 'USA']);
  assert.deepEqual(c[1].series.map((s) => s.values), [[0.75, 0.75], [0.25, 0.25]]);
  assert.deepEqual(c[3].series.map((s) => s.values), [[0, 0], [0, 0]]);
  assert.deepEqual(c[4].series.map((s) => s.name), ['China', 'United States']);
  const withMore = history.map((x) => ({ ...x, capacity: { mining: { CHN: 1000, USA: 50 } }, security: { CHN: 0.9, USA: 0.4 } }));
  const ids2 = reportCharts(withMore, rows).map((x) => x.id);
  assert.ok(ids2.includes('capacity-mining') && ids2.includes('security'));
});

test('a fourth stage, recycling, is charted when the summaries list it (issue 11, design J4)', () => {
  const { rows } = gradingRows({ seats: meta.seats, status, history });
  const recycling = history.map((x) => ({ ...x, production: { ...x.production, recycling: { CHN: 0, USA: 5 } },
    prices: { ...x.prices, magnet_scrap: 30 } }));
  const ids = reportCharts(recycling, rows).map((x) => x.id);
  assert.deepEqual(ids, ['price-magnet', 'price-magnet_scrap', 'share-mining', 'share-separation', 'share-magnet',
    'share-recycling', 'score-nation', 'score-firm']);
  assert.ok(!reportCharts(history, rows).some((x) => x.id === 'share-recycling'));
});

test('the report is one HTML document: facts, standings apart, the SVG given, the events, escaped, no script', () => {
  const html = reportHtml({ meta, status, history, svgs: { 'price-magnet': '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><g class="s0"><path d="M0 0L10 10" class="ct-line"/></g></svg>' }, now: new Date(0) });
  assert.deepEqual(checkHtml(html), []);
  assert.match(html, /<title>Lanthanide: Class &lt;B&gt;<\/title>/);
  assert.match(html, /<table class="standings-nation">[\s\S]*China[\s\S]*United States[\s\S]*<\/table>/);
  assert.match(html, /<table class="standings-firm">[\s\S]*Grace[\s\S]*<\/table>/);
  assert.match(html, /Ada &amp; Bo/);
  assert.match(html, /agent \(hawk\)/);
  assert.match(html, /<svg xmlns/);
  assert.match(html, /flood in &lt;CHN&gt;/);
  assert.match(html, /@media print/);
  assert.match(html, /do not carry capacity/);
  assert.doesNotMatch(html, /<script/i);
  const anon = reportHtml({ meta, status: null, history });
  assert.match(anon, /without the facilitator’s admin token/);
  assert.doesNotMatch(anon, /<th>Player<\/th>/);
});

test('checkHtml finds what is wrong', () => {
  assert.ok(checkHtml('<html><head><title>x</title></head><body><p></div></body></html>').length >= 2);
  assert.ok(checkHtml('<!DOCTYPE html><html><head><title>x</title></head><body><script></script></body></html>').some((e) => /script/.test(e)));
});
