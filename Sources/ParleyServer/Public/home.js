// The start page: make up a room name or take one typed in, then go to /r/<room>.

import { isValidRoomName } from "./protocol.js";

const ADJECTIVES = [
  "brave", "calm", "clever", "bright", "gentle", "happy", "jolly", "kind", "lively", "lucky",
  "merry", "quick", "quiet", "sunny", "swift", "tidy", "warm", "wise", "bold", "eager",
];
const ANIMALS = [
  "otter", "badger", "falcon", "heron", "koala", "lynx", "marten", "owl", "panda", "puffin",
  "robin", "seal", "tiger", "walrus", "wombat", "yak", "zebra", "fox", "hare", "crane",
];

/**
 * A uniformly random integer in [0, n).
 * @param {number} n
 * @returns {number}
 */
function randomBelow(n) {
  const value = new Uint32Array(1);
  crypto.getRandomValues(value);
  return value[0] % n;
}

/**
 * A readable room name such as `brave-otter-42`.
 * @returns {string}
 */
export function randomRoomName() {
  const adjective = ADJECTIVES[randomBelow(ADJECTIVES.length)];
  const animal = ANIMALS[randomBelow(ANIMALS.length)];
  return `${adjective}-${animal}-${10 + randomBelow(90)}`;
}

/**
 * What a person typed, made into a room name where that is obvious (spaces become -).
 * @param {string} typed
 * @returns {string}
 */
export function normalizeRoomName(typed) {
  let name = typed.trim().replace(/\s+/gu, "-");
  // A pasted link to a room works too.
  const match = /\/r\/([^/?#]+)/u.exec(name);
  if (match) name = match[1];
  return name;
}

/** @param {string} room */
function go(room) {
  location.assign(`/r/${encodeURIComponent(room)}`);
}

const newRoom = document.getElementById("new-room");
const form = document.getElementById("room-form");
const input = document.getElementById("room");
const error = document.getElementById("room-error");

if (newRoom && form instanceof HTMLFormElement && input instanceof HTMLInputElement && error) {
  newRoom.addEventListener("click", () => go(randomRoomName()));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const room = normalizeRoomName(input.value);
    if (room === "") {
      error.textContent = "Type a room name, or start a new room.";
    } else if (!isValidRoomName(room)) {
      error.textContent = "A room name uses only letters, digits, - and _ (up to 64 characters).";
    } else {
      go(room);
      return;
    }
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.focus();
  });
  input.addEventListener("input", () => {
    error.hidden = true;
    input.removeAttribute("aria-invalid");
  });
}
