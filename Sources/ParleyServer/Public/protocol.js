// Parley call library: signalling over the WebSocket, one RTCPeerConnection per remote
// participant (a mesh), chat over a negotiated data channel. It touches no DOM, so any
// front end can use it; docs/CLIENT.md describes the API and docs/PROTOCOL.md the wire
// format it speaks.

/**
 * One participant as the server describes it.
 * @typedef {object} PeerInfo
 * @property {string} id      opaque peer id given by the server
 * @property {string} name    trimmed display name
 * @property {boolean} audio  microphone on (display information only)
 * @property {boolean} video  camera on (display information only)
 * @property {Role} role      what the participant may do in the room
 * @property {boolean} hand    their hand is raised
 */

/**
 * `moderator` runs the room, `participant` talks and listens, `viewer` only receives.
 * @typedef {"moderator" | "participant" | "viewer"} Role
 */

/**
 * The room's settings as everyone in it sees them.
 * @typedef {object} RoomState
 * @property {boolean} locked       newcomers wait in the lobby until a moderator admits them
 * @property {boolean} hasPassword  newcomers need the room password (or a join token)
 */

/**
 * @typedef {object} JoinOptions
 * @property {string} room                 room name, 1–64 of `A-Z a-z 0-9 _ -`
 * @property {string} [name]               display name, 1–64 characters after trimming;
 *                                         may be left out with a `token` that carries one
 * @property {string} [password]           the room password, if the room has one
 * @property {string} [token]              a signed join token (from a `?token=` link)
 * @property {MediaStream} [localStream]   the camera and microphone to send; the call owns
 *                                         its tracks from now on and stops them when it ends
 * @property {boolean} [audio]             start with the microphone on (default: true if
 *                                         there is an audio track)
 * @property {boolean} [video]             start with the camera on (default: true if there is
 *                                         a video track); false stops the video track
 */

/**
 * What `join()` resolves with and the `joined` event carries.
 * @typedef {object} JoinedInfo
 * @property {string} id
 * @property {string} room
 * @property {string} name                 our name as the server stored it (trimmed, or
 *                                         the token's)
 * @property {Role} role                   our role
 * @property {PeerInfo[]} peers            everyone already in the room, in joining order
 * @property {RTCIceServer[]} iceServers
 * @property {boolean} locked
 * @property {boolean} hasPassword
 */

/**
 * A chat message, sent or received.
 * @typedef {object} ChatMessage
 * @property {string} id       16 lowercase hex digits chosen by the sender ("" from an older
 *                             client); a message is delivered once even if it arrives twice
 * @property {string} from     peer id of the sender (our own id for our own messages)
 * @property {string} name     the sender's name: the server's for messages through the server,
 *                             the roster's for data channel messages, never the message's own
 * @property {string} text
 * @property {number} sentAt   ms since the Unix epoch: the server's clock for messages through
 *                             the server, the sender's for data channel messages
 * @property {number} receivedAt  our clock, ms since the Unix epoch
 * @property {boolean} local   true for a message we sent
 * @property {boolean} history true for an earlier message from `joined.chat` (sent before we
 *                             joined)
 * @property {"server" | "peer"} via  through the server (stored for people who join later), or
 *                             over a data channel (while the sender's signalling was down)
 */

/**
 * Constructor options; every one has a default that works in a browser page served by Parley.
 * @typedef {object} CallOptions
 * @property {string} [url]  WebSocket URL; default `ws(s)://<current host>/ws`
 * @property {(constraints: MediaStreamConstraints) => Promise<MediaStream>} [getUserMedia]
 *   used to get a new microphone or camera track when one is turned on again; default
 *   `navigator.mediaDevices.getUserMedia`
 * @property {number} [joinTimeoutMs]  how long `join()` waits for the server; default 10000
 *   (time spent waiting in a lobby does not count)
 * @property {boolean} [reconnect]  reconnect by itself when the signalling connection drops;
 *   default true
 * @property {number} [reconnectTimeoutMs]  give up reconnecting after this long (`closed`
 *   with the error `connection-lost`); default 300000
 * @property {RTCIceTransportPolicy} [iceTransportPolicy]  `"relay"` sends all media through the
 *   TURN server from `joined.iceServers` (to check that TURN works, or to hide one's address);
 *   default `"all"`
 */

/**
 * Per-remote-participant state.
 * @typedef {object} Peer
 * @property {PeerInfo} info
 * @property {RTCPeerConnection} pc
 * @property {RTCDataChannel} channel
 * @property {RTCDataChannel} files   the "parley-files" channel (id 1), for filetransfer.js
 * @property {boolean} polite          true when that peer joined after us (we yield on collision)
 * @property {boolean} canOffer        false until we may send offers (see `#createPeer`)
 * @property {boolean} makingOffer
 * @property {boolean} ignoreOffer
 * @property {Promise<void>} signals   tail of the chain that handles incoming signals in order
 * @property {{audio?: RTCRtpTransceiver, video?: RTCRtpTransceiver}} transceivers
 * @property {MediaStream} stream      the remote tracks
 * @property {number} iceRestartAt      `performance.now()` of our last ICE restart
 * @property {number | undefined} iceTimer  pending check of a `disconnected` ICE state
 * @property {RTCRtpTransceiver | null} screenTransceiver  sends our shared screen (reused)
 * @property {string | null} screenId  the stream id they announced as their screen
 * @property {Map<string, MediaStream>} extraStreams  their streams beyond camera and microphone
 * @property {MediaStream | null} screen  their screen as last reported in `screen`
 */

/** Protocol version this library speaks. */
export const PROTOCOL_VERSION = 1;

/** Longest chat text, in characters (Unicode code points). */
export const MAX_CHAT_CHARS = 2000;

/**
 * The reactions the server relays, in the order a picker shows them.
 * @type {readonly string[]}
 */
export const REACTIONS = ["\u{1F44D}", "\u{1F44F}", "\u{1F602}", "\u{1F62E}", "\u{2764}\u{FE0F}", "\u{1F389}"];

/** Chat ids: 16 lowercase hex digits. */
const CHAT_ID_PATTERN = /^[0-9a-f]{16}$/;

/** Control characters the server refuses in chat text (newline and tab are allowed). */
const CHAT_CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/gu;

/** How many chat ids are remembered, to drop a message that arrives twice. */
const SEEN_CHAT_LIMIT = 2000;

/**
 * Reconnection: the first retry after about 0.5 s, doubling to at most 3 s, with jitter. The
 * cap is short because a server that restarts is back within seconds, and every second of
 * waiting after that is a second the call has no signalling.
 */
const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 3000;

/** Messages kept while the signalling connection is down, and sent once it is back. */
const OUTBOX_LIMIT = 200;

/** A join refused for one of these during a reconnection is tried again later. */
const RETRYABLE_JOIN_ERRORS = new Set([
  "server-draining", "too-many-attempts", "rate-limited", "room-full", "join-timeout", "too-many-connections",
]);

/** ICE restart: after this long `disconnected`, and at most once per `ICE_RESTART_GAP_MS`. */
const ICE_DISCONNECTED_MS = 3000;
const ICE_RESTART_GAP_MS = 10_000;

/**
 * How long `joined` may wait for our first offers to leave (see #onJoined); they usually take
 * a few tens of milliseconds.
 */
const FIRST_OFFERS_WAIT_MS = 250;

/** Incoming data channel messages longer than this (UTF-16 units) are dropped unread. */
const MAX_CHANNEL_MESSAGE = 16 * 1024;

const ROOM_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** @type {readonly ("audio" | "video")[]} */
const KINDS = ["audio", "video"];

/** @type {readonly Role[]} */
const ROLES = ["moderator", "participant", "viewer"];

/** Longest room password the server accepts, in characters. */
export const MAX_PASSWORD_CHARS = 256;

/**
 * The close codes with which a moderator's decision ends a call, and the error code the server
 * sends just before each. These end the call, so they are reported in `closed` (or as
 * `join()`'s rejection), not as `error`.
 * @type {Record<number, string>}
 */
const CLOSE_CODE_ERRORS = { 4001: "kicked", 4002: "room-ended", 4003: "lobby-denied" };
const FINAL_ERRORS = new Set(Object.values(CLOSE_CODE_ERRORS));

/**
 * Whether `room` is a valid room name per the protocol.
 * @param {string} room
 * @returns {boolean}
 */
export function isValidRoomName(room) {
  return ROOM_PATTERN.test(room);
}

/**
 * Number of Unicode code points in `text` (what the protocol counts as characters).
 * @param {string} text
 * @returns {number}
 */
