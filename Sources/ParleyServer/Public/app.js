// The room page: pre-join screen, lobby, call screen and the screen after it. UI only: every
// network and WebRTC matter goes through protocol.js.

import { ParleyCall, ParleyError, isValidRoomName } from "./protocol.js";
import { classify, describeDevices, getLocalMedia, problemWords, requestTrack } from "./media.js";
import { TileGrid } from "./tiles.js";
import { ChatPanel } from "./chat.js";
import { PopupMenu, QuestionDialog } from "./menu.js";
import { ScreenShareView } from "./screenshare.js";
import { DeviceSettings } from "./devices.js";
import { getChosenUserMedia } from "./devicechoice.js";
import { CallRecorder, canRecord } from "./recording.js";
import { Gestures } from "./reactions.js";
import { ReconnectNotice } from "./reconnect.js";
import { SpeakerView } from "./speaker.js";
import { QualityView } from "./quality.js";
import { FilesView } from "./files.js";

/** @typedef {import("./protocol.js").PeerInfo} PeerInfo */
/** @typedef {import("./protocol.js").JoinedInfo} JoinedInfo */
/** @typedef {import("./protocol.js").ChatMessage} ChatMessage */
/** @typedef {import("./protocol.js").Role} Role */
/** @typedef {import("./protocol.js").RoomState} RoomState */
/** @typedef {import("./menu.js").MenuItem} MenuItem */

const NAME_KEY = "parley.name";
const INTERRUPTED = "The call was interrupted";

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {{new (): T, prototype: T}} type
 * @returns {T}
 */
function byId(id, type) {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`room.html lacks #${id}`);
  return node;
}

const ui = {
  prejoin: byId("prejoin", HTMLElement),
  preview: byId("preview", HTMLVideoElement),
  previewOff: byId("preview-off", HTMLElement),
  preMic: byId("pre-mic", HTMLButtonElement),
  preCam: byId("pre-cam", HTMLButtonElement),
  roomTitle: byId("room-title", HTMLElement),
  deviceStatus: byId("device-status", HTMLElement),
  joinForm: byId("join-form", HTMLFormElement),
  identity: byId("identity", HTMLElement),
  nameField: byId("name-field", HTMLElement),
  name: byId("name", HTMLInputElement),
  passwordField: byId("password-field", HTMLElement),
  password: byId("password", HTMLInputElement),
  join: byId("join", HTMLButtonElement),
  joinError: byId("join-error", HTMLElement),
  lobby: byId("lobby", HTMLElement),
  lobbyRoom: byId("lobby-room", HTMLElement),
  lobbyPreview: byId("lobby-preview", HTMLVideoElement),
  lobbyCancel: byId("lobby-cancel", HTMLButtonElement),
  call: byId("call", HTMLElement),
  callRoom: byId("call-room", HTMLElement),
  peopleCount: byId("people-count", HTMLElement),
  lockedPill: byId("locked-pill", HTMLElement),
  passwordPill: byId("password-pill", HTMLElement),
  knocks: byId("knocks", HTMLElement),
  knockList: byId("knock-list", HTMLUListElement),
  roomMenuButton: byId("room-menu-button", HTMLButtonElement),
  copyLink: byId("copy-link", HTMLButtonElement),
  callError: byId("call-error", HTMLElement),
  tiles: byId("tiles", HTMLElement),
  mic: byId("mic", HTMLButtonElement),
  cam: byId("cam", HTMLButtonElement),
  leave: byId("leave", HTMLButtonElement),
  ended: byId("ended", HTMLElement),
  endedTitle: byId("ended-title", HTMLElement),
  endedDetail: byId("ended-detail", HTMLElement),
  endedTest: byId("ended-test", HTMLElement),
  rejoin: byId("rejoin", HTMLButtonElement),
  toast: byId("toast", HTMLElement),
};

