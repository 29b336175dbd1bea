// Parley echo client: sends a camera and microphone to the server's media engine and gets the
// same media back (docs/PROTOCOL.md, "Echo"). One HTTP POST carries the browser's offer and
// brings back the server's complete answer, WHIP-style (RFC 9725); a DELETE ends the session.
// It touches no DOM, so any page can use it; docs/CLIENT.md describes the API.

/** Where a Parley server takes echo offers. */
export const ECHO_ENDPOINT = "/echo";

/** The largest offer the server accepts, in bytes (a larger one gets 413). */
export const MAX_OFFER_BYTES = 64 * 1024;

/** How long `stop()` waits for the server to confirm the DELETE before closing anyway. */
const DELETE_TIMEOUT_MS = 3000;

/**
 * What went wrong, for programs:
 * - `no-media`: the stream has no audio or video track to send
 * - `bad-offer` (400): the server could not use the offer; the message says which line
 * - `offer-too-large` (413), `unsupported-media-type` (415)
 * - `server-busy` (503): the server runs as many echo sessions as it allows
 * - `not-found` (404): this server has no echo service (its media engine is off)
 * - `http-error`: any other refusal
 * - `bad-answer`: the server's answer was missing something, or the browser could not use it
 * - `network`: the request did not get through; `timeout`: no answer in time
 * - `aborted`: the caller's `signal` aborted the start
 * - `browser-error`: this browser could not make the connection or its offer
 * @typedef {"no-media" | "bad-offer" | "offer-too-large" | "unsupported-media-type" | "server-busy"
 *   | "not-found" | "http-error" | "bad-answer" | "network" | "timeout" | "aborted" | "browser-error"} EchoErrorCode
 */

/**
 * An echo that could not start. `message` is for people: for a refusal it is the server's own
 * text (which says, for example, which SDP line it could not use).
 */
export class EchoError extends Error {
  /**
   * @param {EchoErrorCode} code
   * @param {string} message
   * @param {number} [status]  the HTTP status of a refusal, 0 otherwise
   */
  constructor(code, message, status = 0) {
    super(message);
    this.name = "EchoError";
    /** @type {EchoErrorCode} */
    this.code = code;
    /** @type {number} */
    this.status = status;
  }
}

/** @type {Record<number, EchoErrorCode>} */
const STATUS_CODES = {
  400: "bad-offer",
  404: "not-found",
  413: "offer-too-large",
  415: "unsupported-media-type",
  503: "server-busy",
};

/**
 * @callback FetchLike
 * @param {string} url
 * @param {RequestInit} init
 * @returns {Promise<Response>}
 */

/**
 * @typedef {object} EchoOptions
 * @property {MediaStream} stream          what to send: each of its audio and video tracks goes on
 *                                         a `sendrecv` transceiver of its own. The caller keeps
 *                                         the tracks (`stop()` does not stop them)
 * @property {string} [endpoint]           where to POST the offer (default `/echo`)
 * @property {FetchLike} [fetch]           how to make HTTP requests (default `globalThis.fetch`)
 * @property {RTCIceServer[]} [iceServers] for the browser's side (default none: the server's
 *                                         candidates are in its answer)
 * @property {(track: MediaStreamTrack, stream: MediaStream) => void} [onTrack]
 *                                         a track came back (once per sent track; may be called
 *                                         before `startEcho` resolves)
 * @property {(state: RTCPeerConnectionState) => void} [onConnectionState]
 *                                         the connection's state changed (`connecting`,
 *                                         `connected`, `disconnected`, `failed`, `closed`)
 * @property {AbortSignal} [signal]        aborts the start (rejects with `aborted`)
 * @property {number} [gatherTimeoutMs]    how long to let the browser gather its own candidates
 *                                         before sending the offer (default 1000; 0: do not
 *                                         wait, the server does not need them)
 * @property {number} [requestTimeoutMs]   how long the POST may take (default 15000)
 */

/**
 * One of the server's ICE candidates, from its answer.
 * @typedef {object} ServerCandidate
 * @property {string} address
 * @property {number} port
 * @property {string} protocol   `udp`
 * @property {string} type       `host`
 */

