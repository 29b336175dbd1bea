// Getting the camera and microphone before a call, and telling the person in plain words
// what did not work.

import { getChosenUserMedia } from "./devicechoice.js";

/** Camera settings: modest, since a mesh sends one copy to every participant. */
export const VIDEO_CONSTRAINTS = {
  width: { ideal: 640 },
  height: { ideal: 360 },
  frameRate: { ideal: 24, max: 30 },
};

/**
 * Why a device could not be used.
 * @typedef {"blocked" | "missing" | "busy" | "insecure" | "failed"} DeviceProblem
 */

/**
 * @typedef {object} LocalMedia
 * @property {MediaStream} stream        holds whatever worked (possibly no tracks)
 * @property {DeviceProblem | null} audioProblem
 * @property {DeviceProblem | null} videoProblem
 */

/**
 * Sorts a getUserMedia failure into what the person can do about it.
 * @param {unknown} error
 * @returns {DeviceProblem}
 */
export function classify(error) {
  const name = error instanceof Error || error instanceof DOMException ? error.name : "";
  switch (name) {
    case "NotAllowedError":
    case "SecurityError":
    case "PermissionDeniedError":
      return "blocked";
    case "NotFoundError":
    case "OverconstrainedError":
    case "DevicesNotFoundError":
      return "missing";
    case "NotReadableError":
    case "AbortError":
    case "TrackStartError":
      return "busy";
    default:
      return "failed";
  }
}

/** @returns {boolean} whether this page may ask for a camera at all */
function canAsk() {
  return Boolean(globalThis.isSecureContext && navigator.mediaDevices?.getUserMedia);
}

/**
 * One new track of `kind`.
 * @param {"audio" | "video"} kind
 * @returns {Promise<MediaStreamTrack>}
 */
export async function requestTrack(kind) {
  if (!canAsk()) throw new DOMException("insecure context", "SecurityError");
  const stream = await getChosenUserMedia(kind === "audio" ? { audio: true } : { video: VIDEO_CONSTRAINTS });
  const [track, ...rest] = kind === "audio" ? stream.getAudioTracks() : stream.getVideoTracks();
  for (const extra of rest) extra.stop();
  if (!track) throw new DOMException(`no ${kind} track`, "NotFoundError");
  return track;
}

/**
 * Asks for camera and microphone together, and if that fails, for each alone, so a person
 * whose camera is blocked or missing can still join with the microphone (and vice versa).
 * @returns {Promise<LocalMedia>}
 */
export async function getLocalMedia() {
  if (!canAsk()) {
    return { stream: new MediaStream(), audioProblem: "insecure", videoProblem: "insecure" };
  }
  try {
    const stream = await getChosenUserMedia({ audio: true, video: VIDEO_CONSTRAINTS });
    return { stream, audioProblem: null, videoProblem: null };
  } catch {
    // Find out which of the two is the problem.
  }
  const stream = new MediaStream();
  /** @type {LocalMedia} */
  const media = { stream, audioProblem: null, videoProblem: null };
  for (const kind of /** @type {const} */ (["audio", "video"])) {
    try {
      stream.addTrack(await requestTrack(kind));
    } catch (error) {
      if (kind === "audio") media.audioProblem = classify(error);
      else media.videoProblem = classify(error);
    }
  }
  return media;
}

/** @type {Record<DeviceProblem, string>} */
const PROBLEM_WORDS = {
  blocked: "access is blocked — allow it in your browser's site settings",
  missing: "none was found",
  busy: "it is in use by another app or not working",
  insecure: "this page needs a secure (https) connection to use it",
  failed: "it could not be started",
};

/**
 * What went wrong with a device, as the end of a sentence.
 * @param {DeviceProblem} problem
 * @returns {string}
 */
export function problemWords(problem) {
  return PROBLEM_WORDS[problem];
}

/**
 * One or two sentences for the pre-join screen.
 * @param {DeviceProblem | null} audioProblem
 * @param {DeviceProblem | null} videoProblem
 * @returns {{text: string, ok: boolean}}
 */
export function describeDevices(audioProblem, videoProblem) {
  if (!audioProblem && !videoProblem) {
    return { text: "Your camera and microphone are ready.", ok: true };
  }
  if (audioProblem && videoProblem) {
    const cause =
      audioProblem === videoProblem
        ? `Camera and microphone: ${PROBLEM_WORDS[audioProblem]}.`
        : `Camera: ${PROBLEM_WORDS[videoProblem]}. Microphone: ${PROBLEM_WORDS[audioProblem]}.`;
    return { text: `${cause} You can still join to see and hear the others.`, ok: false };
  }
  if (videoProblem) {
    return {
      text: `Camera: ${PROBLEM_WORDS[videoProblem]}. You can join with your microphone only.`,
      ok: false,
    };
  }
  return {
    text: `Microphone: ${PROBLEM_WORDS[/** @type {DeviceProblem} */ (audioProblem)]}. You can join with your camera only.`,
    ok: false,
  };
}