/** Plain words for the server's error codes (PROTOCOL.md) and the library's own. */
/** @type {Record<string, string>} */
const ERROR_WORDS = {
  "room-full": "This room is full. Try again later, or start a new room.",
  "invalid-name": "That name can't be used. Use 1 to 64 characters, without control characters.",
  "invalid-room": "This room name isn't valid. Room names use letters, digits, - and _ (up to 64).",
  "connection-failed": "Can't reach the Parley server. Check your connection and try again.",
  timeout: "The server didn't answer in time. Try again.",
  "join-timeout": "The server didn't answer in time. Try again.",
  "slow-consumer": "Your connection is too slow to keep up with the call.",
  "server-draining": "The Parley server is restarting. Try again in a minute.",
  "message-too-large": "Something you sent was too large for the server.",
  "too-many-attempts": "Too many tries from your network lately. Wait a minute, then try again.",
  "token-required":
    "This call is only open to invited people. Open the personal link from your invitation, or ask the person who invited you for one.",
  "invalid-token":
    "Your invitation link can't be used: it may have expired, or be for another room. Ask the person who invited you for a new link.",
  "unknown-room": "There is no such room on this server. Check the link you were sent.",
  "lobby-full": "Too many people are already waiting to enter this room. Try again in a while.",
  "not-allowed": "Only moderators can do that.",
  "viewer-cannot-send": "Viewers can't send video or sound.",
  "rate-limited": "You did too much at once; the server is slowing you down.",
};

/** Codes whose server message is worth showing too (it says what exactly was refused). */
const WITH_SERVER_MESSAGE = new Set(["invalid-token"]);

/**
 * @param {string} code
 * @param {string} message
 * @returns {string}
 */
function errorWords(code, message) {
  const words = ERROR_WORDS[code];
  if (!words) return `Something went wrong: ${message}`;
  return WITH_SERVER_MESSAGE.has(code) ? `${words} (${sentence(message)})` : words;
}

/**
 * A server message as a sentence: capital first letter, full stop at the end.
 * @param {string} text
 * @returns {string}
 */
function sentence(text) {
  const trimmed = text.trim();
  if (trimmed === "") return "";
  const capital = trimmed[0].toLocaleUpperCase() + trimmed.slice(1);
  return /[.!?…]$/u.test(capital) ? capital : `${capital}.`;
}

/**
 * What a join token says about the person, read without checking its signature: only to
 * prepare the screen (the server checks the token, and its `joined` answer is what counts).
 * @typedef {object} TokenHints
 * @property {string} [name]
 * @property {Role} [role]
 */

/**
 * @param {string} token  a JWT
 * @returns {TokenHints}
 */
function tokenHints(token) {
  try {
    const part = token.split(".")[1] ?? "";
    const base64 = part.replace(/-/gu, "+").replace(/_/gu, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
    /** @type {unknown} */
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof claims !== "object" || claims === null) return {};
    const { name, role } = /** @type {Record<string, unknown>} */ (claims);
    /** @type {TokenHints} */
    const hints = {};
    if (typeof name === "string" && name.trim() !== "") hints.name = name.trim();
    if (role === "moderator" || role === "participant" || role === "viewer") hints.role = role;
    return hints;
  } catch {
    return {};
  }
}

const room = roomFromPath(location.pathname);
/** The join token from a `?token=` invitation link, if any. */
const token = new URLSearchParams(location.search).get("token") || undefined;
const hints = token ? tokenHints(token) : {};
/** @type {MediaStream} */
let stream = new MediaStream();
let micOn = false;
let camOn = false;
/** @type {ParleyCall | null} */
let call = null;
/** @type {number | undefined} */
let toastTimer;
/** @type {RoomState} */
let roomState = { locked: false, hasPassword: false };
/** Set when we ended the call for everyone, so the end screen says so. */
let endedByUs = false;

const grid = new TileGrid(
  ui.tiles,
  () => {
    showToast("Your browser paused the sound. Click anywhere to hear the others.");
    document.addEventListener(
      "click",
      () => {
        for (const video of ui.tiles.querySelectorAll("video")) {
          if (video.closest('[data-self="false"]')) video.muted = false;
        }
      },
      { once: true },
    );
  },
  (id, button) => openPersonMenu(id, button),
);

const menu = new PopupMenu(byId("menu", HTMLElement));
const question = new QuestionDialog(byId("question-dialog", HTMLDialogElement));
const passwordQuestion = new QuestionDialog(byId("password-dialog", HTMLDialogElement));

