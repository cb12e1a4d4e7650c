// Alerts for the agent: a "(N) botaz" title badge, a short chime made with WebAudio (no audio
// file to fetch), desktop notifications (Notification API) and Web Push (service worker /sw.js).
// Which conversations alert follows the agent's preferences (GET/PUT /auth/me/preferences):
// alertsFor "mine" | "unassigned" (mine and nobody's) | "all", plus alertSound, alertDesktop and
// alertPush. Nothing alerts for the conversation on screen while the tab has the focus.
// Browsers may refuse to play sound before the first user gesture; that is fine.

import { get, put, post, del, enc, serverNow } from "./api.js";
import { t } from "./i18n.js";

const BASE_TITLE = "botaz";
const SOUND_KEY = "botaz.sound"; // the sound choice until the preferences have loaded
const ALERTED_KEY = "botaz.alerted"; // ids alerted lately, so that two tabs alert once
const PUSH_KEY = "botaz.push"; // {id, endpoint} of this browser's subscription

export const DEFAULT_PREFS = { alertsFor: "unassigned", alertSound: true, alertDesktop: true, alertPush: true };

let count = 0;
let audio = null;
let prefs = { ...DEFAULT_PREFS, alertSound: soundFromStorage() };
const listeners = new Set();
const conversations = new Map(); // visitorId -> {assigneeId, label}
let ctx = null; // {realtime, nav, session}
// When alerts started, on the server's clock: what was written before is in the inbox already, so
// a socket that resumes from an older message than the inbox shows does not alert for it.
let alertsSince = null;
const CLOCK_SLACK_MS = 2000;

export function unreadBadge() {
  return count;
}

function render() {
  document.title = count > 0 ? `(${count}) ${BASE_TITLE}` : BASE_TITLE;
}

export function bump() {
  count += 1;
  render();
}

export function reset() {
  if (count === 0 && document.title === BASE_TITLE) return;
  count = 0;
  render();
}

// ---------------------------------------------------------------------------------------------
// Preferences

function soundFromStorage() {
  try { return localStorage.getItem(SOUND_KEY) !== "off"; } catch { return true; }
}

export function preferences() {
  return { ...prefs };
}

/** Called with the preferences whenever they change (the header's bell, the settings page). */
export function onPreferences(handler) {
  listeners.add(handler);
  return () => listeners.delete(handler);
}

function applyPrefs(next) {
  prefs = { ...prefs, ...next };
  try { localStorage.setItem(SOUND_KEY, prefs.alertSound ? "on" : "off"); } catch { /* private mode */ }
  for (const handler of listeners) handler(preferences());
}

export async function loadPreferences() {
  applyPrefs(await get("/auth/me/preferences"));
  return preferences();
}

export async function savePreferences(changes) {
  applyPrefs(changes); // at once, so the interface follows the click
  try {
    applyPrefs(await put("/auth/me/preferences", changes));
  } catch (err) {
    loadPreferences().catch(() => {});
    throw err;
  }
  return preferences();
}

export function soundEnabled() {
  return Boolean(prefs.alertSound);
}

export function setSoundEnabled(on) {
  return savePreferences({ alertSound: Boolean(on) });
}

// ---------------------------------------------------------------------------------------------
// Sound

function audioContext() {
  if (audio) return audio;
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return null;
  try { audio = new Ctx(); } catch { audio = null; }
  return audio;
}

// Create/resume the audio context on the first gesture so later chimes are allowed to play.
function unlock() {
  const ac = audioContext();
  if (ac && ac.state === "suspended") ac.resume().catch(() => {});
  window.removeEventListener("pointerdown", unlock);
  window.removeEventListener("keydown", unlock);
}
window.addEventListener("pointerdown", unlock);
window.addEventListener("keydown", unlock);

export function chime() {
  if (!soundEnabled()) return;
  try {
    const ac = audioContext();
    if (!ac) return;
    if (ac.state === "suspended") ac.resume().catch(() => {});
    const now = ac.currentTime;
    const gain = ac.createGain();
    gain.connect(ac.destination);
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.18, now + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.42);
    for (const [freq, start] of [[880, 0], [1318.5, 0.12]]) {
      const osc = ac.createOscillator();
      osc.type = "sine";
      osc.frequency.setValueAtTime(freq, now + start);
      osc.connect(gain);
      osc.start(now + start);
      osc.stop(now + start + 0.3);
    }
  } catch {
    /* autoplay policy or no audio device: ignore */
  }
}

