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
 * @property {string} from     peer id of the sender (our own id for our own messages)
 * @property {string} name     the sender's name from the roster, never from the message
 * @property {string} text
 * @property {number} sentAt   sender's clock, ms since the Unix epoch
 * @property {number} receivedAt  our clock, ms since the Unix epoch
 * @property {boolean} local   true for a message we sent
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
 */

/**
 * Per-remote-participant state.
 * @typedef {object} Peer
 * @property {PeerInfo} info
 * @property {RTCPeerConnection} pc
 * @property {RTCDataChannel} channel
 * @property {boolean} polite          true when that peer joined after us (we yield on collision)
 * @property {boolean} canOffer        false until we may send offers (see `#createPeer`)
 * @property {boolean} makingOffer
 * @property {boolean} ignoreOffer
 * @property {Promise<void>} signals   tail of the chain that handles incoming signals in order
 * @property {{audio?: RTCRtpTransceiver, video?: RTCRtpTransceiver}} transceivers
 * @property {MediaStream} stream      the remote tracks
 */

/** Protocol version this library speaks. */
export const PROTOCOL_VERSION = 1;

/** Longest chat text, in characters (Unicode code points). */
export const MAX_CHAT_CHARS = 2000;

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
 * - `closed`       `{code: number, reason: string, byUs: boolean, error: {code: string, message: string} | null}`
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

  /** @param {CallOptions} [options] */
  constructor(options = {}) {
    super();
    this.#url = options.url ?? ParleyCall.defaultUrl();
    this.#getUserMedia =
      options.getUserMedia ?? ((constraints) => navigator.mediaDevices.getUserMedia(constraints));
    this.#joinTimeoutMs = options.joinTimeoutMs ?? 10_000;
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
    };
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

    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.#url);
      this.#ws = ws;
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

      ws.addEventListener("open", () => {
        /** @type {Record<string, unknown>} */
        const join = { type: "join", room, audio: this.#audioEnabled, video: this.#videoEnabled };
        if (name !== undefined) join.name = name;
        if (password !== undefined) join.password = password;
        if (token !== undefined) join.token = token;
        this.#send(join);
      });
      ws.addEventListener("message", (event) => {
        if (typeof event.data !== "string") return;
        /** @type {unknown} */
        let message;
        try {
          message = JSON.parse(event.data);
        } catch {
          return;
        }
        if (!isObject(message) || typeof message.type !== "string") return;
        if (this.#isJoining() && message.type === "error") {
          const code = typeof message.code === "string" ? message.code : "error";
          const text = typeof message.message === "string" ? message.message : code;
          fail(new ParleyError(code, text));
          return;
        }
        this.#handleServerMessage(message);
      });
      ws.addEventListener("close", (event) => {
        if (this.#isJoining()) {
          const code = CLOSE_CODE_ERRORS[event.code];
          fail(
            code
              ? new ParleyError(code, event.reason || code)
              : new ParleyError("connection-failed", "could not reach the server"),
          );
        } else {
          this.#close(event.code, event.reason, false);
        }
      });
    });
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
   * Sends a chat message to everyone whose data channel is open, and fires `chat` for it
   * locally (with `local: true`).
   * @param {string} text  1–2000 characters, not only white space
   * @returns {ChatMessage}
   */
  sendChat(text) {
    if (this.#state !== "joined") throw new Error("not in a room");
    if (typeof text !== "string" || text.trim() === "") throw new RangeError("empty message");
    if (charCount(text) > MAX_CHAT_CHARS) {
      throw new RangeError(`a message has at most ${MAX_CHAT_CHARS} characters`);
    }
    const sentAt = Date.now();
    const payload = JSON.stringify({ type: "chat", text, sentAt });
    for (const peer of this.#peers.values()) {
      if (peer.channel.readyState === "open") {
        try {
          peer.channel.send(payload);
        } catch (error) {
          console.warn("parley: chat to", peer.info.id, "failed", error);
        }
      }
    }
    /** @type {ChatMessage} */
    const message = { from: this.#id, name: this.#name, text, sentAt, receivedAt: sentAt, local: true };
    this.#emit("chat", message);
    return message;
  }

  // MARK: - Server messages

  /** @param {Record<string, unknown>} message */
  #handleServerMessage(message) {
    switch (message.type) {
      case "joined":
        this.#onJoined(message);
        break;
      case "lobby": {
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
    if (!this.#isJoining() || typeof message.id !== "string") return;
    this.#state = "joined";
    this.#id = message.id;
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
      if (info && info.id !== this.#id && !this.#peers.has(info.id)) {
        infos.push(info);
        // We are the newcomer: we offer, and we are the impolite side of each pair.
        this.#createPeer(info, { polite: false, canOffer: true });
      }
    }
    this.#emit("joined", {
      id: this.#id,
      room: this.#room,
      name: this.#name,
      role: this.#role,
      peers: infos.map((info) => ({ ...info })),
      iceServers: this.#iceServers,
      ...this.#roomState,
    });
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
   * `canOffer` is true when we are the newcomer: adding the transceivers fires
   * `negotiationneeded` and that sends the first offer. When the other is the newcomer we
   * must not offer before we have answered its first offer (rule 1), so `negotiationneeded`
   * is ignored until then; the browser fires it again after the answer if still needed.
   * @param {PeerInfo} info
   * @param {{polite: boolean, canOffer: boolean}} role
   * @returns {Peer}
   */
  #createPeer(info, { polite, canOffer }) {
    const pc = new RTCPeerConnection({ iceServers: this.#iceServers });
    const channel = pc.createDataChannel("parley", { negotiated: true, id: 0, ordered: true });
    /** @type {Peer} */
    const peer = {
      info: { ...info },
      pc,
      channel,
      polite,
      canOffer,
      makingOffer: false,
      ignoreOffer: false,
      signals: Promise.resolve(),
      transceivers: {},
      stream: new MediaStream(),
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
    }

    pc.addEventListener("negotiationneeded", () => this.#negotiate(peer));
    pc.addEventListener("icecandidate", ({ candidate }) => {
      this.#signal(peer, { candidate: candidate ? candidate.toJSON() : null });
    });
    pc.addEventListener("track", ({ track }) => {
      for (const old of peer.stream.getTracks()) {
        if (old.kind === track.kind && old !== track) peer.stream.removeTrack(old);
      }
      if (!peer.stream.getTracks().includes(track)) peer.stream.addTrack(track);
      this.#emit("track", { id: peer.info.id, track, stream: peer.stream });
    });
    pc.addEventListener("connectionstatechange", () => {
      if (!this.#peers.has(peer.info.id)) return;
      if (pc.connectionState === "failed") pc.restartIce();
      this.#emit("connection-state", { id: peer.info.id, state: pc.connectionState });
    });
    channel.addEventListener("message", (event) => this.#onChannelMessage(peer, event.data));
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
    for (const transceiver of peer.pc.getTransceivers()) {
      const kind = transceiver.receiver.track.kind;
      if (kind !== "audio" && kind !== "video") continue;
      if (peer.transceivers[kind] || transceiver.currentDirection === "stopped") continue;
      if (transceiver.mid === null) continue;
      peer.transceivers[kind] = transceiver;
      const track = this.#localTrack(kind);
      if (track) {
        await transceiver.sender.replaceTrack(track);
        transceiver.sender.setStreams(this.#localStream);
        transceiver.direction = "sendrecv";
      } else {
        transceiver.direction = "recvonly";
      }
    }
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
    if (!isObject(message) || message.type !== "chat") return; // unknown types are ignored
    const text = message.text;
    if (typeof text !== "string" || text.length === 0 || charCount(text) > MAX_CHAT_CHARS) return;
    const receivedAt = Date.now();
    const sentAt =
      typeof message.sentAt === "number" && Number.isFinite(message.sentAt) ? message.sentAt : receivedAt;
    /** @type {ChatMessage} */
    const chat = { from: peer.info.id, name: peer.info.name, text, sentAt, receivedAt, local: false };
    this.#emit("chat", chat);
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
      this.#send({ type: "media", audio: this.#audioEnabled, video: this.#videoEnabled });
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
    this.#send({ type: "signal", to: peer.info.id, data });
  }

  /** @param {Record<string, unknown>} message */
  #send(message) {
    if (this.#ws && this.#ws.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(message));
  }

  /** @param {Peer} peer */
  #closePeer(peer) {
    this.#peers.delete(peer.info.id);
    peer.channel.close();
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
    for (const peer of [...this.#peers.values()]) this.#closePeer(peer);
    // After a failed join the tracks stay with the caller, who may try again with them.
    if (wasJoined) for (const track of this.#localStream.getTracks()) track.stop();
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
  }

  /**
   * @param {string} type
   * @param {unknown} detail
   */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
