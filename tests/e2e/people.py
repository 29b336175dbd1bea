"""A person in a browser: what they do (join, mute, chat) and what they see (tiles, video)."""

from __future__ import annotations

from playwright.sync_api import Browser, Locator, Page, expect

WAIT_MS = 20_000

# Replaces getUserMedia before any page script runs: like a computer without camera and
# microphone, every request fails with NotFoundError.
NO_DEVICES_SCRIPT = """
(() => {
  const refuse = () => Promise.reject(new DOMException("Requested device not found", "NotFoundError"));
  Object.defineProperty(navigator.mediaDevices, "getUserMedia", { value: refuse, configurable: true });
})();
"""

# Frames decoded so far from one remote participant, or -1 before any inbound video.
FRAMES_DECODED_JS = """
async (peerId) => {
  const pc = window.parleyCall?.peerConnections().get(peerId);
  if (!pc) return -1;
  let frames = -1;
  (await pc.getStats()).forEach((report) => {
    if (report.type === "inbound-rtp" && report.kind === "video") {
      frames = Math.max(frames, report.framesDecoded ?? 0);
    }
  });
  return frames;
}
"""

FRAMES_ABOVE_JS = (
    "async ([peerId, floor]) => (await (" + FRAMES_DECODED_JS + ")(peerId)) > floor"
)


class Person:
    """One participant: a browser context of their own (own storage, own fake devices)."""

    def __init__(
        self,
        browser: Browser,
        base_url: str,
        *,
        no_devices: bool = False,
        viewport: dict[str, int] | None = None,
    ) -> None:
        self.base_url = base_url
        self.context = browser.new_context(
            base_url=base_url,
            viewport=viewport or {"width": 1280, "height": 720},
            permissions=["camera", "microphone"],
            # A server with `--tls-self-signed`: the exception a person accepts once.
            ignore_https_errors=base_url.startswith("https://"),
        )
        if no_devices:
            self.context.add_init_script(NO_DEVICES_SCRIPT)
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(WAIT_MS)
        self.name = ""
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def close(self) -> None:
        self.context.close()

    # MARK: - Doing

    def open_room(self, room: str, token: str | None = None) -> None:
        self.page.goto(f"/r/{room}" + (f"?token={token}" if token else ""))
        expect(self.join_button).to_be_enabled()

    def ask_to_join(self, room: str, name: str) -> Person:
        """Opens the room link, types the name and presses Join, without waiting for the call
        (the room may be locked, or have a password)."""
        self.open_room(room)
        self.page.get_by_label("Your name").fill(name)
        self.join_button.click()
        self.name = name
        return self

    def join(self, room: str, name: str) -> Person:
        """Opens the room link, types the name, joins, and waits to be in the call."""
        self.ask_to_join(room, name)
        expect(self.own_tile).to_be_visible()
        return self

    def room_control(self, item: str) -> None:
        """A moderator's room control: opens the Room controls menu and picks `item`."""
        self.click("Room controls")
        self.page.get_by_role("menuitem", name=item, exact=True).click()

    def person_option(self, other: Person, item: str) -> None:
        """A moderator's option for one person, from the button on their tile."""
        self.click(f"Options for {other.name}")
        self.page.get_by_role("menuitem", name=item, exact=True).click()

    def confirm(self, button: str) -> None:
        """Answers the open question dialog with its confirming button."""
        self.page.get_by_role("dialog").get_by_role("button", name=button, exact=True).click()

    @property
    def join_button(self) -> Locator:
        return self.page.get_by_role("button", name="Join", exact=True)

    def click(self, name: str) -> None:
        """Clicks the control with this accessible name."""
        self.page.get_by_role("button", name=name, exact=True).click()

    def send_chat(self, text: str) -> None:
        if not self.page.get_by_test_id("chat-panel").is_visible():
            self.page.get_by_test_id("chat-button").click()
        self.page.get_by_label("Message", exact=True).fill(text)
        self.click("Send message")

    def leave(self) -> None:
        self.click("Leave call")
        expect(self.page.get_by_test_id("ended-title")).to_have_text("You left the call")

    # MARK: - Seeing

    @property
    def id(self) -> str:
        return self.page.evaluate("window.parleyCall.id")

    @property
    def tiles(self) -> Locator:
        return self.page.get_by_test_id("tile")

    @property
    def ended_title(self) -> Locator:
        return self.page.get_by_test_id("ended-title")

    @property
    def join_error(self) -> Locator:
        return self.page.get_by_test_id("join-error")

    @property
    def own_tile(self) -> Locator:
        return self.page.locator('[data-testid="tile"][data-self="true"]')

    def tile_of(self, other: Person) -> Locator:
        """The tile showing `other`, found by the name written on it."""
        return self.tiles.filter(
            has=self.page.get_by_test_id("tile-name").get_by_text(other.name, exact=True)
        )

    def frames_decoded_from(self, other_id: str) -> int:
        return self.page.evaluate(FRAMES_DECODED_JS, other_id)

    def expect_video_from(self, other: Person) -> None:
        """`other`'s tile is there with their name, and their video is really playing:
        frames keep being decoded and the <video> element has a picture size."""
        tile = self.tile_of(other)
        expect(tile).to_be_visible()
        other_id = other.id
        expect(tile).to_have_attribute("data-peer-id", other_id)
        self.page.wait_for_function(FRAMES_ABOVE_JS, arg=[other_id, 0], polling=200, timeout=WAIT_MS)
        first = self.frames_decoded_from(other_id)
        self.page.wait_for_function(FRAMES_ABOVE_JS, arg=[other_id, first + 5], polling=200, timeout=WAIT_MS)
        self.page.wait_for_function(
            "(id) => document.querySelector(`[data-testid=tile][data-peer-id='${id}'] video`)?.videoWidth > 0",
            arg=other_id,
            polling=200,
            timeout=WAIT_MS,
        )
