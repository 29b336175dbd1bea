"""Janus 1.1.x (Debian's `janus` package) as a third point of comparison for call setup time:
two pages in its VideoRoom plugin, driven by bench/call/janus.html over Janus's WebSocket API.

Janus is started here with a configuration of its own (a temporary folder): only the
VideoRoom plugin and the WebSocket transport, on a free loopback port, little logging.
Optional: when Janus is missing or does not start, the call setup benchmark says so.
"""

from __future__ import annotations

import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext

PLUGINS = Path("/usr/lib/x86_64-linux-gnu/janus/plugins")
TRANSPORTS = Path("/usr/lib/x86_64-linux-gnu/janus/transports")
WAIT_MS = 30_000
SETTLE_S = 0.5
FRAME_ANY = "() => window.__bench.pcs.some((pc) => pc.firstFrame !== null)"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def libraries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("libjanus_*.so"))


class JanusVideoRoom:
    def __init__(self, process: subprocess.Popen, folder: Path, port: int, version: str) -> None:
        self.process = process
        self.folder = folder
        self.ws_url = f"ws://127.0.0.1:{port}"
        self.version = version
        self.pages_url = ""

    @classmethod
    def start(cls) -> tuple["JanusVideoRoom | None", str]:
        binary = shutil.which("janus")
        if not binary:
            return None, "the `janus` package is not installed"
        version_text = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
        match = re.search(r"\((\d+\.\d+\.\d+)\)", version_text)
        version = match.group(1) if match else "unknown"
        if not version.startswith("1.1."):
            return None, f"Janus {version} is installed, not 1.1.x"
        folder = Path(tempfile.mkdtemp(prefix="parley-bench-janus."))
        port = free_port()
        disabled_plugins = ",".join(p for p in libraries(PLUGINS) if p != "libjanus_videoroom.so")
        disabled_transports = ",".join(p for p in libraries(TRANSPORTS) if p != "libjanus_websockets.so")
        (folder / "janus.jcfg").write_text(
            f"""general: {{
    configs_folder = "{folder}"
    plugins_folder = "{PLUGINS}"
    transports_folder = "{TRANSPORTS}"
    debug_level = 3
    session_timeout = 120
}}
media: {{
}}
nat: {{
    ice_ignore_list = "vmnet"
}}
plugins: {{
    disable = "{disabled_plugins}"
}}
transports: {{
    disable = "{disabled_transports}"
}}
events: {{
    broadcast = false
}}
"""
        )
        (folder / "janus.transport.websockets.jcfg").write_text(
            f"""general: {{
    json = "compact"
    ws = true
    ws_port = {port}
    ws_ip = "127.0.0.1"
    wss = false
}}
admin: {{
    admin_ws = false
    admin_wss = false
}}
"""
        )
        (folder / "janus.plugin.videoroom.jcfg").write_text("general: {\n}\n")
        log = open(folder / "janus.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            [binary, "-C", str(folder / "janus.jcfg"), "-F", str(folder)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = (folder / "janus.log").read_text()[-800:]
                return None, f"Janus exited at start: {tail.strip().splitlines()[-1] if tail.strip() else '?'}"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return cls(process, folder, port, version), f"Janus {version}"
            except OSError:
                time.sleep(0.1)
        process.kill()
        return None, "Janus did not open its WebSocket port within 15 s"

    def once(self, browser: Browser, new_context: Callable[[Browser], BrowserContext]) -> dict:
        """One repetition: the first page publishes; t0 is the second page starting to join."""
        room = 100_000 + secrets.randbelow(1_000_000_000)
        first_context = new_context(browser)
        second_context = new_context(browser)
        try:
            first = first_context.new_page()
            first.set_default_timeout(WAIT_MS)
            first.goto(f"{self.pages_url}/janus.html")
            first.evaluate("prepareJanus()")
            first.evaluate("([url, room]) => createRoom(url, room)", [self.ws_url, room])
            first.evaluate("([url, room]) => joinJanus(url, room, 'First')", [self.ws_url, room])
            second = second_context.new_page()
            second.set_default_timeout(WAIT_MS)
            second.goto(f"{self.pages_url}/janus.html")
            second.evaluate("prepareJanus()")
            # Load Playwright's waiting helper before t0, as call_setup.py does (PRIME_WAITING).
            first.wait_for_function("() => true")
            second.wait_for_function("() => true")
            time.sleep(SETTLE_S)
            second.evaluate("([url, room]) => { startJanus(url, room, 'Second'); }", [self.ws_url, room])
            second.wait_for_function(FRAME_ANY)
            first.wait_for_function(FRAME_ANY)
            mine = second.evaluate("window.__bench")
            theirs = first.evaluate("window.__bench")
            t0 = mine["t0"]
            pc = next(p for p in mine["pcs"] if p["firstFrame"] is not None)
            other = next(p for p in theirs["pcs"] if p["firstFrame"] is not None)

            def since(moment: float | None) -> float | None:
                return None if moment is None else moment - t0

            return {
                "first_frame_ms": since(pc["firstFrame"]),
                "ice_connected_ms": since(pc["iceConnected"]),
                "dtls_connected_ms": since(pc["dtlsConnected"]),
                "other_first_frame_ms": since(other["firstFrame"]),
                "ws_open_ms": since(mine["wsOpen"]),
                "frame_width": pc["frameWidth"],
            }
        finally:
            first_context.close()
            second_context.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
