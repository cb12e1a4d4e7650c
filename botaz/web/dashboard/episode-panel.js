// "This conversation" in the visitor panel: the current episode's times, the visitor's rating,
// its labels (add and remove), and the visitor's earlier conversations.

import { get, post, del, withQuery, enc } from "./api.js";
import { h, clear, fullDate, nextId, toast } from "./dom.js";
import { agentName, realtime, session } from "./state.js";

let labelsCache = null; // Promise<Label[]>, shared by every open panel
export function accountLabels(force = false) {
  if (!labelsCache || force) {
    labelsCache = get("/api/labels").then((d) => d.items || []).catch((err) => {
      labelsCache = null;
      throw err;
    });
  }
  return labelsCache;
}

export function duration(ms) {
  if (ms === null || ms === undefined) return "—";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ${m % 60} min`;
  return `${Math.round(hours / 24)} days`;
}

/** The inbox's label filter: a <select> that calls onChange(labelId or ""). Here, not in
 * reports.js, so that the inbox loads no report code. */
export function labelFilter(onChange) {
  const id = nextId("lf");
  const select = h("select", { id, class: "inbox-label-filter" }, h("option", { value: "" }, "Any label"));
  select.addEventListener("change", () => onChange(select.value));
  accountLabels().then((labels) => {
    for (const l of labels) select.append(h("option", { value: l._id }, l.name));
  }).catch(() => {});
  return h("div", { class: "label-filter" }, h("label", { for: id, class: "sr-only" }, "Filter by label"), select);
}

export function labelChip(label, onRemove) {
  const chip = h("span", { class: "label-chip" },
    h("span", { class: "label-swatch", style: `background:${/^#[0-9a-f]{6}$/i.test(label.color) ? label.color : "#9ca3af"}`, "aria-hidden": "true" }),
    h("span", null, label.name));
  if (onRemove) {
    const x = h("button", { type: "button", class: "label-remove", "aria-label": `Remove label ${label.name}`, title: "Remove" }, "×");
    x.addEventListener("click", () => onRemove(label));
    chip.append(x);
  }
  return chip;
}

export function stars(score) {
  return h("span", { class: "stars-show", role: "img", "aria-label": `${score} of 5 stars` },
    "★".repeat(score), h("span", { class: "stars-off" }, "★".repeat(5 - score)));
}

