"""Starting and stopping a real ``parley serve`` process, for tests at every level.

The server is started on a free port (``--port 0``) and prints
``Parley listening on http://127.0.0.1:PORT`` (https with TLS) once it accepts connections;
that line is how the tests learn the port, without sleeping. Its media engine's UDP port is
picked the same way (``--media-port 0``) and learnt from ``Parley media on udp://HOST:PORT``.

Environment:
  PARLEY_BIN       server binary (default: .build/debug/parley in the repository)
  PARLEY_WEB_ROOT  serve the web client from this folder instead of the embedded copy
"""

from __future__ import annotations

import asyncio
import os
import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PARLEY_BIN = Path(os.environ.get("PARLEY_BIN", REPO / ".build" / "debug" / "parley"))
START_TIMEOUT_S = 20
# The media line may come just before or after the listening line (two services start side by
# side); this is how long to wait for it once the server listens.
MEDIA_LINE_TIMEOUT_S = 3
LISTENING = re.compile(r"listening on (https?)://127\.0\.0\.1:(\d+)")
MEDIA = re.compile(r"Parley media on udp://(\S+):(\d+)\s*$")


class ServerDidNotStart(Exception):
    pass


class ParleyProcess:
    """One running ``parley serve`` process and everything it printed."""

    def __init__(
        self, *extra_args: str, cwd: str | Path | None = None, binary: Path | None = None, port: int = 0
    ) -> None:
        """``port`` 0 picks a free one; a fixed one lets a test restart the server where it was."""
        binary = binary or PARLEY_BIN
        if not binary.exists():
            raise ServerDidNotStart(f"server binary not found at {binary}: build it (swift build) or set PARLEY_BIN")
        command = [str(binary), "serve", "--host", "127.0.0.1", "--port", str(port), *extra_args]
        if not any(argument.startswith("--turn") for argument in extra_args):
            # Servers run side by side in tests: their TURN ports must not collide either.
            command += ["--turn-port", "0"]
        if not any(argument.startswith("--media") for argument in extra_args):
            # The media engine's one UDP port must not collide between servers side by side.
            command += ["--media-port", "0"]
        if not any(argument.startswith("--database") for argument in extra_args):
            # Keep nothing unless the test says where: servers side by side must not share the
            # default parley.sqlite in the working directory.
            command += ["--database", ":memory:"]
        if web_root := os.environ.get("PARLEY_WEB_ROOT"):
            command += ["--web-root", web_root]
        self.output: list[str] = []
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        # The media engine's UDP port, from its line; None when the server has no media engine
        # (`--media off`, or a binary without one) or did not say in time.
        self.media_port: int | None = None
        self.media_host: str | None = None
        # "https" once the listening line says so.
        self.scheme = "http"
        lines: queue.Queue[tuple[str, int]] = queue.Queue()
        # Keep draining the output for the server's whole life so it never blocks on a full pipe.
        threading.Thread(target=self._read, args=(lines,), daemon=True).start()
        port = self._wait_for_lines(lines, expect_media=not _media_off(extra_args))
        if port == 0:
            self.stop()
            raise ServerDidNotStart("server did not say where it listens:\n" + "".join(self.output))
        self.port = port
        # `--tls-cert`/`--tls-self-signed`: the server says https, and serves only that.
        secure = self.scheme == "https"
        self.base_url = f"{'https' if secure else 'http'}://127.0.0.1:{port}"
        self.ws_url = f"{'wss' if secure else 'ws'}://127.0.0.1:{port}/ws"

    def _read(self, lines: queue.Queue[tuple[str, int]]) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if match := LISTENING.search(line):
                self.scheme = match.group(1)
                lines.put(("http", int(match.group(2))))
            elif match := MEDIA.search(line):
                self.media_host = match.group(1)
                lines.put(("media", int(match.group(2))))
        lines.put(("end", 0))  # the process ended: stop waiting

    def _wait_for_lines(self, lines: queue.Queue[tuple[str, int]], expect_media: bool) -> int:
        """The HTTP port (0 if the server ended or said nothing in time); sets ``media_port``
        from a media line before it, or one within MEDIA_LINE_TIMEOUT_S after it."""
        port = 0
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if port and (self.media_port is not None or not expect_media):
                return port
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return port
            try:
                kind, value = lines.get(timeout=remaining)
            except queue.Empty:
                return port
            if kind == "end":
                return port
            if kind == "http":
                port = value
                deadline = min(deadline, time.monotonic() + MEDIA_LINE_TIMEOUT_S)
            elif kind == "media":
                self.media_port = value

    def signal(self, signum: int = signal.SIGTERM) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float) -> int:
        """The exit status, waiting at most ``timeout`` seconds (TimeoutExpired otherwise)."""
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _media_off(arguments: Sequence[str]) -> bool:
    """Whether the arguments turn the media engine off (`--media off` or `--media=off`)."""
    for index, argument in enumerate(arguments):
        if argument == "--media=off" or (argument == "--media" and arguments[index + 1 : index + 2] == ["off"]):
            return True
    return False


def run_async(coroutine):
    """Runs `coroutine` to completion on an event loop of its own, in a thread of its own, and
    returns its result: Playwright's sync API keeps an event loop running on the main thread for
    the whole test session, so `asyncio.run` cannot be called there."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as error:  # re-raised in the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
