"""Call setup time: join → first remote video frame, in Debian's Chromium with fake devices,
on loopback. Interleaves, repetition by repetition:

  floor   one page, two RTCPeerConnections connected directly (no server): the least any
          WebRTC call setup can take in this browser on this machine;
  bare    two pages (separate browser contexts) with nothing but a Join button, signalling
          through the bare WebSocket relay (bench/EchoServer, bench/call/bare.html): the least a
          call through any server can take here, so Parley / bare is what Parley's own client
          and server add;
  parley  two pages (separate browser contexts) joining one fresh room through the server:
          the first joins and waits, then the second clicks Join;
  janus   (only with --janus and a working Janus) two pages in Janus's VideoRoom: the first
          publishes, the second publishes and subscribes to the first (bench/janus.py).

Times are taken inside the pages by bench/call/instrument.js (the same code for all). For
Parley and the bare pages, t0 is the second person's click on Join and the headline figure is
the first frame of the first person's video at the second page; the first page's first frame
of the second person's video is recorded too. The floor's t0 is the moment it starts creating
the connections; its headline is the offerer's (the "newcomer's") first remote frame.

    python3 bench/call_setup.py --repetitions 20 --out results/call_setup.json
"""

from __future__ import annotations

import argparse
import functools
import http.server
import secrets
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Server, load_average, machine_busy_seconds, median, percentile, write_json  # noqa: E402

CALL = Path(__file__).resolve().parent / "call"
INSTRUMENT = CALL / "instrument.js"
CHROMIUM = "/usr/bin/chromium"
WAIT_MS = 30_000
# Let the page settle (camera preview running, scripts idle) before t0, the same for all.
SETTLE_S = 0.5

# Playwright's first wait_for_function in a page loads its own helper script there, about 60 ms
# of the page's main thread on this machine. Called once before t0, so that the waits for the
# first frame cost nothing inside the measured interval (the same for every kind).
PRIME_WAITING = "() => true"

FRAME_AT = "(index) => { const pc = window.__bench.pcs[index]; return Boolean(pc && pc.firstFrame !== null); }"


class StaticFiles:
    """Serves bench/call on a free loopback port (the floor page needs an http origin)."""

    def __init__(self) -> None:
        handler = functools.partial(QuietHandler, directory=str(CALL))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def new_context(browser: Browser) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1280, "height": 720}, permissions=["camera", "microphone"])
    context.add_init_script(path=str(INSTRUMENT))
    return context


def since(t0: float | None, moment: float | None) -> float | None:
    return None if t0 is None or moment is None else moment - t0


def connection_figures(t0: float, offerer: dict, answerer: dict) -> dict:
    """The figures of one call's two connections (instrument.js records), from t0: the offerer
    is the newcomer, whose first remote frame is the headline."""
    return {
        "first_frame_ms": since(t0, offerer["firstFrame"]),
        "pc_created_ms": since(t0, offerer["created"]),
        "ice_connected_ms": since(t0, offerer["iceConnected"]),
        "dtls_connected_ms": since(t0, offerer["dtlsConnected"]),
        "other_first_frame_ms": since(t0, answerer["firstFrame"]),
        "frame_width": offerer["frameWidth"],
        "offer_local_started_ms": since(t0, offerer["localDescriptionStarted"]),
        "offer_local_set_ms": since(t0, offerer["localDescriptionSet"]),
    }


def floor_once(browser: Browser, files: StaticFiles) -> dict:
    context = new_context(browser)
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(f"{files.base_url}/floor.html")
        page.evaluate("prepareFloor()")
        page.wait_for_function(PRIME_WAITING)
        time.sleep(SETTLE_S)
        page.evaluate("runFloor()")
        page.wait_for_function(FRAME_AT, arg=0)
        page.wait_for_function(FRAME_AT, arg=1)
        bench = page.evaluate("window.__bench")
        t0 = bench["t0"]
        return connection_figures(t0, offerer=bench["pcs"][0], answerer=bench["pcs"][1])
    finally:
        context.close()


def parley_join(page: Page, base_url: str, room: str, name: str) -> None:
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{base_url}/r/{room}")
    page.get_by_label("Your name").fill(name)
    expect(page.get_by_role("button", name="Join", exact=True)).to_be_enabled(timeout=WAIT_MS)


def parley_once(browser: Browser, server: Server) -> dict:
    room = f"bench-{secrets.token_hex(4)}"
    first_context = new_context(browser)
    second_context = new_context(browser)
    try:
        first = first_context.new_page()
        parley_join(first, server.base_url, room, "First")
        first.get_by_role("button", name="Join", exact=True).click()
        first.wait_for_function("() => window.parleyCall && window.parleyCall.state === 'joined'")
        second = second_context.new_page()
        parley_join(second, server.base_url, room, "Second")
        return second_joins(first, second)
    finally:
        first_context.close()
        second_context.close()


def bare_once(browser: Browser, files: StaticFiles, relay: Server) -> dict:
    room = f"bench-{secrets.token_hex(4)}"
    first_context = new_context(browser)
    second_context = new_context(browser)

    def open_page(context: BrowserContext, name: str) -> Page:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        # The relay knows connections by name alone, across rooms: names unique per repetition.
        query = urllib.parse.urlencode({"ws": relay.ws_url, "room": room, "name": f"{room}-{name}"})
        page.goto(f"{files.base_url}/bare.html?{query}")
        page.evaluate("prepareBare()")
        return page

    try:
        first = open_page(first_context, "first")
        first.get_by_role("button", name="Join", exact=True).click()
        first.wait_for_function("() => window.bareState === 'joined'")
        second = open_page(second_context, "second")
        return second_joins(first, second)
    finally:
        first_context.close()
        second_context.close()


