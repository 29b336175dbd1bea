"""Calls survive the signalling connection: a network drop, a resume window that ran out, a
server restart, and an ICE restart."""

from __future__ import annotations

import signal
import socket
import threading
import time
from pathlib import Path

from playwright.sync_api import expect

from people import WAIT_MS, Person

# What the others must never see for someone whose signalling only dropped: a page-side log
# of departures (library events and tiles taken off the grid) and of rejoins.
WATCH_JS = """
() => {
  const log = (window.callLog = []);
  const call = window.parleyCall;
  call.addEventListener("peer-left", ({ detail }) => log.push(["peer-left", detail.id]));
  call.addEventListener("reconnecting", () => log.push(["reconnecting", call.id]));
  call.addEventListener("reconnected", ({ detail }) => log.push([detail.resumed ? "resumed" : "rejoined", detail.id]));
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.removedNodes) {
        if (node instanceof HTMLElement && node.dataset.testid === "tile") log.push(["tile-removed", node.dataset.peerId]);
      }
    }
  }).observe(document.getElementById("tiles"), { childList: true });
}
"""

# In the call with exactly these names on the tiles (once each), and signalling up.
ROSTER_JS = """
(names) => {
  const call = window.parleyCall;
  if (!call || call.state !== "joined" || call.reconnecting) return false;
  const shown = [...document.querySelectorAll('[data-testid="tile"] [data-testid="tile-name"]')]
    .map((node) => node.textContent).sort();
  const roster = [call.name, ...call.peers.map((peer) => peer.name)].sort();
  return JSON.stringify(shown) === JSON.stringify(names) && JSON.stringify(roster) === JSON.stringify(names);
}
"""

ICE_UFRAG_JS = """
(peerId) => {
  const sdp = window.parleyCall.peerConnections().get(peerId)?.remoteDescription?.sdp ?? "";
  return /a=ice-ufrag:(\\S+)/.exec(sdp)?.[1] ?? "";
}
"""


def watch(person: Person) -> None:
    person.page.evaluate(WATCH_JS)


def log_of(person: Person) -> list[list[str]]:
    return person.page.evaluate("window.callLog")


def all_see_each_other(people: list[Person], timeout_ms: int = WAIT_MS) -> None:
    names = sorted(person.name for person in people)
    for person in people:
        person.page.wait_for_function(ROSTER_JS, arg=names, polling=200, timeout=timeout_ms)


def video_flows_everywhere(people: list[Person]) -> None:
    for viewer in people:
        expect(viewer.tiles).to_have_count(len(people))
        for other in people:
            if other is not viewer:
                viewer.expect_video_from(other)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_network_drop_resumes_the_same_seat_and_the_others_notice_nothing(
    new_person, server, tcp_proxy, room, shots: Path
):
    proxy = tcp_proxy(server.port)
    ada = new_person(base_url=proxy.base_url).join(room, "Ada")
    grace = new_person().join(room, "Grace")
    katherine = new_person().join(room, "Katherine")
    people = [ada, grace, katherine]
    video_flows_everywhere(people)
    ada_id = ada.id
    for person in people:
        watch(person)

    # The network drops for about 4 s: every connection through the proxy is cut and new
    # ones are refused, while the peer-to-peer media goes on.
    proxy.block()
    unblock = threading.Timer(4.0, proxy.unblock)
    unblock.start()
    expect(ada.page.get_by_test_id("reconnecting")).to_have_text("Reconnecting…")
    ada.page.screenshot(path=str(shots / "parley-reconnecting.png"))
    frames = ada.frames_decoded_from(grace.id)
    ada.page.wait_for_function(
        "([id, floor]) => window.parleyCall.getStats(id).then((stats) => [...stats.values()]"
        ".some((s) => s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > floor))",
        arg=[grace.id, frames + 10], polling=200, timeout=WAIT_MS,
    )
    try:
        ada.page.wait_for_function(
            "(id) => window.parleyCall.state === 'joined' && !window.parleyCall.reconnecting && window.parleyCall.id === id",
            arg=ada_id, polling=200, timeout=WAIT_MS,
        )
    finally:
        unblock.cancel()
        proxy.unblock()

    assert proxy.refused > 0, "the browser never tried to reconnect while the network was down"
    assert ada.id == ada_id
    assert log_of(ada)[0] == ["reconnecting", ada_id] and log_of(ada)[-1] == ["resumed", ada_id]
    expect(ada.page.get_by_test_id("reconnecting")).to_be_hidden()
    for other in (grace, katherine):
        assert log_of(other) == [], f"{other.name} saw something happen: {log_of(other)}"
        expect(other.tile_of(ada)).to_have_attribute("data-peer-id", ada_id)
    all_see_each_other(people)
    video_flows_everywhere(people)
    # Signalling works again: a chat message goes through the server.
    ada.page.evaluate("window.parleyCall.sendChat('back again')")
    expect(grace.page.get_by_test_id("chat-message").filter(has_text="back again")).to_have_count(1)
    assert all(person.errors == [] for person in people)


