"""Fixtures for Parley's browser end-to-end tests.

The real server binary is started on a free port (``parley serve --port 0``); every person
in a test is a separate browser context (own storage, own fake camera and microphone) of one
headless Chromium.

Environment:
  PARLEY_BIN       server binary (default: .build/debug/parley in the repository)
  PARLEY_WEB_ROOT  serve the web client from this folder instead of the embedded copy
  CHROMIUM         browser binary (default: /usr/bin/chromium)
  PARLEY_SHOTS     folder for screenshots (default: /tmp)
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from parley_process import ParleyProcess, ServerDidNotStart
from people import Person
from tcpproxy import TcpProxy

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

expect.set_options(timeout=20_000)


class Server(ParleyProcess):
    """A ``parley serve`` process; a failure to start fails the test rather than erroring it."""

    def __init__(self, *extra_args: str, port: int = 0) -> None:
        try:
            super().__init__(*extra_args, port=port)
        except ServerDidNotStart as error:
            pytest.fail(str(error))


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    # Every person of every test joins from 127.0.0.1: lift the per-address join rate, which is
    # there for strangers on the internet, not for a test suite. On SIGTERM the server waits for
    # the last connected participant: the drain is cut to 5 s, so that a page still connected at
    # the end of the run cannot hold it past the 10 s `stop` waits for a clean exit.
    running = Server("--joins-per-minute", "10000", "--drain-timeout", "5")
    yield running
    running.stop()
    assert running.process.returncode == 0, "server did not stop cleanly on SIGTERM:\n" + "".join(running.output)


@pytest.fixture(scope="session")
def start_server() -> Iterator[Callable[..., Server]]:
    """Starts an extra server with its own options (stopped at the end of the session)."""
    started: list[Server] = []

    def start(*extra_args: str, port: int = 0) -> Server:
        started.append(Server(*extra_args, port=port))
        return started[-1]

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def tcp_proxy() -> Iterator[Callable[[int], TcpProxy]]:
    """Starts loopback TCP proxies in front of a port (stopped after the test): load a page
    through ``proxy.base_url`` and its signalling can be cut with ``proxy.block()``."""
    started: list[TcpProxy] = []

    def start(target_port: int) -> TcpProxy:
        started.append(TcpProxy(target_port))
        return started[-1]

    yield start
    for proxy in started:
        proxy.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_person(browser: Browser, server: Server) -> Iterator[Callable[..., Person]]:
    """Makes people: each one a browser context of its own, closed after the test."""
    made: list[Person] = []

    def make(*, base_url: str | None = None, no_devices: bool = False, viewport: dict[str, int] | None = None) -> Person:
        person = Person(browser, base_url or server.base_url, no_devices=no_devices, viewport=viewport)
        made.append(person)
        return person

    yield make
    for person in made:
        person.close()


@pytest.fixture
def room(request: pytest.FixtureRequest) -> str:
    """A room name no other test uses."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", request.node.name.removeprefix("test_"))[:40].strip("-")
    return f"{stem}-{secrets.token_hex(3)}"


@pytest.fixture(scope="session")
def shots() -> Path:
    folder = Path(os.environ.get("PARLEY_SHOTS", "/tmp"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
