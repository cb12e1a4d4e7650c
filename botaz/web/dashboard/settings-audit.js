// Settings → Audit log (owners, /settings#audit): who edited or deleted messages, changed,
// banned, exported or erased visitors, and managed agents, tokens, settings, webhooks and the bot.

import { get, withQuery, enc } from "./api.js";
import { h, fullDate, toast } from "./dom.js";
import { agents, session } from "./state.js";
import { section, loadMoreButton } from "./forms.js";
import { t } from "./i18n.js";

const PAGE = 50;

const ACTIONS = () => ({
  "message.edit": t("Edited a message"),
  "message.delete": t("Deleted a message"),
  "visitor.update": t("Changed a visitor"),
  "visitor.ban": t("Banned a visitor"),
  "visitor.unban": t("Unbanned a visitor"),
  "visitor.export": t("Exported a visitor's data"),
  "visitor.delete": t("Erased a visitor"),
  "agent.add": t("Added an agent"),
  "agent.remove": t("Removed an agent"),
  "token.create": t("Created an API token"),
  "token.revoke": t("Revoked an API token"),
  "settings.update": t("Changed settings"),
  "webhook.create": t("Created a webhook"),
  "webhook.update": t("Changed a webhook"),
  "webhook.delete": t("Deleted a webhook"),
  "bot.update": t("Changed the bot"),
});

function who(agentId) {
  if (agentId === "system") return h("span", { class: "muted" }, "botaz");
  if (agentId === session.agent?._id) return t("{name} (you)", { name: session.agent.name });
  const a = agents.get(agentId);
  return a ? a.name : h("span", { class: "muted" }, t("A removed agent"));
}

function detailValue(value) {
  if (value === null || value === undefined) return t("none");
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
    parts.push(" ", h("a", { href: `/chat/${enc(visitorId)}`, class: "small" }, t("Open conversation")));
  }
  return parts;
}

export function createAuditSection({ isDestroyed }) {
  let next = null;
  const seen = new Set();
  const tbody = h("tbody");
  const status = h("p", { class: "muted", role: "status" }, t("Loading the audit log…"));
  const more = loadMoreButton();
  const refresh = h("button", { type: "button", class: "btn btn-ghost btn-small" }, t("Refresh"));
  const table = h("table", { class: "table audit" },
    h("caption", { class: "sr-only" }, t("Audit log, newest first")),
    h("thead", null, h("tr", null,
      ...[t("Time"), t("Agent"), t("Action"), t("Target"), t("Details")].map((text) => h("th", { scope: "col" }, text)))),
    tbody);

  function row(entry) {
    return h("tr", { dataset: { id: entry._id } },
      h("td", { class: "nowrap" }, h("time", { datetime: entry.at, title: entry.at }, fullDate(entry.at))),
      h("td", null, who(entry.agentId)),
      h("td", null, h("span", { class: "audit-action" }, ACTIONS()[entry.action] || entry.action),
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
      status.textContent = seen.size ? "" : t("Nothing recorded yet.");
    } catch (error) {
      if (isDestroyed()) return;
      if (reset) status.textContent = t("Could not load the audit log: {error}", { error: error.message });
      else toast(error.message, "error");
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener("click", () => load(false));
  refresh.addEventListener("click", () => load(true));

  const el = section({
    key: "audit", title: t("Audit log"),
    description: t("Who changed what in this account, newest first. Only owners see it."),

  }, h("div", { class: "log-tools" }, refresh), h("div", { class: "table-wrap" }, table), status, more);

  return { el, load: () => load(true) };
}
