// The dashboard's words in the agent's language. Strings are keyed by their English text
// (gettext style), so the source reads as English and a missing translation shows English.
//   t("Send")                                   -> "Göndər" in az
//   t("{n} unread", { n: 3 })                   -> placeholders in braces are filled in every language
//   tn(n, "{n} visitor", "{n} visitors")        -> the plural form of the language (ru has three)
// Keys are always string literals, so tests/test_i18n_browser.py can find them all in the source
// and check that every catalogue (locales/az.js, ru.js, tr.js) translates each one.
// A catalogue is loaded (dynamic import) only for the active language, before the first render.

const CATALOGUES = {}; // locale -> { english: translated | {one, few, many, other} }
export const LOCALES = ["en", "az", "ru", "tr"];
// Each language by its own name, for the language selector.
export const LANGUAGE_NAMES = { az: "Azərbaycanca", en: "English", ru: "Русский", tr: "Türkçe" };
let current = "en";
let rules = new Intl.PluralRules("en");

export function register(locale, strings) {
  CATALOGUES[locale] = { ...(CATALOGUES[locale] || {}), ...strings };
}

export function setLocale(locale) {
  current = LOCALES.includes(locale) ? locale : "en";
  rules = new Intl.PluralRules(current);
  document.documentElement.lang = current;
}

export function locale() {
  return current;
}

/** The language to show: the agent's preference, else the browser's first language we have. */
export function chooseLocale(preference) {
  if (LOCALES.includes(preference)) return preference;
  const wanted = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
  for (const tag of wanted) {
    const base = String(tag || "").toLowerCase().split("-")[0];
    if (LOCALES.includes(base)) return base;
  }
  return "en";
}

/** Loads the catalogue of `wanted` (only that one) and makes it the active language. */
export async function useLocale(wanted) {
  let chosen = LOCALES.includes(wanted) ? wanted : "en";
  if (chosen !== "en" && !CATALOGUES[chosen]) {
    try {
      await import(`./locales/${chosen}.js`);
    } catch {
      chosen = "en"; // the words stay English rather than the page not starting
    }
  }
  setLocale(chosen);
  return chosen;
}

/**
 * For Intl (dates, numbers): the active language, when the browser has its data (some builds
 * lack Azerbaijani's month names); English keeps the browser's English region.
 */
const namesKnown = {};
function knowsMonthNames(code) {
  // Without the language's data, Intl writes "M01" for January.
  if (!(code in namesKnown)) {
    namesKnown[code] = !/^M\d/.test(new Date(2020, 0, 15).toLocaleString(code, { month: "short" }));
  }
  return namesKnown[code];
}

export function intlLocale() {
  if (current !== "en" && knowsMonthNames(current)) return current;

  const tag = navigator.language || "en";
  return tag.toLowerCase().startsWith("en") ? tag : "en";
}


function fill(text, vars) {
  return vars ? text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : text;
}

export function t(english, vars) {
  const entry = CATALOGUES[current] && CATALOGUES[current][english];
  return fill(typeof entry === "string" && entry ? entry : english, vars);
}

/**
 * One of two English forms by n (`{n}` is filled with n, formatted); a catalogue translates the
 * plural (`other`) form with a string (a language whose nouns do not change after numbers) or an
 * object of Intl.PluralRules categories, e.g. ru {one, few, many}.
 */
export function tn(n, one, other, vars) {
  const all = { n: formatNumber(n), ...(vars || {}) };
  const entry = CATALOGUES[current] && CATALOGUES[current][other];
  if (current !== "en" && entry) {
    const text = typeof entry === "string" ? entry : (entry[rules.select(n)] || entry.other || entry.many);
    if (text) return fill(text, all);
  }
  return fill(n === 1 ? one : other, all);
}

export function formatNumber(n, options) {
  return typeof n === "number" ? new Intl.NumberFormat(intlLocale(), options).format(n) : String(n);
}

/** t() whose {placeholders} are elements (or text): an array for h()'s children. */
export function tp(english, parts) {
  const entry = CATALOGUES[current] && CATALOGUES[current][english];
  const text = typeof entry === "string" && entry ? entry : english;
  return text.split(/(\{\w+\})/).filter((piece) => piece !== "").map((piece) => {
    const m = piece.match(/^\{(\w+)\}$/);
    return m && m[1] in parts ? parts[m[1]] : piece;
  });
}

/** Static pages (login.html, reset.html, app.html): elements marked data-i18n hold an English key. */
export function translatePage(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.dataset.i18n = el.dataset.i18n || el.textContent.trim();
    el.textContent = t(el.dataset.i18n);
  }
}

/** A loaded catalogue (for tests/test_i18n_browser.py's completeness check). */
export function catalogue(code) {
  return { ...(CATALOGUES[code] || {}) };
}
