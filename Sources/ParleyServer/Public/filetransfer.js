// Files sent peer to peer over each connection's "parley-files" data channel (nothing goes
// through the server). It touches no DOM; docs/CLIENT.md describes the API and
// docs/PROTOCOL.md ("Data channel") the messages.

/** @typedef {import("./protocol.js").ParleyCall} ParleyCall */

/** The largest file that can be sent or is accepted: 100 MiB (messages say "100 MiB"). */
export const MAX_FILE_BYTES = 100 * 1024 * 1024;

/** Bytes per binary message; 16 KiB goes through every browser's data channel. */
export const FILE_CHUNK_BYTES = 16 * 1024;

/** Chunks are queued until this much waits in the channel's buffer... */
const BUFFER_HIGH = 1024 * 1024;
/** ...and sending goes on once it drained to this (`bufferedAmountLowThreshold`). */
const BUFFER_LOW = 256 * 1024;
/** The file is read from disk in blocks of this size. */
const READ_BLOCK = 1024 * 1024;
/** Longest file name, in characters. */
const MAX_NAME_CHARS = 255;
/** Control messages on the files channel are small; longer text is dropped unread. */
const MAX_CONTROL_CHARS = 2048;

/**
 * One file going to or coming from one participant.
 * @typedef {object} FileTransfer
 * @property {string} id        16 hex digits, chosen by the sender
 * @property {"send" | "receive"} direction
 * @property {string} peer      the other participant's id
 * @property {string} peerName  their name from the roster
 * @property {string} name      the file name (no folders)
 * @property {number} size      bytes
 * @property {string} mime      media type, may be ""
 * @property {number} bytes     bytes delivered so far (sending: handed over and drained from
 *                              the channel's buffer; receiving: arrived)
 * @property {"waiting" | "active" | "done" | "failed" | "cancelled"} state
 * @property {string} error     why it failed or was cancelled, for people ("" otherwise)
 * @property {Blob | null} blob the received file, once `done` (receiving only)
 */

/**
 * How big a file is, for people: "3.1 MB", "980 KB", "12 bytes" (decimal units).
 * @param {number} bytes
 * @returns {string}
 */
export function formatBytes(bytes) {
  if (bytes < 1000) return `${bytes} ${bytes === 1 ? "byte" : "bytes"}`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * A file name as it may be used: no folders, no control characters, at most 255 characters.
 * @param {string} name
 * @returns {string}
 */
export function safeFileName(name) {
  const base = name.split(/[\\/]/u).pop() ?? "";
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f]/gu, "").trim();
  const chars = Array.from(clean).slice(0, MAX_NAME_CHARS).join("");
  return chars === "" || chars === "." || chars === ".." ? "file" : chars;
}

/** @returns {string} */
function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Waits until the channel's buffer has drained to `threshold`, or the channel closes.
 * @param {RTCDataChannel} channel
 * @param {number} threshold
 * @returns {Promise<void>}
 */
function drained(channel, threshold) {
  if (channel.bufferedAmount <= threshold || channel.readyState !== "open") return Promise.resolve();
  return new Promise((resolve) => {
    channel.bufferedAmountLowThreshold = threshold;
    const done = () => {
      channel.removeEventListener("bufferedamountlow", done);
      channel.removeEventListener("close", done);
      resolve();
    };
    channel.addEventListener("bufferedamountlow", done);
    channel.addEventListener("close", done);
  });
}

/**
 * The file being received from one participant.
 * @typedef {object} Incoming
 * @property {FileTransfer} transfer
 * @property {ArrayBuffer[]} chunks
 * @property {number} reported   bytes at the last `progress` event
 * @property {RTCDataChannel} channel  the channel it comes on
 */

/**
 * Sends and receives files in a call, over one `parley-files` data channel per participant.
 * Files to one person go one after another; to several people at once.
 *
 * Events (`CustomEvent`s, `detail` is `{transfer: FileTransfer}`, a live object):
 * - `transfer`  a transfer started (one we send, or one arriving)
 * - `progress`  more bytes went through (at most about every 1 %)
 * - `end`       it finished: `state` is `done` (then, receiving, `blob` is the file),
 *               `failed` or `cancelled` (`error` says why)
 */