/**
 * A few numbers that show whether the echo works, from one `getStats()` reading.
 * @typedef {object} EchoStats
 * @property {RTCPeerConnectionState} state
 * @property {number | null} rttMs          round trip to the server and back (selected pair)
 * @property {string | null} serverAddress  `address:port` of the server's candidate in use
 *                                          (`[address]:port` for IPv6)
 * @property {number | null} serverPort
 * @property {string | null} localAddress   `address:port` of the browser's candidate in use
 * @property {EchoVideoStats | null} video  the video coming back
 * @property {EchoAudioStats | null} audio  the audio coming back
 * @property {number} bytesSent             on the selected pair
 * @property {number} bytesReceived         on the selected pair
 */

/**
 * @typedef {object} EchoVideoStats
 * @property {number} framesDecoded
 * @property {number} packetsReceived
 * @property {number} packetsLost
 * @property {number} width
 * @property {number} height
 * @property {number} framesPerSecond
 * @property {string} codec   e.g. `VP8`
 */

/**
 * @typedef {object} EchoAudioStats
 * @property {number} packetsReceived
 * @property {number} packetsLost
 * @property {number} level    0–1, the latest audio level as played out (browsers report 0
 *                             while the returned audio plays nowhere, or muted)
 * @property {string} codec    e.g. `opus`
 */

/**
 * A running echo: the connection to the server's media engine, and what comes back on it.
 */
export class EchoSession {
  /**
   * Made by `startEcho`.
   * @param {object} parts
   * @param {RTCPeerConnection} parts.pc
   * @param {string} parts.url
   * @param {string} parts.answer
   * @param {MediaStream} parts.stream
   * @param {FetchLike} parts.fetch
   */
  constructor({ pc, url, answer, stream, fetch }) {
    /** The connection to the server. Read its statistics; do not renegotiate it. */
    this.pc = pc;
    /** The session's resource (from `Location`), which `stop()` DELETEs. */
    this.url = url;
    /** The session id: 32 lowercase hex digits ("" if the `Location` had another form). */
    this.id = /\/([0-9a-f]{32})$/.exec(url)?.[1] ?? "";
    /** The server's answer SDP. */
    this.answer = answer;
    /** The server's candidates, from the answer. */
    this.serverCandidates = serverCandidates(answer);
    /** What comes back: one track per sent track, in one stream. */
    this.stream = stream;
    /** @private */
    this.fetch = fetch;
    /** @private @type {Promise<number | null> | null} */
    this.stopping = null;
  }

  /** @returns {RTCPeerConnectionState} */
  get state() {
    return this.pc.connectionState;
  }

  /** Whether `stop()` was called. */
  get stopped() {
    return this.stopping !== null;
  }

  /** @returns {Promise<EchoStats>} */
  async getStats() {
    const stats = summarizeEchoStats(await this.pc.getStats());
    stats.state = this.pc.connectionState;
    return stats;
  }

  /**
   * Ends the echo: DELETEs the session on the server, then closes the connection (in this
   * order: the server also ends a session whose browser closed its side, and would then answer
   * the DELETE with 404). Resolves with the DELETE's HTTP status (204; 404 if the server had
   * ended it already) or `null` if the request did not get through within 3 s; the connection
   * is closed either way. Never rejects; calling it again returns the same promise.
   * @returns {Promise<number | null>}
   */
  stop() {
    if (!this.stopping) {
      const pc = this.pc;
      this.stopping = deleteSession(this.fetch, this.url).finally(() => pc.close());
    }
    return this.stopping;
  }
}

/**
 * Starts an echo: offers the stream's tracks to the server and applies its answer. Resolves
 * once the answer is applied (the connection is then `connecting`; `onConnectionState` tells
 * when it is `connected`). Rejects with an `EchoError`; nothing is left open on either side.
 * @param {EchoOptions} options
 * @returns {Promise<EchoSession>}
 */
