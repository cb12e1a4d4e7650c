// Settings → Widget and Pre-chat form, the parts each site makes its own (docs/widget.md): the
// accent colour's contrast, the reply sound, and the account's own pre-chat fields.

import { api, get } from "./api.js";
import { h, nextId } from "./dom.js";
import { field, checkField } from "./forms.js";
import { t } from "./i18n.js";

// The widget writes white or this near-black on the accent, whichever contrasts more
// (botaz/web/widget.js onColor); the server refuses colours where neither reaches 4.5:1.
const DARK_TEXT = "#111827";
export const MIN_CONTRAST = 4.5;
const MAX_FIELDS = 10;

function luminance(hex) {
  const n = parseInt(hex.slice(1), 16);
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function ratio(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** {ratio, text: "white"|"black"}: what the widget writes on this accent colour. */
export function accentContrast(color) {
  const white = ratio(color, "#ffffff");
  const dark = ratio(color, DARK_TEXT);
  return white >= dark ? { ratio: white, text: "white" } : { ratio: dark, text: "black" };
}

/** The contrast note under the colour picker; ok() says whether the colour may be saved. */
export function createContrastNote(colorInput) {
  const swatch = h("span", { class: "contrast-sample", "aria-hidden": "true" }, "Aa");
  const text = h("span", null);
  // aria-live without role=status: the section's one status stays the form's "Saved"
  const el = h("p", { class: "hint contrast-note", id: nextId("contrast"), "aria-live": "polite" }, swatch, " ", text);
  colorInput.setAttribute("aria-describedby", el.id);
  function update() {
    const color = colorInput.value;
    if (!/^#[0-9a-f]{6}$/i.test(color)) return;
    const c = accentContrast(color);
    swatch.style.cssText = `background:${color};color:${c.text === "white" ? "#ffffff" : DARK_TEXT};` +
      "padding:1px 6px;border-radius:4px;font-weight:700";
    const value = c.ratio.toFixed(2);
    text.textContent = c.ratio >= MIN_CONTRAST
      ? t("Contrast {ratio}:1 with the widget's {side} text: passes WCAG AA (4.5:1).",
        { ratio: value, side: c.text === "white" ? t("white") : t("black") })
      : t("Contrast only {ratio}:1 with white or black text: below WCAG AA (4.5:1). Choose a lighter or darker colour.",
        { ratio: value });
    el.classList.toggle("form-error", c.ratio < MIN_CONTRAST);
  }
  colorInput.addEventListener("input", update);
  return { el, update, message: () => text.textContent,
    ok: () => accentContrast(colorInput.value).ratio >= MIN_CONTRAST };
}

/** "Play a sound" for the widget's reply chime: the account's default. */
export function createSoundField() {
  const input = h("input", { type: "checkbox", name: "sound" });
  const el = checkField(t("Play a sound when an agent replies"), input,
    t("While the chat is closed or the visitor's tab is hidden. Each visitor can still switch it off or on in the widget."));
  let stored = true;
  return {
    el,
    input,
    fill: (w) => { stored = w?.sound !== false; input.checked = stored; },
    // left out while unchanged, so that settings which never chose keep the default
    changes: () => (input.checked !== stored ? { sound: input.checked } : {}),
  };
}

const TYPES = [["text", "Text"], ["select", "Choice list"], ["checkbox", "Checkbox"]];

/** The account's own pre-chat fields: text, a choice list, or a checkbox (consent). */
export function createCustomFieldsEditor({ owner }) {
  const list = h("div", { class: "custom-fields" });
  const empty = h("p", { class: "muted" }, t("No custom fields: the form asks only for the fields above."));
  const add = h("button", { type: "button", class: "btn btn-small" }, t("Add a field"));
  let rows = [];

  function row(f = {}) {
    const n = rows.length + 1;
    const key = h("input", { name: "key", maxlength: "40", value: f.key || `field-${n}`, spellcheck: "false",
      autocomplete: "off" });
    const label = h("input", { name: "label", maxlength: "80", value: f.label || "" });
    const type = h("select", { name: "type" }, ...TYPES.map(([v, l]) => h("option", { value: v }, t(l))));
    type.value = f.type || "text";
    const required = h("input", { type: "checkbox", name: "required" });
    required.checked = Boolean(f.required);
    const options = h("textarea", { name: "options", rows: "3" });
    options.value = (f.options || []).join("\n");
    const privacy = h("input", { name: "privacyUrl", type: "url", maxlength: "2000", value: f.privacyUrl || "",
      placeholder: "https://example.com/privacy" });
    const optionsField = field(t("Choices"), options, t("One per line."));
    const privacyField = field(t("Privacy policy address"), privacy,
      t("Optional: makes this a consent box, with a link to the policy that opens in a new tab."));
    const remove = h("button", { type: "button", class: "btn btn-ghost btn-small" }, t("Remove field"));
    const box = h("fieldset", { class: "proactive-rule custom-field", disabled: !owner },
      h("legend", null, t("Field {n}", { n })),
      field(t("Label"), label, t("What the visitor reads (at most 80 characters).")),
      field(t("Type"), type),
      optionsField, privacyField,
      checkField(t("Required"), required),
      field(t("Key"), key, t("Lower-case letters, digits, - and _. The answer is kept in the visitor's attribute of this name.")),
      owner ? remove : null);
    const sync = () => {
      optionsField.hidden = type.value !== "select";
      privacyField.hidden = type.value !== "checkbox";
    };
    type.addEventListener("change", sync);
    sync();
    const r = { box, read: () => {
      const out = { key: key.value.trim(), label: label.value.trim(), type: type.value, required: required.checked };
      if (type.value === "select") out.options = options.value.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
      if (type.value === "checkbox" && privacy.value.trim()) out.privacyUrl = privacy.value.trim();
      return out;
    } };
    remove.addEventListener("click", () => {
      rows = rows.filter((x) => x !== r);
      box.remove();
      paint();
      add.focus();
    });
    return r;
  }

  function paint() {
    empty.hidden = rows.length > 0;
    add.disabled = rows.length >= MAX_FIELDS;
  }

  add.addEventListener("click", () => {
    const r = row({});
    rows.push(r);
    list.append(r.box);
    paint();
    r.box.querySelector("input[name=label]")?.focus();
  });

  const el = h("fieldset", { class: "checks" }, h("legend", null, t("Your own fields")),
    h("span", { class: "hint" }, t("Asked after the fields above: text, a choice list, or a checkbox such as consent to your privacy policy (at most 10).")),
    list, empty, owner ? add : null);
  paint();
  return {
    el,
    read: () => rows.map((r) => r.read()),
    fill(fields) {
      rows = [];
      list.replaceChildren();
      for (const f of fields || []) {
        const r = row(f);
        rows.push(r);
        list.append(r.box);
      }
      paint();
    },
  };
}

const IMAGE_TYPES = "image/png,image/jpeg,image/webp";

/** A picture with Upload and Remove: the account's logo, or the agent's own avatar. */
function pictureField({ label, hint, path, editable, alt }) {
  const preview = h("img", { class: "picture-preview", alt, hidden: true, width: "48", height: "48",
    style: "width:48px;height:48px;border-radius:50%;object-fit:cover;border:1px solid var(--border, #d0d4dc)" });
  const none = h("span", { class: "muted small" }, t("None"));
  const file = h("input", { type: "file", accept: IMAGE_TYPES, hidden: true, tabindex: "-1", "aria-hidden": "true" });
  const upload = h("button", { type: "button", class: "btn btn-small" }, t("Upload…"));
  const remove = h("button", { type: "button", class: "btn btn-ghost btn-small", hidden: true }, t("Remove"));
  const status = h("span", { class: "form-ok", "aria-live": "polite" });
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  function show(url) {
    preview.hidden = !url;
    none.hidden = Boolean(url);
    remove.hidden = !url || !editable;
    if (url) preview.src = url;
    else preview.removeAttribute("src");
  }
  async function send(method, raw) {
    error.hidden = true;
    status.textContent = "";
    try {
      const res = await api(method, path, undefined, raw ? { raw, type: raw.type } : {});
      show(res.url);
      status.textContent = res.url ? t("Saved") : t("Removed");
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  }
  upload.addEventListener("click", () => file.click());
  file.addEventListener("change", () => {
    const chosen = file.files?.[0];
    file.value = "";
    if (chosen) send("PUT", chosen);
  });
  remove.addEventListener("click", () => send("DELETE"));
  const labelId = nextId("pic");
  const el = h("div", { class: "field", role: "group", "aria-labelledby": labelId },
    h("span", { class: "label", id: labelId }, label),
    h("span", { class: "color-row" }, preview, none, editable ? upload : null, editable ? remove : null, status),
    h("span", { class: "hint" }, hint), error, file);
  show(null);
  return { el, show };
}

/** The account's logo (widget header) and the signed-in agent's avatar (beside their replies). */
export function createPictures({ owner }) {
  const logo = pictureField({ label: t("Logo"), path: "/api/settings/logo", editable: owner,
    alt: t("Your logo"),
    hint: t("Shown in the widget's header instead of the title's first letter. PNG, JPEG or WebP, at most 256 KB.") });
  const avatar = pictureField({ label: t("Your picture"), path: "/auth/me/avatar", editable: true,
    alt: t("Your picture"),
    hint: t("Shown beside your replies in the widget. PNG, JPEG or WebP, at most 256 KB.") });
  return {
    logo: logo.el,
    avatar: avatar.el,
    load: () => get("/api/settings/images").then((r) => { logo.show(r.logoUrl); avatar.show(r.avatarUrl); })
      .catch(() => {}),
  };
}
