// Recording the call on this device: the tiles as one picture (drawn onto a canvas) with
// everyone's sound mixed (Web Audio), saved as a .webm file. Nothing goes to the server.

/** @typedef {import("./protocol.js").ParleyCall} ParleyCall */

const WIDTH = 1280;
const HEIGHT = 720;
const FPS = 25;
const GAP = 6;

/** @returns {boolean} whether this browser can record */
export function canRecord() {
  return typeof MediaRecorder !== "undefined" && typeof HTMLCanvasElement.prototype.captureStream === "function";
}

/** @returns {string} a WebM type this browser records, or "" for its default */
function webmType() {
  for (const type of ["video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus", "video/webm"]) {
    if (MediaRecorder.isTypeSupported(type)) return type;
  }
  return "";
}

/**
 * `2026-12-01 19-30` for file names.
 * @param {Date} date
 * @returns {string}
 */
function stamp(date) {
  const two = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}-${two(date.getMinutes())}-${two(date.getSeconds())}`;
}

/**
 * One running recording.
 * @typedef {object} Session
 * @property {MediaRecorder} recorder
 * @property {Blob[]} chunks
 * @property {AudioContext} audio
 * @property {MediaStreamAudioDestinationNode} mix
 * @property {Map<string, MediaStreamAudioSourceNode>} sources  by track id
 * @property {MediaStream} output
 * @property {number} drawTimer
 * @property {number} clockTimer
 * @property {number} startedAt
 * @property {string} fileName
 */

export class CallRecorder {
  /** @type {HTMLElement} */
  #tiles;
  /** @type {HTMLElement} */
  #indicator;
  /** @type {HTMLElement} */
  #clock;
  /** @type {(text: string) => void} */
  #notify;
  /** @type {() => string} */
  #room;
  /** @type {Session | null} */
  #session = null;
  /** @type {HTMLCanvasElement} */
  #canvas = document.createElement("canvas");

  /**
   * @param {object} options
   * @param {HTMLElement} options.tiles       the tile grid to record
   * @param {HTMLElement} options.indicator   shown while recording (holds the Stop button)
   * @param {HTMLElement} options.clock       shows how long the recording runs
   * @param {HTMLButtonElement} options.stop  stops the recording
   * @param {() => string} options.room       the room name, for the file name
   * @param {(text: string) => void} options.notify
   */
  constructor({ tiles, indicator, clock, stop, room, notify }) {
    this.#tiles = tiles;
    this.#indicator = indicator;
    this.#clock = clock;
    this.#room = room;
    this.#notify = notify;
    this.#canvas.width = WIDTH;
    this.#canvas.height = HEIGHT;
    indicator.hidden = true;
    stop.addEventListener("click", () => this.stop());
  }

  /** @returns {boolean} */
  get recording() {
    return this.#session !== null;
  }

  /**
   * Stops the recording (and saves it) when the call ends.
   * @param {ParleyCall} call
   */
  attach(call) {
    call.addEventListener("closed", () => this.stop());
  }

  /** Starts recording the call view with everyone's sound. */
  start() {
    if (this.#session || !canRecord()) return;
    const context = this.#canvas.getContext("2d");
    if (!context) return;
    const audio = new AudioContext();
    const mix = audio.createMediaStreamDestination();
    const video = this.#canvas.captureStream(FPS);
    const output = new MediaStream([...video.getVideoTracks(), ...mix.stream.getAudioTracks()]);
    const type = webmType();
    const recorder = new MediaRecorder(output, type ? { mimeType: type, videoBitsPerSecond: 2_500_000 } : {});
    const startedAt = Date.now();
    /** @type {Session} */
    const session = {
      recorder,
      chunks: [],
      audio,
      mix,
      sources: new Map(),
      output,
      drawTimer: 0,
      clockTimer: 0,
      startedAt,
      fileName: `Parley ${this.#room()} ${stamp(new Date(startedAt))}.webm`.replace(/[\\/:*?"<>|]/gu, "-"),
    };
    this.#session = session;
    recorder.addEventListener("dataavailable", (event) => {
      if (event.data.size > 0) session.chunks.push(event.data);
    });
    recorder.addEventListener("stop", () => this.#save(session));
    this.#draw(context, session);
    session.drawTimer = window.setInterval(() => this.#draw(context, session), 1000 / FPS);
    session.clockTimer = window.setInterval(() => this.#showClock(session), 500);
    recorder.start(1000);
    audio.resume().catch(() => {});
    this.#showClock(session);
    this.#indicator.hidden = false;
    this.#notify("Recording on this device. Stop it to save the file.");
  }

  /** Stops recording; the file is then saved (downloaded). */
  stop() {
    const session = this.#session;
    if (!session) return;
    this.#session = null;
    clearInterval(session.drawTimer);
    clearInterval(session.clockTimer);
    this.#indicator.hidden = true;
    if (session.recorder.state !== "inactive") session.recorder.stop();
  }

  /** @param {Session} session */
  #save(session) {
    for (const track of session.output.getTracks()) track.stop();
    for (const source of session.sources.values()) source.disconnect();
    session.audio.close().catch(() => {});
    const blob = new Blob(session.chunks, { type: "video/webm" });
    if (blob.size === 0) {
      this.#notify("The recording is empty, so nothing was saved.");
      return;
    }
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = session.fileName;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    this.#notify(`Recording saved as “${session.fileName}”.`);
  }

  /** @param {Session} session */
  #showClock(session) {
    const seconds = Math.floor((Date.now() - session.startedAt) / 1000);
    const minutes = Math.floor(seconds / 60);
    this.#clock.textContent = `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
  }

  /**
   * Draws one frame: every tile in a grid, each with its name; and keeps the sound mix in
   * step with who is in the call.
   * @param {CanvasRenderingContext2D} context
   * @param {Session} session
   */
  #draw(context, session) {
    const tiles = [...this.#tiles.querySelectorAll(":scope > .tile")].filter(
      (tile) => tile instanceof HTMLElement && !tile.hidden,
    );
    context.fillStyle = "#101318";
    context.fillRect(0, 0, WIDTH, HEIGHT);
    const count = Math.max(tiles.length, 1);
    const cols = Math.ceil(Math.sqrt(count));
    const rows = Math.ceil(count / cols);
    const w = (WIDTH - GAP * (cols + 1)) / cols;
    const h = (HEIGHT - GAP * (rows + 1)) / rows;
    /** @type {Set<MediaStreamTrack>} */
    const sounds = new Set();
    tiles.forEach((tile, index) => {
      const x = GAP + (index % cols) * (w + GAP);
      const y = GAP + Math.floor(index / cols) * (h + GAP);
      const video = tile.querySelector("video");
      const name = tile.querySelector(".tile-name")?.textContent ?? "";
      const cameraOn = tile.getAttribute("data-camera") !== "off";
      context.fillStyle = "#1d222b";
      context.fillRect(x, y, w, h);
      if (video && cameraOn && video.videoWidth > 0) {
        const screen = tile.classList.contains("screen-tile");
        const scale = screen
          ? Math.min(w / video.videoWidth, h / video.videoHeight)
          : Math.max(w / video.videoWidth, h / video.videoHeight);
        const dw = video.videoWidth * scale;
        const dh = video.videoHeight * scale;
        context.save();
        context.beginPath();
        context.rect(x, y, w, h);
        context.clip();
        context.drawImage(video, x + (w - dw) / 2, y + (h - dh) / 2, dw, dh);
        context.restore();
      } else {
        context.fillStyle = "#8a94a6";
        context.font = `600 ${Math.round(Math.min(w, h) / 6)}px system-ui, sans-serif`;
        context.textAlign = "center";
        context.textBaseline = "middle";
        context.fillText(Array.from(name.trim())[0]?.toLocaleUpperCase() ?? "?", x + w / 2, y + h / 2);
      }
      if (name) {
        context.font = "500 20px system-ui, sans-serif";
        context.textAlign = "left";
        context.textBaseline = "alphabetic";
        const width = Math.min(context.measureText(name).width + 20, w - 16);
        context.fillStyle = "rgb(0 0 0 / 0.55)";
        context.fillRect(x + 8, y + h - 40, width, 32);
        context.fillStyle = "#fff";
        context.fillText(name, x + 18, y + h - 17, w - 36);
      }
      const stream = video?.srcObject;
      if (stream instanceof MediaStream) for (const track of stream.getAudioTracks()) sounds.add(track);
    });
    this.#mixSounds(session, sounds);
  }

  /**
   * Connects the sound of everyone shown (our own microphone included) to the recording's
   * mix, and disconnects whoever left.
   * @param {Session} session
   * @param {Set<MediaStreamTrack>} tracks
   */
  #mixSounds(session, tracks) {
    const live = new Set();
    for (const track of tracks) {
      if (track.readyState !== "live") continue;
      live.add(track.id);
      if (session.sources.has(track.id)) continue;
      const source = session.audio.createMediaStreamSource(new MediaStream([track]));
      source.connect(session.mix);
      session.sources.set(track.id, source);
    }
    for (const [id, source] of session.sources) {
      if (!live.has(id)) {
        source.disconnect();
        session.sources.delete(id);
      }
    }
  }
}
