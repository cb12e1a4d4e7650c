// fetch() wrapper for the dashboard: session cookie, CSRF header on every state change,
// JSON in and out, and a trip to /login when the session is gone.

import { t } from "./i18n.js";

let csrfToken = null;

export function setCsrf(token) {
  csrfToken = token || null;
}

export class ApiError extends Error {
  constructor(message, status, response) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.response = response;
  }

  get retryAfter() {
    const value = this.response?.headers?.get("Retry-After");
    return value ? Number(value) || null : null;
  }
}

export function goToLogin() {
  const here = location.pathname + location.search;
  const next = here && here !== "/" ? `?next=${encodeURIComponent(here)}` : "";
  location.assign(`/login${next}`);
}

// In the agent's language (looked up when an error happens, after the catalogue has loaded).
export function fallbackMessage(status) {
  return {
    400: t("The request was not valid."),
    401: t("You must be logged in to do this."),
    403: t("You are not allowed to do this."),
    404: t("Not found."),
    413: t("That is too large."),
    429: t("Too many attempts. Please wait a moment."),
  }[status];
}

/**
 * api("POST", "/api/canned", {shortcut, text}) → parsed JSON (or null for 204).
 * options: {raw: Blob|File, type, headers, redirectOn401: true}
 */
// The server's clock minus this browser's, from the first response's Date header (±1 s).
let clockOffset = null;

/** Now on the server's clock, as well as this page knows it. */
export function serverNow() {
  return Date.now() + (clockOffset || 0);
}

export async function api(method, path, body, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  const init = { method, headers, credentials: "same-origin", cache: "no-store" };
  if (method !== "GET" && method !== "HEAD" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  if (options.raw !== undefined) {
    headers["Content-Type"] = options.type || "application/octet-stream";
    init.body = options.raw;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(t("Could not reach the server. Check your connection."), 0, null);
  }
  if (clockOffset === null) {
    const date = Date.parse(response.headers.get("date") || "");
    if (!Number.isNaN(date)) clockOffset = date - Date.now();
  }
  if (response.status === 401 && options.redirectOn401 !== false) {
    goToLogin();
    throw new ApiError(fallbackMessage(401), 401, response);
  }
  if (response.status === 204) return null;
  let data = null;
  const text = await response.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!response.ok) {
    const message = (data && typeof data.message === "string" && data.message)
      || fallbackMessage(response.status) || t("Request failed ({status}).", { status: response.status });

    throw new ApiError(message, response.status, response);
  }
  return data;
}

export const get = (path, options) => api("GET", path, undefined, options);
export const post = (path, body, options) => api("POST", path, body, options);
export const put = (path, body, options) => api("PUT", path, body, options);
export const del = (path, options) => api("DELETE", path, undefined, options);

/** "/api/conversations" + {status: "open", q: ""} → query string without empty values. */
export function withQuery(path, params) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== "") qs.set(k, v);
  }
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

export const enc = encodeURIComponent;
