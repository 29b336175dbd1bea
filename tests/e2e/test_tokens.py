"""Join links with a signed token (for embedding Parley in another site), and viewers."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from parley_process import PARLEY_BIN

SECRET = "e2e-join-token-secret-0123456789abcdef"
VIEWER_SENDS_JS = """
async () => {
  // What this page sends to anyone: any sender with a track, or any outgoing RTP.
  const call = window.parleyCall;
  let sending = 0;
  for (const pc of call.peerConnections().values()) {
    sending += pc.getSenders().filter((sender) => sender.track).length;
    (await pc.getStats()).forEach((report) => {
      if (report.type === "outbound-rtp" && (report.packetsSent ?? 0) > 0) sending++;
    });
  }
  return sending + call.localStream.getTracks().length;
}
"""


def mint(base_url: str, room: str, name: str, role: str) -> str:
    """A join token, from `parley token` (as an admin or the embedding site would make it)."""
    link = subprocess.run(
        [str(PARLEY_BIN), "token", "--room", room, "--name", name, "--role", role, "--ttl", "1h",
         "--token-secret", SECRET, "--database", ":memory:", "--base-url", base_url],
        check=True, capture_output=True, text=True, timeout=30,
    ).stdout.strip()
    assert f"/r/{room}?token=" in link, link
    return link.split("?token=", 1)[1]


@pytest.fixture(scope="module")
def invite_only(start_server):
    return start_server("--token-secret", SECRET, "--require-token")


@pytest.fixture(scope="module")
def with_tokens(start_server):
    return start_server("--token-secret", SECRET)


def test_join_link_with_a_token_needs_no_name_and_sets_the_role(new_person, invite_only, room, shots: Path):
    grace = new_person(base_url=invite_only.base_url)
    grace.open_room(room, token=mint(invite_only.base_url, room, "Grace Hopper", "moderator"))
    expect(grace.page.get_by_test_id("identity")).to_have_text("You are joining as Grace Hopper, as a moderator.")
    expect(grace.page.get_by_label("Your name")).to_be_hidden()
    grace.page.screenshot(path=str(shots / "parley-token-prejoin.png"))
    grace.join_button.click()
    grace.name = "Grace Hopper"
    expect(grace.own_tile.get_by_test_id("tile-name")).to_have_text("Grace Hopper")
    expect(grace.own_tile.get_by_test_id("role-badge")).to_have_text("Moderator")
    expect(grace.page.get_by_role("button", name="Room controls")).to_be_visible()

    alan = new_person(base_url=invite_only.base_url)
    alan.open_room(room, token=mint(invite_only.base_url, room, "Alan", "participant"))
    alan.join_button.click()
    alan.name = "Alan"
    alan.expect_video_from(grace)
    expect(alan.own_tile.get_by_test_id("role-badge")).to_be_hidden()
    expect(alan.page.get_by_role("button", name="Room controls")).to_be_hidden()

    # Without a token the door stays shut, and the person is told why.
    stranger = new_person(base_url=invite_only.base_url).ask_to_join(room, "Mallory")
    expect(stranger.join_error).to_contain_text("only open to invited people")
    expect(stranger.tiles).to_have_count(0)
    expect(grace.tiles).to_have_count(2)

    # A token for another room is refused as well.
    other = new_person(base_url=invite_only.base_url)
    other.open_room(room, token=mint(invite_only.base_url, room + "-x", "Eve", "moderator"))
    other.join_button.click()
    expect(other.join_error).to_contain_text("Your invitation link can't be used")


def test_viewer_sees_everyone_and_sends_nothing(new_person, with_tokens, room, shots: Path):
    ada = new_person(base_url=with_tokens.base_url).join(room, "Ada")
    victor = new_person(base_url=with_tokens.base_url)
    victor.open_room(room, token=mint(with_tokens.base_url, room, "Victor", "viewer"))
    expect(victor.page.get_by_test_id("device-status")).to_contain_text("joining as a viewer")
    victor.join_button.click()
    victor.name = "Victor"
    expect(victor.own_tile.get_by_test_id("role-badge")).to_have_text("Viewer")
    # Someone who comes after the viewer offers to send it video; the viewer answers receive-only.
    grace = new_person(base_url=with_tokens.base_url).join(room, "Grace")

    victor.expect_video_from(ada)
    victor.expect_video_from(grace)
    for person in (ada, grace):
        tile = person.tile_of(victor)
        expect(tile.get_by_test_id("role-badge")).to_have_text("Viewer")
        expect(tile).to_have_attribute("data-state", "connected")
        expect(tile).to_have_attribute("data-camera", "off")
        expect(tile.get_by_test_id("muted-indicator")).to_be_visible()
    assert victor.page.evaluate(VIEWER_SENDS_JS) == 0
    # Nothing of the viewer's arrives anywhere, and the server refused nothing it sent.
    victor_id = victor.id
    assert ada.frames_decoded_from(victor_id) <= 0
    assert grace.frames_decoded_from(victor_id) <= 0
    expect(victor.page.get_by_test_id("call-error")).to_be_hidden()
    # No microphone or camera buttons: a viewer has nothing to turn on.
    expect(victor.page.get_by_test_id("mic-button")).to_be_hidden()
    expect(victor.page.get_by_test_id("camera-button")).to_be_hidden()
    victor.page.screenshot(path=str(shots / "parley-viewer.png"))
