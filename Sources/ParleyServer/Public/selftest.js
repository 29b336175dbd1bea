// The connectivity self-test page (/test): camera and microphone, the WebSocket to the
// server, which ICE candidates this network allows, and a loopback call through the server.
// Every result is written so that a person can send it to their admin. UI only: the calling
// goes through protocol.js.

import { ParleyCall, ParleyError, probeIceCandidates } from "./protocol.js";
import { describeDevices, getLocalMedia } from "./media.js";

/** @typedef {"pending" | "running" | "ok" | "warn" | "fail" | "skipped"} Status */
/** @typedef {"devices" | "server" | "network" | "call"} CheckName */
/**
 * What the network check found: candidates by type, and whether the server lists any ICE servers.
 * @typedef {{host: number, srflx: number, relay: number, configured: boolean}} Paths
 */

/**
 * @typedef {object} CheckResult
 * @property {Status} status
 * @property {string} text       one or two plain sentences
 * @property {string[]} details  for the admin, in the report only
 */

/** @type {Record<Status, string>} */
const STATUS_WORDS = {
  pending: "Waiting",
  running: "Checking…",
  ok: "Works",
  warn: "Limited",
  fail: "Does not work",
  skipped: "Not checked",
};

/** How long the loopback call may take to show decoded video. */
const CALL_DEADLINE_MS = 20_000;

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {{new (): T, prototype: T}} type
 * @returns {T}
 */
function byId(id, type) {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`test.html lacks #${id}`);
  return node;
}

const ui = {
  verdict: byId("verdict", HTMLElement),
  verdictTitle: byId("verdict-title", HTMLElement),
  verdictDetail: byId("verdict-detail", HTMLElement),
  loopback: byId("loopback", HTMLVideoElement),
  copy: byId("copy-report", HTMLButtonElement),
  again: byId("run-again", HTMLButtonElement),
  copyStatus: byId("copy-status", HTMLElement),
  report: byId("report-text", HTMLTextAreaElement),
};

/** @type {Map<CheckName, CheckResult>} */
const results = new Map();
/** The calls of the running test, left when it ends or the page closes. */
/** @type {ParleyCall[]} */
let calls = [];

/**
 * @param {CheckName} name
 * @returns {HTMLElement}
 */
function row(name) {
  const node = document.querySelector(`[data-check="${name}"]`);
  if (!(node instanceof HTMLElement)) throw new Error(`test.html lacks the check ${name}`);
  return node;
}

/**
 * @param {CheckName} name
 * @param {Status} status
 * @param {string} [text]
 * @param {string[]} [details]
 */
function show(name, status, text = "", details = []) {
  const node = row(name);
  node.dataset.status = status;
  const statusNode = node.querySelector('[data-testid="check-status"]');
  const resultNode = node.querySelector('[data-testid="check-result"]');
  if (statusNode) statusNode.textContent = STATUS_WORDS[status];
  if (resultNode) resultNode.textContent = text;
  if (status !== "pending" && status !== "running") results.set(name, { status, text, details });
}

/**
 * @param {number} n
 * @param {string} one
 * @param {string} many
 * @returns {string}
 */
function count(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The URLs of ICE servers, without their credentials.
 * @param {RTCIceServer[]} servers
 * @returns {string[]}
 */
function serverUrls(servers) {
  return servers.flatMap((server) => (Array.isArray(server.urls) ? server.urls : [server.urls]));
}

// MARK: - Checks

/**
 * Camera and microphone. Resolves with a video track for the test call (the camera's, or a
 * drawn one when there is no camera, so the network checks still run).
 * @returns {Promise<MediaStreamTrack>}
 */
async function checkDevices() {
  show("devices", "running");
  const media = await getLocalMedia();
  const audio = media.stream.getAudioTracks()[0];
  const video = media.stream.getVideoTracks()[0];
  /** @type {string[]} */
  const details = [];
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    const cameras = devices.filter((device) => device.kind === "videoinput").length;
    const microphones = devices.filter((device) => device.kind === "audioinput").length;
    details.push(`devices found: ${count(cameras, "camera", "cameras")}, ${count(microphones, "microphone", "microphones")}`);
  } catch {
    details.push("devices could not be listed");
  }
  if (video) details.push(`camera: ${video.label || "(no name)"} ${describeSettings(video)}`);
  else details.push(`camera problem: ${media.videoProblem}`);
  if (audio) details.push(`microphone: ${audio.label || "(no name)"}`);
  else details.push(`microphone problem: ${media.audioProblem}`);
  audio?.stop(); // the test call sends video only

  const names = [video && `camera “${video.label || "unnamed"}”`, audio && `microphone “${audio.label || "unnamed"}”`]
    .filter(Boolean)
    .join(" and ");
  if (video && audio) {
    show("devices", "ok", `Your ${names} work.`, details);
  } else {
    const problem = describeDevices(media.audioProblem, media.videoProblem).text;
    show("devices", video || audio ? "warn" : "fail", names ? `Your ${names} work. ${problem}` : problem, details);
  }
  return video ?? drawnVideoTrack();
}

