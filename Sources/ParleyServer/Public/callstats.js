// Connection statistics for one remote participant, in plain numbers, and a connection
// quality rating (good / fair / poor) from them. It touches no DOM: any front end can use it.
// docs/CLIENT.md describes the API.

/** @typedef {import("./protocol.js").ParleyCall} ParleyCall */

/**
 * `good`, `fair` or `poor`; `null` while there is nothing to rate yet (no connection).
 * @typedef {"good" | "fair" | "poor"} Quality
 */

/**
 * What one direction of video looks like.
 * @typedef {object} VideoStats
 * @property {number} width    pixels, 0 if not known yet
 * @property {number} height
 * @property {number} fps      frames per second (0 if none)
 * @property {string} codec    e.g. "VP8", "" if not known
 */

/**
 * The path the connection takes: the selected ICE candidate pair.
 * @typedef {object} RouteStats
 * @property {string} local    our candidate type: `host`, `srflx`, `prflx` or `relay`
 * @property {string} remote   theirs
 * @property {string} protocol `udp` or `tcp`
 * @property {string} relayProtocol  for a `relay` candidate, how we reach the TURN server
 *   (`udp`, `tcp`, `tls`), else ""
 */

/**
 * One reading of the connection to one participant. Rates and loss are over the time since
 * the previous reading (since the start for the first one).
 * @typedef {object} PeerStats
 * @property {number} at              report time, ms (the report's own clock)
 * @property {number | null} rttMs     round-trip time of the selected candidate pair
 * @property {number | null} lossPercent  packets lost, the worse direction, 0–100
 * @property {number | null} jitterMs  inbound audio jitter (video's where there is no audio)
 * @property {number | null} inBitrate   bits per second received on the connection
 * @property {number | null} outBitrate  bits per second sent on the connection
 * @property {VideoStats | null} inVideo   the video we receive from them
 * @property {VideoStats | null} outVideo  the video we send them
 * @property {string} inAudioCodec    e.g. "opus", "" if none
 * @property {string} outAudioCodec
 * @property {RouteStats | null} route
 * @property {Totals} totals          counters the next reading's rates are computed from
 */

/**
 * @typedef {object} Totals
 * @property {number} at
 * @property {number} bytesIn
 * @property {number} bytesOut
 * @property {number} packetsIn
 * @property {number} lostIn
 * @property {number} framesIn
 */

/**
 * The limits behind {@link rateQuality}. A connection is `good` when all three measures are
 * below the `good` limits, `fair` when all are below the `fair` limits, and `poor` otherwise.
 * RTT is the round trip of the selected candidate pair; loss is the share of packets lost in
 * the worse direction since the last reading; jitter is the inbound audio jitter (video's
 * without audio). {@link StatsMonitor} rates the average of the last five readings (about five
 * seconds), so that one slow moment does not make the rating flicker.
 */
export const QUALITY_LIMITS = Object.freeze({
  good: Object.freeze({ rttMs: 250, lossPercent: 2, jitterMs: 30 }),
  fair: Object.freeze({ rttMs: 500, lossPercent: 8, jitterMs: 75 }),
});

/** Plain words for the ICE candidate types, for people. */
export const CANDIDATE_WORDS = Object.freeze({
  host: "direct, on the same network",
  srflx: "direct, through a router (found with STUN)",
  prflx: "direct, through a router",
  relay: "relayed through a TURN server",
});

/**
 * @param {unknown} value
 * @returns {number}
 */
