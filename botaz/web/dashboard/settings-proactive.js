// Settings → Proactive messages: rules by which the widget speaks first (docs/widget.md).

import { get, put } from "./api.js";
import { h, nextId, showFormError, clearFormError } from "./dom.js";
import { section, field, errorRegion, okRegion, flash, switchInput, checkField, holdUntilLoaded } from "./forms.js";
import { loadAgents } from "./state.js";
import { t } from "./i18n.js";

export function createProactiveSection({ owner, readOnlyNote, isDestroyed }) {
  const list = h("div", { class: "proactive-rules" });
  const empty = h("p", { class: "muted" }, t("No proactive messages yet."));
  const err = errorRegion();
  const ok = okRegion();
  const add = h("button", { type: "button", class: "btn" }, t("Add a rule"));
  let agentList = [];
  let rows = [];

  function agentSelect(value) {
    const select = h("select", { name: "agentId" },
      ...agentList.map((a) => h("option", { value: a._id }, a.bot ? t("{name} (bot)", { name: a.name }) : a.name)));
    if (value) select.value = value;
    return select;
  }

  function ruleRow(rule = {}) {
    const n = rows.length + 1;
    const id = h("input", { name: "id", maxlength: "40", value: rule.id || `rule-${n}`, pattern: "[A-Za-z0-9_-]+" });
    const text = h("textarea", { name: "text", rows: "2", maxlength: "1000" });
    text.value = rule.text || "";
    const agent = agentSelect(rule.agentId);
    const url = h("input", { name: "urlContains", maxlength: "200", value: rule.urlContains || "", placeholder: "/pricing" });
    const seconds = h("input", { type: "number", name: "afterSeconds", min: "0", max: "3600", value: String(rule.afterSeconds ?? 30) });
    const visits = h("input", { type: "number", name: "minVisits", min: "1", max: "1000", value: String(rule.minVisits ?? 1) });
    const enabled = switchInput({ name: "enabled" });
    enabled.checked = rule.enabled !== false;
    const remove = h("button", { type: "button", class: "btn btn-ghost btn-small" }, t("Remove rule"));
    const box = h("fieldset", { class: "proactive-rule", disabled: !owner },
      h("legend", null, t("Rule {n}", { n })),
      checkField(t("On"), enabled),
      field(t("Name"), id, t("Letters, digits, - and _. Each visitor gets a rule's message once.")),
      field(t("Message"), text),
      field(t("Sent as"), agent),
      field(t("On pages whose address contains"), url, t("Empty: every page.")),
      field(t("After seconds on the page"), seconds),
      field(t("From visit number"), visits, t("1: the first visit; 2: only returning visitors.")),
      owner ? remove : null);
    const row = { box, rule, read: () => ({
      id: id.value.trim(), text: text.value.trim(), agentId: agent.value, enabled: enabled.checked,
      urlContains: url.value.trim() || null, afterSeconds: Number(seconds.value) || 0,
      minVisits: Number(visits.value) || 1,
      ...(rule.attribute ? { attribute: rule.attribute } : {}),
    }) };
    remove.addEventListener("click", () => {
      rows = rows.filter((r) => r !== row);
      box.remove();
      empty.hidden = rows.length > 0;
    });
    return row;
  }

  function fill(rules) {
    rows = (rules || []).map((r) => ruleRow(r));
    list.replaceChildren(...rows.map((r) => r.box));
    empty.hidden = rows.length > 0;
  }

  add.addEventListener("click", () => {
    const row = ruleRow({});
    rows.push(row);
    list.append(row.box);
    empty.hidden = true;
    row.box.querySelector("textarea")?.focus();
  });

  const form = h("form", { class: "settings-form", novalidate: true },
    list, empty, err,
    owner ? h("div", { class: "form-actions" }, add,
      h("button", { type: "submit", class: "btn btn-primary" }, t("Save proactive messages")), ok) : null);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFormError(form, err);
    try {
      const s = await put("/api/settings", { proactive: rows.map((r) => r.read()) });
      fill(s.proactive);
      flash(ok, t("Saved"));
    } catch (error) {
      showFormError(form, err, error, ["proactive"]);
    }
  });

  // Until the saved rules are in, "Add a rule" and Save wait: a rule typed earlier would be
  // replaced by them, and a Save would store no rules over them.
  const openForm = holdUntilLoaded(form);
  empty.hidden = true;
  Promise.all([loadAgents(), get("/api/settings")]).then(([agents, s]) => {
    if (isDestroyed()) return;
    agentList = [...agents.values()];
    openForm();
    fill(s.proactive);
  }).catch(() => { empty.hidden = rows.length > 0; });

  const el = section({ key: "proactive", title: t("Proactive messages"),
    description: t("Let the widget speak first: a message from an agent or the bot after some time on a page, once per visitor.") },

  readOnlyNote(), form);
  return { el };
}
