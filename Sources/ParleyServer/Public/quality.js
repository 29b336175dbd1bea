// Connection quality on everyone else's tile (good / fair / poor), and a panel with the
// statistics behind it for one person. UI only: the numbers come from callstats.js.

import { CANDIDATE_WORDS, QUALITY_LIMITS, StatsMonitor, qualityReasons } from "./callstats.js";
import { tileName, tileTools } from "./speaker.js";

/** @typedef {import("./protocol.js").ParleyCall} ParleyCall */
/** @typedef {import("./callstats.js").PeerStats} PeerStats */
/** @typedef {import("./callstats.js").Quality} Quality */
/** @typedef {import("./callstats.js").VideoStats} VideoStats */

/** @type {Record<Quality, string>} */
const QUALITY_WORDS = { good: "Good", fair: "Fair", poor: "Poor" };

/**
 * @param {number | null} bits  per second
 * @returns {string}
 */
function bitrate(bits) {
  if (bits === null) return "…";
  if (bits >= 1e6) return `${(bits / 1e6).toFixed(1)} Mbit/s`;
  return `${Math.round(bits / 1e3)} kbit/s`;
}

/**
 * @param {VideoStats | null} video
 * @param {boolean} cameraOn
 * @returns {string}
 */
function videoWords(video, cameraOn) {
  if (!video || !video.width || !video.height) return cameraOn ? "…" : "none (camera off)";
  const codec = video.codec ? `, ${video.codec}` : "";
  return `${video.width}×${video.height}, ${video.fps} frames/s${codec}`;
}

/**
 * @param {PeerStats} stats
 * @returns {string}
 */
function routeWords(stats) {
  const route = stats.route;
  if (!route) return "not connected yet";
  /** @param {string} type */
  const words = (type) => CANDIDATE_WORDS[/** @type {keyof typeof CANDIDATE_WORDS} */ (type)] ?? "unknown";
  const type = route.local === "relay" || route.remote === "relay" ? "relay" : route.local;
  const protocol = route.relayProtocol ? `${route.protocol}, ${route.relayProtocol} to TURN` : route.protocol;
  return `${type}: ${words(type)} (${protocol})`;
}

export class QualityView {
  /** @type {HTMLElement} */
  #tiles;
  /** @type {HTMLElement} */
  #panel;
  /** @type {HTMLElement} */
  #title;
  /** @type {HTMLElement} */
  #body;
  /**
   * The latest reading of each person, with the average it is rated on.
   * @type {Map<string, {stats: PeerStats, rated: PeerStats, quality: Quality | null}>}
   */
  #readings = new Map();
  /** @type {ParleyCall | null} */
  #call = null;
  /** Whose statistics the panel shows. */
  /** @type {string | null} */
  #showing = null;
  /** @type {HTMLButtonElement | null} */
  #opener = null;

