"""Choosing the camera, microphone and speaker; a device unplugged during the call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from conftest import CHROMIUM
from people import FRAMES_ABOVE_JS, WAIT_MS, Person

# Lets a test "unplug" a device: enumerateDevices leaves out every id in window.unplugged.
UNPLUG_SCRIPT = """
(() => {
  const real = navigator.mediaDevices.enumerateDevices.bind(navigator.mediaDevices);
  window.unplugged = new Set();
  navigator.mediaDevices.enumerateDevices = async () =>
    (await real()).filter((device) => !window.unplugged.has(device.deviceId));
})();
"""

CAMERA_JS = "() => window.parleyCall.localStream.getVideoTracks()[0]?.getSettings().deviceId ?? ''"
CAMERA_LABEL_JS = "() => window.parleyCall.localStream.getVideoTracks()[0]?.label ?? ''"


@pytest.fixture(scope="module")
def browser(browser: Browser) -> Iterator[Browser]:
    """A browser whose fake hardware has two cameras (and, as always, several microphones)."""
    two_cameras = browser.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--use-fake-device-for-media-stream=device-count=2",
            "--use-fake-ui-for-media-stream",
        ],
    )
    yield two_cameras
    two_cameras.close()


def open_devices(person: Person, in_call: bool) -> None:
    if in_call:
        person.click("More options")
        person.page.get_by_role("menuitem", name="Camera, microphone and speaker", exact=True).click()
    else:
        person.click("Camera, microphone and speaker")
    expect(person.page.get_by_role("dialog", name="Camera, microphone and speaker")).to_be_visible()


def keeps_decoding(viewer: Person, sender_id: str) -> None:
    """`viewer` decodes more and more frames from `sender_id`."""
    first = viewer.frames_decoded_from(sender_id)
    viewer.page.wait_for_function(FRAMES_ABOVE_JS, arg=[sender_id, first + 10], polling=200, timeout=WAIT_MS)


def session_version(person: Person, other_id: str) -> str:
    """The o= line of our SDP: a renegotiation would change it."""
    return person.page.evaluate(
        "(id) => window.parleyCall.peerConnections().get(id).localDescription.sdp.split('\\r\\n')"
        ".find((line) => line.startsWith('o='))",
        other_id,
    )


def test_switching_camera_mid_call_keeps_video_flowing_and_is_remembered(new_person, room, shots):
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")
    grace.expect_video_from(ada)
    ada_id, grace_id = ada.id, grace.id
    first_camera = ada.page.evaluate(CAMERA_LABEL_JS)
    assert first_camera == "fake_device_0"
    before = session_version(ada, grace_id)

    open_devices(ada, in_call=True)
    camera = ada.page.get_by_label("Camera", exact=True)
    expect(camera.locator("option")).to_have_count(2)
    expect(ada.page.get_by_label("Microphone", exact=True)).to_be_enabled()
    expect(ada.page.get_by_label("Speaker", exact=True)).to_be_visible()  # Chromium has setSinkId
    ada.page.screenshot(path=str(shots / "parley-devices-dialog.png"))
    camera.select_option(label="fake_device_1")
    ada.page.wait_for_function(f"() => ({CAMERA_LABEL_JS})() === 'fake_device_1'", polling=100)
    ada.page.get_by_label("Microphone", exact=True).select_option(label="Fake Audio Input 2")
    ada.page.wait_for_function(
        "() => window.parleyCall.localStream.getAudioTracks()[0]?.label === 'Fake Audio Input 2'", polling=100
    )
    ada.page.get_by_role("button", name="Done", exact=True).click()
    expect(ada.page.get_by_role("dialog")).to_be_hidden()

    # Grace goes on seeing Ada, now from the other camera, without a renegotiation.
    keeps_decoding(grace, ada_id)
    assert session_version(ada, grace_id) == before
    expect(ada.tile_of(grace)).to_have_attribute("data-state", "connected")

    # After a reload, the pre-join screen uses and shows the chosen camera.
    ada.page.reload()
    expect(ada.join_button).to_be_enabled()
    ada.page.wait_for_function(
        "() => document.getElementById('preview').srcObject?.getVideoTracks()[0]?.label === 'fake_device_1'",
        polling=100,
    )
    open_devices(ada, in_call=False)
    expect(ada.page.get_by_label("Camera", exact=True).locator("option:checked")).to_have_text("fake_device_1")
    expect(ada.page.get_by_label("Microphone", exact=True).locator("option:checked")).to_have_text(
        "Fake Audio Input 2"
    )
    ada.page.screenshot(path=str(shots / "parley-devices-prejoin.png"))
    # Switching before joining changes the preview.
    ada.page.get_by_label("Camera", exact=True).select_option(label="fake_device_0")
    ada.page.wait_for_function(
        "() => document.getElementById('preview').srcObject?.getVideoTracks()[0]?.label === 'fake_device_0'",
        polling=100,
    )
    ada.page.get_by_role("button", name="Done", exact=True).click()
    ada.page.get_by_label("Your name").fill("Ada")
    ada.join_button.click()
    expect(ada.own_tile).to_be_visible()
    assert ada.page.evaluate(CAMERA_LABEL_JS) == "fake_device_0"
    grace.expect_video_from(ada)
    assert ada.errors == [] and grace.errors == []


def test_unplugged_camera_falls_back_to_another_and_the_call_goes_on(new_person, room, shots):
    ada = new_person()
    ada.context.add_init_script(UNPLUG_SCRIPT)
    ada.join(room, "Ada")
    grace = new_person().join(room, "Grace")
    grace.expect_video_from(ada)
    ada_id = ada.id
    lost = ada.page.evaluate(CAMERA_JS)

    # The camera in use goes away: it leaves the device list, its track ends (as when the
    # cable is pulled), and the browser reports a device change.
    ada.page.evaluate(
        "(id) => { window.unplugged.add(id); const track = window.parleyCall.localStream.getVideoTracks()[0];"
        " track.stop(); track.dispatchEvent(new Event('ended'));"
        " navigator.mediaDevices.dispatchEvent(new Event('devicechange')); }",
        lost,
    )
    expect(ada.page.get_by_test_id("toast")).to_contain_text("Your camera was disconnected. Now using fake_device_1")
    ada.page.wait_for_function(
        f"(lost) => {{ const t = window.parleyCall.localStream.getVideoTracks()[0];"
        f" return t && t.readyState === 'live' && ({CAMERA_JS})() !== lost; }}",
        arg=lost,
        polling=100,
    )
    ada.page.screenshot(path=str(shots / "parley-devices-fallback.png"))
    # Still in the call, and Grace sees the other camera.
    expect(ada.own_tile).to_be_visible()
    expect(ada.own_tile).to_have_attribute("data-camera", "on")
    keeps_decoding(grace, ada_id)
    open_devices(ada, in_call=True)
    expect(ada.page.get_by_label("Camera", exact=True).locator("option")).to_have_count(1)
    expect(ada.page.get_by_label("Camera", exact=True).locator("option:checked")).to_have_text("fake_device_1")
    assert ada.errors == [] and grace.errors == []
