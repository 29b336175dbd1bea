"""Files sent peer to peer over the data channels: to one person, with progress on both sides,
a download with the very same bytes, and a size limit."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from playwright.sync_api import expect

from people import Person

# Records every value the progress bars take, as the person sees them.
WATCH_PROGRESS_JS = """
() => {
  window.seenProgress = [];
  new MutationObserver((records) => {
    for (const record of records) {
      const bar = record.target;
      if (bar instanceof HTMLProgressElement) window.seenProgress.push([bar.value, bar.max]);
    }
  }).observe(document.getElementById("transfers"), { subtree: true, attributes: true, attributeFilter: ["value"] });
}
"""


def send_file(sender: Person, path: Path, to: str) -> None:
    sender.click("Send a file")
    dialog = sender.page.get_by_role("dialog", name="Send a file")
    expect(dialog).to_be_visible()
    dialog.get_by_label("File").set_input_files(str(path))
    dialog.get_by_label("Send to").select_option(label=to)
    dialog.get_by_role("button", name="Send", exact=True).click()


def test_a_file_goes_to_one_person_only_with_progress_and_the_same_bytes(new_person, room, tmp_path: Path, shots: Path):
    ada = new_person().join(room, "Ada")
    grace = new_person(viewport={"width": 375, "height": 740}).join(room, "Grace")
    katherine = new_person().join(room, "Katherine")
    for viewer in (ada, grace, katherine):
        expect(viewer.tiles).to_have_count(3)
        for other in (ada, grace, katherine):
            if other is not viewer:
                expect(viewer.tile_of(other)).to_have_attribute("data-state", "connected")

    data = os.urandom(3 * 1024 * 1024 + 12345)
    path = tmp_path / "quarterly report.bin"
    path.write_bytes(data)
    for person in (grace, katherine):
        person.page.evaluate(WATCH_PROGRESS_JS)

    send_file(ada, path, "Grace")

    # Grace sees it arrive, with a progress bar that moves, then a download link.
    incoming = grace.page.get_by_test_id("file-transfer")
    expect(incoming).to_have_count(1)
    expect(incoming.get_by_test_id("file-name")).to_have_text("quarterly report.bin")
    expect(incoming.get_by_test_id("file-size")).to_have_text("3.2 MB")
    expect(incoming).to_contain_text("From Ada")
    download_link = grace.page.get_by_role("link", name="Download quarterly report.bin (3.2 MB)")
    expect(download_link).to_be_visible()
    seen = grace.page.evaluate("window.seenProgress")
    assert any(0 < value < limit for value, limit in seen), seen
    grace.page.screenshot(path=str(shots / "parley-file-received-phone.png"))

    with grace.page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename == "quarterly report.bin"
    received = Path(download.path()).read_bytes()
    assert hashlib.sha256(received).hexdigest() == hashlib.sha256(data).hexdigest()

    # Ada's side says it was sent to Grace.
    outgoing = ada.page.get_by_test_id("file-transfer")
    expect(outgoing).to_have_count(1)
    expect(outgoing).to_contain_text("To Grace")
    expect(outgoing.get_by_test_id("file-status")).to_have_text("Sent")
    ada.page.screenshot(path=str(shots / "parley-file-sent.png"))

    # Katherine got nothing.
    expect(katherine.page.get_by_test_id("file-transfer")).to_have_count(0)
    expect(katherine.page.get_by_test_id("transfers")).to_be_hidden()
    assert katherine.page.evaluate("window.seenProgress") == []

    # Dismissed, the entry goes away.
    grace.click("Dismiss quarterly report.bin")
    expect(incoming).to_have_count(0)
    for person in (ada, grace, katherine):
        assert person.errors == []


def test_a_file_above_the_limit_is_refused_with_a_clear_message(new_person, room, tmp_path: Path, shots: Path):
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")
    expect(ada.tile_of(grace)).to_have_attribute("data-state", "connected")

    big = tmp_path / "huge.iso"
    with big.open("wb") as file:
        file.truncate(120 * 1024 * 1024)  # sparse: takes no disk space

    send_file(ada, big, "Everyone")

    dialog = ada.page.get_by_role("dialog", name="Send a file")
    expect(dialog).to_be_visible()  # not sent: the dialog stays open with the reason
    expect(dialog.get_by_test_id("file-error")).to_have_text(
        "huge.iso is too large (125.8 MB). Files can be at most 100 MiB (104.9 MB)."
    )
    ada.page.screenshot(path=str(shots / "parley-file-too-large.png"))
    expect(ada.page.get_by_test_id("file-transfer")).to_have_count(0)
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(grace.page.get_by_test_id("file-transfer")).to_have_count(0)

    # A sender that ignores the limit is refused by the receiver, who says why.
    ada.page.evaluate(
        """(id) => window.parleyCall.fileChannel(id).send(JSON.stringify(
             {type: "file-start", id: "0123456789abcdef", name: "../../sneaky.iso", size: 200 * 1024 * 1024}))""",
        grace.id,
    )
    refused = grace.page.get_by_test_id("file-transfer")
    expect(refused).to_have_count(1)
    expect(refused.get_by_test_id("file-name")).to_have_text("sneaky.iso")
    expect(refused.get_by_test_id("file-status")).to_have_text(
        "Failed. It is too large (209.7 MB); files can be at most 100 MiB."
    )
    expect(refused.get_by_role("link")).to_have_count(0)


def test_a_file_to_everyone_reaches_everyone(new_person, room, tmp_path: Path):
    ada = new_person().join(room, "Ada")
    grace = new_person().join(room, "Grace")
    katherine = new_person().join(room, "Katherine")
    for viewer in (ada, grace, katherine):
        for other in (ada, grace, katherine):
            if other is not viewer:
                expect(viewer.tile_of(other)).to_have_attribute("data-state", "connected")
    data = os.urandom(200_000)
    path = tmp_path / "notes.txt"
    path.write_bytes(data)

    send_file(grace, path, "Everyone")

    for receiver in (ada, katherine):
        link = receiver.page.get_by_role("link", name="Download notes.txt (200.0 KB)")
        expect(link).to_be_visible()
        with receiver.page.expect_download() as download_info:
            link.click()
        assert Path(download_info.value.path()).read_bytes() == data
    sent = grace.page.get_by_test_id("file-transfer")
    expect(sent).to_have_count(2)
    for name in ("Ada", "Katherine"):
        expect(sent.filter(has_text=f"To {name}").get_by_test_id("file-status")).to_have_text("Sent")
