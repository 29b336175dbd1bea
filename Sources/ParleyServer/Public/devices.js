// Choosing the camera, microphone and speaker, before joining and during the call; and
// falling back to another device when the one in use is unplugged.

import { chosenDevice, rememberDevice } from "./devicechoice.js";
import { VIDEO_CONSTRAINTS, classify, problemWords } from "./media.js";

/** @typedef {import("./protocol.js").ParleyCall} ParleyCall */
/** @typedef {import("./devicechoice.js").DeviceKind} DeviceKind */

/**
 * What the settings act on: the call once there is one, else the pre-join preview.
 * @typedef {object} DeviceHost
 * @property {() => ParleyCall | null} call          the call, while joining or joined
 * @property {() => MediaStream} previewStream        the pre-join stream (before joining)
 * @property {() => void} previewChanged              the pre-join stream's tracks changed
 * @property {(text: string) => void} notify          tells the person something happened
 */

/** @type {Record<"audioinput" | "videoinput", "audio" | "video">} */
const TRACK_KIND = { audioinput: "audio", videoinput: "video" };

/** @type {Record<DeviceKind, string>} */
const DEVICE_WORDS = { audioinput: "microphone", videoinput: "camera", audiooutput: "speaker" };

/** @returns {boolean} whether this browser can choose where sound plays */
export function canChooseSpeaker() {
  return typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype;
}

/**
 * A device's label, or a numbered name while the browser hides labels (no permission yet).
 * @param {MediaDeviceInfo} device
 * @param {number} index
 * @returns {string}
 */
function labelOf(device, index) {
  return device.label || `${DEVICE_WORDS[/** @type {DeviceKind} */ (device.kind)]} ${index + 1}`;
}

export class DeviceSettings {
  /** @type {HTMLDialogElement} */
  #dialog;
  /** @type {Record<DeviceKind, HTMLSelectElement>} */
  #selects;
  /** @type {HTMLElement} */
  #speakerField;
  /** @type {DeviceHost} */
  #host;
  /** @type {MediaDeviceInfo[]} */
  #devices = [];
  /** Device work (switching, falling back) runs one piece at a time. */
  #queue = Promise.resolve();
  /** @type {WeakSet<MediaStreamTrack>} */
  #watched = new WeakSet();

