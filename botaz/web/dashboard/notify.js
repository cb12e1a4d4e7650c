// New-message alerts: a "(N) botaz" title badge and a short two-tone chime made with WebAudio
// (no audio file to fetch). Browsers may refuse to play before the first user gesture; that is fine.

const BASE_TITLE = "botaz";
const MUTE_KEY = "botaz.sound";

let count = 0;
let audio = null;

export function unreadBadge() {
  return count;
}

function render() {
  document.title = count > 0 ? `(${count}) ${BASE_TITLE}` : BASE_TITLE;
}

export function bump() {
  count += 1;
  render();
  chime();
}

export function reset() {
  if (count === 0 && document.title === BASE_TITLE) return;
  count = 0;
  render();
}

export function soundEnabled() {
  try { return localStorage.getItem(MUTE_KEY) !== "off"; } catch { return true; }
}

export function setSoundEnabled(on) {
  try { localStorage.setItem(MUTE_KEY, on ? "on" : "off"); } catch { /* private mode */ }
}

function context() {
  if (audio) return audio;
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return null;
  try { audio = new Ctx(); } catch { audio = null; }
  return audio;
}

// Create/resume the audio context on the first gesture so later chimes are allowed to play.
function unlock() {
  const ctx = context();
  if (ctx && ctx.state === "suspended") ctx.resume().catch(() => {});
  window.removeEventListener("pointerdown", unlock);
  window.removeEventListener("keydown", unlock);
}
window.addEventListener("pointerdown", unlock);
window.addEventListener("keydown", unlock);

export function chime() {
  if (!soundEnabled()) return;
  try {
    const ctx = context();
    if (!ctx) return;
    if (ctx.state === "suspended") ctx.resume().catch(() => {});
    const now = ctx.currentTime;
    const gain = ctx.createGain();
    gain.connect(ctx.destination);
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.18, now + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.42);
    for (const [freq, start] of [[880, 0], [1318.5, 0.12]]) {
      const osc = ctx.createOscillator();
      osc.type = "sine";
      osc.frequency.setValueAtTime(freq, now + start);
      osc.connect(gain);
      osc.start(now + start);
      osc.stop(now + start + 0.3);
    }
  } catch {
    /* autoplay policy or no audio device: ignore */
  }
}

render();
