// Who is speaking, on the tiles: a ring and a sound-wave mark on the speaker's tile; the grid
// and spotlight layouts (the spotlight follows the active speaker); pinning a tile. UI only:
// the levels come from speaking.js.

import { SpeakerDetector } from "./speaking.js";
import { icon } from "./tiles.js";

/** @typedef {import("./protocol.js").ParleyCall} ParleyCall */
/** @typedef {"grid" | "spotlight"} Layout */

const LAYOUT_KEY = "parley.layout";

/**
 * The bar of small controls in a tile's top right corner, shared with quality.js.
 * @param {HTMLElement} tile
 * @returns {HTMLElement}
 */
export function tileTools(tile) {
  let tools = tile.querySelector(":scope > .tile-tools");
  if (!(tools instanceof HTMLElement)) {
    tools = document.createElement("div");
    tools.className = "tile-tools";
    tile.append(tools);
  }
  return /** @type {HTMLElement} */ (tools);
}

/**
 * The name written on a tile.
 * @param {HTMLElement} tile
 * @returns {string}
 */
export function tileName(tile) {
  return tile.querySelector(".tile-name")?.textContent ?? "";
}

/**
 * What identifies a tile for pinning: the peer id, for a shared screen `screen:<peer id>`
 * (screenshare.js gives its tiles the person's id too).
 * @param {HTMLElement} tile
 * @returns {string}
 */
function tileKey(tile) {
  const id = tile.dataset.peerId ?? "";
  return tile.classList.contains("screen-tile") ? `screen:${id}` : id;
}

/** @returns {Layout} */
function loadLayout() {
  try {
    return localStorage.getItem(LAYOUT_KEY) === "spotlight" ? "spotlight" : "grid";
  } catch {
    return "grid";
  }
}

export class SpeakerView {
  /** @type {HTMLElement} */
  #tiles;
  /** @type {HTMLButtonElement} */
  #toggle;
  /** @type {Layout} */
  #layout = loadLayout();
  /** @type {string | null} */
  #pinned = null;
  /** @type {SpeakerDetector | null} */
  #detector = null;

  /**
   * @param {HTMLElement} tiles   the tile container (TileGrid's)
   * @param {HTMLButtonElement} toggle  the button that switches between grid and spotlight
   */
  constructor(tiles, toggle) {
    this.#tiles = tiles;
    this.#toggle = toggle;
    toggle.addEventListener("click", () => this.setLayout(this.#layout === "grid" ? "spotlight" : "grid"));
    new MutationObserver(() => this.#decorate()).observe(tiles, { childList: true });
    this.#decorate();
  }

  /** @returns {Layout} */
  get layout() {
    return this.#layout;
  }

  /**
   * Follows who speaks in this call.
   * @param {ParleyCall} call
   */
  attach(call) {
    const detector = new SpeakerDetector(call);
    this.#detector = detector;
    detector.addEventListener("speaking", (event) => {
      const { id, speaking } = /** @type {CustomEvent<{id: string, speaking: boolean}>} */ (event).detail;
      const tile = this.#tile(id);
      if (tile) tile.dataset.speaking = String(speaking);
    });
    detector.addEventListener("active-speaker", () => this.#update());
  }

  /**
   * @param {Layout} layout
   */
  setLayout(layout) {
    this.#layout = layout;
    try {
      localStorage.setItem(LAYOUT_KEY, layout);
    } catch {
      // Not remembered; no harm.
    }
    this.#update();
  }

  /**
   * Pins someone's tile (shown large in the spotlight, whoever speaks), or unpins with null.
   * @param {string | null} id
   */
  pin(id) {
    this.#pinned = id;
    if (id !== null && this.#layout !== "spotlight") this.setLayout("spotlight");
    else this.#update();
  }

  /**
   * @param {string} id
   * @returns {HTMLElement | null}
   */
  #tile(id) {
    const tile = this.#tiles.querySelector(`:scope > .tile[data-peer-id="${CSS.escape(id)}"]:not(.screen-tile)`);
    return tile instanceof HTMLElement ? tile : null;
  }

  /** @returns {HTMLElement[]} */
  #allTiles() {
    return [...this.#tiles.querySelectorAll(":scope > .tile")].filter(
      (tile) => tile instanceof HTMLElement,
    ).map((tile) => /** @type {HTMLElement} */ (tile));
  }

  /** Gives new tiles their pin button and speaking mark. */
  #decorate() {
    for (const tile of this.#allTiles()) {
      if (tile.querySelector(".pin-button")) continue;
      const id = tileKey(tile);
      const tools = tileTools(tile);
      const speaking = document.createElement("span");
      speaking.className = "speaking-mark";
      speaking.dataset.testid = "speaking-indicator";
      speaking.setAttribute("role", "img");
      speaking.setAttribute("aria-label", "Speaking");
      speaking.title = "Speaking";
      speaking.append(document.createElement("i"), document.createElement("i"), document.createElement("i"));
      const pin = document.createElement("button");
      pin.type = "button";
      pin.className = "pin-button";
      pin.dataset.testid = "pin-button";
      pin.append(icon("i-pin"));
      pin.addEventListener("click", () => this.pin(this.#pinned === id ? null : id));
      tools.prepend(speaking);
      tools.append(pin);
      if (this.#detector) tile.dataset.speaking = String(this.#detector.isSpeaking(id));
    }
    if (this.#pinned !== null && !this.#allTiles().some((tile) => tileKey(tile) === this.#pinned)) this.#pinned = null;
    this.#update();
  }

  /** Applies the layout, the spotlight and the pin to the tiles and the toggle. */
  #update() {
    const spotlight = this.#layout === "spotlight";
    this.#tiles.dataset.layout = this.#layout;
    const label = spotlight ? "Switch to grid layout" : "Switch to spotlight layout";
    this.#toggle.setAttribute("aria-label", label);
    this.#toggle.title = label;
    this.#toggle.classList.toggle("spotlight", spotlight);
    const words = this.#toggle.querySelector("span");
    if (words) words.textContent = spotlight ? "Grid" : "Spotlight";

    const tiles = this.#allTiles();
    const active = this.#detector?.activeSpeaker ?? null;
    const present = (/** @type {string | null} */ id) => id !== null && tiles.some((tile) => tileKey(tile) === id);
    const first = tiles.find((tile) => tile.dataset.self === "false") ?? tiles[0];
    const big = present(this.#pinned) ? this.#pinned : present(active) ? active : first ? tileKey(first) : null;
    for (const tile of tiles) {
      const id = tileKey(tile);
      tile.dataset.spotlight = String(spotlight && id === big);
      const pinned = id === this.#pinned;
      tile.dataset.pinned = String(pinned);
      const button = tile.querySelector(".pin-button");
      if (button instanceof HTMLButtonElement) {
        const name = tileName(tile) || "this person";
        const text = pinned ? `Unpin ${name}` : `Pin ${name}`;
        button.setAttribute("aria-label", text);
        button.title = text;
        button.setAttribute("aria-pressed", String(pinned));
      }
    }
  }
}
