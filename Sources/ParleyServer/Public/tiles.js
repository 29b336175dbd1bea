// The grid of participant tiles: one per person, including ourselves.

/**
 * @typedef {object} TileInfo
 * @property {string} id
 * @property {string} name
 * @property {boolean} audio
 * @property {boolean} video
 * @property {Role} [role]
 * @property {boolean} [self]
 */

/** @typedef {import("./protocol.js").Role} Role */

/**
 * @typedef {object} Tile
 * @property {HTMLElement} root
 * @property {HTMLVideoElement} video
 * @property {HTMLElement} status
 * @property {HTMLElement} name
 * @property {HTMLElement} badge
 * @property {HTMLButtonElement | null} menu   the moderator's options button (others' tiles)
 */

const GAP = 8;
const MAX_ASPECT = 16 / 9;
const MIN_ASPECT = 3 / 4;

/**
 * Up to two initials for the placeholder shown when the camera is off.
 * @param {string} name
 * @returns {string}
 */
function initials(name) {
  const words = name.trim().split(/\s+/u).filter(Boolean);
  const letters = words.slice(0, 2).map((word) => Array.from(word)[0] ?? "");
  return letters.join("").toLocaleUpperCase() || "?";
}

/**
 * A stable hue per participant, so each placeholder has its own colour.
 * @param {string} id
 * @returns {number}
 */
function hue(id) {
  let h = 0;
  for (const char of id) h = (h * 31 + (char.codePointAt(0) ?? 0)) % 360;
  return h;
}

/**
 * @param {string} tag
 * @param {string} [className]
 * @returns {HTMLElement}
 */
function element(tag, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

/**
 * One of room.html's icons, hidden from screen readers (the control around it has the name).
 * @param {string} symbol  id of an icon in room.html
 * @returns {SVGSVGElement}
 */
export function icon(symbol) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
  use.setAttribute("href", `#${symbol}`);
  svg.append(use);
  return svg;
}

/** @type {Record<Role, string>} */
const ROLE_WORDS = { moderator: "Moderator", participant: "", viewer: "Viewer" };

/** @type {Partial<Record<RTCPeerConnectionState, string>>} */
const STATE_WORDS = {
  new: "Connecting…",
  connecting: "Connecting…",
  disconnected: "Connection interrupted…",
  failed: "Could not connect",
};

export class TileGrid {
  /** @type {HTMLElement} */
  #container;
  /** @type {Map<string, Tile>} */
  #tiles = new Map();
  /** @type {(video: HTMLVideoElement) => void} */
  #onPlayBlocked;
  /** @type {(id: string, button: HTMLButtonElement) => void} */
  #onMenu;
  #moderating = false;
  /**
   * The container's content box as its ResizeObserver last reported it. Kept so that adding
   * or removing a tile never reads layout: a forced style and layout in the middle of joining
   * held the browser's answer to our first offer back by about 100 ms (bench/call_setup.py).
   */
  #space = { width: 0, height: 0 };

  /**
   * @param {HTMLElement} container
   * @param {(video: HTMLVideoElement) => void} onPlayBlocked  called when the browser refuses
   *   to play a remote video with sound (autoplay policy); the video is then muted
   * @param {(id: string, button: HTMLButtonElement) => void} onMenu  a moderator pressed the
   *   options button on someone's tile
   */
  constructor(container, onPlayBlocked, onMenu) {
    this.#container = container;
    this.#onPlayBlocked = onPlayBlocked;
    this.#onMenu = onMenu;
    // Called after layout whenever the container's size changes, including when the call
    // view is first shown; what the tiles' sizes change is laid out again before the paint.
    new ResizeObserver((entries) => {
      const box = entries[entries.length - 1].contentRect;
      this.#space = { width: box.width, height: box.height };
      this.layout();
    }).observe(container);
  }

  /** @returns {number} */
  get size() {
    return this.#tiles.size;
  }

