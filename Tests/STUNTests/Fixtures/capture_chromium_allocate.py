#!/usr/bin/env python3
"""Captures the TURN Allocate requests Debian's Chromium sends, as hex fixtures.

A UDP socket on 127.0.0.1 plays a TURN server just far enough: it records the first
Allocate (no credentials), answers it with 401 (REALM, NONCE) and records the second,
authenticated Allocate. A page served from http://127.0.0.1 (a secure context) creates an
RTCPeerConnection with that server as its only ICE server (relay only), so gathering starts.

    python3 Tests/STUNTests/Fixtures/capture_chromium_allocate.py [--out DIR]

Needs /usr/bin/chromium and Playwright for Python (uses the system Chromium; downloads nothing).
Writes chromium-allocate-1.hex and chromium-allocate-2.hex into DIR (default: this file's
folder) and prints the Chromium version for README.txt. Loopback only; gives up after 30 seconds.
"""

import argparse
import hashlib
import http.server
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

USERNAME = "1999999999:peer"
PASSWORD = "x"
REALM = "parley"
NONCE = "chromium-fixture-nonce"
MAGIC = 0x2112A442
CHROMIUM = "/usr/bin/chromium"


def attribute(kind: int, value: bytes) -> bytes:
    padding = b"\0" * ((4 - len(value) % 4) % 4)
    return struct.pack("!HH", kind, len(value)) + value + padding


def challenge(request: bytes) -> bytes:
    """401 Unauthorized for an Allocate request: ERROR-CODE, REALM, NONCE (RFC 8656 section 7.2)."""
    transaction = request[8:20]
    body = (
        attribute(0x0009, b"\0\0\x04\x01" + b"Unauthorized")
        + attribute(0x0014, REALM.encode())
        + attribute(0x0015, NONCE.encode())
    )
    return struct.pack("!HHI", 0x0113, len(body), MAGIC) + transaction + body


def is_allocate_request(datagram: bytes) -> bool:
    if len(datagram) < 20:
        return False
    kind, _, cookie = struct.unpack("!HHI", datagram[:8])
    return kind == 0x0003 and cookie == MAGIC


def hex_lines(data: bytes) -> str:
    """Four-byte groups, the first line the 20-byte header, then 16 bytes a line."""
    words = [data[i : i + 4].hex() for i in range(0, len(data), 4)]
    lines = [" ".join(words[:5])] + [" ".join(words[i : i + 4]) for i in range(5, len(words), 4)]
    return "\n".join(lines) + "\n"


PAGE = """
<!doctype html><title>capture</title>
<script>
async function gather(url, username, credential) {
  const pc = new RTCPeerConnection({
    iceServers: [{urls: url, username, credential}], iceTransportPolicy: 'relay'});
  window.pc = pc;
  pc.createDataChannel('capture');
  await pc.setLocalDescription(await pc.createOffer());
  return 'gathering';
}
</script>
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    arguments = parser.parse_args()

    turn = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    turn.bind(("127.0.0.1", 0))
    turn.settimeout(0.5)
    turn_port = turn.getsockname()[1]

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=web.serve_forever, daemon=True).start()

    captured: list[bytes] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{web.server_address[1]}/")
            page.set_content(PAGE)
            page.evaluate(
                "([u, n, c]) => gather(u, n, c)",
                [f"turn:127.0.0.1:{turn_port}?transport=udp", USERNAME, PASSWORD],
            )
            deadline = time.monotonic() + 30
            while len(captured) < 2 and time.monotonic() < deadline:
                try:
                    datagram, sender = turn.recvfrom(4096)
                except socket.timeout:
                    continue
                if not is_allocate_request(datagram):
                    continue
                if not captured:
                    captured.append(datagram)
                    turn.sendto(challenge(datagram), sender)
                elif datagram[8:20] != captured[0][8:20]:
                    # A new transaction (not a retransmission of the first) carries the credentials.
                    captured.append(datagram)
            version = browser.version
        finally:
            browser.close()
    web.shutdown()
    turn.close()

    if len(captured) < 2:
        raise SystemExit(f"captured {len(captured)} Allocate request(s) of 2 within 30 s")
    arguments.out.mkdir(parents=True, exist_ok=True)
    for index, datagram in enumerate(captured, start=1):
        (arguments.out / f"chromium-allocate-{index}.hex").write_text(hex_lines(datagram))
    package = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "chromium"], capture_output=True, text=True, check=False
    ).stdout.strip()
    key = hashlib.md5(f"{USERNAME}:{REALM}:{PASSWORD}".encode()).hexdigest()
    print(f"wrote {len(captured)} fixtures to {arguments.out}")
    print(f"Chromium {version} (Debian package chromium {package or 'unknown'})")
    print(f"username {USERNAME}, password {PASSWORD}, realm {REALM}, nonce {NONCE}, long-term key {key}")


if __name__ == "__main__":
    main()
