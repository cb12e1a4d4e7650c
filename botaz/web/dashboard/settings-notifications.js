// Settings → My notifications (/settings#notifications): the signed-in agent's own alerts, saved
// as soon as they change (PUT /auth/me/preferences): which conversations alert, sound, desktop
// notifications while the dashboard is open, and Web Push to this browser while it is closed.

import { h, nextId, toast } from "./dom.js";
import { section, checkField, switchInput, errorRegion, okRegion, flash } from "./forms.js";
import * as notify from "./notify.js";

const SCOPES = [
  ["mine", "Conversations assigned to me"],
  ["unassigned", "Mine and unassigned conversations"],
  ["all", "All conversations"],
];

export function createNotificationsSection({ isDestroyed }) {
  const err = errorRegion();
  const ok = okRegion();

  // ----- which conversations
  const scopeName = nextId("scope");
  const scopeInputs = {};
  const scopeGroup = h("fieldset", { class: "checks" },
    h("legend", null, "Alert me about visitor messages in"),
    ...SCOPES.map(([value, label]) => {
      const input = h("input", { type: "radio", name: scopeName, value, id: nextId("sc") });
      scopeInputs[value] = input;
      return h("div", { class: "check" }, input, h("label", { for: input.id }, label));
    }),
    h("p", { class: "hint" }, "A conversation someone assigns to you always alerts you."));

  // ----- how
  const sound = switchInput({ name: "alertSound" });
  const desktop = switchInput({ name: "alertDesktop" });
  const pushPref = switchInput({ name: "alertPush" });
  const permissionNote = h("p", { class: "hint", role: "status" });
  const allow = h("button", { type: "button", class: "btn btn-small", hidden: true }, "Allow notifications in this browser");

  // ----- this browser's push subscription
  const deviceNote = h("p", { class: "hint", role: "status" });
  const deviceOn = h("button", { type: "button", class: "btn btn-small", hidden: true }, "Send them to this browser");
  const deviceOff = h("button", { type: "button", class: "btn btn-small btn-ghost", hidden: true }, "Stop on this browser");
  const testBtn = h("button", { type: "button", class: "btn btn-small btn-ghost", hidden: true }, "Send a test notification");

  const el = section({ key: "notifications", title: "My notifications",
    description: "How botaz alerts you when a visitor writes. These choices are yours alone." },
  scopeGroup,
  checkField("Sound", sound, "A short chime in an open dashboard."),
  checkField("Desktop notifications", desktop, "While a dashboard tab is open, even in the background."),
  h("div", { class: "field" }, permissionNote, h("div", null, allow)),
  checkField("Push notifications when the dashboard is closed", pushPref,
    "Web Push to the browsers you turn it on for, while no dashboard of yours is open."),
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
      granted: "This browser shows botaz's notifications.",
      denied: "Notifications are blocked for this site: allow them in the browser's site settings.",
      default: "This browser has not been allowed to show notifications yet.",
      unsupported: "This browser cannot show notifications.",
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
      on: "This browser receives push notifications.",
      off: "This browser does not receive push notifications.",
      unsupported: window.isSecureContext
        ? "This browser cannot receive push notifications."
        : "Push notifications need the dashboard on https:// (or localhost).",
      unknown: "Could not check this browser's push subscription.",
    }[state];
  }

  async function save(changes) {
    err.hidden = true;
    try {
      await notify.savePreferences(changes);
      flash(ok, "Saved");
    } catch (e) {
      err.textContent = `Could not save: ${e.message}`;
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
      toast("This browser will receive push notifications.");
    } catch (e) {
      toast(`Could not turn on push notifications: ${e.message}`, "error");
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
      toast(`Could not turn off push notifications: ${e.message}`, "error");
    } finally {
      deviceOff.disabled = false;
      showDevice();
    }
  });
  testBtn.addEventListener("click", async () => {
    try {
      const { queued } = await notify.sendTestPush();
      toast(queued ? "Test notification sent." : "No browser of yours is subscribed.");
    } catch (e) {
      toast(`Could not send: ${e.message}`, "error");
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
        if (!isDestroyed()) toast(`Could not load your notification settings: ${e.message}`, "error");
      });
    },
    destroy() { off(); },
  };
}
