// The agent's WebSocket (/api/ws, authenticated by the session cookie): reconnects with
// backoff, resumes after the newest message it knows, and drops duplicate message events.

import { api } from "./api.js";

const MAX_BACKOFF_MS = 30000;

export class Realtime extends EventTarget {
  constructor() {
    super();
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.stopped = false;
    this.state = "connecting";
    this.known = []; // the newest messages this page knows, [{id, at}] oldest first (a few)
    this.seenCreated = new Set(); // message ids already delivered as message.created
  }

  /** Remember a message (from REST or the socket) so a reconnect resumes after it. */
  noteMessage(message) {
    if (!message || !message._id || !message.sentAt) return;
    if (this.known.some((k) => k.id === message._id)) return;
    const at = Date.parse(message.sentAt);
    const last = this.known[this.known.length - 1];
    if (this.known.length >= 20 && last && at < this.known[0].at) return;
    this.known.push({ id: message._id, at });
    this.known.sort((a, b) => a.at - b.at);
    if (this.known.length > 20) this.known.shift();
  }

  /** A deleted message cannot anchor a resume: fall back to the one before it. */
  forgetMessage(id) {
    this.known = this.known.filter((k) => k.id !== id);
  }

  get newest() {
    return this.known[this.known.length - 1] || null;
  }

  on(event, handler) {
    const listener = (e) => handler(e.detail);
    this.addEventListener(event, listener);
    return () => this.removeEventListener(event, listener);
  }

  emit(event, detail) {
    this.dispatchEvent(new CustomEvent(event, { detail }));
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit("status", state);
  }

  start() {
    this.stopped = false;
    this.connect();
    window.addEventListener("online", () => this.reconnectNow());
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && (!this.ws || this.ws.readyState > 1)) this.reconnectNow();
    });
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
  }

  reconnectNow() {
    if (this.stopped) return;
    if (this.ws && this.ws.readyState <= 1) return;
    clearTimeout(this.timer);
    this.attempt = 0;
    this.connect();
  }

  connect() {
    clearTimeout(this.timer);
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    let ws;
    try {
      ws = new WebSocket(`${scheme}//${location.host}/api/ws`);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.setState(this.attempt ? "reconnecting" : "connecting");
    ws.addEventListener("open", () => {
      this.attempt = 0;
      this.setState("open");
      ws.send(JSON.stringify({ type: "resume", after: this.newest ? this.newest.id : null }));
      this.emit("open");
    });
    ws.addEventListener("message", (e) => this.receive(e.data));
    ws.addEventListener("close", (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      this.setState("reconnecting");
      // 4401/4403/1008: the session may be gone; a REST call redirects to /login if so.
      if (e.code === 4401 || e.code === 4403 || e.code === 1008 || this.attempt >= 2) {
        api("GET", "/auth/me").catch(() => {});
      }
      this.scheduleReconnect();
    });
  }

  scheduleReconnect() {
    if (this.stopped) return;
    const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.attempt);
    const delay = base / 2 + Math.random() * base / 2;
    this.attempt += 1;
    this.timer = setTimeout(() => this.connect(), delay);
  }

  receive(raw) {
    let frame;
    try { frame = JSON.parse(raw); } catch { return; }
    if (!frame || typeof frame.event !== "string") return;
    const { event, data } = frame;
    if (event === "message.created" && data && data._id) {
      if (this.seenCreated.has(data._id)) return;
      this.seenCreated.add(data._id);
      if (this.seenCreated.size > 5000) {
        // Forget the oldest half; a message that old will not be replayed again.
        const keep = [...this.seenCreated].slice(2500);
        this.seenCreated = new Set(keep);
      }
      this.noteMessage(data);
    }
    if (event === "message.deleted" && data && data._id) this.forgetMessage(data._id);
    this.emit(event, data);
    this.emit("*", frame);
  }
}
