// Settings → Bot: the built-in rule bot (greeting, FAQ answers, offline reply,
// asking for contact details, hand-off to a human) or an external bot at a URL of yours.
// GET/PUT /api/bot. Owners edit; other agents see the configuration read-only.

import { get, put } from "./api.js";
import { h, copyButton, fullDate, nextId, showFormError, clearFormError, toast } from "./dom.js";
import { agents, loadAgents, realtime } from "./state.js";
import {
  section, field, checkField, switchInput, errorRegion, okRegion, flash, splitList, holdUntilLoaded,
} from "./forms.js";
import { t, tp } from "./i18n.js";

export function createBotSection({ owner, readOnlyNote, isDestroyed }) {
  let config = null; // the last GET/PUT answer

  // ----- on/off and the greeting
  const enabled = switchInput({ name: "enabled" });
  // ----- the answer bot (knowledge base)
  const answerBot = switchInput({ name: "answerBot" });
  const answerThreshold = h("input", { name: "answerThreshold", type: "number", min: "1", max: "100", step: "1", inputmode: "numeric" });
  const greeting = h("textarea", { name: "greeting", rows: "2", maxlength: "2000" });
  const offlineReply = h("textarea", { name: "offlineReply", rows: "2", maxlength: "2000" });

  // ----- FAQ rows
  const faqList = h("ol", { class: "faq-list" });
  const faqEmpty = h("p", { class: "muted small faq-empty" }, t("No questions yet."));
  const addFaq = h("button", { type: "button", class: "btn btn-small" }, t("Add question"));
  const rowOf = new WeakMap(); // <li> → row
  let faqRows = [];
  addFaq.addEventListener("click", () => {
    const row = faqRow({ keywords: [], pattern: null, answer: "" });
    faqList.append(row.li);
    renumberFaq();
    row.keywords.focus();
  });

  function faqRow(item) {
    const keywords = h("input", { name: "keywords", autocomplete: "off", placeholder: t("price, prices, cost") });
    keywords.value = (item.keywords || []).join(", ");
    const pattern = h("input", { name: "pattern", autocomplete: "off", spellcheck: "false", placeholder: "open(ing)? hours?" });
    pattern.value = item.pattern || "";
    const answer = h("textarea", { name: "answer", rows: "2", maxlength: "2000" });
    answer.value = item.answer || "";
    const legend = h("legend");
    const remove = h("button", { type: "button", class: "btn btn-small btn-danger-ghost" }, t("Remove"));
    const li = h("li", { class: "faq-item" },
      h("fieldset", { class: "faq-row" },
        legend,
        h("div", { class: "faq-fields" },
          field(t("Keywords"), keywords, t("Comma-separated words or phrases.")),
          field(t("Pattern"), pattern, t("Optional regular expression, case-insensitive."))),
        field(t("Answer"), answer),
        h("div", { class: "faq-actions" }, remove)));
    const row = { li, legend, remove, keywords, pattern, answer };
    rowOf.set(li, row);
    remove.addEventListener("click", () => {
      const index = faqRows.indexOf(row);
      li.remove();
      renumberFaq();
      const next = faqRows[index] || faqRows[index - 1];
      (next ? next.keywords : addFaq).focus();
    });
    return row;
  }

  function renumberFaq() {
    faqRows = [...faqList.children].map((li) => rowOf.get(li)).filter(Boolean);
    faqRows.forEach((row, i) => {
      row.legend.textContent = t("Question {n}", { n: i + 1 });
      row.remove.setAttribute("aria-label", t("Remove question {n}", { n: i + 1 }));
    });
    faqEmpty.hidden = faqRows.length > 0;
  }

  function setFaq(items) {
    faqList.replaceChildren(...(items || []).map((item) => faqRow(item).li));
    renumberFaq();
  }

  // ----- contact details, hand-off, idle time
  const askContact = h("input", { type: "checkbox", name: "askContact" });
  const askContactText = h("textarea", { name: "askContactText", rows: "2", maxlength: "2000" });
  askContact.addEventListener("change", () => { askContactText.disabled = !askContact.checked || !owner; });
  const handoffKeywords = h("input", { name: "handoffKeywords", autocomplete: "off" });
  const handoffReply = h("textarea", { name: "handoffReply", rows: "2", maxlength: "2000" });
  const handoffOfflineReply = h("textarea", { name: "handoffOfflineReply", rows: "2", maxlength: "2000" });
  const idleMinutes = h("input", { type: "number", name: "idleMinutes", min: "0", max: "10080", step: "1", inputmode: "numeric", class: "input-short" });

  // ----- which agent writes, and an external bot
  const agentSelect = h("select", { name: "agentId", class: "select" });
  const externalUrl = h("input", { type: "url", name: "externalUrl", autocomplete: "off", spellcheck: "false", placeholder: "https://bot.example.com/botaz" });
  const externalStatus = h("dl", { class: "info-list bot-status", hidden: true });
  const secretBox = h("div", { class: "once-box", hidden: true, role: "status" });

  function renderAgentOptions() {
    const bots = [...agents.values()].filter((a) => a.bot).sort((a, b) => a.name.localeCompare(b.name));
    const current = config?.agentId || "";
    const options = [];
    if (!current) options.push(h("option", { value: "" }, t("A new bot agent, “Assistant”, made when the bot is switched on")));
    for (const a of bots) options.push(h("option", { value: a._id }, a.name));
    if (current && !agents.has(current)) options.push(h("option", { value: current }, t("Agent {id}", { id: current })));
    agentSelect.replaceChildren(...options);
    agentSelect.value = current;
  }

  function renderStatus() {
    const s = config?.status || {};
    const rows = [];
    if (s.lastSuccessAt) rows.push([t("Last answer taken"), h("time", { datetime: s.lastSuccessAt, title: s.lastSuccessAt }, fullDate(s.lastSuccessAt))]);
    if (s.lastError) {
      rows.push([t("Last error"), h("span", { class: "error-text" }, s.lastError)]);
      if (s.lastErrorAt) rows.push([t("Failed at"), h("time", { datetime: s.lastErrorAt, title: s.lastErrorAt }, fullDate(s.lastErrorAt))]);
    }
    if (config?.externalUrl && !rows.length) rows.push([t("Status"), t("No message sent to your bot yet")]);
    externalStatus.replaceChildren(...rows.flatMap(([k, v]) => [h("dt", null, k), h("dd", null, v)]));
    externalStatus.hidden = rows.length === 0;
  }

  // ----- the form
  const err = errorRegion();
  const ok = okRegion();
  const save = h("button", { type: "submit", class: "btn btn-primary" }, t("Save bot"));
  const fieldset = h("fieldset", { class: "plain", disabled: !owner },
    h("legend", { class: "sr-only" }, t("Bot settings")),
    checkField(t("Bot answers visitors"), enabled,
      t("Answers visitors' messages while no human agent is in the conversation.")),
    h("fieldset", { class: "checks answer-bot" },
      h("legend", null, t("Answers from articles")),
      h("p", { class: "hint" }, ...tp("Write and edit the articles on the {link} page.", { link: h("a", { href: "/articles" }, t("Articles")) })),
      checkField(t("Answer from the knowledge base"), answerBot,
        t("A visitor's question that one of your published articles answers gets its passage and link, with or without the rule bot. Questions no article answers are left to the rule bot or your team.")),
      field(t("Confidence needed (1-100)"), answerThreshold, t("Higher answers less often and more surely. Default 50."))),
    field(t("Answers come from"), agentSelect, t("The bot agent whose name visitors see on the answers.")),
    field(t("Greeting"), greeting, t("The bot's first reply to a new visitor. Leave empty for none.")),
    h("fieldset", { class: "checks faq" },
      h("legend", null, t("Questions and answers")),
      h("p", { class: "hint" }, t("A visitor's message that contains one of the keywords, or matches the pattern, gets the answer. The first match wins.")),
      faqList, faqEmpty, h("div", null, addFaq)),
    field(t("Offline reply"), offlineReply, t("Sent once when no answer fits and nobody can reply now. Leave empty for none.")),
    h("p", { class: "hint" }, ...tp("Outside business hours ({link}), or when no agent is available, the bot gives the offline reply and its hand-off asks for an email address.",
      { link: h("a", { href: "/settings#availability" }, t("Availability")) })),
    checkField(t("Ask for contact details"), askContact, t("When the visitor left no email or phone, the bot asks for one (once).")),
    field(t("How to ask"), askContactText),
    h("fieldset", { class: "checks handoff" },
      h("legend", null, t("Hand-off to a human")),
      field(t("Hand-off keywords"), handoffKeywords, t("Comma-separated. A visitor who writes one of them is handed to your team and the bot goes quiet.")),
      field(t("Hand-off reply"), handoffReply, t("When an agent is available: the conversation is assigned to them (round robin) and they are alerted.")),
      field(t("Hand-off reply when nobody is online"), handoffOfflineReply, t("Should ask for an email address: one the visitor then writes is saved as their email, and the bot confirms it."))),
    field(t("Quiet after a human replied (minutes)"), idleMinutes, t("The bot stays silent this long after one of your agents wrote, from 0 to 10080.")),
    h("fieldset", { class: "checks external" },
      h("legend", null, t("External bot")),
      field(t("External bot URL"), externalUrl, t("Optional. Visitors' messages are POSTed to this URL, signed, instead of the rule bot answering; your bot replies through POST /api/messages/ with the bot agent's token.")),
      externalStatus));
  // The form is long: its error and its Save button stay in view at the bottom.
  const form = h("form", { class: "settings-form bot-form", novalidate: true },
    fieldset, secretBox,
    owner ? h("div", { class: "sticky-actions" }, err, h("div", { class: "form-actions" }, save, ok)) : null);

  const openForm = holdUntilLoaded(form);
  function fill(c) {
    openForm();
    config = c;
    enabled.checked = Boolean(c.enabled);
    answerBot.checked = Boolean(c.answerBot);
    answerThreshold.value = String(c.answerThreshold ?? 50);
    greeting.value = c.greeting ?? "";
    setFaq(c.faq || []);
    offlineReply.value = c.offlineReply ?? "";
    askContact.checked = Boolean(c.askContact);
    askContactText.value = c.askContactText ?? "";
    askContactText.disabled = !askContact.checked || !owner;
    handoffKeywords.value = (c.handoffKeywords || []).join(", ");
    handoffReply.value = c.handoffReply ?? "";
    handoffOfflineReply.value = c.handoffOfflineReply ?? "";
    idleMinutes.value = String(c.idleMinutes ?? 30);
    externalUrl.value = c.externalUrl || "";
    renderAgentOptions();
    renderStatus();
  }

  /** The rows that are sent, in order (fully empty rows are dropped). */
  function faqToSend() {
    const sent = [];
    for (const row of faqRows) {
      const keywords = splitList(row.keywords.value);
      const pattern = row.pattern.value.trim();
      const answer = row.answer.value.trim();
      if (!keywords.length && !pattern && !answer) continue;
      sent.push({ row, item: { keywords, pattern: pattern || null, answer } });
    }
    return sent;
  }

  function markInvalid(input) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", `${input.getAttribute("aria-describedby") || ""} ${err.id}`.trim());
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFormError(form, err);
    const minutes = Number(idleMinutes.value);
    if (!Number.isInteger(minutes) || idleMinutes.value.trim() === "") {
      showFormError(form, err, new Error(t("idleMinutes must be a whole number of minutes.")), ["idleMinutes"]);
      return;
    }
    const faq = faqToSend();
    const body = {
      enabled: enabled.checked,
      answerBot: answerBot.checked,
      answerThreshold: Number(answerThreshold.value),
      greeting: greeting.value.trim() || null,
      faq: faq.map((f) => f.item),
      offlineReply: offlineReply.value.trim() || null,
      askContact: askContact.checked,
      askContactText: askContactText.value.trim(),
      handoffKeywords: splitList(handoffKeywords.value),
      handoffReply: handoffReply.value.trim(),
      handoffOfflineReply: handoffOfflineReply.value.trim(),
      idleMinutes: minutes,
      externalUrl: externalUrl.value.trim() || null,
    };
    if (agentSelect.value && agentSelect.value !== (config?.agentId || "")) body.agentId = agentSelect.value;
    save.disabled = true;
    try {
      const res = await put("/api/bot", body);
      const { externalSecret, ...rest } = res;
      fill(rest);
      flash(ok, t("Saved"));
      if (externalSecret) {
        secretBox.hidden = false;
        secretBox.replaceChildren(
          h("p", null, h("strong", null, t("Your bot's signing secret.")),
            " ", t("Requests to your bot carry an X-Botaz-Signature made with it. Copy it now: it is shown only once.")),
          h("div", { class: "id-row" }, h("code", { class: "secret" }, externalSecret), copyButton(externalSecret, t("bot signing secret"))));
        secretBox.scrollIntoView({ block: "nearest" });
      } else {
        secretBox.hidden = true;
        secretBox.replaceChildren();
      }
      // Switching the bot on may have made a bot agent: learn its name for the timeline.
      loadAgents().then(() => {
        if (isDestroyed()) return;
        renderAgentOptions();
        realtime.emit("agents.changed");
      }).catch(() => {});
    } catch (error) {
      showFormError(form, err, error, ["greeting", "offlineReply", "askContactText", "handoffKeywords",
        "handoffReply", "handoffOfflineReply", "idleMinutes", "externalUrl", "agentId", "answerThreshold"]);
      const m = /faq\[(\d+)\](?:\.(\w+))?/.exec(error.message || "");
      if (m && faq[Number(m[1])]) {
        const { row } = faq[Number(m[1])];
        const which = m[2] === "keywords" ? [row.keywords] : m[2] === "pattern" ? [row.pattern]
          : /answer/.test(error.message) ? [row.answer] : [row.keywords, row.pattern];
        which.forEach(markInvalid);
        err.textContent = `${row.legend.textContent}: ${error.message}`;
      }
      form.querySelector("[aria-invalid='true']")?.focus();
    } finally {
      save.disabled = false;
    }
  });

  const el = section({ key: "bot", title: t("Bot"), description: t("A bot answers visitors while your team is busy or away, and hands them to a human when asked.") },
    readOnlyNote(), form);

  async function load() {
    try {
      const c = await get("/api/bot");
      if (!isDestroyed()) fill(c);
    } catch (error) {
      if (!isDestroyed()) toast(t("Could not load the bot: {error}", { error: error.message }), "error");

    }
  }

  return { el, load, refreshAgents: renderAgentOptions };
}