function charCount(text) {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Whether `value` looks like an `RTCIceServer` (passed to RTCPeerConnection unchanged).
 * @param {unknown} value
 * @returns {value is RTCIceServer}
 */
function isIceServer(value) {
  if (!isObject(value)) return false;
  const urls = value.urls;
  return typeof urls === "string" || (Array.isArray(urls) && urls.every((url) => typeof url === "string"));
}

/**
 * Reads a participant from a server message, or null if it is malformed.
 * @param {unknown} value
 * @returns {PeerInfo | null}
 */
function parsePeer(value) {
  if (!isObject(value) || typeof value.id !== "string" || typeof value.name !== "string") {
    return null;
  }
  return {
    id: value.id,
    name: value.name,
    audio: value.audio !== false,
    video: value.video !== false,
    role: parseRole(value.role),
    hand: value.hand === true,
  };
}

/**
 * `bytes` random bytes as lowercase hex.
 * @param {number} bytes
 * @returns {string}
 */
function randomHex(bytes) {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}

/**
 * A stored chat message from the server (`chat.message`, `joined.chat[]`), or null.
 * @param {unknown} value
 * @returns {{id: string, from: string, name: string, text: string, sentAt: number} | null}
 */
function parseServerChat(value) {
  if (!isObject(value)) return null;
  const { id, from, name, text, sentAt } = value;
  if (typeof id !== "string" || typeof from !== "string" || typeof text !== "string" || text === "") return null;
  return {
    id,
    from,
    name: typeof name === "string" ? name : "",
    text,
    sentAt: typeof sentAt === "number" && Number.isFinite(sentAt) ? sentAt : Date.now(),
  };
}

/**
 * A role from a server message; anything unknown counts as `participant`.
 * @param {unknown} value
 * @returns {Role}
 */
function parseRole(value) {
  return ROLES.includes(/** @type {Role} */ (value)) ? /** @type {Role} */ (value) : "participant";
}

/**
 * The `locked` and `hasPassword` fields of a server message.
 * @param {Record<string, unknown>} message
 * @returns {RoomState}
 */
function parseRoomState(message) {
  return { locked: message.locked === true, hasPassword: message.hasPassword === true };
}

/**
 * What {@link probeIceCandidates} found.
 * @typedef {object} IceProbe
 * @property {{host: number, srflx: number, prflx: number, relay: number}} counts
 *   candidates gathered, by type: `host` (this device's own addresses), `srflx` (the public
 *   address a STUN server saw), `relay` (an address on a TURN server)
 * @property {string[]} candidates  the candidate lines, as gathered
 * @property {boolean} complete     gathering finished before the time limit
 * @property {number} ms            how long it took
 */

/**
 * Gathers ICE candidates with the given ICE servers (e.g. `joined.iceServers`) without
 * calling anyone, to find out which kinds of connection this network allows.
 * @param {RTCIceServer[]} iceServers
 * @param {{timeoutMs?: number}} [options]  give up waiting after this long (default 10000)
 * @returns {Promise<IceProbe>}
 */
export async function probeIceCandidates(iceServers, options = {}) {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const started = performance.now();
  const pc = new RTCPeerConnection({ iceServers });
  /** @type {IceProbe} */
  const probe = { counts: { host: 0, srflx: 0, prflx: 0, relay: 0 }, candidates: [], complete: false, ms: 0 };
  try {
    pc.createDataChannel("probe");
    const done = new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      pc.addEventListener("icecandidate", ({ candidate }) => {
        if (!candidate || candidate.candidate === "") {
          probe.complete = true;
          clearTimeout(timer);
          resolve(undefined);
          return;
        }
        probe.candidates.push(candidate.candidate);
        const type = candidate.type ?? /\btyp (\w+)/.exec(candidate.candidate)?.[1];
        if (type === "host" || type === "srflx" || type === "prflx" || type === "relay") probe.counts[type]++;
      });
    });
    await pc.setLocalDescription();
    await done;
  } finally {
    pc.close();
  }
  probe.ms = Math.round(performance.now() - started);
  return probe;
}

/**
 * An error reported by the server (`code` is stable; `message` is for people).
 */
export class ParleyError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = "ParleyError";
    /** @type {string} */
    this.code = code;
  }
}

/**
 * A call in one room. Create one per attempt to join; after `closed` it cannot be reused.
 *
 * Events (all `CustomEvent`s; the payload is in `event.detail`):
 * - `lobby`        `{room: string}` (the room is locked: we wait for a moderator)
 * - `joined`       {@link JoinedInfo}
 * - `peer-joined`  `{peer: PeerInfo}`
 * - `peer-left`    `{id: string, peer: PeerInfo}`
 * - `peer-media`   `{id: string, audio: boolean, video: boolean}`
 * - `track`        `{id: string, track: MediaStreamTrack, stream: MediaStream}`
 * - `connection-state` `{id: string, state: RTCPeerConnectionState}`
 * - `local-media`  `{audio: boolean, video: boolean, stream: MediaStream}`
 * - `chat`         {@link ChatMessage}
 * - `peer-role`    `{id: string, role: Role, self: boolean}` (someone's role changed, maybe ours)
 * - `room-state`   {@link RoomState} (the room was locked or unlocked, or its password changed)
 * - `mute-request` `{from: string, name: string}` (a moderator asks us to mute)
 * - `knock`        `{peer: PeerInfo}` (moderators: someone waits in the lobby)
 * - `knock-ended`  `{id: string, peer: PeerInfo}` (moderators: they no longer wait)
 * - `draining`     `{seconds: number}` (the server is shutting down)
 * - `error`        `{code: string, message: string}`
 * - `file-channel` `{id: string, channel: RTCDataChannel}` (the files channel to someone was made; filetransfer.js)
 * - `closed`       `{code: number, reason: string, byUs: boolean, error: {code: string, message: string} | null}`
 * - `peer-hand`    `{id: string, raised: boolean, self: boolean}` (someone raised or lowered a hand)
 * - `reaction`     `{from: string, name: string, emoji: string, self: boolean}`
 * - `reconnecting` `{attempt: number, delayMs: number, lobby: boolean}` (signalling dropped; the
 *                  peer connections go on)
 * - `reconnected`  `{resumed: boolean, id: string, previousId: string, peers: PeerInfo[]}`
 * - `ice-restart`  `{id: string, reason: "disconnected" | "failed" | "requested"}`
 * - `screen`       `{id: string, stream: MediaStream | null}` (someone started or stopped sharing a screen)
 * - `local-screen` `{stream: MediaStream | null}` (we started or stopped sharing, also by the browser's own button)
 */
export class ParleyCall extends EventTarget {
  /** @type {string} */
  #url;
  /** @type {(constraints: MediaStreamConstraints) => Promise<MediaStream>} */
  #getUserMedia;
  /** @type {number} */
  #joinTimeoutMs;
  /** @type {WebSocket | null} */
  #ws = null;
  /** @type {"idle" | "joining" | "waiting" | "joined" | "closed"} */
  #state = "idle";
  /** @type {string} */
  #id = "";
  /** @type {string} */
  #room = "";
  /** @type {string} */
  #name = "";
  /** @type {Role} */
  #role = "participant";
  /** @type {RoomState} */
  #roomState = { locked: false, hasPassword: false };
  /**
   * People waiting in the lobby (moderators only), in the order they knocked.
   * @type {Map<string, PeerInfo>}
   */
  #waiting = new Map();
  /**
   * The error the server sent just before it ended the call (kicked, room-ended).
   * @type {{code: string, message: string} | null}
   */
  #finalError = null;
  /** @type {RTCIceServer[]} */
  #iceServers = [];
  /** @type {RTCIceTransportPolicy} */
  #iceTransportPolicy = "all";
  /** @type {Map<string, Peer>} */
  #peers = new Map();
  /** @type {MediaStream} */
  #localStream = new MediaStream();
  #audioEnabled = false;
  #videoEnabled = false;
  /**
   * Rejects the pending `join()`, while there is one.
   * @type {((error: ParleyError) => void) | null}
   */
  #failJoin = null;
  /** The fields of our `join` (room, name, password, token), sent again to reconnect. */
  /** @type {Record<string, unknown>} */
  #joinFields = {};
  /** The single-use token from the last `joined`, to take our seat back after a drop. */
  #resumeToken = "";
  #reconnectEnabled = true;
  /** @type {number} */
  #reconnectTimeoutMs;
  /** Whether the signalling connection is down and being re-established. */
  #reconnecting = false;
  #reconnectAttempt = 0;
  #reconnectSince = 0;
  /** @type {number | undefined} */
  #reconnectTimer;
  /** @type {number | undefined} */
  #attemptTimer;
  /**
   * Signals and state changes sent while the signalling connection is down.
   * @type {Record<string, unknown>[]}
   */
  #outbox = [];
  /**
   * Server messages that arrived while `joined` waited for our first offers, handled in order
   * once it has been emitted; null when nothing waits.
   * @type {Record<string, unknown>[] | null}
   */
  #heldMessages = null;
  /**
   * Ids of the chat messages seen, oldest first, so a message arriving twice (from the server
   * and over a data channel, or in the history again after a reconnection) is shown once.
   * @type {Set<string>}
   */
  #seenChat = new Set();
  /** Every peer id we have had in this call (ours changes when we rejoin as a newcomer). */
  /** @type {Set<string>} */
  #ownIds = new Set();
  #hand = false;
  /**
   * The screen we share, while we do.
   * @type {MediaStream | null}
   */
  #screenStream = null;
  /**
   * What the others receive as our screen: one stream for the whole call, holding the
   * capture's track while we share, so its id (which the `screen` message names) never changes.
   * @type {MediaStream | null}
   */
  #screenOut = null;

  /** @param {CallOptions} [options] */
  constructor(options = {}) {
    super();
    this.#url = options.url ?? ParleyCall.defaultUrl();
    this.#getUserMedia =
      options.getUserMedia ?? ((constraints) => navigator.mediaDevices.getUserMedia(constraints));
    this.#joinTimeoutMs = options.joinTimeoutMs ?? 10_000;
    this.#reconnectEnabled = options.reconnect ?? true;
    this.#reconnectTimeoutMs = options.reconnectTimeoutMs ?? 300_000;
    this.#iceTransportPolicy = options.iceTransportPolicy ?? "all";
  }

