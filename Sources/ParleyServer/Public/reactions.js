// Raised hands and reactions: the hand button, the reaction picker, and what both show on
// everyone's tile. UI only: the call library sends and receives them.

import { REACTIONS } from "./protocol.js";
import { icon } from "./tiles.js";

/** @typedef {import("./protocol.js").ParleyCall} ParleyCall */
/** @typedef {import("./protocol.js").PeerInfo} PeerInfo */

/** Words for each reaction, for screen readers and tooltips. */
/** @type {Record<string, string>} */
const REACTION_WORDS = {
  "\u{1F44D}": "thumbs up",
  "\u{1F44F}": "applause",
  "\u{1F602}": "laughter",
  "\u{1F62E}": "surprise",
  "\u{2764}\u{FE0F}": "heart",
  "\u{1F389}": "celebration",
};

/** How long a reaction floats over a tile. */
const REACTION_MS = 4000;

/** A person's tile (a shared screen has a tile of its own, without hand or reactions). */
const TILE = '[data-testid="tile"]';

/** At most this many reactions float over one tile at once; older ones go first. */
const MAX_FLOATING = 4;

export class Gestures {
  /** @type {HTMLElement} */
  #tiles;
  /**
   * The hand toggles: the one in the toolbar, and the one in the picker (shown instead on
   * narrow screens, where the toolbar has no room for both).
   * @type {HTMLButtonElement[]}
   */
  #handButtons;
  /** @type {HTMLButtonElement} */
  #reactButton;
  /** @type {HTMLElement} */
  #picker;
  /** @type {(text: string) => void} */
  #toast;
  /** @type {ParleyCall | null} */
  #call = null;
  /**
   * Whose hand is raised, by peer id (ours included); tiles made later pick it up.
   * @type {Set<string>}
   */
  #raised = new Set();

