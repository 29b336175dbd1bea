"""Who is speaking: the speaker's tile is highlighted; the spotlight layout shows them large;
a pinned tile stays large whoever speaks. Chromium's fake microphone beeps all the time, so
whoever has their microphone on is speaking."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, expect

from people import Person


def is_large(person: Person, tile: Locator) -> None:
    """`tile` is the big one on `person`'s page: marked as the spotlight, and wider than half
    of the tile area (the others are thumbnails)."""
    expect(tile).to_have_attribute("data-spotlight", "true")
    person.page.wait_for_function(
        """([id]) => {
          const area = document.querySelector('[data-testid=tiles]').getBoundingClientRect();
          const tile = document.querySelector(`[data-testid=tile][data-peer-id='${id}']`).getBoundingClientRect();
          return tile.width > area.width / 2 && tile.height > area.height / 2;
        }""",
        arg=[tile.get_attribute("data-peer-id")],
        polling=200,
    )


def is_small(person: Person, tile: Locator) -> None:
    expect(tile).to_have_attribute("data-spotlight", "false")
    box = tile.bounding_box()
    area = person.page.get_by_test_id("tiles").bounding_box()
    assert box and area and box["width"] < area["width"] / 3


def test_the_speaker_is_highlighted_followed_by_the_spotlight_and_a_pin_wins(new_person, room, shots: Path):
    ada = new_person().join(room, "Ada")
    grace = new_person(viewport={"width": 375, "height": 740}).join(room, "Grace")
    katherine = new_person().join(room, "Katherine")
    for viewer in (ada, grace, katherine):
        expect(viewer.tiles).to_have_count(3)
    ada.expect_video_from(katherine)
    grace.expect_video_from(katherine)

    # Ada and Grace mute; Katherine's microphone keeps beeping.
    for person in (ada, grace):
        person.click("Mute microphone")
        expect(katherine.tile_of(person).get_by_test_id("muted-indicator")).to_be_visible()

    for viewer, muted in ((ada, grace), (grace, ada)):
        speaker = viewer.tile_of(katherine)
        expect(speaker).to_have_attribute("data-speaking", "true")
        expect(speaker.get_by_role("img", name="Speaking")).to_be_visible()
        expect(viewer.tile_of(muted)).not_to_have_attribute("data-speaking", "true")
        expect(viewer.tile_of(muted).get_by_role("img", name="Speaking")).to_be_hidden()
    ada.page.screenshot(path=str(shots / "parley-speaker-grid.png"))
    grace.page.screenshot(path=str(shots / "parley-speaker-grid-phone.png"))

    # Spotlight: the speaker is shown large, the others small.
    for viewer in (ada, grace):
        viewer.click("Switch to spotlight layout")
        expect(viewer.page.get_by_role("button", name="Switch to grid layout", exact=True)).to_be_visible()
        is_large(viewer, viewer.tile_of(katherine))
    is_small(ada, ada.tile_of(grace))
    is_small(ada, ada.own_tile)
    ada.page.screenshot(path=str(shots / "parley-speaker-spotlight.png"))
    grace.page.screenshot(path=str(shots / "parley-speaker-spotlight-phone.png"))

    # A pinned tile is the large one, whoever speaks.
    ada.click("Pin Grace")
    expect(ada.page.get_by_role("button", name="Unpin Grace", exact=True)).to_have_attribute("aria-pressed", "true")
    is_large(ada, ada.tile_of(grace))
    is_small(ada, ada.tile_of(katherine))
    expect(ada.tile_of(katherine)).to_have_attribute("data-speaking", "true")
    ada.page.screenshot(path=str(shots / "parley-speaker-pinned.png"))

    # Unpinned, the spotlight follows whoever speaks: now Grace, not Katherine.
    ada.click("Unpin Grace")
    is_large(ada, ada.tile_of(katherine))
    katherine.click("Mute microphone")
    grace.click("Unmute microphone")
    expect(ada.tile_of(grace)).to_have_attribute("data-speaking", "true")
    is_large(ada, ada.tile_of(grace))
    expect(ada.tile_of(katherine)).not_to_have_attribute("data-speaking", "true")
    # Our own microphone shows on our own tile too.
    expect(grace.own_tile).to_have_attribute("data-speaking", "true")

    # Back to the grid: every tile the same size again.
    ada.click("Switch to grid layout")
    expect(ada.tile_of(grace)).to_have_attribute("data-spotlight", "false")
    sizes = {round(tile.bounding_box()["width"]) for tile in ada.tiles.all()}
    assert len(sizes) == 1, sizes
    for person in (ada, grace, katherine):
        assert person.errors == []