export async function startEcho(options) {
  const {
    stream,
    endpoint = ECHO_ENDPOINT,
    iceServers = [],
    onTrack,
    onConnectionState,
    signal,
    gatherTimeoutMs = 1000,
    requestTimeoutMs = 15_000,
  } = options;
  const given = options.fetch ?? globalThis.fetch;
  /** @type {FetchLike} */
  const fetch = (url, init) => given.call(globalThis, url, init);
  const tracks = stream.getTracks().filter((track) => track.readyState === "live");
  if (tracks.length === 0) throw new EchoError("no-media", "There is no camera or microphone track to send.");
  if (signal?.aborted) throw aborted();

  /** @type {RTCPeerConnection} */
  let pc;
  try {
    pc = new RTCPeerConnection({ iceServers, bundlePolicy: "max-bundle", rtcpMuxPolicy: "require" });
  } catch (error) {
    throw new EchoError("browser-error", `This browser could not make a connection: ${describe(error)}`);
  }
  const returned = new MediaStream();
  pc.addEventListener("track", ({ track }) => {
    if (!returned.getTrackById(track.id)) returned.addTrack(track);
    onTrack?.(track, returned);
  });
  pc.addEventListener("connectionstatechange", () => onConnectionState?.(pc.connectionState));

  /** @type {string | null} */
  let url = null;
  const controller = new AbortController();
  const abort = () => controller.abort();
  signal?.addEventListener("abort", abort);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, requestTimeoutMs);
  try {
    for (const track of tracks) pc.addTransceiver(track, { direction: "sendrecv", streams: [stream] });
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc, gatherTimeoutMs, controller.signal);
    const offer = pc.localDescription?.sdp ?? "";

    /** @type {Response} */
    let response;
    try {
      response = await fetch(endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/sdp" },
        body: offer,
        signal: controller.signal,
      });
    } catch (error) {
      if (controller.signal.aborted) throw timedOut ? timeout(requestTimeoutMs) : aborted();
      throw new EchoError("network", `Could not reach the server: ${describe(error)}`);
    }
    const text = await response.text();
    if (!response.ok) throw refusal(response.status, text);

    const location = response.headers.get("Location");
    if (location) url = resolve(location, response.url || endpoint);
    if (!url) throw new EchoError("bad-answer", "The server's answer has no Location header, so the echo could not be ended.");
    const type = response.headers.get("Content-Type")?.split(";")[0].trim().toLowerCase();
    if (type !== "application/sdp") {
      throw new EchoError("bad-answer", `The server's answer is ${type || "untyped"}, not application/sdp.`);
    }
    if (controller.signal.aborted) throw timedOut ? timeout(requestTimeoutMs) : aborted();
    try {
      await pc.setRemoteDescription({ type: "answer", sdp: text });
    } catch (error) {
      throw new EchoError("bad-answer", `This browser could not use the server's answer: ${describe(error)}`);
    }
    if (signal?.aborted) throw aborted();
    return new EchoSession({ pc, url, answer: text, stream: returned, fetch });
  } catch (error) {
    pc.close();
    if (url) void deleteSession(fetch, url);
    if (error instanceof EchoError) throw error;
    if (controller.signal.aborted) throw timedOut ? timeout(requestTimeoutMs) : aborted();
    throw new EchoError("browser-error", `This browser could not start the echo: ${describe(error)}`);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", abort);
  }
}

/**
 * The server's candidates in an SDP (its `a=candidate` lines).
 * @param {string} sdp
 * @returns {ServerCandidate[]}
 */
export function serverCandidates(sdp) {
  /** @type {ServerCandidate[]} */
  const found = [];
  for (const line of sdp.split(/\r?\n/)) {
    const fields = /^a=candidate:(\S+) (\d+) (\S+) (\d+) (\S+) (\d+) typ (\S+)/.exec(line);
    if (!fields) continue;
    const [, , , protocol, , address, port, type] = fields;
    if (!found.some((c) => c.address === address && c.port === Number(port))) {
      found.push({ address, port: Number(port), protocol: protocol.toLowerCase(), type });
    }
  }
  return found;
}

/**
 * Reads the numbers that show whether the echo works out of one statistics report.
 * @param {RTCStatsReport} report
 * @returns {EchoStats}
 */
