// One conversation (/chat/:visitorId): header with team actions, the timeline of messages and
// private notes, the composer, and the visitor panel beside it.

import { api, get, post, put, del, withQuery, enc } from "./api.js";
import {
  h, clear, avatar, visitorName, clock, fullDate, dayLabel, dayKey, formatBytes, toast,
  confirmDialog, nextId, icon, relativeAgo, linkify,
} from "./dom.js";
import { session, realtime, agents, agentName, ensureAgent } from "./state.js";
import { createComposer } from "./composer.js";
import { mountVisitorPanel } from "./visitor-panel.js";
import { t } from "./i18n.js";

const PAGE = 50;
const GROUP_GAP_MS = 5 * 60 * 1000;

export function mountChat(col, panelCol, visitorId, hooks = {}) {
  const me = session.agent._id;
  const disposers = [];
  let destroyed = false;
  let conv = null;
  let visitor = null;
  let online = false;
  let panel = null;
  let composer = null;

  const entries = new Map(); // "m:<id>" | "n:<id>" → {key, t, kind, data, el}
  const order = []; // entries sorted by time
  let olderCursor = null;
  let notes = [];
  let seenInFlight = null;

  // ----- skeleton while loading
  const loading = h("div", { class: "chat-loading", role: "status" }, t("Loading conversation…"));
  col.append(loading);

  // ----- header
  const titleId = nextId("chat");
  const nameEl = h("h2", { class: "chat-name", id: titleId });
  const presenceEl = h("span", { class: "chat-presence" });
  const headAvatar = h("span", { class: "chat-avatar" });
  const assignSelect = h("select", { class: "select", "aria-label": t("Assignee") });
  const assignMe = h("button", { type: "button", class: "btn btn-small btn-ghost" }, t("Assign to me"));
  const statusBtn = h("button", { type: "button", class: "btn btn-small" }, t("Resolve"));
  const banBtn = h("button", { type: "button", class: "btn btn-small btn-danger-ghost" }, t("Ban"));
  const panelToggle = h("button", {
    type: "button", class: "btn btn-small btn-ghost panel-toggle", "aria-controls": "visitor-panel", "aria-expanded": "false",
  }, t("Details"));
  const header = h("header", { class: "chat-head" },
    h("a", { class: "btn btn-icon btn-ghost back-link", href: "/", "aria-label": t("Back to conversations") }, icon("back")),
    headAvatar,
    h("div", { class: "chat-who" }, nameEl, presenceEl),
    h("div", { class: "chat-actions" },
      h("label", { class: "assign" }, h("span", { class: "sr-only" }, t("Assignee")), assignSelect),
      assignMe, statusBtn, banBtn, panelToggle));

  // ----- timeline
  const olderBtn = h("button", { type: "button", class: "btn btn-ghost btn-small older", hidden: true }, t("Load older messages"));
  const list = h("ol", { class: "timeline-list" });
  const timeline = h("div", {
    class: "timeline", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-labelledby": titleId, tabindex: "0",
  }, olderBtn, list);
  const typingLine = h("div", { class: "typing-line", "aria-live": "polite" });

  // ---------------------------------------------------------------------------------------------
  // Rendering

  function isNearBottom() {
    return timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 80;
  }
  function scrollToBottom() {
    timeline.scrollTop = timeline.scrollHeight;
    stuck = true;
  }
  // Stay pinned to the newest message while the layout changes (resizes, images loading).
  let stuck = true;
  timeline.addEventListener("scroll", () => { stuck = isNearBottom(); }, { passive: true });
  const resizeObserver = new ResizeObserver(() => { if (stuck) timeline.scrollTop = timeline.scrollHeight; });
  resizeObserver.observe(timeline);
  resizeObserver.observe(list);
  disposers.push(() => resizeObserver.disconnect());

  function authorAvatar(userId) {
    if (userId === null) return avatar(visitor._id, visitorName(visitor), undefined, "sm");
    return avatar(userId, agentName(userId), undefined, "sm");
  }

  function renderAttachment(att) {
    if (!att || !att.url) return null;
    const url = att.url;
    const label = `${att.name || t("file")}${att.size ? ` (${formatBytes(att.size)})` : ""}`;
    if (String(att.type || "").startsWith("image/")) {
      return h("a", { class: "attachment-image", href: url, target: "_blank", rel: "noopener" },
        h("img", { src: url, alt: att.name || t("Image"), loading: "lazy" }));
    }
    return h("a", { class: "attachment-file", href: url, download: att.name || "" },
      icon("file"), label);
  }

  function renderMessage(m) {
    const fromVisitor = m.userId === null;
    const mine = m.userId === me;
    if (!fromVisitor) ensureAgent(m.userId);
    const author = fromVisitor ? visitorName(visitor) : agentName(m.userId);
    const bubble = h("div", { class: "bubble" });
    if (m.text) bubble.append(h("p", { class: "bubble-text" }, linkify(m.text)));
    if (m.attachment) bubble.append(renderAttachment(m.attachment));
    const meta = h("div", { class: "msg-meta" },
      h("time", { datetime: m.sentAt, title: fullDate(m.sentAt) }, clock(m.sentAt)));
    if (!fromVisitor) {
      meta.append(h("span", { class: `receipt ${m.seen ? "seen" : ""}`, title: m.seen ? t("Seen by the visitor") : t("Sent") },
        m.seen ? t("Seen") : t("Sent")));
    }
    const body = h("div", { class: "msg-body" },
      h("div", { class: "msg-author" }, h("span", { class: "msg-author-name" }, author),
        m.bot ? h("span", { class: "tag tag-bot", title: t("Written by a bot") }, t("Bot")) : null),
      bubble, meta);
    if (mine) {
      const edit = h("button", { type: "button", class: "btn btn-tiny btn-ghost", "aria-label": t("Edit message") }, t("Edit"));
      const remove = h("button", { type: "button", class: "btn btn-tiny btn-ghost", "aria-label": t("Delete message") }, t("Delete"));
      edit.addEventListener("click", () => startEdit(m, bubble));
      remove.addEventListener("click", () => removeMessage(m));
      body.append(h("div", { class: "msg-tools" }, m.text ? edit : null, remove));
    }
    return h("li", {
      class: `tl-item msg ${fromVisitor ? "from-visitor" : "from-agent"}${mine ? " mine" : ""}${m.bot ? " from-bot" : ""}`,
      dataset: { id: m._id, author: m.userId || "visitor" },
    },
    h("div", { class: "day-sep", role: "separator" }, h("span", null, dayLabel(m.sentAt))),
    h("div", { class: "msg-row" }, h("span", { class: "msg-avatar" }, authorAvatar(m.userId)), body));
  }

  function renderNote(n) {
    return h("li", { class: "tl-item note", dataset: { id: n._id, author: `note:${n.userId}` } },
      h("div", { class: "day-sep", role: "separator" }, h("span", null, dayLabel(n.createdAt))),
      h("div", { class: "note-card" },
        h("div", { class: "note-head" },
          h("span", { class: "note-label" }, t("Private note")),
          h("span", { class: "note-author" }, agentName(n.userId)),
          h("time", { datetime: n.createdAt, title: fullDate(n.createdAt) }, clock(n.createdAt))),
        h("p", { class: "note-text" }, linkify(n.text))));
  }

  function startEdit(m, bubble) {
    const ta = h("textarea", { class: "edit-input", "aria-label": t("Edit message"), rows: "2" });
    ta.value = m.text;
    const save = h("button", { type: "submit", class: "btn btn-primary btn-tiny" }, t("Save"));
    const cancel = h("button", { type: "button", class: "btn btn-ghost btn-tiny" }, t("Cancel"));
    const form = h("form", { class: "edit-form" }, ta, h("div", { class: "edit-actions" }, cancel, save));
    const original = [...bubble.childNodes];
    bubble.replaceChildren(form);
    const entry = entries.get(`m:${m._id}`);
    if (entry) entry.editing = true;
    const done = () => {
      if (entry) entry.editing = false;
      bubble.replaceChildren(...original);
    };
    cancel.addEventListener("click", done);
    ta.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { e.preventDefault(); done(); }
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const text = ta.value.trim();
      if (!text) return;
      save.disabled = true;
      try {
        const updated = await put(`/api/messages/${enc(m._id)}`, { text });
        if (entry) entry.editing = false;
        upsert("m", updated);
      } catch (err) {
        toast(err.message, "error");
        save.disabled = false;
      }
    });
    ta.focus();
  }

  async function removeMessage(m) {
    const ok = await confirmDialog(t("Delete this message? The visitor will no longer see it."), { confirmLabel: t("Delete") });
    if (!ok) return;
    try {
      await del(`/api/messages/${enc(m._id)}`);
      removeEntry(`m:${m._id}`);
    } catch (err) {
      toast(err.message, "error");
    }
  }

  /** Insert or replace a message ("m") or note ("n") in time order. */
  function upsert(kind, data) {
    if (!data || !data._id) return;
    const key = `${kind}:${data._id}`;
    const at = Date.parse(kind === "m" ? data.sentAt : data.createdAt) || 0;
    const stick = stuck || isNearBottom();
    const existing = entries.get(key);
    if (existing) {
      if (existing.editing || JSON.stringify(existing.data) === JSON.stringify(data)) return;
      existing.data = data;
      const el = kind === "m" ? renderMessage(data) : renderNote(data);
      existing.el.replaceWith(el);
      existing.el = el;
      refreshGrouping();
      return;
    }
    const entry = { key, t: at, kind, data, el: kind === "m" ? renderMessage(data) : renderNote(data) };
    // Binary search for the first entry later than this one.
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (order[mid].t <= at) lo = mid + 1;
      else hi = mid;
    }
    order.splice(lo, 0, entry);
    entries.set(key, entry);
    const after = order[lo + 1];
    list.insertBefore(entry.el, after ? after.el : null);
    refreshGrouping();
    if (kind === "m") realtime.noteMessage(data);
    if (stick || (kind === "m" && data.userId === me) || (kind === "n" && data.userId === me)) scrollToBottom();
  }

  function removeEntry(key) {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    order.splice(order.indexOf(entry), 1);
    entry.el.remove();
    refreshGrouping();
  }

  /** Day separators before the first item of each day; consecutive messages by one author grouped. */
  function refreshGrouping() {
    let prevDay = null;
    let prev = null;
    for (const entry of order) {
      const iso = entry.kind === "m" ? entry.data.sentAt : entry.data.createdAt;
      const day = dayKey(iso);
      const sep = entry.el.querySelector(".day-sep");
      if (sep) sep.hidden = day === prevDay;
      const grouped = prev && day === prevDay && prev.kind === entry.kind && entry.kind === "m"
        && prev.el.dataset.author === entry.el.dataset.author && entry.t - prev.t < GROUP_GAP_MS;
      entry.el.classList.toggle("grouped", Boolean(grouped));
      prevDay = day;
      prev = entry;
    }
  }

  /** Notes are all loaded at once; show the ones inside the span of loaded messages. */
  function placeNotes() {
    const floor = olderCursor ? (order.find((e) => e.kind === "m")?.t ?? -Infinity) : -Infinity;
    for (const n of notes) {
      if (!entries.has(`n:${n._id}`) && (Date.parse(n.createdAt) || 0) >= floor) upsert("n", n);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Header state

  // Visitor bubbles carry the visitor's name: redraw them when it changes.
  let renderedName = null;
  function syncVisitorName() {
    const name = visitorName(visitor);
    if (renderedName === null || name === renderedName) {
      renderedName = name;
      return;
    }
    renderedName = name;
    redrawMessages((m) => m.userId === null);
  }

  function redrawMessages(which) {
    for (const e of order) {
      if (e.kind !== "m" || e.editing || !which(e.data)) continue;
      const el = renderMessage(e.data);
      e.el.replaceWith(el);
      e.el = el;
    }
    refreshGrouping();
  }

  function renderHeader() {
    const name = visitorName(visitor);
    syncVisitorName();
    nameEl.textContent = name;
    headAvatar.replaceChildren(avatar(visitor._id, name, online, "md"));
    renderPresence();
    // Assignee options: unassigned + every agent of the team.
    const options = [h("option", { value: "" }, t("Unassigned"))];
    const team = [...agents.values()].sort((a, b) => a.name.localeCompare(b.name));
    for (const a of team) {
      const label = a._id === me ? t("{name} (you)", { name: a.name }) : a.bot ? t("{name} (bot)", { name: a.name })
        : a.availability === "away" ? t("{name} (away)", { name: a.name }) : a.name;
      options.push(h("option", { value: a._id }, label));
    }
    if (conv?.assigneeId && !agents.has(conv.assigneeId)) options.push(h("option", { value: conv.assigneeId }, t("Former agent")));
    assignSelect.replaceChildren(...options);
    assignSelect.value = conv?.assigneeId || "";
    assignMe.hidden = conv?.assigneeId === me;
    statusBtn.textContent = conv?.status === "resolved" ? t("Reopen") : t("Resolve");
    statusBtn.classList.toggle("btn-success", conv?.status !== "resolved");
    banBtn.textContent = visitor.banned ? t("Unban") : t("Ban");
    composer?.setBanned(visitor.banned);
  }

  let visitorTyping = false;
  let typingTimer = null;
  const colleaguesTyping = new Map(); // agentId → timeout
  function renderPresence() {
    const parts = [online ? t("Online")
      : visitor.lastOnline ? t("Offline · seen {when}", { when: relativeAgo(visitor.lastOnline) }) : t("Offline")];
    if (conv?.status === "resolved") parts.push(t("Resolved"));
    if (visitor.banned) parts.push(t("Banned"));
    presenceEl.title = visitor.lastOnline ? t("Last online {when}", { when: fullDate(visitor.lastOnline) }) : "";
    presenceEl.replaceChildren(
      h("span", { class: `dot inline ${online ? "dot-on" : "dot-off"}`, "aria-hidden": "true" }),
      parts.join(" · "));
    const colleagues = [...colleaguesTyping.keys()].map(agentName);
    let text = visitorTyping ? t("Visitor is typing…") : "";
    if (colleagues.length) {
      const who = colleagues.length > 1 ? t("{names} are typing a reply…", { names: colleagues.join(", ") })
        : t("{name} is typing a reply…", { name: colleagues[0] });
      text = text ? `${text} ${who}` : who;
    }
    typingLine.textContent = text;
    typingLine.classList.toggle("active", Boolean(text));
  }
  function setVisitorTyping(on) {
    clearTimeout(typingTimer);
    visitorTyping = on;
    if (on) typingTimer = setTimeout(() => setVisitorTyping(false), 6000);
    renderPresence();
  }

  function applyConversation(c) {
    conv = c;
    if (typeof c.online === "boolean") online = c.online;
    visitor = { ...visitor, ...c.visitor };
    renderHeader();
    panel?.setVisitor(visitor, online);
    hooks.onConversation?.(c);
  }

  async function teamAction(promise) {
    try {
      const c = await promise;
      if (c && c.visitor) applyConversation(c);
    } catch (err) {
      toast(err.message, "error");
      renderHeader();
    }
  }

  assignSelect.addEventListener("change", () => {
    const agentId = assignSelect.value || null;
    teamAction(post(`/api/conversations/${enc(visitorId)}/assign`, { agentId }));
  });
  assignMe.addEventListener("click", () => teamAction(post(`/api/conversations/${enc(visitorId)}/assign`, { agentId: me })));
  statusBtn.addEventListener("click", () => teamAction(post(`/api/conversations/${enc(visitorId)}/status`,
    { status: conv?.status === "resolved" ? "open" : "resolved" })));
  banBtn.addEventListener("click", async () => {
    const action = visitor.banned ? "unban" : "ban";
    banBtn.disabled = true;
    try {
      const v = await post(`/api/visitors/${enc(visitorId)}/${action}`);
      visitor = { ...visitor, ...v };
      renderHeader();
      panel?.setVisitor(visitor);
      toast(action === "ban" ? t("Visitor banned: they can no longer chat.") : t("Visitor unbanned."));
    } catch (err) {
      toast(err.message, "error");
    } finally {
      banBtn.disabled = false;
    }
  });
  panelToggle.addEventListener("click", () => setPanelOpen(panelCol.dataset.open !== "true"));
  function setPanelOpen(open) {
    panelCol.dataset.open = String(open);
    panelToggle.setAttribute("aria-expanded", String(open));
  }

  // ---------------------------------------------------------------------------------------------
  // Seen receipts: tell the server the agent has read the visitor's messages.

  async function markSeen() {
    if (destroyed || document.hidden || !visitor) return;
    let newest = null;
    for (let i = order.length - 1; i >= 0; i -= 1) {
      const e = order[i];
      if (e.kind === "m" && e.data.userId === null) { newest = e; break; }
    }
    if (!newest) { hooks.onSeen?.(); return; }
    const anyUnseen = order.some((e) => e.kind === "m" && e.data.userId === null && !e.data.seen);
    if (!anyUnseen) { hooks.onSeen?.(); return; }
    if (seenInFlight === newest.data._id) return;
    seenInFlight = newest.data._id;
    try {
      const res = await post(`/api/visitors/${enc(visitorId)}/seen`, { messageId: newest.data._id });
      const ids = new Set(res?.seen || []);
      for (const e of order) {
        if (e.kind === "m" && e.data.userId === null && (ids.has(e.data._id) || e.t <= newest.t)) e.data.seen = true;
      }
      hooks.onSeen?.();
    } catch {
      seenInFlight = null;
    }
  }
  const onVisibility = () => { if (!document.hidden) markSeen(); };
  document.addEventListener("visibilitychange", onVisibility);
  disposers.push(() => document.removeEventListener("visibilitychange", onVisibility));

  // ---------------------------------------------------------------------------------------------
  // Sending

  async function send(text, mode) {
    try {
      if (mode === "note") {
        const note = await post(`/api/conversations/${enc(visitorId)}/notes`, { text });
        notes.push(note);
        upsert("n", note);
      } else {
        const msg = await post("/api/messages/", { userId: me, visitorId, text });
        upsert("m", msg);
      }
    } catch (err) {
      toast(err.message, "error");
      throw err;
    }
  }

  async function upload(file) {
    try {
      const msg = await api("POST", `/api/visitors/${enc(visitorId)}/attachments`, undefined, {
        raw: file, type: file.type || "application/octet-stream",
        headers: { "X-Filename": encodeURIComponent(file.name) },
      });
      upsert("m", msg);
    } catch (err) {
      toast(err.status === 413 ? t("That file is too large.") : err.message, "error");
    }
  }

  function sendTyping(typing) {
    post(`/api/visitors/${enc(visitorId)}/typing`, { typing }).catch(() => {});
  }

  // ---------------------------------------------------------------------------------------------
  // Loading

  async function loadOlder() {
    if (!olderCursor) return;
    olderBtn.disabled = true;
    const prevHeight = timeline.scrollHeight;
    const prevTop = timeline.scrollTop;
    try {
      const page = await get(withQuery(`/api/visitors/${enc(visitorId)}/messages`, { limit: PAGE, cursor: olderCursor }));
      olderCursor = page.next || null;
      for (const m of page.items || []) upsert("m", m);
      placeNotes();
      olderBtn.hidden = !olderCursor;
      // Keep the reader's place.
      timeline.scrollTop = prevTop + (timeline.scrollHeight - prevHeight);
    } catch (err) {
      toast(err.message, "error");
    } finally {
      olderBtn.disabled = false;
    }
  }
  olderBtn.addEventListener("click", loadOlder);

  async function load() {
    let c;
    let page;
    try {
      [c, page] = await Promise.all([
        get(`/api/conversations/${enc(visitorId)}`),
        get(withQuery(`/api/visitors/${enc(visitorId)}/messages`, { limit: PAGE })),
      ]);
    } catch (err) {
      if (destroyed) return;
      clear(col).append(h("div", { class: "empty-chat" },
        h("h2", null, err.status === 404 ? t("Conversation not found") : t("Could not open this conversation")),
        h("p", null, err.status === 404 ? t("This visitor does not exist in your account, or was removed.") : err.message),
        h("a", { href: "/", class: "btn btn-ghost" }, t("Back to conversations"))));
      return;
    }
    if (destroyed) return;
    conv = c;
    visitor = c.visitor;
    online = Boolean(c.online);
    composer = createComposer({ onSend: send, onUpload: upload, onTyping: sendTyping });
    disposers.push(() => composer.destroy());
    loading.remove();
    col.append(header, timeline, typingLine, composer.el);
    panel = mountVisitorPanel(panelCol, visitor, {
      online,
      onClose: () => setPanelOpen(false),
      onDeleted: () => {
        gone = true;
        hooks.onDeleted?.(visitorId);
      },
      onSaved: (v) => {
        visitor = { ...visitor, ...v };
        renderHeader();
      },
    });
    renderHeader();
    hooks.onConversation?.(c);

    // Messages come newest first; the timeline is oldest first.
    olderCursor = page.next || null;
    for (const m of [...(page.items || [])].reverse()) upsert("m", m);
    olderBtn.hidden = !olderCursor;
    try {
      notes = (await get(`/api/conversations/${enc(visitorId)}/notes`)).items || [];
    } catch {
      notes = [];
    }
    if (destroyed) return;
    placeNotes();
    scrollToBottom();
    if (!order.length) {
      list.append(h("li", { class: "tl-empty" },
        t("No messages yet. This visitor is not a conversation until someone writes: your first message starts it.")));
    }
    markSeen();
    composer.focus();
  }

  // ---------------------------------------------------------------------------------------------
  // Live events

  const forThis = (d) => d && d.visitorId === visitorId;
  disposers.push(realtime.on("message.created", (m) => {
    if (!forThis(m) || !visitor) return;
    list.querySelector(".tl-empty")?.remove();
    upsert("m", m);
    if (m.userId === null) {
      setVisitorTyping(false);
      markSeen();
    }
  }));
  // Updates (edits, seen receipts) only touch messages on screen: older ones load with their state.
  disposers.push(realtime.on("message.updated", (m) => {
    if (forThis(m) && visitor && entries.has(`m:${m._id}`)) upsert("m", m);
  }));
  disposers.push(realtime.on("message.deleted", (m) => { if (forThis(m)) removeEntry(`m:${m._id}`); }));
  disposers.push(realtime.on("note.created", (n) => {
    if (!forThis(n) || !visitor) return;
    if (!notes.some((x) => x._id === n._id)) notes.push(n);
    list.querySelector(".tl-empty")?.remove();
    upsert("n", n);
  }));
  disposers.push(realtime.on("typing", (ev) => {
    if (!forThis(ev) || !visitor) return;
    if (ev.userId === null) {
      setVisitorTyping(Boolean(ev.typing));
    } else if (ev.userId !== me) {
      // A colleague is answering the same visitor: show it, so two agents do not both reply.
      clearTimeout(colleaguesTyping.get(ev.userId));
      colleaguesTyping.delete(ev.userId);
      if (ev.typing) {
        colleaguesTyping.set(ev.userId, setTimeout(() => { colleaguesTyping.delete(ev.userId); renderPresence(); }, 6000));
      }
      renderPresence();
    }
  }));
  disposers.push(realtime.on("visitor.updated", (v) => {
    if (!v || v._id !== visitorId || !visitor) return;
    const { online: isOnline, ...fields } = v;
    visitor = { ...visitor, ...fields };
    if (typeof isOnline === "boolean") online = isOnline;
    if (!online) setVisitorTyping(false);
    renderHeader();
  }));
  // Erased (here or on a colleague's dashboard): nothing is left to show.
  let gone = false;
  disposers.push(realtime.on("visitor.deleted", (d) => {
    if (!d || d._id !== visitorId || gone) return;
    gone = true;
    showGone();
  }));
  function showGone() {
    teardown();
    clear(panelCol);
    clear(col).append(h("div", { class: "empty-chat", role: "status" },
      h("h2", null, t("This visitor was deleted")),
      h("p", null, t("The visitor and everything about them were erased.")),
      h("a", { href: "/", class: "btn btn-ghost" }, t("Back to conversations"))));
  }
  // The team changed (e.g. a new bot agent): redraw authors' names and the assignee list.
  disposers.push(realtime.on("agents.changed", () => {
    if (!visitor) return;
    redrawMessages((m) => m.userId !== null);
    renderHeader();
  }));
  disposers.push(realtime.on("conversation.updated", (c) => {
    if (c && c.visitor && c.visitor._id === visitorId && visitor) {
      conv = c;
      if (typeof c.online === "boolean") online = c.online;
      visitor = { ...visitor, ...c.visitor };
      renderHeader();
    }
  }));
  disposers.push(realtime.on("open", () => {
    // (Re)connected: refresh the header (presence, assignment) and the newest messages. Resume
    // replays missed messages too; upsert() drops the copies.
    if (!composer) return;
    get(`/api/conversations/${enc(visitorId)}`).then((c) => { if (!destroyed) applyConversation(c); }).catch(() => {});
    get(withQuery(`/api/visitors/${enc(visitorId)}/messages`, { limit: PAGE })).then((page) => {
      if (destroyed) return;
      for (const m of [...(page.items || [])].reverse()) upsert("m", m);
      markSeen();
    }).catch(() => {});
  }));

  load();

  let tornDown = false;
  function teardown() {
    if (tornDown) return;
    tornDown = true;
    destroyed = true;
    clearTimeout(typingTimer);
    for (const timer of colleaguesTyping.values()) clearTimeout(timer);

    for (const d of disposers) d();
    panel?.destroy();
    panel = null;
    delete panelCol.dataset.open;
  }

  return {
    visitorId,
    destroy: teardown,
  };
}
