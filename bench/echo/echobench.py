#!/usr/bin/env python3
"""Parley's media echo against Janus' EchoTest under the same load, in one run (bench/echo/run).

The load is K WebRTC clients (aiortc, in this one process, pinned to core 1) that each send one
Opus and one VP8 stream to the server and get them back. Neither side of the load encodes or
decodes: the media is a short clip encoded once by this script (PyAV: a 640×360 test pattern in
VP8 at about 600 kbit/s, 30 frames/s, a key frame every 2 s, and a tone in Opus, 20 ms frames)
and kept in memory; each client replays its packets at their own pace, looping, through aiortc's
pass-through path for pre-encoded packets (RTP packetisation and SRTP only). On the way back
each client counts the echoed RTP packets straight off aiortc's transport (after SRTP and RTP
parsing, before depacketisation, jitter buffer and decoder, none of which run).

For each repetition, each server in turn (the order alternates) is started pinned to core 0:
- **Parley**: `parley serve --media-port 0 --media-host 127.0.0.1 --turn off`, warnings-only
  logging; one `POST /echo` per client with the offer, whose answer comes back in the response;
  `DELETE /echo/<id>` at the end.
- **Janus** 1.1 (Debian's `janus`) with a configuration of its own in the output folder: only
  the HTTP transport on a free loopback port and the EchoTest plugin (no other plugins,
  transports, event handlers or loggers), ICE-lite, no STUN or TURN (so no NAT lookups), no
  session timeout, warnings-only logging. Per client: create a session, attach
  `janus.plugin.echotest`, send `{audio: true, video: true}` with the offer, long-poll for the
  answer; detach and destroy at the end. Janus (libnice) never gathers on a loopback
  interface, so its one host candidate is this machine's own address (`ice_enforce_list`), and
  the clients gather theirs there too for Janus; the kernel delivers datagrams to a local
  address over the loopback device either way.

- **The floor**: `floor_echo.c` (built here with the system's C compiler), a UDP echo that does
  nothing but move datagrams the way Parley's media thread does (one thread blocking in
  `recvmmsg`, answering with `sendmmsg`), under K plain UDP clients in this process that send
  datagrams of the WebRTC clients' SRTP packet sizes on the clip's schedule, started 30 ms apart
  as the WebRTC clients connect. Its CPU per packet is the kernel's alone: receiving, sending
  and waking up. Its clients send a frame's packets back to back, where aiortc spaces them by
  its own work per packet, so the floor echo reads a few more per wakeup than a server under the
  WebRTC load can: a floor, not an estimate of any server.

Once every client has media flowing both ways and a warm-up has passed, the server's CPU time
(utime + stime of every thread, /proc/PID/stat; schedstat as a finer cross-check) and the
clients' counts are read at the start and the end of the measured window: CPU µs per echoed
packet is the server CPU time in the window divided by the RTP packets (audio and video) the
clients received back in it. Loss is 1 − received / sent over each whole session, after the
senders stop and the last echoes drain. The load process's own CPU time in the window shows
whether the load generator kept up (it is one core; near 100 % it did not).

Only this machine's own addresses are used. Every wait is bounded in time and every loop in count.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from procstat import core_busy_ticks, cpu_ticks, machine, runtime_ns, stop_process  # noqa: E402
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
JANUS = shutil.which("janus") or "/usr/bin/janus"
JANUS_LIBRARIES = Path("/usr/lib/x86_64-linux-gnu/janus")
CONNECT_TIMEOUT_S = 20
MEDIA_TIMEOUT_S = 15
HTTP_TIMEOUT_S = 10
SERVERS = ("parley", "janus", "floor")


# ---------------------------------------------------------------------------------------------
# Media: encoded once, replayed by every client without encoding


CLIP_SECONDS = 10
VIDEO_SIZE = (640, 360)
VIDEO_FPS = 30
VIDEO_BITRATE = 600_000
KEYFRAME_INTERVAL = 60  # frames: one key frame every 2 s, so a late joiner sees a picture soon
AUDIO_BITRATE = 32_000


def make_media(path: Path) -> None:
    """A VP8 + Opus WebM clip of CLIP_SECONDS from libavfilter's test sources (PyAV)."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    video_source = av.open(f"testsrc2=size={VIDEO_SIZE[0]}x{VIDEO_SIZE[1]}:rate={VIDEO_FPS}", format="lavfi")
    audio_source = av.open("sine=frequency=440:sample_rate=48000", format="lavfi")
    with av.open(str(partial), "w", format="webm") as out:
        video = out.add_stream("libvpx", rate=VIDEO_FPS)
        video.width, video.height, video.pix_fmt = *VIDEO_SIZE, "yuv420p"
        video.bit_rate = VIDEO_BITRATE
        video.codec_context.gop_size = KEYFRAME_INTERVAL
        video.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0", "error-resilient": "1"}
        audio = out.add_stream("libopus", rate=48000)
        audio.bit_rate = AUDIO_BITRATE
        audio.layout = "mono"
        for index, frame in enumerate(video_source.decode(video=0)):
            if index >= CLIP_SECONDS * VIDEO_FPS:
                break
            frame.pts, frame.time_base = index, fractions.Fraction(1, VIDEO_FPS)
            # libvpx makes a key frame of every frame marked as one, which decoded frames are.
            frame.pict_type = av.video.frame.PictureType.NONE
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        samples = 0
        for frame in audio_source.decode(audio=0):
            if samples >= CLIP_SECONDS * 48000:
                break
            samples += frame.samples
            for packet in audio.encode(frame):
                out.mux(packet)
        for packet in audio.encode():
            out.mux(packet)
    video_source.close()
    audio_source.close()
    partial.replace(path)


@dataclass
class Clip:
    """Each stream's encoded packets as (seconds from the clip's start, bytes), in order."""

    audio: list[tuple[float, bytes]]
    video: list[tuple[float, bytes]]
    seconds: float

    @property
    def audio_rate(self) -> float:
        return len(self.audio) / self.seconds

    @property
    def video_frame_rate(self) -> float:
        return len(self.video) / self.seconds

    def video_packets_per_second(self) -> float:
        """RTP packets per second aiortc makes of the video (its VP8 packetiser, as when sending)."""
        from aiortc.codecs.vpx import Vp8Encoder

        return sum(len(Vp8Encoder._packetize(data, 1000)) for _, data in self.video) / self.seconds


