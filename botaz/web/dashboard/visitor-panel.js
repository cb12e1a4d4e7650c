// The right column: who the visitor is, their editable contact details, whether the bot answers
// them, pages visited, and their data (export as a JSON file, or erase for good).

import { get, put, del, withQuery, enc } from "./api.js";
import {
  h, clear, avatar, visitorName, fullDate, relativeAgo, describeUserAgent, copyButton,
  safeHttpUrl, shortWhen, nextId, showFormError, clearFormError, toast, icon, confirmDialog,
} from "./dom.js";
import { agentName, realtime } from "./state.js";
import { mountEpisodeSection } from "./episode-panel.js";
import { t } from "./i18n.js";

const FIELDS = () => [
  ["name", t("Name"), "text", "name"],
  ["email", t("Email"), "email", "email"],
  ["phone", t("Phone"), "tel", "tel"],
];

export function mountVisitorPanel(container, initialVisitor, { online: initialOnline = false, onClose, onSaved, onDeleted } = {}) {
  let visitor = initialVisitor;
  let online = initialOnline;
  let dirty = false;
  const disposers = [];
  const episode = mountEpisodeSection(initialVisitor._id);
  disposers.push(() => episode.destroy());

  // ----- header card
  const card = h("div", { class: "panel-card" });
  function renderCard() {
    const name = visitorName(visitor);
    card.replaceChildren(
      avatar(visitor._id, name, online, "lg"),
      h("div", { class: "panel-card-text" },
        h("h2", { class: "panel-name" }, name),
        h("p", { class: "panel-presence" }, online ? t("Online now") : t("Last seen {when}", { when: relativeAgo(visitor.lastOnline) })),
        h("p", { class: "panel-badges" },
          visitor.banned ? h("span", { class: "tag tag-banned" }, t("Banned")) : null,
          visitor.preformFilled ? h("span", { class: "tag" }, t("Pre-chat form filled")) : null)));
  }

  // ----- contact form
  const errId = nextId("verr");
  const err = h("p", { class: "form-error", id: errId, role: "alert", hidden: true });
  const saved = h("span", { class: "form-ok", role: "status" });
  const inputs = {};
  const form = h("form", { class: "panel-form", novalidate: true, "aria-label": t("Visitor contact details") });
  for (const [key, label, type, autocomplete] of FIELDS()) {
    const id = nextId(`v-${key}`);
    inputs[key] = h("input", { id, name: key, type, autocomplete: "off", "data-autocomplete": autocomplete });
    form.append(h("div", { class: "field" }, h("label", { for: id }, label), inputs[key]));
  }
  const notesId = nextId("v-notes");
  inputs.notes = h("textarea", { id: notesId, name: "notes", rows: "3" });
  form.append(h("div", { class: "field" }, h("label", { for: notesId }, t("Notes")), inputs.notes));
  const saveBtn = h("button", { type: "submit", class: "btn btn-primary btn-small" }, t("Save details"));
  form.append(err, h("div", { class: "form-actions" }, saveBtn, saved));

  function fillForm() {
    for (const key of ["name", "email", "phone", "notes"]) inputs[key].value = visitor[key] ?? "";
    dirty = false;
  }
  form.addEventListener("input", () => {
    dirty = true;
    saved.textContent = "";
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFormError(form, err);
    const body = {};
    for (const key of ["name", "email", "phone", "notes"]) {
      const value = inputs[key].value.trim();
      body[key] = value === "" ? null : value;
    }
    saveBtn.disabled = true;
    try {
      visitor = await put(`/api/visitors/${enc(visitor._id)}`, body);
      fillForm();
      renderCard();
      renderInfo();
      saved.textContent = t("Saved");
      onSaved?.(visitor);
      setTimeout(() => { saved.textContent = ""; }, 2500);
    } catch (error) {
      showFormError(form, err, error, ["name", "email", "phone", "notes"]);
    } finally {
      saveBtn.disabled = false;
    }
  });

  // ----- technical details
  const info = h("dl", { class: "info-list" });
  function renderInfo() {
    const agentsList = (visitor.agents || []).map(agentName).join(", ");
    const rows = [
      [t("Visitor ID"), h("span", { class: "id-row" }, h("code", null, visitor._id), copyButton(visitor._id, t("visitor ID")))],
      [t("Browser"), describeUserAgent(visitor.userAgent)],
      [t("Platform"), visitor.platform || t("Unknown")],
      [t("First seen"), h("time", { datetime: visitor.addedAt }, fullDate(visitor.addedAt))],
      [t("Last online"), visitor.lastOnline ? h("time", { datetime: visitor.lastOnline }, fullDate(visitor.lastOnline)) : t("Never")],
      [t("Agents"), agentsList || t("Nobody has replied yet")],
      // The website's signed-in user and custom attributes (docs/widget.md); always text.
      ...(extra?.externalId ? [[t("Signed-in user ID"), h("code", null, extra.externalId)]] : []),
      ...Object.entries(extra?.attributes || {}).map(([k, v]) => [k, String(v)]),
    ];
    info.replaceChildren(...rows.flatMap(([k, v]) => [h("dt", null, k), h("dd", null, v)]));
  }

  let extra = null;
  async function loadExtra() {
    try {
      extra = await get(`/api/visitors/${enc(visitor._id)}/attributes`);
      renderInfo();
    } catch { /* the seed's details are shown all the same */ }
  }

  // ----- pages visited
  const pagesList = h("ol", { class: "pages" });
  const pagesStatus = h("p", { class: "muted small" });
  const pagesMore = h("button", { type: "button", class: "btn btn-ghost btn-small", hidden: true }, t("Show more"));
  let pagesNext = null;
  let pagesSeq = 0;
  async function loadPages(reset = true) {
    const seq = ++pagesSeq;
    try {
      const data = await get(withQuery(`/api/visitors/${enc(visitor._id)}/pages`, { limit: 20, cursor: reset ? null : pagesNext }));
      if (seq !== pagesSeq) return;
      if (reset) clear(pagesList);
      for (const p of data.items || []) pagesList.append(renderPage(p));
      pagesNext = data.next || null;
      pagesMore.hidden = !pagesNext;
      pagesStatus.textContent = pagesList.children.length ? "" : t("No pages recorded yet.");
    } catch (error) {
      if (seq !== pagesSeq) return;
      pagesStatus.textContent = error.status === 404 ? t("No pages recorded yet.") : t("Could not load pages: {error}", { error: error.message });
    }
  }
  pagesMore.addEventListener("click", () => loadPages(false));
  function renderPage(p) {
    const href = safeHttpUrl(p.url);
    const title = p.title || p.url || t("Untitled page");
    const referrer = p.referrer ? safeHttpUrl(p.referrer) : null;
    return h("li", { class: "page-item" },
      href ? h("a", { href, target: "_blank", rel: "noopener noreferrer", class: "page-title" }, title)
        : h("span", { class: "page-title" }, title),
      h("span", { class: "page-url" }, p.url || ""),
      h("span", { class: "page-meta" },
        p.visitedAt ? h("time", { datetime: p.visitedAt, title: fullDate(p.visitedAt) }, shortWhen(p.visitedAt)) : null,
        referrer ? ` · ${t("from {host}", { host: new URL(referrer).host })}` : null));
  }

  // ----- the bot, for this visitor
  const botSwitch = h("input", { type: "checkbox", role: "switch", class: "switch", id: nextId("vbot") });
  const botHint = h("span", { class: "hint", id: `${botSwitch.id}-hint` },
    t("When off, no bot answers this visitor and the widget hides the bot's messages."));
  botSwitch.setAttribute("aria-describedby", botHint.id);
  let botBusy = false;
  let liveUpdates = 0; // visitor.updated events applied: a PUT answer older than one is stale
  function renderBot() {
    if (!botBusy) botSwitch.checked = visitor.showBotMessages !== false;
  }
  botSwitch.addEventListener("change", async () => {
    const want = botSwitch.checked;
    const before = liveUpdates;
    botBusy = true;
    botSwitch.disabled = true;
    try {
      const v = await put(`/api/visitors/${enc(visitor._id)}/bot`, { showBotMessages: want });
      if (liveUpdates === before) visitor = { ...visitor, ...v };
      toast(want ? t("The bot answers this visitor again.") : t("The bot no longer answers this visitor."));
    } catch (error) {
      toast(error.message, "error");
    } finally {
      botBusy = false;
      botSwitch.disabled = false;
      renderBot();
    }
  });

  // ----- privacy: export and erase
  const exportBtn = h("button", { type: "button", class: "btn btn-small" }, t("Export data"));
  const deleteBtn = h("button", { type: "button", class: "btn btn-small btn-danger-ghost" }, t("Delete visitor"));
  exportBtn.addEventListener("click", async () => {
    exportBtn.disabled = true;
    try {
      const data = await get(`/api/visitors/${enc(visitor._id)}/export`);
      const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
      const url = URL.createObjectURL(blob);
      const a = h("a", { href: url, download: `visitor-${visitor._id}.json`, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (error) {
      toast(t("Could not export: {error}", { error: error.message }), "error");
    } finally {
      exportBtn.disabled = false;
    }
  });
  deleteBtn.addEventListener("click", async () => {
    const name = visitorName(visitor);
    const ok = await confirmDialog(
      t("This erases {name} and everything about them for good: every message, the pages they visited, private notes and files. It cannot be undone.", { name }),
      { confirmLabel: t("Delete visitor"), title: t("Delete this visitor?") });
    if (!ok) return;
    deleteBtn.disabled = true;
    try {
      await del(`/api/visitors/${enc(visitor._id)}`);
      toast(t("{name} was deleted.", { name }));
      onDeleted?.(visitor._id);
    } catch (error) {
      deleteBtn.disabled = false;
      toast(error.status === 404 ? t("This visitor was already deleted.") : error.message, "error");
      if (error.status === 404) onDeleted?.(visitor._id);
    }
  });

  const closeBtn = h("button", { type: "button", class: "btn btn-icon btn-ghost panel-close", "aria-label": t("Close visitor details") }, icon("close"));
  closeBtn.addEventListener("click", () => onClose?.());

  const detailsHeading = nextId("vh");
  const techHeading = nextId("vh");
  const pagesHeading = nextId("vh");
  const botHeading = nextId("vh");
  const privacyHeading = nextId("vh");
  container.append(h("div", { class: "panel" },
    closeBtn,
    card,
    episode.el,
    h("section", { class: "panel-section", "aria-labelledby": detailsHeading },
      h("h3", { id: detailsHeading }, t("Contact details")), form),
    h("section", { class: "panel-section", "aria-labelledby": botHeading },
      h("h3", { id: botHeading }, t("Bot")),
      h("div", { class: "check" }, botSwitch, h("label", { for: botSwitch.id }, t("Bot answers this visitor"))),
      botHint),
    h("section", { class: "panel-section", "aria-labelledby": pagesHeading },
      h("h3", { id: pagesHeading }, t("Pages visited")), pagesList, pagesStatus, pagesMore),
    h("section", { class: "panel-section", "aria-labelledby": techHeading },
      h("h3", { id: techHeading }, t("Visitor")), info),
    h("section", { class: "panel-section", "aria-labelledby": privacyHeading },
      h("h3", { id: privacyHeading }, t("Privacy")),
      h("p", { class: "hint panel-hint" }, t("Everything stored about this visitor, as a JSON file; or erase it all.")),
      h("div", { class: "form-actions" }, exportBtn, deleteBtn))));

  renderCard();
  fillForm();
  renderInfo();
  renderBot();
  loadPages();
  loadExtra();

  let pagesTimer = null;
  disposers.push(realtime.on("visitor.updated", (v) => {
    if (!v || v._id !== visitor._id) return;
    const { online: isOnline, ...fields } = v;
    visitor = { ...visitor, ...fields };
    liveUpdates += 1;
    if (typeof isOnline === "boolean") online = isOnline;
    renderCard();
    renderInfo();
    renderBot();
    if (!dirty) fillForm();
    else if (document.activeElement && !form.contains(document.activeElement)) {
      toast(t("This visitor's details changed while you were editing them."), "info");

    }
    // Presence changes usually mean a new page view; attributes and identity change unannounced.
    clearTimeout(pagesTimer);
    pagesTimer = setTimeout(() => { loadPages(true); loadExtra(); }, 800);
  }));

  return {
    setVisitor(v, isOnline) {
      visitor = { ...visitor, ...v };
      if (typeof isOnline === "boolean") online = isOnline;
      renderCard();
      renderInfo();
      renderBot();
      if (!dirty) fillForm();
    },
    setOnline(isOnline) {
      online = Boolean(isOnline);
      renderCard();
    },
    destroy() {
      for (const d of disposers) d();
      clearTimeout(pagesTimer);
    },
  };
}
