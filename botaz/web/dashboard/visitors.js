// /visitors, "Visitors now": who has the website open right now (the widget is connected), on
// which page and for how long, updated live; "Start chat" opens /chat/:visitorId, where the
// agent's first message makes the visitor a conversation.

import { get, enc, withQuery } from "./api.js";
import { h, avatar, visitorName, describeUserAgent, safeHttpUrl, fullDate, nextId, relativeAgo } from "./dom.js";
import { realtime, nav, agentName, session } from "./state.js";
import { t, tn } from "./i18n.js";

const TICK_MS = 5000;
const RELOAD_DELAY_MS = 500;

/** "45 s", "3 min", "1 h 5 min": how long since an ISO time. */
export function since(iso, now = Date.now()) {
  const at = Date.parse(iso || "");
  if (!at) return "";
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 60) return t("{n} s", { n: seconds });
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return t("{n} min", { n: minutes });
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? t("{h} h {m} min", { h: hours, m: minutes % 60 }) : t("{n} h", { n: hours });
}

function host(url) {
  try { return new URL(url).host; } catch { return ""; }
}

export function mountVisitors(container) {
  const me = session.agent._id;
  const items = new Map(); // visitorId -> OnlineVisitor
  let total = 0;
  let loaded = false;
  let failed = null;
  let destroyed = false;
  let reloadTimer = null;
  let requestSeq = 0;
  const disposers = [];

  const headingId = nextId("visitors");
  const tbody = h("tbody");
  const table = h("table", { class: "table visitors-table" },
    h("caption", { class: "sr-only" }, t("Visitors on your website now")),
    h("thead", null, h("tr", null,
      h("th", { scope: "col" }, t("Visitor")),
      h("th", { scope: "col" }, t("Page")),
      h("th", { scope: "col" }, t("On page")),
      h("th", { scope: "col" }, t("On site")),
      h("th", { scope: "col" }, t("Browser")),
      h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("Actions"))))),
    tbody);
  const summary = h("p", { class: "visitors-summary" });
  const status = h("p", { class: "list-status", role: "status" });
  const wrap = h("div", { class: "table-wrap" }, table);

  container.append(h("div", { class: "page wide-page" },
    h("div", { class: "page-head" },
      h("h1", { id: headingId }, t("Visitors now")),
      h("p", { class: "muted" },
        t("Who has your website open right now, on which page and for how long. They are not conversations until someone writes: start a chat and your first message makes one."))),
    h("section", { class: "card", "aria-labelledby": headingId }, summary, wrap, status),
    attributeFinder()));


  function ordered() {
    return [...items.values()].sort((a, b) =>
      (Date.parse(b.visitStartedAt) || 0) - (Date.parse(a.visitStartedAt) || 0));
  }

  function renderRow(item, now) {
    const v = item.visitor;
    const name = visitorName(v);
    const chatting = Boolean(item.conversationStartedAt);
    const tags = [h("span", { class: `tag ${chatting ? "tag-assignee" : "tag-browsing"}` },
      chatting ? t("In a conversation") : t("Browsing"))];
    if (item.assigneeId) {
      tags.push(h("span", { class: "tag" }, item.assigneeId === me ? t("Yours") : agentName(item.assigneeId)));
    }
    const page = item.page;
    let pageCell = h("span", { class: "muted" }, t("Not reported"));
    if (page) {
      const href = safeHttpUrl(page.url);
      const title = page.title || page.url;
      pageCell = h("span", { class: "visitor-page" },
        href ? h("a", { href, target: "_blank", rel: "noopener noreferrer", class: "visitor-page-title" }, title)
          : h("span", { class: "visitor-page-title" }, title),
        h("span", { class: "visitor-page-url" }, page.url));
    }
    const referrer = page && page.referrer ? host(page.referrer) : "";
    const start = h("button", {
      type: "button", class: `btn btn-small ${chatting ? "" : "btn-primary"}`.trim(),
      "aria-label": chatting ? t("Open chat with {name}", { name }) : t("Start chat with {name}", { name }),
    }, chatting ? t("Open chat") : t("Start chat"));
    start.addEventListener("click", () => nav.go(`/chat/${enc(v._id)}`));
    return h("tr", { dataset: { visitorId: v._id } },
      h("td", null, h("span", { class: "agent-cell" },
        avatar(v._id, name, true, "sm"),
        h("span", { class: "visitor-who" },
          h("span", { class: "agent-name" }, name),
          h("span", { class: "conv-tags" }, tags)))),
      h("td", { class: "visitor-page-cell" }, pageCell),
      h("td", { class: "nowrap", dataset: { label: t("On page") } }, page
        ? h("time", { class: "since", datetime: page.visitedAt, title: fullDate(page.visitedAt) }, since(page.visitedAt, now)) : "—"),
      h("td", { class: "nowrap", dataset: { label: t("On site") } },
        h("time", { class: "since", datetime: item.visitStartedAt, title: fullDate(item.visitStartedAt) }, since(item.visitStartedAt, now))),
      h("td", { class: "visitor-browser" }, h("span", { class: "block" }, describeUserAgent(v.userAgent)),
        referrer ? h("span", { class: "visitor-page-url" }, t("from {host}", { host: referrer })) : null),
      h("td", { class: "actions" }, start));
  }

  function render() {
    if (destroyed) return;
    const now = Date.now();
    const list = ordered();
    // Keep focus on a row's button across live redraws: redraw only when something changed.
    const focusedId = document.activeElement?.closest?.("tr[data-visitor-id]")?.dataset.visitorId;
    tbody.replaceChildren(...list.map((item) => renderRow(item, now)));
    if (focusedId) tbody.querySelector(`tr[data-visitor-id="${CSS.escape(focusedId)}"] button`)?.focus();
    wrap.hidden = list.length === 0;
    const count = Math.max(total, list.length);
    summary.textContent = !loaded ? "" : tn(count, "{n} visitor on your website.", "{n} visitors on your website.")
      + (count > list.length ? ` ${t("Showing the {n} latest.", { n: list.length })}` : "");
    if (failed) status.textContent = t("Could not load visitors: {error}", { error: failed });
    else if (!loaded) status.textContent = t("Loading visitors…");
    else if (!list.length) status.textContent = t("Nobody is on your website right now. Visitors appear here as soon as a page with the chat widget opens.");

    else status.textContent = "";
  }

  async function load() {
    const seq = ++requestSeq;
    try {
      const data = await get("/api/visitors/online");
      if (destroyed || seq !== requestSeq) return;
      items.clear();
      for (const item of data.items || []) items.set(item.visitor._id, item);
      total = data.total || 0;
      failed = null;
    } catch (err) {
      if (destroyed || seq !== requestSeq) return;
      failed = err.message;
    }
    loaded = true;
    render();
  }

  // Arrivals are batched: at most one reload per RELOAD_DELAY_MS, however busy the site.
  function reloadSoon() {
    if (reloadTimer) return;
    reloadTimer = setTimeout(() => { reloadTimer = null; load(); }, RELOAD_DELAY_MS);
  }

  disposers.push(realtime.on("visitor.updated", (v) => {
    if (!v || !v._id) return;
    const item = items.get(v._id);
    if (v.online === true && !item) { reloadSoon(); return; }
    if (v.online === false) {
      if (items.delete(v._id)) { total = Math.max(0, total - 1); render(); }
      return;
    }
    if (item) {
      const { online, ...fields } = v;
      item.visitor = { ...item.visitor, ...fields };
      if (v.banned) items.delete(v._id);
      render();
    }
  }));
  disposers.push(realtime.on("visitor.page", (p) => {
    const item = p && items.get(p.visitorId);
    if (!item) { reloadSoon(); return; }
    const { visitorId, ...page } = p;
    item.page = page;
    render();
  }));
  disposers.push(realtime.on("conversation.updated", (c) => {
    const item = c && c.visitor && items.get(c.visitor._id);
    if (!item) return;
    item.conversationStartedAt = c.startedAt || item.conversationStartedAt;
    item.status = c.status;
    item.assigneeId = c.assigneeId;
    render();
  }));
  disposers.push(realtime.on("visitor.deleted", (d) => {
    if (d && items.delete(d._id)) { total = Math.max(0, total - 1); render(); }
  }));
  disposers.push(realtime.on("agents.changed", () => render()));
  disposers.push(realtime.on("open", () => { if (loaded) load(); })); // reconnected: catch up

  // The clocks move on; nothing else is redrawn for them.
  const ticker = setInterval(() => {
    const now = Date.now();
    for (const el of tbody.querySelectorAll("time.since")) el.textContent = since(el.dateTime, now);
  }, TICK_MS);
  render();
  load();

  return {
    destroy() {
      destroyed = true;
      clearInterval(ticker);
      clearTimeout(reloadTimer);
      for (const d of disposers) d();
    },
  };
}

