// Small DOM helpers. Data is only ever put into the page as text (textContent / attributes),
// never parsed as HTML: visitor names, messages and notes may be hostile.

import { t, intlLocale } from "./i18n.js";

const BLOCKED_PROPS = new Set(["innerHTML", "outerHTML", "srcdoc"]);

/** h("button", {class: "x", onClick: fn, "aria-label": "Send"}, "text", child, [more]) */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (BLOCKED_PROPS.has(key)) throw new Error(`h(): ${key} is not allowed`);
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = String(value);
      else if (key === "dataset") Object.assign(el.dataset, value);
      else if (key.startsWith("on") && typeof value === "function") {
        el.addEventListener(key.slice(2).toLowerCase(), value);
      } else if (key === "value" || key === "checked" || key === "selected" || key === "disabled"
                 || key === "hidden" || key === "required" || key === "readOnly"
                 || key === "multiple") {
        el[key] = value;
      } else {
        el.setAttribute(key, value === true ? "" : String(value));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

let uid = 0;
export function nextId(prefix = "bz") {
  uid += 1;
  return `${prefix}-${uid}`;
}

// ---------------------------------------------------------------------------------------------
// Time, in the agent's local time zone.

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth()
    && a.getDate() === b.getDate();
}

export function clock(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleTimeString(intlLocale(), { hour: "2-digit", minute: "2-digit" });
}

export function fullDate(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(intlLocale(), {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
  });
}

/** Short label for lists: time today, "Yesterday", weekday this week, else a date. */
export function shortWhen(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const now = new Date();
  if (sameDay(d, now)) return clock(iso);
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (sameDay(d, yesterday)) return t("Yesterday");
  if (now - d < 6 * 86400000) return d.toLocaleDateString(intlLocale(), { weekday: "short" });
  if (d.getFullYear() === now.getFullYear()) {
    return d.toLocaleDateString(intlLocale(), { month: "short", day: "numeric" });
  }
  return d.toLocaleDateString(intlLocale(), { year: "numeric", month: "short", day: "numeric" });
}

export function dayLabel(iso) {
  const d = new Date(iso);
  const now = new Date();
  if (sameDay(d, now)) return t("Today");
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (sameDay(d, yesterday)) return t("Yesterday");
  return d.toLocaleDateString(intlLocale(), { weekday: "long", year: "numeric", month: "long", day: "numeric" });
}

