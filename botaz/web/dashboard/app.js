// The dashboard shell: signs the agent in from the session cookie, draws the header and routes
// /, /chat/:visitorId, /visitors, /agents and /settings (with #section anchors, e.g. /settings#audit for the
// audit log) on the client with history.pushState. Each page's module is imported when its route is
// first shown (the server preloads the current route's: botaz/api/dashboard.py), so / loads no
// settings, reports or articles code.

import { post } from "./api.js";
import { h, clear, avatar, toast, icon } from "./dom.js";
import * as notify from "./notify.js";
import { session, realtime, loadSession, loadAgents, nav, agentName } from "./state.js";
import { availabilitySwitch, startAvailability } from "./availability.js";

// view -> () => Promise<mount(container, route)>
const PAGES = {
  inbox: () => import("./inbox.js").then((m) => m.mountInbox),
  agents: () => import("./agents.js").then((m) => m.mountAgents),
  visitors: () => import("./visitors.js").then((m) => m.mountVisitors),
  settings: () => import("./settings.js").then((m) => m.mountSettings),
  reports: () => import("./reports.js").then((m) => m.mountReports),
  articles: () => import("./articles.js").then((m) => m.mountArticles),
};

const main = document.getElementById("main");
const topbar = document.getElementById("topbar");

const NAV_ITEMS = [
  // On phones the shorter names fit the header (.nav-long and .nav-short in dashboard.css).
  { href: "/", label: [h("span", { class: "nav-long" }, "Conversations"), h("span", { class: "nav-short" }, "Chats")], match: (p) => p === "/" || p.startsWith("/chat/") },
  { href: "/visitors", label: ["Visitors", h("span", { class: "nav-extra" }, " now")], match: (p) => p === "/visitors" },
  { href: "/agents", label: "Agents", match: (p) => p === "/agents" },
  { href: "/reports", label: "Reports", cls: "nav-reports", match: (p) => p === "/reports" },
  { href: "/articles", label: "Articles", cls: "nav-articles", match: (p) => p === "/articles" },
  { href: "/settings", label: "Settings", match: (p, hash) => p === "/settings" && hash !== "#audit" },
  { href: "/settings#audit", label: "Audit log", owner: true, cls: "nav-audit",
    match: (p, hash) => p === "/settings" && hash === "#audit" },
];

function parseRoute(pathname) {
  if (pathname === "/" || pathname === "") return { view: "inbox", visitorId: null };
  const chat = pathname.match(/^\/chat\/([^/]+)\/?$/);
  if (chat) return { view: "inbox", visitorId: decodeURIComponent(chat[1]) };
  if (/^\/agents\/?$/.test(pathname)) return { view: "agents" };
  if (/^\/visitors\/?$/.test(pathname)) return { view: "visitors" };
  if (/^\/settings\/?$/.test(pathname)) return { view: "settings" };
  if (/^\/reports\/?$/.test(pathname)) return { view: "reports" };
  if (/^\/articles\/?$/.test(pathname)) return { view: "articles" };
  return { view: "notfound" };
}

let current = null; // {view, instance}
let rendering = 0; // bumped on every render: a page module arriving late for an old route is dropped

function render() {
  const route = parseRoute(location.pathname);
  nav.openVisitorId = route.view === "inbox" ? route.visitorId : null;
  document.body.dataset.view = route.view;
  document.body.dataset.chat = route.visitorId ? "open" : "none";
  updateNav();
  if (nav.openVisitorId && !document.hidden) notify.reset();

  const seq = ++rendering;
  if (current && current.view === route.view && current.instance.update) {
    current.instance.update(route);
    return;
  }
  const load = PAGES[route.view];
  if (!load) {
    mountPage(route, mountNotFound);
    return;
  }
  load().then((mount) => {
    if (seq === rendering) mountPage(route, mount);
  }, (err) => {
    if (seq === rendering) mountPage(route, (container) => mountLoadError(container, err));
  });
}

function mountPage(route, mount) {
  if (current) current.instance.destroy?.();
  clear(main);
  current = { view: route.view, instance: mount(main, route) };
}

function mountLoadError(container, err) {
  container.append(h("section", { class: "page narrow-page empty-page" },
    h("h1", null, "Cannot load this page"), h("p", null, err.message),
    h("button", { type: "button", class: "btn btn-primary", onClick: () => location.reload() }, "Try again")));
  return { destroy() {} };
}

function mountNotFound(container) {
  container.append(h("section", { class: "page narrow-page empty-page" },
    h("h1", null, "Page not found"),
    h("p", null, "There is nothing at this address. ", h("a", { href: "/" }, "Back to conversations"), ".")));
  return { destroy() {} };
}

