import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import QRCode from 'qrcode';
import { rpc } from './rpc.js';

// ---------- formatting ----------
export function money(v) {
  if (v === null || v === undefined) return '–';
  const a = Math.abs(v);
  const s = v < 0 ? '−' : '';
  if (a >= 1e9) return `${s}$${(a / 1e9).toFixed(2)}bn`;
  if (a >= 1e6) return `${s}$${(a / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${s}$${(a / 1e3).toFixed(0)}k`;
  return `${s}$${a.toFixed(0)}`;
}
export function num(v, d = 0) {
  if (v === null || v === undefined) return '–';
  return Number(v).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: 0 });
}
export const tonnes = (v) => `${num(v)} t`;
export const usdkg = (v) => (v === null || v === undefined ? '–' : `$${num(v, v < 10 ? 2 : 1)}/kg`);
export const pct = (v) => (v === null || v === undefined ? '–' : `${num(v * 100, 1)}%`);
export function signed(v, f = num) {
  if (!v) return '';
  return v > 0 ? `+${f(v)}` : `−${f(-v)}`;
}
export const PRODUCT_NAMES = {
  concentrate: 'Concentrate', ndpr_oxide: 'NdPr oxide', dytb_oxide: 'Dy/Tb oxide', lace_oxide: 'La/Ce oxide', magnet: 'Magnets',
  dy_oxide: 'Dy oxide', tb_oxide: 'Tb oxide', magnet_scrap: 'Magnet scrap',
};
// The products of the seat's map (public.rules.products: the heavies as
// one basket, or Dy and Tb apart on split maps); a server from before the
// list has the basket's five.
export const BASKET_PRODUCTS = ['concentrate', 'ndpr_oxide', 'dytb_oxide', 'lace_oxide', 'magnet'];
export function mapProducts(obs) {
  const l = obs?.public?.rules?.products;
  return Array.isArray(l) && l.length ? l : BASKET_PRODUCTS;
}
// The products turn summaries show a price for (a product the map lacks
// has price 0 throughout).
export function tradedProducts(history) {
  return Object.keys(PRODUCT_NAMES).filter((p) => history.some((h) => h.prices?.[p]));
}
export const STAGE_NAMES = { mining: 'Mining', separation: 'Separation', magnet: 'Magnets', recycling: 'Recycling' };
// The stages of the seat's map: the keys of public.rules.stages (recycling,
// the fourth, only on maps that have it: issue 11, design J4); a server
// from before it lists the first three.
export function mapStages(obs) {
  const r = obs?.public?.rules?.stages;
  const l = r && typeof r === 'object' ? Object.keys(STAGE_NAMES).filter((st) => st in r) : [];
  return l.length ? l : ['mining', 'separation', 'magnet'];
}
// The stages turn summaries show (a map without recycling has no row for
// it).
export function summaryStages(history) {
  return Object.keys(STAGE_NAMES).filter((st) => st !== 'recycling' || history.some((h) => h.production?.[st]));
}
export const pname = (p) => PRODUCT_NAMES[p] || p;

// ---------- storage (this browser only) ----------
export const store = {
  get(key, def = null) {
    try { const v = localStorage.getItem(`lanthanide.${key}`); return v === null ? def : JSON.parse(v); } catch { return def; }
  },
  set(key, v) {
    try { localStorage.setItem(`lanthanide.${key}`, JSON.stringify(v)); } catch { /* full or disabled */ }
  },
  del(key) { try { localStorage.removeItem(`lanthanide.${key}`); } catch { /* */ } },
};

