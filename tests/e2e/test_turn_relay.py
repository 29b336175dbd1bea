"""A call forced through Parley's own TURN relay (`?ice=relay`), as a person behind a strict NAT has it."""

from __future__ import annotations

import re
import time
import urllib.request

from playwright.sync_api import expect

from people import Person

# The selected candidate pair of the connection to one peer: the two candidates' types, and the
# TURN URL the local relay candidate came from.
SELECTED_PAIR_JS = """
async (peerId) => {
  const pc = window.parleyCall?.peerConnections().get(peerId);
  if (!pc) return null;
  const stats = await pc.getStats();
  let pair = null;
  stats.forEach((report) => {
    if (report.type === "transport" && report.selectedCandidatePairId) pair = stats.get(report.selectedCandidatePairId);
  });
  if (!pair || pair.state !== "succeeded") return null;
  const local = stats.get(pair.localCandidateId);
  const remote = stats.get(pair.remoteCandidateId);
  return { local: local.candidateType, remote: remote.candidateType, url: local.url ?? "", relayProtocol: local.relayProtocol ?? "" };
}
"""


def join_through_relay(person: Person, room: str, name: str) -> Person:
    person.page.goto(f"/r/{room}?ice=relay")
    person.page.get_by_label("Your name").fill(name)
    person.join_button.click()
    person.name = name
    expect(person.own_tile).to_be_visible()
    return person


def metric(base_url: str, name: str) -> float:
    with urllib.request.urlopen(f"{base_url}/metrics", timeout=5) as response:
        text = response.read().decode()
    match = re.search(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_two_people_forced_to_relay_hold_a_call_through_parleys_turn(browser, start_server, room):
    # Both relays live on 127.0.0.1, which the TURN server refuses by default (never relay to
    # loopback); this test allows it explicitly.
    server = start_server("--turn-port", "0", "--turn-allow-peer", "127.0.0.0/8", "--joins-per-minute", "10000")
    ada = join_through_relay(Person(browser, server.base_url), room, "Ada")
    grace = join_through_relay(Person(browser, server.base_url), room, "Grace")
    try:
        grace.expect_video_from(ada)
        ada.expect_video_from(grace)
        for person, other in ((ada, grace), (grace, ada)):
            person.page.wait_for_function(SELECTED_PAIR_JS, arg=other.id, polling=200)
            pair = person.page.evaluate(SELECTED_PAIR_JS, other.id)
            assert pair["local"] == "relay" and pair["remote"] == "relay", pair
            assert pair["url"].startswith("turn:127.0.0.1:"), pair
        # The packets really went through Parley's relay (its counters are published every 5 s).
        deadline = time.monotonic() + 20
        while metric(server.base_url, "parley_turn_packets_relayed") < 100 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert metric(server.base_url, "parley_turn_packets_relayed") >= 100
        assert metric(server.base_url, "parley_turn_allocations_created") >= 2
    finally:
        ada.close()
        grace.close()
