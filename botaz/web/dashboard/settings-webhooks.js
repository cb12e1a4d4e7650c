// Settings → Webhooks (owners): endpoints of yours that receive the account's events, each with
// its delivery log. /api/webhooks, /api/webhooks/:id/deliveries and .../redeliver.

import { get, post, put, del, withQuery, enc } from "./api.js";
import {
  h, append, copyButton, fullDate, confirmDialog, toast, nextId, showFormError, clearFormError,
} from "./dom.js";
import { section, field, switchInput, errorRegion, loadMoreButton } from "./forms.js";
import { t, intlLocale } from "./i18n.js";

// Descriptions are looked up when drawn (the agent's language loads after this module).
export const WEBHOOK_EVENTS = [
  ["message.created", () => t("A message was written")],
  ["message.updated", () => t("A message was edited or seen")],
  ["message.deleted", () => t("A message was deleted")],
  ["visitor.created", () => t("A new visitor arrived")],
  ["visitor.updated", () => t("A visitor changed (details, presence, ban)")],
  ["visitor.deleted", () => t("A visitor was erased")],
  ["conversation.resolved", () => t("A conversation was resolved")],
  ["conversation.rated", () => t("A visitor rated a conversation")],
  ["conversation.labeled", () => t("A label was put on or taken off a conversation")],
];
const DELIVERY_PAGE = 20;
const POLL_MS = 1500;

function eventChecks(legend, selected) {
  const boxes = {};
  const group = h("fieldset", { class: "checks events" }, h("legend", null, legend));
  for (const [name, description] of WEBHOOK_EVENTS) {
    const id = nextId("ev");
    boxes[name] = h("input", { type: "checkbox", id, name: "events", value: name, checked: selected.has(name) });
    group.append(h("div", { class: "check" }, boxes[name],
      h("label", { for: id, title: description() }, h("code", null, name))));
  }
  const read = () => WEBHOOK_EVENTS.map(([n]) => n).filter((n) => boxes[n].checked);
  return { group, read };
}

function timeCell(iso) {
  return iso ? h("time", { datetime: iso, title: iso }, fullDate(iso)) : h("span", { class: "muted" }, "—");
}

