"""Raised hands and reactions: everyone in the call sees them on the sender's tile."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from people import Person

THUMBS_UP = "\U0001F44D"
PARTY = "\U0001F389"


def everyone_connected(people: list[Person]) -> None:
    for viewer in people:
        expect(viewer.tiles).to_have_count(len(people))
        for other in people:
            if other is not viewer:
                expect(viewer.tile_of(other)).to_have_attribute("data-state", "connected")


def test_a_raised_hand_is_seen_by_the_two_others_and_by_a_late_joiner(new_person, room, shots: Path):
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")
    everyone_connected([ada, grace])

    ada.click("Raise hand")

    expect(ada.page.get_by_role("button", name="Lower hand", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(ada.own_tile.get_by_test_id("tile-hand")).to_be_visible()
    expect(grace.tile_of(ada).get_by_role("img", name="Hand raised")).to_be_visible()
    # Katherine comes in after the hand went up, and sees it too (joined.peers[].hand).
    katherine = new_person().join(room, "Katherine")
    everyone_connected([ada, grace, katherine])
    expect(katherine.tile_of(ada).get_by_test_id("tile-hand")).to_be_visible()
    for viewer in (grace, katherine):
        expect(viewer.tile_of(grace if viewer is katherine else katherine).get_by_test_id("tile-hand")).to_have_count(0)

    # Ada runs the room (she came first): she is told when someone raises a hand.
    grace.click("Raise hand")
    expect(ada.page.get_by_test_id("toast")).to_have_text("Grace raised their hand")
    expect(katherine.tile_of(grace).get_by_test_id("tile-hand")).to_be_visible()
    ada.page.screenshot(path=str(shots / "parley-hands.png"))

    ada.click("Lower hand")
    for viewer in (grace, katherine):
        expect(viewer.tile_of(ada).get_by_test_id("tile-hand")).to_have_count(0)
        expect(viewer.tile_of(ada)).to_have_attribute("data-hand", "down")
    expect(ada.page.get_by_role("button", name="Raise hand", exact=True)).to_have_attribute("aria-pressed", "false")
    assert ada.errors == grace.errors == katherine.errors == []


def test_a_reaction_floats_over_the_senders_tile_for_everyone(new_person, room, shots: Path):
    people = [new_person().join(room, name) for name in ("Ada", "Grace", "Katherine")]
    ada, grace, katherine = people
    everyone_connected(people)

    grace.click("Send a reaction")
    expect(grace.page.get_by_test_id("reaction-picker")).to_be_visible()
    grace.click("React with thumbs up")
    expect(grace.page.get_by_test_id("reaction-picker")).to_be_hidden()

    for viewer in (ada, katherine):
        reaction = viewer.tile_of(grace).get_by_test_id("tile-reaction")
        expect(reaction).to_have_text(THUMBS_UP)
        # Only on Grace's tile.
        expect(viewer.tile_of(ada if viewer is katherine else katherine).get_by_test_id("tile-reaction")).to_have_count(0)
    expect(grace.own_tile.get_by_test_id("tile-reaction")).to_have_text(THUMBS_UP)
    ada.page.screenshot(path=str(shots / "parley-reaction.png"))
    # It goes away by itself after a few seconds.
    expect(ada.tile_of(grace).get_by_test_id("tile-reaction")).to_have_count(0)

    katherine.click("Send a reaction")
    katherine.click("React with celebration")
    expect(ada.tile_of(katherine).get_by_test_id("tile-reaction")).to_have_text(PARTY)
    assert all(person.errors == [] for person in people)


def test_on_a_phone_the_hand_is_in_the_reaction_picker(new_person, room, shots: Path):
    ada = new_person().join(room, "Ada")
    phone = new_person(viewport={"width": 375, "height": 740}).join(room, "Grace")
    everyone_connected([ada, phone])
    # The toolbar's own hand button gives its place up on a narrow screen.
    expect(phone.page.get_by_test_id("hand-button")).to_be_hidden()

    phone.click("Send a reaction")
    phone.page.screenshot(path=str(shots / "parley-reactions-phone.png"))
    phone.click("Raise hand")

    expect(ada.tile_of(phone).get_by_test_id("tile-hand")).to_be_visible()
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width}px wide on a 375px screen"
    phone.page.screenshot(path=str(shots / "parley-hand-phone.png"))
