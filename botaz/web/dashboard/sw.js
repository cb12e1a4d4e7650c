// botaz's service worker, served at /sw.js so that its scope is the whole dashboard. It shows
// Web Push alerts (sent while no dashboard of the agent is open) and, on a click, focuses an open
// dashboard on that conversation or opens one. It caches nothing: live chat needs the network.

self.addEventListener("install", () => { self.skipWaiting(); });
self.addEventListener("activate", (event) => { event.waitUntil(self.clients.claim()); });

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch { data = { body: event.data ? event.data.text() : "" }; }
  const title = data.title || "botaz";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    tag: data.tag || "botaz",
    renotify: Boolean(data.tag),
    icon: "/dashboard/assets/icon-192.png",
    badge: "/dashboard/assets/icon-192.png",
    data: { url: data.url || "/" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url || "/", self.location.origin);
  if (url.origin !== self.location.origin) return;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const dashboard = windows.find((c) => new URL(c.url).origin === url.origin && !new URL(c.url).pathname.startsWith("/login"));
    if (dashboard) {
      // The page routes itself (history.pushState), keeping its socket and state.
      dashboard.postMessage({ type: "botaz.open", url: url.pathname + url.search });
      try { await dashboard.focus(); } catch { /* not allowed: the message still routes it */ }
      return;
    }
    await self.clients.openWindow(url.href);
  })());
});
