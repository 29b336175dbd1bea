// Who is talking: sound levels from WebRTC statistics (each participant's incoming audio,
// and our own microphone), and the active speaker derived from them. It touches no DOM;
// docs/CLIENT.md describes the API.

/** @typedef {import("./protocol.js").ParleyCall} ParleyCall */

/**
 * Sound level (0–1, linear, 1 = full scale) from which a person counts as speaking:
 * about -34 dBFS, well above the noise of a quiet room and below normal speech.
 */
export const SPEAKING_LEVEL = 0.02;

/** How long someone still counts as speaking after their level drops (pauses between words). */
export const SPEAKING_HOLD_MS = 1200;

/**
 * @typedef {object} LevelReading
 * @property {number} energy    `totalAudioEnergy` so far
 * @property {number} duration  `totalSamplesDuration` so far, seconds
 */

/**
 * The sound level of one audio stats entry over the time since the previous reading: the
 * root mean square from `totalAudioEnergy` and `totalSamplesDuration`, or the momentary
 * `audioLevel` where the totals are missing.
 * @param {Record<string, any>} entry  an `inbound-rtp` (audio) or `media-source` entry
 * @param {LevelReading | undefined} previous
 * @returns {{level: number, reading: LevelReading | undefined}}
 */
export function levelOf(entry, previous) {
  const energy = entry.totalAudioEnergy;
  const duration = entry.totalSamplesDuration;
  if (typeof energy === "number" && typeof duration === "number") {
    const reading = { energy, duration };
    if (previous && duration > previous.duration && energy >= previous.energy) {
      return { level: Math.sqrt((energy - previous.energy) / (duration - previous.duration)), reading };
    }
    return { level: typeof entry.audioLevel === "number" ? entry.audioLevel : 0, reading };
  }
  return { level: typeof entry.audioLevel === "number" ? entry.audioLevel : 0, reading: undefined };
}

/**
 * Listens to everyone's sound level in a call and tells who is speaking, and who the active
 * speaker is: the other participant who spoke last (kept while nobody else speaks).
 *
 * Events (`CustomEvent`s):
 * - `speaking`        `{id, speaking}` someone started or stopped speaking (our own id too)
 * - `active-speaker`  `{id, previous}` the active speaker changed (never ourselves)
 * - `levels`          `{levels: Map<id, number>}` after every reading
 */
export class SpeakerDetector extends EventTarget {
  /** @type {ParleyCall} */
  #call;
  #intervalMs;
  #threshold;
  #holdMs;
  /** @type {number | undefined} */
  #timer;
  #busy = false;
  /** @type {Map<string, LevelReading>} */
  #readings = new Map();
  /** When each person was last above the threshold (performance.now()). */
  /** @type {Map<string, number>} */
  #lastLoud = new Map();
  /** @type {Map<string, number>} */
  #levels = new Map();
  /** @type {Set<string>} */
  #speaking = new Set();
  /** @type {string | null} */
  #active = null;

