// ECharts renderings of the dashboard's view model. Every chart also has a text table in
// the page; colours are paired with labels (never colour alone). Amounts arrive as
// decimal strings; Number() is used only for bar lengths, labels use the string.
// Colours follow the page's scheme (prefers-color-scheme): the charts are redrawn when it
// changes. Sizes follow each chart's box (a ResizeObserver), so a chart drawn or resized
// while its view was hidden takes its real width when the view is shown again.
import echarts from './echarts.js';
import { inr, toChartNumber } from './money.js';

const LIGHT = {
  credited: '#17663a',
  forfeited: '#b07400',
  reversed: '#a3262a',
  brand: '#1f5f8b',
  grid: '#d5dce3',
  ink: '#1b2430',
  muted: '#4d5b6a',
  line: '#9fb3c4',
  from: [201, 220, 234],
  to: [23, 102, 58],
};
const DARK = {
  credited: '#5cc98a',
  forfeited: '#e0a83a',
  reversed: '#f08a8d',
  brand: '#6fb1e0',
  grid: '#34404d',
  ink: '#e6edf3',
  muted: '#a9b6c3',
  line: '#5d7184',
  from: [52, 70, 88],
  to: [92, 201, 138],
};
const darkQuery = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
let C = darkQuery?.matches ? DARK : LIGHT;
const charts = new Map();
/** The last drawing call of each chart, to redraw it when the colour scheme changes. */
const redraw = new Map();

const observer =
  typeof ResizeObserver === 'undefined'
    ? null
    : new ResizeObserver((entries) => {
        for (const entry of entries) {
          const c = echarts.getInstanceByDom(entry.target);
          // A hidden chart has no size: leave it, it is resized when it is shown.
          if (c && !c.isDisposed() && entry.contentRect.width > 0 && entry.contentRect.height > 0) c.resize();
        }
      });

function chart(id) {
  const el = document.getElementById(id);
  if (!el) return null;
  let c = charts.get(id);
  if (!c || c.isDisposed()) {
    c = echarts.init(el, null, { renderer: 'canvas' });
    charts.set(id, c);
    observer?.observe(el);
  }
  return c;
}

/** Resizes every chart that is on screen; hidden ones wait for their ResizeObserver. */
export function resizeAll() {
  for (const c of charts.values()) {
    const el = c.getDom();
    if (!c.isDisposed() && el.clientWidth > 0 && el.clientHeight > 0) c.resize();
  }
}

/** Each chart's drawn width and its box's width (for tests: they must match when shown). */
export function sizes() {
  return Object.fromEntries([...charts].map(([id, c]) => [id, { drawn: c.getWidth(), box: c.getDom().clientWidth }]));
}

darkQuery?.addEventListener('change', () => {
  C = darkQuery.matches ? DARK : LIGHT;
  for (const [id, again] of redraw) if (charts.has(id)) again();
});

export const scheme = () => (C === DARK ? 'dark' : 'light');

const narrow = () => window.matchMedia('(max-width: 600px)').matches;
const base = () => ({
  animationDuration: 300,
  textStyle: { fontFamily: 'system-ui, sans-serif', color: C.ink },
});
const axisMoney = () => ({
  type: 'value',
  axisLabel: { formatter: (v) => compactInr(v), color: C.muted },
  splitLine: { lineStyle: { color: C.grid } },
});
const axisCategory = (data, extra = {}) => ({
  type: 'category',
  data,
  axisLabel: { color: C.muted, ...(extra.axisLabel ?? {}) },
  axisLine: { lineStyle: { color: C.line } },
});

/** Short axis labels: ₹1.2L, ₹3.4Cr (Indian units), only for axes. */
function compactInr(v) {
  const a = Math.abs(v);
  if (a >= 1e7) return `₹${(v / 1e7).toFixed(1)}Cr`;
  if (a >= 1e5) return `₹${(v / 1e5).toFixed(1)}L`;
  if (a >= 1e3) return `₹${(v / 1e3).toFixed(1)}k`;
  return `₹${v}`;
}

export function renderByLevel(id, levels) {
  const c = chart(id);
  if (!c) return;
  redraw.set(id, () => renderByLevel(id, levels));
  c.setOption(
    {
      ...base(),
      grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
      xAxis: axisCategory(levels.map((l) => `Level ${l.level}`)),
      yAxis: axisMoney(),
      series: [
        {
          name: 'Credited',
          type: 'bar',
          itemStyle: { color: C.credited },
          label: { show: true, position: 'top', color: C.ink, formatter: (p) => inr(levels[p.dataIndex].credited) },
          data: levels.map((l) => toChartNumber(l.credited)),
        },
        {
          name: 'Forfeited',
          type: 'bar',
          itemStyle: { color: C.forfeited, decal: { symbol: 'rect', dashArrayX: [1, 0], dashArrayY: [2, 4], rotation: 0.8 } },
          data: levels.map((l) => toChartNumber(l.forfeited)),
        },
      ],
    },
    true,
  );
}

