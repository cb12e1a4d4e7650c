// The conversations screen: list (left), the open conversation (middle), visitor panel (right).

import { get, withQuery, enc } from "./api.js";
import { h, clear, avatar, visitorName, shortWhen, nextId } from "./dom.js";
import { session, realtime, agentName, ensureAgent, nav } from "./state.js";
import { mountChat } from "./chat.js";
import { labelFilter } from "./episode-panel.js";

const FILTER_KEY = "botaz.filters";
const PAGE = 30;

const STATUS_FILTERS = [["open", "Open"], ["resolved", "Resolved"], ["all", "All"]];
const ASSIGNEE_FILTERS = [["me", "Mine"], ["none", "Unassigned"], ["all", "All"]];

function loadFilters() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(FILTER_KEY) || "{}");
    return {
      status: STATUS_FILTERS.some(([v]) => v === saved.status) ? saved.status : "open",
      assignee: ASSIGNEE_FILTERS.some(([v]) => v === saved.assignee) ? saved.assignee : "all",
      q: "",
    };
  } catch {
    return { status: "open", assignee: "all", q: "" };
  }
}

export function mountInbox(container, route) {
  const list = createConversationList();
  const chatCol = h("section", { class: "chat-col", "aria-label": "Conversation" });
  const panelCol = h("aside", { class: "panel-col", id: "visitor-panel", "aria-label": "Visitor details" });
  container.append(h("div", { class: "inbox" }, list.el, chatCol, panelCol));

  let chat = null;
  function open(visitorId) {
    if (chat && chat.visitorId === visitorId) return;
    chat?.destroy();
    chat = null;
    clear(chatCol);
    clear(panelCol);
    list.setActive(visitorId);
    if (!visitorId) {
      chatCol.append(h("div", { class: "empty-chat" },
        h("div", { class: "empty-illustration", "aria-hidden": "true" }),
        h("h2", null, "No conversation selected"),
        h("p", null, "Pick a conversation on the left. New chats from your website appear there as they start.")));
      return;
    }
    chat = mountChat(chatCol, panelCol, visitorId, {
      onConversation: (conv) => list.upsert(conv, { force: true }),
      onSeen: () => list.setUnread(visitorId, 0),
      onDeleted: (id) => {
        list.remove(id);
        nav.go("/");
      },
    });
  }
  open(route.visitorId);

  return {
    update(r) { open(r.visitorId); },
    destroy() {
      chat?.destroy();
      list.destroy();
    },
  };
}

// ---------------------------------------------------------------------------------------------