  /**
   * Starts listening when the call is joined and stops when it closes.
   * @param {ParleyCall} call
   * @param {{intervalMs?: number, threshold?: number, holdMs?: number}} [options]
   *   how often to read the levels (default 250 ms), from which level someone speaks
   *   (default {@link SPEAKING_LEVEL}), how long speaking lasts after the level drops
   *   (default {@link SPEAKING_HOLD_MS})
   */
  constructor(call, options = {}) {
    super();
    this.#call = call;
    this.#intervalMs = options.intervalMs ?? 250;
    this.#threshold = options.threshold ?? SPEAKING_LEVEL;
    this.#holdMs = options.holdMs ?? SPEAKING_HOLD_MS;
    if (call.state === "joined") this.start();
    call.addEventListener("joined", () => this.start());
    call.addEventListener("closed", () => this.stop());
    call.addEventListener("peer-left", (event) => this.#forget(/** @type {CustomEvent<{id: string}>} */ (event).detail.id));
  }

  /** The other participant who spoke last, or null before anyone has. */
  get activeSpeaker() {
    return this.#active;
  }

  /**
   * Whether someone (or we: our own id) is speaking now.
   * @param {string} id
   * @returns {boolean}
   */
  isSpeaking(id) {
    return this.#speaking.has(id);
  }

  /**
   * The latest sound level of everyone (0–1), our own under our id.
   * @returns {Map<string, number>}
   */
  get levels() {
    return new Map(this.#levels);
  }

  start() {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#poll(), this.#intervalMs);
  }

  stop() {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** @param {string} id */
  #forget(id) {
    this.#readings.delete(id);
    this.#lastLoud.delete(id);
    this.#levels.delete(id);
    if (this.#speaking.delete(id)) this.#emit("speaking", { id, speaking: false });
    if (this.#active === id) {
      this.#active = null;
      this.#emit("active-speaker", { id: null, previous: id });
    }
  }

  async #poll() {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const call = this.#call;
      const muted = new Map(call.peers.map((peer) => [peer.id, !peer.audio]));
      /** @type {Map<string, number>} */
      const levels = new Map();
      let ownDone = !call.audioEnabled;
      if (ownDone) levels.set(call.id, 0);
      await Promise.all(
        [...call.peerConnections()].map(async ([id, pc]) => {
          // Not yet connected: no sound to read, and asking would wait on the browser's WebRTC
          // thread while it negotiates.
          if (pc.connectionState !== "connected") return;
          const receiver = pc.getReceivers().find((candidate) => candidate.track.kind === "audio");
          if (receiver) {
            const report = await receiver.getStats();
            report.forEach((entry) => {
              if (entry.type !== "inbound-rtp" || entry.kind !== "audio") return;
              const { level, reading } = levelOf(entry, this.#readings.get(id));
              if (reading) this.#readings.set(id, reading);
              // Someone who says they are muted never counts as speaking.
              levels.set(id, muted.get(id) ? 0 : level);
            });
          }
          // Our own microphone, from the first connection that sends it.
          const sender = pc.getSenders().find((candidate) => candidate.track?.kind === "audio");
          if (!ownDone && sender) {
            ownDone = true;
            const report = await sender.getStats();
            report.forEach((entry) => {
              if (entry.type !== "media-source" || entry.kind !== "audio") return;
              const { level, reading } = levelOf(entry, this.#readings.get(call.id));
              if (reading) this.#readings.set(call.id, reading);
              levels.set(call.id, level);
            });
          }
        }),
      );
      if (this.#timer !== undefined) this.#update(levels);
    } catch (error) {
      console.warn("parley: reading sound levels failed", error);
    } finally {
      this.#busy = false;
    }
  }

  /** @param {Map<string, number>} levels */
  #update(levels) {
    const now = performance.now();
    this.#levels = levels;
    for (const [id, level] of levels) if (level >= this.#threshold) this.#lastLoud.set(id, now);
    // Muting ends speaking at once, without the hold.
    for (const peer of this.#call.peers) if (!peer.audio) this.#lastLoud.delete(peer.id);
    if (!this.#call.audioEnabled) this.#lastLoud.delete(this.#call.id);
    const present = [...this.#call.peers.map((peer) => peer.id), this.#call.id];
    for (const id of present) {
      const since = this.#lastLoud.get(id);
      const speaking = since !== undefined && now - since <= this.#holdMs;
      if (speaking !== this.#speaking.has(id)) {
        if (speaking) this.#speaking.add(id);
        else this.#speaking.delete(id);
        this.#emit("speaking", { id, speaking });
      }
    }
    // The active speaker changes when they have stopped and someone else speaks; among
    // several, the loudest one.
    if (this.#active !== null && this.#speaking.has(this.#active)) {
      this.#emit("levels", { levels: new Map(levels) });
      return;
    }
    let next = this.#active;
    let loudest = -1;
    for (const id of this.#speaking) {
      if (id === this.#call.id) continue;
      const level = levels.get(id) ?? 0;
      if (level > loudest) {
        loudest = level;
        next = id;
      }
    }
    if (next !== this.#active) {
      const previous = this.#active;
      this.#active = next;
      this.#emit("active-speaker", { id: next, previous });
    }
    this.#emit("levels", { levels: new Map(levels) });
  }

  /**
   * @param {string} type
   * @param {unknown} detail
   */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