def test_a_drop_longer_than_the_resume_window_rejoins_as_new_without_ghosts(
    new_person, start_server, tcp_proxy, room, shots: Path
):
    short = start_server("--resume-window", "2", "--joins-per-minute", "10000")
    proxy = tcp_proxy(short.port)
    # Ada is on a phone this time.
    ada = new_person(base_url=proxy.base_url, viewport={"width": 375, "height": 740}).join(room, "Ada")
    grace = new_person(base_url=short.base_url).join(room, "Grace")
    katherine = new_person(base_url=short.base_url).join(room, "Katherine")
    people = [ada, grace, katherine]
    video_flows_everywhere(people)
    old_id = ada.id
    for person in people:
        watch(person)

    proxy.block()
    try:
        expect(ada.page.get_by_test_id("reconnecting")).to_have_text("Reconnecting…")
        ada.page.screenshot(path=str(shots / "parley-reconnecting-phone.png"))
        # Blocked until the window has passed: the others are told Ada left.
        for other in (grace, katherine):
            expect(other.tile_of(ada)).to_have_count(0)
    finally:
        proxy.unblock()

    ada.page.wait_for_function(
        "(old) => window.parleyCall.state === 'joined' && !window.parleyCall.reconnecting && window.parleyCall.id !== old",
        arg=old_id, polling=200, timeout=WAIT_MS,
    )
    new_id = ada.id
    assert ["rejoined", new_id] in log_of(ada)
    all_see_each_other(people)
    for viewer in people:
        expect(viewer.tiles).to_have_count(3)
        for other in people:
            expect(viewer.tile_of(other)).to_have_count(1)
        expect(viewer.page.locator(f'[data-testid="tile"][data-peer-id="{old_id}"]')).to_have_count(0)
    for other in (grace, katherine):
        expect(other.tile_of(ada)).to_have_attribute("data-peer-id", new_id)
    video_flows_everywhere(people)
    assert all(person.errors == [] for person in people)


def test_a_server_restart_mid_call_brings_everyone_back_to_the_same_room(
    new_person, start_server, room, tmp_path: Path
):
    port = free_port()
    database = tmp_path / "parley.sqlite"
    options = ("--database", str(database), "--joins-per-minute", "10000")
    first = start_server(*options, port=port)
    people = [new_person(base_url=first.base_url).join(room, name) for name in ("Ada", "Grace", "Katherine")]
    video_flows_everywhere(people)

    first.signal(signal.SIGKILL)
    first.wait(timeout=10)
    # The server is gone; the call is not: video goes on between the browsers.
    for person in people:
        person.page.wait_for_function("() => window.parleyCall.reconnecting", polling=200, timeout=WAIT_MS)
    video_flows_everywhere(people)

    start_server(*options, port=port)
    # Back in the same room within 10 s: a roster of three, one tile per person, names on all.
    deadline = time.monotonic() + 10
    for person in people:
        left_ms = max(0, (deadline - time.monotonic()) * 1000)
        person.page.wait_for_function(ROSTER_JS, arg=["Ada", "Grace", "Katherine"], polling=200, timeout=left_ms)
    for person in people:
        assert person.page.evaluate("window.parleyCall.room") == room
    video_flows_everywhere(people)
    for viewer in people:
        for other in people:
            expect(viewer.tile_of(other)).to_have_count(1)
    assert all(person.errors == [] for person in people)