// Screen sharing, device choice and recording (screenshare.js, devices.js, recording.js).
const screens = new ScreenShareView({
  button: byId("share-screen", HTMLButtonElement),
  container: ui.tiles,
  layout: () => grid.layout(),
  notify: (text) => showToast(text, 6000),
});
const devices = new DeviceSettings(byId("devices-dialog", HTMLDialogElement), {
  call: () => call,
  previewStream: () => stream,
  previewChanged: () => updatePreview(),
  notify: (text) => showToast(text, 6000),
});
const recorder = new CallRecorder({
  tiles: ui.tiles,
  indicator: byId("recording", HTMLElement),
  clock: byId("recording-clock", HTMLElement),
  stop: byId("recording-stop", HTMLButtonElement),
  room: () => room,
  notify: (text) => showToast(text, 6000),
});
// Raised hands and reactions (reactions.js); the notice while reconnecting (reconnect.js).
const gestures = new Gestures({
  tiles: ui.tiles,
  handButtons: [byId("hand", HTMLButtonElement), byId("picker-hand", HTMLButtonElement)],
  reactButton: byId("react", HTMLButtonElement),
  picker: byId("reaction-picker", HTMLElement),
  toast: (text) => showToast(text, 5000),
});
const reconnectNotice = new ReconnectNotice(byId("reconnecting", HTMLElement));
// Active speaker and layouts, connection quality, files (speaker.js, quality.js, files.js).
const speakers = new SpeakerView(ui.tiles, byId("layout-toggle", HTMLButtonElement));
const quality = new QualityView(ui.tiles, byId("stats-panel", HTMLElement));
const files = new FilesView(
  {
    open: byId("send-file", HTMLButtonElement),
    dialog: byId("file-dialog", HTMLDialogElement),
    form: byId("file-form", HTMLFormElement),
    input: byId("file-input", HTMLInputElement),
    to: byId("file-to", HTMLSelectElement),
    error: byId("file-error", HTMLElement),
    list: byId("transfer-list", HTMLElement),
    panel: byId("transfers", HTMLElement),
  },
  (text) => showToast(text, 5000),
);
byId("pre-devices", HTMLButtonElement).addEventListener("click", () => devices.open());
const moreButton = byId("more-button", HTMLButtonElement);
moreButton.addEventListener("click", () => {
  /** @type {MenuItem[]} */
  const items = [{ label: "Camera, microphone and speaker", action: () => devices.open() }];
  if (canRecord()) {
    items.push(
      recorder.recording
        ? { label: "Stop recording", action: () => recorder.stop() }
        : { label: "Record the call", action: () => recorder.start() },
    );
  }
  menu.open(moreButton, "More options", items);
});

const chat = new ChatPanel({
  panel: byId("chat", HTMLElement),
  list: byId("chat-list", HTMLOListElement),
  empty: byId("chat-empty", HTMLElement),
  form: byId("chat-form", HTMLFormElement),
  input: byId("chat-input", HTMLInputElement),
  toggle: byId("chat-toggle", HTMLButtonElement),
  close: byId("chat-close", HTMLButtonElement),
  badge: byId("unread", HTMLElement),
  onSend: (text) => {
    if (!call) throw new Error("Not in a call");
    call.sendChat(text);
  },
});

/**
 * The room name from `/r/<room>`.
 * @param {string} path
 * @returns {string}
 */
function roomFromPath(path) {
  const match = /^\/r\/([^/]+)\/?$/.exec(path);
  if (!match) return "";
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return "";
  }
}

// MARK: - Pre-join

async function prepare() {
  document.title = `${room} · Parley`;
  ui.roomTitle.textContent = room;
  ui.callRoom.textContent = room;
  ui.prejoin.hidden = false;
  ui.lobbyRoom.textContent = room;
  ui.name.value = loadName();
  if (hints.name) {
    // The invitation says who this is: no name to type (the server uses the token's).
    ui.nameField.hidden = true;
    ui.identity.hidden = false;
    ui.identity.textContent =
      hints.role === "moderator"
        ? `You are joining as ${hints.name}, as a moderator.`
        : `You are joining as ${hints.name}.`;
  }
  if (!isValidRoomName(room)) {
    ui.join.disabled = true;
    showJoinError(ERROR_WORDS["invalid-room"]);
    return;
  }
  ui.join.disabled = true;
  if (hints.role === "viewer") {
    // A viewer sends nothing, so the camera and microphone are not even asked for.
    micOn = camOn = false;
    for (const button of [ui.preMic, ui.preCam]) button.hidden = true;
    ui.previewOff.textContent = "Viewers don't send video";
    setDeviceStatus("You are joining as a viewer: you will see and hear the others, and they won't see or hear you.", true);
  } else {
    const media = await getLocalMedia();
    stream = media.stream;
    micOn = stream.getAudioTracks().length > 0;
    camOn = stream.getVideoTracks().length > 0;
    const status = describeDevices(media.audioProblem, media.videoProblem);
    setDeviceStatus(status.text, status.ok);
  }
  updatePreview();
  devices.refresh();
  ui.join.disabled = false;
  if (!ui.nameField.hidden && ui.name.value === "") ui.name.focus();
  else ui.join.focus();
}