def load_media(path: Path) -> Clip:
    import av

    streams: dict[str, list[tuple[float, bytes]]] = {"audio": [], "video": []}
    with av.open(str(path)) as container:
        for packet in container.demux():
            if packet.size == 0 or packet.pts is None or packet.stream.type not in streams:
                continue
            streams[packet.stream.type].append((float(packet.pts * packet.time_base), bytes(packet)))
    for packets in streams.values():
        packets.sort(key=lambda item: item[0])
        first = packets[0][0]
        packets[:] = [(moment - first, data) for moment, data in packets]
    if not streams["video"] or not streams["video"][0][1][3:6] == b"\x9d\x01\x2a":
        raise MeasurementError(f"{path}: no VP8 key frame at the start")
    return Clip(streams["audio"], streams["video"], float(CLIP_SECONDS))


class EncodedPacket:
    """What aiortc's senders accept instead of a frame to send as it is (`Encoder.pack`)."""

    __slots__ = ("data", "pts", "time_base")
    TIME_BASE = fractions.Fraction(1, 90_000)

    def __init__(self, data: bytes, pts: int) -> None:
        self.data = data
        self.pts = pts
        self.time_base = self.TIME_BASE

    def __bytes__(self) -> bytes:
        return self.data


def packet_track(kind: str, packets: list[tuple[float, bytes]], period: float):
    """A MediaStreamTrack that hands out `packets` at their own pace, looping every `period`
    seconds with timestamps running on, until `finish()`."""
    from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

    class PacketTrack(MediaStreamTrack):
        def __init__(self) -> None:
            super().__init__()
            self.kind = kind
            self.index = 0
            self.start: float | None = None
            self.finished = asyncio.Event()

        async def recv(self) -> EncodedPacket:
            if self.finished.is_set() or self.readyState != "live":
                raise MediaStreamError
            loop, position = divmod(self.index, len(packets))
            moment, data = packets[position]
            moment += loop * period
            if self.start is None:
                self.start = time.monotonic() - moment
            wait = self.start + moment - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                if self.finished.is_set():
                    raise MediaStreamError
            self.index += 1
            return EncodedPacket(data, round(moment * 90_000))

        def finish(self) -> None:
            self.finished.set()

    return PacketTrack()


# ---------------------------------------------------------------------------------------------
# The load: aiortc clients that count what comes back


def gather_on(address: str) -> None:
    """Makes aiortc's ICE agent (aioice) offer one host candidate, on `address`, instead of one
    on every interface but loopback."""
    import aioice.ice

    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [address] if use_ipv4 else []


def machine_address() -> str | None:
    """This machine's first non-loopback IPv4 address (Janus gathers on no loopback interface)."""
    import aioice.ice

    original = getattr(aioice.ice, "_original_get_host_addresses", aioice.ice.get_host_addresses)
    aioice.ice._original_get_host_addresses = original
    addresses = [address for address in original(use_ipv4=True, use_ipv6=False) if not address.startswith("127.")]
    return addresses[0] if addresses else None


class EchoCounter:
    """Replaces one aiortc receiver's packet handler: counts the echoed RTP packets per payload
    type and hands nothing on (no depacketising, jitter buffer or decoding)."""

    def __init__(self) -> None:
        self.media = 0
        self.other = 0
        self.media_types: set[int] = set()

    async def handle(self, packet, arrival_time_ms: int) -> None:
        if packet.payload_type in self.media_types:
            self.media += 1
        else:
            self.other += 1


RTPMAP = re.compile(r"^a=rtpmap:(\d+) ([\w-]+)/", re.MULTILINE)


def media_payload_types(sdp: str) -> set[int]:
    """The Opus and VP8 payload types of an SDP (not RTX, FEC or comfort noise)."""
    return {int(pt) for pt, name in RTPMAP.findall(sdp) if name.lower() in ("opus", "vp8")}


@dataclass
class Client:
    index: int
    pc: object = None
    tracks: dict = field(default_factory=dict)
    senders: dict = field(default_factory=dict)
    counters: dict = field(default_factory=dict)
    session: object = None
    setup_ms: float = 0.0

    def received(self) -> int:
        return sum(counter.media for counter in self.counters.values())

    def received_by_kind(self) -> dict[str, int]:
        return {kind: counter.media for kind, counter in self.counters.items()}

    async def sent(self) -> int:
        """RTP packets sent so far on both streams (aiortc's outbound-rtp statistics)."""
        total = 0
        for sender in self.senders.values():
            report = await sender.getStats()
            total += sum(stat.packetsSent for stat in report.values() if stat.type == "outbound-rtp")
        return total

    def finish(self) -> None:
        for track in self.tracks.values():
            track.finish()


async def connect(index: int, clip: Clip, server: "EchoServer") -> Client:
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription

    client = Client(index)
    began = time.monotonic()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    client.pc = pc
    for kind, packets in (("audio", clip.audio), ("video", clip.video)):
        track = packet_track(kind, packets, clip.seconds)
        transceiver = pc.addTransceiver(track, direction="sendrecv")
        wanted = ("audio/opus",) if kind == "audio" else ("video/VP8", "video/rtx")
        transceiver.setCodecPreferences(
            [codec for codec in RTCRtpSender.getCapabilities(kind).codecs if codec.mimeType in wanted]
        )
        counter = EchoCounter()
        transceiver.receiver._handle_rtp_packet = counter.handle
        client.tracks[kind], client.senders[kind], client.counters[kind] = track, transceiver.sender, counter
    connected = asyncio.Event()

    @pc.on("connectionstatechange")
    def changed() -> None:
        if pc.connectionState in ("connected", "failed", "closed"):
            connected.set()

    await pc.setLocalDescription(await pc.createOffer())  # gathers every candidate first
    answer, client.session = await server.offer(pc.localDescription.sdp)
    for counter in client.counters.values():
        counter.media_types = media_payload_types(answer)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    try:
        await asyncio.wait_for(connected.wait(), CONNECT_TIMEOUT_S)
    except asyncio.TimeoutError:
        raise MeasurementError(f"client {index}: not connected after {CONNECT_TIMEOUT_S} s ({pc.connectionState})")
    if pc.connectionState != "connected":
        raise MeasurementError(f"client {index}: connection {pc.connectionState}")
    client.setup_ms = (time.monotonic() - began) * 1000
    return client


async def close(client: Client, server: "EchoServer") -> None:
    try:
        if client.session is not None:
            await server.end(client.session)
    finally:
        if client.pc is not None:
            await asyncio.wait_for(client.pc.close(), 10)


# ---------------------------------------------------------------------------------------------
# The servers


