"""Chat through the server: it reaches everyone with the sender's name, people who join later
see the earlier messages, and a badge counts what came while the chat was closed."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from people import Person

# Records every chat event the call library fires on this page.
CHAT_LOG_JS = """
() => {
  window.chatLog = [];
  window.parleyCall.addEventListener("chat", ({ detail }) => window.chatLog.push(detail));
}
"""


def messages(person: Person, text: str):
    return person.page.get_by_test_id("chat-message").filter(has_text=text)


def close_chat(person: Person) -> None:
    if person.page.get_by_test_id("chat-panel").is_visible():
        person.page.get_by_test_id("chat-panel").get_by_role("button", name="Close chat").click()
    expect(person.page.get_by_test_id("chat-panel")).to_be_hidden()


def test_chat_through_the_server_reaches_the_others_with_the_right_name(new_person, room):
    people = [new_person().join(room, name) for name in ("Ada", "Grace", "Katherine")]
    ada, grace, katherine = people
    for person in people:
        expect(person.tiles).to_have_count(3)
        person.page.evaluate(CHAT_LOG_JS)

    grace.send_chat("Through the server, from Grace")

    for viewer in (ada, katherine):
        message = messages(viewer, "Through the server, from Grace")
        expect(message).to_have_count(1)
        expect(message.get_by_test_id("chat-sender")).to_have_text("Grace")
        expect(message.get_by_test_id("chat-time")).not_to_have_text("")
        log = viewer.page.evaluate("window.chatLog")
        assert [(entry["name"], entry["via"], entry["history"]) for entry in log] == [("Grace", "server", False)]
    # Grace sees her own message once: the server's copy of it is recognised by its id.
    expect(messages(grace, "Through the server, from Grace")).to_have_count(1)
    expect(messages(grace, "Through the server, from Grace").get_by_test_id("chat-sender")).to_have_text("Grace (you)")


def test_someone_who_joins_later_sees_the_earlier_messages(new_person, room, shots: Path):
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")
    expect(ada.tiles).to_have_count(2)
    ada.send_chat("First, from Ada")
    expect(messages(grace, "First, from Ada")).to_have_count(1)
    grace.send_chat("Second, from Grace")
    expect(messages(ada, "Second, from Grace")).to_have_count(1)

    katherine = new_person().join(room, "Katherine")

    earlier = katherine.page.locator('[data-testid="chat-message"][data-history="true"]')
    expect(earlier).to_have_count(2)
    expect(earlier.get_by_test_id("chat-sender")).to_have_text(["Ada", "Grace"])
    expect(earlier.get_by_test_id("chat-text")).to_have_text(["First, from Ada", "Second, from Grace"])
    expect(katherine.page.get_by_test_id("chat-earlier")).to_have_text("Earlier messages")
    # What is said from now on comes after them, not marked as earlier.
    ada.send_chat("Welcome, Katherine")
    latest = messages(katherine, "Welcome, Katherine")
    expect(latest).to_have_count(1)
    expect(latest).not_to_have_attribute("data-history", "true")
    expect(katherine.page.get_by_test_id("chat-text").last).to_have_text("Welcome, Katherine")
    katherine.page.screenshot(path=str(shots / "parley-chat-history.png"))
    # Those who were there see each message once.
    expect(messages(ada, "First, from Ada")).to_have_count(1)


def test_the_unread_badge_counts_while_the_chat_is_closed(new_person, room, shots: Path):
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")
    expect(ada.tiles).to_have_count(2)
    close_chat(ada)
    badge = ada.page.get_by_test_id("unread-badge")
    expect(badge).to_be_hidden()

    grace.send_chat("one")
    grace.send_chat("two")

    expect(badge).to_have_text("2")
    expect(ada.page.get_by_role("button", name="Open chat, 2 unread", exact=True)).to_be_visible()
    ada.page.screenshot(path=str(shots / "parley-unread.png"))
    ada.click("Open chat, 2 unread")
    expect(badge).to_be_hidden()
    expect(messages(ada, "two")).to_be_visible()

    close_chat(ada)
    grace.send_chat("three")
    expect(badge).to_have_text("1")

    # Earlier messages are not unread: on a phone the chat starts closed, and stays unbadged.
    phone = new_person(viewport={"width": 375, "height": 740}).join(room, "Katherine")
    expect(phone.page.locator('[data-testid="chat-message"][data-history="true"]')).to_have_count(3)
    expect(phone.page.get_by_test_id("unread-badge")).to_be_hidden()
    grace.send_chat("four")
    expect(phone.page.get_by_test_id("unread-badge")).to_have_text("1")
    phone.page.screenshot(path=str(shots / "parley-unread-phone.png"))