/**
 * @param {MediaStreamTrack} track
 * @returns {string}
 */
function describeSettings(track) {
  const { width, height, frameRate } = track.getSettings();
  return width && height ? `(${width}×${height}${frameRate ? ` at ${Math.round(frameRate)} fps` : ""})` : "";
}

/**
 * A moving picture drawn on a canvas, for the test call when there is no camera.
 * @returns {MediaStreamTrack}
 */
function drawnVideoTrack() {
  const canvas = document.createElement("canvas");
  canvas.width = 320;
  canvas.height = 180;
  const context = canvas.getContext("2d");
  let frame = 0;
  const draw = () => {
    if (!context) return;
    frame++;
    context.fillStyle = `hsl(${frame % 360} 60% 35%)`;
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.fillStyle = "#fff";
    context.font = "24px sans-serif";
    context.fillText(`Parley test ${frame}`, 20, 100);
  };
  draw();
  const timer = setInterval(draw, 1000 / 15);
  const [track] = canvas.captureStream(15).getVideoTracks();
  track.addEventListener("ended", () => clearInterval(timer));
  return track;
}

/**
 * Opens the signalling WebSocket and joins a throwaway room with the test video.
 * @param {string} room
 * @param {MediaStreamTrack} video
 * @returns {Promise<{sender: ParleyCall, iceServers: RTCIceServer[]} | null>}  null if that failed
 */
async function checkServer(room, video) {
  show("server", "running");
  const sender = new ParleyCall();
  calls.push(sender);
  const started = performance.now();
  const url = ParleyCall.defaultUrl();
  try {
    const joined = await sender.join({ room, name: "Connectivity test", localStream: new MediaStream([video]) });
    const ms = Math.round(performance.now() - started);
    const urls = serverUrls(joined.iceServers);
    show(
      "server",
      "ok",
      `This browser reaches the Parley server (answered in ${ms} ms).`,
      [`signalling: ${url}`, `joined room ${room} in ${ms} ms`,
        `ICE servers from the server: ${urls.length ? urls.join(", ") : "none"}`],
    );
    return { sender, iceServers: joined.iceServers };
  } catch (error) {
    video.stop();
    const code = error instanceof ParleyError ? error.code : "error";
    const message = error instanceof Error ? error.message : String(error);
    if (code === "connection-failed" || code === "timeout") {
      show(
        "server",
        "fail",
        "This browser can't reach the Parley server's signalling connection (a WebSocket). A firewall, proxy or " +
          "browser extension may be blocking it.",
        [`signalling: ${url}`, `error: ${code}: ${message}`],
      );
    } else {
      // The server answered: the connection works, but it would not let the test in.
      show(
        "server",
        "warn",
        `This browser reaches the Parley server, but the server did not let the test join a call (${message}), ` +
          "so the call checks could not run.",
        [`signalling: ${url}`, `refused: ${code}: ${message}`],
      );
    }
    return null;
  }
}

/**
 * Which kinds of ICE candidates can be gathered with the server's ICE servers.
 * @param {RTCIceServer[]} iceServers
 * @returns {Promise<Paths>}
 */
async function checkNetwork(iceServers) {
  show("network", "running");
  const urls = serverUrls(iceServers);
  const hasStun = urls.some((url) => /^stuns?:/iu.test(url));
  const hasTurn = urls.some((url) => /^turns?:/iu.test(url));
  const probe = await probeIceCandidates(iceServers, { timeoutMs: 10_000 });
  const { host, srflx, relay } = probe.counts;
  const details = [
    `ICE servers: ${urls.length ? urls.join(", ") : "none configured on the server"}`,
    `candidates: host ${host}, srflx ${srflx}, relay ${relay}, prflx ${probe.counts.prflx} ` +
      `(${probe.complete ? "complete" : "gave up waiting"} after ${probe.ms} ms)`,
    ...probe.candidates.map((line) => `  ${line}`),
  ];
  /** @type {string[]} */
  const found = [];
  if (host) found.push("on this network (host)");
  if (srflx) found.push("through your router to the internet (STUN)");
  if (relay) found.push("through a relay server (TURN)");
  const paths = found.length ? `Calls can connect ${found.join(", ")}.` : "No network path for calls was found.";
  let status = /** @type {Status} */ ("ok");
  let missing = "";
  if (!host && !srflx && !relay) {
    status = "fail";
    missing = " The browser may block WebRTC, or the network blocks it.";
  } else if (!relay) {
    status = "warn";
    if (!hasTurn) missing = " The server offers no relay (TURN) server, which strict firewalls need.";
    else missing = " The relay (TURN) server could not be reached from this network.";
    if (!srflx && !hasStun && !hasTurn) missing = " The server offers no STUN or TURN servers, so only people on the same network can connect.";
    else if (!srflx && hasStun) missing += " The STUN server could not be reached either.";
  }
  show("network", status, paths + missing, details);
  return { host, srflx, relay, configured: urls.length > 0 };
}