function createConversationList() {
  const me = session.agent._id;
  const filters = loadFilters();
  const convs = new Map(); // visitorId → Conversation
  const rows = new Map(); // visitorId → {li, a}
  const typing = new Map(); // visitorId → timeout
  const pendingFetch = new Map();
  let next = null;
  let activeId = null;
  let loaded = false;
  let requestSeq = 0;
  const disposers = [];
  const labeled = new Set(); // with a label filter: the conversations the server listed

  const ul = h("ul", { class: "conv-items", "aria-label": "Conversations" });
  const status = h("p", { class: "list-status", role: "status" });
  const more = h("button", { type: "button", class: "btn btn-ghost btn-block", hidden: true }, "Load more");
  more.addEventListener("click", () => load(false));

  const search = h("input", {
    type: "search", class: "search", placeholder: "Search name, email or message",
    "aria-label": "Search conversations", autocomplete: "off",
  });
  let searchTimer;
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      filters.q = search.value.trim();
      load(true);
    }, 250);
  });

  function segmented(label, options, key) {
    const group = h("div", { class: "segmented", role: "group", "aria-label": label });
    for (const [value, text] of options) {
      const b = h("button", { type: "button", class: "seg", "aria-pressed": String(filters[key] === value) }, text);
      b.addEventListener("click", () => {
        if (filters[key] === value) return;
        filters[key] = value;
        for (const other of group.children) other.setAttribute("aria-pressed", String(other === b));
        try {
          sessionStorage.setItem(FILTER_KEY, JSON.stringify({ status: filters.status, assignee: filters.assignee }));
        } catch { /* storage off */ }
        load(true);
      });
      group.append(b);
    }
    return group;
  }

  const headingId = nextId("convs");
  const el = h("section", { class: "list-col", "aria-labelledby": headingId },
    h("div", { class: "list-head" },
      h("h1", { id: headingId, class: "list-title" }, "Conversations"),
      search,
      h("div", { class: "filters" },
        segmented("Status", STATUS_FILTERS, "status"),
        segmented("Assignee", ASSIGNEE_FILTERS, "assignee"),
        labelFilter((id) => { filters.label = id; load(true); }))),
    h("div", { class: "list-scroll" }, ul, status, more));

  function matches(conv) {
    // A visitor who is only browsing (nobody has written yet) is not a conversation.
    if (!conv.startedAt) return false;
    if (filters.status !== "all" && conv.status !== filters.status) return false;
    if (filters.assignee === "me" && conv.assigneeId !== me) return false;
    if (filters.assignee === "none" && conv.assigneeId) return false;
    if (filters.label && !labeled.has(conv.visitor._id)) return false; // labels come with a reload
    if (filters.q) {
      const v = conv.visitor || {};
      const hay = [v.name, v.email, v.phone, conv.lastMessage?.text].filter(Boolean).join(" ").toLowerCase();
      if (!hay.includes(filters.q.toLowerCase())) return false;
    }
    return true;
  }

  function sortKey(conv) {
    return [conv.online ? 1 : 0, Date.parse(conv.lastActivityAt || conv.lastMessage?.sentAt || 0) || 0];
  }

  function ordered() {
    return [...convs.values()].sort((a, b) => {
      const [ao, at] = sortKey(a);
      const [bo, bt] = sortKey(b);
      return bo - ao || bt - at;
    });
  }

  function preview(conv) {
    if (typing.has(conv.visitor._id)) return h("span", { class: "conv-preview typing" }, "typing…");
    const m = conv.lastMessage;
    if (!m) return h("span", { class: "conv-preview muted" }, "No messages yet");
    let who = "";
    if (m.userId === me) who = "You: ";
    else if (m.userId) {
      ensureAgent(m.userId);
      who = `${agentName(m.userId)}: `;
    }
    let text = m.text || "";
    if (!text && m.attachment) text = `📎 ${m.attachment.name || "File"}`;
    return h("span", { class: "conv-preview" }, who, text);
  }

  function renderRow(conv) {
    const id = conv.visitor._id;
    let row = rows.get(id);
    if (!row) {
      const a = h("a", { class: "conv", href: `/chat/${enc(id)}` });
      row = { li: h("li", { class: "conv-item" }, a), a };
      rows.set(id, row);
    }
    const name = visitorName(conv.visitor);
    const unread = conv.unread > 0;
    const tags = [];
    if (conv.status === "resolved") tags.push(h("span", { class: "tag tag-resolved" }, "Resolved"));
    if (conv.visitor.banned) tags.push(h("span", { class: "tag tag-banned" }, "Banned"));
    tags.push(h("span", { class: `tag ${conv.assigneeId ? "tag-assignee" : "tag-unassigned"}` },
      conv.assigneeId ? (conv.assigneeId === me ? "You" : agentName(conv.assigneeId)) : "Unassigned"));
    row.a.classList.toggle("unread", unread);
    row.a.replaceChildren(
      avatar(id, name, Boolean(conv.online)),
      h("span", { class: "conv-body" },
        h("span", { class: "conv-top" },
          h("span", { class: "conv-name" }, name),
          h("span", { class: "sr-only" }, conv.online ? ", online" : ", offline"),
          h("time", { class: "conv-time", datetime: conv.lastActivityAt || "" }, shortWhen(conv.lastActivityAt))),
        h("span", { class: "conv-bottom" },
          preview(conv),
          unread ? h("span", { class: "pill", "aria-label": `${conv.unread} unread` },
            conv.unread > 99 ? "99+" : String(conv.unread)) : null),
        h("span", { class: "conv-tags" }, tags)));
    if (id === activeId) row.a.setAttribute("aria-current", "page");
    else row.a.removeAttribute("aria-current");
    return row;
  }

  function render() {
    const list = ordered();
    const wanted = list.map((c) => renderRow(c).li);
    // Reorder only when needed, so a focused row keeps focus during live updates.
    const currentOrder = [...ul.children];
    const same = currentOrder.length === wanted.length && currentOrder.every((li, i) => li === wanted[i]);
    if (!same) ul.replaceChildren(...wanted);
    for (const [id, row] of rows) if (!convs.has(id)) { row.li.remove(); rows.delete(id); }
    if (!loaded) {
      status.textContent = "Loading conversations…";
    } else if (list.length === 0) {
      status.textContent = filters.q ? "No conversations match your search."
        : filters.status === "resolved" ? "No resolved conversations."
          : "No conversations yet. When a visitor writes from your website, or you write to someone in Visitors now, the chat appears here.";
    } else {
      status.textContent = "";
    }
    more.hidden = !next;
  }

  async function load(reset) {
    const seq = ++requestSeq;
    if (reset) {
      next = null;
    }
    more.disabled = true;
    try {
      const data = await get(withQuery("/api/conversations", {
        status: filters.status, assignee: filters.assignee, q: filters.q, label: filters.label,
        limit: PAGE, cursor: reset ? null : next,
      }));
      if (seq !== requestSeq) return;
      if (reset) { convs.clear(); labeled.clear(); }
      for (const conv of data.items || []) {
        labeled.add(conv.visitor._id);
        convs.set(conv.visitor._id, conv);
        if (conv.lastMessage) realtime.noteMessage(conv.lastMessage);
      }
      next = data.next || null;
      loaded = true;
      render();
    } catch (err) {
      if (seq !== requestSeq) return;
      loaded = true;
      render();
      status.textContent = `Could not load conversations: ${err.message}`;
    } finally {
      more.disabled = false;
    }
  }

  // visitorId → whether another fetch is needed once the one in flight finishes
  async function fetchAndInsert(visitorId) {
    if (pendingFetch.has(visitorId)) {
      pendingFetch.set(visitorId, true);
      return;
    }
    pendingFetch.set(visitorId, false);
    try {
      const conv = await get(`/api/conversations/${enc(visitorId)}`);
      upsert(conv);
    } catch { /* gone or not visible to me */ } finally {
      const again = pendingFetch.get(visitorId);
      pendingFetch.delete(visitorId);
      if (again) fetchAndInsert(visitorId);
    }
  }

  function upsert(conv, { force = false } = {}) {
    if (!conv || !conv.visitor) return;
    const id = conv.visitor._id;
    if (matches(conv) || (force && convs.has(id)) || (id === activeId && convs.has(id))) {
      const old = convs.get(id);
      // An open, visible conversation is being read: keep its badge at zero.
      if (id === nav.openVisitorId && !document.hidden) conv = { ...conv, unread: 0 };
      else if (old && typeof conv.unread !== "number") conv = { ...conv, unread: old.unread };
      convs.set(id, conv);
    } else {
      convs.delete(id);
    }
    render();
  }

  function remove(visitorId) {
    clearTimeout(typing.get(visitorId));
    typing.delete(visitorId);
    if (convs.delete(visitorId)) render();
  }

  function setUnread(visitorId, n) {
    const conv = convs.get(visitorId);
    if (conv && conv.unread !== n) {
      conv.unread = n;
      render();
    }
  }

  function setActive(visitorId) {
    activeId = visitorId;
    if (visitorId) setUnread(visitorId, 0);
    for (const [id, row] of rows) {
      if (id === visitorId) row.a.setAttribute("aria-current", "page");
      else row.a.removeAttribute("aria-current");
    }
  }

  function setTyping(visitorId, on) {
    clearTimeout(typing.get(visitorId));
    typing.delete(visitorId);
    if (on) typing.set(visitorId, setTimeout(() => { typing.delete(visitorId); render(); }, 6000));
    if (convs.has(visitorId)) render();
  }

  // ----- live updates
  disposers.push(realtime.on("message.created", (m) => {
    const conv = convs.get(m.visitorId);
    if (!conv) {
      fetchAndInsert(m.visitorId);
      return;
    }
    const known = conv.lastMessage && (conv.lastMessage._id === m._id
      || Date.parse(conv.lastMessage.sentAt) > Date.parse(m.sentAt));
    if (known) return; // a replay after reconnecting, already counted by the list reload
    conv.lastMessage = m;
    conv.lastActivityAt = m.sentAt;
    if (m.userId === null) {
      setTyping(m.visitorId, false);
      const reading = nav.openVisitorId === m.visitorId && !document.hidden;
      if (!reading && !m.seen) conv.unread = (conv.unread || 0) + 1;
    }
    if (!matches(conv) && m.visitorId !== activeId) {
      // e.g. a resolved conversation the visitor wrote to: the server decides where it belongs now.
      fetchAndInsert(m.visitorId);
    }
    render();
  }));
  disposers.push(realtime.on("message.updated", (m) => {
    const conv = convs.get(m.visitorId);
    if (conv && conv.lastMessage && conv.lastMessage._id === m._id) {
      conv.lastMessage = m;
      render();
    }
  }));
  disposers.push(realtime.on("message.deleted", (m) => {
    const conv = convs.get(m.visitorId);
    if (conv && conv.lastMessage && conv.lastMessage._id === m._id) fetchAndInsert(m.visitorId);
  }));
  disposers.push(realtime.on("visitor.updated", (v) => {
    const conv = v && convs.get(v._id);
    if (!conv) return;
    const { online, ...fields } = v;
    conv.visitor = { ...conv.visitor, ...fields };
    if (typeof online === "boolean") conv.online = online;
    render();
  }));
  disposers.push(realtime.on("visitor.deleted", (d) => { if (d && d._id) remove(d._id); }));
  disposers.push(realtime.on("agents.changed", () => render()));
  disposers.push(realtime.on("conversation.updated", (c) => upsert(c)));
  disposers.push(realtime.on("typing", (t) => {
    if (t && t.userId === null) setTyping(t.visitorId, Boolean(t.typing));
  }));
  disposers.push(realtime.on("open", () => {
    // (Re)connected: presence and counts may have changed while the socket was away.
    if (loaded) load(true);
  }));

  render();
  load(true);

  return {
    el,
    upsert,
    remove,
    setUnread,
    setActive,
    destroy() {
      for (const d of disposers) d();
      for (const t of typing.values()) clearTimeout(t);
      clearTimeout(searchTimer);
    },
  };
}