def second_joins(first: Page, second: Page) -> dict:
    """The measured part of a two-page call: the second page, ready, clicks Join; the first is
    in the room already. Figures of both pages, on the second page's clock from its click."""
    second.wait_for_function(PRIME_WAITING)
    time.sleep(SETTLE_S)
    second.get_by_role("button", name="Join", exact=True).click()
    second.wait_for_function(FRAME_AT, arg=0)
    first.wait_for_function(FRAME_AT, arg=0)
    mine = second.evaluate("window.__bench")
    theirs = first.evaluate("window.__bench")
    t0 = mine["t0"]
    return {
        **connection_figures(t0, offerer=mine["pcs"][0], answerer=theirs["pcs"][0]),
        "ws_open_ms": since(t0, mine["wsOpen"]),
        "joined_ms": since(t0, mine["joined"]),
        "offer_sent_ms": since(t0, mine["offerSent"]),
        "answer_received_ms": since(t0, mine["answerReceived"]),
        # The answering side (the first page), on the same clock.
        "offer_received_ms": since(t0, theirs["offerReceived"]),
        "answer_remote_started_ms": since(t0, theirs["pcs"][0]["remoteDescriptionStarted"]),
        "answer_remote_set_ms": since(t0, theirs["pcs"][0]["remoteDescriptionSet"]),
        "answer_local_set_ms": since(t0, theirs["pcs"][0]["localDescriptionSet"]),
        "answer_sent_ms": since(t0, theirs["answerSent"]),
    }


FIGURES = (
    "first_frame_ms",
    "ice_connected_ms",
    "dtls_connected_ms",
    "other_first_frame_ms",
    "ws_open_ms",
    "joined_ms",
    "pc_created_ms",
    "offer_local_started_ms",
    "offer_local_set_ms",
    "offer_sent_ms",
    "offer_received_ms",
    "answer_remote_started_ms",
    "answer_remote_set_ms",
    "answer_local_set_ms",
    "answer_sent_ms",
    "answer_received_ms",
)


def summarise(runs: list[dict]) -> dict:
    summary: dict = {"repetitions": len(runs)}
    for figure in FIGURES:
        values = [run[figure] for run in runs if run.get(figure) is not None]
        if values:
            summary[figure] = {"median": median(values), "p95": percentile(values, 95), "min": min(values)}
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repetitions", type=int, default=20)
    parser.add_argument("--no-warmup", action="store_true", help="skip the uncounted first round (smoke runs)")
    parser.add_argument("--janus", action="store_true", help="also measure Janus's VideoRoom (bench/janus.py)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    janus = None
    janus_note = "not requested"
    if args.janus:
        from janus import JanusVideoRoom  # noqa: PLC0415

        janus, janus_note = JanusVideoRoom.start()

    busy_start, wall_start, load_start = machine_busy_seconds(), time.monotonic(), load_average()
    files = StaticFiles()
    if janus is not None:
        janus.pages_url = files.base_url
    server = Server("parley")
    try:
        relay = Server("echo")
    except Exception:
        server.stop()
        raise
    results: dict[str, list[dict]] = {"floor": [], "bare": [], "parley": [], "janus": []}
    failures: dict[str, list[str]] = {"floor": [], "bare": [], "parley": [], "janus": []}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=["--no-sandbox", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"],
            )
            try:
                runners = {
                    "floor": lambda: floor_once(browser, files),
                    "bare": lambda: bare_once(browser, files, relay),
                    "parley": lambda: parley_once(browser, server),
                }
                if janus is not None:
                    runners["janus"] = lambda: janus.once(browser, new_context)
                # One throw-away round first: the browser's own start-up is nobody's cost.
                for kind, run in runners.items() if not args.no_warmup else ():
                    try:
                        run()
                    except Exception as error:  # noqa: BLE001
                        print(f"call setup: warm-up {kind} failed: {error}", file=sys.stderr)
                for rep in range(args.repetitions):
                    # Alternate the order, so neither always runs right after the other.
                    order = list(runners) if rep % 2 == 0 else list(reversed(runners))
                    for kind in order:
                        try:
                            result = runners[kind]()
                        except Exception as error:  # noqa: BLE001
                            failures[kind].append(f"#{rep}: {str(error).splitlines()[0]}")
                            print(f"call setup: {kind} #{rep} failed: {error}", file=sys.stderr, flush=True)
                            continue
                        result["repetition"] = rep
                        results[kind].append(result)
                        print(
                            f"call setup: {kind} #{rep}: first frame {result['first_frame_ms']:.0f} ms, "
                            f"ICE {result['ice_connected_ms']:.0f} ms, DTLS {result['dtls_connected_ms']:.0f} ms",
                            file=sys.stderr,
                            flush=True,
                        )
            finally:
                browser.close()
    finally:
        server.stop()
        relay.stop()
        files.stop()
        if janus is not None:
            janus.stop()
    write_json(
        args.out,
        {
            "repetitions": args.repetitions,
            "runs": results,
            "failures": failures,
            "summary": {kind: summarise(runs) for kind, runs in results.items() if runs},
            "janus_note": janus_note,
            "load_average": [load_start, load_average()],
            "machine_busy_percent": 100 * (machine_busy_seconds() - busy_start) / (time.monotonic() - wall_start),
        },
    )


if __name__ == "__main__":
    main()
