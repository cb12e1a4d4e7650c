// /login: email + password → POST /auth/login → the app (or the safe `next` path).

import { api, ApiError, fallbackMessage } from "./api.js";
import { t, tn, chooseLocale, useLocale, translatePage } from "./i18n.js";

const form = document.getElementById("login-form");
const email = document.getElementById("email");
const password = document.getElementById("password");
const error = document.getElementById("login-error");
const submit = document.getElementById("sign-in");

// Where to go after signing in: `next` only when the browser itself resolves it to this origin.
// String checks miss what URL parsing forgives (tabs and newlines dropped, a backslash read
// as "/"): "/%09/evil.example" passed them and left the site. Parsing as the browser does not.
function nextPath() {
  const next = new URLSearchParams(location.search).get("next");
  if (!next || !next.startsWith("/")) return "/";
  let url;
  try {
    url = new URL(next, location.origin);
  } catch {
    return "/";
  }
  if (url.origin !== location.origin || !["http:", "https:"].includes(url.protocol)) return "/";
  return url.pathname + url.search + url.hash;
}

function showError(message) {
  error.textContent = message;
  error.hidden = false;
  email.setAttribute("aria-invalid", "true");
  password.setAttribute("aria-invalid", "true");
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  error.hidden = true;
  email.removeAttribute("aria-invalid");
  password.removeAttribute("aria-invalid");
  if (!email.value.trim() || !password.value) {
    showError(t("Enter your email and password."));
    (email.value.trim() ? password : email).focus();
    return;
  }
  submit.disabled = true;
  submit.textContent = t("Signing in…");
  try {
    await api("POST", "/auth/login", { email: email.value.trim(), password: password.value }, { redirectOn401: false });
    location.assign(nextPath());
    return;
  } catch (err) {
    if (err instanceof ApiError && err.status === 429) {
      const wait = err.retryAfter;
      const when = !wait ? "" : wait < 90 ? tn(wait, "{n} second", "{n} seconds") : tn(Math.ceil(wait / 60), "{n} minute", "{n} minutes");
      showError(when ? `${err.message} ${t("You can try again in {when}.", { when })}` : err.message);
    } else if (err instanceof ApiError && err.status === 401) {
      const generic = [fallbackMessage(401), "You must be logged in to do this."];
      showError(err.message && !generic.includes(err.message) ? err.message : t("Wrong email or password."));
    } else {
      showError(err.message || t("Could not sign in."));
    }
    password.select();
    password.focus();
  }
  submit.disabled = false;
  submit.textContent = t("Sign in");
});

// "Forgot password?": the same answer whether or not the email is known (no enumeration).
const template = document.getElementById("forgot-template");
let forgotForm, forgotEmail, forgotError, forgotDone, forgotSend;

function showForgot(open) {
  if (open && !forgotForm) buildForgot();
  form.hidden = open;
  if (forgotForm) forgotForm.hidden = !open;
  if (open) {
    forgotEmail.value = email.value.trim();
    forgotError.hidden = true;
    forgotDone.hidden = true;
    forgotEmail.focus();
  } else {
    email.focus();
  }
}

document.getElementById("forgot-open").addEventListener("click", () => showForgot(true));

function buildForgot() {
  const copy = template.content.cloneNode(true);
  translatePage(copy);
  template.after(copy);
  forgotForm = document.getElementById("forgot-form");
  forgotEmail = document.getElementById("forgot-email");
  forgotError = document.getElementById("forgot-error");
  forgotDone = document.getElementById("forgot-done");
  forgotSend = document.getElementById("forgot-send");
  document.getElementById("forgot-back").addEventListener("click", () => showForgot(false));
  forgotForm.addEventListener("submit", sendLink);
}

async function sendLink(e) {
  e.preventDefault();
  forgotError.hidden = true;
  forgotDone.hidden = true;
  if (!forgotEmail.value.trim()) {
    forgotError.textContent = t("Enter your email.");
    forgotError.hidden = false;
    forgotEmail.focus();
    return;
  }
  forgotSend.disabled = true;
  try {
    const result = await api("POST", "/auth/password-reset", { email: forgotEmail.value.trim() }, { redirectOn401: false });
    forgotDone.textContent = result.message;
    forgotDone.hidden = false;
  } catch (err) {
    forgotError.textContent = err.status === 409
      ? t("This server does not send email. Ask the person who runs botaz to run: {command}", { command: `botaz reset-password --email ${forgotEmail.value.trim()}` })
      : err.message || t("Could not send the link.");
    forgotError.hidden = false;
  }
  forgotSend.disabled = false;
}

const notice = new URLSearchParams(location.search).get("reset");
if (notice === "done") {
  const p = document.createElement("p");
  p.className = "form-ok";
  p.setAttribute("role", "status");
  p.dataset.i18n = "Your password was changed. Sign in with the new one.";
  p.textContent = t("Your password was changed. Sign in with the new one.");
  form.prepend(p);
}

// The browser's language (nobody is signed in yet): the words change once its catalogue is here;
// the form works meanwhile.
useLocale(chooseLocale()).then(() => {
  translatePage();
  document.title = t("Sign in · botaz");
});


email.focus();
