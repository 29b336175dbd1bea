"""Recording the call on one's own device: a .webm file of the call view with its sound."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

EBML_MAGIC = bytes([0x1A, 0x45, 0xDF, 0xA3])


def test_recording_the_call_saves_a_webm_file(new_person, room, shots):
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")
    grace.expect_video_from(ada)
    ada.expect_video_from(grace)

    indicator = ada.page.get_by_test_id("recording-indicator")
    expect(indicator).to_be_hidden()
    ada.click("More options")
    ada.page.get_by_role("menuitem", name="Record the call", exact=True).click()
    expect(indicator).to_be_visible()
    expect(indicator).to_contain_text("Recording")
    # The clock runs: about two seconds of recording.
    expect(ada.page.get_by_test_id("recording-clock")).to_have_text("0:02", timeout=10_000)
    ada.page.screenshot(path=str(shots / "parley-recording.png"))

    with ada.page.expect_download() as download_info:
        ada.click("Stop recording")
    download = download_info.value
    expect(indicator).to_be_hidden()
    assert download.suggested_filename.endswith(".webm")
    assert room in download.suggested_filename
    saved = shots / "parley-recording.webm"  # kept, to look at
    download.save_as(saved)
    data = saved.read_bytes()
    assert len(data) > 20_000, f"only {len(data)} bytes"
    assert data[:4] == EBML_MAGIC
    # A video track and the mixed sound (the WebM codec ids are in the file's header).
    assert b"V_VP8" in data[:4096] and b"A_OPUS" in data[:4096]
    expect(ada.page.get_by_test_id("toast")).to_contain_text("Recording saved")

    # The menu offers to record again, and the call went on.
    ada.click("More options")
    expect(ada.page.get_by_role("menuitem", name="Record the call", exact=True)).to_be_visible()
    ada.page.keyboard.press("Escape")
    grace.expect_video_from(ada)
    assert ada.errors == [] and grace.errors == []


def test_recording_indicator_fits_a_phone(new_person, room, shots, tmp_path: Path):
    ada = new_person(viewport={"width": 375, "height": 740}).join(room, "Ada")
    grace = new_person().join(room, "Grace")
    ada.expect_video_from(grace)
    ada.click("More options")
    ada.page.get_by_role("menuitem", name="Record the call", exact=True).click()
    stop = ada.page.get_by_role("button", name="Stop recording", exact=True)
    expect(stop).to_be_visible()
    expect(ada.page.get_by_test_id("recording-clock")).to_have_text("0:01", timeout=10_000)
    box = stop.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    # Nothing sticks out sideways.
    assert ada.page.evaluate("document.documentElement.scrollWidth") <= 375
    ada.page.screenshot(path=str(shots / "parley-recording-phone.png"))
    with ada.page.expect_download() as download_info:
        stop.click()
    download = download_info.value
    saved = tmp_path / "call.webm"
    download.save_as(saved)
    assert saved.read_bytes()[:4] == EBML_MAGIC
