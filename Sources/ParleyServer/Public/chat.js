// The chat panel: a list of messages and a field to write one.

/** @typedef {import("./protocol.js").ChatMessage} ChatMessage */

const TIME = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const DAY_TIME = new Intl.DateTimeFormat(undefined, {
  month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
});

/** A sender clock further off than this is not shown; our own clock is used instead. */
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

export class ChatPanel {
  /** @type {HTMLElement} */
  #panel;
  /** @type {HTMLOListElement} */
  #list;
  /** @type {HTMLElement} */
  #empty;
  /** @type {HTMLInputElement} */
  #input;
  /** @type {HTMLButtonElement} */
  #toggle;
  /** @type {HTMLElement} */
  #badge;
  #unread = 0;

  /**
   * @param {object} parts
   * @param {HTMLElement} parts.panel
   * @param {HTMLOListElement} parts.list
   * @param {HTMLElement} parts.empty
   * @param {HTMLFormElement} parts.form
   * @param {HTMLInputElement} parts.input
   * @param {HTMLButtonElement} parts.toggle
   * @param {HTMLButtonElement} parts.close
   * @param {HTMLElement} parts.badge
   * @param {(text: string) => void} parts.onSend  throws to refuse the text
   */
  constructor({ panel, list, empty, form, input, toggle, close, badge, onSend }) {
    this.#panel = panel;
    this.#list = list;
    this.#empty = empty;
    this.#input = input;
    this.#toggle = toggle;
    this.#badge = badge;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value;
      if (text.trim() === "") return;
      try {
        onSend(text);
        input.value = "";
      } catch (error) {
        input.setCustomValidity(error instanceof Error ? error.message : String(error));
        input.reportValidity();
      }
    });
    input.addEventListener("input", () => input.setCustomValidity(""));
    toggle.addEventListener("click", () => this.setOpen(this.#panel.hidden));
    close.addEventListener("click", () => {
      this.setOpen(false);
      this.#toggle.focus();
    });
  }

  /** @returns {boolean} */
  get isOpen() {
    return !this.#panel.hidden;
  }

  /** @param {boolean} open */
  setOpen(open) {
    this.#panel.hidden = !open;
    this.#toggle.setAttribute("aria-expanded", String(open));
    this.#toggle.setAttribute("aria-label", open ? "Close chat" : "Open chat");
    this.#toggle.classList.toggle("active", open);
    if (open) {
      this.#unread = 0;
      this.#badge.hidden = true;
      // Both need style and layout; at the next frame the browser does those anyway, while
      // here (the panel opens as the call starts) they would hold up the connections' setup.
      requestAnimationFrame(() => {
        if (this.#panel.hidden) return;
        this.#list.scrollTop = this.#list.scrollHeight;
        this.#input.focus({ preventScroll: true });
      });
    }
    document.body.classList.toggle("chat-open", open);
    window.dispatchEvent(new Event("resize"));
  }

  /**
   * Shows a message. Earlier messages (the history sent when we join) go above a divider,
   * before everything said since, and never count as unread.
   * @param {ChatMessage} message
   */
  add(message) {
    const item = document.createElement("li");
    item.className = message.local ? "chat-message local" : "chat-message";
    item.dataset.testid = "chat-message";
    item.dataset.from = message.from;
    if (message.id) item.dataset.id = message.id;
    if (message.history) {
      item.classList.add("earlier");
      item.dataset.history = "true";
    }

    const meta = document.createElement("div");
    meta.className = "chat-meta";
    const who = document.createElement("span");
    who.className = "chat-sender";
    who.dataset.testid = "chat-sender";
    who.textContent = message.local ? `${message.name} (you)` : message.name;
    // History carries the server's clock, and may be hours old; a peer's clock may be off.
    const shownAt =
      !message.history && Math.abs(message.sentAt - message.receivedAt) > MAX_CLOCK_SKEW_MS
        ? message.receivedAt
        : message.sentAt;
    const time = document.createElement("time");
    time.dataset.testid = "chat-time";
    time.dateTime = new Date(shownAt).toISOString();
    const sameDay = new Date(shownAt).toDateString() === new Date().toDateString();
    time.textContent = sameDay ? TIME.format(shownAt) : DAY_TIME.format(shownAt);
    meta.append(who, time);

    const text = document.createElement("p");
    text.className = "chat-text";
    text.dataset.testid = "chat-text";
    text.textContent = message.text; // text, never HTML

    item.append(meta, text);
    const atBottom = this.#list.scrollHeight - this.#list.scrollTop - this.#list.clientHeight < 40;
    if (message.history) {
      this.#addEarlier(item);
    } else {
      this.#list.append(item);
    }
    this.#empty.hidden = true;
    if (atBottom || message.local) this.#list.scrollTop = this.#list.scrollHeight;
    if (!this.isOpen && !message.local && !message.history) {
      this.#unread++;
      this.#badge.textContent = String(this.#unread);
      this.#badge.hidden = false;
      this.#toggle.setAttribute("aria-label", `Open chat, ${this.#unread} unread`);
    }
  }

  /**
   * Puts an earlier message after the other earlier ones, under the "Earlier messages"
   * heading and above the divider that ends them.
   * @param {HTMLLIElement} item
   */
  #addEarlier(item) {
    let end = this.#list.querySelector(".chat-earlier-end");
    if (!end) {
      const start = document.createElement("li");
      start.className = "chat-divider chat-earlier-start";
      start.dataset.testid = "chat-earlier";
      start.textContent = "Earlier messages";
      end = document.createElement("li");
      end.className = "chat-divider chat-earlier-end";
      end.setAttribute("aria-hidden", "true");
      this.#list.prepend(start, end);
    }
    end.before(item);
  }
}
