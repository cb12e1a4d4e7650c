// Building blocks of the settings page's cards and forms, shared by its sections.

import { h, nextId } from "./dom.js";
import { t } from "./i18n.js";

/** A settings card: <section id=key aria-labelledby=heading>. key gives a stable #anchor. */
export function section({ key, title, description }, ...content) {
  const id = nextId("set");
  return h("section", { class: "card", "aria-labelledby": id, id: key || `${id}-section` },
    h("h2", { id }, title),
    description ? h("p", { class: "muted card-lead" }, description) : null,
    ...content);
}

/** A labelled control with an optional hint, in a .field block. */
export function field(label, input, hint, cls = "") {
  const id = input.id || nextId("f");
  input.id = id;
  let hintEl = null;
  if (hint) {
    hintEl = h("span", { class: "hint", id: `${id}-hint` }, hint);
    input.setAttribute("aria-describedby", `${id}-hint`);
  }
  return h("div", { class: `field ${cls}`.trim() }, h("label", { for: id }, label), input, hintEl);
}

/** A checkbox (or switch) with its label to the right, and an optional hint below. */
export function checkField(label, input, hint) {
  const id = input.id || nextId("c");
  input.id = id;
  let hintEl = null;
  if (hint) {
    hintEl = h("span", { class: "hint", id: `${id}-hint` }, hint);
    input.setAttribute("aria-describedby", `${id}-hint`);
  }
  return h("div", { class: "field check-field" },
    h("div", { class: "check" }, input, h("label", { for: id }, label)), hintEl);
}

/** <input type=checkbox role=switch>: a checkbox that looks and announces as an on/off switch. */
export function switchInput(props = {}) {
  return h("input", { type: "checkbox", role: "switch", class: "switch", ...props });
}

/**
 * Closes a form that shows stored values until they have arrived: what is typed earlier would be
 * replaced by them, and a Save before then would store the form's blanks over them. Returns the
 * function that opens it again (once; later calls do nothing), to call first thing in fill().
 */
export function holdUntilLoaded(form) {
  // the outermost fieldsets, and the controls outside any fieldset (a disabled fieldset covers
  // the rest; their own states, set by fill(), are left alone)
  const held = [...form.querySelectorAll("fieldset, button, input, select, textarea")]
    .filter((el) => !el.disabled && !el.parentElement.closest("fieldset"));
  for (const el of held) el.disabled = true;
  form.setAttribute("aria-busy", "true");
  let open = false;
  return () => {
    if (open) return;
    open = true;
    form.removeAttribute("aria-busy");
    for (const el of held) el.disabled = false;
  };
}

export function errorRegion() {
  return h("p", { class: "form-error", id: nextId("err"), role: "alert", hidden: true });
}

export function okRegion() {
  return h("span", { class: "form-ok", role: "status" });
}

export function flash(el, text) {
  el.textContent = text;
  setTimeout(() => { if (el.textContent === text) el.textContent = ""; }, 2500);
}

/** "a, b ,, c" → ["a", "b", "c"] */
export function splitList(value) {
  return String(value || "").split(",").map((s) => s.trim()).filter(Boolean);
}

/** <time> with the full date as text, or a fallback text when there is no time. */
export function when(iso, fullDate, fallback = "—") {
  if (!iso) return fallback;
  return h("time", { datetime: iso, title: iso }, fullDate(iso));
}

/** A "Load more" button that reports whether more pages exist. */
export function loadMoreButton(label = t("Load more")) {

  return h("button", { type: "button", class: "btn btn-ghost btn-small load-more", hidden: true }, label);
}