export function dayKey(iso) {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** <time> element with the full local date as tooltip. */
export function timeEl(iso, text, cls = "time") {
  if (!iso) return null;
  return h("time", { class: cls, datetime: iso, title: fullDate(iso) }, text ?? clock(iso));
}

export function relativeAgo(iso) {
  if (!iso) return t("never");
  const seconds = Math.round((Date.now() - new Date(iso)) / 1000);
  if (seconds < 45) return t("just now");
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return t("{n} min ago", { n: minutes });
  const hours = Math.round(minutes / 60);
  if (hours < 24) return t("{n} h ago", { n: hours });
  return fullDate(iso);
}

// ---------------------------------------------------------------------------------------------
// People

export function visitorName(visitor) {
  if (!visitor) return t("Visitor");
  if (visitor.name && String(visitor.name).trim()) return String(visitor.name);
  if (visitor.email) return String(visitor.email);
  return t("Visitor {code}", { code: String(visitor._id || "").slice(-5).toUpperCase() });
}

export function initials(name) {
  const parts = String(name || "?").trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? parts[0][0] + parts[parts.length - 1][0] : (parts[0] || "?").slice(0, 2);
  return letters.toUpperCase();
}

const AVATAR_HUES = [210, 260, 330, 20, 150, 190, 45, 290, 0, 120];
export function hueFor(id) {
  let n = 0;
  for (const ch of String(id || "")) n = (n * 31 + ch.charCodeAt(0)) >>> 0;
  return AVATAR_HUES[n % AVATAR_HUES.length];
}

/** Round avatar with initials and, when online is a boolean, a presence dot. */
export function avatar(id, name, online, size = "md") {
  const el = h("span", { class: `avatar avatar-${size} hue-${hueFor(id)}`, "aria-hidden": "true" },
    initials(name));
  if (typeof online === "boolean") {
    el.append(h("span", { class: `dot ${online ? "dot-on" : "dot-off"}` }));
  }
  return el;
}

export function presenceDot(online, label = true) {
  return h("span", {
    class: `dot inline ${online ? "dot-on" : "dot-off"}`,
    role: label ? "img" : null,
    "aria-label": label ? (online ? t("Online") : t("Offline")) : null,
    title: online ? t("Online") : t("Offline"),
  });
}

/** A rough "Chrome 120 on Linux" from a user agent string. */
export function describeUserAgent(ua) {
  if (!ua) return t("Unknown browser");
  const s = String(ua);
  let browser = t("Unknown browser");
  const tests = [
    [/Edg\/(\d+)/, "Edge"], [/OPR\/(\d+)/, "Opera"], [/Firefox\/(\d+)/, "Firefox"],
    [/Chrome\/(\d+)/, "Chrome"], [/Version\/(\d+).*Safari/, "Safari"],
  ];
  for (const [re, label] of tests) {
    const m = s.match(re);
    if (m) { browser = `${label} ${m[1]}`; break; }
  }
  let os = "";
  if (/Windows/.test(s)) os = "Windows";
  else if (/Android/.test(s)) os = "Android";
  else if (/iPhone|iPad|iOS/.test(s)) os = "iOS";
  else if (/Mac OS X|Macintosh/.test(s)) os = "macOS";
  else if (/Linux/.test(s)) os = "Linux";
  return os ? t("{browser} on {os}", { browser, os }) : browser;
}

export function formatBytes(n) {
  if (typeof n !== "number") return "";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Only http(s) URLs become links; anything else (javascript:, data:) stays text. */
export function safeHttpUrl(url) {
  try {
    const u = new URL(String(url), location.href);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

// Candidates: http(s)://..., mailto:..., and bare email addresses. Checked again with URL below.
const LINK_RE = /\b(?:https?:\/\/[^\s<>"]+|mailto:[^\s<>"]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)/gi;
const TRAILING = /[.,;:!?'"»)\]]+$/;

/** The URL a piece of text should link to, or null: only http, https and mailto. */
export function linkTarget(raw) {
  const candidate = /^(https?:|mailto:)/i.test(raw) ? raw : `mailto:${raw}`;
  try {
    const u = new URL(candidate);
    return ["http:", "https:", "mailto:"].includes(u.protocol) ? u.href : null;
  } catch {
    return null;
  }
}

/** Text as nodes, with web and email addresses as links that open in a new tab. */
export function linkify(text) {
  const out = [];
  let last = 0;
  for (const match of String(text).matchAll(LINK_RE)) {
    let raw = match[0].replace(TRAILING, "");
    // A closing bracket that balances one inside the URL belongs to it: .../wiki/Baku_(city)
    const count = (c) => raw.split(c).length - 1;
    if (match[0].slice(raw.length).startsWith(")") && count("(") > count(")")) raw += ")";
    const href = raw && linkTarget(raw);
    if (!href) continue;
    if (match.index > last) out.push(text.slice(last, match.index));
    out.push(h("a", { href, target: "_blank", rel: "noopener noreferrer nofollow", class: "msg-link" }, raw));
    last = match.index + raw.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Feedback

export function toast(text, kind = "info") {
  const region = document.getElementById("toasts");
  if (!region) return;
  const el = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
  region.append(el);
  setTimeout(() => el.classList.add("leaving"), 3600);
  setTimeout(() => el.remove(), 4000);
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Fallback for insecure origins (plain http on a LAN address): a selected hidden textarea.
    const ta = h("textarea", { class: "sr-only", readonly: true, "aria-hidden": "true" });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch { ok = false; }
    ta.remove();
    return ok;
  }
}

/** A "Copy" button for a value; label says what is copied for screen readers. */
export function copyButton(getText, what = "") {
  const label = what ? t("Copy {what}", { what }) : t("Copy");
  const btn = h("button", { type: "button", class: "btn btn-small btn-ghost copy", "aria-label": label },
    t("Copy"));
  btn.addEventListener("click", async () => {
    const ok = await copyText(typeof getText === "function" ? getText() : getText);
    btn.textContent = ok ? t("Copied") : t("Copy failed");
    setTimeout(() => { btn.textContent = t("Copy"); }, 1500);
  });
  return btn;
}

/** Promise<boolean>: an in-page modal confirmation (a <dialog>, so focus is trapped and Esc works). */
export function confirmDialog(message, { confirmLabel = t("Confirm"), danger = true, title = t("Are you sure?") } = {}) {
  return new Promise((resolve) => {
    const titleId = nextId("dlg");
    const ok = h("button", { type: "submit", value: "ok", class: `btn ${danger ? "btn-danger" : "btn-primary"}` },
      confirmLabel);
    const cancel = h("button", { type: "submit", value: "cancel", class: "btn btn-ghost" }, t("Cancel"));

    const dlg = h("dialog", { class: "modal", "aria-labelledby": titleId },
      h("form", { method: "dialog" },
        h("h2", { id: titleId }, title),
        h("p", null, message),
        h("div", { class: "modal-actions" }, cancel, ok)));
    document.body.append(dlg);
    dlg.addEventListener("close", () => {
      resolve(dlg.returnValue === "ok");
      dlg.remove();
    });
    dlg.showModal();
    cancel.focus();
  });
}

/** Show an error for a form: text in its alert region, and aria-invalid on the field it names. */
export function showFormError(form, region, err, fields = []) {
  const message = err?.message || String(err);
  region.textContent = message;
  region.hidden = false;
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  const lower = message.toLowerCase();
  for (const name of fields) {
    if (new RegExp(`\\b${name.toLowerCase()}\\b`).test(lower)) {
      const input = form.elements.namedItem(name);
      if (input) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", region.id);
      }
    }
  }
}

export function clearFormError(form, region) {
  region.textContent = "";
  region.hidden = true;
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

// ---------------------------------------------------------------------------------------------
// Icons: inline SVG built with DOM calls (no icon font, no network, nothing for a CSP to block).

const ICONS = {
  clip: ["M21.44 11.05l-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48"],
  bell: ["M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9", "M13.73 21a2 2 0 0 1-3.46 0"],
  file: ["M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z", "M14 2v6h6"],
  back: ["M19 12H5", "M12 19l-7-7 7-7"],
  send: ["M22 2L11 13", "M22 2l-7 20-4-9-9-4 20-7z"],
  close: ["M18 6L6 18", "M6 6l12 12"],
  user: ["M20 21v-2a4 4 0 0 0-4-4H8a4 4 0 0 0-4 4v2", "M12 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z"],
  chat: ["M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"],
  search: ["M11 19a8 8 0 1 0 0-16 8 8 0 0 0 0 16z", "M21 21l-4.35-4.35"],
};

export function icon(name, cls = "") {
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", `icon ${cls}`.trim());
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  for (const d of ICONS[name] || []) {
    const path = document.createElementNS(NS, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}
