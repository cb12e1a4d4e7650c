// Settings: ratings after resolution, the first-response target, and the account's labels.

import { get, post, put, del, enc } from "./api.js";
import { h, nextId, showFormError, clearFormError, toast, confirmDialog } from "./dom.js";
import { section, field, errorRegion, okRegion, flash, switchInput, checkField, holdUntilLoaded } from "./forms.js";
import { accountLabels, labelChip } from "./episode-panel.js";
import { t } from "./i18n.js";

export function createSatisfactionSection({ owner, readOnlyNote, isDestroyed }) {
  const ask = switchInput({ name: "enabled" });
  const target = h("input", { type: "number", name: "firstResponseSeconds", min: "1", max: "1440", step: "1", inputmode: "numeric" });
  const err = errorRegion();
  const ok = okRegion();
  const form = h("form", { class: "settings-form", novalidate: true },
    h("fieldset", { class: "plain", disabled: !owner },
      h("legend", { class: "sr-only" }, t("Satisfaction and targets")),
      checkField(t("Ask visitors to rate the conversation when it is resolved"), ask,
        t("The widget shows 1 to 5 stars and an optional comment. Ratings appear in the conversation and in Reports.")),
      field(t("First-response target (minutes)"), target,
        t("Reports show the share of conversations whose first human answer came within this time."))),
    err,
    owner ? h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn btn-primary" }, t("Save")), ok) : null);
  const openForm = holdUntilLoaded(form);
  function fill(s) {
    openForm();
    ask.checked = s.satisfaction?.enabled !== false;
    target.value = String(Math.round((s.targets?.firstResponseSeconds ?? 300) / 60));
  }
  get("/api/settings").then((s) => { if (!isDestroyed()) fill(s); }).catch(() => {});
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFormError(form, err);
    const minutes = Number(target.value);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
      showFormError(form, err, new Error(t("The target must be a whole number of minutes from 1 to 1440.")), []);
      target.setAttribute("aria-invalid", "true");
      target.focus();
      return;
    }
    target.removeAttribute("aria-invalid");
    try {
      fill(await put("/api/settings", { satisfaction: { enabled: ask.checked },
        targets: { firstResponseSeconds: minutes * 60 } }));
      flash(ok, t("Saved"));
    } catch (error) {
      showFormError(form, err, error, []);
    }
  });
  return { el: section({ key: "satisfaction", title: t("Ratings and targets") }, readOnlyNote(), form) };
}

export function createLabelsSection({ owner, isDestroyed }) {
  const list = h("ul", { class: "label-admin", "aria-label": t("Labels") });
  const status = h("p", { class: "muted", role: "status" });
  const name = h("input", { type: "text", name: "name", maxlength: "50", autocomplete: "off", required: true });
  const color = h("input", { type: "color", name: "color", value: "#4f46e5" });
  const err = errorRegion();
  const ok = okRegion();
  const form = h("form", { class: "settings-form", novalidate: true, "aria-label": t("Add a label") },
    h("div", { class: "label-add" }, field(t("Name"), name), field(t("Colour"), color)),
    err, h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn btn-primary" }, t("Add label")), ok));

  async function load() {
    try {
      const labels = await accountLabels(true);
      if (isDestroyed()) return;
      list.replaceChildren(...labels.map((l) => {
        const li = h("li", { class: "label-admin-row" }, labelChip(l));
        if (owner) {
          const recolor = h("input", { type: "color", value: l.color, "aria-label": t("Colour of {name}", { name: l.name }) });
          recolor.addEventListener("change", async () => {
            try { await put(`/api/labels/${enc(l._id)}`, { color: recolor.value }); load(); } catch (error) { toast(error.message, "error"); }
          });
          const remove = h("button", { type: "button", class: "btn btn-small btn-danger-ghost" }, t("Delete"), h("span", { class: "sr-only" }, ` ${t("label {name}", { name: l.name })}`));
          remove.addEventListener("click", async () => {
            if (!await confirmDialog(t("Delete the label {name}? It is taken off every conversation.", { name: l.name }), { confirmLabel: t("Delete label"), title: t("Delete this label?") })) return;
            try { await del(`/api/labels/${enc(l._id)}`); load(); } catch (error) { toast(error.message, "error"); }
          });
          li.append(recolor, remove);
        }
        return li;
      }));
      status.textContent = labels.length ? "" : t("No labels yet.");
    } catch (error) {
      status.textContent = t("Could not load labels: {error}", { error: error.message });
    }
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFormError(form, err);
    try {
      await post("/api/labels", { name: name.value.trim(), color: color.value });
      name.value = "";
      flash(ok, t("Added"));
      load();
    } catch (error) {
      showFormError(form, err, error, ["name", "color"]);
    }
  });
  load();
  return { el: section({ key: "labels", title: t("Labels"),
    description: t("Put labels on conversations to find them in the inbox and count them in exports.") },
  list, status, owner ? form : h("p", { class: "readonly-note" }, t("Only owners can add or change labels."))) };

}
