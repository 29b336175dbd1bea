"""The connectivity self-test page, as someone asked by their admin to run it sees it."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from people import Person
from test_pages import UNNAMED_CONTROLS_JS


def test_self_test_finds_host_candidates_and_a_working_loopback_call(new_person, shots: Path):
    person = new_person()
    person.page.goto("/test")
    verdict = person.page.get_by_test_id("verdict")
    expect(verdict).not_to_have_attribute("data-status", "running", timeout=60_000)

    checks = {
        name: person.page.locator(f'[data-testid="check"][data-check="{name}"]')
        for name in ("devices", "server", "network", "call")
    }
    expect(checks["devices"]).to_have_attribute("data-status", "ok")
    expect(checks["devices"].get_by_test_id("check-result")).to_contain_text("camera")
    expect(checks["server"]).to_have_attribute("data-status", "ok")
    expect(checks["network"].get_by_test_id("check-result")).to_contain_text("on this network (host)")
    expect(checks["call"]).to_have_attribute("data-status", "ok")
    expect(checks["call"].get_by_test_id("check-result")).to_contain_text("video was sent and received")
    # The test server runs its built-in TURN server: a relay path exists.
    expect(checks["network"].get_by_test_id("check-result")).to_contain_text("relay")
    expect(person.page.get_by_test_id("verdict-title")).to_have_text("Calls should work")

    report = person.page.get_by_test_id("report").input_value()
    assert re.search(r"candidates: host [1-9]\d*, srflx \d+, relay [1-9]\d*", report), report
    assert re.search(r"frames decoded: \d+", report), report
    person.click("Copy report")
    expect(person.page.get_by_role("status").filter(has_text="opy")).to_be_visible()
    assert person.page.evaluate(UNNAMED_CONTROLS_JS) == []
    person.page.screenshot(path=str(shots / "parley-selftest.png"), full_page=True)

    phone = new_person(viewport={"width": 375, "height": 740})
    phone.page.goto("/test")
    expect(phone.page.get_by_test_id("verdict")).not_to_have_attribute("data-status", "running", timeout=60_000)
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 375
    phone.page.screenshot(path=str(shots / "parley-phone-selftest.png"), full_page=True)


def test_self_test_without_turn_says_calls_work_only_on_this_network(browser, start_server, shots: Path):
    server = start_server("--turn", "off")
    person = Person(browser, server.base_url)
    try:
        person.page.goto("/test")
        expect(person.page.get_by_test_id("verdict")).not_to_have_attribute("data-status", "running", timeout=60_000)
        expect(person.page.get_by_test_id("verdict-title")).to_have_text(
            "Calls work only on this network — ask your admin for a TURN server")
        report = person.page.get_by_test_id("report").input_value()
        assert re.search(r"candidates: host [1-9]\d*, srflx 0, relay 0", report), report
        assert "Result: Calls work only on this network" in report
        person.page.screenshot(path=str(shots / "parley-selftest-no-turn.png"), full_page=True)
    finally:
        person.close()
