// /settings: widget install snippet, widget look, pre-chat form, allowed websites, the bot,
// canned responses, API tokens, webhooks, email and its log, the agent's own preferences and
// password, and the audit log. Owners edit
// account settings; other agents see them read-only. /settings#<section> scrolls to a section
// (e.g. #audit, the "Audit log" link of the header).

import { get, post, put, del, enc } from "./api.js";
import {
  h, copyButton, fullDate, relativeAgo, confirmDialog, toast, nextId, showFormError, clearFormError,
} from "./dom.js";
import { session, agentName, setCanned, nav, realtime } from "./state.js";
import { section, field, errorRegion, okRegion, flash, holdUntilLoaded } from "./forms.js";
import { createBotSection } from "./settings-bot.js";
import { createAvailabilitySection } from "./settings-availability.js";
import { createWebhooksSection } from "./settings-webhooks.js";
import { createAuditSection } from "./settings-audit.js";
import { createSatisfactionSection, createLabelsSection } from "./settings-reports.js";
import { createNotificationsSection } from "./settings-notifications.js";
import { createEmailSections } from "./settings-email.js";
import { createProactiveSection } from "./settings-proactive.js";
import { t, tp } from "./i18n.js";
import { createContrastNote, createSoundField, createCustomFieldsEditor, createPictures } from "./settings-widget.js";

const PREFORM_FIELDS = [["name", () => t("Name")], ["email", () => t("Email")], ["phone", () => t("Phone")]];

