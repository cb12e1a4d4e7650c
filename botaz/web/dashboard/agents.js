// /agents: the team, each agent's ID (the userId the REST API takes), and for owners,
// adding and removing agents.

import { post, put, del, enc } from "./api.js";
import {
  h, avatar, copyButton, relativeAgo, fullDate, confirmDialog, toast, nextId,
  showFormError, clearFormError,
} from "./dom.js";
import { session, agents, loadAgents, realtime } from "./state.js";

export function mountAgents(container) {
  const owner = session.isOwner;
  const me = session.agent._id;
  let destroyed = false;

  const tbody = h("tbody");
  const status = h("p", { class: "muted", role: "status" }, "Loading agents…");
  const headingId = nextId("agents");
  const tableCaption = h("caption", { class: "sr-only" }, "Agents of your team");
  const table = h("table", { class: "table agents-table" },
    tableCaption,
    h("thead", null, h("tr", null,
      h("th", { scope: "col" }, "Name"),
      h("th", { scope: "col" }, "Email"),
      h("th", { scope: "col" }, "Role"),
      h("th", { scope: "col" }, h("span", null, "Agent ID"), " ",
        h("span", { class: "muted small" }, "(the API's userId)")),
      h("th", { scope: "col" }, "Last online"),
      h("th", { scope: "col" }, "Availability"),
      h("th", { scope: "col" }, "Open chats"),
      owner ? h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")) : null)),
    tbody);

  function render() {
    const list = [...agents.values()].sort((a, b) =>
      (a.role === b.role ? 0 : a.role === "owner" ? -1 : 1) || a.name.localeCompare(b.name));
    tbody.replaceChildren(...list.map(renderRow));
    status.textContent = list.length ? "" : "No agents.";
  }

  function renderRow(a) {
    const isMe = a._id === me;
    const online = Boolean(a.online) || isMe;
    let actions = null;
    if (owner) {
      const remove = h("button", {
        type: "button", class: "btn btn-small btn-danger-ghost", "aria-label": `Remove ${a.name}`,
        disabled: isMe, title: isMe ? "You cannot remove yourself" : null,
      }, "Remove");
      remove.addEventListener("click", () => removeAgent(a));
      actions = h("td", { class: "actions" }, isMe ? null : remove);
    }
    return h("tr", null,
      h("td", null, h("span", { class: "agent-cell" },
        avatar(a._id, a.name, online, "sm"),
        h("span", { class: "agent-name" }, a.name),
        h("span", { class: "sr-only" }, online ? "(online)" : "(offline)"),
        isMe ? h("span", { class: "tag" }, "You") : null,
        a.bot ? h("span", { class: "tag tag-bot" }, "Bot") : null)),
      h("td", null, a.email || ""),
      h("td", null, a.role === "owner" ? "Owner" : "Agent"),
      h("td", null, h("span", { class: "id-row" }, h("code", { class: "agent-id" }, a._id), copyButton(a._id, `ID of ${a.name}`))),
      h("td", null, online ? "Online now"
        : a.lastOnline ? h("time", { datetime: a.lastOnline, title: fullDate(a.lastOnline) }, relativeAgo(a.lastOnline)) : "Never"),
      h("td", null, a.bot ? h("span", { class: "muted" }, "Bot")
        : h("span", { class: `avail-label avail-${a.availability === "online" ? "online" : "away"}` },
          a.availability === "online" ? "Available" : "Away")),
      h("td", null, a.bot ? "" : capacityCell(a)),
      actions);
  }

  /** Open conversations, and for owners the capacity that automatic assignment respects. */
  function capacityCell(a) {
    const open = String(a.openConversations ?? 0);
    if (!owner) return a.maxConversations == null ? open : `${open} of ${a.maxConversations}`;
    const input = h("input", {
      type: "number", min: "0", max: "1000", step: "1", inputmode: "numeric", class: "input-short",
      value: a.maxConversations == null ? "" : String(a.maxConversations), placeholder: "No limit",
      "aria-label": `Most open chats for ${a.name}`,
    });
    input.addEventListener("change", async () => {
      const raw = input.value.trim();
      const value = raw === "" ? null : Number(raw);
      if (value !== null && (!Number.isInteger(value) || value < 0 || value > 1000)) {
        toast("Capacity must be a whole number from 0 to 1000, or empty for no limit.", "error");
        input.setAttribute("aria-invalid", "true");
        return;
      }
      input.removeAttribute("aria-invalid");
      try {
        const res = await put(`/api/agents/${enc(a._id)}`, { maxConversations: value });
        agents.set(res._id, { ...a, ...res });
        toast(value === null ? `${a.name} has no limit.` : `${a.name} takes at most ${value} open chats.`);
      } catch (err) {
        toast(err.message, "error");
      }
    });
    return h("span", { class: "capacity" }, h("span", null, `${open} of `), input);
  }

  async function removeAgent(a) {
    const ok = await confirmDialog(`Remove ${a.name} from the team? Their API tokens stop working. Their past messages stay.`,
      { confirmLabel: "Remove agent", title: "Remove agent?" });
    if (!ok) return;
    try {
      await del(`/api/agents/${enc(a._id)}`);
      agents.delete(a._id);
      render();
      toast(`${a.name} was removed.`);
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
      h("div", { class: "field" }, h("label", { for: ids.name }, "Name"),
        h("input", { id: ids.name, name: "name", required: true, autocomplete: "off" })),
      h("div", { class: "field" }, h("label", { for: ids.email }, "Email"),
        h("input", { id: ids.email, name: "email", type: "email", required: true, autocomplete: "off" })),
      h("div", { class: "field" }, h("label", { for: ids.password }, "Password ", h("span", { class: "muted" }, "(optional)")),
        h("input", { id: ids.password, name: "password", type: "password", autocomplete: "new-password", minlength: "8",
          "aria-describedby": `${ids.password}-hint` }),
        h("span", { class: "hint", id: `${ids.password}-hint` }, "Leave empty for an API-only agent (a bot, or one who signs in later).")),
      h("div", { class: "field" }, h("label", { for: ids.role }, "Role"),
        h("select", { id: ids.role, name: "role", class: "select" },
          h("option", { value: "agent" }, "Agent"), h("option", { value: "owner" }, "Owner"))),
      h("div", { class: "field check-field span-all" },
        h("div", { class: "check" },
          h("input", { id: ids.bot, name: "bot", type: "checkbox", "aria-describedby": `${ids.bot}-hint` }),
          h("label", { for: ids.bot }, "Bot")),
        h("span", { class: "hint", id: `${ids.bot}-hint` },
          "For a program of yours that answers visitors through the REST API with this agent's token. Its messages carry a Bot badge.")),
      err,
      h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "Add agent")));
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
          h("p", null, h("strong", null, `${res.agent.name} was added.`),
            " Their API token is shown only once: copy it now."),
          h("div", { class: "id-row" }, h("code", { class: "secret" }, res.apiToken), copyButton(res.apiToken, "API token")),
          h("p", { class: "muted small" }, `Agent ID (userId): ${res.agent._id}`));
      } catch (error) {
        showFormError(form, err, error, ["name", "email", "password", "role"]);
      } finally {
        submit.disabled = false;
      }
    });
    const addHeading = nextId("add");
    addSection = h("section", { class: "card", "aria-labelledby": addHeading },
      h("h2", { id: addHeading }, "Add an agent"), form, result);
  }

  container.append(h("div", { class: "page" },
    h("div", { class: "page-head" },
      h("h1", { id: headingId }, "Agents"),
      h("p", { class: "muted" }, "Everyone who answers chats. An agent's ID is the ",
        h("code", null, "userId"), " that the REST API takes when you send a message as that agent.")),
    h("section", { class: "card", "aria-labelledby": headingId }, h("div", { class: "table-wrap" }, table), status),
    addSection,
    owner ? null : h("p", { class: "muted readonly-note" }, "Only owners can add or remove agents.")));

  render();
  loadAgents().then(() => { if (!destroyed) render(); }).catch((err) => {
    if (!destroyed) status.textContent = `Could not load agents: ${err.message}`;
  });
  // Availability changes live; a focused capacity field is not redrawn under the owner's hands.
  const offChanged = realtime.on("agents.changed", () => {
    if (!destroyed && !tbody.contains(document.activeElement)) render();
  });

  return { destroy() { destroyed = true; offChanged(); } };
}
