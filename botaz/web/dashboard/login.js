// /login: email + password → POST /auth/login → the app (or the safe `next` path).

import { api, ApiError } from "./api.js";

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
    showError("Enter your email and password.");
    (email.value.trim() ? password : email).focus();
    return;
  }
  submit.disabled = true;
  submit.textContent = "Signing in…";
  try {
    await api("POST", "/auth/login", { email: email.value.trim(), password: password.value }, { redirectOn401: false });
    location.assign(nextPath());
    return;
  } catch (err) {
    if (err instanceof ApiError && err.status === 429) {
      const wait = err.retryAfter;
      const when = !wait ? "" : wait < 90 ? `${wait} seconds` : `${Math.ceil(wait / 60)} minutes`;
      showError(when ? `${err.message} You can try again in ${when}.` : err.message);
    } else if (err instanceof ApiError && err.status === 401) {
      showError(err.message && err.message !== "You must be logged in to do this." ? err.message : "Wrong email or password.");
    } else {
      showError(err.message || "Could not sign in.");
    }
    password.select();
    password.focus();
  }
  submit.disabled = false;
  submit.textContent = "Sign in";
});

email.focus();
