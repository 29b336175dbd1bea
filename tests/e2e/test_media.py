"""Microphone and camera state, as the others see it."""

from __future__ import annotations

from playwright.sync_api import expect


def test_muting_the_microphone_shows_on_the_other_side(new_person, room):
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")
    indicator = grace.tile_of(ada).get_by_test_id("muted-indicator")
    expect(grace.tile_of(ada)).to_be_visible()
    expect(indicator).to_be_hidden()

    ada.click("Mute microphone")
    expect(indicator).to_be_visible()
    expect(ada.page.get_by_role("button", name="Unmute microphone")).to_be_visible()

    ada.click("Unmute microphone")
    expect(indicator).to_be_hidden()


def test_camera_off_shows_on_the_other_side_and_on_again_resumes_video(new_person, room):
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")
    grace.expect_video_from(ada)
    tile = grace.tile_of(ada)

    ada.click("Turn camera off")
    expect(tile.get_by_test_id("camera-off-indicator")).to_be_visible()
    expect(tile).to_have_attribute("data-camera", "off")
    # The camera is really released, not just hidden.
    assert ada.page.evaluate("window.parleyCall.localStream.getVideoTracks().length") == 0
    ada_id = ada.id
    stalled = grace.frames_decoded_from(ada_id)

    ada.click("Turn camera on")
    expect(tile.get_by_test_id("camera-off-indicator")).to_be_hidden()
    expect(tile).to_have_attribute("data-camera", "on")
    grace.page.wait_for_function(
        "async ([id, floor]) => { let n = -1; (await window.parleyCall.peerConnections().get(id).getStats())"
        ".forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') n = Math.max(n, r.framesDecoded ?? 0); });"
        " return n > floor + 10; }",
        arg=[ada_id, stalled],
        polling=200,
    )


def test_person_without_camera_or_microphone_can_join_and_watch(new_person, room):
    ada = new_person().join(room, "Ada")
    grace = new_person(no_devices=True)
    grace.open_room(room)
    expect(grace.page.get_by_test_id("device-status")).to_contain_text("You can still join")
    grace.page.get_by_label("Your name").fill("Grace")
    grace.join_button.click()
    grace.name = "Grace"
    expect(grace.own_tile).to_be_visible()

    grace.expect_video_from(ada)
    # Ada sees Grace's tile, with camera and microphone shown as off.
    tile = ada.tile_of(grace)
    expect(tile).to_be_visible()
    expect(tile.get_by_test_id("camera-off-indicator")).to_be_visible()
    expect(tile.get_by_test_id("muted-indicator")).to_be_visible()
    expect(tile).to_have_attribute("data-state", "connected")


def test_cameras_turned_on_after_joining_without_them_reach_each_other(new_person, room, shots):
    """Both join with the camera off (receive-only video), then both turn it on at once:
    each side renegotiates, the offers collide, and perfect negotiation sorts it out."""
    people = []
    for name in ("Grace", "Ada"):
        person = new_person()
        person.open_room(room)
        person.page.get_by_test_id("prejoin-camera-button").click()
        expect(person.page.get_by_role("button", name="Turn camera on")).to_be_visible()
        person.page.get_by_label("Your name").fill(name)
        person.join_button.click()
        person.name = name
        expect(person.own_tile).to_have_attribute("data-camera", "off")
        people.append(person)
    grace, ada = people
    expect(ada.tile_of(grace)).to_have_attribute("data-state", "connected")
    expect(grace.tile_of(ada)).to_have_attribute("data-state", "connected")
    expect(ada.tile_of(grace).get_by_test_id("camera-off-indicator")).to_be_visible()
    ada.page.screenshot(path=str(shots / "parley-camera-off.png"))

    # Both clicks go out before either renegotiation can finish.
    for person in people:
        person.page.get_by_role("button", name="Turn camera on").dispatch_event("click")

    ada.expect_video_from(grace)
    grace.expect_video_from(ada)
    expect(ada.tile_of(grace).get_by_test_id("camera-off-indicator")).to_be_hidden()
