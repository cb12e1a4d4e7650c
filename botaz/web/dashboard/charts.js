// Small charts drawn as inline SVG, no build step and no library. Each chart is an image with a
// short accessible summary; the page puts its numbers beside it as a table.

const NS = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function frame(width, height, label) {
  return s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label, preserveAspectRatio: "xMidYMid meet" });
}

/** A "nice" top for an axis: 1, 2 or 5 times a power of ten, at least max. */
export function niceMax(max) {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

function xLabels(count, every) {
  const step = Math.max(1, Math.ceil(count / every));
  return (i) => i % step === 0;
}

/** Vertical bars: items [{label, value}]. */
export function barChart(items, { label, format = String, color = "#4f46e5" } = {}) {
  const W = 640, H = 220, L = 44, R = 8, T = 10, B = 28;
  const svg = frame(W, H, label);
  const top = niceMax(Math.max(0, ...items.map((i) => i.value)));
  const plotW = W - L - R, plotH = H - T - B;
  const bw = items.length ? plotW / items.length : plotW;
  for (const f of [0, 0.5, 1]) {
    const y = T + plotH * (1 - f);
    svg.append(s("line", { x1: L, x2: W - R, y1: y, y2: y, stroke: "#e5e7eb" }),
      s("text", { x: L - 6, y: y + 4, "text-anchor": "end" }, format(top * f)));
  }
  const show = xLabels(items.length, 8);
  items.forEach((item, i) => {
    const h = top ? (item.value / top) * plotH : 0;
    const x = L + i * bw;
    svg.append(s("rect", { x: x + bw * 0.15, y: T + plotH - h, width: Math.max(1, bw * 0.7), height: h, fill: color, rx: 2 },
      s("title", {}, `${item.label}: ${format(item.value)}`)));
    if (show(i)) svg.append(s("text", { x: x + bw / 2, y: H - 8, "text-anchor": "middle" }, item.short ?? item.label));
  });
  return svg;
}

/** Lines over days: series [{name, color, dash, values: [number|null]}], labels per point. */
export function lineChart(labels, series, { label, format = String } = {}) {
  const W = 640, H = 220, L = 56, R = 8, T = 10, B = 28;
  const svg = frame(W, H, label);
  const all = series.flatMap((se) => se.values).filter((v) => v !== null && v !== undefined);
  const top = niceMax(Math.max(0, ...all));
  const plotW = W - L - R, plotH = H - T - B;
  const x = (i) => L + (labels.length > 1 ? (i / (labels.length - 1)) * plotW : plotW / 2);
  const y = (v) => T + plotH * (1 - v / top);
  for (const f of [0, 0.5, 1]) {
    svg.append(s("line", { x1: L, x2: W - R, y1: y(top * f), y2: y(top * f), stroke: "#e5e7eb" }),
      s("text", { x: L - 6, y: y(top * f) + 4, "text-anchor": "end" }, format(top * f)));
  }
  const show = xLabels(labels.length, 8);
  labels.forEach((l, i) => { if (show(i)) svg.append(s("text", { x: x(i), y: H - 8, "text-anchor": "middle" }, l)); });
  for (const se of series) {
    // gaps (days without a value) break the line
    let d = "";
    let pen = false;
    se.values.forEach((v, i) => {
      if (v === null || v === undefined) { pen = false; return; }
      d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
      svg.append(s("circle", { cx: x(i), cy: y(v), r: 2.5, fill: se.color }, s("title", {}, `${labels[i]} ${se.name}: ${format(v)}`)));
    });
    if (d) svg.append(s("path", { d, fill: "none", stroke: se.color, "stroke-width": 2, "stroke-dasharray": se.dash || null }));
  }
  return svg;
}

/** A weekday by hour grid of counts: rows[7][24]. */
export function heatmap(rows, { label, dayNames } = {}) {
  const W = 640, H = 200, L = 40, T = 6, B = 22, R = 4;
  const svg = frame(W, H, label);
  const cw = (W - L - R) / 24, ch = (H - T - B) / 7;
  const max = Math.max(1, ...rows.flat());
  rows.forEach((row, d) => {
    svg.append(s("text", { x: L - 6, y: T + d * ch + ch / 2 + 4, "text-anchor": "end" }, dayNames[d]));
    row.forEach((n, hr) => {
      const t = n / max;
      // from #eef2ff (none) to #3730a3 (most)
      const mix = (a, b) => Math.round(a + (b - a) * t);
      const fill = n ? `rgb(${mix(224, 55)},${mix(231, 48)},${mix(255, 163)})` : "#f3f4f6";
      svg.append(s("rect", { x: L + hr * cw + 1, y: T + d * ch + 1, width: cw - 2, height: ch - 2, rx: 2, fill },
        s("title", {}, `${dayNames[d]} ${String(hr).padStart(2, "0")}:00: ${n}`)));
    });
  });
  for (let hr = 0; hr < 24; hr += 3) {
    svg.append(s("text", { x: L + hr * cw + cw / 2, y: H - 6, "text-anchor": "middle" }, String(hr).padStart(2, "0")));
  }
  return svg;
}

/** Horizontal bars: items [{label, value}]. */
export function hbarChart(items, { label, color = "#b45309" } = {}) {
  const W = 640, rowH = 26, L = 70, R = 50, T = 4;
  const H = T * 2 + rowH * items.length;
  const svg = frame(W, H, label);
  const max = Math.max(1, ...items.map((i) => i.value));
  items.forEach((item, i) => {
    const y = T + i * rowH;
    const w = ((W - L - R) * item.value) / max;
    svg.append(s("text", { x: L - 8, y: y + rowH / 2 + 4, "text-anchor": "end" }, item.label),
      s("rect", { x: L, y: y + 4, width: Math.max(item.value ? 2 : 0, w), height: rowH - 8, rx: 3, fill: color }),
      s("text", { x: L + w + 6, y: y + rowH / 2 + 4 }, String(item.value)));
  });
  return svg;
}