/**
 * "Find visitors by attribute": every visitor (online or not) whose custom attribute, set by the
 * website with Botaz.setAttributes, has a value (GET /api/visitors?attribute=key:value).
 */
function attributeFinder() {
  const headingId = nextId("attrs");
  const key = h("select", { name: "key", class: "select", id: nextId("ak") },
    h("option", { value: "" }, t("Loading…")));
  const value = h("input", { name: "value", id: nextId("av"), autocomplete: "off", maxlength: "1000",
    placeholder: t("e.g. pro") });
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, t("Find visitors"));
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const results = h("ul", { class: "attr-results" });
  const status = h("p", { class: "muted", role: "status" });
  const more = h("button", { type: "button", class: "btn btn-ghost btn-small", hidden: true }, t("Load more"));
  const form = h("form", { class: "inline-form attr-filter", novalidate: true, role: "search",
    "aria-label": t("Filter visitors by attribute") },
  h("div", { class: "field" }, h("label", { for: key.id }, t("Attribute")), key),
  h("div", { class: "field" }, h("label", { for: value.id }, t("Value")), value),
  submit, error);
  let next = null;
  let filter = null;

  get("/api/visitors/attribute-keys").then((data) => {
    const items = data.items || [];
    key.replaceChildren(...(items.length
      ? items.map((k) => h("option", { value: k.key }, tn(k.visitors, "{key} ({n} visitor)", "{key} ({n} visitors)", { key: k.key })))
      : [h("option", { value: "" }, t("No attributes yet"))]));
    submit.disabled = !items.length;
  }).catch((err) => {
    key.replaceChildren(h("option", { value: "" }, t("No attributes yet")));
    status.textContent = t("Could not load the attributes: {error}", { error: err.message });
  });

  function row(v) {
    const name = visitorName(v);
    return h("li", { class: "attr-result" },
      avatar(v._id, name, undefined, "sm"),
      h("a", { href: `/chat/${enc(v._id)}`, class: "attr-result-name" }, name),
      h("span", { class: "muted small" }, v.lastOnline ? t("Last seen {when}", { when: relativeAgo(v.lastOnline) }) : ""));
  }

  async function load(reset) {
    if (reset) next = null;
    more.disabled = true;
    try {
      const page = await get(withQuery("/api/visitors", { attribute: filter, limit: 50, cursor: next || undefined }));
      if (reset) results.replaceChildren();
      results.append(...(page.items || []).map(row));
      next = page.next || null;
      more.hidden = !next;
      status.textContent = results.children.length ? ""
        : t("No visitor has {key} = {value}.", { key: filter.split(":")[0], value: filter.slice(filter.indexOf(":") + 1) });
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    } finally {
      more.disabled = false;
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.hidden = true;
    if (!key.value) return;
    filter = `${key.value}:${value.value}`;
    load(true);
  });
  more.addEventListener("click", () => load(false));

  return h("section", { class: "card attr-finder", "aria-labelledby": headingId },
    h("h2", { id: headingId }, t("Find visitors by attribute")),
    h("p", { class: "muted" }, t("Custom attributes your website sets with Botaz.setAttributes, e.g. a plan or a company. Every visitor who has the value, online or not.")),
    form, results, status, more);
}
