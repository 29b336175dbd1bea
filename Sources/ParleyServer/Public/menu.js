// A pop-up menu of actions (keyboard and screen reader friendly) and small dialogs that ask
// a question. On a phone-sized screen the menu opens as a sheet at the bottom.

/**
 * @typedef {object} MenuItem
 * @property {string} label
 * @property {() => void} action
 * @property {boolean} [danger]  shown in red: it ends something for someone
 */

export class PopupMenu {
  /** @type {HTMLElement} */
  #root;
  /** @type {HTMLElement} */
  #title;
  /** @type {HTMLElement} */
  #list;
  /** @type {HTMLElement | null} */
  #anchor = null;

  /** @param {HTMLElement} root  an element holding a heading (`.menu-title`) and a list (`.menu-items`) */
  constructor(root) {
    this.#root = root;
    const title = root.querySelector(".menu-title");
    const list = root.querySelector(".menu-items");
    if (!(title instanceof HTMLElement) || !(list instanceof HTMLElement)) throw new Error("menu lacks its parts");
    this.#title = title;
    this.#list = list;
    root.addEventListener("keydown", (event) => this.#onKey(event));
    document.addEventListener("pointerdown", (event) => {
      if (this.isOpen && event.target instanceof Node && !root.contains(event.target) &&
        !this.#anchor?.contains(event.target)) {
        this.close(false);
      }
    });
    window.addEventListener("resize", () => this.close(false));
  }

  /** @returns {boolean} */
  get isOpen() {
    return !this.#root.hidden;
  }

  /** @returns {HTMLElement | null} the button the menu was opened from */
  get anchor() {
    return this.isOpen ? this.#anchor : null;
  }

  /**
   * Opens the menu under (or above) `anchor`. Opening it again from the same anchor closes it.
   * @param {HTMLElement} anchor
   * @param {string} title      what the menu is about, e.g. a person's name
   * @param {MenuItem[]} items
   */
  open(anchor, title, items) {
    if (this.isOpen && this.#anchor === anchor) {
      this.close(true);
      return;
    }
    this.close(false);
    this.#anchor = anchor;
    this.#title.textContent = title;
    this.#root.setAttribute("aria-label", title);
    this.#list.replaceChildren(
      ...items.map((item) => {
        const button = document.createElement("button");
        button.type = "button";
        button.setAttribute("role", "menuitem");
        button.className = item.danger ? "menu-item danger" : "menu-item";
        button.textContent = item.label;
        button.addEventListener("click", () => {
          this.close(true);
          item.action();
        });
        return button;
      }),
    );
    this.#root.hidden = false;
    anchor.setAttribute("aria-expanded", "true");
    this.#place(anchor);
    this.#items()[0]?.focus();
  }

  /** @param {boolean} refocus  give the focus back to the button that opened the menu */
  close(refocus) {
    if (!this.isOpen) return;
    this.#root.hidden = true;
    this.#anchor?.setAttribute("aria-expanded", "false");
    if (refocus) this.#anchor?.focus();
    this.#anchor = null;
  }

  /** @returns {HTMLButtonElement[]} */
  #items() {
    return [...this.#list.querySelectorAll("button")];
  }

  /** @param {HTMLElement} anchor */
  #place(anchor) {
    const style = this.#root.style;
    style.left = style.top = "";
    if (window.matchMedia("(max-width: 480px)").matches) return; // a sheet at the bottom
    const box = anchor.getBoundingClientRect();
    const menu = this.#root.getBoundingClientRect();
    const margin = 8;
    const left = Math.min(Math.max(margin, box.left), window.innerWidth - menu.width - margin);
    const below = box.bottom + 6;
    const top = below + menu.height <= window.innerHeight - margin ? below : Math.max(margin, box.top - menu.height - 6);
    style.left = `${left}px`;
    style.top = `${top}px`;
  }

  /** @param {KeyboardEvent} event */
  #onKey(event) {
    const items = this.#items();
    const index = items.findIndex((item) => item === document.activeElement);
    if (event.key === "Escape") {
      event.preventDefault();
      this.close(true);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      items[(index + step + items.length) % items.length]?.focus();
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      items[event.key === "Home" ? 0 : items.length - 1]?.focus();
    } else if (event.key === "Tab") {
      this.close(false);
    }
  }
}

/**
 * A modal question with one confirming button (`<dialog>` with `.dialog-title`,
 * `.dialog-text`, an optional `input`, and `button[value=ok]`).
 */
export class QuestionDialog {
  /** @type {HTMLDialogElement} */
  #dialog;

  /** @param {HTMLDialogElement} dialog */
  constructor(dialog) {
    this.#dialog = dialog;
  }

  /**
   * Shows the question and resolves with what was typed (or "" without a field) when
   * confirmed, or null when cancelled.
   * @param {{title: string, text: string, confirm: string, danger?: boolean}} question
   * @returns {Promise<string | null>}
   */
  ask({ title, text, confirm, danger = false }) {
    const dialog = this.#dialog;
    const titleNode = dialog.querySelector(".dialog-title");
    const textNode = dialog.querySelector(".dialog-text");
    const ok = dialog.querySelector('button[value="ok"]');
    const input = dialog.querySelector("input");
    if (titleNode) titleNode.textContent = title;
    if (textNode) textNode.textContent = text;
    if (ok instanceof HTMLButtonElement) {
      ok.textContent = confirm;
      ok.classList.toggle("danger", danger);
      ok.classList.toggle("primary", !danger);
    }
    if (input) input.value = "";
    dialog.returnValue = "";
    return new Promise((resolve) => {
      // An empty required field keeps the dialog open (the browser says why); Cancel has
      // `formnovalidate`.
      dialog.addEventListener("close", () => {
        resolve(dialog.returnValue === "ok" ? input?.value ?? "" : null);
      }, { once: true });
      dialog.showModal();
      if (input) input.focus();
      else if (ok instanceof HTMLButtonElement) ok.focus();
    });
  }
}
