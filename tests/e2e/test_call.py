"""People in calls see and hear each other, and only the people in their own room."""

from __future__ import annotations

import json
import time
from pathlib import Path

from playwright.sync_api import expect


def test_two_people_see_each_other_with_video_decoding(new_person, room):
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")

    ada.expect_video_from(grace)
    grace.expect_video_from(ada)
    expect(ada.tiles).to_have_count(2)
    expect(grace.tiles).to_have_count(2)
    expect(ada.own_tile.get_by_test_id("tile-name")).to_have_text("Ada")
    assert ada.errors == [] and grace.errors == []


def test_a_call_over_https_with_a_self_signed_certificate(new_person, start_server, room, shots: Path):
    # Parley's own HTTPS, for a LAN without a certificate: the page, its WebSocket (wss) and
    # the call work once the person has accepted the certificate.
    secure = start_server("--tls-self-signed", "--joins-per-minute", "10000", "--drain-timeout", "5")
    assert secure.base_url.startswith("https://")
    ada = new_person(base_url=secure.base_url).join(room, "Ada")
    grace = new_person(base_url=secure.base_url).join(room, "Grace")

    ada.expect_video_from(grace)
    grace.expect_video_from(ada)
    assert ada.page.evaluate("location.protocol") == "https:"
    ada.page.screenshot(path=str(shots / "parley-https-call.png"))
    assert ada.errors == [] and grace.errors == []


def test_three_people_all_see_both_others(new_person, room, shots: Path):
    people = [new_person().join(room, name) for name in ("Ada", "Grace", "Katherine")]

    for viewer in people:
        expect(viewer.tiles).to_have_count(3)
        for other in people:
            if other is not viewer:
                viewer.expect_video_from(other)
    people[0].page.screenshot(path=str(shots / "parley-call.png"))


# The tiles are sized by script (tiles.js `layout`, from the grid's size as its ResizeObserver
# reports it): all fit in the grid, none overlap, and they use much of it. Returns the area of
# one tile once that holds for `count` tiles (CSS alone would leave them at 320×180, about a
# third of the grid for three).
TILES_FIT_JS = """(count) => {
  const grid = document.querySelector('[data-testid="tiles"]').getBoundingClientRect();
  const tiles = [...document.querySelectorAll('[data-testid="tile"]')].map((tile) => tile.getBoundingClientRect());
  if (tiles.length !== count || grid.width === 0) return false;
  const inside = tiles.every((t) => t.left >= grid.left - 1 && t.right <= grid.right + 1
    && t.top >= grid.top - 1 && t.bottom <= grid.bottom + 1);
  const apart = tiles.every((a, i) => tiles.every((b, j) => i === j || a.right <= b.left + 1
    || b.right <= a.left + 1 || a.bottom <= b.top + 1 || b.bottom <= a.top + 1));
  const used = tiles.reduce((sum, t) => sum + t.width * t.height, 0) / (grid.width * grid.height);
  return inside && apart && used > 0.5 ? tiles[0].width * tiles[0].height : false;
}"""


def test_tiles_fill_the_grid_and_grow_when_someone_leaves(new_person, room):
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")
    new_person().join(room, "Katherine")
    area_of_three = ada.page.wait_for_function(TILES_FIT_JS, arg=3).json_value()

    grace.leave()

    area_of_two = ada.page.wait_for_function(TILES_FIT_JS, arg=2).json_value()
    assert area_of_two > 1.2 * area_of_three, (area_of_three, area_of_two)


def test_leaving_removes_the_tile_at_the_others(new_person, room):
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")
    katherine = new_person().join(room, "Katherine")
    expect(ada.tile_of(grace)).to_be_visible()
    expect(katherine.tile_of(grace)).to_be_visible()

    grace.leave()

    expect(ada.tile_of(grace)).to_have_count(0)
    expect(katherine.tile_of(grace)).to_have_count(0)
    expect(ada.tiles).to_have_count(2)
    # The two who stayed still see each other.
    ada.expect_video_from(katherine)


def test_two_rooms_at_once_stay_separate(new_person, room):
    room_b = room + "-b"
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")
    alan = new_person().join(room_b, "Alan")
    barbara = new_person().join(room_b, "Barbara")

    ada.expect_video_from(grace)
    alan.expect_video_from(barbara)
    for person, other_room in ((ada, (alan, barbara)), (grace, (alan, barbara)),
                               (alan, (ada, grace)), (barbara, (ada, grace))):
        expect(person.tiles).to_have_count(2)
        for stranger in other_room:
            expect(person.tile_of(stranger)).to_have_count(0)


def test_messages_that_arrive_while_the_first_offers_leave_are_kept_in_order(new_person, room):
    """A newcomer's page hears of `joined` only once its offers have left (protocol.js,
    #onJoined), and holds the server's messages meanwhile. One is slipped in right behind
    `joined` here, so it arrives while the offer is still being made: it must still be shown,
    after the call's view exists, and the call must still connect."""
    ada = new_person().join(room, "Ada")
    grace = new_person()
    slipped_in: list[str] = []

    def route(page_socket):
        server = page_socket.connect_to_server()

        def from_server(message):
            page_socket.send(message)
            data = json.loads(message) if isinstance(message, str) else {}
            if data.get("type") == "joined" and data.get("peers") and not slipped_in:
                first = data["peers"][0]
                chat = {"id": "00000000000000aa", "from": first["id"], "name": first["name"],
                        "text": "said while Grace was joining", "sentAt": int(time.time() * 1000)}
                page_socket.send(json.dumps({"type": "chat", "message": chat}))
                slipped_in.append(chat["text"])

        server.on_message(from_server)

    grace.page.route_web_socket("**/ws", route)
    grace.join(room, "Grace")

    assert slipped_in, "the joined message never passed through the route"
    message = grace.page.get_by_test_id("chat-message").filter(has_text="said while Grace was joining")
    expect(message).to_have_count(1)
    expect(message.get_by_test_id("chat-sender")).to_have_text("Ada")
    grace.expect_video_from(ada)
    ada.expect_video_from(grace)
    # Left in so many words: the route's own connection to the server may just drop when the
    # page closes, which would keep Grace's seat (and the shared server's drain) for a while.
    grace.leave()
