// Screen sharing in the call view: the Share screen button, and one tile per shared screen
// ("Ada's screen"), ours included. The call library does the sending and receiving.

/** @typedef {import("./protocol.js").ParleyCall} ParleyCall */

/** @returns {boolean} whether this browser can share a screen at all (phones mostly cannot) */
export function canShareScreen() {
  return typeof navigator.mediaDevices?.getDisplayMedia === "function";
}

/**
 * What a person is called in a tile's label.
 * @param {string} name
 * @returns {string}
 */
export function screenLabel(name) {
  return `${name}'s screen`;
}

export class ScreenShareView {
  /** @type {HTMLButtonElement} */
  #button;
  /** @type {HTMLElement} */
  #container;
  /** @type {() => void} */
  #layout;
  /** @type {(text: string) => void} */
  #notify;
  /** @type {ParleyCall | null} */
  #call = null;
  /** @type {Map<string, HTMLElement>} */
  #tiles = new Map();

  /**
   * @param {object} options
   * @param {HTMLButtonElement} options.button   the Share screen / Stop sharing button
   * @param {HTMLElement} options.container      the tile grid; screen tiles go first
   * @param {() => void} options.layout          sizes the grid's tiles again
   * @param {(text: string) => void} options.notify  tells the person something
   */
  constructor({ button, container, layout, notify }) {
    this.#button = button;
    this.#container = container;
    this.#layout = layout;
    this.#notify = notify;
    button.hidden = true;
    button.addEventListener("click", () => this.#toggle());
  }

  /**
   * Follows one call: its screens and ours.
   * @param {ParleyCall} call
   */
  attach(call) {
    this.#call = call;
    const update = () => {
      if (this.#call !== call) return;
      this.#button.hidden = !canShareScreen() || call.role === "viewer" || call.state !== "joined";
      this.#setButton(call.screenStream !== null);
    };
    call.addEventListener("joined", update);
    call.addEventListener("peer-role", update);
    call.addEventListener("screen", (event) => {
      const { id, stream } = /** @type {CustomEvent<{id: string, stream: MediaStream | null}>} */ (event).detail;
      if (this.#call !== call) return;
      if (stream) {
        const name = call.peers.find((peer) => peer.id === id)?.name ?? "Someone";
        this.#show(id, screenLabel(name), stream, false);
      } else {
        this.#hide(id);
      }
    });
    call.addEventListener("local-screen", (event) => {
      const { stream } = /** @type {CustomEvent<{stream: MediaStream | null}>} */ (event).detail;
      if (this.#call !== call) return;
      if (stream) this.#show(call.id, screenLabel(call.name), stream, true);
      else this.#hide(call.id);
      update();
    });
    call.addEventListener("peer-left", (event) => {
      const { id } = /** @type {CustomEvent<{id: string}>} */ (event).detail;
      this.#hide(id);
    });
    call.addEventListener("closed", () => {
      if (this.#call !== call) return;
      this.#call = null;
      this.clear();
      this.#button.hidden = true;
    });
  }

  /** Removes every screen tile. */
  clear() {
    for (const id of [...this.#tiles.keys()]) this.#hide(id);
  }

  async #toggle() {
    const call = this.#call;
    if (!call) return;
    if (call.screenStream) {
      call.stopScreenShare();
      return;
    }
    this.#button.disabled = true;
    try {
      await call.shareScreen();
    } catch (error) {
      // Pressing Cancel in the browser's picker is not a problem worth a word.
      const name = error instanceof DOMException ? error.name : "";
      if (name !== "NotAllowedError" && name !== "AbortError") {
        this.#notify(`Couldn't share your screen: ${error instanceof Error ? error.message : String(error)}`);
      }
    } finally {
      this.#button.disabled = false;
    }
  }

  /** @param {boolean} sharing */
  #setButton(sharing) {
    const label = sharing ? "Stop sharing" : "Share screen";
    this.#button.setAttribute("aria-label", label);
    this.#button.title = label;
    this.#button.setAttribute("aria-pressed", String(sharing));
    this.#button.classList.toggle("active", sharing);
  }

  /**
   * @param {string} id      whose screen (peer id)
   * @param {string} label
   * @param {MediaStream} stream
   * @param {boolean} self
   */
  #show(id, label, stream, self) {
    let tile = this.#tiles.get(id);
    if (!tile) {
      tile = document.createElement("figure");
      tile.className = "tile screen-tile";
      tile.dataset.testid = "screen-tile";
      tile.dataset.peerId = id;
      tile.dataset.self = String(self);
      const video = document.createElement("video");
      video.autoplay = true;
      video.playsInline = true;
      video.muted = true; // only the picture is shared
      const caption = document.createElement("figcaption");
      caption.className = "tile-caption";
      const name = document.createElement("span");
      name.className = "tile-name";
      name.dataset.testid = "screen-tile-name";
      name.textContent = label;
      caption.append(name);
      if (self) {
        const you = document.createElement("span");
        you.className = "tile-you";
        you.textContent = "(you)";
        caption.append(you);
      }
      tile.append(video, caption);
      tile.setAttribute("aria-label", self ? `${label} (you)` : label);
      this.#tiles.set(id, tile);
      this.#container.prepend(tile);
    }
    const video = tile.querySelector("video");
    if (video) {
      video.srcObject = stream;
      video.play().catch(() => {});
    }
    this.#layout();
  }

  /** @param {string} id */
  #hide(id) {
    const tile = this.#tiles.get(id);
    if (!tile) return;
    const video = tile.querySelector("video");
    if (video) video.srcObject = null;
    tile.remove();
    this.#tiles.delete(id);
    this.#layout();
  }
}