/**
 * @param {string} text
 * @param {boolean} ok
 */
function setDeviceStatus(text, ok) {
  ui.deviceStatus.textContent = text;
  ui.deviceStatus.classList.toggle("warning", !ok);
}

function updatePreview() {
  ui.preview.srcObject = camOn ? stream : null;
  ui.previewOff.hidden = camOn;
  setToggle(ui.preMic, micOn, "Turn microphone off", "Turn microphone on");
  setToggle(ui.preCam, camOn, "Turn camera off", "Turn camera on");
}

/**
 * @param {HTMLButtonElement} button
 * @param {boolean} on
 * @param {string} labelWhenOn
 * @param {string} labelWhenOff
 */
function setToggle(button, on, labelWhenOn, labelWhenOff) {
  button.classList.toggle("off", !on);
  button.setAttribute("aria-label", on ? labelWhenOn : labelWhenOff);
  button.title = on ? labelWhenOn : labelWhenOff;
}

ui.preMic.addEventListener("click", async () => {
  const track = stream.getAudioTracks()[0];
  if (track) {
    micOn = !micOn;
    track.enabled = micOn;
  } else {
    try {
      stream.addTrack(await requestTrack("audio"));
      micOn = true;
      setDeviceStatus(describeDevices(null, camOn ? null : "missing").text, camOn);
    } catch (error) {
      setDeviceStatus(describeDevices(classify(error), camOn ? null : "missing").text, false);
    }
  }
  updatePreview();
});

ui.preCam.addEventListener("click", async () => {
  const track = stream.getVideoTracks()[0];
  if (track) {
    // Off means off: the camera is released, its light goes out.
    track.stop();
    stream.removeTrack(track);
    camOn = false;
  } else {
    try {
      stream.addTrack(await requestTrack("video"));
      camOn = true;
    } catch (error) {
      setDeviceStatus(describeDevices(null, classify(error)).text, false);
    }
  }
  updatePreview();
});

/** @returns {string} */
function loadName() {
  try {
    return localStorage.getItem(NAME_KEY) ?? "";
  } catch {
    return "";
  }
}

/** @param {string} name */
function saveName(name) {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
    // Private mode or storage disabled: the name is simply not remembered.
  }
}

/** @param {string} text */
function showJoinError(text) {
  ui.joinError.textContent = text;
  ui.joinError.hidden = text === "";
}

ui.joinForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = ui.name.value.trim();
  if (!hints.name) {
    if (name === "") {
      showJoinError("Type your name first, so the others know who you are.");
      ui.name.focus();
      return;
    }
    if (Array.from(name).length > 64) {
      showJoinError("That name is too long: use at most 64 characters.");
      ui.name.focus();
      return;
    }
    saveName(name);
  }
  const password = ui.passwordField.hidden ? undefined : ui.password.value;
  if (password === "") {
    showJoinError("Type the room password first.");
    ui.password.focus();
    return;
  }
  showJoinError("");
  ui.join.disabled = true;
  ui.join.textContent = "Joining…";
  // `?ice=relay` sends all media through the TURN relay: a way to check that TURN works.
  const attempt = new ParleyCall({
    iceTransportPolicy: new URLSearchParams(location.search).get("ice") === "relay" ? "relay" : "all",
    getUserMedia: getChosenUserMedia,
  });
  listen(attempt);
  for (const view of [speakers, quality, files]) view.attach(attempt);
  call = attempt;
  // For debugging and the browser tests: the live call (peer connections, roster).
  Object.assign(window, { parleyCall: attempt });
  try {
    await attempt.join({
      room,
      name: hints.name ? undefined : name,
      password,
      token,
      localStream: stream,
      audio: micOn,
      video: camOn,
    });
  } catch (error) {
    call = null;
    joinFailed(error);
  }
});

/**
 * Shows why a join did not work, and what the person can do now.
 * @param {unknown} error
 */
