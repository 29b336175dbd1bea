"""The real ``parley`` binary as an operator runs it: configuration errors, graceful drain on
SIGTERM, a second signal, and serving its built-in web client from any working directory."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
import websockets

from parley_process import PARLEY_BIN, ParleyProcess, run_async


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


async def join(server: ParleyProcess, room: str, name: str) -> websockets.ClientConnection:
    socket = await websockets.connect(server.ws_url, origin=server.base_url)
    await socket.send(json.dumps({"type": "join", "room": room, "name": name}))
    joined = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert joined["type"] == "joined", joined
    return socket


def test_bad_setting_fails_at_start_naming_it() -> None:
    result = subprocess.run(
        [str(PARLEY_BIN), "serve", "--port", "http"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode != 0
    assert "--port" in result.stderr and "'http'" in result.stderr

    result = subprocess.run(
        [str(PARLEY_BIN), "serve"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PARLEY_MAX_PEERS": "lots"},
    )
    assert result.returncode != 0
    assert "PARLEY_MAX_PEERS" in result.stderr


def test_config_shows_precedence_and_redacts_secrets() -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump({"port": 9001, "max-peers": 3, "admin-token": "file-secret-0123456789"}, file)
    try:
        result = subprocess.run(
            [str(PARLEY_BIN), "config", "--config", file.name, "--port", "9003"],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "PARLEY_PORT": "9002", "PARLEY_MAX_PEERS": "5"},
        )
    finally:
        os.unlink(file.name)
    assert result.returncode == 0, result.stderr
    settings = dict(line.split(None, 1) for line in result.stdout.splitlines() if " " in line.strip())
    assert settings["port"].strip() == "9003"
    assert settings["max-peers"].strip() == "5"
    assert settings["admin-token"].strip() == "(redacted)"
    # Rooms and chat are kept in a file by default, so they outlive a restart.
    assert settings["database"].strip() == "parley.sqlite"
    assert "file-secret" not in result.stdout


def test_drain_tells_clients_refuses_joins_and_exits_when_the_call_ends() -> None:
    server = ParleyProcess("--drain-timeout", "60")
    try:

        async def scenario() -> None:
            socket = await join(server, "drain-room", "Ada")
            server.signal(signal.SIGTERM)
            draining = json.loads(await asyncio.wait_for(socket.recv(), 10))
            assert draining == {"type": "draining", "seconds": 60}
            assert get(server.base_url + "/readyz")[0] == 503
            assert get(server.base_url + "/healthz")[0] == 200
            late = await websockets.connect(server.ws_url, origin=server.base_url)
            await late.send(json.dumps({"type": "join", "room": "drain-room", "name": "Late"}))
            refused = json.loads(await asyncio.wait_for(late.recv(), 10))
            assert refused["code"] == "server-draining"
            await late.close()
            # The last participant leaves: the server need not wait out the 60 s.
            await socket.send(json.dumps({"type": "leave"}))
            await socket.wait_closed()

        run_async(scenario())
        assert server.wait(timeout=20) == 0
    finally:
        server.stop()


def test_drain_deadline_closes_remaining_calls_and_exits() -> None:
    server = ParleyProcess("--drain-timeout", "2")
    try:

        async def scenario() -> int | None:
            socket = await join(server, "stubborn", "Ada")
            server.signal(signal.SIGTERM)
            assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "draining"
            await asyncio.wait_for(socket.wait_closed(), 20)
            return socket.close_code

        assert run_async(scenario()) in (1000, 1001)
        assert server.wait(timeout=20) == 0
    finally:
        server.stop()


def test_drain_does_not_wait_for_a_dropped_participant() -> None:
    # A participant whose connection dropped keeps a seat for the resume window (30 s), but
    # is in no call any more: the drain ends at once instead of waiting out its window.
    server = ParleyProcess("--drain-timeout", "120")
    try:

        async def scenario() -> None:
            socket = await join(server, "dropped", "Ada")
            assert socket.transport is not None
            socket.transport.abort()
            # SIGTERM only once the server has seen the drop (the seat is away, the connection
            # gone); a drop seen after the drain started would be a final departure instead.
            deadline = asyncio.get_running_loop().time() + 10
            while "parley_connections 0" not in get(server.base_url + "/metrics")[1]:
                assert asyncio.get_running_loop().time() < deadline, "the server did not see the drop"
                await asyncio.sleep(0.05)
            server.signal(signal.SIGTERM)

        run_async(scenario())
        assert server.wait(timeout=15) == 0
    finally:
        server.stop()


def test_https_with_a_self_signed_certificate_kept_next_to_the_database(tmp_path: Path) -> None:
    # A LAN without a certificate of its own: the page and the WebSocket over TLS, and the
    # same certificate after a restart, so that browsers ask to accept it only once.
    trust_anything = ssl.create_default_context()
    trust_anything.check_hostname = False
    trust_anything.verify_mode = ssl.CERT_NONE
    database = tmp_path / "parley.sqlite"
    fingerprints = []
    for _ in range(2):
        server = ParleyProcess("--tls-self-signed", "--database", str(database))
        try:
            assert server.base_url.startswith("https://")
            with urllib.request.urlopen(server.base_url + "/", context=trust_anything, timeout=10) as response:
                assert response.status == 200 and "<html" in response.read().decode()

            async def scenario() -> None:
                async with websockets.connect(server.ws_url, origin=server.base_url, ssl=trust_anything) as socket:
                    await socket.send(json.dumps({"type": "join", "room": "lan", "name": "Ada"}))
                    assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "joined"

            run_async(scenario())
            port = int(server.base_url.rsplit(":", 1)[1])
            certificate = ssl.get_server_certificate(("127.0.0.1", port))
            fingerprints.append(hashlib.sha256(ssl.PEM_cert_to_DER_cert(certificate)).hexdigest())
            # Plain HTTP on the TLS port gets no page.
            with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
        finally:
            server.stop()
    assert (tmp_path / "parley-cert.pem").is_file() and (tmp_path / "parley-key.pem").is_file()
    assert fingerprints[0] == fingerprints[1]


def test_https_certificate_files_are_read_again_on_sighup(tmp_path: Path) -> None:
    # A renewal (certbot's deploy hook, `systemctl reload`) needs no restart: after SIGHUP new
    # connections get the new certificate while a call on an older connection goes on. Files
    # that cannot be used leave the previous certificate in service.
    for name in ("first", "renewed"):
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", str(tmp_path / f"{name}-key.pem"), "-out", str(tmp_path / f"{name}-cert.pem"),
             "-days", "30", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True, capture_output=True,
        )
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"

    def install(name: str) -> None:
        shutil.copyfile(tmp_path / f"{name}-cert.pem", certificate)
        shutil.copyfile(tmp_path / f"{name}-key.pem", key)

    def fingerprint_of(name: str) -> str:
        pem = (tmp_path / f"{name}-cert.pem").read_text()
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()

    install("first")
    server = ParleyProcess("--tls-cert", str(certificate), "--tls-key", str(key))
    trust_anything = ssl.create_default_context()
    trust_anything.check_hostname = False
    trust_anything.verify_mode = ssl.CERT_NONE

    def served() -> str:
        pem = ssl.get_server_certificate(("127.0.0.1", server.port))
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()

    def wait_until(condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + 10
        while not condition():
            assert time.monotonic() < deadline, f"{what}:\n{''.join(server.output[-20:])}"
            time.sleep(0.1)

    try:
        assert served() == fingerprint_of("first")

        async def scenario() -> None:
            async with websockets.connect(server.ws_url, origin=server.base_url, ssl=trust_anything) as ada:
                await ada.send(json.dumps({"type": "join", "room": "renewal", "name": "Ada"}))
                assert json.loads(await asyncio.wait_for(ada.recv(), 10))["type"] == "joined"

                install("renewed")
                server.signal(signal.SIGHUP)
                await asyncio.to_thread(wait_until, lambda: served() == fingerprint_of("renewed"), "not renewed")
                # Ada's connection, made with the first certificate, is still in the call.
                async with websockets.connect(server.ws_url, origin=server.base_url, ssl=trust_anything) as bob:
                    await bob.send(json.dumps({"type": "join", "room": "renewal", "name": "Bob"}))
                    assert json.loads(await asyncio.wait_for(bob.recv(), 10))["type"] == "joined"
                    news = json.loads(await asyncio.wait_for(ada.recv(), 10))
                    assert news["type"] == "peer-joined" and news["peer"]["name"] == "Bob"

        run_async(scenario())

        # A key that is not the certificate's: refused, and the renewed certificate stays.
        shutil.copyfile(tmp_path / "first-key.pem", key)
        server.signal(signal.SIGHUP)
        wait_until(lambda: any("TLS certificate not reloaded" in line for line in server.output), "no error logged")
        assert any("does not belong to the certificate" in line for line in server.output)
        assert server.process.poll() is None
        assert served() == fingerprint_of("renewed")
    finally:
        server.stop()


def test_sighup_without_certificate_files_leaves_the_server_running() -> None:
    # `systemctl reload` on a server without --tls-cert must not end its calls.
    server = ParleyProcess()
    try:
        server.signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while not any("SIGHUP: nothing to reload" in line for line in server.output):
            assert time.monotonic() < deadline, "".join(server.output[-20:])
            time.sleep(0.1)
        assert server.process.poll() is None
        assert get(server.base_url + "/healthz")[0] == 200
    finally:
        server.stop()


def test_second_signal_exits_at_once() -> None:
    server = ParleyProcess("--drain-timeout", "600")
    try:

        async def scenario() -> None:
            socket = await join(server, "forever", "Ada")
            server.signal(signal.SIGTERM)
            assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "draining"
            server.signal(signal.SIGINT)
            await asyncio.wait_for(socket.wait_closed(), 20)

        run_async(scenario())
        assert server.wait(timeout=20) == 1
    finally:
        server.stop()


def test_binary_serves_its_client_from_another_working_directory() -> None:
    # The release build (one static binary) when the test command built it; else the debug one.
    release = os.environ.get("PARLEY_RELEASE_BIN")
    with tempfile.TemporaryDirectory() as elsewhere:
        server = ParleyProcess(cwd=elsewhere, binary=Path(release) if release else None)
        try:
            status, page = get(server.base_url + "/")
            assert status == 200 and "<html" in page.lower()
            status, script = get(server.base_url + "/protocol.js")
            assert status == 200 and "export" in script
            assert get(server.base_url + "/r/some-room")[0] == 200
        finally:
            server.stop()
        assert os.listdir(elsewhere) == [], "the server wrote files into its working directory"