  /**
   * The signalling URL of the server that served the current page.
   * @returns {string}
   */
  static defaultUrl() {
    const location = globalThis.location;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/ws`;
  }

  /** Our peer id once joined, else "". */
  get id() {
    return this.#id;
  }

  /** The room once joined, else "". */
  get room() {
    return this.#room;
  }

  /** Our display name as the server stored it (trimmed). */
  get name() {
    return this.#name;
  }

  /**
   * `waiting` is in the lobby of a locked room, until a moderator admits us.
   * @returns {"idle" | "joining" | "waiting" | "joined" | "closed"}
   */
  get state() {
    return this.#state;
  }

  /**
   * Our role; it may change during the call (`peer-role` with `self: true`).
   * @returns {Role}
   */
  get role() {
    return this.#role;
  }

  /** Whether we may use the moderation methods. */
  get isModerator() {
    return this.#role === "moderator";
  }

  /**
   * Whether the room is locked and whether it has a password.
   * @returns {RoomState}
   */
  get roomState() {
    return { ...this.#roomState };
  }

  /**
   * People waiting in the lobby, in the order they knocked (only moderators are told).
   * @returns {PeerInfo[]}
   */
  get waiting() {
    return [...this.#waiting.values()].map((info) => ({ ...info }));
  }

  /**
   * Everyone else in the room, in joining order (copies).
   * @returns {PeerInfo[]}
   */
  get peers() {
    return [...this.#peers.values()].map((peer) => ({ ...peer.info }));
  }

  /**
   * Ourselves as the others see us.
   * @returns {PeerInfo}
   */
  get self() {
    return {
      id: this.#id,
      name: this.#name,
      audio: this.#audioEnabled,
      video: this.#videoEnabled,
      role: this.#role,
      hand: this.#hand,
    };
  }

  /** Whether our hand is raised. */
  get handRaised() {
    return this.#hand;
  }

  /**
   * Whether the signalling connection dropped and is being re-established (`reconnecting`
   * fired, `reconnected` not yet). The peer connections, and so the call, go on meanwhile.
   */
  get reconnecting() {
    return this.#reconnecting;
  }

  /**
   * The stream we send: its tracks change when the camera or microphone is turned off or on.
   * @returns {MediaStream}
   */
  get localStream() {
    return this.#localStream;
  }

  /** Whether our microphone is on. */
  get audioEnabled() {
    return this.#audioEnabled;
  }

  /** Whether our camera is on. */
  get videoEnabled() {
    return this.#videoEnabled;
  }

  /**
   * Live peer connections by remote peer id (for statistics and debugging; do not
   * renegotiate them yourself).
   * @returns {Map<string, RTCPeerConnection>}
   */
  peerConnections() {
    return new Map([...this.#peers].map(([id, peer]) => [id, peer.pc]));
  }

  /**
   * The remote stream of one participant (empty until its tracks arrive).
   * @param {string} id
   * @returns {MediaStream | undefined}
   */
  remoteStream(id) {
    return this.#peers.get(id)?.stream;
  }

  /**
   * The data channel for files to one participant (`parley-files`, id 1; see filetransfer.js).
   * @param {string} id
   * @returns {RTCDataChannel | undefined}
   */
  fileChannel(id) {
    return this.#peers.get(id)?.files;
  }

  /**
   * WebRTC statistics of the connection to one participant.
   * @param {string} id
   * @returns {Promise<RTCStatsReport>}
   */
  async getStats(id) {
    const peer = this.#peers.get(id);
    if (!peer) throw new Error(`no participant ${id}`);
    return peer.pc.getStats();
  }

  /**
   * Connects and joins a room. Resolves once the server has accepted us; rejects with a
   * {@link ParleyError} (codes from the protocol, e.g. `room-full`, `invalid-name`,
   * `password-required`, `wrong-password`, `token-required`, `invalid-token`,
   * `lobby-denied`, or `connection-failed`, `timeout`); the call is then closed but
   * `localStream`'s tracks are left running, so a new `ParleyCall` can try again with them.
   * In a locked room, `lobby` fires and the promise waits (without a time limit) until a
   * moderator admits us or not.
   * @param {JoinOptions} options
   * @returns {Promise<JoinedInfo>}
   */
  join({ room, name, password, token, localStream, audio, video }) {
    if (this.#state !== "idle") {
      return Promise.reject(new Error("join() can be called once per ParleyCall"));
    }
    this.#state = "joining";
    // The server stores the name trimmed; `joined` then tells the name it really uses.
    this.#name = name?.trim() ?? "";
    if (localStream) this.#localStream = localStream;
    const audioTrack = this.#localTrack("audio");
    const videoTrack = this.#localTrack("video");
    this.#audioEnabled = Boolean(audioTrack) && audio !== false;
    this.#videoEnabled = Boolean(videoTrack) && video !== false;
    if (audioTrack) audioTrack.enabled = this.#audioEnabled;
    if (videoTrack && !this.#videoEnabled) {
      videoTrack.stop();
      this.#localStream.removeTrack(videoTrack);
    }

    this.#joinFields = { room };
    if (name !== undefined) this.#joinFields.name = name;
    if (password !== undefined) this.#joinFields.password = password;
    if (token !== undefined) this.#joinFields.token = token;

    return new Promise((resolve, reject) => {
      let settled = false;
      /** @param {ParleyError} error */
      const fail = (error) => {
        if (settled) return;
        settled = true;
        this.#failJoin = null;
        clearTimeout(timer);
        reject(error);
        this.#close(1000, error.message, true);
      };
      this.#failJoin = fail;
      const timer = setTimeout(
        () => fail(new ParleyError("timeout", "the server did not answer in time")),
        this.#joinTimeoutMs,
      );
      // In a lobby we wait for a person, for as long as they take.
      this.addEventListener("lobby", () => clearTimeout(timer), { once: true });
      this.addEventListener("joined", (event) => {
        if (settled) return;
        settled = true;
        this.#failJoin = null;
        clearTimeout(timer);
        resolve(/** @type {CustomEvent<JoinedInfo>} */ (event).detail);
      }, { once: true });
      this.#connect();
    });
  }

  // MARK: - Signalling connection and reconnection

  /**
   * Opens the signalling WebSocket and sends `join` on it (with our resume token when
   * reconnecting). Events of a socket we have since given up on are ignored.
   */
  #connect() {
    const ws = new WebSocket(this.#url);
    this.#ws = ws;
    ws.addEventListener("open", () => {
      if (this.#ws !== ws) return;
      /** @type {Record<string, unknown>} */
      const join = { type: "join", ...this.#joinFields, audio: this.#audioEnabled, video: this.#videoEnabled };
      if (this.#reconnecting && this.#resumeToken) join.resume = this.#resumeToken;
      this.#send(join);
    });
    ws.addEventListener("message", (event) => {
      if (this.#ws !== ws || typeof event.data !== "string") return;
      /** @type {unknown} */
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!isObject(message) || typeof message.type !== "string") return;
      if (this.#heldMessages) {
        this.#heldMessages.push(message);
        return;
      }
      if ((this.#isJoining() || this.#reconnecting) && message.type === "error") {
        const code = typeof message.code === "string" ? message.code : "error";
        const text = typeof message.message === "string" ? message.message : code;
        this.#joinRefused(code, text);
        return;
      }
      this.#handleServerMessage(message);
    });
    ws.addEventListener("close", (event) => {
      if (this.#ws === ws) this.#socketClosed(event.code, event.reason);
    });
  }

  /**
   * The server refused our `join`: the first one fails `join()`; during a reconnection we try
   * again later if the reason may pass, else the call ends.
   * @param {string} code
   * @param {string} text
   */
  #joinRefused(code, text) {
    if (this.#failJoin) {
      this.#failJoin(new ParleyError(code, text));
    } else if (RETRYABLE_JOIN_ERRORS.has(code)) {
      this.#retryReconnect();
    } else {
      this.#finalError = { code, message: text };
      this.#close(1000, text, false);
    }
  }

  /**
   * The signalling socket closed. While joining, `join()` fails; in a call, a moderator's
   * decision or the server shutting down ends it, anything else (a network drop, a server
   * that died) starts a reconnection while the peer connections go on.
   * @param {number} code
   * @param {string} reason
   */
  #socketClosed(code, reason) {
    if (this.#isJoining()) {
      const error = CLOSE_CODE_ERRORS[code];
      this.#failJoin?.(
        error
          ? new ParleyError(error, reason || error)
          : new ParleyError("connection-failed", "could not reach the server"),
      );
      return;
    }
    if (this.#state !== "joined") return;
    const decided = CLOSE_CODE_ERRORS[code] !== undefined || this.#finalError !== null;
    if (this.#reconnecting) {
      if (decided) this.#close(code, reason, false);
      else this.#retryReconnect();
      return;
    }
    // 1000 and 1001: the server ended the connection on purpose (shutting down).
    if (decided || code === 1000 || code === 1001 || !this.#reconnectEnabled) {
      this.#close(code, reason, false);
      return;
    }
    this.#ws = null;
    this.#reconnecting = true;
    this.#reconnectAttempt = 0;
    this.#reconnectSince = Date.now();
    this.#scheduleReconnect();
  }

  /** Gives up on the current reconnection attempt and schedules the next one. */
  #retryReconnect() {
    const ws = this.#ws;
    this.#ws = null;
    if (ws && (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING)) ws.close(1000);
    this.#scheduleReconnect();
  }

  /** Waits (0.5 s doubling to 3 s, with jitter), then tries to reconnect. */
  #scheduleReconnect() {
    clearTimeout(this.#attemptTimer);
    clearTimeout(this.#reconnectTimer);
    if (Date.now() - this.#reconnectSince > this.#reconnectTimeoutMs) {
      this.#finalError = { code: "connection-lost", message: "could not reconnect to the server" };
      this.#close(1006, "could not reconnect", false);
      return;
    }
    const base = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** this.#reconnectAttempt);
    const delayMs = Math.round(base * (0.75 + Math.random() * 0.5));
    this.#reconnectAttempt++;
    this.#emit("reconnecting", { attempt: this.#reconnectAttempt, delayMs, lobby: false });
    this.#reconnectTimer = setTimeout(() => {
      if (this.#state !== "joined" || !this.#reconnecting) return;
      this.#connect();
      // A server that accepts the socket but never answers counts as a failed attempt.
      this.#attemptTimer = setTimeout(() => this.#retryReconnect(), this.#joinTimeoutMs);
    }, delayMs);
  }

  /**
   * Sends `message` now, or, while reconnecting, once the connection is back and our seat
   * resumed. A newer `media` or `hand` replaces an older one still waiting.
   * @param {Record<string, unknown>} message
   */
  #sendOrKeep(message) {
    if (!this.#reconnecting && this.#ws?.readyState === WebSocket.OPEN) {
      this.#send(message);
      return;
    }
    if (this.#state !== "joined") return;
    if (message.type === "media" || message.type === "hand") {
      this.#outbox = this.#outbox.filter((kept) => kept.type !== message.type);
    }
    this.#outbox.push(message);
    if (this.#outbox.length > OUTBOX_LIMIT) this.#outbox.shift();
  }

  /** Whether the signalling connection is up (messages reach the server now). */
  #signallingUp() {
    return this.#state === "joined" && !this.#reconnecting && this.#ws?.readyState === WebSocket.OPEN;
  }

  /**
   * Leaves the room (or its lobby): tells the server, closes every peer connection and stops
   * our tracks. Fires `closed` with `byUs: true`. During `join()` (also while waiting in a
   * lobby) it makes `join()` reject with the code `aborted` instead.
   */
  leave() {
    if (this.#state === "closed") return;
    this.#send({ type: "leave" });
    if (this.#failJoin) {
      this.#failJoin(new ParleyError("aborted", "left before the server let us in"));
      return;
    }
    this.#close(1000, "left", true);
  }

  // MARK: - Moderation (moderators only)

  /**
   * Removes someone from the call (they are disconnected with close code 4001).
   * @param {string} id
   */
  kick(id) {
    this.#moderate({ type: "kick", id });
  }

  /**
   * Asks someone to mute their microphone (their client decides; nobody can be unmuted).
   * @param {string} id
   */
  requestMute(id) {
    this.#moderate({ type: "mute-request", id });
  }

  /** Asks everyone else to mute their microphone. */
  muteAll() {
    this.#moderate({ type: "mute-all" });
  }

  /** Locks the room: newcomers wait in the lobby until a moderator admits them. */
  lock() {
    this.#moderate({ type: "lock" });
  }

  /** Unlocks the room; everyone waiting in the lobby comes in (while there is room). */
  unlock() {
    this.#moderate({ type: "unlock" });
  }

  /** Ends the call for everyone (close code 4002); the room keeps its lock and password. */
  endRoom() {
    this.#moderate({ type: "end-room" });
  }

  /**
   * Makes another participant a moderator.
   * @param {string} id
   */
  grantModerator(id) {
    this.#moderate({ type: "grant-moderator", id });
  }

  /**
   * Makes a moderator a participant again.
   * @param {string} id
   */
  revokeModerator(id) {
    this.#moderate({ type: "revoke-moderator", id });
  }

  /**
   * Sets the room password (1–256 characters), or removes it with `null`.
   * @param {string | null} password
   */
  setPassword(password) {
    if (password !== null && (typeof password !== "string" || password.length === 0 ||
      charCount(password) > MAX_PASSWORD_CHARS)) {
      throw new RangeError(`a room password has 1 to ${MAX_PASSWORD_CHARS} characters`);
    }
    this.#moderate({ type: "set-password", password });
  }

  /**
   * Lets someone in from the lobby.
   * @param {string} id
   */
  admit(id) {
    this.#moderate({ type: "admit", id });
  }

  /**
   * Turns someone in the lobby away (close code 4003).
   * @param {string} id
   */
  deny(id) {
    this.#moderate({ type: "deny", id });
  }

  /**
   * Sends a moderation message; the server answers `not-allowed` to anyone but a moderator.
   * @param {Record<string, unknown>} message
   */
  #moderate(message) {
    if (this.#state !== "joined") throw new ParleyError("not-joined", "not in a room");
    if (this.#role !== "moderator") {
      throw new ParleyError("not-allowed", `only moderators can use "${message.type}"`);
    }
    this.#send(message);
  }

  /**
   * Turns the microphone on or off. Off mutes the track (silence is sent, no renegotiation);
   * on with no microphone track yet asks for one (`getUserMedia`) or uses `track`.
   * @param {boolean} enabled
   * @param {MediaStreamTrack} [track]  a new audio track to use instead of asking for one
   * @returns {Promise<void>}  rejects if a new microphone could not be had, or (code
   *   `viewer-cannot-send`) if we are a viewer
   */
  async setAudioEnabled(enabled, track) {
    if (enabled) this.#checkMaySend();
    const current = this.#localTrack("audio");
    if (enabled && (track || !current || current.readyState === "ended")) {
      await this.#useNewTrack("audio", track);
    }
    const audio = this.#localTrack("audio");
    if (audio) audio.enabled = enabled;
    this.#audioEnabled = enabled && Boolean(audio);
    this.#mediaChanged();
  }

  /**
   * Turns the camera on or off. Off stops the camera track (its light goes out) and sends
   * nothing in its place; on gets a new camera track (`getUserMedia`, or `track` if given)
   * and sends it to everyone, renegotiating where needed.
   * @param {boolean} enabled
   * @param {MediaStreamTrack} [track]  a new video track to use instead of asking for one
   * @returns {Promise<void>}  rejects if a new camera track could not be had, or (code
   *   `viewer-cannot-send`) if we are a viewer
   */
  async setVideoEnabled(enabled, track) {
    if (enabled) {
      this.#checkMaySend();
      const current = this.#localTrack("video");
      if (track || !current || current.readyState === "ended") {
        await this.#useNewTrack("video", track);
      }
    } else {
      const current = this.#localTrack("video");
      await Promise.all(
        [...this.#peers.values()].map((peer) => peer.transceivers.video?.sender.replaceTrack(null)),
      );
      if (current) {
        current.stop();
        this.#localStream.removeTrack(current);
      }
    }
    this.#videoEnabled = enabled && Boolean(this.#localTrack("video"));
    this.#mediaChanged();
  }

  /**
   * Sends a chat message to everyone and fires `chat` for it locally (with `local: true`).
   * It goes through the server, which stores it for people who join later; while the
   * signalling connection is down, it goes over every open data channel instead (not stored).
   * Control characters other than newline and tab are removed.
   * @param {string} text  1–2000 characters, not only white space
   * @returns {ChatMessage}
   */
  sendChat(text) {
    if (this.#state !== "joined") throw new Error("not in a room");
    if (typeof text !== "string") throw new RangeError("empty message");
    text = text.replace(CHAT_CONTROL, "");
    if (text.trim() === "") throw new RangeError("empty message");
    if (charCount(text.trim()) > MAX_CHAT_CHARS) {
      throw new RangeError(`a message has at most ${MAX_CHAT_CHARS} characters`);
    }
    const id = randomHex(8);
    const sentAt = Date.now();
    this.#rememberChat(id);
    /** @type {ChatMessage} */
    const message = {
      id, from: this.#id, name: this.#name, text, sentAt, receivedAt: sentAt, local: true, history: false,
      via: "server",
    };
    if (this.#signallingUp()) {
      // The server sends it back to us too; that copy is dropped as already seen.
      this.#send({ type: "chat", id, text });
      this.#emit("chat", message);
      return message;
    }
    message.via = "peer";
    const payload = JSON.stringify({ type: "chat", id, text, sentAt });
    for (const peer of this.#peers.values()) {
      if (peer.channel.readyState === "open") {
        try {
          peer.channel.send(payload);
        } catch (error) {
          console.warn("parley: chat to", peer.info.id, "failed", error);
        }
      }
    }
    this.#emit("chat", message);
    return message;
  }

  /**
   * Raises or lowers our hand; everyone sees it (`peer-hand`, ours with `self: true`, fires at
   * once). While reconnecting, the server is told once the connection is back.
   * @param {boolean} raised
   */
  setHandRaised(raised) {
    if (this.#state !== "joined") throw new ParleyError("not-joined", "not in a room");
    if (raised === this.#hand) return;
    this.#hand = raised;
    this.#sendOrKeep({ type: "hand", raised });
    this.#emit("peer-hand", { id: this.#id, raised, self: true });
  }

  /**
   * Sends a reaction (one of {@link REACTIONS}) to everyone; it comes back to us too as a
   * `reaction` event with `self: true`. Reactions are not stored, and not queued: while
   * reconnecting only we see it.
   * @param {string} emoji
   */
  sendReaction(emoji) {
    if (this.#state !== "joined") throw new ParleyError("not-joined", "not in a room");
    if (!REACTIONS.includes(emoji)) throw new RangeError(`a reaction is one of ${REACTIONS.join(" ")}`);
    if (this.#signallingUp()) this.#send({ type: "reaction", emoji });
    else this.#emit("reaction", { from: this.#id, name: this.#name, emoji, self: true });
  }

  /**
   * Restarts ICE on the connection to one participant now (new ICE credentials, renegotiated).
   * The library does this by itself when a connection stays `disconnected` for 3 s or
   * `failed`, at most once per 10 s per participant; this one is not limited.
   * @param {string} id
   * @returns {boolean}  false when there is no connection to them
   */
  restartIce(id) {
    const peer = this.#peers.get(id);
    if (!peer) return false;
    this.#restartIce(peer, "requested", true);
    return true;
  }

  /**
   * Marks a chat id as seen; forgets the oldest beyond the limit.
   * @param {string} id
   */
  #rememberChat(id) {
    this.#seenChat.add(id);
    if (this.#seenChat.size > SEEN_CHAT_LIMIT) {
      const oldest = this.#seenChat.values().next().value;
      if (oldest !== undefined) this.#seenChat.delete(oldest);
    }
  }

  /**
   * Fires `chat` for a message from the server, unless it was seen already.
   * @param {unknown} value  `chat.message` or an entry of `joined.chat`
   * @param {boolean} history
   */
  #receiveServerChat(value, history) {
    const chat = parseServerChat(value);
    if (!chat || this.#seenChat.has(chat.id)) return;
    this.#rememberChat(chat.id);
    const local = this.#ownIds.has(chat.from);
    const name = chat.name || this.#peers.get(chat.from)?.info.name || (local ? this.#name : "");
    this.#emit("chat", { ...chat, name, receivedAt: Date.now(), local, history, via: "server" });
  }

  /**
   * The history in `joined.chat`, oldest first.
   * @param {unknown} list
   * @param {boolean} history  false after a reconnection: what we missed is new to us
   */
  #receiveHistory(list, history) {
    if (!Array.isArray(list)) return;
    for (const value of list) this.#receiveServerChat(value, history);
  }

  // MARK: - Screen sharing and devices

  /**
   * The screen we share, while we do (else null).
   * @returns {MediaStream | null}
   */
  get screenStream() {
    return this.#screenStream;
  }

  /**
   * The screen someone shares, once its video has arrived (else null).
   * @param {string} id
   * @returns {MediaStream | null}
   */
  remoteScreen(id) {
    return this.#peers.get(id)?.screen ?? null;
  }

  /**
   * Shares a screen with everyone: its video track goes to every connection as a track of its
   * own (renegotiated by perfect negotiation), and a data channel message tells the others
   * which of our streams is the screen. Without `stream`, asks the browser
   * (`getDisplayMedia`), which lets the person pick a screen, window or tab. When the browser
   * ends the capture (its own "stop sharing" button), sharing stops by itself and
   * `local-screen` fires.
   * @param {MediaStream} [stream]  a stream with a video track; the call owns it from now on
   * @returns {Promise<MediaStream>}  the stream being shared
   */
  async shareScreen(stream) {
    if (this.#state !== "joined") throw new ParleyError("not-joined", "not in a room");
    this.#checkMaySend();
    const shared = stream ?? (await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false }));
    const track = shared.getVideoTracks()[0];
    if (!track) throw new ParleyError("no-device", "the screen capture has no video track");
    if (this.#state !== "joined") {
      for (const other of shared.getTracks()) other.stop();
      throw new ParleyError("not-joined", "the call ended");
    }
    // Only the picture is sent; a tab's sound would be a second audio source to mix.
    for (const other of shared.getTracks()) {
      if (other !== track) {
        other.stop();
        shared.removeTrack(other);
      }
    }
    if (this.#screenStream && this.#screenStream !== shared) this.#endScreenShare();
    this.#screenStream = shared;
    this.#screenOut ??= new MediaStream();
    for (const old of this.#screenOut.getTracks()) this.#screenOut.removeTrack(old);
    this.#screenOut.addTrack(track);
    track.contentHint = "detail";
    track.addEventListener("ended", () => {
      if (this.#screenStream === shared) this.stopScreenShare();
    });
    for (const peer of this.#peers.values()) {
      this.#attachScreen(peer);
      this.#sendScreenState(peer);
    }
    this.#emit("local-screen", { stream: shared });
    return shared;
  }

  /** Stops sharing the screen (nothing happens when we do not share one). */
  stopScreenShare() {
    if (!this.#screenStream) return;
    this.#endScreenShare();
    for (const peer of this.#peers.values()) this.#sendScreenState(peer);
    this.#emit("local-screen", { stream: null });
  }

  /**
   * Sends `track` instead of our current microphone or camera track of the same kind (for a
   * change of device): `replaceTrack` on every connection, so nothing is renegotiated when that
   * kind was sent already. The old track is stopped. A muted microphone stays muted; a video
   * track turns the camera on.
   * @param {MediaStreamTrack} track
   * @returns {Promise<void>}  rejects (code `viewer-cannot-send`) if we are a viewer
   */
  async useTrack(track) {
    this.#checkMaySend();
    const kind = track.kind;
    if (kind !== "audio" && kind !== "video") throw new TypeError(`not an audio or video track: ${kind}`);
    if (kind === "audio") {
      // With no microphone before, choosing one turns it on; otherwise muted stays muted.
      track.enabled = this.#audioEnabled || !this.#localTrack("audio");
      await this.#useNewTrack("audio", track);
      this.#audioEnabled = track.enabled;
    } else {
      await this.#useNewTrack("video", track);
      this.#videoEnabled = true;
    }
    this.#mediaChanged();
  }

  // MARK: - Server messages

  /** @param {Record<string, unknown>} message */
  #handleServerMessage(message) {
    switch (message.type) {
      case "joined":
        this.#onJoined(message);
        break;
      case "lobby": {
        if (this.#reconnecting) {
          // Rejoining as a newcomer into a room locked meanwhile: we wait for a moderator.
          clearTimeout(this.#attemptTimer);
          this.#emit("reconnecting", { attempt: this.#reconnectAttempt, delayMs: 0, lobby: true });
          return;
        }
        if (this.#state !== "joining") return;
        this.#state = "waiting";
        this.#emit("lobby", { room: typeof message.room === "string" ? message.room : "" });
        break;
      }
      case "knock": {
        const info = parsePeer(message.peer);
        if (!info || this.#state !== "joined") return;
        this.#waiting.set(info.id, info);
        this.#emit("knock", { peer: { ...info } });
        break;
      }
      case "knock-ended": {
        if (typeof message.id !== "string") return;
        const info = this.#waiting.get(message.id);
        if (!info) return;
        this.#waiting.delete(message.id);
        this.#emit("knock-ended", { id: message.id, peer: { ...info } });
        break;
      }
      case "peer-role": {
        if (typeof message.id !== "string" || !ROLES.includes(/** @type {Role} */ (message.role))) return;
        const role = parseRole(message.role);
        if (message.id === this.#id) {
          this.#setOwnRole(role);
          this.#emit("peer-role", { id: this.#id, role, self: true });
        } else {
          const peer = this.#peers.get(message.id);
          if (!peer) return;
          peer.info.role = role;
          this.#emit("peer-role", { id: peer.info.id, role, self: false });
        }
        break;
      }
      case "room-state": {
        this.#roomState = parseRoomState(message);
        this.#emit("room-state", { ...this.#roomState });
        break;
      }
      case "mute-request": {
        if (typeof message.from !== "string" || this.#state !== "joined") return;
        const name = this.#peers.get(message.from)?.info.name ?? "";
        this.#emit("mute-request", { from: message.from, name });
        break;
      }
      case "peer-joined": {
        const info = parsePeer(message.peer);
        if (!info || info.id === this.#id || this.#peers.has(info.id)) return;
        // The newcomer offers to us; we answer (PROTOCOL.md, negotiation rule 1).
        this.#createPeer(info, { polite: true, canOffer: false });
        this.#emit("peer-joined", { peer: { ...info } });
        break;
      }
      case "peer-left": {
        if (typeof message.id !== "string") return;
        const peer = this.#peers.get(message.id);
        if (!peer) return;
        this.#closePeer(peer);
        this.#emit("peer-left", { id: message.id, peer: { ...peer.info } });
        break;
      }
      case "peer-media": {
        if (typeof message.id !== "string") return;
        const peer = this.#peers.get(message.id);
        if (!peer) return;
        if (typeof message.audio === "boolean") peer.info.audio = message.audio;
        if (typeof message.video === "boolean") peer.info.video = message.video;
        this.#emit("peer-media", { id: peer.info.id, audio: peer.info.audio, video: peer.info.video });
        break;
      }
      case "signal": {
        if (typeof message.from !== "string" || !isObject(message.data)) return;
        const peer = this.#peers.get(message.from);
        if (!peer) return;
        const data = message.data;
        // One chain per peer, so a candidate is never added before the description it
        // belongs to has been applied.
        peer.signals = peer.signals
          .then(() => this.#handleSignal(peer, data))
          .catch((error) => console.warn("parley: signal from", peer.info.id, "failed", error));
        break;
      }
      case "chat":
        this.#receiveServerChat(message.message, false);
        break;
      case "peer-hand": {
        if (typeof message.id !== "string" || typeof message.raised !== "boolean") return;
        if (message.id === this.#id) {
          if (message.raised === this.#hand) return;
          this.#hand = message.raised;
          this.#emit("peer-hand", { id: this.#id, raised: this.#hand, self: true });
          return;
        }
        const peer = this.#peers.get(message.id);
        if (!peer || peer.info.hand === message.raised) return;
        peer.info.hand = message.raised;
        this.#emit("peer-hand", { id: peer.info.id, raised: peer.info.hand, self: false });
        break;
      }
      case "reaction": {
        if (typeof message.from !== "string" || typeof message.emoji !== "string") return;
        if (!REACTIONS.includes(message.emoji)) return;
        const self = message.from === this.#id;
        const name = self ? this.#name : this.#peers.get(message.from)?.info.name;
        if (name === undefined) return;
        this.#emit("reaction", { from: message.from, name, emoji: message.emoji, self });
        break;
      }
      case "draining": {
        // The server is shutting down; calls go on for up to `seconds`, then it closes (1001).
        const seconds = typeof message.seconds === "number" && message.seconds >= 0 ? message.seconds : 0;
        this.#emit("draining", { seconds });
        break;
      }
      case "error": {
        const code = typeof message.code === "string" ? message.code : "error";
        const text = typeof message.message === "string" ? message.message : code;
        // A signal racing a departure is expected in a mesh; peer-left follows.
        if (code === "unknown-peer") return;
        if (FINAL_ERRORS.has(code)) {
          // The server closes the connection next; `closed` reports it.
          this.#finalError = { code, message: text };
          return;
        }
        this.#emit("error", { code, message: text });
        break;
      }
      default:
        // Unknown types are ignored so later servers can add messages.
        break;
    }
  }

  /** @param {Record<string, unknown>} message */
  #onJoined(message) {
    if (typeof message.id !== "string") return;
    if (this.#reconnecting) {
      this.#onRejoined(message, message.id);
      return;
    }
    if (!this.#isJoining()) return;
    this.#resumeToken = typeof message.resume === "string" ? message.resume : "";
    this.#state = "joined";
    this.#id = message.id;
    this.#ownIds.add(message.id);
    this.#room = typeof message.room === "string" ? message.room : "";
    if (typeof message.name === "string") this.#name = message.name;
    this.#roomState = parseRoomState(message);
    this.#role = parseRole(message.role);
    if (this.#role === "viewer") this.#stopSending();
    this.#iceServers = Array.isArray(message.iceServers) ? message.iceServers.filter(isIceServer) : [];
    const peers = Array.isArray(message.peers) ? message.peers : [];
    /** @type {PeerInfo[]} */
    const infos = [];
    for (const value of peers) {
      const info = parsePeer(value);
      if (info && info.id !== this.#id && !this.#peers.has(info.id)) infos.push(info);
    }
    const announce = () => {
      this.#emit("joined", {
        id: this.#id,
        room: this.#room,
        name: this.#name,
        role: this.#role,
        peers: infos.map((info) => ({ ...info })),
        iceServers: this.#iceServers,
        ...this.#roomState,
      });
      this.#receiveHistory(message.chat, true);
    };
    if (infos.length === 0) {
      announce();
      return;
    }
    // The page's handling of `joined` (building the call's view, then laying it out) takes
    // tens of milliseconds of its main thread, and each offer's setLocalDescription waits for
    // that thread before it can leave. So `joined` waits for the offers instead: the view is
    // then built while the offers travel and the others answer. Messages arriving meanwhile
    // are held, so the page still sees `joined` before anything that follows it.
    const offers = this.#offerTo(infos);
    const held = /** @type {Record<string, unknown>[]} */ ([]);
    this.#heldMessages = held;
    const waited = new Promise((resolve) => setTimeout(resolve, FIRST_OFFERS_WAIT_MS));
    void Promise.race([offers, waited]).then(() => {
      this.#heldMessages = null;
      // Ended meanwhile (left, or removed by a moderator): the messages belong to nothing now.
      if (this.#state !== "joined") return;
      announce();
      for (const kept of held) this.#handleServerMessage(kept);
    });
  }

  /**
   * Creates a connection to each of `infos` as the newcomer, who offers and is the impolite
   * side of each pair, and starts each first offer at once.
   *
   * Not waiting for `negotiationneeded`: the browser fires that from a task of its own, after
   * the page has handled the new participant (tiles laid out, sounds started), which held the
   * offer back by about 35 ms. Started here, the browser builds the offer while the page does
   * that work. The event still covers every later change; the first offer leaves nothing for
   * it to do.
   * @param {PeerInfo[]} infos
   * @returns {Promise<unknown>} settles when every first offer has left (or failed)
   */
  #offerTo(infos) {
    return Promise.allSettled(
      infos.map((info) => this.#negotiate(this.#createPeer(info, { polite: false, canOffer: true }))),
    );
  }

  /**
   * `joined` after a reconnection. Resumed: our seat is back (same id) and every connection
   * goes on; the roster is reconciled and what we sent meanwhile follows. Not resumed (too
   * late, or the server restarted and forgot us): every connection is closed and we join
   * afresh, as a newcomer with a new id.
   * @param {Record<string, unknown>} message
   * @param {string} id
   */
  #onRejoined(message, id) {
    clearTimeout(this.#attemptTimer);
    this.#reconnecting = false;
    this.#reconnectAttempt = 0;
    this.#resumeToken = typeof message.resume === "string" ? message.resume : "";
    const previousId = this.#id;
    const resumed = message.resumed === true && id === previousId;
    this.#room = typeof message.room === "string" ? message.room : this.#room;
    if (typeof message.name === "string") this.#name = message.name;
    const roomState = parseRoomState(message);
    const role = parseRole(message.role);
    if (Array.isArray(message.iceServers)) this.#iceServers = message.iceServers.filter(isIceServer);
    /** @type {PeerInfo[]} */
    const roster = [];
    for (const value of Array.isArray(message.peers) ? message.peers : []) {
      const info = parsePeer(value);
      if (info && info.id !== id && !roster.some((other) => other.id === info.id)) roster.push(info);
    }
    if (resumed) {
      const outbox = this.#outbox;
      this.#outbox = [];
      for (const peer of [...this.#peers.values()]) {
        if (roster.some((info) => info.id === peer.info.id)) continue;
        this.#closePeer(peer);
        this.#emit("peer-left", { id: peer.info.id, peer: { ...peer.info } });
      }
      for (const info of roster) {
        const peer = this.#peers.get(info.id);
        if (!peer) {
          // They came while we were away and offer to us (the offer is among the queued
          // messages that follow).
          this.#createPeer(info, { polite: true, canOffer: false });
          this.#emit("peer-joined", { peer: { ...info } });
          continue;
        }
        const before = peer.info;
        peer.info = { ...info };
        if (before.audio !== info.audio || before.video !== info.video) {
          this.#emit("peer-media", { id: info.id, audio: info.audio, video: info.video });
        }
        if (before.role !== info.role) this.#emit("peer-role", { id: info.id, role: info.role, self: false });
        if (before.hand !== info.hand) this.#emit("peer-hand", { id: info.id, raised: info.hand, self: false });
      }
      for (const kept of outbox) this.#send(kept);
    } else {
      this.#outbox = [];
      for (const peer of [...this.#peers.values()]) {
        this.#closePeer(peer);
        this.#emit("peer-left", { id: peer.info.id, peer: { ...peer.info }, rejoin: true });
      }
      for (const info of [...this.#waiting.values()]) this.#emit("knock-ended", { id: info.id, peer: { ...info } });
      this.#waiting.clear();
      this.#id = id;
      this.#ownIds.add(id);
      void this.#offerTo(roster);
      // A newcomer's hand starts lowered; ours stays as the person left it.
      if (this.#hand) this.#send({ type: "hand", raised: true });
    }
    if (role !== this.#role) {
      this.#setOwnRole(role);
      if (role === "viewer") this.#stopSending();
      this.#emit("peer-role", { id: this.#id, role, self: true });
    }
    if (roomState.locked !== this.#roomState.locked || roomState.hasPassword !== this.#roomState.hasPassword) {
      this.#roomState = roomState;
      this.#emit("room-state", { ...roomState });
    }
    this.#emit("reconnected", { resumed, id: this.#id, previousId, peers: this.peers });
    this.#receiveHistory(message.chat, false);
  }

  /**
   * Our role changed. A moderator no longer is told about the lobby; whoever it listed is
   * reported as ended, so a UI can take its prompts down.
   * @param {Role} role
   */
  #setOwnRole(role) {
    this.#role = role;
    if (role !== "moderator") {
      const waiting = [...this.#waiting.values()];
      this.#waiting.clear();
      for (const info of waiting) this.#emit("knock-ended", { id: info.id, peer: { ...info } });
    }
  }

  /**
   * A viewer only receives: its tracks are stopped (the camera light goes out) and it offers
   * and answers receive-only, as the server requires.
   */
  #stopSending() {
    for (const track of this.#localStream.getTracks()) {
      track.stop();
      this.#localStream.removeTrack(track);
    }
    this.#audioEnabled = false;
    this.#videoEnabled = false;
  }

  #checkMaySend() {
    if (this.#role === "viewer") {
      throw new ParleyError("viewer-cannot-send", "viewers only watch and listen; they cannot send");
    }
  }

  /** @returns {boolean} whether `join()` is still waiting (for the server, or in a lobby) */
  #isJoining() {
    return this.#state === "joining" || this.#state === "waiting";
  }

  // MARK: - Peer connections

  /**
   * Creates the connection to one remote participant.
   *
   * `canOffer` is true when we are the newcomer: we add the transceivers, and the caller
   * starts the first offer (#offerTo). When the other is the newcomer we
   * must not offer before we have answered its first offer (rule 1), so `negotiationneeded`
   * is ignored until then; the browser fires it again after the answer if still needed.
   * @param {PeerInfo} info
   * @param {{polite: boolean, canOffer: boolean}} role
   * @returns {Peer}
   */
  #createPeer(info, { polite, canOffer }) {
    const pc = new RTCPeerConnection({ iceServers: this.#iceServers, iceTransportPolicy: this.#iceTransportPolicy });
    const channel = pc.createDataChannel("parley", { negotiated: true, id: 0, ordered: true });
    // Files go on a channel of their own, so their chunks never hold up chat.
    const files = pc.createDataChannel("parley-files", { negotiated: true, id: 1, ordered: true });
    files.binaryType = "arraybuffer";
    /** @type {Peer} */
    const peer = {
      info: { ...info },
      pc,
      channel,
      files,
      polite,
      canOffer,
      makingOffer: false,
      ignoreOffer: false,
      signals: Promise.resolve(),
      transceivers: {},
      stream: new MediaStream(),
      screenTransceiver: null,
      screenId: null,
      extraStreams: new Map(),
      screen: null,
      iceRestartAt: -Infinity,
      iceTimer: undefined,
    };
    this.#peers.set(info.id, peer);

    if (canOffer) {
      // Always one audio and one video m-section, so we receive both even without a
      // microphone or camera (rule 4).
      for (const kind of KINDS) {
        const track = this.#localTrack(kind);
        peer.transceivers[kind] = pc.addTransceiver(track ?? kind, {
          direction: track ? "sendrecv" : "recvonly",
          streams: [this.#localStream],
        });
      }
      this.#attachScreen(peer);
    } else {
      // The answering side adds its tracks before the offer comes: applying the offer then
      // takes these transceivers for its first m-section of each kind (JSEP: one added by
      // addTrack and not yet used is reused), so the answer can be made at once instead of
      // after a replaceTrack round trip to the browser's WebRTC thread for each kind.
      for (const kind of KINDS) {
        const track = this.#localTrack(kind);
        if (!track) continue;
        const sender = pc.addTrack(track, this.#localStream);
        peer.transceivers[kind] = pc.getTransceivers().find((transceiver) => transceiver.sender === sender);
      }
    }

    pc.addEventListener("negotiationneeded", () => this.#negotiate(peer));
    pc.addEventListener("icecandidate", ({ candidate }) => {
      this.#signal(peer, { candidate: candidate ? candidate.toJSON() : null });
    });
    pc.addEventListener("track", ({ track, transceiver, streams }) => {
      if (this.#isExtraTransceiver(peer, transceiver)) {
        this.#onExtraTrack(peer, transceiver, streams[0]);
        return;
      }
      for (const old of peer.stream.getTracks()) {
        if (old.kind === track.kind && old !== track) peer.stream.removeTrack(old);
      }
      if (!peer.stream.getTracks().includes(track)) peer.stream.addTrack(track);
      this.#emit("track", { id: peer.info.id, track, stream: peer.stream });
    });
    pc.addEventListener("connectionstatechange", () => {
      if (!this.#peers.has(peer.info.id)) return;
      this.#emit("connection-state", { id: peer.info.id, state: pc.connectionState });
    });
    pc.addEventListener("iceconnectionstatechange", () => this.#watchIce(peer));
    channel.addEventListener("message", (event) => this.#onChannelMessage(peer, event.data));
    channel.addEventListener("open", () => {
      if (this.#screenStream) this.#sendScreenState(peer);
    });
    this.#emit("file-channel", { id: info.id, channel: files });
    return peer;
  }

  /**
   * Sends an offer when the browser says one is needed (perfect negotiation).
   * @param {Peer} peer
   */
  async #negotiate(peer) {
    if (!peer.canOffer || !this.#peers.has(peer.info.id)) return;
    try {
      peer.makingOffer = true;
      await peer.pc.setLocalDescription();
      if (peer.pc.localDescription) this.#signal(peer, { description: peer.pc.localDescription.toJSON() });
    } catch (error) {
      console.warn("parley: offer to", peer.info.id, "failed", error);
    } finally {
      peer.makingOffer = false;
    }
  }

  /**
   * Applies one `signal` from a peer (called in order, one at a time per peer).
   * @param {Peer} peer
   * @param {Record<string, unknown>} data
   */
  async #handleSignal(peer, data) {
    if (!this.#peers.has(peer.info.id)) return;
    const pc = peer.pc;
    if (isObject(data.description)) {
      const { type, sdp } = data.description;
      if (!["offer", "answer", "pranswer", "rollback"].includes(/** @type {string} */ (type))) return;
      if (type !== "rollback" && typeof sdp !== "string") return;
      const description = /** @type {RTCSessionDescriptionInit} */ ({ type, sdp });

      const collision = type === "offer" && (peer.makingOffer || pc.signalingState !== "stable");
      peer.ignoreOffer = !peer.polite && collision;
      if (peer.ignoreOffer) return;

      // The polite side's browser rolls its own offer back implicitly here.
      await pc.setRemoteDescription(description);
      if (type === "offer") {
        await this.#adoptTransceivers(peer);
        await pc.setLocalDescription();
        if (pc.localDescription) this.#signal(peer, { description: pc.localDescription.toJSON() });
        if (!peer.canOffer) {
          peer.canOffer = true;
          this.#ensureTransceivers(peer);
          this.#attachScreen(peer);
        }
      }
    } else if ("candidate" in data) {
      const candidate = data.candidate;
      if (candidate !== null && !isObject(candidate)) return;
      try {
        if (candidate === null || candidate.candidate === "") {
          await pc.addIceCandidate();
        } else {
          await pc.addIceCandidate(/** @type {RTCIceCandidateInit} */ (candidate));
        }
      } catch (error) {
        // Candidates of an offer we ignored fail; that is expected.
        if (!peer.ignoreOffer) throw error;
      }
    }
  }

  /**
   * On the answering side, takes the transceivers the remote offer created (the first of
   * each kind) and attaches our tracks to them, so the answer sends our media.
   * @param {Peer} peer
   */
  async #adoptTransceivers(peer) {
    /** @type {Promise<void>[]} */
    const replacing = [];
    for (const transceiver of peer.pc.getTransceivers()) {
      const kind = transceiver.receiver.track.kind;
      if (kind !== "audio" && kind !== "video") continue;
      if (peer.transceivers[kind] || transceiver.currentDirection === "stopped") continue;
      if (transceiver.mid === null) continue;
      peer.transceivers[kind] = transceiver;
      const track = this.#localTrack(kind);
      if (track) {
        transceiver.sender.setStreams(this.#localStream);
        transceiver.direction = "sendrecv";
        // Each replaceTrack is a round trip to the browser's WebRTC thread; side by side, the
        // answer waits for one instead of one per kind.
        replacing.push(transceiver.sender.replaceTrack(track));
      } else {
        transceiver.direction = "recvonly";
      }
    }
    await Promise.all(replacing);
  }

  /**
   * Adds a receiving transceiver for any kind the other side's first offer lacked
   * (a client without one of them); this renegotiates with us as offerer.
   * @param {Peer} peer
   */
  #ensureTransceivers(peer) {
    for (const kind of KINDS) {
      if (peer.transceivers[kind]) continue;
      const track = this.#localTrack(kind);
      peer.transceivers[kind] = peer.pc.addTransceiver(track ?? kind, {
        direction: track ? "sendrecv" : "recvonly",
        streams: [this.#localStream],
      });
    }
  }

  /**
   * Puts a new local track of `kind` into our stream and onto every connection.
   * @param {"audio" | "video"} kind
   * @param {MediaStreamTrack} [given]
   */
  async #useNewTrack(kind, given) {
    let track = given;
    if (!track) {
      const stream = await this.#getUserMedia(
        kind === "audio" ? { audio: true } : { video: { width: { ideal: 640 }, height: { ideal: 360 } } },
      );
      track = kind === "audio" ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
      for (const other of stream.getTracks()) if (other !== track) other.stop();
      if (!track) throw new ParleyError("no-device", `no ${kind} track was returned`);
    }
    if (this.#state === "closed") {
      track.stop();
      return;
    }
    const old = this.#localTrack(kind);
    if (old && old !== track) {
      old.stop();
      this.#localStream.removeTrack(old);
    }
    this.#localStream.addTrack(track);
    const newTrack = track;
    await Promise.all(
      [...this.#peers.values()].map(async (peer) => {
        const transceiver = peer.transceivers[kind];
        if (!transceiver) return; // adopted with this track when the offer arrives
        await transceiver.sender.replaceTrack(newTrack);
        transceiver.sender.setStreams(this.#localStream);
        // From recvonly to sendrecv needs a renegotiation; negotiationneeded starts it.
        if (transceiver.direction !== "sendrecv") transceiver.direction = "sendrecv";
      }),
    );
  }

  /**
   * Handles one data channel message: validated, then fired as `chat`.
   * @param {Peer} peer
   * @param {unknown} data
   */
  #onChannelMessage(peer, data) {
    if (typeof data !== "string" || data.length > MAX_CHANNEL_MESSAGE) return;
    /** @type {unknown} */
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (isObject(message) && message.type === "screen") {
      this.#onScreenMessage(peer, message);
      return;
    }
    if (!isObject(message) || message.type !== "chat") return; // unknown types are ignored
    const text = message.text;
    if (typeof text !== "string" || text.length === 0 || charCount(text) > MAX_CHAT_CHARS) return;
    // Sent while the sender's signalling was down; it may reach us through the server too.
    const id = typeof message.id === "string" && CHAT_ID_PATTERN.test(message.id) ? message.id : "";
    if (id) {
      if (this.#seenChat.has(id)) return;
      this.#rememberChat(id);
    }
    const receivedAt = Date.now();
    const sentAt =
      typeof message.sentAt === "number" && Number.isFinite(message.sentAt) ? message.sentAt : receivedAt;
    /** @type {ChatMessage} */
    const chat = {
      id, from: peer.info.id, name: peer.info.name, text, sentAt, receivedAt, local: false, history: false,
      via: "peer",
    };
    this.#emit("chat", chat);
  }

  // MARK: - Screen sharing

  /**
   * Whether a remote track arrived on a transceiver other than that peer's camera or
   * microphone (the first transceiver of its kind): a shared screen, say.
   * @param {Peer} peer
   * @param {RTCRtpTransceiver} transceiver
   * @returns {boolean}
   */
  #isExtraTransceiver(peer, transceiver) {
    const kind = transceiver.receiver.track.kind;
    if (kind !== "audio" && kind !== "video") return false;
    const main =
      peer.transceivers[kind] ??
      peer.pc.getTransceivers().find((candidate) => candidate.receiver.track.kind === kind);
    return main !== undefined && main !== transceiver;
  }

  /**
   * A track beyond camera and microphone arrived: kept by its stream id, which the peer's
   * `screen` message names.
   * @param {Peer} peer
   * @param {RTCRtpTransceiver} transceiver
   * @param {MediaStream | undefined} stream
   */
  #onExtraTrack(peer, transceiver, stream) {
    const remote = stream ?? new MediaStream([transceiver.receiver.track]);
    // A stream that comes back after a pause may be a new object with the same id.
    if (peer.extraStreams.get(remote.id) !== remote) {
      peer.extraStreams.set(remote.id, remote);
      remote.addEventListener("removetrack", () => this.#updateRemoteScreen(peer));
      remote.addEventListener("addtrack", () => this.#updateRemoteScreen(peer));
    }
    this.#updateRemoteScreen(peer);
  }

  /**
   * A peer's `{"type":"screen","stream":id|null}` message.
   * @param {Peer} peer
   * @param {Record<string, unknown>} message
   */
  #onScreenMessage(peer, message) {
    const id = message.stream;
    if (id !== null && (typeof id !== "string" || id.length > 256)) return;
    peer.screenId = id;
    this.#updateRemoteScreen(peer);
  }

  /**
   * Fires `screen` when what a peer shares changed: shown once both the announcement and a
   * live video track of that stream are there; gone when either is.
   * @param {Peer} peer
   */
  #updateRemoteScreen(peer) {
    if (!this.#peers.has(peer.info.id)) return;
    const stream = peer.screenId ? peer.extraStreams.get(peer.screenId) : undefined;
    const live = stream?.getVideoTracks().some((track) => track.readyState === "live") ?? false;
    const screen = stream && live ? stream : null;
    if (screen === peer.screen) return;
    peer.screen = screen;
    this.#emit("screen", { id: peer.info.id, stream: screen });
  }

  /**
   * Puts our shared screen on one connection, as a send-only transceiver of its own (reused
   * from an earlier share). Before we may offer (the other is the newcomer and has not had
   * our first answer), it waits: `#handleSignal` calls this again then.
   * @param {Peer} peer
   */
  #attachScreen(peer) {
    const stream = this.#screenOut;
    const track = this.#screenStream?.getVideoTracks()[0];
    if (!stream || !track || !peer.canOffer || peer.pc.signalingState === "closed") return;
    const transceiver = peer.screenTransceiver;
    if (transceiver && transceiver.currentDirection !== "stopped") {
      transceiver.sender.replaceTrack(track).catch((error) => console.warn("parley: screen", error));
      transceiver.direction = "sendonly";
    } else {
      peer.screenTransceiver = peer.pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
    }
  }