function joinFailed(error) {
  const code = error instanceof ParleyError ? error.code : "";
  const message = error instanceof Error ? error.message : String(error);
  if (code === "lobby-denied") {
    showEnded(
      "The moderator did not let you in",
      `A moderator of ${room} turned down your request to join. You can ask again if you think this was a mistake.`,
    );
    return;
  }
  if (code === "room-ended") {
    showEnded("The moderator ended the call", `The call in ${room} is over.`);
    return;
  }
  ui.lobby.hidden = true;
  ui.lobbyPreview.srcObject = null;
  ui.prejoin.hidden = false;
  ui.join.disabled = false;
  ui.join.textContent = "Join";
  if (code === "aborted") {
    showJoinError("");
    ui.join.focus();
  } else if (code === "password-required" || code === "wrong-password") {
    ui.passwordField.hidden = false;
    showJoinError(
      code === "password-required" ? `${sentence(message)} Type it to join.` : `${sentence(message)} Try again.`,
    );
    ui.password.select();
    ui.password.focus();
  } else {
    showJoinError(error instanceof ParleyError ? errorWords(error.code, error.message) : message);
  }
}

// MARK: - In the call

/** @param {ParleyCall} target */
function listen(target) {
  screens.attach(target);
  devices.attach(target);
  recorder.attach(target);
  gestures.attach(target);
  reconnectNotice.attach(target);
  target.addEventListener("lobby", () => enterLobby());
  target.addEventListener("joined", (event) => {
    enterCall(target, /** @type {CustomEvent<JoinedInfo>} */ (event).detail);
  });
  target.addEventListener("peer-role", (event) => {
    const { id, role, self } = /** @type {CustomEvent<{id: string, role: Role, self: boolean}>} */ (event).detail;
    grid.setRole(id, role);
    if (self) {
      updateModeration(target);
      updateControls(target);
      showToast(role === "moderator" ? "You are now a moderator of this room." : "You are no longer a moderator.");
    } else {
      const name = grid.nameOf(id);
      if (role === "moderator") showToast(`${name} is now a moderator.`);
      else showToast(`${name} is no longer a moderator.`);
    }
  });
  target.addEventListener("room-state", (event) => {
    const state = /** @type {CustomEvent<RoomState>} */ (event).detail;
    const before = roomState;
    showRoomState(state);
    if (state.locked !== before.locked) {
      showToast(
        state.locked
          ? "The room is locked: newcomers wait until a moderator lets them in."
          : "The room is unlocked: anyone with the link can join.",
      );
    } else if (state.hasPassword !== before.hasPassword) {
      showToast(state.hasPassword ? "The room now has a password." : "The room password was removed.");
    }
  });
  target.addEventListener("knock", (event) => {
    const { peer } = /** @type {CustomEvent<{peer: PeerInfo}>} */ (event).detail;
    addKnock(target, peer);
  });
  target.addEventListener("knock-ended", (event) => {
    const { id } = /** @type {CustomEvent<{id: string}>} */ (event).detail;
    removeKnock(id);
  });
  target.addEventListener("mute-request", async (event) => {
    const { name } = /** @type {CustomEvent<{from: string, name: string}>} */ (event).detail;
    const who = name || "A moderator";
    // Muting is ours to do, and only ever this way round: nobody can unmute us.
    const wasOn = target.audioEnabled;
    if (wasOn) {
      try {
        await target.setAudioEnabled(false);
      } catch {
        // Turning off cannot ask for a device; nothing to report.
      }
    }
    showToast(
      wasOn
        ? `${who} asked you to mute. Your microphone is now off; unmute when you want to speak.`
        : `${who} asked you to mute. Your microphone is already off.`,
      7000,
    );
  });
  target.addEventListener("peer-joined", (event) => {
    const { peer } = /** @type {CustomEvent<{peer: PeerInfo}>} */ (event).detail;
    grid.add(peer);
    updateCount();
    showToast(`${peer.name} joined`);
  });
  target.addEventListener("peer-left", (event) => {
    const { id, peer, rejoin } = /** @type {CustomEvent<{id: string, peer: PeerInfo, rejoin?: boolean}>} */ (
      event
    ).detail;
    grid.remove(id);
    updateCount();
    // On a rejoin everyone's tile is replaced at once (`reconnected`); nobody really left.
    if (!rejoin) showToast(`${peer.name} left`);
  });
  target.addEventListener("reconnected", (event) => {
    const { resumed, peers } = /** @type {CustomEvent<{resumed: boolean, peers: PeerInfo[]}>} */ (event).detail;
    if (resumed) return; // same seat, same connections: nothing changes on the screen
    // Back as a newcomer with a new id: one fresh tile per person, no ghosts.
    grid.clear();
    grid.add({ ...target.self, self: true });
    grid.setStream(target.id, target.localStream);
    for (const peer of peers) grid.add(peer);
    updateCount();
    updateModeration(target);
    updateControls(target);
    grid.layout();
  });
  target.addEventListener("peer-media", (event) => {
    const { id, audio, video } = /** @type {CustomEvent<{id: string, audio: boolean, video: boolean}>} */ (
      event
    ).detail;
    grid.setMedia(id, { audio, video });
  });
  target.addEventListener("track", (event) => {
    const { id, stream: remote } = /** @type {CustomEvent<{id: string, stream: MediaStream}>} */ (event).detail;
    grid.setStream(id, remote);
  });
  target.addEventListener("connection-state", (event) => {
    const { id, state } = /** @type {CustomEvent<{id: string, state: RTCPeerConnectionState}>} */ (event).detail;
    grid.setState(id, state);
  });
  target.addEventListener("local-media", (event) => {
    const { audio, video, stream: local } =
      /** @type {CustomEvent<{audio: boolean, video: boolean, stream: MediaStream}>} */ (event).detail;
    grid.setMedia(target.id, { audio, video });
    grid.setStream(target.id, local);
    updateControls(target);
  });
  target.addEventListener("chat", (event) => {
    const message = /** @type {CustomEvent<ChatMessage>} */ (event).detail;
    chat.add(message);
    if (!chat.isOpen && !message.local && !message.history) showToast(`${message.name}: ${message.text}`);
  });
  target.addEventListener("draining", (event) => {
    const { seconds } = /** @type {CustomEvent<{seconds: number}>} */ (event).detail;
    const when = seconds >= 120 ? `${Math.round(seconds / 60)} minutes` : `${Math.round(seconds)} seconds`;
    showCallError(`The Parley server is restarting. This call may end within ${when}; you can rejoin after that.`);
  });
  target.addEventListener("error", (event) => {
    const { code, message } = /** @type {CustomEvent<{code: string, message: string}>} */ (event).detail;
    showCallError(errorWords(code, message));
    // An admission that failed (e.g. the room is full) can be tried again.
    for (const button of ui.knockList.querySelectorAll("button")) button.disabled = false;
  });
  target.addEventListener("closed", (event) => {
    const { byUs, code, error } =
      /** @type {CustomEvent<{byUs: boolean, code: number, error: {code: string} | null}>} */ (event).detail;
    endCall(byUs, code, error?.code ?? "");
  });
}

