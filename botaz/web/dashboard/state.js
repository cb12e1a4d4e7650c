// Shared state of the signed-in dashboard: who I am, the team, canned responses, the socket.

import { get, setCsrf } from "./api.js";
import { Realtime } from "./realtime.js";
import { t } from "./i18n.js";


export const session = {
  agent: null,
  account: null,
  get me() { return this.agent; },
  get isOwner() { return this.agent?.role === "owner"; },
};

export const realtime = new Realtime();

export const agents = new Map(); // _id → Agent

export function applySession(data) {
  session.agent = data.agent;
  session.account = data.account;
  setCsrf(data.csrfToken);
  agents.set(data.agent._id, data.agent);
}

export async function loadSession() {
  applySession(await get("/auth/me"));
}

export async function loadAgents() {
  let cursor = null;
  const seen = new Set();
  do {
    const page = await get(`/api/agents?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    for (const a of page.items || []) {
      agents.set(a._id, a);
      seen.add(a._id);
    }
    cursor = page.next;
  } while (cursor);
  for (const id of [...agents.keys()]) if (!seen.has(id)) agents.delete(id);
  return agents;
}

/**
 * A message by an agent this page does not know yet (e.g. the bot agent that switching the bot
 * on just made): reload the team once, then tell the views ("agents.changed") to redraw names.
 */
const askedFor = new Set();
let teamReload = null;
export function ensureAgent(id) {
  if (!id || agents.has(id) || askedFor.has(id)) return;
  askedFor.add(id);
  if (teamReload) return;
  teamReload = loadAgents()
    .then(() => realtime.emit("agents.changed"))
    .catch(() => {})
    .finally(() => { teamReload = null; });
}

export function agentName(id) {
  if (!id) return t("Visitor");
  if (session.agent && id === session.agent._id) return session.agent.name;
  return agents.get(id)?.name || t("Agent");
}

let canned = null;
let cannedLoading = null;
export function cannedResponses(force = false) {
  if (canned && !force) return Promise.resolve(canned);
  if (!cannedLoading) {
    cannedLoading = get("/api/canned")
      .then((data) => { canned = data.items || []; return canned; })
      .catch(() => canned || [])
      .finally(() => { cannedLoading = null; });
  }
  return cannedLoading;
}

export function setCanned(items) {
  canned = items;
}

// Client-side navigation; app.js installs the real implementation.
export const nav = {
  go(path) { location.assign(path); },
  openVisitorId: null, // the conversation on screen, if any
};