nav.go = (path, { replace = false } = {}) => {
  if (path === location.pathname + location.search + location.hash) {
    if (location.hash) render(); // the same anchor again: scroll back to it
    return;
  }
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  render();
  // Pages focus their own target for #anchors.
  if (!path.startsWith("/chat/") && !path.includes("#")) main.focus({ preventScroll: true });
};

window.addEventListener("popstate", render);

// Same-origin links to app routes stay in the page.
document.addEventListener("click", (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest("a[href]");
  if (!a || a.target || a.hasAttribute("download")) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin) return;
  if (parseRoute(url.pathname).view === "notfound") return;
  e.preventDefault();
  nav.go(url.pathname + url.search + url.hash);
});

// ---------------------------------------------------------------------------------------------
// Header

const navLinks = [];
let connStatus;

function updateNav() {
  for (const { a, item } of navLinks) {
    if (item.match(location.pathname, location.hash)) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

function renderHeader() {
  const me = session.agent;
  const list = h("ul", { class: "nav-list" });
  for (const item of NAV_ITEMS) {
    if (item.owner && !session.isOwner) continue;
    const a = h("a", { href: item.href, class: `nav-link ${item.cls || ""}`.trim() }, item.label);
    navLinks.push({ a, item });
    list.append(h("li", null, a));
  }
  connStatus = h("span", { class: "conn", role: "status", "aria-live": "polite" });
  const sound = h("button", {
    type: "button", class: "btn btn-icon btn-ghost sound-toggle", "aria-pressed": String(notify.soundEnabled()),
    "aria-label": "Notification sound", title: "Notification sound",
  }, icon("bell"));
  sound.addEventListener("click", () => {
    const on = sound.getAttribute("aria-pressed") !== "true";
    notify.setSoundEnabled(on).catch((err) => toast(`Could not save: ${err.message}`, "error"));
    if (on) notify.chime();
  });
  notify.onPreferences((p) => sound.setAttribute("aria-pressed", String(Boolean(p.alertSound))));
  const logout = h("button", { type: "button", class: "btn btn-ghost btn-small" }, "Log out");
  logout.addEventListener("click", async () => {
    logout.disabled = true;
    realtime.stop();
    // Sign out on the server, but never leave the agent stuck on a slow answer.
    const timeout = new Promise((resolve) => { setTimeout(resolve, 4000); });
    const signOut = notify.beforeLogout().catch(() => {})
      .then(() => post("/auth/logout", undefined, { redirectOn401: false })).catch(() => {});
    await Promise.race([signOut, timeout]);
    location.assign("/login");
  });
  clear(topbar).append(
    h("a", { class: "brand", href: "/", "aria-label": "botaz home" },
      h("span", { class: "brand-mark", "aria-hidden": "true" }), "botaz"),
    h("nav", { class: "main-nav", "aria-label": "Main" }, list),
    h("div", { class: "topbar-right" },
      connStatus,
      availabilitySwitch(),
      sound,
      h("div", { class: "whoami" },
        avatar(me._id, me.name, true, "sm"),
        h("span", { class: "whoami-text" },
          h("span", { class: "whoami-name" }, me.name),
          h("span", { class: "whoami-role" }, me.role === "owner" ? "Owner" : "Agent"))),
      logout));
  updateNav();
  showConn(realtime.state);
}

function showConn(state) {
  if (!connStatus) return;
  connStatus.dataset.state = state;
  connStatus.textContent = state === "open" ? "Live" : state === "connecting" ? "Connecting…" : "Reconnecting…";
}

// ---------------------------------------------------------------------------------------------
// Notifications (notify.js): a visitor wrote, and the agent is not looking at that conversation.

realtime.on("status", showConn);
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && nav.openVisitorId) notify.reset();
});

// ---------------------------------------------------------------------------------------------

async function boot() {
  try {
    await loadSession();
  } catch (err) {
    if (err.status !== 401) {
      clear(main).append(h("section", { class: "page narrow-page empty-page" },
        h("h1", null, "Cannot load botaz"), h("p", null, err.message),
        h("button", { type: "button", class: "btn btn-primary", onClick: () => location.reload() }, "Try again")));
    }
    return;
  }
  try {
    await loadAgents();
  } catch (err) {
    toast(`Could not load the team: ${err.message}`, "error");
  }
  renderHeader();
  notify.startAlerts({ realtime, nav, session, agentName });
  startAvailability();
  realtime.start();
  render();
}

boot();
