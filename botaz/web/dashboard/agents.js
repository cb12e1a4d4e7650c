// /agents: the team, each agent's ID (the userId the REST API takes), and for owners,
// adding and removing agents.

import { post, put, del, enc } from "./api.js";
import {
  h, avatar, copyButton, relativeAgo, fullDate, confirmDialog, toast, nextId,
  showFormError, clearFormError,
} from "./dom.js";
import { session, agents, loadAgents, realtime } from "./state.js";
import { t, tn, tp } from "./i18n.js";

export function mountAgents(container) {
  const owner = session.isOwner;
  const me = session.agent._id;
  let destroyed = false;

  const tbody = h("tbody");
  const status = h("p", { class: "muted", role: "status" }, t("Loading agents…"));
  const headingId = nextId("agents");
  const tableCaption = h("caption", { class: "sr-only" }, t("Agents of your team"));
  const table = h("table", { class: "table agents-table" },
    tableCaption,
    h("thead", null, h("tr", null,
      h("th", { scope: "col" }, t("Name")),
      h("th", { scope: "col" }, t("Email")),
      h("th", { scope: "col" }, t("Role")),
      h("th", { scope: "col" }, h("span", null, t("Agent ID")), " ",
        h("span", { class: "muted small" }, t("(the API's userId)"))),
      h("th", { scope: "col" }, t("Last online")),
      h("th", { scope: "col" }, t("Availability")),
      h("th", { scope: "col" }, t("Open chats")),
      owner ? h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("Actions"))) : null)),
    tbody);

  function render() {
    const list = [...agents.values()].sort((a, b) =>
      (a.role === b.role ? 0 : a.role === "owner" ? -1 : 1) || a.name.localeCompare(b.name));
    tbody.replaceChildren(...list.map(renderRow));
    status.textContent = list.length ? "" : t("No agents.");
  }

  function renderRow(a) {
    const isMe = a._id === me;
    const online = Boolean(a.online) || isMe;
    let actions = null;
    if (owner) {
      const remove = h("button", {
        type: "button", class: "btn btn-small btn-danger-ghost", "aria-label": t("Remove {name}", { name: a.name }),
        disabled: isMe, title: isMe ? t("You cannot remove yourself") : null,
      }, t("Remove"));
      remove.addEventListener("click", () => removeAgent(a));
      actions = h("td", { class: "actions" }, isMe ? null : remove);
    }
    return h("tr", null,
      h("td", null, h("span", { class: "agent-cell" },
        avatar(a._id, a.name, online, "sm"),
        h("span", { class: "agent-name" }, a.name),
        h("span", { class: "sr-only" }, online ? t("(online)") : t("(offline)")),
        isMe ? h("span", { class: "tag" }, t("You")) : null,
        a.bot ? h("span", { class: "tag tag-bot" }, t("Bot")) : null)),
      h("td", null, a.email || ""),
      h("td", null, a.role === "owner" ? t("Owner") : t("Agent")),
      h("td", null, h("span", { class: "id-row" }, h("code", { class: "agent-id" }, a._id), copyButton(a._id, t("ID of {name}", { name: a.name })))),
      h("td", null, online ? t("Online now")
        : a.lastOnline ? h("time", { datetime: a.lastOnline, title: fullDate(a.lastOnline) }, relativeAgo(a.lastOnline)) : t("Never")),
      h("td", null, a.bot ? h("span", { class: "muted" }, t("Bot"))
        : h("span", { class: `avail-label avail-${a.availability === "online" ? "online" : "away"}` },
          a.availability === "online" ? t("Available") : t("Away"))),
      h("td", null, a.bot ? "" : capacityCell(a)),
      actions);
  }

  /** Open conversations, and for owners the capacity that automatic assignment respects. */
  function capacityCell(a) {
    const open = String(a.openConversations ?? 0);
    if (!owner) return a.maxConversations == null ? open : t("{open} of {max}", { open, max: a.maxConversations });
    const input = h("input", {
      type: "number", min: "0", max: "1000", step: "1", inputmode: "numeric", class: "input-short",
      value: a.maxConversations == null ? "" : String(a.maxConversations), placeholder: t("No limit"),
      "aria-label": t("Most open chats for {name}", { name: a.name }),
    });
    input.addEventListener("change", async () => {
      const raw = input.value.trim();
      const value = raw === "" ? null : Number(raw);
      if (value !== null && (!Number.isInteger(value) || value < 0 || value > 1000)) {
        toast(t("Capacity must be a whole number from 0 to 1000, or empty for no limit."), "error");
        input.setAttribute("aria-invalid", "true");
        return;
      }
      input.removeAttribute("aria-invalid");
      try {
        const res = await put(`/api/agents/${enc(a._id)}`, { maxConversations: value });
        agents.set(res._id, { ...a, ...res });
        toast(value === null ? t("{name} has no limit.", { name: a.name })
          : tn(value, "{name} takes at most {n} open chat.", "{name} takes at most {n} open chats.", { name: a.name }));
      } catch (err) {
        toast(err.message, "error");
      }
    });
    return h("span", { class: "capacity" }, ...tp("{open} of {input}", { open: h("span", null, open), input }));
  }

  async function removeAgent(a) {
    const ok = await confirmDialog(t("Remove {name} from the team? Their API tokens stop working. Their past messages stay.", { name: a.name }),
      { confirmLabel: t("Remove agent"), title: t("Remove agent?") });
    if (!ok) return;
    try {
      await del(`/api/agents/${enc(a._id)}`);
      agents.delete(a._id);
      render();
      toast(t("{name} was removed.", { name: a.name }));
    } catch (err) {
      toast(err.message, "error");
    }
  }

  // ----- add agent (owners)
  let addSection = null;
  if (owner) {
    const errId = nextId("aerr");
    const err = h("p", { class: "form-error", id: errId, role: "alert", hidden: true });
    const result = h("div", { class: "once-box", hidden: true, role: "status" });
    const ids = { name: nextId("an"), email: nextId("ae"), password: nextId("ap"), role: nextId("ar"), bot: nextId("ab") };
    const form = h("form", { class: "form-grid", novalidate: true },
      h("div", { class: "field" }, h("label", { for: ids.name }, t("Name")),
        h("input", { id: ids.name, name: "name", required: true, autocomplete: "off" })),
      h("div", { class: "field" }, h("label", { for: ids.email }, t("Email")),
        h("input", { id: ids.email, name: "email", type: "email", required: true, autocomplete: "off" })),
      h("div", { class: "field" }, h("label", { for: ids.password }, t("Password"), " ", h("span", { class: "muted" }, t("(optional)"))),
        h("input", { id: ids.password, name: "password", type: "password", autocomplete: "new-password", minlength: "8",
          "aria-describedby": `${ids.password}-hint` }),
        h("span", { class: "hint", id: `${ids.password}-hint` }, t("Leave empty for an API-only agent (a bot, or one who signs in later)."))),
      h("div", { class: "field" }, h("label", { for: ids.role }, t("Role")),
        h("select", { id: ids.role, name: "role", class: "select" },
          h("option", { value: "agent" }, t("Agent")), h("option", { value: "owner" }, t("Owner")))),
      h("div", { class: "field check-field span-all" },
        h("div", { class: "check" },
          h("input", { id: ids.bot, name: "bot", type: "checkbox", "aria-describedby": `${ids.bot}-hint` }),
          h("label", { for: ids.bot }, t("Bot"))),
        h("span", { class: "hint", id: `${ids.bot}-hint` },
          t("For a program of yours that answers visitors through the REST API with this agent's token. Its messages carry a Bot badge."))),
      err,
      h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn btn-primary" }, t("Add agent"))));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearFormError(form, err);
      const data = new FormData(form);
      const body = { name: String(data.get("name") || "").trim(), email: String(data.get("email") || "").trim(), role: data.get("role") };
      const password = String(data.get("password") || "");
      if (password) body.password = password;
      if (data.get("bot")) body.bot = true;
      const submit = form.querySelector("button[type=submit]");
      submit.disabled = true;
      try {
        const res = await post("/api/agents", body);
        agents.set(res.agent._id, res.agent);
        render();
        form.reset();
        result.hidden = false;
        result.replaceChildren(
          h("p", null, h("strong", null, t("{name} was added.", { name: res.agent.name })),
            " ", t("Their API token is shown only once: copy it now.")),
          h("div", { class: "id-row" }, h("code", { class: "secret" }, res.apiToken), copyButton(res.apiToken, t("API token"))),
          h("p", { class: "muted small" }, t("Agent ID (userId): {id}", { id: res.agent._id })));
      } catch (error) {
        showFormError(form, err, error, ["name", "email", "password", "role"]);
      } finally {
        submit.disabled = false;
      }
    });
    const addHeading = nextId("add");
    addSection = h("section", { class: "card", "aria-labelledby": addHeading },
      h("h2", { id: addHeading }, t("Add an agent")), form, result);
  }

  container.append(h("div", { class: "page" },
    h("div", { class: "page-head" },
      h("h1", { id: headingId }, t("Agents")),
      h("p", { class: "muted" }, ...tp("Everyone who answers chats. An agent's ID is the {userId} that the REST API takes when you send a message as that agent.",
        { userId: h("code", null, "userId") }))),
    h("section", { class: "card", "aria-labelledby": headingId }, h("div", { class: "table-wrap" }, table), status),
    addSection,
    owner ? null : h("p", { class: "muted readonly-note" }, t("Only owners can add or remove agents."))));

  render();
  loadAgents().then(() => { if (!destroyed) render(); }).catch((err) => {
    if (!destroyed) status.textContent = t("Could not load agents: {error}", { error: err.message });

  });
  // Availability changes live; a focused capacity field is not redrawn under the owner's hands.
  const offChanged = realtime.on("agents.changed", () => {
    if (!destroyed && !tbody.contains(document.activeElement)) render();
  });

  return { destroy() { destroyed = true; offChanged(); } };
}
