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