// ---------- routing ----------
export function parseHash() {
  const h = location.hash.replace(/^#/, '') || '/';
  const [path, query] = h.split('?');
  return { path, params: Object.fromEntries(new URLSearchParams(query || '')) };
}
export function useRoute() {
  const [r, setR] = useState(parseHash());
  useEffect(() => {
    const f = () => setR(parseHash());
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  return r;
}
export function href(path, params = {}) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString();
  return `#${path}${q ? `?${q}` : ''}`;
}
export function absUrl(hash) {
  return `${location.origin}${location.pathname}${location.search}${hash}`;
}

// ---------- connection ----------
export function useConnection() {
  const [state, setState] = useState(rpc().state);
  useEffect(() => rpc().onState(setState), []);
  return state;
}
export function ConnectionBadge() {
  const s = useConnection();
  const text = { open: 'connected', connecting: 'connecting…', closed: 'offline, reconnecting…' }[s];
  return <span class={`conn conn-${s}`} role="status" aria-live="polite">{text}</span>;
}
export function useNotify(method, fn, deps = []) {
  useEffect(() => rpc().on(method, fn), deps);
}

// ---------- clock ----------
export function useNow(ms = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
export function fmtDuration(ms) {
  if (ms === null || ms === undefined) return '–';
  const s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}
// deadlineAt: local time (ms) when the deadline passes; frozenMs: while paused.
export function Countdown({ deadlineAt, frozenMs, status, approx }) {
  const now = useNow(500);
  if (status === 'paused') return <span class="countdown paused" role="timer">paused{frozenMs != null ? ` · ${fmtDuration(frozenMs)} left` : ''}</span>;
  if (status !== 'running') return null;
  if (!deadlineAt) return <span class="countdown" role="timer">no deadline</span>;
  const left = deadlineAt - now;
  return (
    <span class={`countdown ${left < 30000 ? 'urgent' : ''}`} role="timer" aria-label={`time left ${fmtDuration(left)}`}>
      {approx ? '≈ ' : ''}{fmtDuration(left)} left
    </span>
  );
}

// ---------- QR ----------
export function QR({ text, size = 160, label }) {
  const [src, setSrc] = useState(null);
  useEffect(() => {
    let live = true;
    QRCode.toDataURL(text, { margin: 1, width: size, errorCorrectionLevel: 'M' }).then((u) => live && setSrc(u)).catch(() => {});
    return () => { live = false; };
  }, [text, size]);
  return src ? <img class="qr" src={src} width={size} height={size} alt={label || `QR code for ${text}`} /> : <span class="qr" />;
}

// ---------- charts ----------
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f', '#393b79', '#637939', '#843c39', '#7b4173', '#3182bd', '#e6550d', '#31a354'];
export function colorFor(i) { return PALETTE[i % PALETTE.length]; }

// x: array of numbers (turns); series: [{label, values}]
export function Chart({ title, x, series, yLabel, log = false, height = 220, fmt, id }) {
  const el = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    if (!el.current || !x.length) return undefined;
    const width = Math.max(260, el.current.clientWidth || 600);
    const data = [x, ...series.map((s) => s.values.map((v) => (v === undefined || (log && v <= 0) ? null : v)))];
    const opts = {
      width, height,
      scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
      axes: [
        { label: 'turn', values: (u, vals) => vals.map((v) => (Number.isInteger(v) ? v : '')) },
        { label: yLabel, size: 64, values: fmt ? (u, vals) => vals.map((v) => (v === null ? '' : fmt(v))) : undefined },
      ],
      series: [{ label: 'turn' }, ...series.map((s, i) => ({
        label: s.label, stroke: s.color || colorFor(i), width: s.width || 2,
        value: fmt ? (u, v) => (v === null || v === undefined ? '–' : fmt(v)) : undefined,
        points: { show: x.length < 3 },
        dash: s.dash,
      }))],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    };
    plot.current?.destroy();
    plot.current = new uPlot(opts, data, el.current);
    const ro = new ResizeObserver(() => {
      const w = el.current?.clientWidth;
      if (w && plot.current && Math.abs(plot.current.width - w) > 4) plot.current.setSize({ width: w, height });
    });
    ro.observe(el.current);
    // Paper is narrower than most screens: fit the canvas for printing.
    const before = () => plot.current?.setSize({ width: Math.min(680, el.current?.clientWidth || 680), height });
    const after = () => { const w = el.current?.clientWidth; if (w) plot.current?.setSize({ width: w, height }); };
    addEventListener('beforeprint', before);
    addEventListener('afterprint', after);
    return () => {
      ro.disconnect(); removeEventListener('beforeprint', before); removeEventListener('afterprint', after);
      plot.current?.destroy(); plot.current = null;
    };
  }, [JSON.stringify([x, series, log, yLabel, height])]);
  return (
    <figure class="chart" id={id}>
      {title && <figcaption>{title}</figcaption>}
      {x.length === 0 ? <p class="muted">No turn has resolved yet.</p> : null}
      {x.length ? <div ref={el} class="chart-plot" role="img" aria-label={title} /> : null}
    </figure>
  );
}

export function ErrorText({ error }) {
  if (!error) return null;
  return <p class="error" role="alert">{error.message || String(error)}{error.code ? <span class="code"> ({error.code})</span> : null}</p>;
}

export function download(name, text, type = 'application/json') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url; a.download = name;
  document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
