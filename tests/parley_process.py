"""Starting and stopping a real ``parley serve`` process, for tests at every level.

The server is started on a free port (``--port 0``) and prints
``Parley listening on http://127.0.0.1:PORT`` once it accepts connections; that line is how
the tests learn the port, without sleeping.

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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PARLEY_BIN = Path(os.environ.get("PARLEY_BIN", REPO / ".build" / "debug" / "parley"))
START_TIMEOUT_S = 20
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")


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
        ports: queue.Queue[int] = queue.Queue()
        # Keep draining the output for the server's whole life so it never blocks on a full pipe.
        threading.Thread(target=self._read, args=(ports,), daemon=True).start()
        try:
            port = ports.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            port = 0
        if port == 0:
            self.stop()
            raise ServerDidNotStart("server did not say where it listens:\n" + "".join(self.output))
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}/ws"

    def _read(self, ports: queue.Queue[int]) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if match := LISTENING.search(line):
                ports.put(int(match.group(1)))
        ports.put(0)  # the process ended: stop waiting for a port

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