export function mountEpisodeSection(visitorId) {
  let episode = null;
  const disposers = [];
  const headingId = nextId("eh");
  const facts = h("dl", { class: "info-list" });
  const ratingBox = h("div", { class: "episode-rating" });
  const chips = h("div", { class: "label-chips", role: "list", "aria-label": "Labels" });
  const selectId = nextId("lbl");
  const select = h("select", { id: selectId, class: "label-select" });
  const addBtn = h("button", { type: "button", class: "btn btn-small" }, "Add label");
  const adder = h("div", { class: "label-add" },
    h("label", { for: selectId, class: "sr-only" }, "Label to add"), select, addBtn);
  const historyList = h("ol", { class: "episode-history" });
  const historyStatus = h("p", { class: "muted small", role: "status" });
  const historyBox = h("details", { class: "episode-history-box" },
    h("summary", null, "Earlier conversations"), historyList, historyStatus);
  const el = h("section", { class: "panel-section episode", "aria-labelledby": headingId },
    h("h3", { id: headingId }, "This conversation"), facts, ratingBox,
    h("h4", { class: "episode-sub" }, "Labels"), chips, adder, historyBox);

  function render() {
    if (!episode) {
      facts.replaceChildren(h("dt", null, "Status"), h("dd", null, "No messages yet"));
      ratingBox.replaceChildren();
      clear(chips);
      adder.hidden = true;
      return;
    }
    const rows = [
      ["Status", episode.status === "resolved" ? "Resolved" : "Open"],
      ["Opened", h("time", { datetime: episode.openedAt }, fullDate(episode.openedAt))],
      ["First response", episode.firstResponseAt
        ? `${duration(episode.firstResponseMs)}${episode.firstResponderId ? ` · ${agentName(episode.firstResponderId)}` : ""}`
        : episode.botAnsweredAt ? "Only the bot so far" : "Not answered yet"],
    ];
    if (episode.resolvedAt) {
      rows.push(["Resolved", `${duration(episode.resolutionMs)} after opening${episode.resolvedBy ? ` · ${agentName(episode.resolvedBy)}` : ""}`]);
    }
    facts.replaceChildren(...rows.flatMap(([k, v]) => [h("dt", null, k), h("dd", null, v)]));
    const r = episode.rating;
    ratingBox.replaceChildren(r
      ? h("p", null, h("span", { class: "muted" }, "Rating: "), stars(r.score),
        r.comment ? h("q", { class: "rating-comment" }, r.comment) : null)
      : h("p", { class: "muted small" }, episode.status === "resolved" ? "Not rated." : ""));
    chips.replaceChildren(...episode.labels.map((l) => h("span", { role: "listitem" }, labelChip(l, remove))));
    if (!episode.labels.length) chips.append(h("span", { role: "listitem", class: "muted small" }, "None"));
    adder.hidden = false;
    fillSelect();
  }

  async function fillSelect() {
    let labels = [];
    try { labels = await accountLabels(); } catch { /* shown as no choices */ }
    const have = new Set((episode?.labels || []).map((l) => l._id));
    const choices = labels.filter((l) => !have.has(l._id));
    select.replaceChildren(...choices.map((l) => h("option", { value: l._id }, l.name)));
    if (!labels.length) {
      select.replaceChildren(h("option", { value: "" }, session.isOwner ? "No labels: add some in Settings" : "No labels yet"));
    } else if (!choices.length) {
      select.replaceChildren(h("option", { value: "" }, "Every label is on"));
    }
    select.disabled = addBtn.disabled = !choices.length;
  }

  async function load() {
    try {
      const c = await get(`/api/conversations/${enc(visitorId)}`);
      episode = c.episode || null;
      render();
    } catch { /* the chat view reports errors */ }
  }

  async function remove(label) {
    try {
      episode = await del(`/api/conversations/${enc(visitorId)}/labels/${enc(label._id)}`);
      render();
      toast(`Removed label ${label.name}.`);
    } catch (err) {
      toast(err.message, "error");
    }
  }

  addBtn.addEventListener("click", async () => {
    if (!select.value) return;
    addBtn.disabled = true;
    try {
      episode = await post(`/api/conversations/${enc(visitorId)}/labels`, { labelId: select.value });
      render();
    } catch (err) {
      toast(err.message, "error");
      addBtn.disabled = false;
    }
  });

  historyBox.addEventListener("toggle", async () => {
    if (!historyBox.open) return;
    historyStatus.textContent = "Loading…";
    try {
      const page = await get(withQuery(`/api/conversations/${enc(visitorId)}/history`, { limit: 50 }));
      const earlier = (page.items || []).slice(1);
      historyList.replaceChildren(...earlier.map((e) => h("li", null,
        h("time", { datetime: e.openedAt }, fullDate(e.openedAt)), " · ",
        e.status === "resolved" ? `resolved in ${duration(e.resolutionMs)}` : "open",
        e.rating ? [" · ", stars(e.rating.score)] : null,
        e.labels.length ? [" · ", e.labels.map((l) => l.name).join(", ")] : null)));
      historyStatus.textContent = earlier.length ? "" : "No earlier conversations.";
    } catch (err) {
      historyStatus.textContent = `Could not load: ${err.message}`;
    }
  });

  const mine = (fn) => (data) => { if (data && data.visitorId === visitorId) fn(data); };
  for (const name of ["conversation.rated", "conversation.labeled", "conversation.resolved"]) {
    disposers.push(realtime.on(name, mine((data) => {
      episode = { ...data };
      delete episode.added;
      delete episode.removed;
      render();
    })));
  }
  // A message when nothing is open opens the next conversation; the first answer is recorded.
  disposers.push(realtime.on("message.created", mine((m) => {
    if (!episode || episode.status === "resolved" || (m.userId && !m.bot && !episode.firstResponseAt)
        || (m.bot && !episode.botAnsweredAt)) load();
  })));
  disposers.push(realtime.on("open", load));

  load();
  return {
    el,
    destroy() { for (const d of disposers) d(); },
  };
}