export class FileTransfers extends EventTarget {
  /** @type {ParleyCall} */
  #call;
  /** @type {Map<string, FileTransfer>} */
  #transfers = new Map();
  /** Tail of each participant's queue of outgoing files. */
  /** @type {Map<string, Promise<void>>} */
  #queues = new Map();
  /** @type {Map<string, Incoming>} */
  #incoming = new Map();

  /**
   * Must be made before the call joins, so that it sees every connection's files channel.
   * @param {ParleyCall} call
   */
  constructor(call) {
    super();
    this.#call = call;
    call.addEventListener("file-channel", (event) => {
      const { id, channel } = /** @type {CustomEvent<{id: string, channel: RTCDataChannel}>} */ (event).detail;
      this.#attach(id, channel);
    });
    call.addEventListener("peer-left", (event) => {
      const { id } = /** @type {CustomEvent<{id: string}>} */ (event).detail;
      this.#endAll((transfer) => transfer.peer === id, "failed", "They left the call.");
    });
    call.addEventListener("closed", () => this.#endAll(() => true, "failed", "The call ended."));
  }

  /**
   * Every transfer of this call, oldest first.
   * @returns {FileTransfer[]}
   */
  get transfers() {
    return [...this.#transfers.values()];
  }

  /**
   * Sends a file to one participant (`to`), or to everyone in the call. Resolves with one
   * transfer per recipient as soon as they are queued (follow them with the events).
   * Throws a `RangeError` for a file above {@link MAX_FILE_BYTES} (its message says the limit),
   * an `Error` when nobody is there to send it to.
   * @param {Blob & {name?: string}} file  a `File`, or any `Blob` with a `name`
   * @param {{to?: string, name?: string}} [options]  `name` overrides the file's own
   * @returns {FileTransfer[]}
   */
  send(file, options = {}) {
    const name = safeFileName(options.name ?? file.name ?? "file");
    if (file.size > MAX_FILE_BYTES) {
      throw new RangeError(
        `${name} is too large (${formatBytes(file.size)}). Files can be at most 100 MiB (${formatBytes(MAX_FILE_BYTES)}).`,
      );
    }
    const peers = this.#call.peers.filter((peer) => options.to === undefined || peer.id === options.to);
    if (this.#call.state !== "joined" || peers.length === 0) {
      throw new Error(options.to === undefined ? "Nobody else is in the call." : "They are no longer in the call.");
    }
    const id = randomId();
    return peers.map((peer) => {
      /** @type {FileTransfer} */
      const transfer = {
        id,
        direction: "send",
        peer: peer.id,
        peerName: peer.name,
        name,
        size: file.size,
        mime: typeof file.type === "string" ? file.type.slice(0, 200) : "",
        bytes: 0,
        state: "waiting",
        error: "",
        blob: null,
      };
      this.#transfers.set(`send:${peer.id}:${id}`, transfer);
      this.#emit("transfer", transfer);
      const queue = (this.#queues.get(peer.id) ?? Promise.resolve()).then(() => this.#sendTo(transfer, file));
      this.#queues.set(peer.id, queue);
      return transfer;
    });
  }

  /**
   * Stops a transfer (either side); the other side is told.
   * @param {FileTransfer} transfer
   */
  cancel(transfer) {
    if (transfer.state !== "waiting" && transfer.state !== "active") return;
    this.#finish(transfer, "cancelled", transfer.direction === "send" ? "You stopped sending." : "You stopped it.");
    this.#control(transfer.peer, { type: "file-cancel", id: transfer.id });
    if (transfer.direction === "receive") this.#incoming.delete(transfer.peer);
  }

  /**
   * @param {FileTransfer} transfer
   * @param {Blob} file
   */
  async #sendTo(transfer, file) {
    if (transfer.state !== "waiting") return;
    const channel = this.#call.fileChannel(transfer.peer);
    if (!channel) {
      this.#finish(transfer, "failed", "They are no longer in the call.");
      return;
    }
    if (channel.readyState === "connecting") {
      await new Promise((resolve) => {
        channel.addEventListener("open", resolve, { once: true });
        channel.addEventListener("close", resolve, { once: true });
      });
    }
    if (channel.readyState !== "open") {
      this.#finish(transfer, "failed", "The connection to them is closed.");
      return;
    }
    transfer.state = "active";
    try {
      channel.send(
        JSON.stringify({ type: "file-start", id: transfer.id, name: transfer.name, size: transfer.size, mime: transfer.mime }),
      );
      let offset = 0;
      let reported = 0;
      while (offset < transfer.size) {
        const block = await file.slice(offset, Math.min(offset + READ_BLOCK, transfer.size)).arrayBuffer();
        for (let at = 0; at < block.byteLength; at += FILE_CHUNK_BYTES) {
          if (transfer.state !== "active") return; // cancelled by either side
          if (channel.readyState !== "open") throw new Error("closed");
          if (channel.bufferedAmount > BUFFER_HIGH) {
            await drained(channel, BUFFER_LOW);
            if (transfer.state !== "active") return;
            if (channel.readyState !== "open") throw new Error("closed");
          }
          channel.send(block.slice(at, at + FILE_CHUNK_BYTES));
          offset += Math.min(FILE_CHUNK_BYTES, block.byteLength - at);
          transfer.bytes = Math.max(0, offset - channel.bufferedAmount);
          if (transfer.bytes - reported >= transfer.size / 100) {
            reported = transfer.bytes;
            this.#emit("progress", transfer);
          }
        }
      }
      channel.send(JSON.stringify({ type: "file-end", id: transfer.id }));
      // Done when it has left our buffer (the channel is reliable and ordered).
      while (channel.bufferedAmount > 0 && channel.readyState === "open" && transfer.state === "active") {
        await drained(channel, 0);
        transfer.bytes = Math.max(0, transfer.size - channel.bufferedAmount);
        this.#emit("progress", transfer);
      }
      channel.bufferedAmountLowThreshold = BUFFER_LOW;
      if (transfer.state !== "active") return;
      if (channel.readyState !== "open") throw new Error("closed");
      transfer.bytes = transfer.size;
      this.#finish(transfer, "done", "");
    } catch (error) {
      if (transfer.state === "active") this.#finish(transfer, "failed", "The connection to them broke off.");
    }
  }

  /**
   * @param {string} peer
   * @param {RTCDataChannel} channel
   */
  #attach(peer, channel) {
    channel.binaryType = "arraybuffer";
    channel.addEventListener("message", (event) => this.#onMessage(peer, channel, event.data));
    channel.addEventListener("close", () => {
      const incoming = this.#incoming.get(peer);
      if (incoming && incoming.channel === channel) {
        this.#incoming.delete(peer);
        this.#finish(incoming.transfer, "failed", "The connection to them broke off.");
      }
    });
  }

  /**
   * @param {string} peer
   * @param {RTCDataChannel} channel
   * @param {unknown} data
   */
  #onMessage(peer, channel, data) {
    if (data instanceof ArrayBuffer) {
      const incoming = this.#incoming.get(peer);
      if (!incoming || incoming.channel !== channel) return; // chunks of a transfer we stopped
      const transfer = incoming.transfer;
      if (transfer.bytes + data.byteLength > transfer.size) {
        this.#incoming.delete(peer);
        this.#finish(transfer, "failed", "More arrived than the file's size.");
        this.#control(peer, { type: "file-cancel", id: transfer.id });
        return;
      }
      incoming.chunks.push(data);
      transfer.bytes += data.byteLength;
      if (transfer.bytes - incoming.reported >= transfer.size / 100) {
        incoming.reported = transfer.bytes;
        this.#emit("progress", transfer);
      }
      return;
    }
    if (typeof data !== "string" || data.length > MAX_CONTROL_CHARS) return;
    /** @type {unknown} */
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (!isObject(message) || typeof message.id !== "string" || !/^[0-9a-f]{16}$/u.test(message.id)) return;
    const id = message.id;
    switch (message.type) {
      case "file-start":
        this.#onStart(peer, channel, id, message);
        break;
      case "file-end": {
        const incoming = this.#incoming.get(peer);
        if (!incoming || incoming.transfer.id !== id || incoming.channel !== channel) return;
        this.#incoming.delete(peer);
        const transfer = incoming.transfer;
        if (transfer.bytes !== transfer.size) {
          this.#finish(transfer, "failed", "The file arrived incomplete.");
          return;
        }
        transfer.blob = new Blob(incoming.chunks, { type: transfer.mime });
        this.#finish(transfer, "done", "");
        break;
      }
      case "file-cancel": {
        const sent = this.#transfers.get(`send:${peer}:${id}`);
        if (sent) this.#finish(sent, "cancelled", `${sent.peerName} declined or stopped it.`);
        const incoming = this.#incoming.get(peer);
        if (incoming && incoming.transfer.id === id) {
          this.#incoming.delete(peer);
          this.#finish(incoming.transfer, "cancelled", `${incoming.transfer.peerName} stopped sending.`);
        }
        break;
      }
      default:
        break; // unknown types are ignored
    }
  }

  /**
   * @param {string} peer
   * @param {RTCDataChannel} channel
   * @param {string} id
   * @param {Record<string, unknown>} message
   */
  #onStart(peer, channel, id, message) {
    const size = message.size;
    const name = typeof message.name === "string" ? safeFileName(message.name) : "file";
    const previous = this.#incoming.get(peer);
    if (previous) {
      // A new file before the end of the last: that one is lost.
      this.#incoming.delete(peer);
      this.#finish(previous.transfer, "failed", "The file arrived incomplete.");
    }
    if (typeof size !== "number" || !Number.isInteger(size) || size < 0) return;
    const peerName = this.#call.peers.find((candidate) => candidate.id === peer)?.name ?? "";
    /** @type {FileTransfer} */
    const transfer = {
      id,
      direction: "receive",
      peer,
      peerName,
      name,
      size,
      mime: typeof message.mime === "string" && message.mime.length <= 200 ? message.mime : "",
      bytes: 0,
      state: "active",
      error: "",
      blob: null,
    };
    this.#transfers.set(`receive:${peer}:${id}`, transfer);
    this.#emit("transfer", transfer);
    if (size > MAX_FILE_BYTES) {
      this.#finish(transfer, "failed", `It is too large (${formatBytes(size)}); files can be at most 100 MiB.`);
      this.#control(peer, { type: "file-cancel", id });
      return;
    }
    this.#incoming.set(peer, { transfer, chunks: [], reported: 0, channel });
  }

