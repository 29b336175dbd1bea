// Which camera, microphone and speaker the person chose, remembered in localStorage, and the
// getUserMedia constraints that ask for them. No DOM; media.js and devices.js build on it.

/** @typedef {"audioinput" | "videoinput" | "audiooutput"} DeviceKind */

/**
 * A remembered device: its id, and its label to find it again should the id change.
 * @typedef {object} DeviceChoice
 * @property {string} id
 * @property {string} label
 */

const STORAGE_KEY = "parley.devices";

/** @returns {Partial<Record<DeviceKind, DeviceChoice>>} */
function load() {
  try {
    /** @type {unknown} */
    const value = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "{}");
    if (typeof value !== "object" || value === null) return {};
    /** @type {Partial<Record<DeviceKind, DeviceChoice>>} */
    const choices = {};
    for (const kind of /** @type {DeviceKind[]} */ (["audioinput", "videoinput", "audiooutput"])) {
      const choice = /** @type {Record<string, unknown>} */ (value)[kind];
      if (typeof choice === "object" && choice !== null) {
        const { id, label } = /** @type {Record<string, unknown>} */ (choice);
        if (typeof id === "string") choices[kind] = { id, label: typeof label === "string" ? label : "" };
      }
    }
    return choices;
  } catch {
    return {};
  }
}

/**
 * The remembered device of one kind, if any.
 * @param {DeviceKind} kind
 * @returns {DeviceChoice | undefined}
 */
export function chosenDevice(kind) {
  return load()[kind];
}

/**
 * Remembers a device (or forgets the choice, with `null`).
 * @param {DeviceKind} kind
 * @param {DeviceChoice | null} choice
 */
export function rememberDevice(kind, choice) {
  const choices = load();
  if (choice) choices[kind] = { id: choice.id, label: choice.label };
  else delete choices[kind];
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(choices));
  } catch {
    // Private mode or storage disabled: the choice holds for this page only.
  }
}

/**
 * `constraints` with the chosen device of that kind asked for by id.
 * @param {boolean | MediaTrackConstraints | undefined} constraints
 * @param {DeviceKind} kind
 * @returns {boolean | MediaTrackConstraints | undefined}
 */
function withChoice(constraints, kind) {
  const choice = chosenDevice(kind);
  if (!constraints || !choice) return constraints;
  return { ...(typeof constraints === "object" ? constraints : {}), deviceId: { exact: choice.id } };
}

/**
 * A `getUserMedia` that asks for the chosen camera and microphone, and for any other when
 * those are gone. Also `ParleyCall`'s `getUserMedia` option, so that turning the camera or
 * microphone back on during a call uses them.
 * @param {MediaStreamConstraints} constraints
 * @returns {Promise<MediaStream>}
 */
export async function getChosenUserMedia(constraints) {
  const chosen = {
    audio: withChoice(constraints.audio, "audioinput"),
    video: withChoice(constraints.video, "videoinput"),
  };
  if (chosen.audio === constraints.audio && chosen.video === constraints.video) {
    return navigator.mediaDevices.getUserMedia(constraints);
  }
  try {
    // Asked for by exact id: browsers give little weight to an `ideal` device.
    return await navigator.mediaDevices.getUserMedia(chosen);
  } catch (error) {
    const name = error instanceof DOMException ? error.name : "";
    if (name !== "OverconstrainedError" && name !== "NotFoundError") throw error;
    return navigator.mediaDevices.getUserMedia(constraints);
  }
}