/**
 * A second call joins the same room and receives the first one's video through the server.
 * @param {string} room
 * @param {ParleyCall} sender
 * @returns {Promise<boolean>}
 */
async function checkCall(room, sender) {
  show("call", "running");
  const receiver = new ParleyCall();
  calls.push(receiver);
  const started = performance.now();
  try {
    await receiver.join({ room, name: "Connectivity test receiver" });
    receiver.addEventListener("track", (event) => {
      const { stream } = /** @type {CustomEvent<{stream: MediaStream}>} */ (event).detail;
      ui.loopback.srcObject = stream;
      ui.loopback.hidden = false;
    });
    let first = -1;
    let frames = -1;
    /** @type {{local: string, remote: string, rtt: number | null}} */
    let path = { local: "", remote: "", rtt: null };
    while (performance.now() - started < CALL_DEADLINE_MS) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      if (receiver.state !== "joined") throw new Error("the test call was disconnected");
      const stats = await receiver.getStats(sender.id).catch(() => null);
      if (!stats) continue;
      frames = framesDecoded(stats);
      if (frames > 0 && first < 0) first = frames;
      if (first > 0 && frames >= first + 5) {
        path = selectedPath(stats);
        break;
      }
    }
    const ms = Math.round(performance.now() - started);
    const details = [`frames decoded: ${Math.max(frames, 0)} after ${ms} ms`];
    if (path.local) {
      details.push(`connected through candidates: local ${path.local}, remote ${path.remote}` +
        (path.rtt !== null ? `, round trip ${Math.round(path.rtt * 1000)} ms` : ""));
    }
    if (first > 0 && frames >= first + 5) {
      show("call", "ok", `A test call through the server worked: video was sent and received (${frames} frames).`,
        details);
      return true;
    }
    show(
      "call",
      "fail",
      frames > 0
        ? "The test call connected, but the video stopped coming through."
        : "The test call did not connect: no video came through within 20 seconds.",
      details,
    );
    return false;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    show("call", "fail", `The test call could not start: ${message}.`, [`error: ${message}`]);
    return false;
  }
}

/**
 * @param {RTCStatsReport} stats
 * @returns {number}  frames decoded from inbound video, -1 before any
 */
function framesDecoded(stats) {
  let frames = -1;
  stats.forEach((report) => {
    if (report.type === "inbound-rtp" && report.kind === "video") frames = Math.max(frames, report.framesDecoded ?? 0);
  });
  return frames;
}

/**
 * The candidate types of the connection in use.
 * @param {RTCStatsReport} stats
 * @returns {{local: string, remote: string, rtt: number | null}}
 */
function selectedPath(stats) {
  /** @type {any} */
  let pair = null;
  stats.forEach((report) => {
    if (report.type === "transport" && report.selectedCandidatePairId) pair = stats.get(report.selectedCandidatePairId);
  });
  if (!pair) {
    stats.forEach((report) => {
      if (report.type === "candidate-pair" && report.nominated && report.state === "succeeded") pair = report;
    });
  }
  if (!pair) return { local: "", remote: "", rtt: null };
  const local = stats.get(pair.localCandidateId);
  const remote = stats.get(pair.remoteCandidateId);
  return {
    local: `${local?.candidateType ?? "?"}/${local?.protocol ?? "?"}`,
    remote: `${remote?.candidateType ?? "?"}/${remote?.protocol ?? "?"}`,
    rtt: typeof pair.currentRoundTripTime === "number" ? pair.currentRoundTripTime : null,
  };
}

// MARK: - Verdict and report

/**
 * @param {{serverOk: boolean, callOk: boolean, paths: Paths | null}} outcome
 * @returns {{status: Status, title: string, detail: string}}
 */
