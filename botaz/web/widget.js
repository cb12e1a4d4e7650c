/*!
 * botaz chat widget. Embed on any website with exactly:
 *   <script src="https://HOST/widget.js" data-site-key="SITE_KEY" async></script>
 * Optional: data-lang="en" | "az" | "ru" | "tr" (default: the browser's language).
 * A page URL with #botaz-link=TOKEN (from a conversation link, docs/email.md) makes the widget
 * continue that conversation. botaz's own conversation page (/c/TOKEN) runs this script with
 * data-mode="page" (the panel fills data-container, always open) and data-link="TOKEN".
 *
 * Plain JavaScript, no dependencies, no external requests except to the botaz server the script
 * was loaded from. All UI lives in an open shadow root; message text is only ever rendered as
 * text. Hosts can call window.Botaz.open(), .close(), .toggle(), .hide(), .show(), .send(text),
 * .identify({id, name, email, hash}), .logout(), .setAttributes({...}) and .on(event, fn)
 * (docs/widget.md); calls made before this script loaded, queued in window.Botaz.q as
 * [method, args], run once it starts.
 */
(function () {
  "use strict";

  if (window.Botaz && window.Botaz.__botaz) return; // embedded twice: keep the first
  // The page's snippet may have queued calls before this script arrived (docs/widget.md).
  var QUEUED = (window.Botaz && Array.isArray(window.Botaz.q)) ? window.Botaz.q.slice() : [];

  // ---------------------------------------------------------------------------------------------
  // Strings
  // ---------------------------------------------------------------------------------------------

  var STRINGS = {
    en: {
      openChat: "Open chat",
      closeChat: "Close chat",
      unread: function (n) { return n === 1 ? "1 unread message" : n + " unread messages"; },
      minimize: "Minimize chat",
      defaultTitle: "Chat with us",
      defaultGreeting: "Hi there! How can we help you today?",
      online: "We're online",
      away: "Away",
      offlineNote: "We're away right now — leave a message and we'll get back to you",
      messages: "Messages",
      message: "Message",
      placeholder: "Write a message…",
      send: "Send",
      attach: "Attach file",
      you: "You:",
      agent: "Agent:",
      sending: "Sending",
      sent: "Sent",
      seen: "Seen",
      failed: "Not sent",
      agentTyping: "Agent is typing…",
      reconnecting: "Reconnecting…",
      connecting: "Connecting…",
      banned: "You can't send messages in this chat",
      bannedHint: "This conversation has been closed by the website.",
      preformIntro: "Before we start, please tell us a little about yourself.",
      name: "Name",
      email: "Email",
      phone: "Phone",
      startChat: "Start chat",
      uploading: function (name) { return "Uploading " + name + "…"; },
      download: "Download",
      genericError: "Something went wrong. Please try again.",
      networkError: "Can't reach the chat right now. Please try again in a moment.",
      poweredBy: "Powered by botaz",
      awayEmail: "We're away right now. Leave your email and we'll reply by email, usually within a few hours.",
      yourEmail: "Your email",
      saveEmail: "Save",
      emailSaved: function (e) { return "Thanks! We'll reply to " + e + "."; },
      badEmail: "Please enter a valid email address.",
      transcript: "Email me this conversation",
      sendTranscript: "Send",
      cancel: "Cancel",
      transcriptSent: function (e) { return "We've sent this conversation to " + e + "."; },
      tooOften: "You've asked for this too often. Please try again later.",
      rateTitle: "How was this conversation?",
      rateScore: ["1 of 5: very poor", "2 of 5: poor", "3 of 5: okay", "4 of 5: good",
        "5 of 5: excellent"],
      rateComment: "Anything to add? (optional)",
      rateSend: "Send rating",
      rateNeedScore: "Choose from 1 to 5 stars first.",
      rateThanks: "Thank you for your feedback!"
    },
    az: {
      openChat: "Söhbəti aç",
      closeChat: "Söhbəti bağla",
      unread: function (n) { return n + " oxunmamış mesaj"; },
      minimize: "Söhbəti kiçilt",
      defaultTitle: "Bizə yazın",
      defaultGreeting: "Salam! Sizə necə kömək edə bilərik?",
      online: "Onlayndayıq",
      away: "Hazırda yoxuq",
      offlineNote: "Hazırda yerimizdə deyilik — mesajınızı qoyun, sizə mütləq cavab verəcəyik",
      messages: "Mesajlar",
      message: "Mesaj",
      placeholder: "Mesajınızı yazın…",
      send: "Göndər",
      attach: "Fayl əlavə et",
      you: "Siz:",
      agent: "Operator:",
      sending: "Göndərilir",
      sent: "Göndərildi",
      seen: "Baxılıb",
      failed: "Göndərilmədi",
      agentTyping: "Operator yazır…",
      reconnecting: "Yenidən qoşulur…",
      connecting: "Qoşulur…",
      banned: "Bu söhbətdə mesaj göndərə bilməzsiniz",
      bannedHint: "Bu söhbət sayt tərəfindən bağlanıb.",
      preformIntro: "Başlamazdan əvvəl, zəhmət olmasa, özünüz haqqında qısa məlumat verin.",
      name: "Ad",
      email: "E-poçt",
      phone: "Telefon",
      startChat: "Söhbətə başla",
      uploading: function (name) { return name + " yüklənir…"; },
      download: "Yüklə",
      genericError: "Xəta baş verdi. Zəhmət olmasa, yenidən cəhd edin.",
      networkError: "Hazırda söhbətə qoşulmaq mümkün deyil. Bir azdan yenidən cəhd edin.",
      poweredBy: "botaz ilə işləyir",
      awayEmail: "Hazırda burada deyilik. E-poçtunuzu qoyun, adətən bir neçə saat ərzində e-poçtla cavab yazacağıq.",
      yourEmail: "E-poçtunuz",
      saveEmail: "Yadda saxla",
      emailSaved: function (e) { return "Təşəkkürlər! Cavabı " + e + " ünvanına yazacağıq."; },
      badEmail: "Zəhmət olmasa, düzgün e-poçt ünvanı yazın.",
      transcript: "Bu söhbəti e-poçtuma göndər",
      sendTranscript: "Göndər",
      cancel: "Ləğv et",
      transcriptSent: function (e) { return "Söhbət " + e + " ünvanına göndərildi."; },
      tooOften: "Bunu çox tez-tez istədiniz. Bir az sonra yenidən cəhd edin.",
      rateTitle: "Söhbəti necə qiymətləndirirsiniz?",
      rateScore: ["5-dən 1: çox pis", "5-dən 2: pis", "5-dən 3: normal", "5-dən 4: yaxşı",
        "5-dən 5: əla"],
      rateComment: "Əlavə etmək istədiyiniz var? (istəyə bağlı)",
      rateSend: "Qiyməti göndər",
      rateNeedScore: "Əvvəlcə 1-dən 5-ə qədər ulduz seçin.",
      rateThanks: "Rəyiniz üçün təşəkkür edirik!"
    },
    ru: {
      openChat: "Открыть чат",
      closeChat: "Закрыть чат",
      unread: function (n) {
        var d = n % 10, h = n % 100;
        var w = d === 1 && h !== 11 ? "непрочитанное сообщение"
          : d >= 2 && d <= 4 && (h < 12 || h > 14) ? "непрочитанных сообщения" : "непрочитанных сообщений";
        return n + " " + w;
      },
      minimize: "Свернуть чат",
      defaultTitle: "Напишите нам",
      defaultGreeting: "Здравствуйте! Чем мы можем помочь?",
      online: "Мы на связи",
      away: "Нет на месте",
      offlineNote: "Сейчас нас нет на месте — оставьте сообщение, и мы ответим",
      messages: "Сообщения",
      message: "Сообщение",
      placeholder: "Напишите сообщение…",
      send: "Отправить",
      attach: "Прикрепить файл",
      you: "Вы:",
      agent: "Оператор:",
      sending: "Отправляется",
      sent: "Отправлено",
      seen: "Прочитано",
      failed: "Не отправлено",
      agentTyping: "Оператор печатает…",
      reconnecting: "Переподключение…",
      connecting: "Подключение…",
      banned: "Вы не можете писать в этот чат",
      bannedHint: "Сайт закрыл этот разговор.",
      preformIntro: "Прежде чем начать, расскажите немного о себе.",
      name: "Имя",
      email: "Эл. почта",
      phone: "Телефон",
      startChat: "Начать чат",
      uploading: function (name) { return "Загрузка " + name + "…"; },
      download: "Скачать",
      genericError: "Что-то пошло не так. Попробуйте ещё раз.",
      networkError: "Чат сейчас недоступен. Попробуйте ещё раз чуть позже.",
      poweredBy: "Работает на botaz",
      awayEmail: "Сейчас нас нет на месте. Оставьте адрес эл. почты — обычно мы отвечаем в течение нескольких часов.",
      yourEmail: "Ваша эл. почта",
      saveEmail: "Сохранить",
      emailSaved: function (e) { return "Спасибо! Мы ответим на " + e + "."; },
      badEmail: "Введите правильный адрес эл. почты.",
      transcript: "Отправить мне этот разговор",
      sendTranscript: "Отправить",
      cancel: "Отмена",
      transcriptSent: function (e) { return "Мы отправили этот разговор на " + e + "."; },
      tooOften: "Слишком много запросов. Попробуйте позже.",
      rateTitle: "Как прошёл разговор?",
      rateScore: ["1 из 5: очень плохо", "2 из 5: плохо", "3 из 5: нормально", "4 из 5: хорошо",
        "5 из 5: отлично"],
      rateComment: "Хотите что-то добавить? (необязательно)",
      rateSend: "Отправить оценку",
      rateNeedScore: "Сначала выберите от 1 до 5 звёзд.",
      rateThanks: "Спасибо за отзыв!"
    },
    tr: {
      openChat: "Sohbeti aç",
      closeChat: "Sohbeti kapat",
      unread: function (n) { return n + " okunmamış mesaj"; },
      minimize: "Sohbeti küçült",
      defaultTitle: "Bize yazın",
      defaultGreeting: "Merhaba! Size nasıl yardımcı olabiliriz?",
      online: "Çevrimiçiyiz",
      away: "Şu an yokuz",
      offlineNote: "Şu an burada değiliz — mesajınızı bırakın, size dönüş yapacağız",
      messages: "Mesajlar",
      message: "Mesaj",
      placeholder: "Bir mesaj yazın…",
      send: "Gönder",
      attach: "Dosya ekle",
      you: "Siz:",
      agent: "Temsilci:",
      sending: "Gönderiliyor",
      sent: "Gönderildi",
      seen: "Görüldü",
      failed: "Gönderilemedi",
      agentTyping: "Temsilci yazıyor…",
      reconnecting: "Yeniden bağlanıyor…",
      connecting: "Bağlanıyor…",
      banned: "Bu sohbete mesaj gönderemezsiniz",
      bannedHint: "Bu sohbet web sitesi tarafından kapatıldı.",
      preformIntro: "Başlamadan önce lütfen kendinizden biraz bahsedin.",
      name: "Ad",
      email: "E-posta",
      phone: "Telefon",
      startChat: "Sohbeti başlat",
      uploading: function (name) { return name + " yükleniyor…"; },
      download: "İndir",
      genericError: "Bir şeyler ters gitti. Lütfen tekrar deneyin.",
      networkError: "Sohbete şu an ulaşılamıyor. Lütfen biraz sonra tekrar deneyin.",
      poweredBy: "botaz ile çalışır",
      awayEmail: "Şu an burada değiliz. E-postanızı bırakın, genellikle birkaç saat içinde e-postayla yanıtlarız.",
      yourEmail: "E-postanız",
      saveEmail: "Kaydet",
      emailSaved: function (e) { return "Teşekkürler! " + e + " adresine yanıt vereceğiz."; },
      badEmail: "Lütfen geçerli bir e-posta adresi girin.",
      transcript: "Bu sohbeti bana e-postayla gönder",
      sendTranscript: "Gönder",
      cancel: "İptal",
      transcriptSent: function (e) { return "Bu sohbeti " + e + " adresine gönderdik."; },
      tooOften: "Bunu çok sık istediniz. Lütfen daha sonra tekrar deneyin.",
      rateTitle: "Bu sohbet nasıldı?",
      rateScore: ["5 üzerinden 1: çok kötü", "5 üzerinden 2: kötü", "5 üzerinden 3: idare eder",
        "5 üzerinden 4: iyi", "5 üzerinden 5: mükemmel"],
      rateComment: "Eklemek istediğiniz bir şey var mı? (isteğe bağlı)",
      rateSend: "Puanı gönder",
      rateNeedScore: "Önce 1 ile 5 arasında yıldız seçin.",
      rateThanks: "Geri bildiriminiz için teşekkürler!"
    }
  };

  // ---------------------------------------------------------------------------------------------
  // Where we come from
  // ---------------------------------------------------------------------------------------------

  function findScript() {
    var s = document.currentScript;
    if (s && s.hasAttribute && s.hasAttribute("data-site-key")) return s;
    var all = document.querySelectorAll("script[data-site-key]");
    for (var i = all.length - 1; i >= 0; i--) {
      if (/\/widget\.js([?#].*)?$/.test(all[i].src)) return all[i];
    }
    return all.length ? all[all.length - 1] : null;
  }

  var script = findScript();
  if (!script || !script.getAttribute("data-site-key")) {
    if (window.console) console.warn("botaz: no <script data-site-key> found; widget not started");
    return;
  }
  var SITE_KEY = script.getAttribute("data-site-key");
  var PAGE_MODE = script.getAttribute("data-mode") === "page";
  // A conversation link to take over, once: from botaz's page, or #botaz-link= in this page's URL.
  var LINK = script.getAttribute("data-link") || linkFromUrl();

  function linkFromUrl() {
    var m = /(?:^#|&)botaz-link=([A-Za-z0-9_-]{20,200})(?:&|$)/.exec(location.hash || "");
    if (!m) return null;
    // Out of the address bar (and bookmarks, and the page's own analytics) at once.
    var rest = location.hash.replace(m[0], m[0].charAt(0) === "#" ? "#" : "").replace(/^#&?$/, "");
    try {
      history.replaceState(history.state, "", location.pathname + location.search + rest);
    } catch (e) { /* sandboxed: harmless */ }
    return m[1];
  }
  var BASE = new URL(".", script.src || location.href).href; // e.g. https://chat.example/
  var WS_BASE = BASE.replace(/^http/, "ws");

  function pickLang() {
    var attr = (script.getAttribute("data-lang") || "").toLowerCase();
    var langs = ["az", "en", "ru", "tr"];
    for (var i = 0; i < langs.length; i++) if (attr.indexOf(langs[i]) === 0) return langs[i];
    var nav = (navigator.language || (navigator.languages && navigator.languages[0]) || "")
      .toLowerCase();
    for (var j = 0; j < langs.length; j++) if (nav.indexOf(langs[j]) === 0) return langs[j];
    return "en";
  }
  var LANG = pickLang();
  // Emails to visitors are written in az or en (docs/email.md): other widget languages get en.
  var MAIL_LANG = LANG === "az" ? "az" : "en";
  var T = STRINGS[LANG];

  function endpoint(path) {
    return new URL(path.replace(/^\//, ""), BASE).href;
  }

  // ---------------------------------------------------------------------------------------------
  // Storage (localStorage may be unavailable: private modes, sandboxed frames)
  // ---------------------------------------------------------------------------------------------

  var STORE_KEY = "botaz:" + SITE_KEY + ":visitor";
  var memoryStore = null;

  function loadSaved() {
    var raw = null;
    try { raw = window.localStorage.getItem(STORE_KEY); } catch (e) { raw = memoryStore; }
    if (!raw) return null;
    try {
      var v = JSON.parse(raw);
      if (v && typeof v.visitorId === "string" && typeof v.visitorToken === "string") return v;
    } catch (e) { /* ignore */ }
    return null;
  }

  function save(v) {
    var raw = JSON.stringify({ visitorId: v.visitorId, visitorToken: v.visitorToken,
      userId: v.userId || null });
    memoryStore = raw;
    try { window.localStorage.setItem(STORE_KEY, raw); } catch (e) { /* memory only */ }
  }

  function forget() {
    memoryStore = null;
    try { window.localStorage.removeItem(STORE_KEY); } catch (e) { /* ignore */ }
  }

  // ---------------------------------------------------------------------------------------------
  // HTTP
  // ---------------------------------------------------------------------------------------------

  var session = null; // {visitorId, visitorToken}

  /** fetch() to the botaz server; resolves {status, data} (data: parsed JSON or null). */
  function request(method, path, opts) {
    opts = opts || {};
    var headers = {};
    var token = opts.token || (session && session.visitorToken);
    if (token && opts.auth !== false) headers.Authorization = "Bearer " + token;
    var body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    } else if (opts.body !== undefined) {
      body = opts.body;
      for (var k in opts.headers) headers[k] = opts.headers[k];
    }
    return fetch(endpoint(path), {
      method: method, headers: headers, body: body, mode: "cors", credentials: "omit",
      cache: "no-store"
    }).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { status: res.status, ok: res.ok, data: data };
      });
    });
  }

  function errorMessage(r) {
    return (r && r.data && typeof r.data.message === "string" && r.data.message) || T.genericError;
  }

  // ---------------------------------------------------------------------------------------------
  // DOM helpers (text only: message data never goes through innerHTML)
  // ---------------------------------------------------------------------------------------------

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) continue;
        if (k === "text") el.textContent = v;
        else if (k === "class") el.className = v;
        else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? "" : String(v));
      }
    }
    if (children) {
      for (var i = 0; i < children.length; i++) {
        var c = children[i];
        if (c === null || c === undefined) continue;
        el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
      }
    }
    return el;
  }

  // Web and email addresses in messages become links; only http, https and mailto ever do.
  var LINK_RE = /\b(?:https?:\/\/[^\s<>"]+|mailto:[^\s<>"]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)/gi;
  var TRAILING = /[.,;:!?'"\u00bb)\]]+$/;

  function linkTarget(raw) {
    var candidate = /^(https?:|mailto:)/i.test(raw) ? raw : "mailto:" + raw;
    try {
      var u = new URL(candidate);
      return u.protocol === "http:" || u.protocol === "https:" || u.protocol === "mailto:" ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  function linkify(text) {
    var out = [], last = 0, match;
    LINK_RE.lastIndex = 0;
    while ((match = LINK_RE.exec(text)) !== null) {
      var raw = match[0].replace(TRAILING, "");
      // A closing bracket that balances one inside the URL belongs to it: .../wiki/Baku_(city)
      if (match[0].charAt(raw.length) === ")" &&
          raw.split("(").length > raw.split(")").length) raw += ")";
      var href = raw && linkTarget(raw);
      if (!href) continue;
      if (match.index > last) out.push(text.slice(last, match.index));
      out.push(h("a", { href: href, target: "_blank", rel: "noopener noreferrer nofollow", text: raw }));
      last = match.index + raw.length;
      LINK_RE.lastIndex = last;
    }
    if (last < text.length) out.push(text.slice(last));
    return out;
  }

  // Static, trusted SVG icons (constants of this file, never data).
  var ICONS = {
    chat: '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false"><path fill="currentColor" d="M12 3C6.5 3 2 6.9 2 11.7c0 2.5 1.2 4.7 3.2 6.3-.1 1.3-.6 2.7-1.7 3.8-.2.2-.1.6.2.6 2.2 0 4-.8 5.2-1.7 1 .3 2 .4 3.1.4 5.5 0 10-3.9 10-8.7S17.5 3 12 3Z"/></svg>',
    close: '<svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true" focusable="false"><path fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" d="M6 6l12 12M18 6 6 18"/></svg>',
    chevron: '<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false"><path fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round" d="m6 9 6 6 6-6"/></svg>',
    send: '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="currentColor" d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z"/></svg>',
    clip: '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" d="m21 11.5-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.6-8.6a3.7 3.7 0 0 1 5.2 5.2l-8.6 8.6a1.8 1.8 0 0 1-2.6-2.6l7.9-7.9"/></svg>',
    file: '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" d="M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8zM14 3v5h5"/></svg>',
    lock: '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M6 11h12v9H6zM8.5 11V8a3.5 3.5 0 0 1 7 0v3"/></svg>'
  };

  function icon(name) {
    var span = document.createElement("span");
    span.className = "icon";
    span.innerHTML = ICONS[name];
    return span;
  }

  // ---------------------------------------------------------------------------------------------
  // Styles (all inside the shadow root)
  // ---------------------------------------------------------------------------------------------

  var CSS = [
    ":host{all:initial !important;display:block !important;position:static !important}",
    "*,*::before,*::after{box-sizing:border-box}",
    "[hidden]{display:none !important}",
    ".root{--bz-accent:#2563eb;--bz-on-accent:#ffffff;--bz-bg:#ffffff;--bz-soft:#f4f5f8;",
    "  --bz-text:#1f2330;--bz-muted:#5b6170;--bz-border:#e3e5eb;--bz-radius:18px;",
    "  font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,'Noto Sans',sans-serif;",
    "  font-size:15px;line-height:1.45;color:var(--bz-text);-webkit-font-smoothing:antialiased;",
    "  text-align:left;direction:ltr;font-weight:400;letter-spacing:normal}",
    "button,input,textarea{font:inherit;color:inherit;letter-spacing:inherit}",
    "button{cursor:pointer}",
    ".sr{position:absolute !important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;",
    "  clip:rect(0 0 0 0);white-space:nowrap;border:0}",

    /* launcher */
    ".launcher{position:fixed;right:24px;bottom:24px;z-index:2147483000;width:60px;height:60px;",
    "  border:0;border-radius:50%;background:var(--bz-accent);color:var(--bz-on-accent);",
    "  display:flex;align-items:center;justify-content:center;padding:0;",
    "  box-shadow:0 6px 20px rgba(17,24,39,.22),0 2px 6px rgba(17,24,39,.14);",
    "  transition:transform .18s ease,box-shadow .18s ease}",
    ".launcher:hover{transform:translateY(-2px) scale(1.03);box-shadow:0 10px 26px rgba(17,24,39,.26),0 3px 8px rgba(17,24,39,.16)}",
    ".launcher:focus-visible{outline:3px solid var(--bz-accent);outline-offset:3px}",
    ".launcher .icon{display:flex}",
    ".badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;",
    "  border-radius:11px;background:#d92d20;color:#fff;font-size:12px;font-weight:700;",
    "  line-height:22px;text-align:center;box-shadow:0 0 0 2px #fff}",

    /* panel */
    ".root.left .launcher{right:auto;left:24px}",
    ".root.left .panel{right:auto;left:24px}",
    ".panel{position:fixed;right:24px;bottom:100px;z-index:2147483001;width:380px;",
    "  height:min(640px,calc(100vh - 124px));max-height:calc(100vh - 124px);",
    "  display:flex;flex-direction:column;overflow:hidden;background:var(--bz-bg);",
    "  border-radius:var(--bz-radius);box-shadow:0 18px 50px rgba(17,24,39,.24),0 4px 12px rgba(17,24,39,.12);",
    "  transform-origin:bottom right;animation:bz-in .18s ease-out}",
    "@keyframes bz-in{from{opacity:0;transform:translateY(8px) scale(.98)}to{opacity:1;transform:none}}",
    "@media (prefers-reduced-motion:reduce){.panel,.launcher,.dots span{animation:none !important;transition:none !important}}",

    ".header{display:flex;align-items:center;gap:12px;padding:16px 14px 16px 18px;",
    "  background:var(--bz-accent);color:var(--bz-on-accent);flex:none}",
    ".avatar{width:40px;height:40px;border-radius:50%;flex:none;display:flex;align-items:center;",
    "  justify-content:center;font-weight:700;font-size:17px;background:rgba(255,255,255,.2);",
    "  box-shadow:inset 0 0 0 2px rgba(255,255,255,.35)}",
    ".on-dark .avatar{background:rgba(0,0,0,.12);box-shadow:inset 0 0 0 2px rgba(0,0,0,.2)}",
    ".heading{flex:1;min-width:0}",
    ".title{margin:0;font-size:16.5px;font-weight:650;line-height:1.25;white-space:nowrap;",
    "  overflow:hidden;text-overflow:ellipsis}",
    ".presence{display:flex;align-items:center;gap:6px;font-size:12.5px;opacity:.95;margin-top:2px;",
    "  min-width:0;padding-left:2px}",
    ".presence>span:last-child{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    ".dot{width:8px;height:8px;border-radius:50%;background:#9aa0ac;flex:none;",
    "  box-shadow:0 0 0 2px rgba(255,255,255,.55)}",
    ".dot.online{background:#22c55e}",
    ".iconbtn{border:0;background:transparent;color:inherit;width:38px;height:38px;border-radius:10px;",
    "  display:flex;align-items:center;justify-content:center;padding:0;flex:none}",
    ".header .iconbtn:hover{background:rgba(255,255,255,.18)}",
    ".on-dark .header .iconbtn:hover{background:rgba(0,0,0,.08)}",
    ".header .iconbtn:focus-visible{outline:2px solid currentColor;outline-offset:1px}",

    ".notice{margin:12px 14px 0;padding:10px 12px;border-radius:12px;font-size:13.5px;flex:none}",
    ".notice.offline{background:#fff6dc;color:#6b4500;border:1px solid #f5dfa0}",

    ".log{flex:1;min-height:0;overflow-y:auto;padding:16px 14px 8px;background:var(--bz-bg);",
    "  display:flex;flex-direction:column;gap:10px;overscroll-behavior:contain}",
    ".row{display:flex;flex-direction:column;max-width:82%}",
    ".row.theirs{align-self:flex-start;align-items:flex-start}",
    ".row.mine{align-self:flex-end;align-items:flex-end}",
    ".bubble{padding:9px 13px;border-radius:18px;white-space:pre-wrap;overflow-wrap:anywhere;",
    "  word-break:break-word}",
    ".theirs .bubble{background:var(--bz-soft);color:var(--bz-text);border-bottom-left-radius:6px}",
    ".mine .bubble{background:var(--bz-accent);color:var(--bz-on-accent);border-bottom-right-radius:6px}",
    ".bubble a{color:inherit;text-decoration:underline;overflow-wrap:anywhere}",
    // Sending and failed rows keep their text's contrast: the meta line says which they are.
    ".row.failed .bubble{background:var(--bz-soft);color:var(--bz-text);box-shadow:inset 0 0 0 1.5px #b42318}",
    ".meta{display:flex;align-items:center;gap:4px;font-size:11.5px;color:var(--bz-muted);",
    "  margin:3px 6px 0}",
    ".tick{font-size:12px;letter-spacing:-3px;padding-right:3px;color:var(--bz-muted)}",
    ".tick.seen{color:#1f7a4d}",
    ".failed .meta{color:#b42318}",
    ".greeting .bubble{background:var(--bz-soft)}",
    ".bubble img{display:block;max-width:100%;max-height:260px;border-radius:12px;margin:2px 0;",
    "  background:rgba(0,0,0,.06);min-width:60px;min-height:40px;object-fit:contain}",
    ".bubble.media{padding:4px}",
    ".bubble.media img{margin:0;border-radius:14px}",
    ".bubble.media .text{display:block;padding:5px 9px 3px}",
    ".mine .bubble.media{border-bottom-right-radius:6px}",
    ".file{display:flex;align-items:center;gap:8px;color:inherit;text-decoration:none;font-weight:600}",
    ".file:hover .fname{text-decoration:underline}",
    ".file:focus-visible{outline:2px solid currentColor;outline-offset:2px;border-radius:6px}",
    ".fsize{font-weight:400;opacity:.8;font-size:12.5px}",
    ".ficon{width:34px;height:34px;border-radius:9px;display:flex;align-items:center;",
    "  justify-content:center;background:rgba(255,255,255,.22);flex:none}",
    ".theirs .ficon{background:#fff;box-shadow:inset 0 0 0 1px var(--bz-border)}",

    ".typing{display:flex;align-items:center;gap:8px;padding:2px 20px 6px;font-size:12.5px;",
    "  color:var(--bz-muted);flex:none;min-height:0}",
    ".dots{display:inline-flex;gap:3px}",
    ".dots span{width:5px;height:5px;border-radius:50%;background:currentColor;animation:bz-dot 1.2s infinite}",
    ".dots span:nth-child(2){animation-delay:.15s}.dots span:nth-child(3){animation-delay:.3s}",
    "@keyframes bz-dot{0%,60%,100%{opacity:.3;transform:none}30%{opacity:1;transform:translateY(-2px)}}",

    ".status{flex:none;text-align:center;font-size:12.5px;padding:5px 10px;background:#fff4e5;",
    "  color:#8a3b00;border-top:1px solid #fde0b8}",
    ".error{flex:none;margin:0 14px 8px;padding:8px 12px;border-radius:10px;background:#fef0ef;",
    "  color:#a4221a;font-size:13.5px;border:1px solid #f9cfcb}",

    ".composer{flex:none;display:flex;align-items:flex-end;gap:6px;padding:10px 10px 10px 12px;",
    "  border-top:1px solid var(--bz-border);background:var(--bz-bg)}",
    ".composer textarea{flex:1;min-width:0;resize:none;border:1px solid var(--bz-border);",
    "  border-radius:14px;padding:9px 12px;min-height:42px;max-height:132px;line-height:1.4;",
    "  background:var(--bz-soft);outline:none;color:var(--bz-text);font-size:15px;display:block}",
    ".composer textarea::placeholder{color:#5f6672}",
    ".composer textarea:focus{border-color:var(--bz-accent);background:#fff;",
    "  box-shadow:0 0 0 3px color-mix(in srgb,var(--bz-accent) 22%,transparent)}",
    ".composer .iconbtn{color:var(--bz-muted);width:42px;height:42px;border-radius:12px}",
    ".composer .iconbtn:hover{background:var(--bz-soft);color:var(--bz-text)}",
    ".composer .iconbtn:focus-visible,.sendbtn:focus-visible{outline:2px solid var(--bz-accent);outline-offset:2px}",
    ".sendbtn{flex:none;width:42px;height:42px;border:0;border-radius:12px;padding:0;display:flex;",
    "  align-items:center;justify-content:center;background:var(--bz-accent);color:var(--bz-on-accent);",
    "  transition:filter .15s ease}",
    ".sendbtn:hover{filter:brightness(1.08)}",
    ".sendbtn:disabled{opacity:.55;cursor:default;filter:none}",

    ".preform{flex:none;padding:14px 16px 16px;border-top:1px solid var(--bz-border);background:var(--bz-bg);",
    "  display:flex;flex-direction:column;gap:10px}",
    ".preform p{margin:0;font-size:14px;color:var(--bz-text)}",
    ".field{display:flex;flex-direction:column;gap:4px}",
    ".field label{font-size:13px;font-weight:600;color:var(--bz-text)}",
    ".field input{border:1px solid #c9ccd5;border-radius:10px;padding:9px 11px;background:#fff;",
    "  color:var(--bz-text);outline:none;font-size:15px}",
    ".field input:focus{border-color:var(--bz-accent);box-shadow:0 0 0 3px color-mix(in srgb,var(--bz-accent) 22%,transparent)}",
    ".primary{border:0;border-radius:12px;padding:11px 14px;font-weight:650;background:var(--bz-accent);",
    "  color:var(--bz-on-accent)}",
    ".primary:hover{filter:brightness(1.08)}",
    ".primary:focus-visible{outline:2px solid var(--bz-accent);outline-offset:2px}",
    ".primary:disabled{opacity:.6;cursor:default}",
    ".preform .error{margin:0}",

    ".banned{flex:none;display:flex;gap:10px;align-items:flex-start;margin:0;padding:14px 16px;",
    "  border-top:1px solid var(--bz-border);background:var(--bz-soft);color:var(--bz-text);font-size:14px}",
    ".banned strong{display:block;font-weight:650}",
    ".banned span.hint{color:var(--bz-muted);font-size:13px}",
    /* email: the offline form and the transcript request */
    ".mailform{display:flex;gap:6px;margin-top:8px;flex-wrap:wrap}",
    ".mailform input{flex:1;min-width:0;border:1px solid #c9ccd5;border-radius:10px;padding:7px 10px;",
    "  background:#fff;color:var(--bz-text);outline:none;font-size:14px}",
    ".mailform input:focus{border-color:var(--bz-accent);box-shadow:0 0 0 3px color-mix(in srgb,var(--bz-accent) 22%,transparent)}",
    ".mailform .primary{padding:7px 12px;font-size:14px}",
    ".mailnote{margin:6px 0 0;font-size:13px}",
    ".formlabel{flex-basis:100%;font-size:12.5px;font-weight:600}",
    ".mailbar{flex:none;padding:0 14px 6px;background:var(--bz-bg);font-size:13px;color:var(--bz-text)}",
    ".linkbtn{background:none;border:0;padding:2px 0;color:var(--bz-text);text-decoration:underline;font-size:12.5px}",
    ".linkbtn:focus-visible{outline:2px solid var(--bz-accent);outline-offset:2px;border-radius:4px}",
    /* rating after a resolved conversation */
    ".rating{flex:none;margin:0;padding:12px 16px 14px;border-top:1px solid var(--bz-border);",
    "  background:var(--bz-soft);display:flex;flex-direction:column;gap:8px}",
    ".rating fieldset{border:0;margin:0;padding:0;min-width:0}",
    ".rating legend{font-weight:650;font-size:14px;padding:0;margin-bottom:6px}",
    ".stars{display:flex;gap:4px}",
    ".stars label{cursor:pointer;font-size:26px;line-height:1;color:#6b7180;padding:2px 3px;border-radius:8px}",
    ".stars label.lit{color:#b45309}",
    ".stars input:focus-visible+label{outline:2px solid var(--bz-accent);outline-offset:1px}",
    ".rating textarea{border:1px solid #c9ccd5;border-radius:10px;padding:8px 10px;background:#fff;",
    "  color:var(--bz-text);resize:vertical;min-height:38px;max-height:120px;font-size:14px}",
    ".rating .clabel{font-size:13px;font-weight:600}",
    ".rating .primary{align-self:flex-start;padding:8px 14px}",
    ".rating .thanks{margin:0;font-weight:600}",
    ".rating .error{margin:0}",
    ".footer{flex:none;text-align:center;font-size:11px;color:#6b7180;padding:0 0 8px;background:var(--bz-bg)}",

    /* phones: the panel takes the whole screen */
    "@media (max-width:479.98px){",
    "  .panel{inset:0;right:0;bottom:0;width:100%;height:100%;max-height:none;border-radius:0;",
    "    animation:none}",
    "  .open .launcher{display:none}",
    "  .launcher{right:16px;bottom:16px}",
    "  .root.left .launcher{right:auto;left:16px}",
    "  .root.left .panel{left:0;right:0}",
    "  .row{max-width:88%}",
    "  .composer textarea,.field input{font-size:16px}", /* no zoom-on-focus on iOS */
    "}",

    /* a page of its own (the conversation link's page): the panel is the page */
    ":host([data-mode=page]){height:100% !important}",
    ".root.page{height:100%}",
    ".page .panel{position:static;width:100%;height:100%;max-height:none;border-radius:0;",
    "  box-shadow:none;animation:none}",
    ".page .launcher,.page .header .iconbtn{display:none}"
  ].join("\n");

  // ---------------------------------------------------------------------------------------------
  // Colours
  // ---------------------------------------------------------------------------------------------

  function luminance(hex) {
    var n = parseInt(hex.slice(1), 16);
    var rgb = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map(function (c) {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
  }

  /** White or near-black text, whichever contrasts more with the accent colour. */
  function onColor(hex) {
    var l = luminance(hex);
    var white = 1.05 / (l + 0.05);
    var dark = (l + 0.05) / (luminance("#111827") + 0.05);
    return white >= dark ? "#ffffff" : "#111827";
  }

  // ---------------------------------------------------------------------------------------------
  // UI
  // ---------------------------------------------------------------------------------------------

  var host = document.createElement("botaz-widget");
  host.setAttribute("data-site-key", SITE_KEY);
  var shadow = host.attachShadow({ mode: "open" });
  shadow.appendChild(h("style", { text: CSS }));

  var ui = {};
  ui.root = h("div", { class: "root", lang: LANG });
  shadow.appendChild(ui.root);

  ui.launcherIcon = icon("chat");
  ui.badge = h("span", { class: "badge", "aria-hidden": "true", hidden: true });
  ui.launcher = h("button", {
    type: "button", class: "launcher", "aria-label": T.openChat, "aria-expanded": "false",
    "aria-haspopup": "dialog", onclick: function () { toggle(); }
  }, [ui.launcherIcon, ui.badge]);

  ui.avatar = h("div", { class: "avatar", "aria-hidden": "true", text: "" });
  ui.title = h("h2", { class: "title", id: "botaz-title" });
  ui.dot = h("span", { class: "dot", "aria-hidden": "true" });
  ui.presenceText = h("span", { text: "" });
  ui.presence = h("div", { class: "presence" }, [ui.dot, ui.presenceText]);
  ui.minimize = h("button", {
    type: "button", class: "iconbtn", "aria-label": T.minimize, title: T.minimize,
    onclick: function () { close(); }
  }, [icon("chevron")]);
  ui.header = h("div", { class: "header" }, [
    ui.avatar, h("div", { class: "heading" }, [ui.title, ui.presence]), ui.minimize
  ]);

  ui.offlineText = h("span", { text: T.offlineNote });
  ui.offline = h("div", { class: "notice offline", role: "note", hidden: true }, [ui.offlineText]);
  // The offline form (shown while nobody is available and the server sends email).
  ui.awayEmail = h("input", { type: "email", name: "email", autocomplete: "email", required: true,
    "aria-label": T.yourEmail, placeholder: T.yourEmail, maxlength: "254" });
  ui.awaySave = h("button", { type: "submit", class: "primary", text: T.saveEmail });
  // Its controls join the page only while they are usable, so that the page's other "email"
  // fields (the pre-chat form) keep their labels to themselves.
  ui.awayForm = h("form", { class: "mailform", novalidate: true }, [ui.awayEmail, ui.awaySave]);
  ui.awayNote = h("p", { class: "mailnote", role: "status" });
  // "Email me this conversation".
  ui.transcriptOpen = h("button", { type: "button", class: "linkbtn", text: T.transcript,
    "aria-expanded": "false" });
  ui.transcriptEmail = h("input", { type: "email", name: "email", autocomplete: "email", required: true,
    "aria-label": T.yourEmail, placeholder: T.yourEmail, maxlength: "254" });
  ui.transcriptForm = h("form", { class: "mailform", novalidate: true, "aria-label": T.transcript }, [
    h("span", { class: "formlabel", text: T.transcript }),
    ui.transcriptEmail, h("button", { type: "submit", class: "primary", text: T.sendTranscript }),
    h("button", { type: "button", class: "linkbtn", text: T.cancel,
      onclick: function () { showTranscriptForm(false); } })
  ]);
  ui.transcriptNote = h("p", { class: "mailnote", role: "status" });
  ui.mailbar = h("div", { class: "mailbar", hidden: true }, [ui.transcriptOpen, ui.transcriptNote]);

  ui.log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": T.messages,
    tabindex: "0" });
  ui.greeting = h("div", { class: "row theirs greeting", hidden: true }, [
    h("div", { class: "bubble" })
  ]);
  ui.log.appendChild(ui.greeting);

  ui.typing = h("div", { class: "typing", role: "status", hidden: true }, [
    h("span", { class: "dots", "aria-hidden": "true" }, [h("span"), h("span"), h("span")]),
    h("span", { text: T.agentTyping })
  ]);
  ui.status = h("div", { class: "status", role: "status", hidden: true, text: T.reconnecting });
  ui.error = h("div", { class: "error", role: "alert", hidden: true });

  ui.fileInput = h("input", { type: "file", hidden: true, tabindex: "-1", "aria-hidden": "true" });
  ui.attach = h("button", {
    type: "button", class: "iconbtn", "aria-label": T.attach, title: T.attach,
    onclick: function () { ui.fileInput.click(); }
  }, [icon("clip")]);
  ui.textarea = h("textarea", {
    rows: "1", "aria-label": T.message, placeholder: T.placeholder, maxlength: "10000",
    autocomplete: "off", enterkeyhint: "send"
  });
  ui.send = h("button", {
    type: "button", class: "sendbtn", "aria-label": T.send, title: T.send,
    onclick: function () { sendFromComposer(); }
  }, [icon("send")]);
  ui.composer = h("div", { class: "composer" }, [ui.fileInput, ui.attach, ui.textarea, ui.send]);

  ui.preform = h("form", { class: "preform", hidden: true, novalidate: true });
  ui.banned = h("div", { class: "banned", role: "status", hidden: true }, [
    icon("lock"),
    h("div", null, [h("strong", { text: T.banned }), h("span", { class: "hint", text: T.bannedHint })])
  ]);
  ui.footer = h("div", { class: "footer", "aria-hidden": "true", text: T.poweredBy });

  // Rating: five radio buttons drawn as stars, an optional comment, shown when resolved.
  ui.stars = [];
  var starBox = h("div", { class: "stars" });
  for (var si = 1; si <= 5; si++) {
    var radio = h("input", { type: "radio", name: "botaz-score", value: String(si), class: "sr",
      id: "botaz-star-" + si });
    var starLabel = h("label", { for: "botaz-star-" + si, title: T.rateScore[si - 1] }, [
      h("span", { "aria-hidden": "true", text: "★" }), h("span", { class: "sr", text: T.rateScore[si - 1] })
    ]);
    radio.addEventListener("change", function () { paintStars(); ui.rateError.hidden = true; });
    ui.stars.push(radio);
    starBox.appendChild(radio);
    starBox.appendChild(starLabel);
  }
  ui.rateComment = h("textarea", { id: "botaz-rate-comment", rows: "2", maxlength: "1000" });
  ui.rateError = h("p", { class: "error", role: "alert", hidden: true });
  ui.rateForm = h("form", { class: "rating", hidden: true, novalidate: true }, [
    h("fieldset", null, [h("legend", { text: T.rateTitle }), starBox]),
    h("label", { class: "clabel", for: "botaz-rate-comment", text: T.rateComment }),
    ui.rateComment, ui.rateError,
    h("button", { type: "submit", class: "primary", text: T.rateSend })
  ]);
  ui.rateThanks = h("div", { class: "rating", role: "status", hidden: true }, [
    h("p", { class: "thanks", text: T.rateThanks })
  ]);

  ui.panel = h("div", {
    class: "panel", role: "dialog", "aria-label": T.defaultTitle, hidden: true, id: "botaz-panel"
  }, [ui.header, ui.offline, ui.log, ui.typing, ui.status, ui.error, ui.rateForm, ui.rateThanks,
      ui.preform, ui.composer, ui.banned, ui.mailbar, ui.footer]);
  ui.launcher.setAttribute("aria-controls", "botaz-panel");

  ui.root.appendChild(ui.panel);
  ui.root.appendChild(ui.launcher);

  // ---------------------------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------------------------

  var config = null;
  var visitor = null;
  var banned = false;
  var isOpen = false;
  var unread = 0;
  var byId = Object.create(null); // _id -> {msg, el}
  var blobUrls = Object.create(null); // attachment url -> Promise<blob: URL>
  var lastSeenPosted = null;
  var sessionPromise = null;

  // ---------------------------------------------------------------------------------------------
  // Config and header
  // ---------------------------------------------------------------------------------------------

  function applyConfig() {
    var w = (config && config.widget) || {};
    var title = (typeof w.title === "string" && w.title.trim()) ||
      (config && typeof config.accountName === "string" && config.accountName) || T.defaultTitle;
    ui.title.textContent = title;
    ui.avatar.textContent = title.trim().charAt(0).toUpperCase() || "?";
    ui.panel.setAttribute("aria-label", title);
    ui.root.classList.toggle("left", w.position === "left");
    var color = typeof w.color === "string" && /^#[0-9a-fA-F]{6}$/.test(w.color) ? w.color : null;
    if (color) {
      var on = onColor(color);
      ui.root.style.setProperty("--bz-accent", color);
      ui.root.style.setProperty("--bz-on-accent", on);
      ui.root.classList.toggle("on-dark", on !== "#ffffff");
    }
    var greeting = config ? (typeof w.greeting === "string" ? w.greeting : T.defaultGreeting)
      : T.defaultGreeting;
    ui.greeting.firstChild.textContent = greeting;
    ui.greeting.hidden = !greeting.trim();
    // Presence is only shown once the server has said whether someone is there.
    ui.presence.hidden = !config || typeof config.online !== "boolean";
    ui.offline.hidden = !config || config.online !== false;
    ui.dot.classList.toggle("online", !!(config && config.online));
    ui.presenceText.textContent = config && config.online ? T.online : T.away;
    applyEmail();
    updateMode();
  }

  function loadConfig() {
    return request("GET", "/widget/v1/config?siteKey=" + encodeURIComponent(SITE_KEY),
      { auth: false }).then(function (r) {
      if (r.ok && r.data && typeof r.data === "object") {
        config = r.data;
        applyConfig();
      }
    }).catch(function () { /* keep defaults */ });
  }

  // ---------------------------------------------------------------------------------------------
  // Modes: pre-chat form, chat, banned
  // ---------------------------------------------------------------------------------------------

  function preformFields() {
    var p = config && config.preform;
    if (!p || !p.enabled || !Array.isArray(p.fields)) return [];
    return p.fields.filter(function (f) { return f === "name" || f === "email" || f === "phone"; });
  }

  function needsPreform() {
    return !banned && !!visitor && !visitor.preformFilled && preformFields().length > 0;
  }

  var preformBuiltFor = "";

  function buildPreform() {
    var fields = preformFields();
    var key = fields.join(",");
    if (key === preformBuiltFor) return;
    preformBuiltFor = key;
    ui.preform.textContent = "";
    ui.preform.appendChild(h("p", { text: T.preformIntro }));
    var types = { name: "text", email: "email", phone: "tel" };
    var autocompletes = { name: "name", email: "email", phone: "tel" };
    fields.forEach(function (f) {
      var id = "botaz-pf-" + f;
      ui.preform.appendChild(h("div", { class: "field" }, [
        h("label", { for: id, text: T[f] }),
        h("input", { id: id, name: f, type: types[f], autocomplete: autocompletes[f],
          required: true, maxlength: f === "email" ? "254" : f === "phone" ? "50" : "200",
          value: (visitor && visitor[f]) || null })
      ]));
    });
    ui.preformError = h("div", { class: "error", role: "alert", hidden: true });
    ui.preform.appendChild(ui.preformError);
    ui.preformSubmit = h("button", { type: "submit", class: "primary", text: T.startChat });
    ui.preform.appendChild(ui.preformSubmit);
  }

  function updateMode() {
    var mode = banned ? "banned" : needsPreform() ? "preform" : "chat";
    if (mode === "preform") buildPreform();
    var hadFocus = shadow.activeElement;
    ui.preform.hidden = mode !== "preform";
    ui.composer.hidden = mode !== "chat";
    ui.banned.hidden = mode !== "banned";
    if (mode === "banned") {
      ui.status.hidden = true;
      ui.typing.hidden = true;
    }
    // If the control that had focus disappeared, put focus somewhere sensible.
    if (isOpen && hadFocus && (hadFocus.closest("[hidden]") || !hadFocus.isConnected)) focusPanel();
  }

  ui.preform.addEventListener("submit", function (e) {
    e.preventDefault();
    var body = {};
    var invalid = null;
    preformFields().forEach(function (f) {
      var input = ui.preform.querySelector('input[name="' + f + '"]');
      body[f] = input.value.trim();
      if (!invalid && !input.checkValidity()) invalid = input;
    });
    if (invalid) {
      ui.preformError.textContent = invalid.validationMessage ||
        (T[invalid.name] + ": " + T.genericError);
      ui.preformError.hidden = false;
      invalid.focus();
      return;
    }
    ui.preformError.hidden = true;
    ui.preformSubmit.disabled = true;
    ensureSession().then(function () {
      return request("POST", "/widget/v1/preform", { json: body });
    }).then(function (r) {
      ui.preformSubmit.disabled = false;
      if (r.ok && r.data) {
        setVisitor(r.data);
        if (!needsPreform()) ui.textarea.focus();
        return;
      }
      if (r.status === 403) return setBanned();
      if (r.status === 401) return renewVisitor();
      ui.preformError.textContent = errorMessage(r);
      ui.preformError.hidden = false;
    }).catch(function () {
      ui.preformSubmit.disabled = false;
      ui.preformError.textContent = T.networkError;
      ui.preformError.hidden = false;
    });
  });

  function setVisitor(v) {
    if (!v || typeof v !== "object") return;
    visitor = v;
    applyEmail();
    if (v.banned) return setBanned();
    updateMode();
  }

  function setBanned() {
    if (banned) return;
    banned = true;
    applyEmail();
    clearTimeout(reconnectTimer);
    if (ws) { var s = ws; ws = null; try { s.close(1000); } catch (e) { /* ignore */ } }
    ui.status.hidden = true;
    updateMode();
  }

  // ---------------------------------------------------------------------------------------------
  // Email: the offline form and "Email me this conversation" (docs/email.md)
  // ---------------------------------------------------------------------------------------------

  function mailEnabled() { return !!(config && config.email && config.email.enabled); }

  function applyEmail() {
    var on = mailEnabled();
    var texts = (config && config.email && config.email.offlineMessage) || {};
    var custom = typeof texts[LANG] === "string" ? texts[LANG].trim() : "";
    ui.offlineText.textContent = on ? (custom || T.awayEmail) : T.offlineNote;
    if (on && !banned) {
      if (!ui.awayForm.parentNode) { ui.offline.appendChild(ui.awayForm); ui.offline.appendChild(ui.awayNote); }
    } else {
      ui.awayForm.remove();
      ui.awayNote.remove();
    }
    if (visitor && visitor.email && !ui.awayEmail.value) ui.awayEmail.value = visitor.email;
    if (visitor && visitor.email && !ui.transcriptEmail.value) ui.transcriptEmail.value = visitor.email;
    ui.mailbar.hidden = !on || banned;
  }

  function validEmail(input) {
    var value = input.value.trim();
    return value && input.checkValidity() && /^[^@\s]+@[^@\s]+\.[^@\s.]+$/.test(value) ? value : null;
  }

  function mailCall(path, body, note, onOk) {
    return ensureSession().then(function () {
      return request("POST", path, { json: body });
    }).then(function (r) {
      if (r.ok) return onOk(r.data);
      if (r.status === 403) return setBanned();
      if (r.status === 401) return renewVisitor();
      note.textContent = r.status === 429 ? T.tooOften : errorMessage(r);
    }).catch(function () { note.textContent = T.networkError; });
  }

  ui.awayForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var email = validEmail(ui.awayEmail);
    if (!email) {
      ui.awayNote.textContent = T.badEmail;
      ui.awayEmail.setAttribute("aria-invalid", "true");
      ui.awayEmail.focus();
      return;
    }
    ui.awayEmail.removeAttribute("aria-invalid");
    ui.awaySave.disabled = true;
    mailCall("/widget/v1/email", { email: email, locale: MAIL_LANG }, ui.awayNote, function (v) {
      if (v) visitor = v;
      ui.awayNote.textContent = T.emailSaved(email);
      if (!ui.transcriptEmail.value) ui.transcriptEmail.value = email;
    }).then(function () { ui.awaySave.disabled = false; });
  });

  function showTranscriptForm(show) {
    if (show) ui.mailbar.insertBefore(ui.transcriptForm, ui.transcriptNote);
    else ui.transcriptForm.remove();
    ui.transcriptOpen.hidden = show;
    ui.transcriptOpen.setAttribute("aria-expanded", show ? "true" : "false");
    if (show) {
      ui.transcriptNote.textContent = "";
      ui.transcriptEmail.focus();
    } else {
      ui.transcriptOpen.focus();
    }
  }
  ui.transcriptOpen.addEventListener("click", function () { showTranscriptForm(true); });

  ui.transcriptForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var email = validEmail(ui.transcriptEmail);
    if (!email) {
      ui.transcriptNote.textContent = T.badEmail;
      ui.transcriptEmail.setAttribute("aria-invalid", "true");
      ui.transcriptEmail.focus();
      return;
    }
    ui.transcriptEmail.removeAttribute("aria-invalid");
    var submit = ui.transcriptForm.querySelector("button[type=submit]");
    submit.disabled = true;
    mailCall("/widget/v1/transcript", { email: email, locale: MAIL_LANG }, ui.transcriptNote, function () {
      ui.transcriptForm.remove();
      ui.transcriptOpen.hidden = false;
      ui.transcriptOpen.setAttribute("aria-expanded", "false");
      ui.transcriptNote.textContent = T.transcriptSent(email);
    }).then(function () { submit.disabled = false; });
  });

  // ---------------------------------------------------------------------------------------------
  // Open / close
  // ---------------------------------------------------------------------------------------------

  function focusPanel() {
    var target = null;
    if (!ui.preform.hidden) target = ui.preform.querySelector("input");
    else if (!ui.composer.hidden) target = ui.textarea;
    (target || ui.minimize).focus();
  }

  function open() {
    if (isOpen) return;
    isOpen = true;
    if (phone && phone.matches) ui.panel.setAttribute("aria-modal", "true");
    else ui.panel.removeAttribute("aria-modal");
    ui.panel.hidden = false;
    ui.root.classList.add("open");
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.launcherIcon.innerHTML = ICONS.close;
    unread = 0;
    updateLauncherLabel();
    focusPanel();
    scrollToBottom(true);
    // A first open is what makes a new visitor (see "Startup" below); the rating form of a
    // conversation resolved while the visitor was away is asked for on the first open too.
    ensureSession().then(checkRatingOnce, function () { /* shown when sending */ });
    loadConfig(); // refresh "online"
    maybeSeen();
    emit("open");
  }

  function close() {
    if (!isOpen || PAGE_MODE) return;
    isOpen = false;
    ui.panel.hidden = true;
    ui.root.classList.remove("open");
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcherIcon.innerHTML = ICONS.chat;
    updateLauncherLabel();
    stopTyping();
    ui.launcher.focus();
    emit("close");
  }

  function toggle() {
    if (isOpen) close(); else open();
  }

  function updateLauncherLabel() {
    var label = isOpen ? T.closeChat : T.openChat;
    if (!isOpen && unread > 0) label += " (" + T.unread(unread) + ")";
    ui.launcher.setAttribute("aria-label", label);
    ui.badge.textContent = unread > 99 ? "99+" : String(unread);
    ui.badge.hidden = isOpen || unread === 0;
    if (unread !== unreadEmitted) { unreadEmitted = unread; emit("unread", unread); }
  }
  var unreadEmitted = 0;

  var phone = window.matchMedia ? window.matchMedia("(max-width: 479.98px)") : null;

  ui.panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !e.defaultPrevented) {
      e.preventDefault();
      close();
      return;
    }
    // Full screen on phones: Tab cycles inside the panel instead of the hidden page behind it.
    if (e.key === "Tab" && phone && phone.matches) {
      var items = Array.prototype.filter.call(
        ui.panel.querySelectorAll("button,textarea,input,a[href],[tabindex='0']"),
        function (el) { return !el.disabled && el.tabIndex >= 0 && el.getClientRects().length; });
      if (!items.length) return;
      var first = items[0], last = items[items.length - 1];
      var active = shadow.activeElement;
      if (e.shiftKey && active === first) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && active === last) { e.preventDefault(); first.focus(); }
    }
  });
  ui.launcher.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && isOpen) { e.preventDefault(); close(); }
  });

  // ---------------------------------------------------------------------------------------------
  // Messages
  // ---------------------------------------------------------------------------------------------

  function isMine(m) { return m.userId === null || m.userId === undefined; }

  function formatTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    try {
      return d.toLocaleTimeString(LANG === "az" ? "az-AZ" : undefined,
        { hour: "2-digit", minute: "2-digit" });
    } catch (e) {
      return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
    }
  }

  function formatSize(n) {
    if (typeof n !== "number" || !isFinite(n)) return "";
    if (n < 1024) return n + " B";
    if (n < 1024 * 1024) return Math.round(n / 1024) + " KB";
    return (n / 1024 / 1024).toFixed(1) + " MB";
  }

  function authedBlobUrl(url) {
    var abs = new URL(url, BASE).href;
    if (!blobUrls[abs]) {
      blobUrls[abs] = fetch(abs, {
        headers: { Authorization: "Bearer " + session.visitorToken }, mode: "cors",
        credentials: "omit"
      }).then(function (res) {
        if (!res.ok) throw new Error("HTTP " + res.status);
        return res.blob();
      }).then(function (blob) {
        return URL.createObjectURL(blob);
      });
      blobUrls[abs].catch(function () { delete blobUrls[abs]; });
    }
    return blobUrls[abs];
  }

  function renderAttachment(att) {
    var name = typeof att.name === "string" && att.name ? att.name : "file";
    var type = typeof att.type === "string" ? att.type : "";
    if (/^image\//i.test(type) && att.url) {
      var img = h("img", { alt: name, class: "att-img", decoding: "async" });
      authedBlobUrl(att.url).then(function (src) {
        img.src = src;
        img.addEventListener("load", function () { scrollToBottom(false); }, { once: true });
      }).catch(function () { img.alt = name; });
      return img;
    }
    var link = h("a", { class: "file", href: att.url ? new URL(att.url, BASE).href : "#",
      download: name, rel: "noopener" }, [
      h("span", { class: "ficon" }, [icon("file")]),
      h("span", null, [
        h("span", { class: "fname", text: name }),
        att.size !== undefined ? h("span", { class: "fsize", text: " · " + formatSize(att.size) })
          : null,
        h("span", { class: "sr", text: " (" + T.download + ")" })
      ])
    ]);
    link.addEventListener("click", function (e) {
      if (!att.url || link.getAttribute("href").indexOf("blob:") === 0) return;
      e.preventDefault();
      authedBlobUrl(att.url).then(function (src) {
        link.setAttribute("href", src);
        link.click();
      }).catch(function () { showError(T.genericError); });
    });
    return link;
  }

  function fillRow(row, m) {
    var mine = isMine(m);
    row.className = "row " + (mine ? "mine" : "theirs");
    row.textContent = "";
    var bubble = h("div", { class: "bubble" });
    bubble.appendChild(h("span", { class: "sr", text: (mine ? T.you : T.agent) + " " }));
    var att = m.attachment && typeof m.attachment === "object" ? m.attachment : null;
    if (att) {
      if (/^image\//i.test(att.type || "") && att.url) bubble.classList.add("media");
      var box = h("span", { class: "att" });
      box.appendChild(renderAttachment(att));
      bubble.appendChild(box);
    }
    if (typeof m.text === "string" && m.text && !(att && m.text === att.name)) {
      bubble.appendChild(h("span", { class: "text" }, linkify(m.text)));
    }
    row.appendChild(bubble);
    var meta = h("div", { class: "meta" });
    var time = formatTime(m.sentAt);
    if (time) meta.appendChild(h("time", { datetime: m.sentAt, text: time }));
    if (mine) {
      meta.appendChild(m.seen
        ? h("span", { class: "tick seen", role: "img", "aria-label": T.seen, title: T.seen, text: "✓✓" })
        : h("span", { class: "tick", role: "img", "aria-label": T.sent, title: T.sent, text: "✓" }));
    }
    row.appendChild(meta);
    row.setAttribute("data-id", m._id);
    row.setAttribute("data-sent", m.sentAt || "");
  }

  function nearBottom() {
    return ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 120;
  }

  // Whether the log follows new content: true unless the visitor has scrolled up to read.
  var stick = true;
  ui.log.addEventListener("scroll", function () {
    if (ui.log.clientHeight) stick = nearBottom();
  }, { passive: true });

  function scrollToBottom(force) {
    if (!force && !stick) return;
    ui.log.scrollTop = ui.log.scrollHeight;
    stick = true;
  }

  // The log shrinks when the typing line, a status or the keyboard appears: stay at the bottom.
  if (window.ResizeObserver) {
    new ResizeObserver(function () { if (stick) ui.log.scrollTop = ui.log.scrollHeight; })
      .observe(ui.log);
  }

  /** Where a message sent at `sentAt` belongs: after greeting, before pending rows. */
  function insertRow(row, sentAt) {
    var after = null;
    for (var el = ui.log.lastElementChild; el; el = el.previousElementSibling) {
      if (el === ui.greeting) { after = el; break; }
      if (el.classList.contains("pending") || el.classList.contains("failed")) continue;
      if ((el.getAttribute("data-sent") || "") <= sentAt) { after = el; break; }
    }
    if (after) after.after(row); else ui.log.prepend(row);
  }

  /** Adds or updates a server message; returns true when it was new. */
  function upsert(m, fromPending) {
    if (!m || typeof m._id !== "string") return false;
    var wasBottom = stick;
    var known = byId[m._id];
    if (known) {
      known.msg = m;
      fillRow(known.el, m);
      if (fromPending && fromPending !== known.el) fromPending.remove();
      return false;
    }
    var row = fromPending || h("div");
    row.classList.remove("pending", "failed");
    fillRow(row, m);
    byId[m._id] = { msg: m, el: row };
    if (fromPending) fromPending.remove(); // re-sorted below like any other message
    insertRow(row, m.sentAt || "");
    if (wasBottom || isMine(m)) scrollToBottom(true);
    if (!loadingHistory) emit("message", m);
    return true;
  }

  function removeMessage(m) {
    var known = m && byId[m._id];
    if (!known) return;
    known.el.remove();
    delete byId[m._id];
  }

  function clearMessages() {
    Object.keys(byId).forEach(function (id) { byId[id].el.remove(); });
    byId = Object.create(null);
    Array.prototype.slice.call(ui.log.querySelectorAll(".pending,.failed")).forEach(function (el) {
      el.remove();
    });
    lastSeenPosted = null;
  }

  function lastMessageId() {
    for (var el = ui.log.lastElementChild; el; el = el.previousElementSibling) {
      var id = el.getAttribute("data-id");
      if (id && byId[id]) return id;
    }
    return null;
  }

  function newestAgentMessage() {
    for (var el = ui.log.lastElementChild; el; el = el.previousElementSibling) {
      var id = el.getAttribute("data-id");
      if (id && byId[id] && !isMine(byId[id].msg)) return byId[id].msg;
    }
    return null;
  }

  function maybeSeen() {
    if (!isOpen || document.visibilityState !== "visible" || !session || banned) return;
    var m = newestAgentMessage();
    if (!m || m.seen || m._id === lastSeenPosted) return;
    lastSeenPosted = m._id;
    request("POST", "/widget/v1/seen", { json: { messageId: m._id } }).then(function (r) {
      if (!r.ok) {
        if (lastSeenPosted === m._id) lastSeenPosted = null;
        if (r.status === 403) setBanned();
      }
    }).catch(function () { if (lastSeenPosted === m._id) lastSeenPosted = null; });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      maybeSeen();
      if (session && !ws && !banned) { attempts = 0; connect(); }
    }
  });

  // ---------------------------------------------------------------------------------------------
  // Errors shown above the composer
  // ---------------------------------------------------------------------------------------------

  var errorTimer = null;
  function showError(text) {
    ui.error.textContent = text;
    ui.error.hidden = false;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(function () { ui.error.hidden = true; }, 8000);
  }
  function hideError() { ui.error.hidden = true; clearTimeout(errorTimer); }

  // ---------------------------------------------------------------------------------------------
  // Session: the visitor, its history and its socket
  // ---------------------------------------------------------------------------------------------

  function navigatorInfo() {
    return {
      siteKey: SITE_KEY,
      userAgent: navigator.userAgent || null,
      appName: navigator.appName || null,
      appVersion: navigator.appVersion || null,
      platform: navigator.platform || null,
      cookieEnabled: typeof navigator.cookieEnabled === "boolean" ? navigator.cookieEnabled : null
    };
  }

  function createVisitor() {
    return request("POST", "/widget/v1/visitors", { json: navigatorInfo(), auth: false })
      .then(function (r) {
        if (r.status !== 201 || !r.data || !r.data.visitorToken) {
          var err = new Error(errorMessage(r));
          err.status = r.status;
          throw err;
        }
        session = { visitorId: r.data.visitorId, visitorToken: r.data.visitorToken };
        save(session);
        freshVisitor = true;
        return r.data.visitor || null;
      });
  }

  /** A conversation link becomes this browser's visitor (docs/email.md); null: not usable. */
  function takeLink() {
    var token = LINK;
    LINK = null;
    return request("POST", "/widget/v1/link", { json: { token: token, siteKey: SITE_KEY }, auth: false })
      .then(function (r) {
        if (r.status === 200 && r.data && r.data.visitorToken) {
          session = { visitorId: r.data.visitorId, visitorToken: r.data.visitorToken };
          save(session);
          if (!PAGE_MODE) setTimeout(open, 0);
          return r.data.visitor || null;
        }
        if (PAGE_MODE) { // the page has nothing else to show: say why, never start a new visitor
          var err = new Error(errorMessage(r));
          err.status = r.status === 410 ? 404 : r.status;
          showError(err.message);
          throw err;
        }
        return null;
      });
  }

  /** Restores the saved visitor or creates one; loads history; connects. Retries on failure. */
  function startSession() {
    if (LINK) {
      return takeLink().then(function (v) {
        if (v === null) return startSession();
        return afterSession(v);
      });
    }
    var saved = loadSaved();
    var step;
    if (saved) {
      step = request("GET", "/widget/v1/me", { token: saved.visitorToken }).then(function (r) {
        if (r.status === 200) { session = saved; return r.data; }
        if (r.status === 403) { session = saved; return { banned: true }; }
        if (r.status === 401 || r.status === 404) { forget(); return createVisitor(); }
        var err = new Error(errorMessage(r));
        err.status = r.status;
        throw err;
      });
    } else {
      step = createVisitor();
    }
    return step.then(afterSession);
  }

  function afterSession(v) {
    if (v && v.banned) { visitor = v._id ? v : visitor; setBanned(); return; }
    setVisitor(v);
    ratingChecked = freshVisitor; // a visitor made just now has no conversation to rate
    freshVisitor = false;
    return loadHistory().then(function () {
      connect();
      trackPage();
      if (isOpen) checkRatingOnce();
    });
  }

  var freshVisitor = false;
  var ratingChecked = false; // per visitor: asked on the first open, not on every page
  function checkRatingOnce() {
    if (ratingChecked || !session || banned) return;
    ratingChecked = true;
    checkRating();
  }

  var sessionRetry = 0;
  function ensureSession() {
    if (!sessionPromise) {
      sessionPromise = startSession().catch(function (err) {
        // Server unreachable or erroring: try again later (and on the next open).
        sessionPromise = null;
        if (err && (err.status === 400 || err.status === 404)) {
          // A wrong site key will not get better by retrying.
          if (window.console) console.warn("botaz: " + err.message);
          throw err;
        }
        var delay = Math.min(30000, 1000 * Math.pow(2, sessionRetry++));
        setTimeout(function () {
          if (!sessionPromise) ensureSession().catch(function () { /* retried again */ });
        }, delay);
        throw err;
      });
      sessionPromise.then(function () { sessionRetry = 0; }, function () {});
    }
    return sessionPromise;
  }

  var loadingHistory = false;
  function loadHistory() {
    return request("GET", "/widget/v1/messages").then(function (r) {
      if (r.status === 403) return setBanned();
      if (r.status === 401) throw Object.assign(new Error("token"), { status: 401 });
      if (!r.ok || !Array.isArray(r.data)) return;
      loadingHistory = true;
      try { r.data.forEach(function (m) { upsert(m); }); } finally { loadingHistory = false; }
      scrollToBottom(true);
      maybeSeen();
    });
  }

  /** The server no longer knows our token: start over as a new visitor. */
  var renewing = null;
  function renewVisitor() {
    if (renewing) return renewing;
    forget();
    if (ws) { var s = ws; ws = null; try { s.close(1000); } catch (e) { /* ignore */ } }
    clearTimeout(reconnectTimer);
    clearMessages();
    session = null;
    visitor = null;
    sessionPromise = null;
    renewing = ensureSession().then(function () { renewing = null; },
      function () { renewing = null; });
    return renewing;
  }

  // ---------------------------------------------------------------------------------------------
  // Rating (asked when the account wants it and the conversation is resolved)
  // ---------------------------------------------------------------------------------------------

  function paintStars() {
    var chosen = 0;
    ui.stars.forEach(function (r) { if (r.checked) chosen = Number(r.value); });
    ui.stars.forEach(function (r) {
      r.nextSibling.classList.toggle("lit", Number(r.value) <= chosen);
    });
  }

  function showRating(on) {
    if (on && banned) on = false;
    if (on && ui.rateForm.hidden) {
      ui.stars.forEach(function (r) { r.checked = false; });
      ui.rateComment.value = "";
      ui.rateError.hidden = true;
      paintStars();
    }
    ui.rateForm.hidden = !on;
    if (on) ui.rateThanks.hidden = true;
  }

  function checkRating() {
    return request("GET", "/widget/v1/rating").then(function (r) {
      if (r.ok && r.data) showRating(!!r.data.ask);
    }).catch(function () { /* asked again on the next resolution */ });
  }

  ui.rateForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var score = 0;
    ui.stars.forEach(function (r) { if (r.checked) score = Number(r.value); });
    if (!score) {
      ui.rateError.textContent = T.rateNeedScore;
      ui.rateError.hidden = false;
      ui.stars[0].focus();
      return;
    }
    var comment = ui.rateComment.value.trim();
    request("POST", "/widget/v1/rating", { json: { score: score, comment: comment || null } })
      .then(function (r) {
        if (!r.ok) {
          ui.rateError.textContent = errorMessage(r);
          ui.rateError.hidden = false;
          return;
        }
        ui.rateForm.hidden = true;
        ui.rateThanks.hidden = false;
        if (isOpen) ui.textarea.focus();
      }).catch(function () {
        ui.rateError.textContent = T.networkError;
        ui.rateError.hidden = false;
      });
  });

  // ---------------------------------------------------------------------------------------------
  // Realtime
  // ---------------------------------------------------------------------------------------------

  var ws = null;
  var attempts = 0;
  var reconnectTimer = null;
  var stableTimer = null;

  function setDown(down) {
    ui.status.hidden = !down || banned;
  }

  function connect() {
    if (!session || banned || ws) return;
    clearTimeout(reconnectTimer);
    var opened = false;
    var sock;
    try {
      sock = new WebSocket(WS_BASE + "widget/v1/ws?token=" + encodeURIComponent(session.visitorToken));
    } catch (e) {
      scheduleReconnect();
      return;
    }
    ws = sock;
    sock.onopen = function () {
      if (ws !== sock) return;
      opened = true;
      // Back off afresh only once the socket has proved stable (a server that accepts and
      // drops us at once must not make us hammer it every half second).
      stableTimer = setTimeout(function () { attempts = 0; }, 5000);
      setDown(false);
      sock.send(JSON.stringify({ type: "resume", after: lastMessageId() }));
    };
    sock.onmessage = function (e) {
      if (ws !== sock) return;
      var frame;
      try { frame = JSON.parse(e.data); } catch (err) { return; }
      if (frame && typeof frame.event === "string") handleEvent(frame.event, frame.data);
    };
    sock.onerror = function () { /* a close event follows */ };
    sock.onclose = function (e) {
      if (ws !== sock) return;
      clearTimeout(stableTimer);
      ws = null;
      typingSent = false;
      showAgentTyping(false);
      if (e.code === 4403) return setBanned();
      if (e.code === 4401) return renewVisitor();
      setDown(true);
      if (!opened) {
        // The upgrade was refused (or the server is down): ask why before retrying.
        request("GET", "/widget/v1/me").then(function (r) {
          if (r.status === 403) return setBanned();
          if (r.status === 401) return renewVisitor();
          scheduleReconnect();
        }).catch(scheduleReconnect);
      } else {
        scheduleReconnect();
      }
    };
  }

  function scheduleReconnect() {
    if (banned || !session || ws) return;
    clearTimeout(reconnectTimer);
    var max = Math.min(10000, 500 * Math.pow(2, attempts));
    attempts++;
    var delay = max / 2 + Math.random() * max / 2; // jitter
    setDown(true);
    reconnectTimer = setTimeout(connect, delay);
  }

  window.addEventListener("online", function () {
    if (session && !ws && !banned) { attempts = 0; connect(); }
  });

  var agentTypingTimer = null;
  function showAgentTyping(on) {
    clearTimeout(agentTypingTimer);
    ui.typing.hidden = !on || banned;
    if (on) agentTypingTimer = setTimeout(function () { ui.typing.hidden = true; }, 8000);
  }

  function handleEvent(name, data) {
    if (!data || typeof data !== "object") return;
    switch (name) {
      case "message.created":
        if (session && data.visitorId && data.visitorId !== session.visitorId) return;
        // a new message opens the next conversation: the last one's rating is behind us
        if (!byId[data._id]) { showRating(false); ui.rateThanks.hidden = true; }
        if (upsert(data, isMine(data) && !byId[data._id] ? pendingFor(data) : null) &&
            !isMine(data)) {
          showAgentTyping(false);
          if (!isOpen) { unread++; updateLauncherLabel(); } else maybeSeen();
        }
        break;
      case "message.updated":
        if (byId[data._id]) upsert(data);
        break;
      case "message.deleted":
        removeMessage(data);
        break;
      case "visitor.updated":
        if (!session || data._id === session.visitorId) setVisitor(data);
        break;
      case "typing":
        if (data.userId) showAgentTyping(!!data.typing);
        break;
      case "availability": // an agent went Online or Away, or business hours began or ended
        if (config && typeof data.online === "boolean") {
          config.online = data.online;
          applyConfig();
        }
        break;
      case "conversation.rating_requested":
        showRating(true);
        break;
      case "error":
        // E.g. the resume point is unknown: fall back to reloading the conversation.
        loadHistory().catch(function () { /* the next reconnect tries again */ });
        break;
    }
  }

  function wsSend(obj) {
    if (ws && ws.readyState === 1) {
      try { ws.send(JSON.stringify(obj)); return true; } catch (e) { /* ignore */ }
    }
    return false;
  }

  // Visitor typing: true at most every 2 s while typing, false after 3 s idle or on send.
  var typingSent = false;
  var lastTypingAt = 0;
  var typingIdleTimer = null;

  function noteTyping() {
    var now = Date.now();
    if (!typingSent || now - lastTypingAt >= 2000) {
      if (wsSend({ type: "typing", typing: true })) { typingSent = true; lastTypingAt = now; }
    }
    clearTimeout(typingIdleTimer);
    typingIdleTimer = setTimeout(stopTyping, 3000);
  }

  function stopTyping() {
    clearTimeout(typingIdleTimer);
    if (typingSent) wsSend({ type: "typing", typing: false });
    typingSent = false;
    lastTypingAt = 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Composer
  // ---------------------------------------------------------------------------------------------

  function autosize() {
    ui.textarea.style.height = "auto";
    ui.textarea.style.height = Math.min(ui.textarea.scrollHeight + 2, 132) + "px";
  }

  ui.textarea.addEventListener("input", function () {
    autosize();
    if (ui.textarea.value.trim()) noteTyping(); else stopTyping();
  });

  ui.textarea.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      sendFromComposer();
    }
  });

  /** The echo of our own message can beat the POST's answer: it takes over the pending row. */
  function pendingFor(m) {
    var rows = ui.log.querySelectorAll(".row.pending");
    for (var i = 0; i < rows.length; i++) {
      if (rows[i]._bzText === m.text) return rows[i];
    }
    return null;
  }

  function pendingRow(text, match) {
    var row = h("div", { class: "row mine pending" }, [
      h("div", { class: "bubble" }, [h("span", { class: "text", text: text })]),
      h("div", { class: "meta" }, [h("span", { class: "tick", role: "img", "aria-label": T.sending,
        title: T.sending, text: "…" })])
    ]);
    row._bzText = match === undefined ? text : match;
    ui.log.appendChild(row);
    scrollToBottom(true);
    return row;
  }

  function failRow(row) {
    row.classList.remove("pending");
    row.classList.add("failed");
    var meta = row.querySelector(".meta");
    meta.textContent = T.failed;
  }

  function sendFromComposer() {
    if (banned || ui.composer.hidden) return;
    var text = ui.textarea.value;
    if (!text.trim()) { ui.textarea.focus(); return; }
    ui.textarea.value = "";
    autosize();
    stopTyping();
    hideError();
    var row = pendingRow(text);
    sendText(text, row, true);
  }

  function sendText(text, row, retryOnAuth) {
    return ensureSession().then(function () {
      return request("POST", "/widget/v1/messages", { json: { text: text } });
    }).then(function (r) {
      if (r.status === 201 && r.data) { upsert(r.data, row); return; }
      if (r.status === 403) { row.remove(); setBanned(); return; }
      if (r.status === 401 && retryOnAuth) {
        return renewVisitor().then(function () { sendText(text, row, false); });
      }
      failRow(row);
      showError(errorMessage(r));
      restoreDraft(text);
    }).catch(function () {
      failRow(row);
      showError(T.networkError);
      restoreDraft(text);
    });
  }

  function restoreDraft(text) {
    if (!ui.textarea.value) { ui.textarea.value = text; autosize(); }
  }

  // Attachments
  ui.fileInput.addEventListener("change", function () {
    var files = Array.prototype.slice.call(ui.fileInput.files || []);
    ui.fileInput.value = "";
    hideError();
    files.reduce(function (p, f) { return p.then(function () { return upload(f); }); },
      Promise.resolve());
  });

  function upload(file) {
    var row = pendingRow(T.uploading(file.name), file.name);
    return ensureSession().then(function () {
      return request("POST", "/widget/v1/attachments", {
        body: file,
        headers: {
          "Content-Type": file.type || "application/octet-stream",
          "X-Filename": encodeURIComponent(file.name)
        }
      });
    }).then(function (r) {
      if (r.status === 201 && r.data) { upsert(r.data, row); return; }
      row.remove();
      if (r.status === 403 && !(r.data && /type|allowed/i.test(r.data.message || ""))) {
        return setBanned();
      }
      showError(errorMessage(r));
    }).catch(function () {
      row.remove();
      showError(T.networkError);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Page tracking
  // ---------------------------------------------------------------------------------------------

  var lastTrackedUrl = null;
  var trackTimer = null;

  function trackPage() {
    if (!session || banned || PAGE_MODE) return; // botaz's own page is not a page of the site
    var url = location.href;
    if (url === lastTrackedUrl) return;
    lastTrackedUrl = url;
    request("POST", "/widget/v1/pages", {
      json: { url: url, title: document.title || "", referrer: document.referrer || "" }
    }).catch(function () { /* ignored */ });
  }

  function scheduleTrack() {
    clearTimeout(trackTimer);
    trackTimer = setTimeout(trackPage, 150); // let the app update document.title first
  }

  (function patchHistory() {
    var orig = history.pushState;
    if (typeof orig !== "function") return;
    history.pushState = function () {
      var result = orig.apply(this, arguments);
      scheduleTrack();
      return result;
    };
    window.addEventListener("popstate", scheduleTrack);
    window.addEventListener("hashchange", scheduleTrack);
  })();

  // ---------------------------------------------------------------------------------------------
  // Search help: the account's published articles, searchable before and during a chat and read
  // in the panel; quick replies under the answer bot's answers (docs/knowledge-base.md)
  // ---------------------------------------------------------------------------------------------

  var HELP_T = {
    en: { search: "Search help", results: "Help articles", none: "No articles found.",
          back: "Back to the chat", open: "Open in a new tab", helped: "That helped",
          person: "Talk to a person", quick: "Quick replies" },
    az: { search: "Köməkdə axtar", results: "Kömək məqalələri", none: "Məqalə tapılmadı.",
          back: "Söhbətə qayıt", open: "Yeni vərəqdə aç", helped: "Bu kömək etdi",
          person: "İnsanla danışmaq", quick: "Tez cavablar" },
    ru: { search: "Поиск по справке", results: "Статьи справки", none: "Статей не найдено.",
          back: "Вернуться в чат", open: "Открыть в новой вкладке", helped: "Это помогло",
          person: "Позвать человека", quick: "Быстрые ответы" },
    tr: { search: "Yardımda ara", results: "Yardım makaleleri", none: "Makale bulunamadı.",
          back: "Sohbete dön", open: "Yeni sekmede aç", helped: "Bu işe yaradı",
          person: "Bir kişiyle konuş", quick: "Hızlı yanıtlar" }
  };
  HELP_T = HELP_T[LANG] || HELP_T.en;
  var HELP_CSS = [
    ".help{flex:none;padding:8px 14px;border-bottom:1px solid var(--bz-border);background:var(--bz-bg)}",
    ".help input{width:100%;box-sizing:border-box;font:inherit;font-size:14px;padding:7px 10px;",
    "  border:1px solid #8a909c;border-radius:10px;background:#fff;color:var(--bz-text)}",
    ".help input:focus{outline:none;border-color:var(--bz-accent);",
    "  box-shadow:0 0 0 3px color-mix(in srgb,var(--bz-accent) 22%,transparent)}",
    ".help ul{list-style:none;margin:6px 0 0;padding:0;max-height:180px;overflow-y:auto}",
    ".help li button{display:block;width:100%;text-align:left;border:0;background:transparent;",
    "  padding:6px 4px;border-radius:8px;font:inherit;font-size:14px;color:var(--bz-text);cursor:pointer}",
    ".help li button:hover,.help li button:focus-visible{background:var(--bz-soft)}",
    ".help li small{display:block;color:var(--bz-muted);font-size:12.5px}",
    ".help .none{margin:6px 0 0;font-size:13px;color:var(--bz-muted)}",
    ".article{flex:1;min-height:0;overflow-y:auto;padding:12px 16px;font-size:14.5px}",
    ".article h3{margin:0 0 8px;font-size:17px}.article img{max-width:100%}",
    ".article a{color:#1d4ed8}.article pre{overflow:auto;background:var(--bz-soft);padding:8px}",
    ".article .bar{display:flex;justify-content:space-between;gap:8px;margin-bottom:8px;font-size:13px}",
    ".article .bar button{border:0;background:transparent;color:#1d4ed8;font:inherit;cursor:pointer;padding:0;text-decoration:underline}",
    ".quick{flex:none;display:flex;gap:8px;flex-wrap:wrap;padding:4px 14px 8px}",
    ".quick button{border:1px solid var(--bz-accent);background:#fff;color:var(--bz-text);border-radius:999px;",
    "  padding:5px 12px;font:inherit;font-size:13.5px;cursor:pointer}"
  ].join("\n");
  var ARTICLE_TAGS = /^(A|P|BR|HR|H[1-6]|STRONG|EM|DEL|CODE|PRE|BLOCKQUOTE|UL|OL|LI|TABLE|THEAD|TBODY|TR|TH|TD|IMG)$/;

  /** The server sanitized the article (nh3); this keeps the same tags again, in an inert parse. */
  function articleNodes(html) {
    var doc = new DOMParser().parseFromString("<div>" + html + "</div>", "text/html");
    var box = doc.body.firstChild;
    Array.prototype.slice.call(box.querySelectorAll("*")).forEach(function (el) {
      if (!ARTICLE_TAGS.test(el.tagName)) { el.replaceWith(doc.createTextNode(el.textContent || "")); return; }
      Array.prototype.slice.call(el.attributes).forEach(function (a) {
        var keep = (a.name === "href" && el.tagName === "A") || (a.name === "src" && el.tagName === "IMG")
          || a.name === "alt" || a.name === "title";
        if (keep && (a.name === "href" || a.name === "src")) keep = /^(https?:|mailto:)/i.test(a.value);
        if (!keep) el.removeAttribute(a.name);
      });
      if (el.tagName === "A") { el.setAttribute("target", "_blank"); el.setAttribute("rel", "noopener noreferrer"); }
    });
    return Array.prototype.slice.call(box.childNodes).map(function (n) { return document.importNode(n, true); });
  }

  if (HELP_T) {
    shadow.appendChild(h("style", { text: HELP_CSS }));
    ui.helpInput = h("input", { type: "search", "aria-label": HELP_T.search, placeholder: HELP_T.search,
      maxlength: "200", autocomplete: "off", "aria-controls": "botaz-help-results" });
    ui.helpResults = h("ul", { id: "botaz-help-results", "aria-label": HELP_T.results, hidden: true });
    ui.helpNone = h("p", { class: "none", role: "status", hidden: true });
    ui.help = h("div", { class: "help", role: "search" }, [ui.helpInput, ui.helpResults, ui.helpNone]);
    ui.article = h("div", { class: "article", hidden: true, tabindex: "-1" });
    ui.quick = h("div", { class: "quick", role: "group", "aria-label": HELP_T.quick, hidden: true });
    ui.panel.insertBefore(ui.help, ui.offline);
    ui.panel.insertBefore(ui.article, ui.log);
    ui.panel.insertBefore(ui.quick, ui.composer);

    var helpTimer = null;
    var helpSeq = 0;
    ui.helpInput.addEventListener("input", function () {
      clearTimeout(helpTimer);
      helpTimer = setTimeout(searchHelp, 250);
    });
    ui.helpInput.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); clearTimeout(helpTimer); searchHelp(); }
    });

    var searchHelp = function () {
      var q = ui.helpInput.value.trim();
      var seq = ++helpSeq;
      if (!q) { ui.helpResults.hidden = true; ui.helpNone.hidden = true; return; }
      request("GET", "/widget/v1/articles?siteKey=" + encodeURIComponent(SITE_KEY) + "&q=" +
        encodeURIComponent(q), { auth: false }).then(function (r) {
        if (seq !== helpSeq) return;
        var items = (r.ok && r.data && r.data.items) || [];
        ui.helpResults.textContent = "";
        items.slice(0, 5).forEach(function (it) {
          ui.helpResults.appendChild(h("li", null, [h("button", {
            type: "button", onclick: function () { openArticle(it._id); }
          }, [it.title, h("small", { text: it.snippet || "" })])]));
        });
        ui.helpResults.hidden = !items.length;
        ui.helpNone.textContent = items.length ? "" : HELP_T.none;
        ui.helpNone.hidden = !!items.length;
      }).catch(function () { /* search is optional */ });
    };

    var openArticle = function (id) {
      request("GET", "/widget/v1/articles/" + encodeURIComponent(id) + "?siteKey=" +
        encodeURIComponent(SITE_KEY), { auth: false }).then(function (r) {
        if (!r.ok || !r.data) return;
        var back = h("button", { type: "button", text: HELP_T.back, onclick: closeArticle });
        var tab = h("a", { href: /^https?:/i.test(r.data.url) ? r.data.url : "#", target: "_blank",
          rel: "noopener noreferrer", text: HELP_T.open });
        ui.article.textContent = "";
        ui.article.appendChild(h("div", { class: "bar" }, [back, tab]));
        ui.article.appendChild(h("h3", { text: r.data.title }));
        articleNodes(r.data.html || "").forEach(function (n) { ui.article.appendChild(n); });
        ui.article.hidden = false;
        ui.log.hidden = true;
        ui.helpResults.hidden = true;
        ui.article.focus();
      }).catch(function () { /* stay where we are */ });
    };

    var closeArticle = function () {
      ui.article.hidden = true;
      ui.article.textContent = "";
      ui.log.hidden = false;
      ui.helpInput.focus();
    };

    // Under the newest message, when it is the answer bot's (it links this site's help centre).
    var helpPath = "/help/" + SITE_KEY + "/";
    var updateQuick = function () {
      var last = null;
      for (var el = ui.log.lastElementChild; el; el = el.previousElementSibling) {
        var id = el.getAttribute("data-id");
        if (id && byId[id]) { last = byId[id].msg; break; }
      }
      var show = !!last && !isMine(last) && typeof last.text === "string" &&
        last.text.indexOf(helpPath) >= 0 && !banned;
      if (show === !ui.quick.hidden) return;
      ui.quick.textContent = "";
      if (show) {
        [HELP_T.helped, HELP_T.person].forEach(function (label) {
          ui.quick.appendChild(h("button", { type: "button", text: label, onclick: function () {
            ui.quick.hidden = true;
            sendText(label, pendingRow(label), true);
          } }));
        });
      }
      ui.quick.hidden = !show;
    };
    new MutationObserver(updateQuick).observe(ui.log, { childList: true });
  }

  // ---------------------------------------------------------------------------------------------
  // Start
  // ---------------------------------------------------------------------------------------------

  // ---------------------------------------------------------------------------------------------
  // The page's API (docs/widget.md): known users, attributes, events
  // ---------------------------------------------------------------------------------------------

  var listeners = {};
  function on(name, fn) {
    if (typeof fn !== "function") return function () {};
    (listeners[name] = listeners[name] || []).push(fn);
    return function () {
      listeners[name] = (listeners[name] || []).filter(function (f) { return f !== fn; });
    };
  }
  function emit(name, value) {
    (listeners[name] || []).slice().forEach(function (fn) {
      try { fn(value); } catch (e) { if (window.console) console.error(e); }
    });
  }

  /** Shows another visitor's conversation in place of this one (a known user's, or a fresh one). */
  function switchTo(data, userId) {
    if (ws) { var s = ws; ws = null; try { s.close(1000); } catch (e) { /* ignore */ } }
    clearTimeout(reconnectTimer);
    clearMessages();
    session = { visitorId: data.visitorId, visitorToken: data.visitorToken, userId: userId };
    save(session);
    visitor = null;
    unread = 0;
    updateLauncherLabel();
    sessionPromise = Promise.resolve(afterSession(data.visitor || null));
    return sessionPromise;
  }

  var identifying = Promise.resolve();
  /** Becomes the site's signed-in user: resolves true, or false when the server refused it. */
  function identify(opts) {
    var user = opts && typeof opts.id === "string" ? opts : null;
    if (!user || !user.id || typeof user.hash !== "string") {
      if (window.console) console.warn("botaz: identify needs {id, hash} (docs/widget.md)");
      return Promise.resolve(false);
    }
    identifying = identifying.then(function () {
      // Only a visitor this browser already has is merged: a new browser identifies directly,
      // without making an anonymous visitor first.
      if (!sessionPromise && !loadSaved() && !LINK) return null;
      return ensureSession().catch(function () { /* identify can start a session itself */ });
    }).then(function () {
      if (session && session.userId === user.id) return true; // already this user's visitor
      var body = { siteKey: SITE_KEY, id: user.id, hash: user.hash };
      if (typeof user.name === "string" && user.name) body.name = user.name;
      if (typeof user.email === "string" && user.email) body.email = user.email;
      // An anonymous visitor is merged into the user; another user's visitor is not sent.
      var mine = session && !session.userId ? session.visitorToken : null;
      return request("POST", "/widget/v1/identify", { json: body, token: mine, auth: !!mine })
        .then(function (r) {
          if (r.status === 200 && r.data && r.data.visitorToken) {
            return switchTo(r.data, user.id).then(function () { return true; });
          }
          if (window.console) console.warn("botaz: identify refused: " + errorMessage(r));
          // Never keep showing another user's conversation after a refused identify.
          if (session && session.userId) return logout().then(function () { return false; });
          return false;
        });
    });
    return identifying.catch(function () { return false; });
  }

  /** The signed-in user left: forget their conversation in this browser, start anonymous. */
  function logout() {
    if (!session || !session.userId) return Promise.resolve();
    return renewVisitor();
  }

  function setAttributes(attributes) {
    return ensureSession().then(function () {
      return request("POST", "/widget/v1/attributes", { json: { attributes: attributes || {} } });
    }).then(function (r) {
      if (r.ok && r.data) {
        knownAttributes = r.data.attributes || {};
        var waiting = waitingForAttributes;
        waitingForAttributes = [];
        waiting.forEach(fireRule);
        return r.data.attributes;
      }
      throw new Error(errorMessage(r));
    });
  }

  function send(text) {
    if (typeof text !== "string" || !text.trim() || banned) return Promise.resolve(false);
    return sendText(text, pendingRow(text), true);
  }

  // The shadow root's own element, so that the page's styles cannot show it again.
  function hide() { if (!PAGE_MODE) { close(); ui.root.hidden = true; ui.root.style.display = "none"; } }
  function show() { ui.root.hidden = false; ui.root.style.display = ""; }

  // Proactive messages (docs/widget.md): the account's rules, checked in this page; the server
  // says each rule's text at most once per visitor.
  var VISITS_KEY = "botaz:" + SITE_KEY + ":visits";
  function countVisit() {
    var now = Date.now();
    var v = null;
    try { v = JSON.parse(window.localStorage.getItem(VISITS_KEY) || "null"); } catch (e) { v = null; }
    if (!v || typeof v.n !== "number") v = { n: 0, last: 0 };
    if (now - (v.last || 0) > 30 * 60 * 1000) v.n += 1; // a new visit after 30 minutes away
    v.last = now;
    try { window.localStorage.setItem(VISITS_KEY, JSON.stringify(v)); } catch (e) { /* ignore */ }
    return v.n;
  }
  var VISITS = countVisit();
  var knownAttributes = {};
  var waitingForAttributes = [];
  var firedHere = {};
  var proactiveStarted = false;
  function attributesMatch(rule) {
    var want = rule.attribute;
    if (!want || typeof want !== "object") return true;
    return Object.keys(want).every(function (k) { return knownAttributes[k] === want[k]; });
  }
  function startProactive() {
    if (proactiveStarted || PAGE_MODE || !config || !Array.isArray(config.proactive)) return;
    proactiveStarted = true;
    config.proactive.forEach(function (rule) {
      if (!rule || typeof rule.id !== "string") return;
      if (rule.urlContains && location.href.indexOf(rule.urlContains) < 0) return;
      if (VISITS < (rule.minVisits || 1)) return;
      setTimeout(function () { fireRule(rule); }, Math.max(0, Number(rule.afterSeconds) || 0) * 1000);
    });
  }
  function fireRule(rule) {
    if (banned || firedHere[rule.id]) return;
    if (!attributesMatch(rule)) { waitingForAttributes.push(rule); return; }
    firedHere[rule.id] = true;
    ensureSession().then(function () {
      return request("POST", "/widget/v1/proactive", { json: { ruleId: rule.id } });
    }).then(function (r) {
      if (r.status === 201 && r.data) {
        upsert(r.data);
        if (!isOpen) open();
      }
    }).catch(function () { /* a greeting is not worth an error */ });
  }

  window.Botaz = {
    __botaz: true,
    open: open,
    close: close,
    toggle: toggle,
    hide: hide,
    show: show,
    on: on,
    identify: identify,
    logout: logout,
    setAttributes: setAttributes,
    send: send
  };

  function mount() {
    var container = PAGE_MODE && document.getElementById(script.getAttribute("data-container") || "");
    (container || document.body).appendChild(host);
    if (PAGE_MODE) {
      host.setAttribute("data-mode", "page");
      ui.root.classList.add("page");
      open();
    }
    applyConfig();
    updateLauncherLabel();
    var ready = function () { host.setAttribute("data-botaz-ready", "1"); };
    // Startup (docs/widget.md, "What the widget loads"): one small request, the site's config.
    // A new visitor is made only when needed (the panel opens, a message is sent, a proactive
    // rule fires, the page calls identify or setAttributes); a browser that already has one (or
    // a conversation link) resumes it at once, so that its live replies reach it.
    var resume = PAGE_MODE || !!LINK || !!loadSaved();
    Promise.all([
      loadConfig(),
      resume ? ensureSession().catch(function () { /* retried in the background */ }) : null
    ]).then(ready, ready).then(startProactive);
    QUEUED.forEach(function (call) { // [method, args] from the snippet's stub
      var fn = call && window.Botaz[call[0]];
      if (typeof fn === "function" && call[0] !== "__botaz") fn.apply(null, call[1] || []);
    });
    QUEUED = [];
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