  /**
   * @param {HTMLDialogElement} dialog  holds three selects (`[data-kind=videoinput]`, …)
   * @param {DeviceHost} host
   */
  constructor(dialog, host) {
    this.#dialog = dialog;
    this.#host = host;
    /** @param {DeviceKind} kind */
    const select = (kind) => {
      const node = dialog.querySelector(`select[data-kind="${kind}"]`);
      if (!(node instanceof HTMLSelectElement)) throw new Error(`the device dialog lacks its ${kind} list`);
      node.addEventListener("change", () => this.#run(() => this.#choose(kind, node.value)));
      return node;
    };
    this.#selects = { videoinput: select("videoinput"), audioinput: select("audioinput"), audiooutput: select("audiooutput") };
    const speakerField = this.#selects.audiooutput.closest(".field");
    if (!(speakerField instanceof HTMLElement)) throw new Error("the speaker list has no field");
    this.#speakerField = speakerField;
    this.#speakerField.hidden = !canChooseSpeaker();
    navigator.mediaDevices?.addEventListener("devicechange", () => this.#run(() => this.#devicesChanged()));
    // Every new video or audio element (a tile, a screen) plays on the chosen speaker.
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (!(node instanceof Element)) continue;
          const media = node instanceof HTMLMediaElement ? [node] : [...node.querySelectorAll("video, audio")];
          for (const element of media) this.#applySpeaker(/** @type {HTMLMediaElement} */ (element));
        }
      }
    }).observe(document.body, { childList: true, subtree: true });
  }

  /**
   * Follows one call: its tracks are watched as they change.
   * @param {ParleyCall} call
   */
  attach(call) {
    const refresh = () => {
      this.refresh();
    };
    call.addEventListener("joined", refresh);
    call.addEventListener("local-media", refresh);
  }

  /** Opens the settings, with the device lists up to date. */
  async open() {
    await this.refresh();
    if (!this.#dialog.open) this.#dialog.showModal();
  }

  /**
   * Reads the device lists again and watches the tracks in use, so that an unplugged device
   * is replaced. Call it when the local tracks change.
   */
  async refresh() {
    try {
      this.#devices = (await navigator.mediaDevices?.enumerateDevices()) ?? [];
    } catch {
      this.#devices = [];
    }
    this.#fill();
    for (const track of this.#stream().getTracks()) this.#watch(track);
  }

  // MARK: - Private

  /** @returns {MediaStream} the stream we send (or will send) */
  #stream() {
    return this.#host.call()?.localStream ?? this.#host.previewStream();
  }

  /**
   * @param {"audio" | "video"} kind
   * @returns {MediaStreamTrack | undefined}
   */
  #track(kind) {
    const stream = this.#stream();
    return (kind === "audio" ? stream.getAudioTracks() : stream.getVideoTracks())[0];
  }

  /** @param {() => Promise<void>} work */
  #run(work) {
    this.#queue = this.#queue.then(work).catch((error) => console.warn("parley: devices", error));
  }

  /**
   * The device a list should show as selected: the one in use, else the remembered one.
   * @param {DeviceKind} kind
   * @returns {string}
   */
  #current(kind) {
    if (kind !== "audiooutput") {
      const inUse = this.#track(TRACK_KIND[kind])?.getSettings().deviceId;
      if (inUse && this.#devices.some((device) => device.kind === kind && device.deviceId === inUse)) return inUse;
    }
    const choice = chosenDevice(kind);
    const found = this.#devices.find(
      (device) => device.kind === kind && (device.deviceId === choice?.id || (choice?.label && device.label === choice.label)),
    );
    return found?.deviceId ?? "";
  }

  #fill() {
    for (const kind of /** @type {DeviceKind[]} */ (["videoinput", "audioinput", "audiooutput"])) {
      const select = this.#selects[kind];
      const devices = this.#devices.filter((device) => device.kind === kind && device.deviceId !== "");
      const options = devices.map((device, index) => new Option(labelOf(device, index), device.deviceId));
      if (options.length === 0) {
        const none = new Option(`No ${DEVICE_WORDS[kind]} found`, "");
        none.disabled = true;
        options.push(none);
      }
      select.replaceChildren(...options);
      select.disabled = devices.length === 0;
      const current = this.#current(kind);
      if (current) select.value = current;
    }
  }

  /**
   * The person picked a device from a list.
   * @param {DeviceKind} kind
   * @param {string} deviceId
   */
  async #choose(kind, deviceId) {
    const device = this.#devices.find((candidate) => candidate.kind === kind && candidate.deviceId === deviceId);
    if (!device) return;
    rememberDevice(kind, { id: device.deviceId, label: device.label });
    if (kind === "audiooutput") {
      for (const element of document.querySelectorAll("video, audio")) {
        this.#applySpeaker(/** @type {HTMLMediaElement} */ (element));
      }
      return;
    }
    try {
      await this.#switchTo(kind, deviceId);
    } catch (error) {
      this.#host.notify(`Couldn't use that ${DEVICE_WORDS[kind]}: ${problemWords(classify(error))}.`);
      this.#fill();
    }
  }

  /**
   * Sends the given device instead of the current one of its kind. Nothing is asked for when
   * that kind is off (camera off, no microphone): the choice is used when it is turned on.
   * @param {"audioinput" | "videoinput"} kind
   * @param {string} deviceId
   */
  async #switchTo(kind, deviceId) {
    const trackKind = TRACK_KIND[kind];
    const old = this.#track(trackKind);
    if (!old || old.getSettings().deviceId === deviceId && old.readyState === "live") return;
    const track = await this.#open(trackKind, deviceId, old);
    const call = this.#host.call();
    if (call) {
      await call.useTrack(track);
    } else {
      const stream = this.#host.previewStream();
      if (trackKind === "audio") track.enabled = old.enabled;
      old.stop();
      stream.removeTrack(old);
      stream.addTrack(track);
      this.#host.previewChanged();
    }
    this.#watch(track);
  }

  /**
   * A new track from one device. A camera that cannot be open twice (some phones) is
   * released first and then asked for again.
   * @param {"audio" | "video"} kind
   * @param {string} deviceId
   * @param {MediaStreamTrack} old
   * @returns {Promise<MediaStreamTrack>}
   */
  async #open(kind, deviceId, old) {
    /** @type {MediaStreamConstraints} */
    const constraints =
      kind === "audio"
        ? { audio: { deviceId: { exact: deviceId } } }
        : { video: { ...VIDEO_CONSTRAINTS, deviceId: { exact: deviceId } } };
    /** @type {MediaStream} */
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia(constraints);
    } catch (error) {
      if (!(error instanceof DOMException) || error.name !== "NotReadableError" || kind !== "video") throw error;
      old.stop();
      stream = await navigator.mediaDevices.getUserMedia(constraints);
    }
    const [track, ...rest] = kind === "audio" ? stream.getAudioTracks() : stream.getVideoTracks();
    for (const extra of rest) extra.stop();
    if (!track) throw new DOMException(`no ${kind} track`, "NotFoundError");
    return track;
  }

  /**
   * Watches a track we send: when its device goes away, another is used.
   * @param {MediaStreamTrack} track
   */
  #watch(track) {
    if (this.#watched.has(track)) return;
    this.#watched.add(track);
    // `ended` fires when the device is lost (not when the page stops the track itself).
    track.addEventListener("ended", () => this.#run(() => this.#devicesChanged()));
  }

  /**
   * A device was plugged in or out (or a track in use ended): the lists are refreshed, and a
   * camera or microphone that is gone is replaced by another, without leaving the call.
   */
  async #devicesChanged() {
    await this.refresh();
    for (const kind of /** @type {("videoinput" | "audioinput")[]} */ (["videoinput", "audioinput"])) {
      const trackKind = TRACK_KIND[kind];
      const track = this.#track(trackKind);
      if (!track) continue;
      const inUse = track.getSettings().deviceId;
      const present = this.#devices.some((device) => device.kind === kind && device.deviceId === inUse);
      if (track.readyState === "live" && present) continue;
      await this.#fallBack(kind, inUse ?? "");
    }
    this.#fill();
  }

  /**
   * @param {"audioinput" | "videoinput"} kind
   * @param {string} lost  the device that went away
   */
  async #fallBack(kind, lost) {
    const candidates = this.#devices.filter(
      (device) => device.kind === kind && device.deviceId !== "" && device.deviceId !== lost,
    );
    const choice = chosenDevice(kind);
    candidates.sort((a, b) => Number(b.deviceId === choice?.id) - Number(a.deviceId === choice?.id));
    const words = DEVICE_WORDS[kind];
    for (const device of candidates) {
      try {
        await this.#switchTo(kind, device.deviceId);
        this.#host.notify(`Your ${words} was disconnected. Now using ${labelOf(device, 0)}.`);
        return;
      } catch {
        // Try the next one.
      }
    }
    // None left: that kind is turned off, and the call goes on without it.
    const call = this.#host.call();
    const trackKind = TRACK_KIND[kind];
    if (call) {
      if (trackKind === "video") await call.setVideoEnabled(false);
      else await call.setAudioEnabled(false);
    } else {
      const track = this.#track(trackKind);
      if (track) {
        track.stop();
        this.#host.previewStream().removeTrack(track);
        this.#host.previewChanged();
      }
    }
    this.#host.notify(`Your ${words} was disconnected, and there is no other ${words}.`);
  }

  /**
   * Plays an element's sound on the chosen speaker.
   * @param {HTMLMediaElement} element
   */
  #applySpeaker(element) {
    if (!canChooseSpeaker()) return;
    const id = this.#current("audiooutput");
    // `setSinkId` is missing from TypeScript's DOM types for now.
    const sink = /** @type {HTMLMediaElement & {sinkId: string, setSinkId(id: string): Promise<void>}} */ (element);
    if (!id || sink.sinkId === id) return;
    sink.setSinkId(id).catch((/** @type {unknown} */ error) => console.warn("parley: speaker", error));
  }
}