// ---------------------------------------------------------------------------------------------
// Desktop notifications

export function notificationsSupported() {
  return "Notification" in window;
}

export function notificationPermission() {
  return notificationsSupported() ? Notification.permission : "unsupported";
}

export async function askPermission() {
  if (!notificationsSupported()) return "unsupported";
  if (Notification.permission !== "default") return Notification.permission;
  try { return await Notification.requestPermission(); } catch { return Notification.permission; }
}

function showNotification({ title, body, tag, url }) {
  if (!prefs.alertDesktop || notificationPermission() !== "granted") return;
  const options = { body, tag, renotify: true, icon: "/dashboard/assets/icon-192.png", data: { url } };
  try {
    const n = new Notification(title, options);
    n.onclick = () => {
      window.focus();
      if (url) ctx?.nav.go(url);
      n.close();
    };
  } catch {
    // Android's Chrome only shows notifications through the service worker.
    navigator.serviceWorker?.ready.then((reg) => reg.showNotification(title, options)).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// What alerts

function looking(visitorId) {
  return document.visibilityState === "visible" && document.hasFocus() && ctx?.nav.openVisitorId === visitorId;
}

function wants(assigneeId) {
  const me = ctx?.session.agent?._id;
  if (prefs.alertsFor === "all") return true;
  if (prefs.alertsFor === "unassigned") return !assigneeId || assigneeId === me;
  return assigneeId === me;
}

function label(visitor) {
  return (visitor?.name || visitor?.email || t("A visitor")).trim() || t("A visitor");
}

function remember(conv) {
  if (!conv?.visitor?._id) return;
  conversations.set(conv.visitor._id, { assigneeId: conv.assigneeId || null, label: label(conv.visitor) });
}

async function conversation(visitorId) {
  if (!conversations.has(visitorId)) {
    try { remember(await get(`/api/conversations/${enc(visitorId)}`)); } catch { /* alert anyway */ }
  }
  return conversations.get(visitorId) || { assigneeId: null, label: "A visitor" };
}

/** True the first time any tab of this browser asks about `id`: two open tabs alert once. */
function firstToAlert(id) {
  try {
    const seen = JSON.parse(localStorage.getItem(ALERTED_KEY) || "[]");
    if (seen.includes(id)) return false;
    localStorage.setItem(ALERTED_KEY, JSON.stringify([...seen.slice(-49), id]));
  } catch { /* private mode: each tab alerts */ }
  return true;
}

function snippet(text) {
  const flat = String(text || "").split(/\s+/).filter(Boolean).join(" ");
  return flat.length <= 180 ? flat : `${flat.slice(0, 179).trimEnd()}…`;
}

function fire(id, notification) {
  bump();
  if (!firstToAlert(id)) return;
  chime();
  showNotification(notification);
}

async function onMessage(m) {
  if (!m || m.userId !== null || looking(m.visitorId)) return;
  const sent = Date.parse(m.sentAt || "");
  if (alertsSince !== null && sent < alertsSince - CLOCK_SLACK_MS) return;
  const conv = await conversation(m.visitorId);
  if (!wants(conv.assigneeId) || looking(m.visitorId)) return;
  const body = snippet(m.text) || (m.attachment ? t("Sent a file: {name}", { name: m.attachment.name || t("attachment") }) : t("New message"));
  fire(m._id, { title: conv.label, body, tag: `botaz-${m.visitorId}`, url: `/chat/${m.visitorId}` });
}

async function onAssigned(a) {
  const me = ctx?.session.agent?._id;
  const known = conversations.get(a?.visitorId);
  if (known) known.assigneeId = a.agentId;
  if (!a || a.agentId !== me || a.byAgentId === me || looking(a.visitorId)) return;
  const conv = await conversation(a.visitorId);
  const by = a.byAgentId ? ctx.agentName(a.byAgentId) : null;
  fire(`assigned-${a.visitorId}-${Math.floor(Date.now() / 10000)}`, {
    title: t("Conversation assigned to you"),
    body: by ? t("{agent} assigned {visitor} to you.", { agent: by, visitor: conv.label }) : t("{visitor} was assigned to you.", { visitor: conv.label }),
    tag: `botaz-${a.visitorId}`, url: `/chat/${a.visitorId}`,
  });
}

/** Starts alerting: call once the session is known and the socket is starting. */
export function startAlerts({ realtime, nav, session, agentName }) {
  ctx = { realtime, nav, session, agentName };
  alertsSince = serverNow();
  realtime.on("message.created", (m) => { onMessage(m).catch(() => {}); });
  realtime.on("conversation.updated", remember);
  realtime.on("conversation.assigned", (a) => { onAssigned(a).catch(() => {}); });
  realtime.on("visitor.updated", (v) => {
    const known = v && conversations.get(v._id);
    if (known) known.label = label(v);
  });
  loadPreferences().catch(() => {});
  startServiceWorker(nav);
}

// ---------------------------------------------------------------------------------------------
// Service worker and Web Push

let registration = null;

export function pushSupported() {
  return "serviceWorker" in navigator && "PushManager" in window && window.isSecureContext;
}

function startServiceWorker(nav) {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  // A click on a push notification routes an open dashboard (see sw.js).
  navigator.serviceWorker.addEventListener("message", (e) => {
    if (e.data?.type === "botaz.open" && typeof e.data.url === "string" && e.data.url.startsWith("/")) nav.go(e.data.url);
  });
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).then((reg) => {
    registration = reg;
    return syncPush();
  }).catch(() => {});
}

async function workerRegistration() {
  if (registration) return registration;
  if (!pushSupported()) return null;
  registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  return registration;
}

function base64UrlToBytes(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function rememberDevice(saved) {
  try { localStorage.setItem(PUSH_KEY, JSON.stringify({ id: saved._id, endpoint: saved.endpoint })); } catch { /* */ }
}

function rememberedDevice() {
  try { return JSON.parse(localStorage.getItem(PUSH_KEY) || "null"); } catch { return null; }
}

/** Whether this browser is subscribed to this agent's pushes (and the server knows it). */
export async function pushState() {
  if (!pushSupported()) return "unsupported";
  const reg = await workerRegistration();
  const sub = await reg?.pushManager.getSubscription();
  if (!sub) return "off";
  const { items } = await get("/api/push/subscriptions");
  return items.some((i) => i.endpoint === sub.endpoint) ? "on" : "off";
}

/** Subscribes this browser (asks for permission if needed) and tells botaz. */
export async function subscribePush() {
  if (!pushSupported()) throw new Error(t("This browser cannot receive push notifications."));
  const permission = await askPermission();
  if (permission !== "granted") throw new Error(t("Notifications are blocked for this site in the browser's settings."));

  const reg = await workerRegistration();
  const { publicKey } = await get("/api/push/key");
  let sub = await reg.pushManager.getSubscription();
  if (sub) {
    // A subscription made with another key (a restored database, say) cannot be used.
    const key = sub.options?.applicationServerKey;
    const same = key && btoa(String.fromCharCode(...new Uint8Array(key))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "") === publicKey;
    if (!same) { await sub.unsubscribe(); sub = null; }
  }
  if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlToBytes(publicKey) });
  rememberDevice(await post("/api/push/subscriptions", sub.toJSON()));
}

/** Removes this browser's subscription, on botaz and in the browser. */
export async function unsubscribePush() {
  const reg = await workerRegistration();
  const sub = await reg?.pushManager.getSubscription();
  const endpoint = sub?.endpoint || rememberedDevice()?.endpoint;
  if (endpoint) {
    const { items } = await get("/api/push/subscriptions");
    for (const item of items.filter((i) => i.endpoint === endpoint)) await del(`/api/push/subscriptions/${enc(item._id)}`);
  }
  try { localStorage.removeItem(PUSH_KEY); } catch { /* */ }
  if (sub) await sub.unsubscribe();
}

export async function sendTestPush() {
  return post("/api/push/test");
}

/** Keeps botaz's copy of this browser's subscription current (browsers renew them). */
async function syncPush() {
  if (!pushSupported() || notificationPermission() !== "granted" || !rememberedDevice()) return;
  const sub = await registration.pushManager.getSubscription();
  if (sub) rememberDevice(await post("/api/push/subscriptions", sub.toJSON()));
}

/** Signing out: this browser must not go on receiving this agent's alerts. */
export async function beforeLogout() {
  if (!rememberedDevice()) return;
  await unsubscribePush();
}

render();
