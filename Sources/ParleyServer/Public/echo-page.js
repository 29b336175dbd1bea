// The echo test page (/echo): your camera and microphone go to the server's media engine and
// come back, shown side by side with a few numbers that say whether it works. UI only: the
// connection and the HTTP requests go through echo.js.

import { EchoError, startEcho } from "./echo.js";
import { getLocalMedia, problemWords } from "./media.js";

/** @typedef {import("./echo.js").EchoSession} EchoSession */
/** @typedef {import("./echo.js").EchoStats} EchoStats */
/** @typedef {"idle" | "running" | "ok" | "warn" | "fail"} Status */

/** How often the numbers are read. */
const STATS_INTERVAL_MS = 1000;

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {{new (): T, prototype: T}} type
 * @returns {T}
 */
function byId(id, type) {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`echo.html lacks #${id}`);
  return node;
}

const ui = {
  status: byId("status", HTMLElement),
  title: byId("status-title", HTMLElement),
  detail: byId("status-detail", HTMLElement),
  toggle: byId("toggle", HTMLButtonElement),
  hear: byId("hear", HTMLInputElement),
  local: byId("local", HTMLVideoElement),
  localOff: byId("local-off", HTMLElement),
  returned: byId("returned", HTMLVideoElement),
  returnedOff: byId("returned-off", HTMLElement),
  rtt: byId("stat-rtt", HTMLElement),
  frames: byId("stat-frames", HTMLElement),
  video: byId("stat-video", HTMLElement),
  audio: byId("stat-audio", HTMLElement),
  audioNote: byId("stat-audio-note", HTMLElement),
  address: byId("stat-address", HTMLElement),
  route: byId("stat-route", HTMLElement),
};

/**
 * One run, from Start to Stop.
 * @typedef {object} Run
 * @property {AbortController} abort     stops a start still under way
 * @property {MediaStream | null} local  the camera and microphone, stopped at the end
 * @property {EchoSession | null} echo
 * @property {ReturnType<typeof setInterval> | null} timer
 * @property {boolean} wasConnected
 */

/** @type {Run | null} */
let run = null;

/**
 * @param {Status} status
 * @param {string} title
 * @param {string} detail
 */
function show(status, title, detail) {
  ui.status.dataset.status = status;
  ui.title.textContent = title;
  ui.detail.textContent = detail;
}

/** @param {boolean} running */
function showButton(running) {
  ui.toggle.textContent = running ? "Stop" : "Start";
  ui.toggle.classList.toggle("primary", !running);
  ui.toggle.classList.toggle("danger", running);
}

/**
 * @param {HTMLVideoElement} video
 * @param {HTMLElement} placeholder
 * @param {MediaStream | null} stream
 */
function showVideo(video, placeholder, stream) {
  video.srcObject = stream;
  placeholder.hidden = stream !== null && stream.getVideoTracks().length > 0;
}

function clearStats() {
  for (const node of [ui.rtt, ui.frames, ui.audio, ui.address]) node.textContent = "—";
  for (const node of [ui.video, ui.audioNote, ui.route]) node.textContent = "";
}

/**
 * The server's media address as its answer gives it, for messages.
 * @param {EchoSession} echo
 * @returns {string}
 */
function serverPorts(echo) {
  const ports = [...new Set(echo.serverCandidates.map((candidate) => candidate.port))];
  return ports.length > 0 ? `UDP port ${ports.join(", ")}` : "its UDP media port";
}

/**
 * @param {Run} current
 * @param {RTCPeerConnectionState} state
 */
function showState(current, state) {
  if (run !== current || !current.echo) return;
  const where = serverPorts(current.echo);
  switch (state) {
    case "new":
    case "connecting":
      show("running", "Connecting…", `Reaching the server's media engine on ${where}.`);
      break;
    case "connected":
      current.wasConnected = true;
      show("ok", "Connected", "Your camera and microphone go to the server and come back.");
      break;
    case "disconnected":
      show("warn", "Connection interrupted", "Nothing arrives from the server right now; waiting for it to come back…");
      break;
    case "failed":
      // Nothing comes back on a failed connection: end the session rather than wait for it.
      finish(current);
      show(
        "fail",
        current.wasConnected ? "The connection was lost" : "Could not connect",
        current.wasConnected
          ? "The server stopped answering (it may have ended the echo). Press Start to try again."
          : `The server's media engine could not be reached on ${where}: a firewall may block it.`,
      );
      break;
    case "closed":
      break;
  }
}