function num(value) {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/**
 * @param {Record<string, any> | undefined} codec
 * @returns {string}
 */
function codecName(codec) {
  const mime = typeof codec?.mimeType === "string" ? codec.mimeType : "";
  return mime.includes("/") ? mime.slice(mime.indexOf("/") + 1) : mime;
}

/**
 * Reads one `getStats()` report of a peer connection.
 * @param {RTCStatsReport} report
 * @param {PeerStats | null} [previous]  the reading before, for rates and recent loss
 * @returns {PeerStats}
 */
export function summarizeStats(report, previous = null) {
  /** @type {Map<string, Record<string, any>>} */
  const byId = new Map();
  report.forEach((entry) => byId.set(entry.id, entry));
  /** @type {Record<string, any> | undefined} */
  let pair;
  /** @type {Record<string, any> | undefined} */
  let inVideoRtp;
  /** @type {Record<string, any> | undefined} */
  let outVideoRtp;
  /** @type {Record<string, any> | undefined} */
  let inAudioRtp;
  /** @type {Record<string, any> | undefined} */
  let outAudioRtp;
  let at = 0;
  let packetsIn = 0;
  let lostIn = 0;
  let remoteLoss = 0;
  let audioJitter = /** @type {number | null} */ (null);
  let videoJitter = /** @type {number | null} */ (null);
  for (const entry of byId.values()) {
    at = Math.max(at, num(entry.timestamp));
    switch (entry.type) {
      case "transport": {
        const selected = entry.selectedCandidatePairId && byId.get(entry.selectedCandidatePairId);
        if (selected) pair = selected;
        break;
      }
      case "candidate-pair":
        // Without a transport entry, the nominated pair in use.
        if (!pair && entry.nominated && entry.state === "succeeded") pair = entry;
        break;
      case "inbound-rtp":
        packetsIn += num(entry.packetsReceived);
        lostIn += Math.max(0, num(entry.packetsLost));
        if (typeof entry.jitter === "number") {
          // Video's jitter includes the spread of a frame's packets: audio's says more.
          if (entry.kind === "audio") audioJitter = Math.max(audioJitter ?? 0, entry.jitter * 1000);
          else videoJitter = Math.max(videoJitter ?? 0, entry.jitter * 1000);
        }
        if (entry.kind === "video" && (!inVideoRtp || num(entry.bytesReceived) > num(inVideoRtp.bytesReceived))) {
          inVideoRtp = entry;
        }
        if (entry.kind === "audio") inAudioRtp = entry;
        break;
      case "outbound-rtp":
        if (entry.kind === "video" && (!outVideoRtp || num(entry.bytesSent) > num(outVideoRtp.bytesSent))) {
          outVideoRtp = entry;
        }
        if (entry.kind === "audio") outAudioRtp = entry;
        break;
      case "remote-inbound-rtp":
        // What they lost of what we send (fraction of the last RTCP interval).
        remoteLoss = Math.max(remoteLoss, num(entry.fractionLost) * 100);
        break;
      default:
        break;
    }
  }

  /** @type {RouteStats | null} */
  let route = null;
  let rttMs = /** @type {number | null} */ (null);
  if (pair) {
    const local = byId.get(pair.localCandidateId);
    const remote = byId.get(pair.remoteCandidateId);
    route = {
      local: String(local?.candidateType ?? ""),
      remote: String(remote?.candidateType ?? ""),
      protocol: String(local?.protocol ?? ""),
      relayProtocol: local?.candidateType === "relay" ? String(local?.relayProtocol ?? "") : "",
    };
    if (typeof pair.currentRoundTripTime === "number") rttMs = pair.currentRoundTripTime * 1000;
  }

  const framesIn = num(inVideoRtp?.framesDecoded);
  /** @type {Totals} */
  const totals = {
    at,
    bytesIn: num(pair?.bytesReceived),
    bytesOut: num(pair?.bytesSent),
    packetsIn,
    lostIn,
    framesIn,
  };
  const before = previous?.totals;
  const seconds = before && at > before.at ? (at - before.at) / 1000 : 0;
  const rate = (/** @type {number} */ now, /** @type {number} */ then) =>
    seconds > 0 && now >= then ? ((now - then) * 8) / seconds : null;
  const inBitrate = before ? rate(totals.bytesIn, before.bytesIn) : null;
  const outBitrate = before ? rate(totals.bytesOut, before.bytesOut) : null;

  // Inbound loss over the interval (over the whole call for the first reading).
  const received = before ? packetsIn - before.packetsIn : packetsIn;
  const lost = before ? lostIn - before.lostIn : lostIn;
  const inLoss = received + lost > 0 ? (Math.max(0, lost) / (received + Math.max(0, lost))) * 100 : null;
  const lossPercent = inLoss === null && !outAudioRtp && !outVideoRtp ? null : Math.max(inLoss ?? 0, remoteLoss);

  /**
   * @param {Record<string, any> | undefined} rtp
   * @param {boolean} inbound
   * @returns {VideoStats | null}
   */
  const video = (rtp, inbound) => {
    if (!rtp) return null;
    let fps = num(rtp.framesPerSecond);
    if (!fps && inbound && before && seconds > 0 && framesIn >= before.framesIn) {
      fps = (framesIn - before.framesIn) / seconds;
    }
    return {
      width: num(rtp.frameWidth),
      height: num(rtp.frameHeight),
      fps: Math.round(fps),
      codec: codecName(byId.get(rtp.codecId)),
    };
  };

  return {
    at,
    rttMs,
    lossPercent,
    jitterMs: audioJitter ?? videoJitter,
    inBitrate,
    outBitrate,
    inVideo: video(inVideoRtp, true),
    outVideo: video(outVideoRtp, false),
    inAudioCodec: codecName(byId.get(inAudioRtp?.codecId)),
    outAudioCodec: codecName(byId.get(outAudioRtp?.codecId)),
    route,
    totals,
  };
}

/**
 * Rates a connection from its RTT, packet loss and jitter (see {@link QUALITY_LIMITS}).
 * Measures not known yet do not count; with none known (no connection yet) it is `null`.
 * @param {PeerStats} stats
 * @returns {Quality | null}
 */
export function rateQuality(stats) {
  const measures = /** @type {const} */ (["rttMs", "lossPercent", "jitterMs"]);
  if (!stats.route || measures.every((key) => stats[key] === null)) return null;
  /** @param {{rttMs: number, lossPercent: number, jitterMs: number}} limits */
  const within = (limits) => measures.every((key) => (stats[key] ?? 0) < limits[key]);
  if (within(QUALITY_LIMITS.good)) return "good";
  if (within(QUALITY_LIMITS.fair)) return "fair";
  return "poor";
}

/**
 * The average of several readings' round trip, loss and jitter (the rest from the newest), to
 * rate a connection over a few seconds rather than one moment.
 * @param {PeerStats[]} readings  oldest first, at least one
 * @returns {PeerStats}
 */
export function averageStats(readings) {
  const newest = readings[readings.length - 1];
  /** @param {"rttMs" | "lossPercent" | "jitterMs"} key */
  const mean = (key) => {
    const values = /** @type {number[]} */ (readings.map((reading) => reading[key]).filter((value) => value !== null));
    return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
  };
  return { ...newest, rttMs: mean("rttMs"), lossPercent: mean("lossPercent"), jitterMs: mean("jitterMs") };
}

/**
 * Why a connection is not `good`, in words: each measure at or above its `good` limit, e.g.
 * `"packet loss 12 % (good below 2 %)"`. Empty when it is good or not known.
 * @param {PeerStats} stats
 * @returns {string[]}
 */
export function qualityReasons(stats) {
  const good = QUALITY_LIMITS.good;
  /** @type {string[]} */
  const reasons = [];
  if (stats.rttMs !== null && stats.rttMs >= good.rttMs) {
    reasons.push(`round trip ${Math.round(stats.rttMs)} ms (good below ${good.rttMs} ms)`);
  }
  if (stats.lossPercent !== null && stats.lossPercent >= good.lossPercent) {
    reasons.push(`packet loss ${stats.lossPercent.toFixed(1)} % (good below ${good.lossPercent} %)`);
  }
  if (stats.jitterMs !== null && stats.jitterMs >= good.jitterMs) {
    reasons.push(`jitter ${Math.round(stats.jitterMs)} ms (good below ${good.jitterMs} ms)`);
  }
  return reasons;
}

/** How many readings the quality is rated over. */
const QUALITY_WINDOW = 5;

/**
 * Reads the statistics of every connection of a call at a fixed interval, while it is
 * joined, and fires `stats` with `{id, stats: PeerStats, quality: Quality | null, rated:
 * PeerStats}` for each participant: `stats` is the newest reading, `rated` the average of the
 * last five that `quality` comes from.
 */
export class StatsMonitor extends EventTarget {
  /** @type {ParleyCall} */
  #call;
  /** @type {number} */
  #intervalMs;
  /** @type {number | undefined} */
  #timer;
  /** @type {Map<string, PeerStats>} */
  #latest = new Map();
  /** @type {Map<string, PeerStats[]>} */
  #recent = new Map();
  #busy = false;

  /**
   * Starts reading when the call is joined and stops when it closes.
   * @param {ParleyCall} call
   * @param {{intervalMs?: number}} [options]  how often to read (default 1000 ms)
   */
  constructor(call, options = {}) {
    super();
    this.#call = call;
    this.#intervalMs = options.intervalMs ?? 1000;
    if (call.state === "joined") this.start();
    call.addEventListener("joined", () => this.start());
    call.addEventListener("closed", () => this.stop());
    call.addEventListener("peer-left", (event) => {
      const { id } = /** @type {CustomEvent<{id: string}>} */ (event).detail;
      this.#latest.delete(id);
      this.#recent.delete(id);
    });
  }

  /**
   * The last reading for one participant.
   * @param {string} id
   * @returns {PeerStats | undefined}
   */
  latest(id) {
    return this.#latest.get(id);
  }

  start() {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#poll(), this.#intervalMs);
    this.#poll();
  }

  stop() {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #poll() {
    if (this.#busy) return; // a slow getStats() is not piled up on
    this.#busy = true;
    try {
      await Promise.all(
        [...this.#call.peerConnections()].map(async ([id, pc]) => {
          // Never connected yet: no figures to read, and asking would wait on the browser's
          // WebRTC thread while it negotiates.
          const neverConnected = !this.#latest.has(id) && pc.connectionState !== "connected";
          if (pc.connectionState === "closed" || neverConnected) return;
          const report = await pc.getStats();
          const stats = summarizeStats(report, this.#latest.get(id) ?? null);
          if (this.#timer === undefined) return;
          this.#latest.set(id, stats);
          const recent = [...(this.#recent.get(id) ?? []), stats].slice(-QUALITY_WINDOW);
          this.#recent.set(id, recent);
          const rated = averageStats(recent);
          this.dispatchEvent(new CustomEvent("stats", { detail: { id, stats, quality: rateQuality(rated), rated } }));
        }),
      );
    } catch (error) {
      console.warn("parley: reading statistics failed", error);
    } finally {
      this.#busy = false;
    }
  }
}