/** A delivery's times, to the second: "14:04:05" today, else "Nov 24, 14:04:05". */
function preciseTime(iso) {
  const d = new Date(iso);
  const now = new Date();
  const today = d.toDateString() === now.toDateString();
  const text = d.toLocaleString(intlLocale(), {
    ...(today ? {} : { month: "short", day: "numeric" }), hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  return h("time", { datetime: iso, title: fullDate(iso) }, text);
}

function timesCell(d) {
  const line = (label, iso) => (iso ? h("span", { class: "block" }, h("span", { class: "muted" }, `${label} `), preciseTime(iso)) : null);
  return [line(t("Queued"), d.createdAt), line(t("Last try"), d.lastAttemptAt),
    d.status === "pending" ? line(t("Next try"), d.nextAttemptAt) : null];
}

export function createWebhooksSection({ isDestroyed }) {
  let hooks = [];
  const list = h("ul", { class: "hook-list", "aria-label": t("Webhooks") });
  const status = h("p", { class: "muted", role: "status" }, t("Loading webhooks…"));
  const created = h("div", { class: "once-box", hidden: true, role: "status" });
  const logs = new Map(); // webhook _id → open delivery log controller

  // ----- create
  const url = h("input", { type: "url", name: "url", required: true, autocomplete: "off", spellcheck: "false", placeholder: "https://example.com/botaz-events" });
  const events = eventChecks(t("Events"), new Set(["message.created"]));
  const err = errorRegion();
  const createBtn = h("button", { type: "submit", class: "btn btn-primary" }, t("Create webhook"));
  const form = h("form", { class: "settings-form hook-form", novalidate: true },
    field(t("Endpoint URL"), url, t("Events are POSTed here as JSON, signed with X-Botaz-Signature.")),
    events.group, err,
    h("div", { class: "form-actions" }, createBtn));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFormError(form, err);
    const chosen = events.read();
    if (!url.value.trim()) {
      showFormError(form, err, new Error(t("Enter the URL that should receive the events.")), ["url"]);
      return;
    }
    if (!chosen.length) {
      showFormError(form, err, new Error(t("Choose at least one event.")), []);
      return;
    }
    createBtn.disabled = true;
    try {
      const res = await post("/api/webhooks", { url: url.value.trim(), events: chosen });
      const { secret, ...hook } = res;
      hooks = [hook, ...hooks.filter((x) => x._id !== hook._id)];
      render();
      url.value = "";
      created.hidden = false;
      created.replaceChildren(
        h("p", null, h("strong", null, t("Webhook created.")),
          " ", t("Check each request's X-Botaz-Signature with this signing secret. Copy it now: it is shown only once.")),
        h("div", { class: "id-row" }, h("code", { class: "secret" }, secret), copyButton(secret, t("webhook signing secret"))));
    } catch (error) {
      showFormError(form, err, error, ["url", "events"]);
    } finally {
      createBtn.disabled = false;
    }
  });

  // ----- list
  function render() {
    const open = new Set([...logs.keys()]);
    list.replaceChildren(...hooks.map((hook) => renderHook(hook, open.has(hook._id))));
    status.textContent = hooks.length ? "" : t("No webhooks yet.");
  }

  function renderHook(hook, logOpen) {
    const li = h("li", { class: `hook${hook.enabled ? "" : " off"}`, dataset: { id: hook._id } });
    const enabled = switchInput({ checked: Boolean(hook.enabled) });
    enabled.addEventListener("change", async () => {
      enabled.disabled = true;
      try {
        replace(await put(`/api/webhooks/${enc(hook._id)}`, { enabled: enabled.checked }));
        toast(enabled.checked ? t("Webhook switched on.") : t("Webhook switched off."));
      } catch (error) {
        enabled.checked = !enabled.checked;
        toast(error.message, "error");
      } finally {
        enabled.disabled = false;
      }
    });
    const enabledId = nextId("hk");
    enabled.id = enabledId;
    const edit = h("button", { type: "button", class: "btn btn-small btn-ghost", "aria-label": t("Edit webhook {url}", { url: hook.url }) }, t("Edit"));
    const remove = h("button", { type: "button", class: "btn btn-small btn-danger-ghost", "aria-label": t("Delete webhook {url}", { url: hook.url }) }, t("Delete"));
    const logId = nextId("log");
    const toggleLog = h("button", {
      type: "button", class: "btn btn-small", "aria-expanded": String(logOpen), "aria-controls": logId,
    }, t("Delivery log"));
    const logBox = h("div", { class: "delivery-log", id: logId, hidden: !logOpen });

    edit.addEventListener("click", () => {
      logs.get(hook._id)?.stop();
      logs.delete(hook._id);
      li.replaceWith(editor(hook));
    });
    remove.addEventListener("click", async () => {
      const ok = await confirmDialog(t("Delete the webhook for {url}? Its queued deliveries and delivery log are deleted too.", { url: hook.url }),
        { confirmLabel: t("Delete webhook"), title: t("Delete webhook?") });
      if (!ok) return;
      try {
        await del(`/api/webhooks/${enc(hook._id)}`);
        logs.get(hook._id)?.stop();
        logs.delete(hook._id);
        hooks = hooks.filter((x) => x._id !== hook._id);
        render();
        toast(t("Webhook deleted."));
      } catch (error) {
        toast(error.message, "error");
      }
    });
    toggleLog.addEventListener("click", () => {
      const open = toggleLog.getAttribute("aria-expanded") !== "true";
      toggleLog.setAttribute("aria-expanded", String(open));
      logBox.hidden = !open;
      if (open) {
        const log = deliveryLog(hook, logBox);
        logs.set(hook._id, log);
      } else {
        logs.get(hook._id)?.stop();
        logs.delete(hook._id);
        logBox.replaceChildren();
      }
    });
    if (logOpen) {
      logs.get(hook._id)?.stop();
      logs.set(hook._id, deliveryLog(hook, logBox));
    }

    append(li, [
      h("div", { class: "hook-head" },
        h("span", { class: "hook-url" }, hook.url),
        h("span", { class: "check hook-switch" }, enabled, h("label", { for: enabledId }, t("Enabled"))),
        h("span", { class: "row-actions" }, edit, remove)),
      hook.disabledReason ? h("div", { class: "hook-disabled" },
        h("p", null, h("strong", null, t("botaz switched this webhook off."))),
        h("p", null, hook.disabledReason),
        h("p", { class: "small" }, t("Switching it on again retries the queued deliveries at once."))) : null,
      h("p", { class: "hook-events" }, ...hook.events.map((e) => h("code", { class: "tag tag-event" }, e))),
      h("p", { class: "muted small" }, t("Created"), " ", timeCell(hook.createdAt)),
      h("div", null, toggleLog),
      logBox]);
    return li;
  }

  /** Redraw one webhook (an editor open on another one stays open). */
  function replace(hook) {
    hooks = hooks.map((x) => (x._id === hook._id ? hook : x));
    const li = [...list.children].find((el) => el.dataset.id === hook._id);
    if (li) li.replaceWith(renderHook(hook, logs.has(hook._id)));
    else render();
  }

  function editor(hook) {
    const editUrl = h("input", { type: "url", name: "url", required: true, autocomplete: "off", spellcheck: "false" });
    editUrl.value = hook.url;
    const editEvents = eventChecks(t("Events"), new Set(hook.events));
    const editErr = errorRegion();
    const saveBtn = h("button", { type: "submit", class: "btn btn-primary btn-small" }, t("Save webhook"));
    const cancel = h("button", { type: "button", class: "btn btn-ghost btn-small" }, t("Cancel"));
    const editForm = h("form", { class: "hook-edit", novalidate: true, "aria-label": t("Edit webhook {url}", { url: hook.url }) },
      field(t("Endpoint URL"), editUrl), editEvents.group, editErr,
      h("div", { class: "form-actions" }, saveBtn, cancel));
    cancel.addEventListener("click", () => replace(hooks.find((x) => x._id === hook._id) || hook));
    editForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearFormError(editForm, editErr);
      const chosen = editEvents.read();
      if (!chosen.length) {
        showFormError(editForm, editErr, new Error(t("Choose at least one event.")), []);
        return;
      }
      saveBtn.disabled = true;
      try {
        replace(await put(`/api/webhooks/${enc(hook._id)}`, { url: editUrl.value.trim(), events: chosen }));
      } catch (error) {
        showFormError(editForm, editErr, error, ["url", "events"]);
        saveBtn.disabled = false;
      }
    });
    const li = h("li", { class: "hook editing", dataset: { id: hook._id } }, editForm);
    queueMicrotask(() => editUrl.focus());
    return li;
  }

  // ----- one webhook's delivery log
  function deliveryLog(hook, box) {
    let next = null;
    let stopped = false;
    let timer = null;
    const rows = new Map(); // delivery _id → {data, tr}
    const tbody = h("tbody");
    const logStatus = h("p", { class: "muted small", role: "status" }, t("Loading deliveries…"));
    const more = loadMoreButton();
    const refresh = h("button", { type: "button", class: "btn btn-ghost btn-small" }, t("Refresh"));
    const table = h("table", { class: "table deliveries" },
      h("caption", { class: "sr-only" }, t("Deliveries to {url}", { url: hook.url })),
      h("thead", null, h("tr", null,
        ...[t("Event"), t("Status"), t("Attempts"), t("Times"), t("Response"), t("Error")].map((text) => h("th", { scope: "col" }, text)),
        h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("Actions"))))),
      tbody);
    box.replaceChildren(
      h("div", { class: "log-tools" }, h("h3", null, t("Deliveries")), refresh),
      h("div", { class: "table-wrap" }, table), logStatus, more);

    function renderRow(d) {
      const redeliver = h("button", { type: "button", class: "btn btn-tiny", "aria-label": t("Redeliver {event} {id}", { event: d.event, id: d._id }) }, t("Redeliver"));
      redeliver.addEventListener("click", async () => {
        redeliver.disabled = true;
        try {
          const copy = await post(`/api/webhooks/${enc(hook._id)}/deliveries/${enc(d._id)}/redeliver`);
          upsert(copy, true);
          toast(t("Delivery queued again."));
          schedule();
        } catch (error) {
          toast(error.message, "error");
        } finally {
          redeliver.disabled = false;
        }
      });
      let response = h("span", { class: "muted" }, "—");
      if (d.responseCode !== null && d.responseCode !== undefined) {
        response = d.responseBody
          ? h("details", { class: "response" }, h("summary", null, String(d.responseCode)), h("pre", null, d.responseBody))
          : h("span", null, String(d.responseCode));
      }
      return h("tr", { dataset: { id: d._id } },
        h("td", null, h("code", null, d.event), h("span", { class: "muted small block event-id", title: t("Event ID") }, d.eventId)),
        h("td", null, h("span", { class: `tag status-${d.status}` }, d.status)),
        h("td", { class: "num" }, String(d.attempts ?? 0)),
        h("td", { class: "times" }, timesCell(d)),
        h("td", null, response),
        h("td", { class: "error-cell" }, d.error ? h("span", { class: "error-text" }, d.error) : h("span", { class: "muted" }, "—")),
        h("td", { class: "actions" }, redeliver));
    }

    function upsert(d, atTop = false) {
      const existing = rows.get(d._id);
      if (existing) {
        if (JSON.stringify(existing.data) === JSON.stringify(d)) return;
        const tr = renderRow(d);
        existing.tr.replaceWith(tr);
        rows.set(d._id, { data: d, tr });
        return;
      }
      const tr = renderRow(d);
      rows.set(d._id, { data: d, tr });
      if (atTop) tbody.prepend(tr);
      else tbody.append(tr);
    }

    function showStatus() {
      logStatus.textContent = rows.size ? "" : t("No deliveries yet. They appear here when one of the chosen events happens.");
      more.hidden = !next;
    }

    async function loadPage(cursor) {
      const page = await get(withQuery(`/api/webhooks/${enc(hook._id)}/deliveries`, { limit: DELIVERY_PAGE, cursor }));
      return page;
    }

    async function first() {
      try {
        const page = await loadPage(null);
        if (stopped || isDestroyed()) return;
        // Newest first: new deliveries go on top, known ones are updated in place.
        for (const d of [...(page.items || [])].reverse()) upsert(d, true);
        if (next === null && !moreLoaded) next = page.next || null;
        showStatus();
        schedule();
      } catch (error) {
        if (!stopped) logStatus.textContent = t("Could not load deliveries: {error}", { error: error.message });
      }
    }

    let moreLoaded = false;
    more.addEventListener("click", async () => {
      more.disabled = true;
      try {
        const page = await loadPage(next);
        if (stopped) return;
        moreLoaded = true;
        for (const d of page.items || []) upsert(d);
        next = page.next || null;
        showStatus();
      } catch (error) {
        toast(error.message, "error");
      } finally {
        more.disabled = false;
      }
    });
    refresh.addEventListener("click", () => first());

    // While a delivery is pending, look again now and then.
    function schedule() {
      clearTimeout(timer);
      if (stopped) return;
      const pending = [...rows.values()].some((r) => r.data.status === "pending");
      if (pending) timer = setTimeout(first, POLL_MS);
    }

    first();
    return {
      stop() {
        stopped = true;
        clearTimeout(timer);
      },
    };
  }

  const el = section({
    key: "webhooks", title: t("Webhooks"),
    description: t("Send the account's events to your own server as they happen: new messages, edits, new and changed visitors. Failed deliveries are retried with backoff."),
  }, list, status, h("h3", null, t("New webhook")), form, created);

  async function load() {
    try {
      const data = await get("/api/webhooks");
      if (isDestroyed()) return;
      hooks = data.items || [];
      render();
    } catch (error) {
      if (!isDestroyed()) status.textContent = t("Could not load webhooks: {error}", { error: error.message });

    }
  }

  return {
    el,
    load,
    destroy() {
      for (const log of logs.values()) log.stop();
      logs.clear();
    },
  };
}