/** @param {Run} current */
async function readStats(current) {
  if (run !== current || !current.echo) return;
  /** @type {EchoStats} */
  let stats;
  try {
    stats = await current.echo.getStats();
  } catch {
    return; // closed meanwhile
  }
  if (run !== current) return;
  ui.rtt.textContent = stats.rttMs === null ? "—" : `${stats.rttMs} ms`;
  const video = stats.video;
  ui.frames.textContent = video ? String(video.framesDecoded) : "—";
  ui.video.textContent =
    video && video.width > 0
      ? `${video.width}×${video.height}${video.framesPerSecond ? `, ${Math.round(video.framesPerSecond)} fps` : ""}${video.codec ? `, ${video.codec}` : ""}`
      : "";
  const audio = stats.audio;
  ui.audio.textContent = audio ? `${audio.packetsReceived} packets` : "—";
  ui.audioNote.textContent = audio?.codec ?? "";
  ui.address.textContent = stats.serverAddress ?? "—";
  ui.route.textContent = stats.localAddress ? `UDP, from ${stats.localAddress}` : "";
}

async function start() {
  /** @type {Run} */
  const current = { abort: new AbortController(), local: null, echo: null, timer: null, wasConnected: false };
  run = current;
  showButton(true);
  clearStats();
  show("running", "Starting…", "Allow the camera and microphone if your browser asks.");
  const media = await getLocalMedia();
  if (run !== current) {
    for (const track of media.stream.getTracks()) track.stop();
    return;
  }
  current.local = media.stream;
  if (media.stream.getTracks().length === 0) {
    const problem = media.videoProblem ?? media.audioProblem ?? "missing";
    finish(current);
    show("fail", "Nothing to send", `Camera and microphone: ${problemWords(problem)}.`);
    return;
  }
  showVideo(ui.local, ui.localOff, media.stream);
  /** @type {string[]} */
  const missing = [];
  if (media.videoProblem) missing.push(`Camera: ${problemWords(media.videoProblem)}.`);
  if (media.audioProblem) missing.push(`Microphone: ${problemWords(media.audioProblem)}.`);
  show("running", "Connecting…", ["Sending your offer to the server.", ...missing].join(" "));

  try {
    current.echo = await startEcho({
      stream: media.stream,
      signal: current.abort.signal,
      onTrack: (_track, stream) => {
        if (run === current) showVideo(ui.returned, ui.returnedOff, stream);
      },
      onConnectionState: (state) => showState(current, state),
    });
  } catch (error) {
    if (run !== current) return;
    finish(current);
    const message = error instanceof Error ? error.message : String(error);
    const status = error instanceof EchoError && error.status ? ` (HTTP ${error.status})` : "";
    show("fail", `Could not start the echo${status}`, message);
    return;
  }
  if (run !== current) {
    void current.echo.stop();
    return;
  }
  Object.assign(window, { parleyEcho: current.echo });
  showVideo(ui.returned, ui.returnedOff, current.echo.stream);
  showState(current, current.echo.state);
  current.timer = setInterval(() => void readStats(current), STATS_INTERVAL_MS);
  void readStats(current);
}

/**
 * Ends a run: the session, the camera and microphone, the numbers' timer.
 * @param {Run} current
 */
function finish(current) {
  current.abort.abort();
  if (current.timer) clearInterval(current.timer);
  void current.echo?.stop();
  for (const track of current.local?.getTracks() ?? []) track.stop();
  showVideo(ui.local, ui.localOff, null);
  showVideo(ui.returned, ui.returnedOff, null);
  if (run === current) run = null;
  showButton(false);
}

function stop() {
  if (!run) return;
  finish(run);
  show("idle", "Stopped", "The echo session has ended. Press Start to run it again.");
}

ui.toggle.addEventListener("click", () => {
  if (run) stop();
  else void start();
});

ui.hear.addEventListener("change", () => {
  ui.returned.muted = !ui.hear.checked;
});

// Leaving the page ends the session at once, rather than 30 s later.
window.addEventListener("pagehide", () => {
  if (run) finish(run);
});
