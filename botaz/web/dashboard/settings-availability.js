// Settings → Availability: when the team is in (business hours, one definition for the widget's
// online state and the bot), automatic assignment of new conversations (owners), and the
// signed-in agent's own idle time before the dashboard sets them Away.
// GET/PUT /api/settings (businessHours, autoAssign); GET/PUT /auth/me/preferences (idleAwayMinutes).

import { get, put } from "./api.js";
import { h, nextId, showFormError, clearFormError, toast } from "./dom.js";
import { section, field, checkField, switchInput, errorRegion, okRegion, flash, holdUntilLoaded } from "./forms.js";
import { setIdleMinutes } from "./availability.js";
import { t } from "./i18n.js";

const DAYS = [
  ["mon", () => t("Monday")], ["tue", () => t("Tuesday")], ["wed", () => t("Wednesday")], ["thu", () => t("Thursday")],
  ["fri", () => t("Friday")], ["sat", () => t("Saturday")], ["sun", () => t("Sunday")],
];
const WORKDAYS = new Set(["mon", "tue", "wed", "thu", "fri"]);

function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

function timeZones() {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return [];
  }
}


export function createAvailabilitySection({ owner, readOnlyNote, isDestroyed }) {
  const hoursName = nextId("hours");
  const alwaysOpen = h("input", { type: "radio", name: hoursName, value: "always", id: nextId("ho") });
  const someHours = h("input", { type: "radio", name: hoursName, value: "hours", id: nextId("ho") });
  const timezone = h("input", { name: "timezone", autocomplete: "off", spellcheck: "false", list: nextId("tz") });
  const tzList = h("datalist", { id: timezone.getAttribute("list") }, ...timeZones().map((z) => h("option", { value: z })));
  const dayRows = {};
  const extraSpans = {}; // spans beyond the first of a day, kept as they are
  const daysTable = h("div", { class: "hours-days", role: "group", "aria-label": t("Opening hours by day") });
  for (const [key, dayName] of DAYS) {
    const label = dayName();
    const open = h("input", { type: "checkbox", name: `open-${key}`, id: nextId(`d-${key}`) });
    const start = h("input", { type: "time", name: `start-${key}`, "aria-label": t("{day} opens", { day: label }), value: "09:00" });
    const end = h("input", { type: "time", name: `end-${key}`, "aria-label": t("{day} closes", { day: label }), value: "18:00" });
    const note = h("span", { class: "hint" });
    const sync = () => {
      start.disabled = !open.checked;
      end.disabled = !open.checked;
    };
    open.addEventListener("change", sync);
    dayRows[key] = { open, start, end, note, sync };
    daysTable.append(h("div", { class: "hours-day" },
      h("span", { class: "check" }, open, h("label", { for: open.id }, label)),
      h("span", { class: "hours-span" }, start, h("span", { "aria-hidden": "true" }, "–"), end),
      note));
  }
  const hoursDetails = h("div", { class: "hours-details" },
    field(t("Time zone"), timezone, t("As in the tz database, e.g. Asia/Baku or Europe/Berlin.")), tzList, daysTable);
  function syncHours() {
    hoursDetails.hidden = !someHours.checked;
  }
  alwaysOpen.addEventListener("change", syncHours);
  someHours.addEventListener("change", () => {
    if (!timezone.value) timezone.value = browserTimeZone();
    syncHours();
  });
  const hoursGroup = h("fieldset", { class: "checks hours" },
    h("legend", null, t("Business hours")),
    h("div", { class: "radio-row" },
      h("span", { class: "check" }, alwaysOpen, h("label", { for: alwaysOpen.id }, t("Always open"))),
      h("span", { class: "check" }, someHours, h("label", { for: someHours.id }, t("Open at set hours")))),
    h("p", { class: "hint" }, t("Outside these hours the widget shows that nobody is online and the bot gives its offline reply.")),
    hoursDetails);

  function setHours(stored) {
    const hours = stored && stored.enabled !== false ? stored : null;
    alwaysOpen.checked = !hours;
    someHours.checked = Boolean(hours);
    timezone.value = hours?.timezone || "";
    const days = hours?.days || {};
    for (const [key] of DAYS) {
      const spans = Array.isArray(days[key]) ? days[key] : [];
      const row = dayRows[key];
      row.open.checked = hours ? spans.length > 0 : WORKDAYS.has(key);
      if (spans.length) {
        row.start.value = spans[0][0];
        row.end.value = spans[0][1];
      } else {
        row.start.value = "09:00";
        row.end.value = "18:00";
      }
      extraSpans[key] = spans.slice(1);
      row.note.textContent = extraSpans[key].length
        ? t("and {spans}", { spans: extraSpans[key].map(([a, b]) => `${a}–${b}`).join(", ") }) : "";
      row.sync();
    }
    syncHours();
  }

  function readHours() {
    const days = {};
    for (const [key] of DAYS) {
      const row = dayRows[key];
      if (!row.open.checked) continue;
      days[key] = [[row.start.value, row.end.value], ...(extraSpans[key] || [])];
    }
    return { enabled: someHours.checked, timezone: timezone.value.trim() || "UTC", days };
  }


  const autoAssign = switchInput({ name: "autoAssign" });
  const err = errorRegion();
  const ok = okRegion();
  const fieldset = h("fieldset", { class: "plain", disabled: !owner },
    h("legend", { class: "sr-only" }, t("Business hours and assignment")),
    checkField(t("Assign new conversations automatically"), autoAssign,
      t("Each new conversation goes to an available agent, in turn, skipping agents at their capacity (set on the Agents page).")),
    hoursGroup);
  const form = h("form", { class: "settings-form", novalidate: true }, fieldset, err,
    owner ? h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn btn-primary" }, t("Save availability")), ok) : null);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFormError(form, err);
    try {
      const res = await put("/api/settings", { autoAssign: autoAssign.checked, businessHours: readHours() });
      fill(res);
      flash(ok, t("Saved"));
    } catch (error) {
      showFormError(form, err, error, []);
      if (/businessHours\.timezone/.test(error.message || "")) {
        timezone.setAttribute("aria-invalid", "true");
        timezone.focus();
      }
    }
  });

  // The agent's own choice: minutes without input before the dashboard sets Away.
  const idle = h("input", { type: "number", name: "idleAwayMinutes", min: "0", max: "1440", step: "1", inputmode: "numeric", class: "input-short" });
  const idleErr = errorRegion();
  const idleOk = okRegion();
  const idleForm = h("form", { class: "settings-form", novalidate: true },
    field(t("Set me Away after this many idle minutes"), idle, t("No mouse or keyboard input in any dashboard tab for this long; 0 never. You are Online again as soon as you come back, unless you chose Away yourself.")),
    idleErr,
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn" }, t("Save idle time")), idleOk));
  idleForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFormError(idleForm, idleErr);
    const minutes = Number(idle.value);
    try {
      if (!Number.isInteger(minutes) || idle.value.trim() === "") throw new Error(t("idleAwayMinutes must be a whole number of minutes."));
      const res = await put("/auth/me/preferences", { idleAwayMinutes: minutes });
      idle.value = String(res.idleAwayMinutes);
      setIdleMinutes(res.idleAwayMinutes);
      flash(idleOk, t("Saved"));
    } catch (error) {
      showFormError(idleForm, idleErr, error, ["idleAwayMinutes"]);
    }
  });

  const openForm = holdUntilLoaded(form);
  const openIdle = holdUntilLoaded(idleForm);
  function fill(settings) {
    openForm();
    autoAssign.checked = Boolean(settings.autoAssign);
    setHours(settings.businessHours || null);
  }

  const el = section({ key: "availability", title: t("Availability"),
    description: t("The widget shows your team as online while an agent is signed in to the dashboard and set to Online, within business hours if you set them.") },
  readOnlyNote(), form, idleForm);

  async function load() {
    try {
      const [settings, prefs] = await Promise.all([get("/api/settings"), get("/auth/me/preferences")]);
      if (isDestroyed()) return;
      fill(settings);
      openIdle();
      idle.value = String(prefs.idleAwayMinutes ?? 10);
    } catch (error) {
      if (!isDestroyed()) toast(t("Could not load availability settings: {error}", { error: error.message }), "error");

    }
  }

  return { el, load };
}