def http(method: str, url: str, body: bytes | None = None, content_type: str | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, data=body, method=method)
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S + 30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class EchoServer:
    name = ""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.process: subprocess.Popen | None = None
        self.log = workdir / f"{self.name}.out"
        self.address = "127.0.0.1"  # where the clients gather their one host candidate

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid  # taskset execs the server: same pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        stop_process(self.process)

    def tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return ""

    async def offer(self, sdp: str) -> tuple[str, object]:
        raise NotImplementedError

    async def end(self, session: object) -> None:
        raise NotImplementedError

    async def connect(self, index: int, clip: Clip) -> "Client | FloorClient":
        """A client of this server with media flowing (the WebRTC ones offer through offer())."""
        return await connect(index, clip, self)

    async def disconnect(self, client: "Client | FloorClient") -> None:
        assert isinstance(client, Client)
        await close(client, self)


class ParleyEcho(EchoServer):
    name = "parley"
    LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")
    MEDIA = re.compile(r"media on udp://[^\s:]+:(\d+)")

    def __init__(self, workdir: Path, binary: Path, sessions: int) -> None:
        super().__init__(workdir)
        self.binary = binary
        self.sessions = sessions
        self.base_url = ""

    def start(self, core: str) -> None:
        help_text = subprocess.run([str(self.binary), "serve", "--help"], capture_output=True, text=True).stdout
        if "--media-port" not in help_text:
            raise SetupError(f"`{self.binary} serve --help` lists no --media-port: this build has no media echo")
        argv = [str(self.binary), "serve", "--host", "127.0.0.1", "--port", "0", "--media-port", "0",
                "--database", ":memory:", "--log-level", "warning"]
        # Media on loopback only; nothing but the echo (no TURN server alongside, no drain wait at
        # the end); room for every client's session.
        optional = {"--media-host": "127.0.0.1", "--turn": "off", "--drain-timeout": "0",
                    "--echo-sessions": str(max(32, self.sessions))}
        for flag, value in optional.items():
            if re.search(rf"{flag}\b(?!-)", help_text):
                argv += [flag, value]
        handle = self.log.open("w")
        self.process = subprocess.Popen(
            ["taskset", "-c", core, *argv], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True, bufsize=1,
        )
        ready = threading.Event()
        ports: dict[str, int] = {}

        def read() -> None:
            assert self.process and self.process.stdout
            for line in self.process.stdout:
                handle.write(line)
                handle.flush()
                if match := self.LISTENING.search(line):
                    ports["http"] = int(match[1])
                if match := self.MEDIA.search(line):
                    ports["media"] = int(match[1])
                if "http" in ports and "media" in ports:
                    ready.set()
            handle.close()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        ready.wait(30)
        if "http" not in ports or "media" not in ports:
            self.stop()
            raise SetupError(f"parley did not say where it listens (http and media):\n{self.tail()}")
        self.base_url = f"http://127.0.0.1:{ports['http']}"

    async def offer(self, sdp: str) -> tuple[str, object]:
        status, headers, body = await asyncio.to_thread(
            http, "POST", f"{self.base_url}/echo", sdp.encode(), "application/sdp"
        )
        if status != 201:
            raise MeasurementError(f"POST /echo: {status} {body[:300]!r}")
        location = headers.get("Location") or headers.get("location")
        if not location:
            raise MeasurementError("POST /echo: 201 without a Location")
        return body.decode(), location

    async def end(self, session: object) -> None:
        status, _, body = await asyncio.to_thread(http, "DELETE", f"{self.base_url}{session}")
        if status != 204:
            raise MeasurementError(f"DELETE {session}: {status} {body[:200]!r}")