export function renderByLeg(id, legs) {
  const c = chart(id);
  if (!c) return;
  redraw.set(id, () => renderByLeg(id, legs));
  const rows = [...legs].reverse(); // horizontal bars: first leg on top
  c.setOption(
    {
      ...base(),
      grid: { left: 8, right: 84, top: 8, bottom: 8, containLabel: true },
      yAxis: axisCategory(
        rows.map((l) => l.name),
        { axisLabel: { width: narrow() ? 80 : 140, overflow: 'truncate' } },
      ),
      xAxis: axisMoney(),
      series: [
        {
          name: 'Net from this leg',
          type: 'bar',
          itemStyle: { color: C.brand },
          label: { show: true, position: 'right', color: C.ink, formatter: (p) => inr(rows[p.dataIndex].total) },
          data: rows.map((l) => toChartNumber(l.total)),
        },
      ],
    },
    true,
  );
}

// Which tree nodes the reader opened or closed, kept across live re-renders.
const treeToggles = new Map();

/** tree: { id, name, earned, direct, max, active, root?, children: [...] } */
export function renderTree(id, tree) {
  const c = chart(id);
  if (!c) return;
  redraw.set(id, () => renderTree(id, tree));
  if (c.getDom().clientWidth > 0) c.resize(); // the panel is shorter for a tree with no referrals
  if (c.__rootId !== tree.id) treeToggles.clear();
  c.__rootId = tree.id;
  let top = 0;
  (function walk(n) {
    top = Math.max(top, toChartNumber(n.earned ?? '0'));
    (n.children ?? []).forEach(walk);
  })(tree);
  const toNode = (n, depth) => {
    const share = top > 0 ? toChartNumber(n.earned ?? '0') / top : 0;
    const color = n.root ? C.brand : n.active === false ? C.forfeited : shade(share);
    return {
      name: n.name,
      value: n.earned,
      collapsed: treeToggles.has(n.id) ? treeToggles.get(n.id) : depth >= 2,
      symbol: 'circle',
      symbolSize: n.root ? 16 : 10 + Math.round(share * 10),
      itemStyle: { color, borderColor: C.ink, borderWidth: 1 },
      label: { color: C.ink, formatter: () => label(n) },
      raw: { id: n.id, defaultCollapsed: depth >= 2 },
      children: (n.children ?? []).map((ch) => toNode(ch, depth + 1)),
    };
  };
  const small = narrow();
  c.setOption(
    {
      series: [
        {
          type: 'tree',
          data: [toNode(tree, 0)],
          orient: 'LR',
          top: 16,
          bottom: 16,
          left: small ? 84 : 130,
          right: small ? 96 : 200,
          roam: true,
          initialTreeDepth: 2,
          expandAndCollapse: true,
          label: { position: 'left', verticalAlign: 'middle', align: 'right', fontSize: small ? 10 : 12, lineHeight: small ? 12 : 15 },
          leaves: { label: { position: 'right', verticalAlign: 'middle', align: 'left' } },
          lineStyle: { color: C.line },
          animationDurationUpdate: 300,
        },
      ],
    },
    true,
  );
  c.off('click');
  c.on('click', (p) => {
    const raw = p.data?.raw;
    if (!raw || !p.data.children?.length) return;
    const was = treeToggles.has(raw.id) ? treeToggles.get(raw.id) : raw.defaultCollapsed;
    treeToggles.set(raw.id, !was);
  });
}

function label(n) {
  const slots = `${Math.max(0, (n.max ?? 8) - (n.direct ?? 0))}/${n.max ?? 8} free`;
  if (n.root) return `${n.name} (you)\n${slots}`;
  return `${n.name}${n.active === false ? ' (not active)' : ''}\n${inr(n.earned ?? '0')} · ${slots}`;
}
function shade(share) {
  // light blue (nothing earned) to dark green (the top earner in this tree)
  const mix = C.from.map((f, i) => Math.round(f + (C.to[i] - f) * share));
  return `rgb(${mix.join(',')})`;
}
export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]);
}

export function renderOverTime(id, series) {
  const c = chart(id);
  if (!c) return;
  redraw.set(id, () => renderOverTime(id, series));
  c.setOption(
    {
      ...base(),
      grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
      xAxis: axisCategory(series.map((s) => s.label)),
      yAxis: axisMoney(),
      series: [
        { name: 'Credited', type: 'bar', stack: 'e', itemStyle: { color: C.credited }, data: series.map((s) => toChartNumber(s.credited)) },
        {
          name: 'Reversed',
          type: 'bar',
          stack: 'e',
          itemStyle: { color: C.reversed, decal: { symbol: 'rect', dashArrayX: [1, 0], dashArrayY: [2, 4], rotation: -0.8 } },
          data: series.map((s) => -toChartNumber(s.reversed)),
        },
        { name: 'Net', type: 'line', symbol: 'circle', itemStyle: { color: C.brand }, data: series.map((s) => toChartNumber(s.net)) },
      ],
    },
    true,
  );
}

export function renderPerDay(id, days) {
  const c = chart(id);
  if (!c) return;
  redraw.set(id, () => renderPerDay(id, days));
  c.setOption(
    {
      ...base(),
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      xAxis: axisCategory(days.map((d) => d.day)),
      yAxis: axisMoney(),
      series: [{ name: 'Earnings', type: 'bar', itemStyle: { color: C.brand }, data: days.map((d) => toChartNumber(d.earnings)) }],
    },
    true,
  );
}