function verdict({ serverOk, callOk, paths }) {
  const devices = results.get("devices");
  const deviceNote =
    devices && devices.status !== "ok" ? ` Also: ${devices.text.charAt(0).toLowerCase()}${devices.text.slice(1)}` : "";
  if (!serverOk) {
    const server = results.get("server");
    return server?.status === "warn"
      ? { status: "warn", title: "The server works, but the test could not make a call",
        detail: `${server.text} Copy the report and send it to your admin.` }
      : { status: "fail", title: "Calls can't start from here",
        detail: "This browser can't reach the Parley server. Copy the report and send it to your admin." };
  }
  if (!callOk) {
    return { status: "fail", title: "Calls will probably not work from this browser",
      detail: `A test call through the server did not connect. Copy the report and send it to your admin.${deviceNote}` };
  }
  if (paths && paths.relay > 0) {
    return { status: devices?.status === "ok" ? "ok" : "warn", title: "Calls should work",
      detail: `Calls can connect from this network, even through strict firewalls.${deviceNote}` };
  }
  if (paths && paths.srflx > 0) {
    return { status: "warn", title: "Calls should work with most networks",
      detail: "Calls to people behind strict firewalls may fail to connect: ask your admin for a TURN server." +
        deviceNote };
  }
  const why = paths?.configured
    ? "The STUN and TURN servers that Parley lists could not be reached from this network."
    : "Parley lists no STUN or TURN server.";
  return { status: "warn", title: "Calls work only on this network — ask your admin for a TURN server",
    detail: "People on the same network (office or home) can call each other, but calls to anyone elsewhere will " +
      `probably not connect. ${why}${deviceNote}` };
}

/**
 * @param {{status: Status, title: string, detail: string}} summary
 * @returns {string}
 */
function reportText(summary) {
  /** @type {Record<CheckName, string>} */
  const titles = {
    devices: "Camera and microphone",
    server: "Connection to the Parley server",
    network: "Network paths for calls",
    call: "Test call through the server",
  };
  const lines = [
    "Parley connectivity test",
    `Time: ${new Date().toISOString()}`,
    `Server: ${location.origin}`,
    `Browser: ${navigator.userAgent}`,
    "",
    `Result: ${summary.title}. ${summary.detail}`,
  ];
  for (const name of /** @type {CheckName[]} */ (["devices", "server", "network", "call"])) {
    const result = results.get(name);
    lines.push("", `[${STATUS_WORDS[result?.status ?? "skipped"]}] ${titles[name]}`);
    if (result) lines.push(result.text, ...result.details.map((line) => `  ${line}`));
  }
  return lines.join("\n");
}

// MARK: - Running

function leaveCalls() {
  for (const call of calls) call.leave();
  calls = [];
}

/** Keeps the last picture of the test call on screen once the call has ended. */
function keepStill() {
  const video = ui.loopback;
  if (video.hidden || video.videoWidth === 0) {
    video.hidden = true;
    return;
  }
  const canvas = document.createElement("canvas");
  canvas.className = "loopback-still";
  canvas.dataset.testid = "loopback-still";
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", "The picture that came back through the test call");
  canvas.getContext("2d")?.drawImage(video, 0, 0, canvas.width, canvas.height);
  video.after(canvas);
  video.hidden = true;
  video.srcObject = null;
}

async function run() {
  ui.copy.disabled = ui.again.disabled = true;
  ui.copyStatus.textContent = "";
  ui.loopback.hidden = true;
  ui.loopback.srcObject = null;
  for (const still of document.querySelectorAll(".loopback-still")) still.remove();
  results.clear();
  for (const name of /** @type {CheckName[]} */ (["devices", "server", "network", "call"])) show(name, "pending");
  ui.verdict.dataset.status = "running";
  ui.verdictTitle.textContent = "Testing…";
  ui.verdictDetail.textContent = "Allow the camera and microphone if your browser asks.";

  const room = `selftest-${Array.from(crypto.getRandomValues(new Uint8Array(6)), (byte) =>
    byte.toString(16).padStart(2, "0")).join("")}`;
  let serverOk = false;
  let callOk = false;
  /** @type {Paths | null} */
  let paths = null;
  try {
    const video = await checkDevices();
    const joined = await checkServer(room, video);
    if (joined) {
      serverOk = true;
      paths = await checkNetwork(joined.iceServers);
      callOk = await checkCall(room, joined.sender);
    } else {
      paths = await checkNetwork([]);
      show("call", "skipped", "Not checked: the server did not let the test join a call.");
    }
  } catch (error) {
    console.error("parley self-test:", error);
  } finally {
    keepStill();
    leaveCalls();
  }
  const summary = verdict({ serverOk, callOk, paths });
  ui.verdict.dataset.status = summary.status;
  ui.verdictTitle.textContent = summary.title;
  ui.verdictDetail.textContent = summary.detail;
  ui.report.value = reportText(summary);
  ui.copy.disabled = ui.again.disabled = false;
}

ui.copy.addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText(ui.report.value);
    ui.copyStatus.textContent = "Copied. Paste it into a message to your admin.";
  } catch {
    // No clipboard access: show the text selected, ready to copy by hand.
    const details = ui.report.closest("details");
    if (details) details.open = true;
    ui.report.focus();
    ui.report.select();
    ui.copyStatus.textContent = "Press Ctrl+C (or ⌘C) to copy the selected report.";
  }
});

ui.again.addEventListener("click", () => run());
window.addEventListener("pagehide", leaveCalls);

run();
