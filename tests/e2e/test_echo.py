"""The echo test page (/echo): someone's camera and microphone go to the server's media engine
and come back, through its one media port."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, expect

from test_pages import UNNAMED_CONTROLS_JS

# What came back so far, read from the echo's own RTCPeerConnection (not through echo.js's
# summary): frames decoded, audio packets received, and the server's candidate of the selected
# pair. null before the page has a session.
ECHO_STATS_JS = """
async () => {
  const echo = window.parleyEcho;
  if (!echo) return null;
  const stats = await echo.pc.getStats();
  let frames = 0, audioPackets = 0, pair = null;
  stats.forEach((report) => {
    if (report.type === "inbound-rtp" && report.kind === "video") frames = Math.max(frames, report.framesDecoded ?? 0);
    if (report.type === "inbound-rtp" && report.kind === "audio") audioPackets = Math.max(audioPackets, report.packetsReceived ?? 0);
    if (report.type === "transport" && report.selectedCandidatePairId) pair = stats.get(report.selectedCandidatePairId);
  });
  const remote = pair && pair.state === "succeeded" ? stats.get(pair.remoteCandidateId) : null;
  return {
    frames, audioPackets,
    remote: remote ? { address: remote.address ?? remote.ip, port: remote.port, type: remote.candidateType, protocol: remote.protocol } : null,
  };
}
"""

FRAMES_ABOVE_JS = "async (floor) => ((await (" + ECHO_STATS_JS + ")())?.frames ?? -1) > floor"
AUDIO_ABOVE_JS = "async (floor) => ((await (" + ECHO_STATS_JS + ")())?.audioPackets ?? -1) > floor"
ROUTE_CHOSEN_JS = "async () => ((await (" + ECHO_STATS_JS + ")())?.remote ?? null) !== null"

# Sends `body` to /echo as `type` from the page, as a script of the page would.
POST_JS = """
async ([type, body]) => {
  const response = await fetch("/echo", { method: "POST", headers: { "Content-Type": type }, body });
  return { status: response.status, type: response.headers.get("Content-Type") ?? "", text: await response.text() };
}
"""

# echo.js itself, with a fetch that breaks the offer's fingerprint on the way to the server: the
# error it rejects with, and whether the RTCPeerConnection it made was closed.
BROKEN_OFFER_JS = """
async () => {
  const { startEcho, EchoError } = await import("/echo.js");
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  const made = [];
  const Original = window.RTCPeerConnection;
  window.RTCPeerConnection = function (...args) { const pc = new Original(...args); made.push(pc); return pc; };
  const breakFingerprint = (url, init) => fetch(url, {
    ...init, body: String(init.body).replace(/^a=fingerprint:sha-256 .*$/m, "a=fingerprint:sha-256 not-hex"),
  });
  try {
    await startEcho({ stream, fetch: breakFingerprint, gatherTimeoutMs: 0 });
    return { rejected: false };
  } catch (error) {
    return {
      rejected: true, isEchoError: error instanceof EchoError, code: error.code, status: error.status,
      message: error.message, closed: made.length === 1 && made[0].signalingState === "closed",
    };
  } finally {
    window.RTCPeerConnection = Original;
    stream.getTracks().forEach((track) => track.stop());
  }
}
"""


def start_echo(page: Page) -> None:
    page.goto("/echo")
    expect(page.get_by_test_id("echo-status-title")).to_have_text("Not started")
    page.get_by_role("button", name="Start", exact=True).click()
    expect(page.get_by_test_id("echo-status")).to_have_attribute("data-status", "ok")
    expect(page.get_by_test_id("echo-status-title")).to_have_text("Connected")


def answer_candidates(answer: str) -> set[tuple[str, int]]:
    """The server's UDP host candidates in its answer, as (address, port)."""
    return {
        (address, int(port))
        for address, port in re.findall(
            r"^a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host", answer, re.MULTILINE | re.IGNORECASE
        )
    }


def delete_status(url: str) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_echo_shows_your_own_video_and_sound_coming_back_through_the_media_port(new_person, server, shots: Path):
    assert server.media_port, "the server did not say where its media engine listens:\n" + "".join(server.output)
    person = new_person()
    page = person.page
    start_echo(page)

    # The returned video really plays: frames keep being decoded, the <video> has a picture.
    page.wait_for_function(FRAMES_ABOVE_JS, arg=0, polling=200)
    first = page.evaluate(ECHO_STATS_JS)["frames"]
    page.wait_for_function(FRAMES_ABOVE_JS, arg=first + 10, polling=200)
    page.wait_for_function("document.querySelector('[data-testid=echo-video]').videoWidth > 0", polling=200)
    page.wait_for_function("document.querySelector('[data-testid=local-video]').videoWidth > 0", polling=200)
    # And the sound comes back, packet after packet.
    page.wait_for_function(AUDIO_ABOVE_JS, arg=0, polling=200)
    first = page.evaluate(ECHO_STATS_JS)["audioPackets"]
    page.wait_for_function(AUDIO_ABOVE_JS, arg=first + 25, polling=200)

    # It went through the server's media port: the one it printed, the one in its answer.
    answer = page.evaluate("window.parleyEcho.answer")
    candidates = answer_candidates(answer)
    assert candidates and {port for _, port in candidates} == {server.media_port}, answer
    page.wait_for_function(ROUTE_CHOSEN_JS, polling=200)
    remote = page.evaluate(ECHO_STATS_JS)["remote"]
    assert remote["port"] == server.media_port, remote
    assert (remote["address"], remote["port"]) in candidates, (remote, candidates)
    assert remote["protocol"] == "udp" and remote["type"] == "host", remote

    # What the page shows a person: the numbers, and the address in use.
    expect(page.get_by_test_id("stat-frames")).to_have_text(re.compile(r"^[1-9]\d*"))
    expect(page.get_by_test_id("stat-audio")).to_have_text(re.compile(r"^[1-9]\d* packets"))
    expect(page.get_by_test_id("stat-rtt")).to_have_text(re.compile(r"^\d+ ms$"))
    expect(page.get_by_test_id("stat-address")).to_contain_text(f"{remote['address']}:{server.media_port}")
    expect(page.get_by_test_id("echo-status-title")).to_have_text("Connected")
    expect(page.get_by_role("button", name="Stop", exact=True)).to_be_visible()
    assert page.evaluate(UNNAMED_CONTROLS_JS) == []
    page.screenshot(path=str(shots / "echo.png"), full_page=True)
    assert person.errors == []