function enterLobby() {
  ui.prejoin.hidden = true;
  ui.lobby.hidden = false;
  // How the others will see us, while we wait.
  ui.lobbyPreview.srcObject = camOn ? stream : null;
  ui.lobbyPreview.hidden = !camOn;
  document.title = `Waiting · ${room} · Parley`;
  ui.lobbyCancel.focus();
}

ui.lobbyCancel.addEventListener("click", () => call?.leave());

/**
 * @param {ParleyCall} target
 * @param {JoinedInfo} joined
 */
function enterCall(target, joined) {
  ui.prejoin.hidden = true;
  ui.lobby.hidden = true;
  ui.preview.srcObject = null;
  ui.lobbyPreview.srcObject = null;
  ui.call.hidden = false;
  document.title = `${room} · Parley`;
  document.body.classList.add("in-call");
  grid.add({ ...target.self, self: true });
  grid.setStream(target.id, target.localStream);
  for (const peer of joined.peers) grid.add(peer);
  updateCount();
  showRoomState(joined);
  updateModeration(target);
  updateControls(target);
  chat.setOpen(window.matchMedia("(min-width: 900px)").matches);
  grid.layout();
}

/** @param {ParleyCall} target */
function updateControls(target) {
  setToggle(ui.mic, target.audioEnabled, "Mute microphone", "Unmute microphone");
  setToggle(ui.cam, target.videoEnabled, "Turn camera off", "Turn camera on");
  // Viewers only watch and listen.
  ui.mic.hidden = ui.cam.hidden = target.role === "viewer";
}

/**
 * Shows or hides what only moderators may use.
 * @param {ParleyCall} target
 */
function updateModeration(target) {
  const moderating = target.isModerator;
  ui.roomMenuButton.hidden = !moderating;
  grid.setModerating(moderating);
  if (!moderating) menu.close(false);
}

/** @param {RoomState} state */
function showRoomState(state) {
  roomState = { locked: state.locked, hasPassword: state.hasPassword };
  ui.lockedPill.hidden = !state.locked;
  ui.passwordPill.hidden = !state.hasPassword;
}