  /** @param {TileInfo} info */
  add(info) {
    if (this.#tiles.has(info.id)) return;
    const root = element("figure", "tile");
    root.dataset.testid = "tile";
    root.dataset.peerId = info.id;
    root.dataset.self = String(Boolean(info.self));
    root.style.setProperty("--hue", String(hue(info.id)));

    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.muted = Boolean(info.self); // never play our own microphone back
    if (info.self) video.classList.add("mirrored");

    const avatar = element("div", "avatar");
    avatar.setAttribute("aria-hidden", "true");
    avatar.textContent = initials(info.name);

    const caption = element("figcaption", "tile-caption");
    const name = element("span", "tile-name");
    name.dataset.testid = "tile-name";
    name.textContent = info.name;
    caption.append(name);
    if (info.self) {
      const you = element("span", "tile-you");
      you.textContent = "(you)";
      caption.append(you);
    }
    const badge = element("span", "role-badge");
    badge.dataset.testid = "role-badge";
    caption.append(badge);
    const muted = element("span", "indicator");
    muted.dataset.testid = "muted-indicator";
    muted.setAttribute("role", "img");
    muted.setAttribute("aria-label", "Microphone off");
    muted.title = "Microphone off";
    muted.append(icon("i-mic-off"));
    const cameraOff = element("span", "indicator");
    cameraOff.dataset.testid = "camera-off-indicator";
    cameraOff.setAttribute("role", "img");
    cameraOff.setAttribute("aria-label", "Camera off");
    cameraOff.title = "Camera off";
    cameraOff.append(icon("i-cam-off"));
    caption.append(muted, cameraOff);

    const status = element("div", "tile-status");
    status.dataset.testid = "tile-status";

    root.append(video, avatar, caption, status);
    /** @type {HTMLButtonElement | null} */
    let menu = null;
    if (!info.self) {
      menu = document.createElement("button");
      menu.type = "button";
      menu.className = "tile-menu";
      menu.dataset.testid = "tile-menu";
      menu.setAttribute("aria-label", `Options for ${info.name}`);
      menu.title = `Options for ${info.name}`;
      menu.setAttribute("aria-haspopup", "menu");
      menu.setAttribute("aria-expanded", "false");
      menu.append(icon("i-more"));
      menu.hidden = !this.#moderating;
      const button = menu;
      menu.addEventListener("click", () => this.#onMenu(info.id, button));
      root.append(menu);
    }
    root.setAttribute("aria-label", info.self ? `${info.name} (you)` : info.name);
    this.#tiles.set(info.id, { root, video, status, name, badge, menu });
    this.setRole(info.id, info.role ?? "participant");
    if (info.self) this.#container.prepend(root);
    else this.#container.append(root);
    this.setMedia(info.id, info);
    this.setState(info.id, info.self ? "connected" : "new");
    this.#container.dataset.count = String(this.#tiles.size);
    this.layout();
  }

  /** @param {string} id */
  remove(id) {
    const tile = this.#tiles.get(id);
    if (!tile) return;
    tile.video.srcObject = null;
    tile.root.remove();
    this.#tiles.delete(id);
    this.#container.dataset.count = String(this.#tiles.size);
    this.layout();
  }

  /** Removes every tile. */
  clear() {
    for (const id of [...this.#tiles.keys()]) this.remove(id);
  }

  /**
   * Shows a stream on a tile. Setting it again after its tracks changed makes the video
   * element pick the new tracks up.
   * @param {string} id
   * @param {MediaStream} stream
   */
  setStream(id, stream) {
    const tile = this.#tiles.get(id);
    if (!tile) return;
    tile.video.srcObject = stream;
    tile.video.play().catch((error) => {
      if (error instanceof DOMException && error.name === "NotAllowedError" && !tile.video.muted) {
        tile.video.muted = true;
        tile.video.play().catch(() => {});
        this.#onPlayBlocked(tile.video);
      }
    });
  }

  /**
   * @param {string} id
   * @param {{audio: boolean, video: boolean}} media
   */
  setMedia(id, { audio, video }) {
    const tile = this.#tiles.get(id);
    if (!tile) return;
    tile.root.dataset.mic = audio ? "on" : "off";
    tile.root.dataset.camera = video ? "on" : "off";
    const muted = tile.root.querySelector('[data-testid="muted-indicator"]');
    const cameraOff = tile.root.querySelector('[data-testid="camera-off-indicator"]');
    if (muted instanceof HTMLElement) muted.hidden = audio;
    if (cameraOff instanceof HTMLElement) cameraOff.hidden = video;
  }

  /**
   * Shows the role on the tile: a badge for moderators and viewers.
   * @param {string} id
   * @param {Role} role
   */
  setRole(id, role) {
    const tile = this.#tiles.get(id);
    if (!tile) return;
    tile.root.dataset.role = role;
    tile.badge.textContent = ROLE_WORDS[role];
    tile.badge.hidden = ROLE_WORDS[role] === "";
  }

  /**
   * Shows or hides the moderator's options button on everyone else's tile.
   * @param {boolean} on
   */
  setModerating(on) {
    this.#moderating = on;
    for (const tile of this.#tiles.values()) if (tile.menu) tile.menu.hidden = !on;
  }

  /**
   * The name shown on a tile.
   * @param {string} id
   * @returns {string}
   */
  nameOf(id) {
    return this.#tiles.get(id)?.name.textContent ?? "";
  }

  /**
   * @param {string} id
   * @param {RTCPeerConnectionState} state
   */
  setState(id, state) {
    const tile = this.#tiles.get(id);
    if (!tile) return;
    tile.root.dataset.state = state;
    const words = STATE_WORDS[state] ?? "";
    tile.status.textContent = words;
    tile.status.hidden = words === "";
  }

  /**
   * Sizes the tiles so that all fit, as large as possible. Videos are cropped to fill
   * their tile, so a tile may be any shape from portrait 3:4 to wide 16:9. Reads no layout
   * (see `#space`): cheap to call after every change.
   */
  layout() {
    // Other tiles in the grid (shared screens) take their share of the room too.
    const count = this.#container.querySelectorAll(":scope > .tile").length;
    const { width, height } = this.#space;
    if (count === 0 || width <= 0 || height <= 0) return;
    let best = { w: 0, h: 0 };
    for (let cols = 1; cols <= count; cols++) {
      const rows = Math.ceil(count / cols);
      let w = (width - GAP * (cols - 1)) / cols;
      let h = (height - GAP * (rows - 1)) / rows;
      if (w / h > MAX_ASPECT) w = h * MAX_ASPECT;
      if (w / h < MIN_ASPECT) h = w / MIN_ASPECT;
      if (w * h > best.w * best.h) best = { w, h };
    }
    this.#container.style.setProperty("--tile-w", `${Math.floor(best.w)}px`);
    this.#container.style.setProperty("--tile-h", `${Math.floor(best.h)}px`);
  }
}