  /**
   * @param {string} peer
   * @param {Record<string, unknown>} message
   */
  #control(peer, message) {
    const channel = this.#call.fileChannel(peer);
    if (channel?.readyState !== "open") return;
    try {
      channel.send(JSON.stringify(message));
    } catch {
      // The connection is going away; the other side notices by itself.
    }
  }

  /**
   * @param {(transfer: FileTransfer) => boolean} which
   * @param {"failed" | "cancelled"} state
   * @param {string} error
   */
  #endAll(which, state, error) {
    for (const transfer of this.#transfers.values()) {
      if (which(transfer)) this.#finish(transfer, state, error);
    }
    for (const [peer, incoming] of this.#incoming) if (incoming.transfer.state !== "active") this.#incoming.delete(peer);
  }

  /**
   * @param {FileTransfer} transfer
   * @param {"done" | "failed" | "cancelled"} state
   * @param {string} error
   */
  #finish(transfer, state, error) {
    if (transfer.state !== "waiting" && transfer.state !== "active") return;
    transfer.state = state;
    transfer.error = error;
    this.#emit("end", transfer);
  }

  /**
   * @param {string} type
   * @param {FileTransfer} transfer
   */
  #emit(type, transfer) {
    this.dispatchEvent(new CustomEvent(type, { detail: { transfer } }));
  }
}
