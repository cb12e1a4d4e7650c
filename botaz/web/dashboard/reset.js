// /reset-password#token=…: the emailed link. The token stays in the fragment, which browsers
// never send to a server; it goes only in the body of the confirming POST.

import { api } from "./api.js";
import { t, chooseLocale, useLocale, translatePage } from "./i18n.js";

const form = document.getElementById("reset-form");
const password = document.getElementById("new-password");
const repeat = document.getElementById("repeat-password");
const error = document.getElementById("reset-error");
const save = document.getElementById("reset-save");
const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";

function showError(message, field) {
  error.textContent = message;
  error.hidden = false;
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
}

if (!token) {
  showError(t("This link has no token. Open the link from the email again, or ask for a new one on the sign-in page."));
  save.disabled = true;
}
// The token has been read; keep it out of the address bar and history from now on.
history.replaceState(null, "", location.pathname);

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  error.hidden = true;
  password.removeAttribute("aria-invalid");
  repeat.removeAttribute("aria-invalid");
  if (password.value.length < 8) return showError(t("The password must be at least 8 characters."), password);
  if (password.value !== repeat.value) return showError(t("The two passwords differ."), repeat);
  save.disabled = true;
  try {
    await api("POST", "/auth/password-reset/confirm", { token, password: password.value }, { redirectOn401: false });
    location.assign("/login?reset=done");
    return;
  } catch (err) {
    showError(err.message || t("Could not change the password."));
  }
  save.disabled = false;
});

password.focus();

// The browser's language; the form works while its catalogue loads.
useLocale(chooseLocale()).then(() => {
  translatePage();
  if (!token) error.textContent = t("This link has no token. Open the link from the email again, or ask for a new one on the sign-in page.");
  document.title = t("Choose a new password · botaz");
});

