"""Chat between three people (through the server while signalling is up; see test_stored_chat.py)."""

from __future__ import annotations

from playwright.sync_api import expect


def test_chat_arrives_at_everyone_with_the_sender_name(new_person, room):
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")
    katherine = new_person().join(room, "Katherine")
    for viewer in (ada, grace, katherine):
        expect(viewer.tiles).to_have_count(3)
        for other in (ada, grace, katherine):
            if other is not viewer:
                expect(viewer.tile_of(other)).to_have_attribute("data-state", "connected")

    grace.send_chat("Hello from Grace <b>not bold</b>")

    for viewer in (ada, katherine):
        message = viewer.page.get_by_test_id("chat-message").filter(has_text="Hello from Grace")
        expect(message).to_have_count(1)
        expect(message.get_by_test_id("chat-sender")).to_have_text("Grace")
        expect(message.get_by_test_id("chat-text")).to_have_text("Hello from Grace <b>not bold</b>")
    own = grace.page.get_by_test_id("chat-message").filter(has_text="Hello from Grace")
    expect(own.get_by_test_id("chat-sender")).to_have_text("Grace (you)")

    katherine.send_chat("Hi Grace")
    expect(grace.page.get_by_test_id("chat-message").filter(has_text="Hi Grace")
           .get_by_test_id("chat-sender")).to_have_text("Katherine")
