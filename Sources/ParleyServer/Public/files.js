// Sending files to everyone or one person, and the list of files going out and coming in,
// with progress and download links. UI only: the transfer itself is filetransfer.js.

import { FileTransfers, MAX_FILE_BYTES, formatBytes } from "./filetransfer.js";

/** @typedef {import("./protocol.js").ParleyCall} ParleyCall */
/** @typedef {import("./filetransfer.js").FileTransfer} FileTransfer */

const EVERYONE = "";

/**
 * @typedef {object} FilesElements
 * @property {HTMLButtonElement} open      opens the dialog
 * @property {HTMLDialogElement} dialog
 * @property {HTMLFormElement} form
 * @property {HTMLInputElement} input      type=file
 * @property {HTMLSelectElement} to
 * @property {HTMLElement} error
 * @property {HTMLElement} list            the transfers (a <ul>)
 * @property {HTMLElement} panel           what holds the list (hidden while empty)
 */

/**
 * @typedef {object} Row
 * @property {HTMLLIElement} item
 * @property {HTMLProgressElement} progress
 * @property {HTMLElement} status
 * @property {string | null} url   object URL of a received file
 */

export class FilesView {
  /** @type {FilesElements} */
  #ui;
  /** @type {(text: string) => void} */
  #notify;
  /** @type {ParleyCall | null} */
  #call = null;
  /** @type {FileTransfers | null} */
  #transfers = null;
  /** @type {Map<FileTransfer, Row>} */
  #rows = new Map();