export function summarizeEchoStats(report) {
  /** @type {EchoStats} */
  const stats = {
    state: "new",
    rttMs: null,
    serverAddress: null,
    serverPort: null,
    localAddress: null,
    video: null,
    audio: null,
    bytesSent: 0,
    bytesReceived: 0,
  };
  /** @type {any} */
  let pair = null;
  report.forEach((entry) => {
    if (entry.type === "transport" && entry.selectedCandidatePairId) pair = report.get(entry.selectedCandidatePairId);
  });
  if (!pair) {
    // Browsers without transport statistics mark the pair itself.
    report.forEach((entry) => {
      if (entry.type === "candidate-pair" && (entry.selected || (entry.nominated && entry.state === "succeeded"))) pair = entry;
    });
  }
  if (pair) {
    if (typeof pair.currentRoundTripTime === "number") stats.rttMs = Math.round(pair.currentRoundTripTime * 1000);
    stats.bytesSent = pair.bytesSent ?? 0;
    stats.bytesReceived = pair.bytesReceived ?? 0;
    const remote = report.get(pair.remoteCandidateId);
    const local = report.get(pair.localCandidateId);
    if (remote) {
      stats.serverAddress = hostPort(remote.address ?? remote.ip, remote.port);
      stats.serverPort = typeof remote.port === "number" ? remote.port : null;
    }
    if (local) stats.localAddress = hostPort(local.address ?? local.ip, local.port);
  }
  report.forEach((entry) => {
    if (entry.type !== "inbound-rtp") return;
    const codec = String(report.get(entry.codecId)?.mimeType ?? "").replace(/^(audio|video)\//, "");
    if (entry.kind === "video") {
      stats.video = {
        framesDecoded: entry.framesDecoded ?? 0,
        packetsReceived: entry.packetsReceived ?? 0,
        packetsLost: entry.packetsLost ?? 0,
        width: entry.frameWidth ?? 0,
        height: entry.frameHeight ?? 0,
        framesPerSecond: entry.framesPerSecond ?? 0,
        codec,
      };
    } else if (entry.kind === "audio") {
      stats.audio = {
        packetsReceived: entry.packetsReceived ?? 0,
        packetsLost: entry.packetsLost ?? 0,
        level: entry.audioLevel ?? 0,
        codec,
      };
    }
  });
  return stats;
}

// MARK: - Helpers

/**
 * Waits until the browser has gathered its candidates, at most `ms`.
 * @param {RTCPeerConnection} pc
 * @param {number} ms
 * @param {AbortSignal} signal
 * @returns {Promise<void>}
 */
function gathered(pc, ms, signal) {
  if (ms <= 0 || pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === "complete") done();
    };
    const timer = setTimeout(done, ms);
    pc.addEventListener("icegatheringstatechange", check);
    signal.addEventListener("abort", done);
  });
}

/**
 * DELETEs a session; resolves with the status, or null if the request failed or took longer
 * than `DELETE_TIMEOUT_MS`.
 * @param {FetchLike} fetch
 * @param {string} url
 * @returns {Promise<number | null>}
 */
async function deleteSession(fetch, url) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), DELETE_TIMEOUT_MS);
  try {
    // keepalive: the request is still sent when the page is closing.
    const response = await fetch(url, { method: "DELETE", keepalive: true, signal: controller.signal });
    return response.status;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * @param {number} status
 * @param {string} text
 * @returns {EchoError}
 */
function refusal(status, text) {
  const message = text.trim() || `The server refused the echo (HTTP ${status}).`;
  return new EchoError(STATUS_CODES[status] ?? "http-error", message, status);
}

/** @returns {EchoError} */
function aborted() {
  return new EchoError("aborted", "The echo was stopped before it started.");
}

/**
 * @param {number} ms
 * @returns {EchoError}
 */
function timeout(ms) {
  return new EchoError("timeout", `The server did not answer within ${Math.round(ms / 1000)} s.`);
}

/**
 * The `Location` as a URL to DELETE: absolute if the endpoint is, else as given (fetch then
 * resolves it against the page).
 * @param {string} location
 * @param {string} base
 * @returns {string}
 */
function resolve(location, base) {
  try {
    return new URL(location, base).href;
  } catch {
    return location;
  }
}

/**
 * @param {unknown} address
 * @param {unknown} port
 * @returns {string | null}
 */
function hostPort(address, port) {
  if (typeof address !== "string" || typeof port !== "number") return null;
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * @param {unknown} error
 * @returns {string}
 */
function describe(error) {
  return error instanceof Error ? error.message : String(error);
}
