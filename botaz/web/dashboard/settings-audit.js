// Settings → Audit log (owners, /settings#audit): who edited or deleted messages, changed,
// banned, exported or erased visitors, and managed agents, tokens, settings, webhooks and the bot.

import { get, withQuery, enc } from "./api.js";
import { h, fullDate, toast } from "./dom.js";
import { agents, session } from "./state.js";
import { section, loadMoreButton } from "./forms.js";

const PAGE = 50;

const ACTIONS = {
  "message.edit": "Edited a message",
  "message.delete": "Deleted a message",
  "visitor.update": "Changed a visitor",
  "visitor.ban": "Banned a visitor",
  "visitor.unban": "Unbanned a visitor",
  "visitor.export": "Exported a visitor's data",
  "visitor.delete": "Erased a visitor",
  "agent.add": "Added an agent",
  "agent.remove": "Removed an agent",
  "token.create": "Created an API token",
  "token.revoke": "Revoked an API token",
  "settings.update": "Changed settings",
  "webhook.create": "Created a webhook",
  "webhook.update": "Changed a webhook",
  "webhook.delete": "Deleted a webhook",
  "bot.update": "Changed the bot",
};

function who(agentId) {
  if (agentId === "system") return h("span", { class: "muted" }, "botaz");
  if (agentId === session.agent?._id) return `${session.agent.name} (you)`;
  const a = agents.get(agentId);
  return a ? a.name : h("span", { class: "muted" }, "A removed agent");
}

function detailValue(value) {
  if (value === null || value === undefined) return "none";
  if (Array.isArray(value)) return value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function details(entry) {
  const d = entry.details && typeof entry.details === "object" ? entry.details : {};
  const keys = Object.keys(d);
  if (!keys.length) return h("span", { class: "muted" }, "—");
  return h("dl", { class: "audit-details" }, ...keys.flatMap((k) => {
    let value = detailValue(d[k]);
    if ((k === "author" || k === "agentId") && typeof d[k] === "string") {
      const a = agents.get(d[k]);
      if (a) value = `${a.name} (${d[k]})`;
    }
    return [h("dt", null, k), h("dd", null, value)];
  }));
}

function target(entry) {
  const id = entry.targetId || "";
  const visitorId = entry.targetType === "visitor" ? id
    : entry.targetType === "message" && typeof entry.details?.visitorId === "string" ? entry.details.visitorId : null;
  const idEl = h("code", { class: "audit-id" }, id);
  const parts = [h("span", { class: "audit-type" }, entry.targetType || ""), " ", idEl];
  if (visitorId && entry.action !== "visitor.delete") {
    parts.push(" ", h("a", { href: `/chat/${enc(visitorId)}`, class: "small" }, "Open conversation"));
  }
  return parts;
}

export function createAuditSection({ isDestroyed }) {
  let next = null;
  const seen = new Set();
  const tbody = h("tbody");
  const status = h("p", { class: "muted", role: "status" }, "Loading the audit log…");
  const more = loadMoreButton();
  const refresh = h("button", { type: "button", class: "btn btn-ghost btn-small" }, "Refresh");
  const table = h("table", { class: "table audit" },
    h("caption", { class: "sr-only" }, "Audit log, newest first"),
    h("thead", null, h("tr", null,
      ...["Time", "Agent", "Action", "Target", "Details"].map((t) => h("th", { scope: "col" }, t)))),
    tbody);

  function row(entry) {
    return h("tr", { dataset: { id: entry._id } },
      h("td", { class: "nowrap" }, h("time", { datetime: entry.at, title: entry.at }, fullDate(entry.at))),
      h("td", null, who(entry.agentId)),
      h("td", null, h("span", { class: "audit-action" }, ACTIONS[entry.action] || entry.action),
        h("code", { class: "muted small block" }, entry.action)),
      h("td", null, target(entry)),
      h("td", null, details(entry)));
  }

  async function load(reset) {
    more.disabled = true;
    try {
      const page = await get(withQuery("/api/audit", { limit: PAGE, cursor: reset ? null : next }));
      if (isDestroyed()) return;
      if (reset) {
        tbody.replaceChildren();
        seen.clear();
      }
      for (const entry of page.items || []) {
        if (seen.has(entry._id)) continue;
        seen.add(entry._id);
        tbody.append(row(entry));
      }
      next = page.next || null;
      more.hidden = !next;
      status.textContent = seen.size ? "" : "Nothing recorded yet.";
    } catch (error) {
      if (isDestroyed()) return;
      if (reset) status.textContent = `Could not load the audit log: ${error.message}`;
      else toast(error.message, "error");
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener("click", () => load(false));
  refresh.addEventListener("click", () => load(true));

  const el = section({
    key: "audit", title: "Audit log",
    description: "Who changed what in this account, newest first. Only owners see it.",
  }, h("div", { class: "log-tools" }, refresh), h("div", { class: "table-wrap" }, table), status, more);

  return { el, load: () => load(true) };
}