  /**
   * @param {object} parts
   * @param {HTMLElement} parts.tiles          the tile grid (tiles carry `data-peer-id`)
   * @param {HTMLButtonElement[]} parts.handButtons
   * @param {HTMLButtonElement} parts.reactButton  opens the picker
   * @param {HTMLElement} parts.picker         filled with one button per reaction
   * @param {(text: string) => void} parts.toast  shows a short notice
   */
  constructor({ tiles, handButtons, reactButton, picker, toast }) {
    this.#tiles = tiles;
    this.#handButtons = handButtons;
    this.#reactButton = reactButton;
    this.#picker = picker;
    this.#toast = toast;

    for (const emoji of REACTIONS) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "reaction-choice";
      button.dataset.testid = "reaction-choice";
      button.textContent = emoji;
      const words = REACTION_WORDS[emoji] ?? emoji;
      button.setAttribute("aria-label", `React with ${words}`);
      button.title = words[0].toLocaleUpperCase() + words.slice(1);
      button.addEventListener("click", () => {
        this.#send(emoji);
        this.#setPickerOpen(false);
        this.#reactButton.focus();
      });
      picker.append(button);
    }
    for (const button of handButtons) {
      button.addEventListener("click", () => {
        if (!this.#call) return;
        try {
          this.#call.setHandRaised(!this.#call.handRaised);
        } catch {
          // Not in the call any more: nothing to raise.
        }
        if (picker.contains(button)) {
          this.#setPickerOpen(false);
          reactButton.focus();
        }
      });
    }
    reactButton.addEventListener("click", () => this.#setPickerOpen(picker.hidden));
    picker.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        this.#setPickerOpen(false);
        reactButton.focus();
      } else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        const choices = this.#choices();
        const index = choices.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
        const step = event.key === "ArrowRight" ? 1 : -1;
        choices[(index + step + choices.length) % choices.length]?.focus();
        event.preventDefault();
      }
    });
    document.addEventListener("pointerdown", (event) => {
      if (!picker.hidden && event.target instanceof Node && !picker.contains(event.target) &&
        !reactButton.contains(event.target)) {
        this.#setPickerOpen(false);
      }
    });
    // A tile made after the hand went up (a late joiner, a rejoin) shows it too.
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (node instanceof HTMLElement && node.dataset.testid === "tile" && node.dataset.peerId) {
            this.#showHand(node.dataset.peerId, this.#raised.has(node.dataset.peerId));
          }
        }
      }
    }).observe(tiles, { childList: true });
    this.#updateButton(false);
  }

  /**
   * Follows a call: its hands and reactions appear on the tiles.
   * @param {ParleyCall} call
   */
  attach(call) {
    this.#call = call;
    this.#raised.clear();
    /** @param {PeerInfo[]} peers */
    const adopt = (peers) => {
      this.#raised.clear();
      if (call.handRaised) this.#raised.add(call.id);
      for (const peer of peers) if (peer.hand) this.#raised.add(peer.id);
      for (const tile of this.#tileElements()) {
        const id = tile.dataset.peerId ?? "";
        this.#showHand(id, this.#raised.has(id));
      }
      this.#updateButton(call.handRaised);
    };
    call.addEventListener("joined", () => adopt(call.peers));
    call.addEventListener("reconnected", () => adopt(call.peers));
    call.addEventListener("peer-joined", (event) => {
      const { peer } = /** @type {CustomEvent<{peer: PeerInfo}>} */ (event).detail;
      this.#setRaised(peer.id, peer.hand);
    });
    call.addEventListener("peer-left", (event) => {
      const { id } = /** @type {CustomEvent<{id: string}>} */ (event).detail;
      this.#raised.delete(id);
    });
    call.addEventListener("peer-hand", (event) => {
      const { id, raised, self } = /** @type {CustomEvent<{id: string, raised: boolean, self: boolean}>} */ (
        event
      ).detail;
      this.#setRaised(id, raised);
      if (self) {
        this.#updateButton(raised);
      } else if (raised && call.isModerator) {
        const name = call.peers.find((peer) => peer.id === id)?.name ?? "Someone";
        this.#toast(`${name} raised their hand`);
      }
    });
    call.addEventListener("reaction", (event) => {
      const { from, emoji } = /** @type {CustomEvent<{from: string, emoji: string}>} */ (event).detail;
      this.#float(from, emoji);
    });
    call.addEventListener("closed", () => {
      this.#call = null;
      this.#raised.clear();
      this.#setPickerOpen(false);
      this.#updateButton(false);
    });
  }

  /**
   * Who has a hand up, for a moderator's list: ids in no particular order.
   * @returns {string[]}
   */
  get raisedHands() {
    return [...this.#raised];
  }

  /** @param {string} emoji */
  #send(emoji) {
    try {
      this.#call?.sendReaction(emoji);
    } catch {
      // Not in the call any more.
    }
  }

  /** @param {boolean} open */
  #setPickerOpen(open) {
    this.#picker.hidden = !open;
    this.#reactButton.setAttribute("aria-expanded", String(open));
    this.#reactButton.classList.toggle("active", open);
    if (open) this.#choices()[0]?.focus();
  }

  /** @returns {HTMLButtonElement[]} the picker's buttons that are shown */
  #choices() {
    return [...this.#picker.querySelectorAll("button")].filter((button) => button.getClientRects().length > 0);
  }

  /** @param {boolean} raised */
  #updateButton(raised) {
    for (const button of this.#handButtons) {
      button.setAttribute("aria-pressed", String(raised));
      button.setAttribute("aria-label", raised ? "Lower hand" : "Raise hand");
      button.title = raised ? "Lower hand" : "Raise hand";
      button.classList.toggle("raised", raised);
    }
    // Where the hand button is in the picker (a phone), the picker's button shows it is up.
    this.#reactButton.classList.toggle("hand-up", raised);
  }

  /**
   * @param {string} id
   * @param {boolean} raised
   */
  #setRaised(id, raised) {
    if (raised) this.#raised.add(id);
    else this.#raised.delete(id);
    this.#showHand(id, raised);
  }

  /** @returns {HTMLElement[]} */
  #tileElements() {
    return [...this.#tiles.querySelectorAll(TILE)].filter(
      /** @returns {node is HTMLElement} */ (node) => node instanceof HTMLElement,
    );
  }

  /**
   * @param {string} id
   * @returns {HTMLElement | null}
   */
  #tile(id) {
    const node = this.#tiles.querySelector(`${TILE}[data-peer-id="${CSS.escape(id)}"]`);
    return node instanceof HTMLElement ? node : null;
  }

  /**
   * Puts a hand on someone's tile, or takes it off.
   * @param {string} id
   * @param {boolean} raised
   */
  #showHand(id, raised) {
    const tile = this.#tile(id);
    if (!tile) return;
    tile.dataset.hand = raised ? "raised" : "down";
    let hand = tile.querySelector(".tile-hand");
    if (raised && !hand) {
      hand = document.createElement("span");
      hand.className = "tile-hand";
      hand.setAttribute("data-testid", "tile-hand");
      hand.setAttribute("role", "img");
      hand.setAttribute("aria-label", "Hand raised");
      hand.setAttribute("title", "Hand raised");
      hand.append(icon("i-hand"));
      const caption = tile.querySelector(".tile-caption");
      if (caption) caption.prepend(hand);
      else tile.append(hand);
    } else if (!raised) {
      hand?.remove();
    }
  }

  /**
   * Lets a reaction rise over the sender's tile for a few seconds.
   * @param {string} id
   * @param {string} emoji
   */
  #float(id, emoji) {
    const tile = this.#tile(id);
    if (!tile) return;
    const floating = tile.querySelectorAll(".tile-reaction");
    if (floating.length >= MAX_FLOATING) floating[0].remove();
    const bubble = document.createElement("span");
    bubble.className = "tile-reaction";
    bubble.dataset.testid = "tile-reaction";
    bubble.textContent = emoji;
    bubble.setAttribute("role", "img");
    bubble.setAttribute("aria-label", REACTION_WORDS[emoji] ?? emoji);
    // A little sideways spread, so quick repeats do not sit on top of each other.
    bubble.style.setProperty("--drift", `${Math.round((Math.random() - 0.5) * 40)}px`);
    tile.append(bubble);
    setTimeout(() => bubble.remove(), REACTION_MS);
  }
}
