"""Parley's media echo (``POST /echo``) with a second, independent WebRTC implementation:
aiortc, not a browser. An aiortc peer offers audio and video (its own generated frames, encoded
by aiortc), posts the complete offer to a real ``parley serve`` and gets the answer back in the
response; the same media must come back, and aiortc must decode it. ``DELETE`` ends the session.

Only loopback is used: the server's media port binds 127.0.0.1 and aiortc gathers its one host
candidate there (aioice skips loopback on its own). No STUN server is configured, so nothing
leaves the machine. Every wait is bounded; nothing here judges how fast anything is.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import urllib.error
import urllib.request
from collections.abc import Iterator

import aioice.ice
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack

from parley_process import ParleyProcess, ServerDidNotStart, run_async

CONNECT_TIMEOUT_S = 20
FRAME_TIMEOUT_S = 20
FRAMES_WANTED = 10
HTTP_TIMEOUT_S = 10
MAX_OFFER_BYTES = 64 * 1024


@pytest.fixture
def server() -> Iterator[ParleyProcess]:
    try:
        running = ParleyProcess("--media-port", "0", "--media-host", "127.0.0.1")
    except ServerDidNotStart as error:
        pytest.fail(str(error))
    yield running
    running.stop()


def request(method: str, url: str, body: bytes | None = None, content_type: str | None = None) -> tuple[int, dict, str]:
    outgoing = urllib.request.Request(url, data=body, method=method)
    if content_type:
        outgoing.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(outgoing, timeout=HTTP_TIMEOUT_S) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@contextlib.contextmanager
def host_candidates_on_loopback() -> Iterator[None]:
    """aioice gathers on every interface except loopback; here it gathers on loopback only."""
    original = aioice.ice.get_host_addresses
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"] if use_ipv4 else []
    try:
        yield
    finally:
        aioice.ice.get_host_addresses = original


async def frames_back(track, wanted: int) -> list:
    """Up to `wanted` decoded frames from a received track, waiting at most FRAME_TIMEOUT_S."""
    frames: list = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FRAME_TIMEOUT_S
    while len(frames) < wanted:
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        try:
            frames.append(await asyncio.wait_for(track.recv(), remaining))
        except (asyncio.TimeoutError, MediaStreamError):
            break
    return frames


async def echo_call(base_url: str) -> dict:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTrack(AudioStreamTrack())
        pc.addTrack(VideoStreamTrack())
        connected = asyncio.Event()

        @pc.on("connectionstatechange")
        def changed() -> None:
            if pc.connectionState in ("connected", "failed", "closed"):
                connected.set()

        await pc.setLocalDescription(await pc.createOffer())  # no trickle: every candidate is in it
        status, headers, answer = await asyncio.to_thread(
            request, "POST", f"{base_url}/echo", pc.localDescription.sdp.encode(), "application/sdp"
        )
        assert status == 201, f"POST /echo: {status} {answer[:500]}"
        location = headers.get("Location") or headers.get("location") or ""
        assert re.fullmatch(r"/echo/[^/\s]+", location), f"Location: {location!r}"

        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await asyncio.wait_for(connected.wait(), CONNECT_TIMEOUT_S)
        assert pc.connectionState == "connected", pc.connectionState

        received = {t.receiver.track.kind: t.receiver.track for t in pc.getTransceivers()}
        video, audio = await asyncio.gather(
            frames_back(received["video"], FRAMES_WANTED), frames_back(received["audio"], FRAMES_WANTED)
        )

        ended = await asyncio.to_thread(request, "DELETE", f"{base_url}{location}")
        again = await asyncio.to_thread(request, "DELETE", f"{base_url}{location}")
        return {"answer": answer, "video": video, "audio": audio, "ended": ended[0], "again": again[0]}
    finally:
        await asyncio.wait_for(pc.close(), 10)


def test_aiortc_gets_its_audio_and_video_back(server: ParleyProcess) -> None:
    port = server.media_port
    assert port, "the server never said where its media port is:\n" + "".join(server.output)
    with host_candidates_on_loopback():
        call = run_async(echo_call(server.base_url))

    answer = call["answer"]
    assert "a=ice-lite" in answer and "a=setup:passive" in answer, answer
    assert "a=group:BUNDLE" in answer and "a=rtcp-mux" in answer, answer
    assert re.search(r"^a=rtpmap:\d+ opus/48000", answer, re.MULTILINE | re.IGNORECASE), answer
    assert re.search(r"^a=rtpmap:\d+ VP8/90000", answer, re.MULTILINE | re.IGNORECASE), answer
    assert re.search(rf"^a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 {port} typ host", answer, re.MULTILINE | re.IGNORECASE), (
        f"no host candidate on the media port {port}:\n{answer}"
    )
    # The server sends with SSRCs of its own, announced in the answer.
    assert re.search(r"^a=ssrc:\d+ ", answer, re.MULTILINE), answer

    video, audio = call["video"], call["audio"]
    assert len(video) >= FRAMES_WANTED, f"{len(video)} video frames came back within {FRAME_TIMEOUT_S} s"
    assert all(frame.width > 0 and frame.height > 0 for frame in video), [(f.width, f.height) for f in video]
    assert len(audio) >= FRAMES_WANTED, f"{len(audio)} audio frames came back within {FRAME_TIMEOUT_S} s"
    assert all(frame.samples > 0 for frame in audio)

    assert call["ended"] == 204, call["ended"]
    assert call["again"] == 404, call["again"]
    assert server.process.poll() is None, "".join(server.output)


def test_echo_refuses_what_it_cannot_answer_with_a_text_reason(server: ParleyProcess) -> None:
    echo = f"{server.base_url}/echo"
    cases = {
        "wrong content type": (request("POST", echo, b"v=0\r\n", "text/plain"), 415),
        "not an offer": (request("POST", echo, b"hello\r\n", "application/sdp"), 400),
        "offer over 64 KiB": (request("POST", echo, b"v=0\r\n" + b"a=x\r\n" * (MAX_OFFER_BYTES // 5), "application/sdp"), 413),
        "unknown session": (request("DELETE", f"{echo}/no-such-session"), 404),
    }
    for case, ((status, _, body), expected) in cases.items():
        assert status == expected, f"{case}: {status} {body[:300]!r}"
        if status != 404:
            assert body.strip(), f"{case}: {status} without a reason"
    assert server.process.poll() is None, "".join(server.output)