  /**
   * @param {HTMLElement} tiles  the tile container (TileGrid's)
   * @param {HTMLElement} panel  the statistics panel (room.html #stats-panel)
   */
  constructor(tiles, panel) {
    this.#tiles = tiles;
    this.#panel = panel;
    this.#title = /** @type {HTMLElement} */ (panel.querySelector(".stats-title"));
    this.#body = /** @type {HTMLElement} */ (panel.querySelector(".stats-list"));
    const note = panel.querySelector(".stats-note");
    if (note) note.textContent = limitsWords();
    panel.querySelector(".stats-close")?.addEventListener("click", () => this.close());
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.close();
    });
    new MutationObserver(() => this.#decorate()).observe(tiles, { childList: true });
  }

  /**
   * Shows the quality of this call's connections.
   * @param {ParleyCall} call
   */
  attach(call) {
    this.#call = call;
    const monitor = new StatsMonitor(call);
    monitor.addEventListener("stats", (event) => {
      const reading =
        /** @type {CustomEvent<{id: string, stats: PeerStats, rated: PeerStats, quality: Quality | null}>} */ (event)
          .detail;
      this.#readings.set(reading.id, reading);
      this.#show(reading.id, reading.quality);
    });
    call.addEventListener("peer-left", (event) => {
      const { id } = /** @type {CustomEvent<{id: string}>} */ (event).detail;
      this.#readings.delete(id);
      if (id === this.#showing) this.close();
    });
    call.addEventListener("closed", () => this.close());
  }

  /**
   * Opens the statistics of one person.
   * @param {string} id
   * @param {HTMLButtonElement} [opener]  focus goes back there on close
   */
  open(id, opener) {
    this.#showing = id;
    this.#opener = opener ?? null;
    const tile = this.#tile(id);
    this.#title.textContent = `Connection to ${tile ? tileName(tile) : "them"}`;
    if (this.#readings.has(id)) this.#fill(id);
    else this.#body.replaceChildren(this.#row("Status", "Measuring…", "stat-status"));
    this.#panel.hidden = false;
    /** @type {HTMLElement | null} */ (this.#panel.querySelector(".stats-close"))?.focus();
  }

  close() {
    if (this.#panel.hidden) return;
    this.#panel.hidden = true;
    this.#showing = null;
    if (this.#opener?.isConnected) this.#opener.focus();
    this.#opener = null;
  }

  /**
   * @param {string} id
   * @returns {HTMLElement | null}
   */
  #tile(id) {
    const tile = this.#tiles.querySelector(`:scope > .tile[data-peer-id="${CSS.escape(id)}"]:not(.screen-tile)`);
    return tile instanceof HTMLElement ? tile : null;
  }

  /** Gives everyone else's new tile its quality button. */
  #decorate() {
    for (const tile of this.#tiles.querySelectorAll(':scope > .tile[data-self="false"]:not(.screen-tile)')) {
      if (!(tile instanceof HTMLElement) || tile.querySelector(".quality")) continue;
      const id = tile.dataset.peerId ?? "";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "quality";
      button.dataset.testid = "quality-indicator";
      button.dataset.quality = "unknown";
      const bars = document.createElement("span");
      bars.className = "bars";
      bars.setAttribute("aria-hidden", "true");
      bars.append(document.createElement("i"), document.createElement("i"), document.createElement("i"));
      const words = document.createElement("span");
      words.className = "quality-words";
      words.textContent = "…";
      button.append(bars, words);
      this.#label(button, tileName(tile), null);
      button.addEventListener("click", () => (this.#showing === id ? this.close() : this.open(id, button)));
      tileTools(tile).prepend(button);
    }
  }

  /**
   * @param {HTMLButtonElement} button
   * @param {string} name
   * @param {Quality | null} quality
   */
  #label(button, name, quality) {
    const text = quality
      ? `Connection to ${name}: ${quality}. Show statistics`
      : `Connection to ${name}: measuring. Show statistics`;
    button.setAttribute("aria-label", text);
    button.title = text;
  }

  /**
   * @param {string} id
   * @param {Quality | null} quality
   */
  #show(id, quality) {
    const tile = this.#tile(id);
    const button = tile?.querySelector(".quality");
    if (tile && button instanceof HTMLButtonElement) {
      button.dataset.quality = quality ?? "unknown";
      const words = button.querySelector(".quality-words");
      if (words) words.textContent = quality ? QUALITY_WORDS[quality] : "…";
      this.#label(button, tileName(tile), quality);
    }
    if (this.#showing === id) this.#fill(id);
  }

  /** @param {string} id */
  #fill(id) {
    const reading = this.#readings.get(id);
    if (!reading) return;
    const { stats, rated } = reading;
    const quality = reading.quality ?? "unknown";
    // Why, from the same few seconds' average the rating comes from.
    const reasons = qualityReasons(rated);
    const peer = this.#call?.peers.find((candidate) => candidate.id === id);
    const ms = (/** @type {number | null} */ value) =>
      value === null ? "…" : value < 1 ? "< 1 ms" : `${Math.round(value)} ms`;
    const qualityText =
      quality === "unknown"
        ? "measuring…"
        : reasons.length === 0
          ? quality
          : `${quality}: ${reasons.join("; ")}`;
    this.#body.replaceChildren(
      this.#row("Quality", qualityText, "stat-quality"),
      this.#row("Round trip", ms(stats.rttMs), "stat-rtt"),
      this.#row("Packet loss", stats.lossPercent === null ? "…" : `${stats.lossPercent.toFixed(1)} %`, "stat-loss"),
      this.#row("Jitter", ms(stats.jitterMs), "stat-jitter"),
      this.#row("Receiving", bitrate(stats.inBitrate), "stat-bitrate-in"),
      this.#row("Sending", bitrate(stats.outBitrate), "stat-bitrate-out"),
      this.#row("Their video", videoWords(stats.inVideo, peer?.video ?? true), "stat-video-in"),
      this.#row("Your video", videoWords(stats.outVideo, this.#call?.videoEnabled ?? true), "stat-video-out"),
      this.#row("Sound", stats.inAudioCodec || stats.outAudioCodec || "…", "stat-audio"),
      this.#row("Route", routeWords(stats), "stat-route"),
    );
  }

  /**
   * @param {string} term
   * @param {string} value
   * @param {string} testid
   * @returns {HTMLElement}
   */
  #row(term, value, testid) {
    const row = document.createElement("div");
    row.className = "stats-row";
    row.dataset.testid = testid;
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.textContent = value;
    row.append(dt, dd);
    return row;
  }
}

/** The quality limits in words, for the panel's footnote. */
export function limitsWords() {
  const { good, fair } = QUALITY_LIMITS;
  return (
    `Good: round trip under ${good.rttMs} ms, loss under ${good.lossPercent} %, jitter under ${good.jitterMs} ms. ` +
    `Fair: under ${fair.rttMs} ms, ${fair.lossPercent} %, ${fair.jitterMs} ms. Poor: anything worse.`
  );
}