  /** Takes our screen off every connection (renegotiated) and stops the capture. */
  #endScreenShare() {
    const stream = this.#screenStream;
    if (!stream) return;
    this.#screenStream = null;
    for (const peer of this.#peers.values()) {
      const transceiver = peer.screenTransceiver;
      if (!transceiver || transceiver.currentDirection === "stopped" || peer.pc.signalingState === "closed") {
        continue;
      }
      transceiver.sender.replaceTrack(null).catch(() => {});
      transceiver.direction = "inactive";
    }
    for (const track of stream.getTracks()) track.stop();
    for (const track of this.#screenOut?.getTracks() ?? []) this.#screenOut?.removeTrack(track);
  }

  /**
   * Tells one peer which of our streams is the screen (or that none is).
   * @param {Peer} peer
   */
  #sendScreenState(peer) {
    if (peer.channel.readyState !== "open") return;
    try {
      peer.channel.send(JSON.stringify({ type: "screen", stream: this.#screenStream ? this.#screenOut?.id ?? null : null }));
    } catch (error) {
      console.warn("parley: screen state to", peer.info.id, "failed", error);
    }
  }

  // MARK: - Helpers

  /**
   * @param {"audio" | "video"} kind
   * @returns {MediaStreamTrack | undefined}
   */
  #localTrack(kind) {
    return kind === "audio" ? this.#localStream.getAudioTracks()[0] : this.#localStream.getVideoTracks()[0];
  }

  #mediaChanged() {
    if (this.#state === "joined") {
      this.#sendOrKeep({ type: "media", audio: this.#audioEnabled, video: this.#videoEnabled });
    }
    this.#emit("local-media", {
      audio: this.#audioEnabled,
      video: this.#videoEnabled,
      stream: this.#localStream,
    });
  }

  /**
   * @param {Peer} peer
   * @param {Record<string, unknown>} data
   */
  #signal(peer, data) {
    if (!this.#peers.has(peer.info.id)) return;
    this.#sendOrKeep({ type: "signal", to: peer.info.id, data });
  }

  // MARK: - ICE restart

  /**
   * Restarts ICE when a connection stays `disconnected` for 3 s or has `failed`: a network
   * change (new Wi-Fi, VPN) often needs new candidates, which only a restart gathers.
   * @param {Peer} peer
   */
  #watchIce(peer) {
    if (this.#peers.get(peer.info.id) !== peer) return;
    const state = peer.pc.iceConnectionState;
    if (state === "failed") {
      this.#restartIce(peer, "failed", false);
    } else if (state === "disconnected") {
      if (peer.iceTimer !== undefined) return;
      peer.iceTimer = setTimeout(() => {
        peer.iceTimer = undefined;
        if (peer.pc.iceConnectionState === "disconnected") this.#restartIce(peer, "disconnected", false);
      }, ICE_DISCONNECTED_MS);
    } else {
      clearTimeout(peer.iceTimer);
      peer.iceTimer = undefined;
    }
  }

  /**
   * @param {Peer} peer
   * @param {"disconnected" | "failed" | "requested"} reason
   * @param {boolean} now  restart even if the last restart was less than 10 s ago
   */
  #restartIce(peer, reason, now) {
    if (this.#peers.get(peer.info.id) !== peer) return;
    const wait = peer.iceRestartAt + ICE_RESTART_GAP_MS - performance.now();
    if (!now && wait > 0) {
      // Too soon after the last one: look again once another is allowed.
      clearTimeout(peer.iceTimer);
      peer.iceTimer = setTimeout(() => {
        peer.iceTimer = undefined;
        const state = peer.pc.iceConnectionState;
        if (state === "failed" || state === "disconnected") this.#restartIce(peer, reason, false);
      }, wait);
      return;
    }
    clearTimeout(peer.iceTimer);
    peer.iceTimer = undefined;
    peer.iceRestartAt = performance.now();
    // Fires negotiationneeded: the next offer carries new ICE credentials.
    peer.pc.restartIce();
    this.#emit("ice-restart", { id: peer.info.id, reason });
  }

  /** @param {Record<string, unknown>} message */
  #send(message) {
    if (this.#ws && this.#ws.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(message));
  }

  /** @param {Peer} peer */
  #closePeer(peer) {
    clearTimeout(peer.iceTimer);
    this.#peers.delete(peer.info.id);
    peer.channel.close();
    peer.files.close();
    peer.pc.close();
    for (const track of peer.stream.getTracks()) track.stop();
  }

  /**
   * Ends the call once: closes everything and fires `closed`.
   * @param {number} code
   * @param {string} reason
   * @param {boolean} byUs
   */
  #close(code, reason, byUs) {
    if (this.#state === "closed") return;
    const wasJoined = this.#state === "joined";
    this.#state = "closed";
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#attemptTimer);
    this.#reconnecting = false;
    this.#outbox = [];
    for (const peer of [...this.#peers.values()]) this.#closePeer(peer);
    // After a failed join the tracks stay with the caller, who may try again with them.
    if (wasJoined) for (const track of this.#localStream.getTracks()) track.stop();
    this.#endScreenShare();
    if (this.#ws) {
      const ws = this.#ws;
      this.#ws = null;
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
    }
    this.#waiting.clear();
    // The server tells why it ended the call in an error just before closing; the close code
    // alone says it too, should that error have been lost.
    const errorCode = CLOSE_CODE_ERRORS[code];
    const error = byUs ? null : this.#finalError ?? (errorCode ? { code: errorCode, message: reason } : null);
    if (wasJoined) this.#emit("closed", { code, reason, byUs, error });
    // Ended while `joined` waited for the first offers (#onJoined): join() has not resolved
    // yet, and now never will, so it fails instead of hanging.
    this.#failJoin?.(new ParleyError(error?.code ?? "connection-failed", error?.message ?? reason));
  }

  /**
   * @param {string} type
   * @param {unknown} detail
   */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