def test_stop_ends_the_session_on_the_server_and_works_at_phone_width(new_person, server, shots: Path):
    phone = {"width": 375, "height": 740}
    person = new_person(viewport=phone)
    page = person.page
    start_echo(page)
    url = page.evaluate("window.parleyEcho.url")
    assert re.fullmatch(rf"{re.escape(server.base_url)}/echo/[0-9a-f]{{32}}", url), url
    page.wait_for_function(FRAMES_ABOVE_JS, arg=0, polling=200)

    expect(page.get_by_test_id("stat-frames")).to_have_text(re.compile(r"^[1-9]\d*"))
    expect(page.get_by_test_id("stat-address")).to_contain_text(f":{server.media_port}")

    # Nothing sticks out sideways, and the controls are on screen and named.
    assert page.evaluate("document.documentElement.scrollWidth") <= phone["width"]
    expect(page.get_by_role("button", name="Stop", exact=True)).to_be_in_viewport()
    assert page.evaluate(UNNAMED_CONTROLS_JS) == []
    page.screenshot(path=str(shots / "echo-phone.png"), full_page=True)

    with page.expect_response(lambda response: response.request.method == "DELETE" and response.url == url) as deleted:
        page.get_by_role("button", name="Stop", exact=True).click()
    assert deleted.value.status == 204
    expect(page.get_by_test_id("echo-status-title")).to_have_text("Stopped")
    expect(page.get_by_role("button", name="Start", exact=True)).to_be_visible()
    # The camera is let go, and the connection closed.
    assert page.evaluate("document.querySelector('[data-testid=local-video]').srcObject") is None
    page.wait_for_function("window.parleyEcho.pc.connectionState === 'closed'", polling=200)
    # The session is gone: deleting it again finds nothing.
    assert delete_status(url) == 404
    assert delete_status(f"{server.base_url}/echo/{'0' * 32}") == 404
    assert person.errors == []


def test_offers_the_server_cannot_use_are_refused_in_plain_words(new_person):
    person = new_person()
    page = person.page
    page.goto("/echo")

    not_sdp = page.evaluate(POST_JS, ["text/plain", "hello"])
    assert not_sdp["status"] == 415, not_sdp
    assert not_sdp["type"].startswith("text/plain") and "application/sdp" in not_sdp["text"], not_sdp

    garbage = page.evaluate(POST_JS, ["application/sdp", "hello"])
    assert garbage["status"] == 400, garbage
    assert garbage["type"].startswith("text/plain") and "hello" in garbage["text"], garbage

    too_large = page.evaluate(POST_JS, ["application/sdp", "v=0\r\n" + "a=x-padding\r\n" * 6000])
    assert too_large["status"] == 413, too_large
    assert too_large["type"].startswith("text/plain") and too_large["text"].strip(), too_large

    # Through echo.js: the server's own words, which name the broken line, and nothing left open.
    broken = page.evaluate(BROKEN_OFFER_JS)
    assert broken["rejected"] and broken["isEchoError"], broken
    assert broken["code"] == "bad-offer" and broken["status"] == 400, broken
    assert "a=fingerprint" in broken["message"], broken
    assert broken["closed"], broken
    assert person.errors == []


def test_a_busy_server_is_explained_on_the_page(new_person, start_server):
    # A server that allows no echo session at all: every offer gets the real 503.
    busy = start_server("--echo-sessions", "0")
    person = new_person(base_url=busy.base_url)
    page = person.page
    page.goto("/echo")
    page.get_by_role("button", name="Start", exact=True).click()
    expect(page.get_by_test_id("echo-status")).to_have_attribute("data-status", "fail")
    expect(page.get_by_test_id("echo-status-title")).to_have_text("Could not start the echo (HTTP 503)")
    expect(page.get_by_test_id("echo-status-detail")).to_contain_text("limit of 0 echo sessions")
    # Back to the start: the camera is let go, and Start can be pressed again.
    expect(page.get_by_role("button", name="Start", exact=True)).to_be_enabled()
    assert page.evaluate("document.querySelector('[data-testid=local-video]').srcObject") is None
    assert person.errors == []