class JanusEcho(EchoServer):
    name = "janus"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.base_url = ""
        # Janus (libnice) never gathers on a loopback interface: its one host candidate is on this
        # machine's own address, which the kernel delivers over the loopback device all the same.
        address = machine_address()
        if address is None:
            raise SetupError("this machine has no IPv4 address but loopback, and Janus gathers no loopback candidates")
        self.address = address

    def configure(self, port: int) -> Path:
        folder = self.workdir / "janus-config"
        for sub in ("plugins", "transports", "events", "loggers"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        # Only the two libraries this needs are where Janus looks for plugins and transports;
        # the event handler and logger folders stay empty.
        for sub, library in (("plugins", "libjanus_echotest.so"), ("transports", "libjanus_http.so")):
            link = folder / sub / library
            if not link.exists():
                link.symlink_to(JANUS_LIBRARIES / sub / library)
        (folder / "janus.jcfg").write_text(f"""general: {{
    configs_folder = "{folder}"
    plugins_folder = "{folder / 'plugins'}"
    transports_folder = "{folder / 'transports'}"
    events_folder = "{folder / 'events'}"
    loggers_folder = "{folder / 'loggers'}"
    debug_level = 3
    session_timeout = 0
    server_name = "parley-echo-bench"
}}
certificates: {{
}}
media: {{
}}
nat: {{
    nice_debug = false
    ice_lite = true
    full_trickle = false
    ignore_mdns = true
    ice_enforce_list = "{self.address}"
}}
plugins: {{
}}
transports: {{
}}
loggers: {{
}}
events: {{
    broadcast = false
}}
""")
        (folder / "janus.transport.http.jcfg").write_text(f"""general: {{
    events = false
    json = "compact"
    base_path = "/janus"
    http = true
    port = {port}
    ip = "127.0.0.1"
    https = false
}}
admin: {{
    admin_http = false
    admin_https = false
}}
""")
        (folder / "janus.plugin.echotest.jcfg").write_text("general: {\n    events = false\n}\n")
        return folder

    def start(self, core: str) -> None:
        if not Path(JANUS).exists():
            raise SetupError("janus is not installed (apt-get install janus)")
        port = free_port()
        folder = self.configure(port)
        handle = self.log.open("wb")
        self.process = subprocess.Popen(
            ["taskset", "-c", core, JANUS, "-C", str(folder / "janus.jcfg"), "-F", str(folder), "-o"],
            stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        handle.close()
        self.base_url = f"http://127.0.0.1:{port}/janus"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SetupError(f"janus exited at start:\n{self.tail()}")
            try:
                status, _, body = http("GET", f"{self.base_url}/info")
                if status == 200 and b"janus.plugin.echotest" in body:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise SetupError(f"janus did not answer on {self.base_url}/info with the EchoTest plugin:\n{self.tail()}")

    async def request(self, path: str, message: dict) -> dict:
        message = {**message, "transaction": secrets.token_hex(6)}
        status, _, body = await asyncio.to_thread(
            http, "POST", f"{self.base_url}{path}", json.dumps(message).encode(), "application/json"
        )
        reply = json.loads(body) if body else {}
        if status != 200 or reply.get("janus") not in ("success", "ack"):
            raise MeasurementError(f"janus {message['janus']} {path}: {status} {body[:300]!r}")
        return reply

    async def offer(self, sdp: str) -> tuple[str, object]:
        session = (await self.request("", {"janus": "create"}))["data"]["id"]
        handle = (await self.request(f"/{session}", {"janus": "attach", "plugin": "janus.plugin.echotest"}))["data"]["id"]
        await self.request(
            f"/{session}/{handle}",
            {"janus": "message", "body": {"audio": True, "video": True},
             "jsep": {"type": "offer", "sdp": sdp, "trickle": False}},
        )
        deadline = time.monotonic() + HTTP_TIMEOUT_S
        while time.monotonic() < deadline:  # long poll: at most one event per request
            status, _, body = await asyncio.to_thread(http, "GET", f"{self.base_url}/{session}?maxev=1")
            if status != 200:
                raise MeasurementError(f"janus long poll: {status} {body[:300]!r}")
            events = json.loads(body)
            for event in events if isinstance(events, list) else [events]:
                if event.get("janus") == "event" and event.get("jsep", {}).get("type") == "answer":
                    return event["jsep"]["sdp"], (session, handle)
                if event.get("janus") in ("hangup", "detached") or "error" in event.get("plugindata", {}).get("data", {}):
                    raise MeasurementError(f"janus: {event}")
        raise MeasurementError(f"janus: no answer within {HTTP_TIMEOUT_S} s")

    async def end(self, session: object) -> None:
        session_id, handle = session  # type: ignore[misc]
        await self.request(f"/{session_id}/{handle}", {"janus": "detach"})
        await self.request(f"/{session_id}", {"janus": "destroy"})


class FloorEcho(EchoServer):
    """The floor: floor_echo.c, a bare UDP echo (one thread, recvmmsg and sendmmsg, no STUN, DTLS,
    SRTP or RTP), under plain UDP clients sending datagrams of the WebRTC clients' sizes on the
    same schedule. Its CPU per echoed packet is what the kernel alone costs per packet here."""

    name = "floor"
    SOURCE = Path(__file__).resolve().parent / "floor_echo.c"
    LISTENING = re.compile(r"floor echo on udp://127\.0\.0\.1:(\d+)")
    SETUP_S = 0.03

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.port = 0

    def build(self) -> Path:
        """Compiles floor_echo.c once per output folder (next to the run's copy of parley)."""
        binary = self.workdir.parent / "bin" / "floor_echo"
        if binary.exists() and binary.stat().st_mtime >= self.SOURCE.stat().st_mtime:
            return binary
        compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
        if compiler is None:
            raise SetupError("no C compiler (cc, gcc or clang) to build the floor echo")
        binary.parent.mkdir(parents=True, exist_ok=True)
        built = subprocess.run([compiler, "-O2", "-o", str(binary), str(self.SOURCE)], capture_output=True, text=True)
        if built.returncode != 0:
            raise SetupError(f"could not build {self.SOURCE.name}:\n{built.stderr[-2000:]}")
        return binary

    def start(self, core: str) -> None:
        binary = self.build()
        self.process = subprocess.Popen(
            ["taskset", "-c", core, str(binary)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # the first line, printed at once
        self.log.write_text(line)
        match = self.LISTENING.search(line)
        if not match:
            self.stop()
            raise SetupError(f"floor_echo did not say where it listens: {line!r}")
        self.port = int(match[1])

    async def connect(self, index: int, clip: Clip) -> "FloorClient":
        # The WebRTC clients connect one after another, each starting its clip once connected,
        # about 30 ms apart here (the setup column): their frames fall at scattered moments,
        # not all at once, and these clients' must too, or the echo would read them in batches.
        await asyncio.sleep(self.SETUP_S)
        client = FloorClient(index, clip)
        await client.start(("127.0.0.1", self.port))
        return client

    async def disconnect(self, client: "Client | FloorClient") -> None:
        assert isinstance(client, FloorClient)
        client.close()


class FloorClient(asyncio.DatagramProtocol):
    """A plain UDP stand-in for one WebRTC client of the floor trial: the same two streams'
    packets, at the same moments and of the same sizes as that client's SRTP packets (the
    clip's payloads, each with a 12-byte RTP header, 16 bytes of header extensions and a 16-byte
    AES-GCM tag), counting what comes back. Byte 1 says which stream a datagram is."""

    OVERHEAD = 12 + 16 + 16
    KINDS = {0: "audio", 1: "video"}

    def __init__(self, index: int, clip: Clip) -> None:
        from aiortc.codecs.vpx import Vp8Encoder

        self.index = index
        self.setup_ms = 0.0
        self.counters = {"audio": EchoCounter(), "video": EchoCounter()}
        self.packets_sent = 0
        self.period = clip.seconds
        # Each moment's datagrams: an Opus frame is one packet; a VP8 frame as many as aiortc's
        # packetiser makes of it, sent back to back as aiortc sends them.
        self.schedules = {
            "audio": [(moment, [bytes([0x80, 0]) + bytes(len(data) + self.OVERHEAD - 2)]) for moment, data in clip.audio],
            "video": [
                (moment, [bytes([0x80, 1]) + bytes(len(chunk) + self.OVERHEAD - 2) for chunk in Vp8Encoder._packetize(data, 1000)])
                for moment, data in clip.video
            ],
        }
        self.transport: asyncio.DatagramTransport | None = None
        self.tasks: list[asyncio.Task] = []

    async def start(self, server: tuple[str, int]) -> None:
        began = time.monotonic()
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, remote_addr=server)
        self.tasks = [asyncio.create_task(self.send(kind)) for kind in self.schedules]
        self.setup_ms = (time.monotonic() - began) * 1000

    def connection_made(self, transport) -> None:  # noqa: ANN001 - asyncio's signature
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:  # noqa: ANN001
        kind = self.KINDS.get(data[1]) if len(data) > 1 else None
        if kind:
            self.counters[kind].media += 1

    async def send(self, kind: str) -> None:
        schedule = self.schedules[kind]
        start = time.monotonic()
        index = 0
        while True:
            loop, position = divmod(index, len(schedule))
            moment, datagrams = schedule[position]
            wait = start + moment + loop * self.period - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if self.transport is None or self.transport.is_closing():
                return
            for datagram in datagrams:
                self.transport.sendto(datagram)
            self.packets_sent += len(datagrams)
            index += 1

    def received(self) -> int:
        return sum(counter.media for counter in self.counters.values())

    def received_by_kind(self) -> dict[str, int]:
        return {kind: counter.media for kind, counter in self.counters.items()}

    async def sent(self) -> int:
        return self.packets_sent

    def finish(self) -> None:
        for task in self.tasks:
            task.cancel()

    def close(self) -> None:
        self.finish()
        if self.transport is not None:
            self.transport.close()


# ---------------------------------------------------------------------------------------------
# Measurement


class MeasurementError(RuntimeError):
    pass


class SetupError(RuntimeError):
    """The server cannot be measured at all (missing, or a build without the echo)."""


def threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


@dataclass
class Snapshot:
    moment: float
    server_ticks: int
    server_user_ticks: int
    server_ns: int
    load_seconds: float
    server_core_ticks: int
    load_core_ticks: int
    received: int
    received_audio: int
    received_video: int
    sent: int

    @classmethod
    async def take(cls, server: EchoServer, clients: list[Client | FloorClient], cores: tuple[str, str]) -> "Snapshot":
        # Everything but the senders' statistics is read at once, without yielding to the event
        # loop: no packet is counted between the CPU readings and the counts.
        by_kind = [client.received_by_kind() for client in clients]
        user, system = cpu_ticks(server.pid)
        snapshot = cls(
            moment=time.monotonic(),
            server_ticks=user + system,
            server_user_ticks=user,
            server_ns=runtime_ns(server.pid),
            load_seconds=time.process_time(),
            server_core_ticks=core_busy_ticks(int(cores[0])),
            load_core_ticks=core_busy_ticks(int(cores[1])),
            received=sum(sum(kinds.values()) for kinds in by_kind),
            received_audio=sum(kinds.get("audio", 0) for kinds in by_kind),
            received_video=sum(kinds.get("video", 0) for kinds in by_kind),
            sent=0,
        )
        for client in clients:  # what was offered: read just after, for context only
            snapshot.sent += await client.sent()
        return snapshot


@dataclass
class Trial:
    server: str
    repetition: int
    clients: int
    window_s: float
    packets: int
    audio_packets: int
    video_packets: int
    packets_per_second: float
    offered_per_second: float
    nominal_per_second: float
    cpu_ticks: int
    cpu_us_per_packet: float
    runtime_us_per_packet: float
    cpu_percent: float
    idle_cpu_percent: float
    server_core_busy_percent: float
    load_cpu_percent: float
    load_core_busy_percent: float
    sent: int
    received: int
    loss_percent: float
    other_packets: int
    setup_ms: float
    server_threads: int
    # Where the server's CPU time went: in its own code and libraries (user) or in the kernel
    # (system: system calls, and the loopback delivery of what it sends). Later additions, with
    # defaults so that older results.json files still load.
    user_us_per_packet: float = 0.0
    system_us_per_packet: float = 0.0


async def run_trial(server: EchoServer, clip: Clip, spec: argparse.Namespace, repetition: int,
                    cores: tuple[str, str]) -> Trial:
    clients: list[Client | FloorClient] = []
    completed = False
    try:
        # The server alone for a moment: what its own timers cost, for context.
        idle_start = (time.monotonic(), runtime_ns(server.pid))
        await asyncio.sleep(spec.idle)
        idle_end = (time.monotonic(), runtime_ns(server.pid))
        for index in range(spec.clients):
            clients.append(await server.connect(index, clip))
        deadline = time.monotonic() + MEDIA_TIMEOUT_S
        while not all(all(counter.media for counter in client.counters.values()) for client in clients):
            if time.monotonic() > deadline:
                silent = [client.index for client in clients if not all(c.media for c in client.counters.values())]
                raise MeasurementError(f"no echoed audio and video within {MEDIA_TIMEOUT_S} s for clients {silent}")
            await asyncio.sleep(0.1)
        await asyncio.sleep(spec.warmup)
        first = await Snapshot.take(server, clients, cores)
        await asyncio.sleep(spec.seconds)
        last = await Snapshot.take(server, clients, cores)
        server_threads = threads(server.pid)
        if not server.alive():
            raise MeasurementError(f"{server.name} exited during the trial:\n{server.tail()}")
        for client in clients:
            client.finish()
        await asyncio.sleep(1.0)  # the last echoes drain
        sent = 0
        for client in clients:
            sent += await client.sent()
        received = sum(client.received() for client in clients)
        other = sum(counter.other for client in clients for counter in client.counters.values())
        completed = True
    finally:
        ending = [server.disconnect(client) for client in clients]
        results = await asyncio.gather(*ending, return_exceptions=True)
        errors = [result for result in results if isinstance(result, BaseException)]
        if errors and completed:
            raise MeasurementError(f"ending sessions: {errors[0]!r}")

    window = last.moment - first.moment
    packets = last.received - first.received
    if packets <= 0:
        raise MeasurementError("no packets echoed in the measured window")
    cpu_seconds = (last.server_ticks - first.server_ticks) / CLOCK_TICKS
    user_seconds = (last.server_user_ticks - first.server_user_ticks) / CLOCK_TICKS
    nominal = spec.clients * (clip.audio_rate + clip.video_packets_per_second())
    return Trial(
        server=server.name,
        repetition=repetition,
        clients=len(clients),
        window_s=round(window, 2),
        packets=packets,
        audio_packets=last.received_audio - first.received_audio,
        video_packets=last.received_video - first.received_video,
        packets_per_second=packets / window,
        offered_per_second=(last.sent - first.sent) / window,
        nominal_per_second=nominal,
        cpu_ticks=last.server_ticks - first.server_ticks,
        cpu_us_per_packet=cpu_seconds * 1e6 / packets,
        runtime_us_per_packet=(last.server_ns - first.server_ns) / 1e3 / packets,
        cpu_percent=100 * cpu_seconds / window,
        idle_cpu_percent=100 * (idle_end[1] - idle_start[1]) / 1e9 / max(1e-9, idle_end[0] - idle_start[0]),
        server_core_busy_percent=100 * (last.server_core_ticks - first.server_core_ticks) / CLOCK_TICKS / window,
        load_cpu_percent=100 * (last.load_seconds - first.load_seconds) / window,
        load_core_busy_percent=100 * (last.load_core_ticks - first.load_core_ticks) / CLOCK_TICKS / window,
        sent=sent,
        received=received,
        loss_percent=max(0.0, 100 * (1 - received / sent)) if sent else 100.0,
        other_packets=other,
        setup_ms=statistics.median(client.setup_ms for client in clients),
        server_threads=server_threads,
        user_us_per_packet=user_seconds * 1e6 / packets,
        system_us_per_packet=(cpu_seconds - user_seconds) * 1e6 / packets,
    )


def measure(name: str, workdir: Path, clip: Clip, spec: argparse.Namespace, repetition: int,
            cores: tuple[str, str]) -> Trial:
    server: EchoServer
    if name == "parley":
        server = ParleyEcho(workdir, spec.parley, spec.clients)
    elif name == "janus":
        server = JanusEcho(workdir)
    else:
        server = FloorEcho(workdir)
    server.start(cores[0])
    gather_on(server.address)
    try:
        time.sleep(0.5)
        return asyncio.run(asyncio.wait_for(run_trial(server, clip, spec, repetition, cores), spec.budget))
    except asyncio.TimeoutError:
        raise MeasurementError(f"trial still running after {spec.budget:.0f} s")
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------------
# Reporting


def versions(parley: Path) -> dict:
    def output(*argv: str) -> str:
        try:
            result = subprocess.run(argv, capture_output=True, text=True, timeout=20)
            return (result.stdout or result.stderr).strip()
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"

    def package(name: str) -> str:
        try:
            from importlib.metadata import version

            return version(name)
        except Exception:  # noqa: BLE001 - only for the report
            return "unknown"

    commit = output("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD")
    dirty = output("git", "-C", str(ROOT), "status", "--porcelain", "--", "Sources", "Package.swift")
    janus = re.search(r"\((\d+\.\d+\.\d+)\)", output(JANUS, "--version")) if Path(JANUS).exists() else None
    return {
        "janus": janus[1] if janus else "missing",
        "janus_package": output("dpkg-query", "-W", "-f=${Version}", "janus"),
        "parley": f"{commit}{' + uncommitted changes' if dirty else ''}",
        "parley_binary": str(parley),
        "swift": output("swift", "--version").splitlines()[0] if shutil.which("swift") else "unknown",
        "aiortc": package("aiortc"),
        "python": sys.version.split()[0],
    }


def summarize(trials: list[Trial]) -> dict:
    rows: dict = {}
    for server in SERVERS:
        mine = [trial for trial in trials if trial.server == server]
        if not mine:
            continue
        sent = sum(trial.sent for trial in mine)
        received = sum(trial.received for trial in mine)
        rows[server] = {
            "trials": len(mine),
            "clients": mine[0].clients,
            "packets_per_second": statistics.median(trial.packets_per_second for trial in mine),
            "cpu_us_per_packet": statistics.median(trial.cpu_us_per_packet for trial in mine),
            "cpu_us_per_packet_range": [min(t.cpu_us_per_packet for t in mine), max(t.cpu_us_per_packet for t in mine)],
            "runtime_us_per_packet": statistics.median(trial.runtime_us_per_packet for trial in mine),
            "user_us_per_packet": statistics.median(trial.user_us_per_packet for trial in mine),
            "system_us_per_packet": statistics.median(trial.system_us_per_packet for trial in mine),
            "cpu_percent": statistics.median(trial.cpu_percent for trial in mine),
            "idle_cpu_percent": statistics.median(trial.idle_cpu_percent for trial in mine),
            "load_cpu_percent": statistics.median(trial.load_cpu_percent for trial in mine),
            "load_cpu_percent_max": max(trial.load_cpu_percent for trial in mine),
            "loss_percent": max(0.0, 100 * (1 - received / sent)) if sent else 100.0,
            "setup_ms": statistics.median(trial.setup_ms for trial in mine),
            "server_threads": max(trial.server_threads for trial in mine),
        }
    if "parley" in rows and "janus" in rows and rows["janus"]["cpu_us_per_packet"] > 0:
        rows["ratio"] = rows["parley"]["cpu_us_per_packet"] / rows["janus"]["cpu_us_per_packet"]
        rows["runtime_ratio"] = rows["parley"]["runtime_us_per_packet"] / max(1e-9, rows["janus"]["runtime_us_per_packet"])
        # The two trials of one repetition run back to back: their ratio is the least exposed to
        # the machine's drift between repetitions.
        paired = []
        for repetition in sorted({trial.repetition for trial in trials}):
            pair = {trial.server: trial for trial in trials if trial.repetition == repetition}
            if "parley" in pair and "janus" in pair and pair["janus"].cpu_us_per_packet > 0:
                paired.append(pair["parley"].cpu_us_per_packet / pair["janus"].cpu_us_per_packet)
        if paired:
            rows["paired_ratios"] = paired
    measured = [name for name in ("parley", "janus", "floor") if name in rows]
    # Clock ticks are 10 ms: in a short (smoke) run the bare echo's few milliseconds of CPU can
    # round to no tick at all. Then the comparisons with the floor use schedstat's run time,
    # which counts nanoseconds, for every server.
    figure = (
        "cpu_us_per_packet"
        if all(rows[name]["cpu_us_per_packet"] > 0 for name in measured)
        else "runtime_us_per_packet"
    )
    if "floor" in rows and rows["floor"][figure] > 0:
        # What the kernel alone costs per packet in this run: each server's CPU per packet as a
        # multiple of it, and the Parley / Janus ratio a server doing nothing else would reach.
        floor = rows["floor"][figure]
        rows["floor_figure"] = figure
        rows["over_floor"] = {name: rows[name][figure] / floor for name in ("parley", "janus") if name in rows}
        if "janus" in rows and rows["janus"][figure] > 0:
            rows["floor_over_janus"] = floor / rows["janus"][figure]
        if "parley" in rows and "janus" in rows and rows["janus"][figure] > floor:
            # What each server does per packet beyond receiving and sending it, compared: the
            # ratio with the kernel's share, which both pay alike, taken out of both.
            rows["above_floor_ratio"] = (rows["parley"][figure] - floor) / (rows["janus"][figure] - floor)
    return rows


TARGET = 0.5


def split(row: dict) -> str:
    """User + system µs per packet; a dash for results measured before the split was recorded."""
    user, system = row.get("user_us_per_packet", 0), row.get("system_us_per_packet", 0)
    return "–" if user == 0 and system == 0 else f"{user:.1f} + {system:.1f}"


def markdown(result: dict) -> str:
    m, v, s = result["machine"], result["versions"], result["summary"]
    spec = result["load"]
    lines = [
        "# Media echo: Parley against Janus' EchoTest",
        "",
        f"- Date: {result['date']}",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), Linux {m['kernel']}; 1-minute load average "
        f"{m.get('load_average_start', 0):.1f} at the start, {m.get('load_average_end', 0):.1f} at the end "
        "(other work on the machine included)",
        f"- Janus {v['janus']} (Debian package {v['janus_package']}); Parley {v['parley']}; {v['swift']}; "
        f"load: aiortc {v['aiortc']} on Python {v['python']}",
        f"- Command: `{result['command']}`{' (smoke run: too short to quote)' if result['smoke'] else ''}",
        f"- Repetitions: {result['repetitions']} per server, servers interleaved (the order alternates each "
        "repetition)",
        "",
        f"Load: {spec['clients']} WebRTC clients (aiortc, one process) each sending Opus "
        f"({spec['audio_pps']:.0f} packets/s) and VP8 ({spec['video_fps']:.0f} frames/s in "
        f"{spec['video_pps']:.0f} packets/s, {VIDEO_SIZE[0]}×{VIDEO_SIZE[1]}, about {VIDEO_BITRATE // 1000} kbit/s) "
        "pre-encoded, and counting the echoed RTP packets without depacketising or decoding them. "
        "Server pinned to core 0, load to core 1. Server CPU = utime + stime of the server process "
        "(/proc/PID/stat, every thread) over a window of "
        f"{spec['seconds']:.0f} s in steady state, divided by the RTP packets the clients received back in it. "
        "Median over repetitions, range in brackets. Loss = 1 − received / sent over each whole session. "
        "User + system splits the server's CPU per packet into its own code and libraries (utime) and the "
        "kernel (stime: system calls, and the loopback delivery of what it sends). "
        "Load CPU is the load process's own CPU time in the window (one core: near 100 % it could not keep up). "
        "The floor is `bench/echo/floor_echo.c`, a UDP echo with nothing in it but a thread that blocks in "
        "`recvmmsg` and answers with `sendmmsg` (as Parley's media thread does), under as many plain UDP clients "
        "sending datagrams of the same sizes on the same schedule: what the kernel alone costs per packet here.",
        "",
        "| server | clients | echoed pkt/s | server CPU | CPU µs / echoed packet | (schedstat) | user + system µs | "
        "loss | load CPU (max) | setup | server threads |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for server in SERVERS:
        if server not in s:
            continue
        row = s[server]
        low, high = row["cpu_us_per_packet_range"]
        lines.append(
            f"| {server} | {row['clients']} | {row['packets_per_second']:.0f} | {row['cpu_percent']:.1f} % | "
            f"**{row['cpu_us_per_packet']:.1f}** [{low:.1f}–{high:.1f}] | {row['runtime_us_per_packet']:.1f} | "
            f"{split(row)} | "
            f"{row['loss_percent']:.2f} % | {row['load_cpu_percent']:.0f} % ({row['load_cpu_percent_max']:.0f} %) | "
            f"{row['setup_ms']:.0f} ms | {row['server_threads']} |"
        )
    if "ratio" in s:
        judged = max(s["ratio"], statistics.median(s.get("paired_ratios") or [s["ratio"]]))
        verdict = "met" if judged <= TARGET else "missed"
        paired = ", ".join(f"{ratio:.2f}×" for ratio in s.get("paired_ratios", []))
        lines += [
            "",
            "| Parley / Janus, CPU per echoed packet | each repetition's pair (back to back) | "
            "target (judged on the worse of the medians' ratio and the pairs' median) |",
            "|---|---|---|",
            f"| **{s['ratio']:.2f}×** (schedstat: {s['runtime_ratio']:.2f}×) | {paired} | ≤ {TARGET}× ({verdict}) |",
        ]
    else:
        missing = [server for server in ("parley", "janus") if server not in s]
        lines += ["", f"No ratio: not measured: {', '.join(missing)}."]
    if "over_floor" in s:
        figure = s.get("floor_figure", "cpu_us_per_packet")
        floor = s["floor"][figure]
        source = "" if figure == "cpu_us_per_packet" else " (schedstat: a clock tick is too coarse for this run)"
        lines += [
            "",
            f"| against the floor (a bare UDP echo, same packets) | CPU µs / echoed packet{source} | × the floor | above the floor |",
            "|---|---|---|---|",
            f"| floor | {floor:.1f} | 1.00× | – |",
        ]
        for server, multiple in s["over_floor"].items():
            mine = s[server][figure]
            lines.append(f"| {server} | {mine:.1f} | {multiple:.2f}× | {mine - floor:.1f} µs |")
        if "floor_over_janus" in s:
            lines += [
                "",
                f"Floor / Janus: **{s['floor_over_janus']:.2f}×**, the Parley / Janus ratio of a server that did "
                "nothing per packet but receive and send it (no ICE, DTLS, SRTP or RTP work) in this run."
                + (
                    f" Above the floor, Parley / Janus: **{s['above_floor_ratio']:.2f}×**, each server's CPU per "
                    "packet less the floor's (what the two do beyond receiving and sending the packet)."
                    if "above_floor_ratio" in s
                    else ""
                ),
            ]
    for server, reason in result.get("skipped", {}).items():
        lines += ["", f"{server} was not measured: {reason}"]
    lines += [
        "",
        "## Every trial",
        "",
        f"In order of running. CPU ticks are 1/{CLOCK_TICKS} s. Offered is what the clients sent in the window "
        "(nominal: what the clip asks for); idle CPU (schedstat) is the server alone before the clients connect; "
        "core busy is everything that ran on that core in the window (from /proc/stat's per-tick sampling). "
        "Other is echoed RTP that is neither Opus nor VP8 (retransmissions), not counted as echoed packets.",
        "",
        "| server | rep | clients | window s | echoed packets (audio + video) | offered / nominal pkt/s | CPU ticks | "
        "µs/pkt | user + system | schedstat µs/pkt | server CPU | core 0 busy | idle CPU | load CPU | core 1 busy | "
        "loss | other |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for t in result["trials"]:
        lines.append(
            f"| {t['server']} | {t['repetition']} | {t['clients']} | {t['window_s']} | {t['packets']} "
            f"({t['audio_packets']} + {t['video_packets']}) | {t['offered_per_second']:.0f} / {t['nominal_per_second']:.0f} | "
            f"{t['cpu_ticks']} | {t['cpu_us_per_packet']:.1f} | "
            f"{split(t)} | {t['runtime_us_per_packet']:.1f} | "
            f"{t['cpu_percent']:.1f} % | {t['server_core_busy_percent']:.1f} % | {t['idle_cpu_percent']:.2f} % | "
            f"{t['load_cpu_percent']:.0f} % | {t['load_core_busy_percent']:.0f} % | {t['loss_percent']:.2f} % | "
            f"{t['other_packets']} |"
        )
    if result.get("failures"):
        lines += ["", "Failed trials (each retried once on a fresh server):", ""]
        lines += [f"- {failure}" for failure in result["failures"]]
    if result.get("notes"):
        lines += ["", "## Notes", "", result["notes"].strip()]
    return "\n".join(lines) + "\n"


def write_report(result: dict, arguments: argparse.Namespace) -> None:
    (arguments.out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    text = markdown(result)
    (arguments.out / "RESULTS.md").write_text(text)
    if arguments.results_md:
        arguments.results_md.write_text(text)
    print(text)


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description="Parley's media echo against Janus' EchoTest (bench/echo/run).")
    parser.add_argument("--smoke", action="store_true", help="one client, a few seconds, one repetition")
    parser.add_argument("--clients", type=int, default=None, help="WebRTC clients per trial (default 16, smoke 1)")
    parser.add_argument("--seconds", type=float, default=None, help="measured window (default 30, smoke 3)")
    parser.add_argument("--warmup", type=float, default=None, help="steady media before the window (default 5, smoke 1)")
    parser.add_argument("--repetitions", type=int, default=None, help="trials per server (default 3, smoke 1)")
    parser.add_argument("--parley", type=Path, default=Path(os.environ.get("PARLEY_RELEASE_BIN") or ROOT / ".build/release/parley"))
    parser.add_argument("--out", type=Path, required=True, help="folder for results.json, RESULTS.md, logs and the clip")
    parser.add_argument("--results-md", type=Path, help="also write RESULTS.md here")
    parser.add_argument("--notes", type=Path, help="Markdown appended to RESULTS.md under Notes")
    parser.add_argument("--command", default="bench/echo/run")
    parser.add_argument("--servers", default="parley,janus,floor", help="which servers to run (default all three)")
    parser.add_argument("--report-only", action="store_true", help="rewrite RESULTS.md from --out's results.json")
    arguments = parser.parse_args()

    if arguments.report_only:
        result = json.loads((arguments.out / "results.json").read_text())
        result["notes"] = arguments.notes.read_text() if arguments.notes and arguments.notes.exists() else ""
        result["summary"] = summarize([Trial(**trial) for trial in result["trials"]])
        write_report(result, arguments)
        return 0

    smoke = arguments.smoke
    spec = argparse.Namespace(
        clients=arguments.clients or (1 if smoke else 16),
        seconds=arguments.seconds or (3.0 if smoke else 30.0),
        warmup=arguments.warmup if arguments.warmup is not None else (1.0 if smoke else 5.0),
        idle=1.0 if smoke else 3.0,
        parley=arguments.parley,
    )
    repetitions = arguments.repetitions or (1 if smoke else 3)
    if not 1 <= repetitions <= 20 or not 1 <= spec.clients <= 64 or not 1 <= spec.seconds <= 600:
        parser.error("--repetitions 1..20, --clients 1..64, --seconds 1..600")
    spec.budget = 60 + spec.clients * (CONNECT_TIMEOUT_S + 5) + spec.warmup + spec.seconds
    servers = [name for name in arguments.servers.split(",") if name]
    if not servers or any(name not in SERVERS for name in servers):
        parser.error(f"--servers: a comma-separated subset of {','.join(SERVERS)}")
    cores = ("0", "1") if (os.cpu_count() or 1) >= 2 else ("0", "0")
    arguments.out.mkdir(parents=True, exist_ok=True)

    clip_path = arguments.out / "clip.webm"
    if not clip_path.exists():
        print(f"encoding the {CLIP_SECONDS} s clip (VP8 + Opus) once: {clip_path}", file=sys.stderr, flush=True)
        make_media(clip_path)
    clip = load_media(clip_path)

    load_at_start = os.getloadavg()[0]
    version_info = versions(arguments.parley)  # the source the binary was built from, as it was at the start
    trials: list[Trial] = []
    failures: list[str] = []
    skipped: dict[str, str] = {}
    for repetition in range(1, repetitions + 1):
        # Parley and Janus back to back (a pair), the floor first or last; alternating each time.
        order = ["janus", "parley", "floor"] if repetition % 2 else ["floor", "parley", "janus"]
        for name in (name for name in order if name in servers and name not in skipped):
            print(f"[{repetition}/{repetitions}] {name}, {spec.clients} clients ...", file=sys.stderr, flush=True)
            trial = None
            for attempt in (1, 2):
                workdir = arguments.out / f"{repetition}-{name}-{attempt}"
                workdir.mkdir(parents=True, exist_ok=True)
                try:
                    trial = measure(name, workdir, clip, spec, repetition, cores)
                    break
                except SetupError as error:
                    skipped[name] = str(error)
                    print(f"    cannot measure {name}: {error}", file=sys.stderr, flush=True)
                    break
                except MeasurementError as error:  # once more, on a fresh server
                    failures.append(f"{name}, repetition {repetition}, attempt {attempt}: {error}")
                    print(f"    failed (attempt {attempt}): {error}", file=sys.stderr, flush=True)
            if trial is None:
                continue
            print(
                f"    {trial.packets} packets in {trial.window_s} s ({trial.packets_per_second:.0f}/s), "
                f"{trial.cpu_us_per_packet:.1f} µs/pkt ({trial.runtime_us_per_packet:.1f} schedstat), "
                f"loss {trial.loss_percent:.2f} %, load CPU {trial.load_cpu_percent:.0f} %",
                file=sys.stderr, flush=True,
            )
            trials.append(trial)

    result = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": arguments.command,
        "smoke": smoke,
        "repetitions": repetitions,
        "machine": machine() | {"load_average_start": load_at_start, "load_average_end": os.getloadavg()[0]},
        "versions": version_info,
        "load": {
            "clients": spec.clients, "seconds": spec.seconds, "warmup": spec.warmup,
            "audio_pps": clip.audio_rate, "video_fps": clip.video_frame_rate,
            "video_pps": clip.video_packets_per_second(),
        },
        "trials": [asdict(trial) for trial in trials],
        "summary": summarize(trials),
        "failures": failures,
        "skipped": skipped,
        "notes": arguments.notes.read_text() if arguments.notes and arguments.notes.exists() else "",
    }
    write_report(result, arguments)
    wanted = set(servers) - set(skipped)
    measured = {trial.server for trial in trials}
    return 0 if wanted <= measured and not skipped else 1


if __name__ == "__main__":
    sys.exit(main())
