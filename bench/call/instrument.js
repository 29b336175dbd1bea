// Injected before any page script (Playwright add_init_script), the same in the floor page and
// in Parley's room page, so both are measured by the same code. Times are epoch milliseconds
// (performance.timeOrigin + performance.now()), comparable across the pages of one browser.
//
// window.__bench:
//   t0          the moment the Join button was clicked (room page) or the floor run started
//   wsOpen      the signalling WebSocket opened;  joined: the server's `joined` arrived;
//   offerSent   our first SDP offer left on it;   answerReceived: the first SDP answer arrived
//   offerReceived, answerSent   the same seen from the answering side
//   pcs[]       one record per RTCPeerConnection:
//                 created, iceConnected, dtlsConnected, connected, firstFrame (the first
//                 requestVideoFrameCallback of a <video> playing its remote video track),
//                 localDescriptionStarted / localDescriptionSet (its first setLocalDescription
//                 called, and resolved: the browser's work on it plus any wait for the page's
//                 main thread), remoteDescriptionStarted / remoteDescriptionSet (the same for
//                 its first setRemoteDescription)
(() => {
  const clock = () => performance.timeOrigin + performance.now();
  const bench = {
    t0: null,
    wsOpen: null,
    joined: null,
    offerSent: null,
    answerReceived: null,
    offerReceived: null,
    answerSent: null,
    pcs: [],
  };
  window.__bench = bench;
  window.__benchClock = clock;

  // The click on "Join" is the person's moment; capture it before the page's own handlers.
  window.addEventListener(
    "click",
    (event) => {
      const button = event.target instanceof Element ? event.target.closest("button") : null;
      if (button && bench.t0 === null && button.textContent.trim() === "Join") bench.t0 = clock();
    },
    true,
  );

  const NativeWebSocket = window.WebSocket;
  class BenchWebSocket extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("open", () => {
        if (bench.wsOpen === null) bench.wsOpen = clock();
      });
      this.addEventListener("message", (event) => {
        if (typeof event.data !== "string") return;
        if (bench.joined === null && event.data.includes('"joined"')) bench.joined = clock();
        if (bench.answerReceived === null && /"type":\s*"answer"/.test(event.data)) bench.answerReceived = clock();
        if (bench.offerReceived === null && /"type":\s*"offer"/.test(event.data)) bench.offerReceived = clock();
      });
    }

    send(data) {
      if (bench.offerSent === null && typeof data === "string" && /"type":\s*"offer"/.test(data)) {
        bench.offerSent = clock();
      }
      if (bench.answerSent === null && typeof data === "string" && /"type":\s*"answer"/.test(data)) {
        bench.answerSent = clock();
      }
      super.send(data);
    }
  }
  window.WebSocket = BenchWebSocket;

  const NativePeerConnection = window.RTCPeerConnection;
  class BenchPeerConnection extends NativePeerConnection {
    constructor(...args) {
      super(...args);
      const record = {
        created: clock(),
        iceConnected: null,
        dtlsConnected: null,
        connected: null,
        firstFrame: null,
        frameWidth: 0,
        localDescriptionStarted: null,
        localDescriptionSet: null,
        remoteDescriptionStarted: null,
        remoteDescriptionSet: null,
      };
      bench.pcs.push(record);
      // Times the first call of `method`: when it was made, and when its promise resolved.
      const timeFirstCall = (method, startedKey, doneKey) => {
        const native = this[method].bind(this);
        this[method] = async (...args) => {
          const started = clock();
          const result = await native(...args);
          if (record[startedKey] === null) {
            record[startedKey] = started;
            record[doneKey] = clock();
          }
          return result;
        };
      };
      timeFirstCall("setLocalDescription", "localDescriptionStarted", "localDescriptionSet");
      timeFirstCall("setRemoteDescription", "remoteDescriptionStarted", "remoteDescriptionSet");
      const watched = new Set();
      const watchDtls = () => {
        const transports = [
          ...this.getSenders().map((sender) => sender.transport),
          ...this.getReceivers().map((receiver) => receiver.transport),
        ];
        for (const transport of transports) {
          if (!transport || watched.has(transport)) continue;
          watched.add(transport);
          const check = () => {
            if (record.dtlsConnected === null && transport.state === "connected") record.dtlsConnected = clock();
          };
          transport.addEventListener("statechange", check);
          check();
        }
      };
      this.addEventListener("signalingstatechange", watchDtls);
      this.addEventListener("iceconnectionstatechange", () => {
        const state = this.iceConnectionState;
        if (record.iceConnected === null && (state === "connected" || state === "completed")) {
          record.iceConnected = clock();
        }
        watchDtls();
      });
      this.addEventListener("connectionstatechange", () => {
        if (record.connected === null && this.connectionState === "connected") record.connected = clock();
        watchDtls();
      });
      this.addEventListener("track", ({ track }) => {
        watchDtls();
        if (track.kind !== "video") return;
        const video = document.createElement("video");
        video.muted = true;
        video.autoplay = true;
        video.playsInline = true;
        video.style.cssText = "position:fixed;left:0;bottom:0;width:64px;height:48px;z-index:2147483647";
        video.srcObject = new MediaStream([track]);
        video.requestVideoFrameCallback((_now, metadata) => {
          if (record.firstFrame === null) {
            record.firstFrame = clock();
            record.frameWidth = metadata.width;
          }
        });
        (document.body ?? document.documentElement).appendChild(video);
        video.play().catch(() => {});
      });
    }
  }
  window.RTCPeerConnection = BenchPeerConnection;
})();
