// Settings → My notifications (/settings#notifications): the signed-in agent's own alerts, saved
// as soon as they change (PUT /auth/me/preferences): which conversations alert, sound, desktop
// notifications while the dashboard is open, and Web Push to this browser while it is closed.

import { h, nextId, toast } from "./dom.js";
import { section, checkField, switchInput, errorRegion, okRegion, flash } from "./forms.js";
import * as notify from "./notify.js";
import { t } from "./i18n.js";

const SCOPES = () => [
  ["mine", t("Conversations assigned to me")],
  ["unassigned", t("Mine and unassigned conversations")],
  ["all", t("All conversations")],
];

export function createNotificationsSection({ isDestroyed }) {
  const err = errorRegion();
  const ok = okRegion();

  // ----- which conversations
  const scopeName = nextId("scope");
  const scopeInputs = {};
  const scopeGroup = h("fieldset", { class: "checks" },
    h("legend", null, t("Alert me about visitor messages in")),
    ...SCOPES().map(([value, label]) => {
      const input = h("input", { type: "radio", name: scopeName, value, id: nextId("sc") });
      scopeInputs[value] = input;
      return h("div", { class: "check" }, input, h("label", { for: input.id }, label));
    }),
    h("p", { class: "hint" }, t("A conversation someone assigns to you always alerts you.")));

  // ----- how
  const sound = switchInput({ name: "alertSound" });
  const desktop = switchInput({ name: "alertDesktop" });
  const pushPref = switchInput({ name: "alertPush" });
  const permissionNote = h("p", { class: "hint", role: "status" });
  const allow = h("button", { type: "button", class: "btn btn-small", hidden: true }, t("Allow notifications in this browser"));

  // ----- this browser's push subscription
  const deviceNote = h("p", { class: "hint", role: "status" });
  const deviceOn = h("button", { type: "button", class: "btn btn-small", hidden: true }, t("Send them to this browser"));
  const deviceOff = h("button", { type: "button", class: "btn btn-small btn-ghost", hidden: true }, t("Stop on this browser"));
  const testBtn = h("button", { type: "button", class: "btn btn-small btn-ghost", hidden: true }, t("Send a test notification"));

  const el = section({ key: "notifications", title: t("My notifications"),
    description: t("How botaz alerts you when a visitor writes. These choices are yours alone.") },
  scopeGroup,
  checkField(t("Sound"), sound, t("A short chime in an open dashboard.")),
  checkField(t("Desktop notifications"), desktop, t("While a dashboard tab is open, even in the background.")),
  h("div", { class: "field" }, permissionNote, h("div", null, allow)),
  checkField(t("Push notifications when the dashboard is closed"), pushPref,
    t("Web Push to the browsers you turn it on for, while no dashboard of yours is open.")),

  h("div", { class: "field" }, deviceNote, h("div", { class: "form-actions" }, deviceOn, deviceOff, testBtn)),
  err, h("div", null, ok));

  function fill(p) {
    for (const [value, input] of Object.entries(scopeInputs)) input.checked = p.alertsFor === value;
    sound.checked = Boolean(p.alertSound);
    desktop.checked = Boolean(p.alertDesktop);
    pushPref.checked = Boolean(p.alertPush);
  }

  function showPermission() {
    const state = notify.notificationPermission();
    allow.hidden = state !== "default";
    permissionNote.textContent = {
      granted: t("This browser shows botaz's notifications."),
      denied: t("Notifications are blocked for this site: allow them in the browser's site settings."),
      default: t("This browser has not been allowed to show notifications yet."),
      unsupported: t("This browser cannot show notifications."),
    }[state];
  }

  async function showDevice() {
    let state;
    try { state = await notify.pushState(); } catch { state = "unknown"; }
    if (isDestroyed()) return;
    deviceOn.hidden = state !== "off";
    deviceOff.hidden = state !== "on";
    testBtn.hidden = state !== "on";
    deviceNote.textContent = {
      on: t("This browser receives push notifications."),
      off: t("This browser does not receive push notifications."),
      unsupported: window.isSecureContext
        ? t("This browser cannot receive push notifications.")
        : t("Push notifications need the dashboard on https:// (or localhost)."),
      unknown: t("Could not check this browser's push subscription."),
    }[state];
  }

  async function save(changes) {
    err.hidden = true;
    try {
      await notify.savePreferences(changes);
      flash(ok, t("Saved"));
    } catch (e) {
      err.textContent = t("Could not save: {error}", { error: e.message });
      err.hidden = false;
    }
  }

  for (const input of Object.values(scopeInputs)) {
    input.addEventListener("change", () => { if (input.checked) save({ alertsFor: input.value }); });
  }
  sound.addEventListener("change", () => {
    save({ alertSound: sound.checked });
    if (sound.checked) notify.chime();
  });
  desktop.addEventListener("change", async () => {
    if (desktop.checked) {
      await notify.askPermission();
      showPermission();
    }
    save({ alertDesktop: desktop.checked });
  });
  pushPref.addEventListener("change", () => save({ alertPush: pushPref.checked }));
  allow.addEventListener("click", async () => {
    await notify.askPermission();
    showPermission();
  });
  deviceOn.addEventListener("click", async () => {
    deviceOn.disabled = true;
    try {
      await notify.subscribePush();
      if (!pushPref.checked) await save({ alertPush: true });
      toast(t("This browser will receive push notifications."));
    } catch (e) {
      toast(t("Could not turn on push notifications: {error}", { error: e.message }), "error");
    } finally {
      deviceOn.disabled = false;
      showPermission();
      showDevice();
    }
  });
  deviceOff.addEventListener("click", async () => {
    deviceOff.disabled = true;
    try {
      await notify.unsubscribePush();
    } catch (e) {
      toast(t("Could not turn off push notifications: {error}", { error: e.message }), "error");
    } finally {
      deviceOff.disabled = false;
      showDevice();
    }
  });
  testBtn.addEventListener("click", async () => {
    try {
      const { queued } = await notify.sendTestPush();
      toast(queued ? t("Test notification sent.") : t("No browser of yours is subscribed."));
    } catch (e) {
      toast(t("Could not send: {error}", { error: e.message }), "error");
    }
  });

  const off = notify.onPreferences((p) => { if (!isDestroyed()) fill(p); });
  fill(notify.preferences());

  return {
    el,
    load() {
      showPermission();
      showDevice();
      notify.loadPreferences().catch((e) => {
        if (!isDestroyed()) toast(t("Could not load your notification settings: {error}", { error: e.message }), "error");

      });
    },
    destroy() { off(); },
  };
}
