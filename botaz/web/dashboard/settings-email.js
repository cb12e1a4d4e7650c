// Settings → Email (docs/email.md): whether this server sends email, the account's email
// choices (owners), each agent's own email alerts ("My preferences"), and the delivery log
// (owners, /settings#email-log).

import { get, put, withQuery } from "./api.js";
import { h, fullDate, toast, showFormError, clearFormError } from "./dom.js";
import { section, field, checkField, switchInput, errorRegion, okRegion, flash, loadMoreButton, holdUntilLoaded } from "./forms.js";
import { t, tn, tp, locale as activeLocale, LOCALES, LANGUAGE_NAMES } from "./i18n.js";

const PAGE = 50;
const KINDS = () => ({ reply: t("Reply to visitor"), alert: t("Alert to agent"), transcript: t("Transcript"), "password-reset": t("Password reset") });

function minutes(seconds) {
  const m = Math.round(seconds / 60);
  return m >= 1 ? tn(m, "{n} minute", "{n} minutes") : tn(Math.round(seconds), "{n} second", "{n} seconds");
}

export function createEmailSections({ owner, readOnlyNote, isDestroyed }) {
  // ----- whether mail works here
  const statusNote = h("p", { class: "email-status", role: "status" }, t("Checking whether this server sends email…"));
  function showStatus(s) {
    statusNote.replaceChildren();
    if (s.enabled) {
      statusNote.className = "email-status on";
      statusNote.append(...tp("Email is on: botaz sends from {from}. Replies a visitor has not seen after {replyDelay} are emailed to them; visitor messages nobody answered after {alertDelay} are emailed to agents.",
        { from: h("code", null, s.from), replyDelay: minutes(s.emailDelayS), alertDelay: minutes(s.alertDelayS) }));
    } else {
      statusNote.className = "email-status off";
      statusNote.append(...tp("This server sends no email: set {variable} and restart botaz. Until then offline replies, alerts, transcripts and password reset links are not sent, and the widget offers no email options.",
        { variable: h("code", null, "BOTAZ_SMTP_URL") }));
    }
  }

  // ----- account email settings (owners edit)
  const onResolve = switchInput({ name: "transcriptOnResolve" });
  const locale = h("select", { name: "locale" },
    h("option", { value: "en" }, "English"), h("option", { value: "az" }, "Azərbaycanca"));
  const offlineEn = h("textarea", { name: "offlineMessageEn", rows: "2", maxlength: "500",
    placeholder: "We're away right now. Leave your email and we'll reply by email, usually within a few hours." });
  const offlineAz = h("textarea", { name: "offlineMessageAz", rows: "2", maxlength: "500", lang: "az",
    placeholder: "Hazırda burada deyilik. E-poçtunuzu qoyun, adətən bir neçə saat ərzində e-poçtla cavab yazacağıq." });
  const err = errorRegion();
  const ok = okRegion();
  const fieldset = h("fieldset", { class: "plain", disabled: !owner },
    h("legend", { class: "sr-only" }, t("Email settings")),
    checkField(t("Email the transcript to the visitor when a conversation is resolved"), onResolve,
      t("Only visitors who gave an email address get it.")),
    field(t("Language of emails to agents"), locale,
      t("Visitors get emails in their widget's language (Azerbaijani or English); this one when it is not known.")),
    field(t("Offline message (English)"), offlineEn, t("What the widget says when no agent is available. Empty: the text shown as placeholder.")),
    field(t("Offline message (Azerbaijani)"), offlineAz));
  const form = h("form", { class: "settings-form", novalidate: true }, fieldset, err,
    owner ? h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn btn-primary" }, t("Save email settings")), ok) : null);
  const openForm = holdUntilLoaded(form);
  function fill(s) {
    openForm();
    const e = s.email || {};
    onResolve.checked = Boolean(e.transcriptOnResolve);
    locale.value = e.locale === "az" ? "az" : "en";
    offlineEn.value = e.offlineMessage?.en || "";
    offlineAz.value = e.offlineMessage?.az || "";
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFormError(form, err);
    try {
      const s = await put("/api/settings", { email: {
        transcriptOnResolve: onResolve.checked, locale: locale.value,
        offlineMessage: { en: offlineEn.value, az: offlineAz.value } } });
      fill(s);
      flash(ok, t("Saved"));
    } catch (error) {
      showFormError(form, err, error, ["transcriptOnResolve", "locale"]);
    }
  });
  const emailSection = section({ key: "email", title: t("Email"),
    description: t("What botaz emails to visitors, and what the widget says when nobody is available.") },
  statusNote, readOnlyNote(), form);

  // ----- my preferences: every agent's own email alerts
  const alerts = switchInput({ name: "emailAlerts" });
  const prefsOk = okRegion();
  alerts.addEventListener("change", async () => {
    alerts.disabled = true;
    try {
      const p = await put("/auth/me/preferences", { emailAlerts: alerts.checked });
      alerts.checked = Boolean(p.emailAlerts);
      flash(prefsOk, alerts.checked ? t("Email alerts on") : t("Email alerts off"));
    } catch (error) {
      alerts.checked = !alerts.checked;
      toast(t("Could not save: {error}", { error: error.message }), "error");
    } finally {
      alerts.disabled = false;
    }
  });
  // The dashboard's language: the agent's own choice, or the browser's ("" stores null).
  const language = h("select", { name: "locale", class: "select" },
    h("option", { value: "" }, t("Browser's language")),
    ...LOCALES.map((code) => h("option", { value: code, lang: code }, LANGUAGE_NAMES[code])));
  language.addEventListener("change", async () => {
    language.disabled = true;
    try {
      const p = await put("/auth/me/preferences", { locale: language.value || null });
      if ((p.locale || "") !== storedLanguage) location.reload(); // every view redrawn in the new language
    } catch (error) {
      language.value = storedLanguage;
      toast(t("Could not save: {error}", { error: error.message }), "error");
    } finally {
      language.disabled = false;
    }
  });
  let storedLanguage = "";
  alerts.disabled = language.disabled = true; // until the stored choices are in
  const prefsSection = section({ key: "preferences", title: t("My preferences"),
    description: t("Your own choices; they do not change anyone else's.") },
  field(t("Language"), language, t("The dashboard's language. Now: {language}.", { language: LANGUAGE_NAMES[activeLocale()] })),
  checkField(t("Email me about visitor messages nobody answered"), alerts,
    t("Sent to the conversation's assignee, or to every agent while it is unassigned.")), prefsOk);

  // ----- delivery log (owners)
  let log = null;
  if (owner) {
    let next = null;
    const seen = new Set();
    const tbody = h("tbody");
    const logStatus = h("p", { class: "muted", role: "status" }, t("Loading the email log…"));
    const more = loadMoreButton();
    const refresh = h("button", { type: "button", class: "btn btn-ghost btn-small" }, t("Refresh"));
    const table = h("table", { class: "table email-log" },
      h("caption", { class: "sr-only" }, t("Emails, newest first")),
      h("thead", null, h("tr", null,
        ...[t("Queued"), t("Kind"), t("To"), t("Subject"), t("Status"), t("Attempts"), t("Last error")].map((text) => h("th", { scope: "col" }, text)))),
      tbody);
    const row = (m) => h("tr", { dataset: { id: m._id } },
      h("td", { class: "nowrap" }, h("time", { datetime: m.createdAt, title: m.createdAt }, fullDate(m.createdAt))),
      h("td", null, KINDS()[m.kind] || m.kind),
      h("td", null, m.recipient),
      h("td", null, m.subject),
      h("td", null, h("span", { class: `tag status-${m.status === "sent" ? "delivered" : m.status}` }, m.status),
        m.status === "sent" && m.sentAt ? h("span", { class: "muted small block" }, fullDate(m.sentAt))
          : m.status === "pending" && m.nextAttemptAt ? h("span", { class: "muted small block" }, t("next try {when}", { when: fullDate(m.nextAttemptAt) })) : null),
      h("td", null, String(m.attempts)),
      h("td", { class: "small" }, m.lastError || "—"));
    async function load(reset) {
      more.disabled = true;
      try {
        const page = await get(withQuery("/api/emails", { limit: PAGE, cursor: reset ? null : next }));
        if (isDestroyed()) return;
        if (reset) {
          tbody.replaceChildren();
          seen.clear();
        }
        for (const m of page.items || []) {
          if (seen.has(m._id)) continue;
          seen.add(m._id);
          tbody.append(row(m));
        }
        next = page.next || null;
        more.hidden = !next;
        logStatus.textContent = seen.size ? "" : t("No emails yet.");
      } catch (error) {
        if (isDestroyed()) return;
        if (reset) logStatus.textContent = t("Could not load the email log: {error}", { error: error.message });
        else toast(error.message, "error");
      } finally {
        more.disabled = false;
      }
    }
    more.addEventListener("click", () => load(false));
    refresh.addEventListener("click", () => load(true));
    const el = section({ key: "email-log", title: t("Email log"),
      description: t("Every email botaz queued for this account in the last 30 days, newest first. Failed sends are retried for a day.") },
    h("div", { class: "log-tools" }, refresh), h("div", { class: "table-wrap" }, table), logStatus, more);
    log = { el, load: () => load(true) };
  }

  function load() {
    get("/api/email/status").then((s) => { if (!isDestroyed()) showStatus(s); }).catch(() => {
      if (!isDestroyed()) statusNote.textContent = t("Could not tell whether this server sends email.");
    });
    get("/auth/me/preferences").then((p) => {
      if (isDestroyed()) return;
      alerts.disabled = language.disabled = false;
      alerts.checked = Boolean(p.emailAlerts);
      storedLanguage = p.locale || "";
      language.value = storedLanguage;
    }).catch((error) => { if (!isDestroyed()) toast(t("Could not load your preferences: {error}", { error: error.message }), "error"); });

    log?.load();
  }

  return { emailSection, prefsSection, log, fill, load };
}
