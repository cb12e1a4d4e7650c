// The agent's Online/Away switch in the header, and the idle timer behind automatic Away.
//
// Online/Away is stored on the server (PUT /auth/me/availability). The idle timer counts input
// in every tab of this dashboard (the newest input time is shared through localStorage), and
// after the agent's idleAwayMinutes without any it sets Away with `auto: true`; the next input
// sets Online again with `auto: true`, which the server ignores if the agent chose Away by hand.
// Other dashboards hear `agent.availability` and update the team's dots.

import { get, put } from "./api.js";
import { h, toast } from "./dom.js";
import { session, agents, realtime } from "./state.js";
import { t } from "./i18n.js";

const LAST_INPUT_KEY = "botaz:last-input";
const CHECK_MS = 15000;
const WRITE_EVERY_MS = 5000;

let state = { status: "online", auto: false, available: true };
let idleMinutes = 10;
let lastInput = Date.now();
let lastWritten = 0;
let button = null;
let sending = null;

function newestInput() {
  const shared = Number(localStorage.getItem(LAST_INPUT_KEY) || 0);
  return Math.max(lastInput, Number.isFinite(shared) ? shared : 0);
}

function render() {
  if (!button) return;
  const online = state.status === "online";
  button.setAttribute("aria-checked", String(online));
  button.dataset.status = online ? "online" : "away";
  button.querySelector(".avail-text").textContent = online ? t("Online") : t("Away");
  button.title = online
    ? t("Online: new conversations can reach you. Click to go Away.")
    : state.auto ? t("Away (idle). Any input brings you back.") : t("Away. Click to go Online.");
}

function apply(next) {
  state = { ...state, ...next };
  render();
  const me = session.agent && agents.get(session.agent._id);
  if (me) me.availability = state.available ? "online" : "away";
}

async function send(status, auto) {
  if (sending) await sending.catch(() => {});
  sending = put("/auth/me/availability", { status, auto });
  try {
    apply(await sending);
  } finally {
    sending = null;
  }
}

function onInput() {
  const now = Date.now();
  lastInput = now;
  if (now - lastWritten > WRITE_EVERY_MS) {
    lastWritten = now;
    try { localStorage.setItem(LAST_INPUT_KEY, String(now)); } catch { /* private mode */ }
  }
  if (state.status === "away" && state.auto) send("online", true).catch(() => {});
}

function checkIdle() {
  if (!idleMinutes || state.status !== "online") return;
  if (Date.now() - newestInput() >= idleMinutes * 60000) send("away", true).catch(() => {});
}

export function setIdleMinutes(minutes) {
  idleMinutes = Number(minutes) || 0;
}

/** The header's switch: role=switch named "Availability", checked while Online. */
export function availabilitySwitch() {
  button = h("button", {
    type: "button", role: "switch", class: "avail-switch", "aria-label": t("Availability"),
    "aria-checked": "true",
  }, h("span", { class: "avail-dot", "aria-hidden": "true" }), h("span", { class: "avail-text" }, t("Online")));
  button.addEventListener("click", async () => {
    const next = state.status === "online" ? "away" : "online";
    button.disabled = true;
    try {
      await send(next, false);
      toast(next === "online" ? t("You are Online.") : t("You are Away: new conversations are not assigned to you."));
    } catch (err) {
      toast(t("Could not change your availability: {error}", { error: err.message }), "error");

    } finally {
      button.disabled = false;
      button.focus();
    }
  });
  render();
  return button;
}

export function startAvailability() {
  get("/auth/me/availability").then(apply).catch(() => {});
  get("/auth/me/preferences").then((p) => setIdleMinutes(p.idleAwayMinutes ?? 10)).catch(() => {});
  for (const type of ["pointerdown", "keydown", "wheel", "touchstart", "mousemove"]) {
    window.addEventListener(type, onInput, { passive: true, capture: true });
  }
  setInterval(checkIdle, CHECK_MS);
  realtime.on("agent.availability", (data) => {
    if (!data || !data.agentId) return;
    if (session.agent && data.agentId === session.agent._id) {
      apply({ status: data.status, auto: data.auto, available: data.available });
    } else {
      const a = agents.get(data.agentId);
      if (a) a.availability = data.available ? "online" : "away";
    }
    realtime.emit("agents.changed");
  });
}