// MARK: - Moderation

/**
 * Runs a moderation request; the rare refusal (our role changed meanwhile) is shown.
 * @param {(target: ParleyCall) => void} request
 * @returns {boolean} whether it was sent
 */
function moderate(request) {
  if (!call) return false;
  try {
    request(call);
    return true;
  } catch (error) {
    showCallError(error instanceof ParleyError ? errorWords(error.code, error.message) : String(error));
    return false;
  }
}

/**
 * The options a moderator has for one person, from the button on their tile.
 * @param {string} id
 * @param {HTMLButtonElement} button
 */
function openPersonMenu(id, button) {
  const peer = call?.peers.find((candidate) => candidate.id === id);
  if (!call || !peer) return;
  const name = peer.name;
  /** @type {MenuItem[]} */
  const items = [];
  if (peer.role !== "viewer" && peer.audio) {
    items.push({
      label: "Ask to mute",
      action: () => {
        if (moderate((target) => target.requestMute(id))) showToast(`Asked ${name} to mute.`);
      },
    });
  }
  if (peer.role === "moderator") {
    items.push({ label: "Remove moderator", action: () => moderate((target) => target.revokeModerator(id)) });
  } else if (peer.role === "participant") {
    items.push({ label: "Make moderator", action: () => moderate((target) => target.grantModerator(id)) });
  }
  items.push({
    label: "Remove from call",
    danger: true,
    action: async () => {
      const answer = await question.ask({
        title: `Remove ${name} from the call?`,
        text: `${name} will be disconnected. They can rejoin with the link unless the room is locked or has a password.`,
        confirm: "Remove",
        danger: true,
      });
      if (answer !== null) moderate((target) => target.kick(id));
    },
  });
  menu.open(button, name, items);
}

ui.roomMenuButton.addEventListener("click", () => {
  /** @type {MenuItem[]} */
  const items = [
    roomState.locked
      ? { label: "Unlock room", action: () => moderate((target) => target.unlock()) }
      : { label: "Lock room", action: () => moderate((target) => target.lock()) },
    {
      label: roomState.hasPassword ? "Change password" : "Set password",
      action: async () => {
        const password = await passwordQuestion.ask({
          title: roomState.hasPassword ? "Change the room password" : "Set a room password",
          text: "Newcomers will need it to join, unless their invitation link lets them in. Tell it to the people you invite.",
          confirm: "Set password",
        });
        if (password !== null) moderate((target) => target.setPassword(password));
      },
    },
  ];
  if (roomState.hasPassword) {
    items.push({ label: "Remove password", action: () => moderate((target) => target.setPassword(null)) });
  }
  items.push(
    {
      label: "Mute everyone",
      action: () => {
        if (moderate((target) => target.muteAll())) showToast("Asked everyone to mute.");
      },
    },
    {
      label: "End call for everyone",
      danger: true,
      action: async () => {
        const answer = await question.ask({
          title: "End the call for everyone?",
          text: "Everyone will be disconnected, including you.",
          confirm: "End call",
          danger: true,
        });
        if (answer !== null) {
          endedByUs = moderate((target) => target.endRoom());
        }
      },
    },
  );
  menu.open(ui.roomMenuButton, "Room controls", items);
});

/**
 * A prompt for moderators: someone is waiting to come in.
 * @param {ParleyCall} target
 * @param {PeerInfo} peer
 */
function addKnock(target, peer) {
  if (ui.knockList.querySelector(`[data-peer-id="${CSS.escape(peer.id)}"]`)) return;
  const item = document.createElement("li");
  item.className = "knock";
  item.dataset.testid = "knock";
  item.dataset.peerId = peer.id;
  const text = document.createElement("p");
  text.className = "knock-text";
  const who = document.createElement("strong");
  who.dataset.testid = "knock-name";
  who.textContent = peer.name;
  text.append(who, " wants to join");
  const actions = document.createElement("div");
  actions.className = "knock-actions";
  const deny = document.createElement("button");
  deny.type = "button";
  deny.textContent = "Deny";
  deny.setAttribute("aria-label", `Deny ${peer.name}`);
  const admit = document.createElement("button");
  admit.type = "button";
  admit.className = "primary";
  admit.textContent = "Admit";
  admit.setAttribute("aria-label", `Admit ${peer.name}`);
  /** @param {(call: ParleyCall) => void} answer */
  const respond = (answer) => {
    if (target !== call) return;
    deny.disabled = admit.disabled = true; // until the server says they stopped waiting
    moderate(answer);
  };
  deny.addEventListener("click", () => respond((current) => current.deny(peer.id)));
  admit.addEventListener("click", () => respond((current) => current.admit(peer.id)));
  actions.append(deny, admit);
  item.append(text, actions);
  ui.knockList.append(item);
  ui.knocks.hidden = false;
}

