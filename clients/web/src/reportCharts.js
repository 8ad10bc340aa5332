// Draws the report's charts (report.js's specifications) as SVG with
// Chartist, in the page, and builds the report's HTML. Chartist is loaded
// only here, on demand (a separate chunk), so the live pages keep uPlot
// alone. Chartist puts axis labels in <foreignObject> HTML spans; the report
// replaces each by an SVG <text>, so the saved charts are plain SVG.
import { BarChart, FixedScaleAxis, Interpolation, LineChart, Svg } from 'chartist';
import { reportCharts, reportHtml } from './report.js';
import { gradingRows } from './grading.js';

const W = 440, H = 240;

// Chartist sets two style attributes with setAttribute (the SVG's size, a
// label's overflow), which the page's Content-Security-Policy (style-src
// 'self') refuses and reports. The same styles set through the CSSOM are
// allowed, so its attr() does that for `style`.
const attr = Svg.prototype.attr;
Svg.prototype.attr = function attrNoInlineStyle(a, ns) {
  if (a && typeof a === 'object' && 'style' in a) {
    const { style, ...rest } = a;
    attr.call(this, rest, ns);
    this.getNode().style.cssText = style;
    return this;
  }
  return attr.call(this, a, ns);
};

// bands: the x labels name bands (a bar chart), so they stand at the band's
// middle; on a line chart, at the grid line.
function toText(data, bands) {
  if (data.type !== 'label') return;
  const horizontal = data.axis.units.pos === 'x';
  const attrs = horizontal
    ? { x: data.x + (bands ? data.width / 2 : 0), y: data.y + 12, 'text-anchor': 'middle', class: 'ct-label' }
    : { x: data.x + data.width, y: data.y + data.height + 4, 'text-anchor': 'end', class: 'ct-label' };
  const t = new Svg('text', attrs);
  t.text(String(data.text));
  data.element.replace(t);
}

function draw(spec) {
  return new Promise((resolve) => {
    const box = document.createElement('div');
    box.className = 'report-scratch';
    box.style.cssText = `position:absolute;left:-10000px;top:0;width:${W}px;height:${H}px`;
    document.body.appendChild(box);
    const data = {
      labels: spec.labels,
      series: spec.series.map((s, i) => ({ name: s.name, className: `s${i}`, data: s.values })),
    };
    // At most about ten turn numbers on the x axis: a 40-turn game would
    // print them on top of each other.
    const every = Math.ceil(spec.labels.length / 10);
    const common = {
      width: `${W}px`, height: `${H}px`,
      axisX: { labelInterpolationFnc: (v, i) => (i % every === 0 ? v : null) },
      chartPadding: { top: 12, right: 16, bottom: 4, left: 4 },
      axisY: { offset: 56, labelInterpolationFnc: (v) => Number(v).toLocaleString('en-US', { maximumFractionDigits: 3 }) },
    };
    const chart = spec.type === 'stacked'
      ? new BarChart(box, data, { ...common, stackBars: true, axisY: { ...common.axisY, type: FixedScaleAxis, low: 0, high: 1, ticks: [0, 0.25, 0.5, 0.75, 1], labelInterpolationFnc: (v) => `${Math.round(v * 100)}%` } })
      : new LineChart(box, data, { ...common, lineSmooth: Interpolation.none({ fillHoles: false }), showPoint: spec.labels.length < 3, fullWidth: true });
    // A bar's width is its stroke: about 60% of a turn's band, so that 40
    // turns fit as well as 3.
    const bar = Math.max(2, Math.min(24, Math.floor((0.6 * (W - 80)) / Math.max(1, spec.labels.length))));
    chart.on('draw', (d) => {
      toText(d, spec.type === 'stacked');
      if (d.type === 'bar') d.element.attr({ style: `stroke-width: ${bar}px` });
    });
    chart.on('created', () => {
      const svg = box.querySelector('svg');
      svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
      svg.setAttribute('role', 'img');
      svg.setAttribute('aria-label', spec.title);
      svg.removeAttribute('style');
      const out = svg.outerHTML;
      chart.detach();
      box.remove();
      resolve(out);
    });
  });
}

// The whole report as HTML text: meta (session.list's entry), status
// (session.status or null), history (history.get).
export async function buildReport({ meta, status, history }) {
  const { rows } = gradingRows({ seats: meta?.seats || [], status, history });
  const svgs = {};
  for (const spec of reportCharts(history, rows)) svgs[spec.id] = await draw(spec);
  return reportHtml({ meta, status, history, svgs });
}
