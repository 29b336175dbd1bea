"""Moderators run their room: the lobby of a locked room, passwords, removing people, asking
them to mute, ending the call. Everything as the people involved see it."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from test_pages import UNNAMED_CONTROLS_JS

LOBBY_TITLE = "Waiting for a moderator to let you in…"
PHONE = {"width": 375, "height": 740}


def test_locked_room_newcomers_wait_and_are_admitted_or_turned_away(new_person, room, shots: Path):
    ada = new_person(viewport=PHONE).join(room, "Ada")
    grace = new_person().join(room, "Grace")
    # The first one in runs the room, and everyone can see who that is.
    expect(grace.tile_of(ada).get_by_test_id("role-badge")).to_have_text("Moderator")
    expect(ada.own_tile.get_by_test_id("role-badge")).to_have_text("Moderator")
    expect(grace.page.get_by_role("button", name="Room controls")).to_be_hidden()

    ada.room_control("Lock room")
    expect(ada.page.get_by_test_id("room-locked")).to_be_visible()
    expect(grace.page.get_by_test_id("room-locked")).to_be_visible()

    lin = new_person().ask_to_join(room, "Lin")
    expect(lin.page.get_by_test_id("lobby-title")).to_have_text(LOBBY_TITLE)
    alan = new_person(viewport=PHONE).ask_to_join(room, "Alan")
    expect(alan.page.get_by_test_id("lobby-title")).to_have_text(LOBBY_TITLE)
    lin.page.screenshot(path=str(shots / "parley-lobby.png"))
    alan.page.screenshot(path=str(shots / "parley-phone-lobby.png"))

    knocks = ada.page.get_by_test_id("knock")
    expect(knocks).to_have_count(2)
    expect(knocks.get_by_test_id("knock-name")).to_have_text(["Lin", "Alan"])
    # Only moderators are asked.
    expect(grace.page.get_by_test_id("knock")).to_have_count(0)
    for button in ("Admit Lin", "Deny Lin", "Admit Alan", "Deny Alan"):
        expect(ada.page.get_by_role("button", name=button, exact=True)).to_be_in_viewport()
    assert ada.page.evaluate(UNNAMED_CONTROLS_JS) == []
    assert ada.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    ada.page.screenshot(path=str(shots / "parley-phone-knock.png"))

    ada.click("Admit Lin")
    expect(lin.own_tile).to_be_visible()
    lin.expect_video_from(ada)
    lin.expect_video_from(grace)
    grace.expect_video_from(lin)
    expect(knocks).to_have_count(1)

    ada.click("Deny Alan")
    expect(alan.ended_title).to_have_text("The moderator did not let you in")
    expect(knocks).to_have_count(0)
    expect(ada.tiles).to_have_count(3)

    # Someone who gives up waiting is back at the start, and the moderator's prompt goes away.
    katherine = new_person().ask_to_join(room, "Katherine")
    expect(knocks).to_have_count(1)
    katherine.click("Cancel")
    expect(katherine.join_button).to_be_enabled()
    expect(knocks).to_have_count(0)

    # Unlocked, the room lets people straight in again.
    ada.room_control("Unlock room")
    expect(grace.page.get_by_test_id("room-locked")).to_be_hidden()
    katherine.join_button.click()
    expect(katherine.own_tile).to_be_visible()
    expect(ada.tile_of(katherine)).to_be_visible()


def test_room_password_is_asked_for_and_checked(new_person, room, shots: Path):
    ada = new_person().join(room, "Ada")
    ada.room_control("Set password")
    dialog = ada.page.get_by_test_id("password-dialog")
    expect(dialog).to_be_visible()
    ada.page.get_by_label("New room password").fill("correct horse")
    ada.page.screenshot(path=str(shots / "parley-set-password.png"))
    ada.confirm("Set password")
    expect(ada.page.get_by_test_id("room-password")).to_be_visible()

    grace = new_person().ask_to_join(room, "Grace")
    password = grace.page.get_by_label("Room password", exact=True)
    expect(password).to_be_visible()
    expect(grace.join_error).to_have_text(re.compile(r"has a password\. Type it to join\."))
    grace.page.screenshot(path=str(shots / "parley-password-prompt.png"))

    password.fill("wrong horse")
    grace.join_button.click()
    expect(grace.join_error).to_have_text(re.compile(r"not the room's password\. Try again\."))
    expect(grace.tiles).to_have_count(0)

    password.fill("correct horse")
    grace.join_button.click()
    expect(grace.own_tile).to_be_visible()
    grace.expect_video_from(ada)
    ada.expect_video_from(grace)

    # Removed again, nobody is asked for it.
    ada.room_control("Remove password")
    expect(grace.page.get_by_test_id("room-password")).to_be_hidden()
    new_person().join(room, "Katherine")
    expect(ada.tiles).to_have_count(3)


def test_moderator_removes_someone_and_others_see_them_go(new_person, room, shots: Path):
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")
    katherine = new_person().join(room, "Katherine")
    expect(ada.tile_of(grace)).to_have_attribute("data-state", "connected")

    ada.click("Options for Grace")
    expect(ada.page.get_by_role("menuitem")).to_have_text(["Ask to mute", "Make moderator", "Remove from call"])
    ada.page.screenshot(path=str(shots / "parley-person-menu.png"))
    ada.page.keyboard.press("Escape")
    expect(ada.page.get_by_role("menu")).to_be_hidden()
    # Participants have no such options.
    expect(katherine.page.get_by_role("button", name="Options for Grace")).to_be_hidden()

    ada.person_option(grace, "Remove from call")
    ada.confirm("Remove")

    expect(grace.ended_title).to_have_text("You were removed from the call")
    expect(ada.tile_of(grace)).to_have_count(0)
    expect(katherine.tile_of(grace)).to_have_count(0)
    expect(katherine.tiles).to_have_count(2)


def test_moderator_hands_over_the_role(new_person, room):
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")
    ada.person_option(grace, "Make moderator")
    expect(grace.own_tile.get_by_test_id("role-badge")).to_have_text("Moderator")
    expect(ada.tile_of(grace).get_by_test_id("role-badge")).to_have_text("Moderator")
    expect(grace.page.get_by_role("button", name="Room controls")).to_be_visible()
    expect(grace.page.get_by_role("button", name="Options for Ada")).to_be_visible()

    grace.person_option(ada, "Remove moderator")
    expect(ada.own_tile.get_by_test_id("role-badge")).to_be_hidden()
    expect(ada.page.get_by_role("button", name="Room controls")).to_be_hidden()
    expect(ada.page.get_by_role("button", name="Options for Grace")).to_be_hidden()


def test_asked_to_mute_the_microphone_goes_off_and_others_see_it(new_person, room, shots: Path):
    ada = new_person(viewport=PHONE).join(room, "Ada")
    grace = new_person().join(room, "Grace")
    katherine = new_person().join(room, "Katherine")
    grace_muted = katherine.tile_of(grace).get_by_test_id("muted-indicator")
    expect(katherine.tile_of(grace)).to_be_visible()
    expect(grace_muted).to_be_hidden()

    ada.click("Options for Grace")
    menu = ada.page.get_by_role("menu")
    for item in menu.get_by_role("menuitem").all():
        expect(item).to_be_in_viewport()
    assert ada.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    ada.page.screenshot(path=str(shots / "parley-phone-person-menu.png"))
    menu.get_by_role("menuitem", name="Ask to mute").click()

    expect(grace.page.get_by_role("button", name="Unmute microphone")).to_be_visible()
    expect(grace.page.get_by_test_id("toast")).to_contain_text("Ada asked you to mute")
    expect(grace_muted).to_be_visible()
    expect(ada.tile_of(grace).get_by_test_id("muted-indicator")).to_be_visible()
    # Muting is a request: the microphone track is only disabled, and Grace can unmute.
    assert grace.page.evaluate("window.parleyCall.localStream.getAudioTracks()[0].enabled") is False

    ada.click("Room controls")
    expect(ada.page.get_by_role("menuitem", name="End call for everyone")).to_be_in_viewport()
    assert ada.page.evaluate(UNNAMED_CONTROLS_JS) == []
    ada.page.screenshot(path=str(shots / "parley-phone-room-menu.png"))
    ada.page.get_by_role("menuitem", name="Mute everyone", exact=True).click()
    expect(katherine.page.get_by_role("button", name="Unmute microphone")).to_be_visible()
    expect(grace.tile_of(katherine).get_by_test_id("muted-indicator")).to_be_visible()
    # The moderator who asked is not muted.
    expect(ada.page.get_by_role("button", name="Mute microphone")).to_be_visible()


def test_moderator_ends_the_call_for_everyone(new_person, room):
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")
    katherine = new_person().join(room, "Katherine")
    expect(ada.tiles).to_have_count(3)

    ada.room_control("End call for everyone")
    ada.confirm("End call")

    expect(grace.ended_title).to_have_text("The moderator ended the call")
    expect(katherine.ended_title).to_have_text("The moderator ended the call")
    expect(ada.ended_title).to_have_text("You ended the call for everyone")