/** @param {string} id */
function removeKnock(id) {
  ui.knockList.querySelector(`[data-peer-id="${CSS.escape(id)}"]`)?.remove();
  ui.knocks.hidden = ui.knockList.childElementCount === 0;
}

function updateCount() {
  const count = grid.size;
  ui.peopleCount.textContent = count === 1 ? "Only you so far" : `${count} people`;
}

/** @param {string} text */
function showCallError(text) {
  ui.callError.textContent = text;
  ui.callError.hidden = text === "";
}

/**
 * @param {string} text
 * @param {number} [ms]  how long it stays
 */
function showToast(text, ms = 3500) {
  ui.toast.textContent = text;
  ui.toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => {
    ui.toast.hidden = true;
  }, ms);
}

ui.mic.addEventListener("click", async () => {
  if (!call) return;
  ui.mic.disabled = true;
  try {
    await call.setAudioEnabled(!call.audioEnabled);
    showCallError("");
  } catch (error) {
    showCallError(`Couldn't turn the microphone on: ${problemWords(classify(error))}.`);
  } finally {
    ui.mic.disabled = false;
  }
});

ui.cam.addEventListener("click", async () => {
  if (!call) return;
  ui.cam.disabled = true;
  try {
    await call.setVideoEnabled(!call.videoEnabled);
    showCallError("");
  } catch (error) {
    showCallError(`Couldn't turn the camera on: ${problemWords(classify(error))}.`);
  } finally {
    ui.cam.disabled = false;
  }
});

ui.leave.addEventListener("click", () => call?.leave());

ui.copyLink.addEventListener("click", async () => {
  const link = `${location.origin}/r/${encodeURIComponent(room)}`;
  try {
    await navigator.clipboard.writeText(link);
    showToast("Link copied. Send it to the people you want to talk to.");
  } catch {
    showToast(`Copy this link: ${link}`);
  }
});

/**
 * @param {boolean} byUs
 * @param {number} code  WebSocket close code
 * @param {string} reason  the server's error code when it ended the call (`kicked`, `room-ended`)
 */
function endCall(byUs, code, reason) {
  call = null;
  if (reason === "kicked") {
    showEnded("You were removed from the call", `A moderator removed you from ${room}.`);
  } else if (reason === "room-ended") {
    showEnded(
      endedByUs ? "You ended the call for everyone" : "The moderator ended the call",
      `The call in ${room} is over.`,
    );
  } else if (byUs) {
    showEnded("You left the call", `You can rejoin ${room} as long as someone is still there.`);
  } else {
    showEnded(
      INTERRUPTED,
      code === 1001
        ? "The Parley server was shut down or restarted. Rejoin to try again."
        : "The connection to the Parley server was lost. Rejoin to try again.",
    );
  }
}

/**
 * The screen after a call (or after a moderator turned us away).
 * @param {string} title
 * @param {string} detail
 */
function showEnded(title, detail) {
  call = null;
  menu.close(false);
  for (const dialog of document.querySelectorAll("dialog")) if (dialog.open) dialog.close();
  // The camera light goes out: nothing is sent any more.
  for (const track of stream.getTracks()) track.stop();
  ui.preview.srcObject = null;
  ui.lobbyPreview.srcObject = null;
  ui.prejoin.hidden = true;
  ui.lobby.hidden = true;
  ui.call.hidden = true;
  ui.ended.hidden = false;
  document.title = `${room} · Parley`;
  document.body.classList.remove("in-call", "chat-open");
  ui.endedTitle.textContent = title;
  ui.endedDetail.textContent = detail;
  ui.endedTest.hidden = title !== INTERRUPTED;
  grid.clear();
  ui.knockList.replaceChildren();
  ui.knocks.hidden = true;
  ui.rejoin.focus();
}

ui.rejoin.addEventListener("click", () => location.reload());

// Leaving the page leaves the call at once, rather than when the socket times out.
window.addEventListener("pagehide", () => call?.leave());

prepare();
