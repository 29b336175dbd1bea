"""The start page, the pre-join screen, errors in plain words, and a phone-sized screen."""

from __future__ import annotations

import re
import signal
from pathlib import Path

from playwright.sync_api import expect

# Every button, link and field has a name a screen reader can read out.
UNNAMED_CONTROLS_JS = """
() => [...document.querySelectorAll("button, input, select, textarea, a[href]")]
  .filter((el) => el.getClientRects().length > 0)
  .filter((el) => {
    const named = el.getAttribute("aria-label") || el.getAttribute("aria-labelledby")
      || (el.labels && el.labels.length > 0) || el.textContent.trim() || el.getAttribute("title");
    return !named;
  })
  .map((el) => el.outerHTML.slice(0, 120))
"""


def test_start_page_makes_a_room_and_goes_there(new_person, shots: Path):
    ada = new_person()
    ada.page.goto("/")
    ada.page.screenshot(path=str(shots / "parley-home.png"))
    ada.page.get_by_role("button", name="Start a new room").click()
    expect(ada.page).to_have_url(re.compile(r"/r/[a-z]+-[a-z]+-\d{2}$"))
    expect(ada.page.get_by_label("Your name")).to_be_visible()

    ada.page.goto("/")
    ada.page.get_by_label("Room name").fill("not a/valid room!")
    ada.page.get_by_role("button", name="Join room").click()
    expect(ada.page.get_by_test_id("room-error")).to_be_visible()
    ada.page.get_by_label("Room name").fill("team_sync-2")
    ada.page.get_by_role("button", name="Join room").click()
    expect(ada.page).to_have_url(re.compile(r"/r/team_sync-2$"))
    assert ada.page.evaluate(UNNAMED_CONTROLS_JS) == []


def test_name_is_remembered_for_next_time(new_person, room):
    ada = new_person().join(room, "Ada Lovelace")
    ada.leave()
    ada.page.goto(f"/r/{room}-again")
    expect(ada.page.get_by_label("Your name")).to_have_value("Ada Lovelace")
    # Someone else, in a browser of their own, starts with an empty field.
    grace = new_person()
    grace.open_room(room)
    expect(grace.page.get_by_label("Your name")).to_have_value("")


def test_full_room_is_explained_in_plain_words(new_person, start_server, room):
    small = start_server("--max-peers", "2")
    new_person(base_url=small.base_url).join(room, "Ada")
    new_person(base_url=small.base_url).join(room, "Alan")
    grace = new_person(base_url=small.base_url)
    grace.open_room(room)
    grace.page.get_by_label("Your name").fill("Grace")
    grace.join_button.click()
    expect(grace.page.get_by_test_id("join-error")).to_have_text(re.compile("This room is full"))
    expect(grace.join_button).to_be_enabled()
    expect(grace.tiles).to_have_count(0)


def test_call_works_at_phone_width(new_person, room, shots: Path):
    phone = {"width": 375, "height": 740}
    ada = new_person(viewport=phone)
    ada.open_room(room)
    assert ada.page.evaluate(UNNAMED_CONTROLS_JS) == []
    # The camera preview shows a picture before joining.
    ada.page.wait_for_function("document.querySelector('[data-testid=preview]').videoWidth > 0", polling=200)
    ada.page.screenshot(path=str(shots / "parley-phone-prejoin.png"))
    ada.page.get_by_label("Your name").fill("Ada")
    ada.join_button.click()
    ada.name = "Ada"
    grace = new_person().join(room, "Grace")
    katherine = new_person().join(room, "Katherine")
    ada.expect_video_from(grace)
    ada.expect_video_from(katherine)

    # Nothing sticks out sideways, and every control is on screen and named.
    assert ada.page.evaluate("document.documentElement.scrollWidth") <= phone["width"]
    for name in ("Mute microphone", "Turn camera off", "Open chat", "Leave call", "Copy link to this room"):
        button = ada.page.get_by_role("button", name=name, exact=True)
        expect(button).to_be_in_viewport()
    assert ada.page.evaluate(UNNAMED_CONTROLS_JS) == []
    ada.page.screenshot(path=str(shots / "parley-phone.png"))

    ada.click("Open chat")
    expect(ada.page.get_by_label("Message", exact=True)).to_be_in_viewport()
    ada.page.screenshot(path=str(shots / "parley-phone-chat.png"))


def test_server_shutdown_is_explained_to_people_in_a_call(new_person, start_server, room):
    draining = start_server("--drain-timeout", "3")
    ada = new_person(base_url=draining.base_url).join(room, "Ada")
    grace = new_person(base_url=draining.base_url).join(room, "Grace")
    expect(ada.tile_of(grace)).to_have_attribute("data-state", "connected")

    draining.signal(signal.SIGTERM)

    expect(ada.page.get_by_test_id("call-error")).to_contain_text("server is restarting")
    # The call goes on during the drain, then ends with an explanation.
    expect(ada.page.get_by_test_id("ended-title")).to_have_text("The call was interrupted")
    expect(grace.page.get_by_test_id("ended-title")).to_have_text("The call was interrupted")
    draining.process.wait(timeout=20)
    assert draining.process.returncode == 0, "server did not exit cleanly:\n" + "".join(draining.output)
