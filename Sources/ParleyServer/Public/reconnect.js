// A discreet "Reconnecting…" notice while the signalling connection is down. The call itself
// goes on meanwhile (audio and video go directly between browsers), so nothing else changes.

/** @typedef {import("./protocol.js").ParleyCall} ParleyCall */

/** Short drops are not worth a flicker: the notice shows only after this long. */
const SHOW_AFTER_MS = 700;

export class ReconnectNotice {
  /** @type {HTMLElement} */
  #root;
  /** @type {HTMLElement} */
  #text;
  /** @type {number | undefined} */
  #timer;

  /**
   * @param {HTMLElement} root  a live region (`role="status"`) that stays in the page; its
   *   `.reconnecting-text` child gets the words
   */
  constructor(root) {
    this.#root = root;
    const text = root.querySelector(".reconnecting-text");
    if (!(text instanceof HTMLElement)) throw new Error("the reconnecting notice lacks its text");
    this.#text = text;
    this.#hide();
  }

  /** @param {ParleyCall} call */
  attach(call) {
    call.addEventListener("reconnecting", (event) => {
      const { lobby } = /** @type {CustomEvent<{lobby: boolean}>} */ (event).detail;
      const words = lobby ? "Reconnecting… waiting for a moderator" : "Reconnecting…";
      if (this.#root.dataset.state === "reconnecting") {
        this.#text.textContent = words;
        return;
      }
      this.#root.dataset.state = "reconnecting";
      clearTimeout(this.#timer);
      this.#timer = window.setTimeout(() => {
        this.#root.hidden = false;
        this.#text.textContent = words;
      }, SHOW_AFTER_MS);
    });
    call.addEventListener("reconnected", () => this.#hide());
    call.addEventListener("closed", () => this.#hide());
  }

  #hide() {
    clearTimeout(this.#timer);
    this.#root.dataset.state = "connected";
    this.#root.hidden = true;
    this.#text.textContent = "";
  }
}
