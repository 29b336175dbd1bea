"""Connection quality on each tile, and the statistics panel behind it."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from people import Person


def open_stats(viewer: Person, other: Person):
    indicator = viewer.tile_of(other).get_by_test_id("quality-indicator")
    expect(indicator).to_have_text("Good")
    expect(indicator).to_have_attribute("data-quality", "good")
    viewer.page.get_by_role("button", name=f"Connection to {other.name}: good. Show statistics", exact=True).click()
    panel = viewer.page.get_by_role("dialog", name=f"Connection to {other.name}")
    expect(panel).to_be_visible()
    return panel


def test_two_people_see_good_quality_and_the_numbers_behind_it(new_person, room, shots: Path):
    ada = new_person().join(room, "Ada")
    grace = new_person(viewport={"width": 375, "height": 740}).join(room, "Grace")
    ada.expect_video_from(grace)
    grace.expect_video_from(ada)
    # Our own tile has no quality: it is the connections to the others that are rated.
    expect(ada.own_tile.get_by_test_id("quality-indicator")).to_have_count(0)

    panel = open_stats(ada, grace)
    expect(panel.get_by_test_id("stat-quality")).to_contain_text("good")
    # The resolution the fake camera sends, a frame rate above zero, the codec negotiated.
    video = re.compile(r"\d{3,4}×\d{3,4}, [1-9]\d* frames/s, (VP8|VP9|H264|AV1)")
    expect(panel.get_by_test_id("stat-video-in")).to_contain_text(video)
    expect(panel.get_by_test_id("stat-video-out")).to_contain_text(video)
    expect(panel.get_by_test_id("stat-route")).to_contain_text("host: direct, on the same network")
    expect(panel.get_by_test_id("stat-rtt")).to_contain_text(re.compile(r"\d+ ms"))
    expect(panel.get_by_test_id("stat-loss")).to_contain_text(re.compile(r"\d+\.\d %"))
    expect(panel.get_by_test_id("stat-jitter")).to_contain_text(re.compile(r"\d+ ms"))
    expect(panel.get_by_test_id("stat-bitrate-in")).to_contain_text(re.compile(r"[1-9][\d.]* (kbit|Mbit)/s"))
    expect(panel.get_by_test_id("stat-bitrate-out")).to_contain_text(re.compile(r"[1-9][\d.]* (kbit|Mbit)/s"))
    expect(panel.get_by_test_id("stat-audio")).to_contain_text("opus")
    expect(panel).to_contain_text("Good: round trip under 250 ms")

    # The resolution shown is the one the video element really plays.
    size = ada.page.evaluate(
        "(id) => { const v = document.querySelector(`[data-testid=tile][data-peer-id='${id}'] video`);"
        " return `${v.videoWidth}×${v.videoHeight}`; }",
        grace.id,
    )
    expect(panel.get_by_test_id("stat-video-in")).to_contain_text(size)
    ada.page.screenshot(path=str(shots / "parley-stats.png"))

    phone_panel = open_stats(grace, ada)
    expect(phone_panel.get_by_test_id("stat-route")).to_contain_text("host")
    grace.page.screenshot(path=str(shots / "parley-stats-phone.png"))

    # Closing puts the focus back on the indicator.
    ada.click("Close statistics")
    expect(panel).to_be_hidden()
    expect(ada.tile_of(grace).get_by_test_id("quality-indicator")).to_be_focused()
    assert ada.errors == [] and grace.errors == []


RATE_JS = """
async () => {
  const { rateQuality, averageStats, summarizeStats, qualityReasons } = await import("/callstats.js");
  const base = { route: { local: "host", remote: "host", protocol: "udp", relayProtocol: "" } };
  const rate = (rttMs, lossPercent, jitterMs) => rateQuality({ ...base, rttMs, lossPercent, jitterMs });
  // A made-up report: what Chromium reports for a call, reduced to what is read.
  const report = (bytes, packets, lost) => new Map([
    ["T", { id: "T", type: "transport", timestamp: bytes, selectedCandidatePairId: "P" }],
    ["P", { id: "P", type: "candidate-pair", timestamp: bytes, localCandidateId: "L", remoteCandidateId: "R",
            currentRoundTripTime: 0.12, bytesReceived: bytes, bytesSent: bytes / 2 }],
    ["L", { id: "L", type: "local-candidate", candidateType: "relay", protocol: "udp", relayProtocol: "tls" }],
    ["R", { id: "R", type: "remote-candidate", candidateType: "srflx", protocol: "udp" }],
    ["V", { id: "V", type: "inbound-rtp", kind: "video", packetsReceived: packets, packetsLost: lost, jitter: 0.2,
            frameWidth: 1280, frameHeight: 720, framesPerSecond: 24, codecId: "C", bytesReceived: bytes }],
    ["A", { id: "A", type: "inbound-rtp", kind: "audio", packetsReceived: 50, packetsLost: 0, jitter: 0.012 }],
    ["C", { id: "C", type: "codec", mimeType: "video/VP9" }],
  ]);
  const first = summarizeStats(report(1000, 100, 0));
  const second = summarizeStats(report(126000, 190, 10), first);
  return {
    good: rate(10, 0, 5), edgeRtt: rate(250, 0, 5), fairLoss: rate(10, 5, 5), fairJitter: rate(10, 0, 60),
    poorRtt: rate(600, 0, 5), poorLoss: rate(10, 8, 5), poorJitter: rate(10, 0, 80),
    unknown: rateQuality({ route: null, rttMs: null, lossPercent: null, jitterMs: null }),
    averaged: rateQuality(averageStats([600, 10, 10, 10, 10].map((rttMs) => ({ ...base, rttMs, lossPercent: 0, jitterMs: 5 })))),
    second: { rtt: second.rttMs, loss: second.lossPercent, jitter: second.jitterMs, inBitrate: second.inBitrate,
              outBitrate: second.outBitrate, video: second.inVideo, route: second.route },
    reasons: qualityReasons(second),
  };
}
"""


def test_quality_limits_are_the_documented_ones(new_person):
    page = new_person().page
    page.goto("/")
    result = page.evaluate(RATE_JS)
    assert result["good"] == "good"
    assert result["edgeRtt"] == "fair"  # good is *below* 250 ms
    assert (result["fairLoss"], result["fairJitter"]) == ("fair", "fair")
    assert (result["poorRtt"], result["poorLoss"], result["poorJitter"]) == ("poor", "poor", "poor")
    assert result["unknown"] is None
    assert result["averaged"] == "good"  # one slow moment in five seconds: (600 + 4 × 10) / 5 = 128 ms
    second = result["second"]
    assert second["rtt"] == 120
    assert abs(second["loss"] - 10) < 0.01  # 10 lost of 100 in the interval (90 arrived)
    assert second["jitter"] == 12  # audio's, not video's
    assert second["inBitrate"] == 1000 * 8 and second["outBitrate"] == 500 * 8  # 125 s apart
    assert second["video"] == {"width": 1280, "height": 720, "fps": 24, "codec": "VP9"}
    assert second["route"] == {"local": "relay", "remote": "srflx", "protocol": "udp", "relayProtocol": "tls"}
    assert result["reasons"] == ["packet loss 10.0 % (good below 2 %)"]