def test_an_ice_restart_renegotiates_and_video_keeps_flowing(new_person, room):
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")
    video_flows_everywhere([ada, grace])
    ada_id, grace_id = ada.id, grace.id
    # Each side's ICE credentials, as the other side holds them.
    ada_ufrag_at_grace = grace.page.evaluate(ICE_UFRAG_JS, ada_id)
    grace_ufrag_at_ada = ada.page.evaluate(ICE_UFRAG_JS, grace_id)
    assert ada_ufrag_at_grace and grace_ufrag_at_ada
    ada.page.evaluate(
        "() => { window.iceRestarts = []; window.parleyCall.addEventListener('ice-restart', ({ detail }) =>"
        " window.iceRestarts.push(detail)); }"
    )

    assert ada.page.evaluate("(id) => window.parleyCall.restartIce(id)", grace_id) is True

    assert ada.page.evaluate("window.iceRestarts") == [{"id": grace_id, "reason": "requested"}]
    grace.page.wait_for_function(
        f"(id) => ({ICE_UFRAG_JS})(id) !== {ada_ufrag_at_grace!r}", arg=ada_id, polling=200, timeout=WAIT_MS
    )
    ada.page.wait_for_function(
        f"(id) => ({ICE_UFRAG_JS})(id) !== {grace_ufrag_at_ada!r}", arg=grace_id, polling=200, timeout=WAIT_MS
    )
    for person, other_id in ((ada, grace_id), (grace, ada_id)):
        person.page.wait_for_function(
            "(id) => window.parleyCall.peerConnections().get(id)?.iceConnectionState === 'connected'"
            " || window.parleyCall.peerConnections().get(id)?.iceConnectionState === 'completed'",
            arg=other_id, polling=200, timeout=WAIT_MS,
        )
    video_flows_everywhere([ada, grace])
    assert ada.errors == [] and grace.errors == []


# Makes the library see one connection's ICE state as `state` (the browser's own state is
# untouched), as if the network path had broken; `null` lets the real state show again.
FAKE_ICE_STATE_JS = """
([peerId, state]) => {
  const pc = window.parleyCall.peerConnections().get(peerId);
  if (state === null) {
    delete pc.iceConnectionState;
  } else {
    Object.defineProperty(pc, "iceConnectionState", { get: () => state, configurable: true });
  }
  pc.dispatchEvent(new Event("iceconnectionstatechange"));
}
"""


def test_a_broken_ice_path_restarts_by_itself_and_at_most_once_per_10_seconds(new_person, room):
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")
    video_flows_everywhere([ada, grace])
    grace_id = grace.id
    ada.page.evaluate(
        "() => { window.iceRestarts = []; window.parleyCall.addEventListener('ice-restart', ({ detail }) =>"
        " window.iceRestarts.push(detail.reason)); }"
    )
    ufrag_at_grace = grace.page.evaluate(ICE_UFRAG_JS, ada.id)

    # Disconnected for a while (3 s): the library restarts ICE by itself.
    ada.page.evaluate(FAKE_ICE_STATE_JS, [grace_id, "disconnected"])
    ada.page.wait_for_function("() => window.iceRestarts.length > 0", polling=100, timeout=WAIT_MS)
    assert ada.page.evaluate("window.iceRestarts") == ["disconnected"]
    # Failing right after: no second restart so soon (it would have fired at once).
    ada.page.evaluate(FAKE_ICE_STATE_JS, [grace_id, "failed"])
    assert ada.page.evaluate("window.iceRestarts") == ["disconnected"]
    ada.page.evaluate(FAKE_ICE_STATE_JS, [grace_id, None])

    grace.page.wait_for_function(
        f"(id) => ({ICE_UFRAG_JS})(id) !== {ufrag_at_grace!r}", arg=ada.id, polling=200, timeout=WAIT_MS
    )
    video_flows_everywhere([ada, grace])
    assert ada.page.evaluate("window.iceRestarts") == ["disconnected"]
    assert ada.errors == [] and grace.errors == []
