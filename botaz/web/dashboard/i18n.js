// The dashboard's words in the agent's language. Strings are keyed by their English text
// (gettext style), so the source reads as English and a missing translation shows English.
//   t("Send")                      -> "Göndər" in az
//   t("{n} unread", { n: 3 })      -> placeholders in braces are filled in every language

const CATALOGUES = {}; // locale -> { english: translated }
export const LOCALES = ["en", "az", "ru", "tr"];
let current = "en";

export function register(locale, strings) {
  CATALOGUES[locale] = { ...(CATALOGUES[locale] || {}), ...strings };
}

export function setLocale(locale) {
  current = LOCALES.includes(locale) ? locale : "en";
  document.documentElement.lang = current;
}

export function locale() {
  return current;
}

export function t(english, vars) {
  const text = (CATALOGUES[current] && CATALOGUES[current][english]) || english;
  return vars ? text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : text;
}
