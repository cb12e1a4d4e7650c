// /reports: how fast the team answered, how long until solved, how satisfied visitors were and
// who carried the load, for a date range. Every chart has its numbers as a table below it.

import { get, withQuery } from "./api.js";
import { h, nextId } from "./dom.js";
import { agentName, loadAgents } from "./state.js";
import { accountLabels, duration } from "./episode-panel.js";
import { barChart, lineChart, heatmap, hbarChart } from "./charts.js";

const DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

function isoDay(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** Local dates [from, to] (both included) → the API's [from, to) as ISO instants. */
function window_(fromDay, toDay) {
  const [fy, fm, fd] = fromDay.split("-").map(Number);
  const [ty, tm, td] = toDay.split("-").map(Number);
  return { from: new Date(fy, fm - 1, fd).toISOString(), to: new Date(ty, tm - 1, td + 1).toISOString() };
}

function table(caption, head, rows) {
  return h("div", { class: "table-scroll" },
    h("table", { class: "report-table" },
      h("caption", { class: "sr-only" }, caption),
      h("thead", null, h("tr", null, head.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", null, rows.map((r) => h("tr", null, r.map((c, i) => (i === 0 ? h("th", { scope: "row" }, c) : h("td", null, c))))))));
}

function card(title, chart, numbers, legend) {
  const id = nextId("rc");
  return h("section", { class: "report-card", "aria-labelledby": id },
    h("h2", { id }, title), chart, legend || null,
    h("details", null, h("summary", null, "Show the numbers"), numbers));
}

function percent(x) {
  return x === null || x === undefined ? "—" : `${Math.round(x * 1000) / 10}%`;
}

function kpi(label, value, note) {
  return h("li", { class: "kpi" }, h("div", { class: "kpi-label" }, label),
    h("div", { class: "kpi-value" }, value), note ? h("div", { class: "kpi-note" }, note) : null);
}

export function mountReports(container) {
  const params = new URLSearchParams(location.search);
  const today = new Date();
  const monthAgo = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 29);
  const fromInput = h("input", { type: "date", id: nextId("rf"), value: params.get("from") || isoDay(monthAgo) });
  const toInput = h("input", { type: "date", id: nextId("rt"), value: params.get("to") || isoDay(today) });
  const preset = h("select", { id: nextId("rp") },
    h("option", { value: "" }, "Custom"), h("option", { value: "7" }, "Last 7 days"),
    h("option", { value: "30" }, "Last 30 days"), h("option", { value: "month" }, "This month"),
    h("option", { value: "last-month" }, "Last month"), h("option", { value: "90" }, "Last 90 days"));
  const csv = h("a", { class: "btn btn-small", download: "conversations.csv" }, "Export CSV");
  const status = h("p", { class: "muted", role: "status", "aria-live": "polite" });
  const kpis = h("ul", { class: "kpis", "aria-label": "Totals for the range" });
  const grid = h("div", { class: "report-grid" });
  const headingId = nextId("rh");
  let seq = 0;
  let destroyed = false;

  preset.addEventListener("change", () => {
    const now = new Date();
    let from, to = now;
    if (preset.value === "month") from = new Date(now.getFullYear(), now.getMonth(), 1);
    else if (preset.value === "last-month") {
      from = new Date(now.getFullYear(), now.getMonth() - 1, 1);
      to = new Date(now.getFullYear(), now.getMonth(), 0);
    } else if (preset.value) from = new Date(now.getFullYear(), now.getMonth(), now.getDate() - Number(preset.value) + 1);
    else return;
    fromInput.value = isoDay(from);
    toInput.value = isoDay(to);
    load();
  });
  for (const input of [fromInput, toInput]) input.addEventListener("change", () => { preset.value = ""; load(); });

  container.append(h("div", { class: "page reports-page" },
    h("div", { class: "reports-head" },
      h("div", null, h("h1", { id: headingId }, "Reports"),
        h("p", { class: "muted" }, `Conversations opened in the range, in your time zone (${ZONE}).`)),
      h("div", { class: "reports-range", role: "group", "aria-label": "Date range" },
        h("div", { class: "field" }, h("label", { for: preset.id }, "Range"), preset),
        h("div", { class: "field" }, h("label", { for: fromInput.id }, "From"), fromInput),
        h("div", { class: "field" }, h("label", { for: toInput.id }, "To"), toInput),
        csv)),
    status, kpis, grid));

  async function load() {
    const mine = ++seq;
    if (!fromInput.value || !toInput.value) return;
    const range = window_(fromInput.value, toInput.value);
    history.replaceState(null, "", withQuery("/reports", { from: fromInput.value, to: toInput.value }));
    csv.href = withQuery("/api/reports/conversations.csv", range);
    status.textContent = "Loading…";
    let data;
    try {
      [data] = await Promise.all([get(withQuery("/api/reports/breakdown", { ...range, tz: ZONE })),
        loadAgents().catch(() => {})]);
    } catch (err) {
      if (mine !== seq || destroyed) return;
      status.textContent = `Could not load the reports: ${err.message}`;
      kpis.replaceChildren();
      grid.replaceChildren();
      return;
    }
    if (mine !== seq || destroyed) return;
    render(data);
  }

  function render(data) {
    const s = data.summary;
    status.textContent = `${s.conversations} conversation${s.conversations === 1 ? "" : "s"} from ${fromInput.value} to ${toInput.value}.`;
    const botShare = s.conversations ? s.resolvedByBot / s.conversations : null;
    kpis.replaceChildren(
      kpi("Conversations", String(s.conversations), `${s.resolved} resolved`),
      kpi("First response (median)", duration(s.firstResponseMs.median), `90% within ${duration(s.firstResponseMs.p90)}`),
      kpi("Resolution (median)", duration(s.resolutionMs.median), `90% within ${duration(s.resolutionMs.p90)}`),
      kpi("Satisfaction", s.csat.average === null ? "—" : `${s.csat.average.toFixed(2)} / 5`, `${s.csat.count} rating${s.csat.count === 1 ? "" : "s"}`),
      kpi("Answered within target", percent(s.firstResponseTarget.met), `target ${duration(s.firstResponseTarget.seconds * 1000)}`),
      kpi("Resolved by bots alone", percent(botShare), `${s.resolvedByBot} conversation${s.resolvedByBot === 1 ? "" : "s"}`));

    const days = data.days;
    const short = (d) => d.slice(5);
    const perDay = card("Conversations per day",
      barChart(days.map((d) => ({ label: d.date, short: short(d.date), value: d.conversations })),
        { label: `Conversations per day, ${s.conversations} in all`,
          format: (v) => (Number.isInteger(v) ? String(v) : "") }),
      table("Conversations per day", ["Day", "Conversations"], days.map((d) => [d.date, String(d.conversations)])));

    const heat = card("When conversations start",
      heatmap(data.heatmap, { label: "Conversations opened by weekday and hour", dayNames: DAY_NAMES }),
      table("Conversations opened by weekday and hour", ["Day", ...Array.from({ length: 24 }, (_, i) => String(i).padStart(2, "0"))],
        data.heatmap.map((row, i) => [DAY_NAMES[i], ...row.map(String)])));

    const minutes = (ms) => (ms === null || ms === undefined ? null : ms / 60000);
    const fmtMin = (m) => (m >= 120 ? `${Math.round(m / 6) / 10} h`
      : m >= 10 || m === 0 ? `${Math.round(m)} min` : `${Math.round(m * 10) / 10} min`);
    const trend = (title, key) => card(title,
      lineChart(days.map((d) => short(d.date)), [
        { name: "median", color: "#4f46e5", values: days.map((d) => minutes(d[key].median)) },
        { name: "90th percentile", color: "#b45309", dash: "5 4", values: days.map((d) => minutes(d[key].p90)) },
      ], { label: `${title}: median ${duration(s[key].median)}, 90th percentile ${duration(s[key].p90)}`, format: fmtMin }),
      table(title, ["Day", "Median", "90th percentile"], days.map((d) => [d.date, duration(d[key].median), duration(d[key].p90)])),
      h("p", { class: "legend", "aria-hidden": "true" },
        h("span", null, h("i", { style: "background:#4f46e5" }), "median"),
        h("span", null, h("i", { style: "background:#b45309" }), "90th percentile")));

    const scores = ["5", "4", "3", "2", "1"].map((k) => ({ label: `${k} ★`, value: data.ratings[k] || 0 }));
    const csat = card("Ratings",
      hbarChart(scores, { label: `Ratings: average ${s.csat.average ?? "none"} from ${s.csat.count}` }),
      table("Ratings by score", ["Score", "Ratings"], scores.map((r) => [r.label.replace(" ★", " stars"), String(r.value)])));

    const agentsId = nextId("ra");
    const agents = h("section", { class: "report-card", "aria-labelledby": agentsId },
      h("h2", { id: agentsId }, "Agents"),
      h("p", { class: "muted small" }, "Per agent who answered first."),
      s.byAgent.length
        ? table("Agents", ["Agent", "Conversations", "First response (median)"],
          s.byAgent.map((a) => [agentName(a.agentId), String(a.conversations), duration(a.firstResponseMs.median)]))
        : h("p", { class: "muted" }, "No agent answered in this range."));
    grid.replaceChildren(perDay, heat, trend("First response time", "firstResponseMs"),
      trend("Resolution time", "resolutionMs"), csat, agents);
  }

  load();
  return {
    destroy() { destroyed = true; },
  };
}