export function mountSettings(container) {
  const owner = session.isOwner;
  let destroyed = false;
  const readOnlyNote = () => (owner ? null
    : h("p", { class: "readonly-note" }, t("Only owners can change these settings.")));

  // ----- install snippet
  const base = location.origin;
  const siteKey = session.account?.siteKey || "";
  const snippet = `<script src="${base}/widget.js" data-site-key="${siteKey}" async></script>`;
  const install = section({ key: "install", title: t("Install the chat widget"),
    description: t("Paste this snippet before the closing </body> tag of every page where visitors should be able to chat.") },
    h("div", { class: "field" },
      h("span", { class: "label" }, t("Site key")),
      h("span", { class: "id-row" }, h("code", { class: "site-key" }, siteKey), copyButton(siteKey, t("site key")))),
    h("div", { class: "field" },
      h("span", { class: "label", id: "snippet-label" }, t("Embed code")),
      h("pre", { class: "snippet", "aria-labelledby": "snippet-label", tabindex: "0" }, h("code", null, snippet)),
      h("div", null, copyButton(snippet, t("embed code")))),
    h("p", { class: "muted small" }, ...tp("Try it on the {link}.", { link: h("a", { href: `/demo?siteKey=${enc(siteKey)}`, target: "_blank", rel: "noopener" }, t("demo page")) })));

  // ----- known users (docs/widget.md): the identity secret, owners only
  const secretCode = h("code", { class: "site-key" }, "");
  const secretCopy = h("span");
  const rotate = h("button", { type: "button", class: "btn btn-small" }, t("Rotate"));
  const identityField = h("div", { class: "field", hidden: true },
    h("span", { class: "label" }, t("Identity secret")),
    h("span", { class: "id-row" }, secretCode, secretCopy, rotate),
    h("span", { class: "hint" }, t("Your website's server signs signed-in users' IDs with it (HMAC-SHA256) for Botaz.identify, so they keep one conversation on every device. Keep it secret: never put it in a page.")));
  function showSecret(value) {
    identityField.hidden = !value;
    secretCode.textContent = value || "";
    secretCopy.replaceChildren(value ? copyButton(value, t("identity secret")) : "");
  }
  rotate.addEventListener("click", async () => {
    const ok = await confirmDialog(t("Hashes your website made with the current secret stop working at once: signed-in users are treated as anonymous until your server uses the new one."),
      { confirmLabel: t("Rotate secret"), title: t("Rotate the identity secret?") });
    if (!ok) return;
    try {
      showSecret((await post("/api/settings/identity-secret", {})).identitySecret);
      toast(t("The identity secret was rotated."));
    } catch (err) {
      toast(err.message, "error");
    }
  });
  if (owner) install.append(identityField);

  // ----- widget look
  const greeting = h("textarea", { name: "greeting", rows: "2", maxlength: "500" });
  const title = h("input", { name: "title", maxlength: "80" });
  const color = h("input", { name: "color", type: "color", value: "#4f46e5" });
  const position = h("select", { name: "position" },
    h("option", { value: "right" }, t("Bottom right")), h("option", { value: "left" }, t("Bottom left")));
  let storedPosition = "right";
  const colorText = h("code", { class: "color-value" }, color.value);
  color.addEventListener("input", () => { colorText.textContent = color.value; });
  const contrast = createContrastNote(color);
  const sound = createSoundField();
  const widgetErr = errorRegion();
  const widgetOk = okRegion();
  const widgetFieldset = h("fieldset", { class: "plain", disabled: !owner },
    h("legend", { class: "sr-only" }, t("Widget appearance")),
    field(t("Title"), title, t("Shown at the top of the chat window.")),
    field(t("Greeting"), greeting, t("The first message visitors see.")),
    h("div", { class: "field" }, h("label", { for: "widget-color" }, t("Colour")),
      h("span", { class: "color-row" }, color, colorText), contrast.el),
    field(t("Launcher position"), position, t("Where the chat button sits on your pages.")), sound.el);
  color.id = "widget-color";
  const widgetForm = h("form", { class: "settings-form", novalidate: true },
    widgetFieldset, widgetErr,
    owner ? h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn btn-primary" }, t("Save widget")), widgetOk) : null);
  widgetForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFormError(widgetForm, widgetErr);
    if (!contrast.ok()) {
      showFormError(widgetForm, widgetErr, new Error(contrast.message()), ["color"]);
      return;
    }
    try {
      const s = await put("/api/settings", { widget: { greeting: greeting.value, title: title.value, color: color.value,
        ...sound.changes(),
        // left out while it is the default, so settings that never chose a side stay as they were
        ...(position.value !== storedPosition ? { position: position.value } : {}) } });
      fillSettings(s);
      flash(widgetOk, t("Saved"));
    } catch (err) {
      showFormError(widgetForm, widgetErr, err, ["greeting", "title", "color", "position"]);
    }
  });
  const pictures = createPictures({ owner });
  const widgetSection = section({ key: "widget", title: t("Widget"), description: t("How the chat window looks on your website.") }, readOnlyNote(), pictures.logo, widgetForm);

  // ----- pre-chat form
  const preformEnabled = h("input", { type: "checkbox", name: "enabled", id: nextId("pe") });
  const preformFields = {};
  const preformErr = errorRegion();
  const preformOk = okRegion();
  const fieldsGroup = h("fieldset", { class: "checks" }, h("legend", null, t("Ask for")));
  const customFields = createCustomFieldsEditor({ owner });
  for (const [key, label] of PREFORM_FIELDS) {
    const id = nextId(`pf-${key}`);
    preformFields[key] = h("input", { type: "checkbox", id, name: key });
    fieldsGroup.append(h("div", { class: "check" }, preformFields[key], h("label", { for: id }, label())));
  }
  const preformFieldset = h("fieldset", { class: "plain", disabled: !owner },
    h("legend", { class: "sr-only" }, t("Pre-chat form")),
    h("div", { class: "check" }, preformEnabled,
      h("label", { for: preformEnabled.id }, t("Ask visitors to introduce themselves before chatting"))),
    fieldsGroup, customFields.el);
  const preformForm = h("form", { class: "settings-form", novalidate: true },
    preformFieldset, preformErr,
    owner ? h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn btn-primary" }, t("Save pre-chat form")), preformOk) : null);
  preformEnabled.addEventListener("change", () => { fieldsGroup.disabled = !preformEnabled.checked; });
  preformForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFormError(preformForm, preformErr);
    const fields = PREFORM_FIELDS.map(([k]) => k).filter((k) => preformFields[k].checked);
    try {
      const preform = { enabled: preformEnabled.checked, customFields: customFields.read() };
      if (fields.length) preform.fields = fields;
      else if (preformEnabled.checked) {
        showFormError(preformForm, preformErr, new Error(t("Choose at least one field to ask for.")), []);
        return;
      }
      const s = await put("/api/settings", { preform });
      fillSettings(s);
      flash(preformOk, t("Saved"));
    } catch (err) {
      showFormError(preformForm, preformErr, err, []);
    }
  });
  const preformSection = section({ key: "preform", title: t("Pre-chat form"), description: t("Collect a visitor's details before the chat starts.") }, readOnlyNote(), preformForm);

  // ----- allowed websites
  const origins = h("textarea", { name: "allowedOrigins", rows: "4", spellcheck: "false", autocomplete: "off",
    placeholder: "https://shop.example.com\nhttps://www.example.com" });
  const originsErr = errorRegion();
  const originsOk = okRegion();
  const originsForm = h("form", { class: "settings-form", novalidate: true },
    h("fieldset", { class: "plain", disabled: !owner },
      h("legend", { class: "sr-only" }, t("Allowed websites")),
      field(t("Allowed websites"), origins,
        t("One website per line, as scheme://host[:port]. Leave empty to allow any website. The demo page counts as {origin}.", { origin: location.origin }))),
    originsErr,
    owner ? h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn btn-primary" }, t("Save allowed websites")), originsOk) : null);
  originsForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFormError(originsForm, originsErr);
    const list = origins.value.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
    try {
      const s = await put("/api/settings", { allowedOrigins: list });
      fillSettings(s);
      flash(originsOk, t("Saved"));
    } catch (err) {
      showFormError(originsForm, originsErr, err, ["allowedOrigins"]);
    }
  });
  const originsSection = section({ key: "websites", title: t("Allowed websites"),
    description: t("Only pages of these websites may use your chat widget. Pages elsewhere that embed your site key get an error.") },
  readOnlyNote(), originsForm);

  const openForms = [widgetForm, preformForm, originsForm].map(holdUntilLoaded);
  function fillSettings(s) {
    if (!s) return;
    for (const open of openForms) open();
    email.fill(s);
    const w = s.widget || {};
    greeting.value = w.greeting ?? "";
    title.value = w.title ?? "";
    if (/^#[0-9a-f]{6}$/i.test(w.color || "")) color.value = w.color;
    colorText.textContent = color.value;
    contrast.update();
    sound.fill(w);
    storedPosition = w.position === "left" ? "left" : "right";
    position.value = storedPosition;
    if (owner) showSecret(s.identitySecret);
    const p = s.preform || {};
    preformEnabled.checked = Boolean(p.enabled);
    const enabledFields = new Set(p.fields || []);
    for (const [k] of PREFORM_FIELDS) preformFields[k].checked = enabledFields.has(k);
    fieldsGroup.disabled = !preformEnabled.checked;
    customFields.fill(p.customFields);
    origins.value = (s.allowedOrigins || []).join("\n");
  }

  // ----- canned responses
  const cannedList = h("ul", { class: "canned-manage" });
  const cannedStatus = h("p", { class: "muted", role: "status" });
  let canned = [];
  function renderCanned() {
    cannedList.replaceChildren(...canned.map(renderCannedRow));
    cannedStatus.textContent = canned.length ? "" : t("No canned responses yet.");
    setCanned(canned);
  }
  function renderCannedRow(c) {
    const edit = h("button", { type: "button", class: "btn btn-small btn-ghost", "aria-label": t("Edit /{shortcut}", { shortcut: c.shortcut }) }, t("Edit"));
    const remove = h("button", { type: "button", class: "btn btn-small btn-danger-ghost", "aria-label": t("Delete /{shortcut}", { shortcut: c.shortcut }) }, t("Delete"));
    const li = h("li", { class: "canned-row" },
      h("code", { class: "canned-shortcut" }, `/${c.shortcut}`),
      h("span", { class: "canned-text" }, c.text),
      h("span", { class: "row-actions" }, edit, remove));
    edit.addEventListener("click", () => li.replaceWith(cannedEditor(c)));
    remove.addEventListener("click", async () => {
      if (!await confirmDialog(t("Delete the canned response /{shortcut}?", { shortcut: c.shortcut }), { confirmLabel: t("Delete") })) return;
      try {
        await del(`/api/canned/${enc(c._id)}`);
        canned = canned.filter((x) => x._id !== c._id);
        renderCanned();
      } catch (err) {
        toast(err.message, "error");
      }
    });
    return li;
  }
  function cannedEditor(c) {
    const err = errorRegion();
    const shortcut = h("input", { name: "shortcut", value: c ? c.shortcut : "", required: true, pattern: "[\\w-]+", autocomplete: "off" });
    const text = h("textarea", { name: "text", rows: "2", required: true });
    text.value = c ? c.text : "";
    const submit = h("button", { type: "submit", class: "btn btn-primary btn-small" }, c ? t("Save") : t("Add response"));
    const form = h("form", { class: c ? "canned-row editing" : "canned-add", novalidate: true },
      h("div", { class: "canned-fields" },
        field(t("Shortcut"), shortcut, c ? null : t("Type /shortcut in the message box to insert the text.")),
        field(t("Text"), text)),
      err,
      h("div", { class: "form-actions" }, submit,
        c ? h("button", { type: "button", class: "btn btn-ghost btn-small", onClick: () => renderCanned() }, t("Cancel")) : null));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearFormError(form, err);
      const body = { shortcut: shortcut.value.trim().replace(/^\//, ""), text: text.value.trim() };
      submit.disabled = true;
      try {
        if (c) {
          const updated = await put(`/api/canned/${enc(c._id)}`, body);
          canned = canned.map((x) => (x._id === c._id ? updated : x));
        } else {
          canned = [...canned, await post("/api/canned", body)];
          shortcut.value = "";
          text.value = "";
        }
        renderCanned();
      } catch (error) {
        showFormError(form, err, error, ["shortcut", "text"]);
      } finally {
        submit.disabled = false;
      }
    });
    return c ? h("li", null, form) : form;
  }
  const cannedSection = section({ key: "canned", title: t("Canned responses"),
    description: t("Saved replies for common questions. In a conversation, type / and the shortcut to insert one.") },
    cannedList, cannedStatus, h("h3", null, t("New canned response")), cannedEditor(null));

  // ----- API tokens
  const tokensBody = h("tbody");
  const tokensStatus = h("p", { class: "muted", role: "status" });
  const tokenResult = h("div", { class: "once-box", hidden: true, role: "status" });
  let tokens = [];
  function renderTokens() {
    tokensBody.replaceChildren(...tokens.map((tok) => {
      let action = null;
      if (owner) {
        const revoke = h("button", { type: "button", class: "btn btn-small btn-danger-ghost", "aria-label": t("Revoke {label}", { label: tok.label || t("token") }) }, t("Revoke"));
        revoke.addEventListener("click", async () => {
          if (!await confirmDialog(t("Revoke the token \"{label}\"? Programs using it stop working immediately.", { label: tok.label || t("untitled") }), { confirmLabel: t("Revoke") })) return;
          try {
            await del(`/api/tokens/${enc(tok._id)}`);
            tokens = tokens.filter((x) => x._id !== tok._id);
            renderTokens();
          } catch (err) {
            toast(err.message, "error");
          }
        });
        action = h("td", { class: "actions" }, revoke);
      }
      return h("tr", null,
        h("td", null, tok.label || h("span", { class: "muted" }, t("Untitled"))),
        h("td", null, agentName(tok.agentId)),
        h("td", null, h("time", { datetime: tok.createdAt, title: fullDate(tok.createdAt) }, fullDate(tok.createdAt))),
        h("td", null, tok.lastUsedAt ? h("time", { datetime: tok.lastUsedAt, title: fullDate(tok.lastUsedAt) }, relativeAgo(tok.lastUsedAt)) : t("Never")),
        action);
    }));
    tokensStatus.textContent = tokens.length ? "" : t("No API tokens.");
  }
  const tokensTable = h("table", { class: "table" },
    h("caption", { class: "sr-only" }, t("API tokens")),
    h("thead", null, h("tr", null,
      h("th", { scope: "col" }, t("Label")), h("th", { scope: "col" }, t("Agent")), h("th", { scope: "col" }, t("Created")),
      h("th", { scope: "col" }, t("Last used")), owner ? h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("Actions"))) : null)),
    tokensBody);
  let tokenForm = null;
  if (owner) {
    const label = h("input", { name: "label", required: true, maxlength: "100", autocomplete: "off", placeholder: t("e.g. CRM integration") });
    const err = errorRegion();
    tokenForm = h("form", { class: "inline-form", novalidate: true },
      field(t("Token label"), label), h("button", { type: "submit", class: "btn btn-primary" }, t("Create token")), err);
    tokenForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearFormError(tokenForm, err);
      try {
        const created = await post("/api/tokens", { label: label.value.trim() });
        const { token, ...row } = created;
        tokens = [row, ...tokens];
        renderTokens();
        label.value = "";
        tokenResult.hidden = false;
        tokenResult.replaceChildren(
          h("p", null, h("strong", null, t("Token \"{label}\" created.", { label: row.label })), " ", t("Copy it now: it is shown only once.")),
          h("div", { class: "id-row" }, h("code", { class: "secret" }, token), copyButton(token, t("API token"))));
      } catch (error) {
        showFormError(tokenForm, err, error, ["label"]);
      }
    });
  }
  const tokensSection = section({ key: "tokens", title: t("API tokens"),
    description: t("Tokens let your own server use the REST API (Authorization: Bearer <token>). Each acts as the agent it belongs to.") },
    readOnlyNote(), tokenForm, tokenResult, h("div", { class: "table-wrap" }, tokensTable), tokensStatus);

  // ----- password
  const pwErr = errorRegion();
  const pwOk = okRegion();
  const current = h("input", { type: "password", name: "current", autocomplete: "current-password", required: true });
  const fresh = h("input", { type: "password", name: "new", autocomplete: "new-password", required: true, minlength: "8" });
  const confirmPw = h("input", { type: "password", name: "confirm", autocomplete: "new-password", required: true });
  const pwForm = h("form", { class: "settings-form narrow-form", novalidate: true },
    h("input", { type: "text", name: "username", autocomplete: "username", value: session.agent.email || "", hidden: true, "aria-hidden": "true", tabindex: "-1" }),
    field(t("Current password"), current),
    field(t("New password"), fresh, t("At least 8 characters.")),
    field(t("Confirm new password"), confirmPw),
    pwErr,
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn btn-primary" }, t("Change password")), pwOk));
  pwForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFormError(pwForm, pwErr);
    if (fresh.value.length < 8) {
      showFormError(pwForm, pwErr, new Error(t("The new password must have at least 8 characters.")), []);
      fresh.setAttribute("aria-invalid", "true");
      return;
    }
    if (fresh.value !== confirmPw.value) {
      showFormError(pwForm, pwErr, new Error(t("The new passwords do not match.")), []);
      confirmPw.setAttribute("aria-invalid", "true");
      return;
    }
    try {
      await post("/auth/password", { current: current.value, new: fresh.value });
      pwForm.reset();
      flash(pwOk, t("Password changed"));
    } catch (err) {
      const message = err.status === 403 ? t("The current password is wrong.") : err.message;
      showFormError(pwForm, pwErr, new Error(message), []);
      if (err.status === 403) current.setAttribute("aria-invalid", "true");
    }
  });
  const passwordSection = section({ key: "password", title: t("Change password") }, pwForm);

  // ----- bot, webhooks, audit log
  const isDestroyed = () => destroyed;
  const bot = createBotSection({ owner, readOnlyNote, isDestroyed });
  const availability = createAvailabilitySection({ owner, readOnlyNote, isDestroyed });
  const webhooks = owner ? createWebhooksSection({ isDestroyed }) : null;
  const audit = owner ? createAuditSection({ isDestroyed }) : null;
  const satisfaction = createSatisfactionSection({ owner, readOnlyNote, isDestroyed });
  const labels = createLabelsSection({ owner, isDestroyed });
  const notifications = createNotificationsSection({ isDestroyed });
  const email = createEmailSections({ owner, readOnlyNote, isDestroyed });
  const proactive = createProactiveSection({ owner, readOnlyNote, isDestroyed });
  email.prefsSection.append(pictures.avatar);

  // ----- page
  const sections = [[install, t("Install")], [widgetSection, t("Widget")], [preformSection, t("Pre-chat form")],
    [originsSection, t("Allowed websites")], [availability.el, t("Availability")], [bot.el, t("Bot")], [proactive.el, t("Proactive messages")], [cannedSection, t("Canned responses")],
    [satisfaction.el, t("Ratings and targets")], [labels.el, t("Labels")],
    [tokensSection, t("API tokens")], webhooks ? [webhooks.el, t("Webhooks")] : null,
    [email.emailSection, t("Email")], email.log ? [email.log.el, t("Email log")] : null,
    [email.prefsSection, t("My preferences")], [notifications.el, t("My notifications")],
    [passwordSection, t("Password")], audit ? [audit.el, t("Audit log")] : null].filter(Boolean);
  const toc = h("nav", { class: "toc", "aria-label": t("Settings sections") }, h("ul", null,
    ...sections.map(([s, label]) => h("li", null, h("a", { href: `/settings#${s.id}`, onClick: (e) => {
      e.preventDefault();
      if (location.hash === `#${s.id}`) goToHash(true);
      else nav.go(`/settings#${s.id}`, { replace: true });
    } }, label)))));
  const main = h("div", { class: "settings-main" }, ...sections.map(([s]) => s));

  container.append(h("div", { class: "page settings-page" },
    h("div", { class: "page-head" }, h("h1", null, t("Settings")),
      h("p", { class: "muted" }, t("Account: {name}", { name: session.account?.name || "" }))),
    h("div", { class: "settings-layout" }, toc, main)));

  // ----- /settings#<section>: scroll there, and stay there while the sections above fill in
  const scroller = container.closest(".main") || container;
  let pinned = null;
  let unpinTimer = null;
  function unpin() {
    pinned = null;
    clearTimeout(unpinTimer);
  }
  for (const type of ["wheel", "touchstart", "keydown", "pointerdown"]) {
    scroller.addEventListener(type, unpin, { passive: true });
  }
  const resizeObserver = new ResizeObserver(() => { if (pinned) pinned.scrollIntoView({ block: "start" }); });
  resizeObserver.observe(main);
  function goToHash(smooth) {
    unpin();
    const key = decodeURIComponent(location.hash.slice(1));
    const target = key ? sections.map(([s]) => s).find((s) => s.id === key) : null;
    if (!target) return;
    target.scrollIntoView({ behavior: smooth ? "smooth" : "auto", block: "start" });
    const heading = target.querySelector("h2");
    heading?.setAttribute("tabindex", "-1");
    setTimeout(() => heading?.focus({ preventScroll: true }), 0);
    if (!smooth) {
      pinned = target;
      unpinTimer = setTimeout(unpin, 4000);
    }
  }
  goToHash(false);

  // ----- data
  get("/api/settings").then((s) => { if (!destroyed) fillSettings(s); }).catch((err) => {
    if (!destroyed && err.status !== 403) toast(t("Could not load settings: {error}", { error: err.message }), "error");
  });
  get("/api/canned").then((d) => {
    if (destroyed) return;
    canned = d.items || [];
    renderCanned();
  }).catch((err) => { if (!destroyed) cannedStatus.textContent = t("Could not load canned responses: {error}", { error: err.message }); });
  get("/api/tokens").then((d) => {
    if (destroyed) return;
    tokens = d.items || [];
    renderTokens();
  }).catch((err) => {
    if (destroyed) return;
    tokensStatus.textContent = err.status === 403 ? t("Only owners can see and manage API tokens.") : t("Could not load tokens: {error}", { error: err.message });

  });
  bot.load();
  availability.load();
  webhooks?.load();
  audit?.load();
  notifications.load();
  email.load();
  pictures.load();
  const offAgents = realtime.on("agents.changed", () => bot.refreshAgents());

  return {
    update() { goToHash(true); },
    destroy() {
      destroyed = true;
      unpin();
      resizeObserver.disconnect();
      for (const type of ["wheel", "touchstart", "keydown", "pointerdown"]) scroller.removeEventListener(type, unpin);
      webhooks?.destroy();
      notifications.destroy();
      offAgents();
    },
  };
}