  /**
   * @param {FilesElements} ui
   * @param {(text: string) => void} notify  shows a short notice (a toast)
   */
  constructor(ui, notify) {
    this.#ui = ui;
    this.#notify = notify;
    ui.open.addEventListener("click", () => this.openDialog());
    ui.input.addEventListener("change", () => this.#check());
    ui.form.addEventListener("submit", (event) => {
      const submitter = /** @type {SubmitEvent} */ (event).submitter;
      if (submitter instanceof HTMLButtonElement && submitter.value === "cancel") return;
      event.preventDefault();
      if (this.#send()) ui.dialog.close();
    });
  }

  /**
   * Sends and receives files in this call.
   * @param {ParleyCall} call  not joined yet: the files channels are made on joining
   */
  attach(call) {
    this.#call = call;
    const transfers = new FileTransfers(call);
    this.#transfers = transfers;
    transfers.addEventListener("transfer", (event) => {
      const { transfer } = /** @type {CustomEvent<{transfer: FileTransfer}>} */ (event).detail;
      this.#add(transfer);
      if (transfer.direction === "receive") {
        this.#notify(`${transfer.peerName || "Someone"} is sending you ${transfer.name}`);
      }
    });
    for (const type of ["progress", "end"]) {
      transfers.addEventListener(type, (event) => {
        this.#update(/** @type {CustomEvent<{transfer: FileTransfer}>} */ (event).detail.transfer);
      });
    }
  }

  /**
   * Opens the dialog, with `to` chosen as recipient (default everyone).
   * @param {string} [to]
   */
  openDialog(to = EVERYONE) {
    const call = this.#call;
    if (!call) return;
    const options = [new Option("Everyone", EVERYONE)];
    for (const peer of call.peers) options.push(new Option(peer.name, peer.id));
    this.#ui.to.replaceChildren(...options);
    this.#ui.to.value = options.some((option) => option.value === to) ? to : EVERYONE;
    this.#ui.input.value = "";
    this.#setError("");
    this.#ui.dialog.showModal();
  }

  /** @param {string} text */
  #setError(text) {
    this.#ui.error.textContent = text;
    this.#ui.error.hidden = text === "";
  }

  /**
   * Says at once when the chosen file is too large.
   * @returns {boolean} whether it may be sent
   */
  #check() {
    const file = this.#ui.input.files?.[0];
    if (file && file.size > MAX_FILE_BYTES) {
      this.#setError(
        `${file.name} is too large (${formatBytes(file.size)}). Files can be at most 100 MiB (${formatBytes(MAX_FILE_BYTES)}).`,
      );
      return false;
    }
    this.#setError("");
    return true;
  }

  /** @returns {boolean} whether it was sent (the dialog may close) */
  #send() {
    const file = this.#ui.input.files?.[0];
    const transfers = this.#transfers;
    if (!file) {
      this.#setError("Choose a file first.");
      return false;
    }
    if (!transfers || !this.#check()) return false;
    const to = this.#ui.to.value;
    try {
      transfers.send(file, to === EVERYONE ? {} : { to });
      return true;
    } catch (error) {
      this.#setError(error instanceof Error ? error.message : String(error));
      return false;
    }
  }

  /** @param {FileTransfer} transfer */
  #add(transfer) {
    const item = document.createElement("li");
    item.className = "transfer";
    item.dataset.testid = "file-transfer";
    item.dataset.direction = transfer.direction;
    item.dataset.state = transfer.state;

    const head = document.createElement("p");
    head.className = "transfer-head";
    const name = document.createElement("span");
    name.className = "transfer-name";
    name.dataset.testid = "file-name";
    name.textContent = transfer.name;
    const size = document.createElement("span");
    size.className = "transfer-size";
    size.dataset.testid = "file-size";
    size.textContent = formatBytes(transfer.size);
    head.append(name, size);

    const who = document.createElement("p");
    who.className = "transfer-who";
    who.textContent = transfer.direction === "send" ? `To ${transfer.peerName}` : `From ${transfer.peerName}`;

    const progress = document.createElement("progress");
    progress.max = Math.max(1, transfer.size);
    progress.value = 0;
    progress.dataset.testid = "file-progress";
    progress.setAttribute(
      "aria-label",
      transfer.direction === "send"
        ? `Sending ${transfer.name} to ${transfer.peerName}`
        : `Receiving ${transfer.name} from ${transfer.peerName}`,
    );

    const status = document.createElement("p");
    status.className = "transfer-status";
    status.dataset.testid = "file-status";
    status.setAttribute("aria-live", "polite");

    const actions = document.createElement("div");
    actions.className = "transfer-actions";
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "icon-button transfer-dismiss";
    dismiss.append(closeIcon());
    const row = { item, progress, status, url: /** @type {string | null} */ (null) };
    dismiss.addEventListener("click", () => {
      if (transfer.state === "waiting" || transfer.state === "active") {
        this.#transfers?.cancel(transfer);
      } else {
        this.#remove(transfer);
      }
    });
    actions.append(dismiss);
    item.append(head, actions, who, progress, status);
    this.#rows.set(transfer, row);
    this.#ui.list.append(item);
    this.#ui.panel.hidden = false;
    this.#update(transfer);
  }

  /** @param {FileTransfer} transfer */
  #update(transfer) {
    const row = this.#rows.get(transfer);
    if (!row) return;
    row.item.dataset.state = transfer.state;
    row.progress.value = transfer.bytes;
    const percent = transfer.size === 0 ? 100 : Math.floor((transfer.bytes / transfer.size) * 100);
    const dismiss = row.item.querySelector(".transfer-dismiss");
    const running = transfer.state === "waiting" || transfer.state === "active";
    if (dismiss instanceof HTMLButtonElement) {
      const label = running ? `Stop ${transfer.name}` : `Dismiss ${transfer.name}`;
      dismiss.setAttribute("aria-label", label);
      dismiss.title = label;
    }
    switch (transfer.state) {
      case "waiting":
        row.status.textContent = "Waiting…";
        break;
      case "active":
        row.status.textContent = `${percent} % · ${formatBytes(transfer.bytes)} of ${formatBytes(transfer.size)}`;
        break;
      case "done":
        row.progress.hidden = true;
        if (transfer.direction === "send") {
          row.status.textContent = "Sent";
        } else if (transfer.blob && !row.url) {
          row.url = URL.createObjectURL(transfer.blob);
          const link = document.createElement("a");
          link.className = "button primary transfer-download";
          link.dataset.testid = "file-download";
          link.href = row.url;
          link.download = transfer.name;
          link.textContent = `Download ${transfer.name} (${formatBytes(transfer.size)})`;
          row.status.replaceChildren(link);
          this.#notify(`${transfer.peerName || "Someone"} sent you ${transfer.name}`);
        }
        break;
      default:
        row.progress.hidden = true;
        row.status.textContent =
          transfer.state === "cancelled" ? `Stopped. ${transfer.error}` : `Failed. ${transfer.error}`;
        break;
    }
  }

  /** @param {FileTransfer} transfer */
  #remove(transfer) {
    const row = this.#rows.get(transfer);
    if (!row) return;
    if (row.url) URL.revokeObjectURL(row.url);
    row.item.remove();
    this.#rows.delete(transfer);
    this.#ui.panel.hidden = this.#rows.size === 0;
  }
}

/** @returns {SVGSVGElement} */
function closeIcon() {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
  use.setAttribute("href", "#i-close");
  svg.append(use);
  return svg;
}
