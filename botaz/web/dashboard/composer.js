// The message composer: Reply / Private note modes, Enter to send, "/shortcut" canned responses
// in a listbox, file attachments, and throttled typing notifications.

import { h, nextId, icon } from "./dom.js";
import { cannedResponses } from "./state.js";
import { t } from "./i18n.js";

const TYPING_EVERY_MS = 2000;
const TYPING_IDLE_MS = 3000;

/**
 * createComposer({onSend(text, mode) → Promise, onUpload(file) → Promise, onTyping(bool)})
 * → {el, setBanned(bool), focus(), destroy()}
 */
export function createComposer({ onSend, onUpload, onTyping }) {
  let mode = "reply";
  let banned = false;
  let busy = false;

  // ----- mode switch (a radio group styled as tabs)
  const groupName = nextId("mode");
  const modeRadios = {};
  const modeSwitch = h("fieldset", { class: "mode-switch" },
    h("legend", { class: "sr-only" }, t("Compose as")));
  for (const [value, label] of [["reply", t("Reply")], ["note", t("Private note")]]) {
    const input = h("input", { type: "radio", name: groupName, value, checked: value === mode, class: "sr-only-input" });
    input.addEventListener("change", () => { if (input.checked) setMode(value); });
    modeRadios[value] = input;
    modeSwitch.append(h("label", { class: `mode-tab mode-${value}` }, input, h("span", null, label)));
  }

  // ----- textarea + canned listbox
  const listboxId = nextId("canned");
  const textarea = h("textarea", {
    class: "composer-input", "aria-label": t("Message"), rows: "2", maxlength: "10000",
    placeholder: t("Type a reply…  (/ for canned responses)"), "aria-autocomplete": "list",
    "aria-controls": listboxId, autocomplete: "off",
  });
  const listbox = h("ul", { class: "canned-list", role: "listbox", id: listboxId, "aria-label": t("Canned responses"), hidden: true });
  const notice = h("p", { class: "composer-notice", hidden: true });
  const hint = h("span", { class: "composer-hint" }, t("Enter to send · Shift+Enter for a new line"));

  const fileInput = h("input", { type: "file", class: "sr-only-input", tabindex: "-1", "aria-hidden": "true" });
  const attachBtn = h("button", { type: "button", class: "btn btn-icon btn-ghost", "aria-label": t("Attach file"), title: t("Attach file") },
    icon("clip"));
  attachBtn.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", async () => {
    const file = fileInput.files && fileInput.files[0];
    fileInput.value = "";
    if (file) await upload(file);
  });

  const sendBtn = h("button", { type: "submit", class: "btn btn-primary send" }, t("Send"));
  const form = h("form", { class: "composer", "aria-label": t("Write a message") },
    modeSwitch,
    notice,
    h("div", { class: "composer-box" }, textarea, listbox),
    h("div", { class: "composer-actions" }, attachBtn, fileInput, hint, sendBtn));

  function setMode(value) {
    mode = value;
    modeRadios[value].checked = true;
    form.classList.toggle("note-mode", mode === "note");
    textarea.placeholder = mode === "note"
      ? t("Write a private note: only your team sees it")
      : t("Type a reply…  (/ for canned responses)");
    sendBtn.textContent = mode === "note" ? t("Add note") : t("Send");
    attachBtn.hidden = mode === "note";
    if (mode === "note") stopTyping();
    applyBanned();
    textarea.focus();
  }

  function applyBanned() {
    const blocked = banned && mode === "reply";
    textarea.disabled = blocked;
    sendBtn.disabled = blocked || busy;
    attachBtn.disabled = blocked;
    notice.hidden = !blocked;
    notice.textContent = blocked ? t("This visitor is banned and cannot receive replies. Unban them to reply, or write a private note.") : "";
  }

  // ----- typing notifications: at most every 2 s while typing, false after 3 s idle or on send
  let lastTypingSent = 0;
  let typingOn = false;
  let idleTimer = null;
  function typingInput() {
    if (mode !== "reply" || banned) return;
    const now = Date.now();
    if (textarea.value.trim() === "") {
      stopTyping();
      return;
    }
    if (!typingOn || now - lastTypingSent >= TYPING_EVERY_MS) {
      typingOn = true;
      lastTypingSent = now;
      onTyping?.(true);
    }
    clearTimeout(idleTimer);
    idleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }
  function stopTyping() {
    clearTimeout(idleTimer);
    if (typingOn) {
      typingOn = false;
      lastTypingSent = 0;
      onTyping?.(false);
    }
  }

  // ----- canned responses
  let matches = [];
  let active = -1;
  let cannedToken = null; // {start, end} of the "/word" being completed

  function currentToken() {
    const pos = textarea.selectionStart;
    if (pos !== textarea.selectionEnd) return null;
    const before = textarea.value.slice(0, pos);
    const m = before.match(/(^|\s)\/([\w-]*)$/);
    if (!m) return null;
    return { start: pos - m[2].length - 1, end: pos, query: m[2].toLowerCase() };
  }

  async function updateCanned() {
    if (mode !== "reply" && mode !== "note") return closeCanned();
    const token = currentToken();
    if (!token) return closeCanned();
    const all = await cannedResponses();
    const again = currentToken();
    if (!again || again.query !== token.query) return undefined; // typed on meanwhile
    matches = all.filter((c) => String(c.shortcut).toLowerCase().replace(/^\//, "").startsWith(token.query)).slice(0, 8);
    if (!matches.length) return closeCanned();
    cannedToken = token;
    active = 0;
    renderCanned();
    return undefined;
  }

  function renderCanned() {
    listbox.replaceChildren(...matches.map((c, i) => {
      const li = h("li", {
        role: "option", id: `${listboxId}-${i}`, class: "canned-option", "aria-selected": String(i === active),
      },
      h("span", { class: "canned-shortcut" }, `/${String(c.shortcut).replace(/^\//, "")}`),
      h("span", { class: "canned-text" }, c.text));
      li.addEventListener("mousedown", (e) => { e.preventDefault(); insertCanned(i); });
      return li;
    }));
    listbox.hidden = false;
    textarea.setAttribute("aria-activedescendant", `${listboxId}-${active}`);
    listbox.children[active]?.scrollIntoView({ block: "nearest" });
  }

  function closeCanned() {
    matches = [];
    active = -1;
    cannedToken = null;
    listbox.hidden = true;
    listbox.replaceChildren();
    textarea.removeAttribute("aria-activedescendant");
  }

  function insertCanned(i) {
    const c = matches[i];
    if (!c || !cannedToken) return;
    const { start, end } = cannedToken;
    textarea.setRangeText(c.text, start, end, "end");
    closeCanned();
    textarea.focus();
    autosize();
    typingInput();
  }

  // ----- sending
  async function submit() {
    const text = textarea.value.trim();
    if (!text || busy) return;
    if (mode === "reply" && banned) return;
    busy = true;
    sendBtn.disabled = true;
    stopTyping();
    textarea.value = "";
    autosize();
    try {
      await onSend(text, mode);
    } catch (err) {
      // Give the text back so nothing typed is lost.
      if (!textarea.value) textarea.value = text;
      autosize();
      throw err;
    } finally {
      busy = false;
      applyBanned();
      textarea.focus();
    }
  }

  async function upload(file) {
    if (banned) return;
    attachBtn.disabled = true;
    hint.textContent = t("Uploading {name}…", { name: file.name });
    try {
      await onUpload(file);
    } finally {
      hint.textContent = t("Enter to send · Shift+Enter for a new line");

      applyBanned();
    }
  }

  function autosize() {
    textarea.style.height = "auto";
    textarea.style.height = `${Math.min(textarea.scrollHeight + 2, 220)}px`;
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submit().catch(() => {});
  });
  textarea.addEventListener("input", () => {
    autosize();
    typingInput();
    updateCanned();
  });
  textarea.addEventListener("click", () => updateCanned());
  textarea.addEventListener("blur", () => setTimeout(() => {
    if (document.activeElement !== textarea) closeCanned();
  }, 150));
  textarea.addEventListener("keydown", (e) => {
    if (!listbox.hidden && matches.length) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        active = (active + (e.key === "ArrowDown" ? 1 : -1) + matches.length) % matches.length;
        renderCanned();
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        insertCanned(active);
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        closeCanned();
        return;
      }
    }
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit().catch(() => {});
    }
  });
  // Paste or drop a file to attach it.
  textarea.addEventListener("paste", (e) => {
    const file = e.clipboardData && [...e.clipboardData.files][0];
    if (file && mode === "reply") {
      e.preventDefault();
      upload(file);
    }
  });
  form.addEventListener("dragover", (e) => { if (mode === "reply") { e.preventDefault(); form.classList.add("drop"); } });
  form.addEventListener("dragleave", () => form.classList.remove("drop"));
  form.addEventListener("drop", (e) => {
    form.classList.remove("drop");
    const file = e.dataTransfer && [...e.dataTransfer.files][0];
    if (file && mode === "reply") {
      e.preventDefault();
      upload(file);
    }
  });

  return {
    el: form,
    setBanned(value) {
      banned = Boolean(value);
      if (banned) stopTyping();
      applyBanned();
    },
    focus() { textarea.focus(); },
    destroy() { stopTyping(); },
  };
}
