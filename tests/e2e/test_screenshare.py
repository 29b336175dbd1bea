"""Screen sharing: the others see the shared screen as a tile of its own, until it stops."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from people import WAIT_MS, Person
from test_tokens import SECRET, mint

# Frames decoded so far of the video shown in `peerId`'s screen tile, or -1 before any.
SCREEN_FRAMES_JS = """
async ([peerId, floor]) => {
  const video = document.querySelector(`[data-testid=screen-tile][data-peer-id='${peerId}'] video`);
  const track = video?.srcObject?.getVideoTracks?.()[0];
  const pc = window.parleyCall?.peerConnections().get(peerId);
  if (!track || !pc) return false;
  let frames = -1;
  (await pc.getStats()).forEach((report) => {
    if (report.type === "inbound-rtp" && report.kind === "video" && report.trackIdentifier === track.id) {
      frames = report.framesDecoded ?? 0;
    }
  });
  return frames > floor && video.videoWidth > 0;
}
"""


def screen_tile(viewer: Person, sharer: Person):
    return viewer.page.get_by_test_id("screen-tile").filter(
        has=viewer.page.get_by_test_id("screen-tile-name").get_by_text(f"{sharer.name}'s screen", exact=True)
    )


def expect_screen_from(viewer: Person, sharer: Person) -> None:
    """`viewer` sees `sharer`'s screen tile, its name, and its video really decoding."""
    tile = screen_tile(viewer, sharer)
    expect(tile).to_be_visible()
    sharer_id = sharer.id
    expect(tile).to_have_attribute("data-peer-id", sharer_id)
    viewer.page.wait_for_function(SCREEN_FRAMES_JS, arg=[sharer_id, 0], polling=200, timeout=WAIT_MS)
    viewer.page.wait_for_function(SCREEN_FRAMES_JS, arg=[sharer_id, 10], polling=200, timeout=WAIT_MS)
    # The camera tile is still there beside it.
    expect(viewer.tile_of(sharer)).to_be_visible()


def test_three_people_see_a_shared_screen_until_it_stops(new_person, room, shots):
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")
    lin = new_person().join(room, "Lin")
    for viewer, other in ((grace, ada), (lin, ada), (ada, lin)):
        expect(viewer.tile_of(other)).to_have_attribute("data-state", "connected")

    ada.click("Share screen")
    expect(ada.page.get_by_role("button", name="Stop sharing", exact=True)).to_be_visible()
    expect(screen_tile(ada, ada)).to_be_visible()
    for viewer in (grace, lin):
        expect_screen_from(viewer, ada)
    # Her camera still reaches the others, as before.
    grace.expect_video_from(ada)
    grace.page.screenshot(path=str(shots / "parley-screenshare.png"))

    # Stop sharing with the button: the tile goes away for everyone.
    ada.click("Stop sharing")
    for person in (ada, grace, lin):
        expect(person.page.get_by_test_id("screen-tile")).to_have_count(0)
    expect(ada.page.get_by_role("button", name="Share screen", exact=True)).to_be_visible()

    # Share again, then end it the way the browser's own "Stop sharing" bar does.
    ada.click("Share screen")
    for viewer in (grace, lin):
        expect_screen_from(viewer, ada)
    ada.page.evaluate(
        "() => { const track = window.parleyCall.screenStream.getVideoTracks()[0];"
        " track.stop(); track.dispatchEvent(new Event('ended')); }"
    )
    for person in (ada, grace, lin):
        expect(person.page.get_by_test_id("screen-tile")).to_have_count(0)
    expect(ada.page.get_by_role("button", name="Share screen", exact=True)).to_be_visible()
    for person in (ada, grace, lin):
        assert person.errors == []


def test_newcomer_sees_a_screen_shared_before_they_came(new_person, room, shots):
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")
    ada.click("Share screen")
    expect_screen_from(grace, ada)

    lin = new_person(viewport={"width": 375, "height": 740}).join(room, "Lin")
    expect_screen_from(lin, ada)
    lin.expect_video_from(ada)
    lin.page.screenshot(path=str(shots / "parley-screenshare-phone.png"))
    ada.page.screenshot(path=str(shots / "parley-screenshare-sharer.png"))

    # When the sharer leaves, her screen goes with her.
    ada.leave()
    for person in (grace, lin):
        expect(person.page.get_by_test_id("screen-tile")).to_have_count(0)


@pytest.fixture(scope="module")
def with_tokens(start_server):
    return start_server("--token-secret", SECRET)


def test_viewer_sees_a_shared_screen_and_has_no_share_button(new_person, with_tokens, room):
    ada = new_person(base_url=with_tokens.base_url).join(room, "Ada")
    victor = new_person(base_url=with_tokens.base_url)
    victor.open_room(room, token=mint(with_tokens.base_url, room, "Victor", "viewer"))
    victor.join_button.click()
    victor.name = "Victor"
    expect(victor.own_tile.get_by_test_id("role-badge")).to_have_text("Viewer")
    expect(victor.page.get_by_test_id("share-screen-button")).to_be_hidden()

    ada.click("Share screen")
    expect_screen_from(victor, ada)
    # The viewer's answer to the screen stayed receive-only: the server refused nothing.
    expect(victor.page.get_by_test_id("call-error")).to_be_hidden()
    expect(ada.page.get_by_test_id("call-error")).to_be_hidden()
