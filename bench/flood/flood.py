#!/usr/bin/env python3
"""Flood load test: what one abusive client costs everyone else.

Starts the release server (its default limits), then
  1. opens thousands of idle joined connections (rooms of 4) and reports the server's resident
     memory per idle connection (ΔRSS / ΔN from /proc, between a warm-up batch and the rest);
  2. runs well-behaved pairs exchanging signals at a modest rate and measures relay latency
     (send to receive, one clock, one process): first quietly, then
  3. while a flooder (a separate process, its own loopback address) sends as fast as it can,
     valid signals to its room peer mixed with garbage, reconnecting whenever it is closed;
  4. while a few connections send deeply nested JSON, whose decoding cost grows with the
     cube of the depth (fuzz/signaling/SignalingFuzzer.swift, "Known issue").
Prints a table and writes bench/flood/RESULTS.md (not with --smoke, unless --out is given).

    python3 bench/flood/flood.py            # about 2 minutes once the server is built
    python3 bench/flood/flood.py --smoke    # a few seconds of each part
Options: --idle N, --pairs N, --rate R, --seconds S, --no-build, --out FILE.

The clients are spread over loopback source addresses (127.0.0.2 and up) so that the server
runs with its default per-address limits (100 connections, 60 joins a minute) and the flooder
meets them like any single address would.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import resource
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import common  # noqa: E402
from common import machine, percentile  # noqa: E402

REPO = HERE.parents[1]
BUILD = ["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "parley"]
ROOM_SIZE = 4
WARM_UP_IDLE = 200
IDLE_PER_ADDRESS = 20  # well under 100 connections and 60 joins per address
VICTIM_ADDRESS = "127.0.0.241"
FLOOD_ADDRESS = "127.0.0.250"
NESTED_ADDRESSES = ["127.0.0.251", "127.0.0.252", "127.0.0.253", "127.0.0.254"]
CANDIDATE = (
    "candidate:842163049 1 udp 1677729535 192.0.2.10 54321 typ srflx raddr 10.0.0.5 rport 54321 "
    "generation 0 ufrag EsAw network-id 1 network-cost 10"
)
GARBAGE = ["not json {{{", '{"type":"no-such-type"}', '{"type":"signal"}', "[1,2,3]", '{"type":"join","room":"a b"}']
now = time.perf_counter


# MARK: The server


class Server(common.Server):
    """`parley serve` on a free loopback port, with its default limits."""

    def __init__(self) -> None:
        try:
            super().__init__("parley", "--log-level", "error", default_limits=True)
        except common.ServerDidNotStart as error:
            raise SystemExit(f"{error} (build it: {' '.join(BUILD)}, or drop --no-build)") from None

    def rss(self) -> int:
        return self.rss_bytes()

    def cpu(self) -> float:
        return self.cpu_seconds()

    def metrics(self) -> dict[str, float]:
        """The parley_* counters that say what the limits did."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=10) as response:
                text = response.read().decode()
        except OSError:
            return {}
        wanted = ("parley_errors_total", "parley_joins_rejected_total", "parley_connections", "parley_participants")
        return {
            line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(wanted)
        }


# MARK: Clients


async def open_socket(url: str, address: str) -> ClientConnection:
    return await connect(
        url, compression=None, proxy=None, ping_interval=None, open_timeout=30, close_timeout=1,
        max_queue=None, max_size=None, local_addr=(address, 0),
    )


def join_text(room: str, name: str) -> str:
    return json.dumps({"type": "join", "room": room, "name": name}, separators=(",", ":"))


async def join(ws: ClientConnection, room: str, name: str, timeout: float = 30) -> dict:
    """Sends join and waits for joined; returns it (or the error that came instead)."""
    await ws.send(join_text(room, name))
    deadline = now() + timeout
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - now())))
        if message.get("type") in ("joined", "error"):
            return message


async def open_idle(url: str, count: int, first: int, sockets: list[ClientConnection]) -> None:
    """Opens and joins `count` idle connections, numbered from `first`, 64 at a time."""
    gate = asyncio.Semaphore(64)

    async def one(index: int) -> None:
        async with gate:
            address = f"127.0.0.{2 + index // IDLE_PER_ADDRESS}"
            ws = await open_socket(url, address)
            reply = await join(ws, f"idle-{index // ROOM_SIZE}", f"idle {index}")
            if reply.get("type") != "joined":
                raise SystemExit(f"idle connection {index} was not let in: {reply}")
            sockets.append(ws)

    await asyncio.gather(*(one(i) for i in range(first, first + count)))


@dataclass
class Pair:
    """Two well-behaved participants in a room of their own, signalling each other."""

    index: int
    sockets: list[ClientConnection] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)


class Latencies:
    """Relay latencies of the pairs' signals, by phase."""

    def __init__(self) -> None:
        self.phase = ""
        self.samples: dict[str, list[float]] = {}
        self.sent: dict[str, int] = {}
        self.received: dict[str, int] = {}

    def start(self, phase: str) -> None:
        self.phase = phase
        self.samples.setdefault(phase, [])
        self.sent.setdefault(phase, 0)
        self.received.setdefault(phase, 0)


async def pair_reader(ws: ClientConnection, latencies: Latencies) -> None:
    try:
        async for message in ws:
            if '"sentAt":' not in message:
                continue
            data = json.loads(message)["data"]
            phase = data["phase"]
            if phase in latencies.samples:
                latencies.samples[phase].append(now() - data["sentAt"])
                latencies.received[phase] += 1
    except ConnectionClosed:
        pass


async def pair_sender(pair: Pair, side: int, rate: float, latencies: Latencies, stop: asyncio.Event) -> None:
    ws, to = pair.sockets[side], pair.ids[1 - side]
    interval = 1 / rate
    # Spread the pairs over the interval so they do not all send at once.
    await asyncio.sleep(interval * ((pair.index * 2 + side) % 17) / 17)
    next_send = now()
    while not stop.is_set():
        phase = latencies.phase
        text = json.dumps(
            {"type": "signal", "to": to, "data": {"phase": phase, "sentAt": now(), "candidate": {"candidate": CANDIDATE}}},
            separators=(",", ":"),
        )
        try:
            await ws.send(text)
        except ConnectionClosed:
            return
        latencies.sent[phase] = latencies.sent.get(phase, 0) + 1
        next_send += interval
        await asyncio.sleep(max(0, next_send - now()))


async def open_pairs(url: str, count: int) -> list[Pair]:
    pairs = []
    for index in range(count):
        pair = Pair(index)
        for side in range(2):
            ws = await open_socket(url, f"127.0.1.{1 + index % 250}")
            reply = await join(ws, f"pair-{index}", f"pair {index}/{side}")
            if reply.get("type") != "joined":
                raise SystemExit(f"pair {index} was not let in: {reply}")
            pair.sockets.append(ws)
            pair.ids.append(reply["id"])
        pairs.append(pair)
    return pairs


# MARK: The flooder (runs in its own process: `flood.py --flooder ...`)


async def flooder(url: str, seconds: float, address: str, room: str) -> dict:
    """Sends as fast as it can (three valid signals to the room's other participant, then one
    piece of garbage), reconnecting and rejoining whenever the server closes it."""
    report: dict = {
        "connections": 0, "joined": 0, "join_refused": {}, "sent": 0, "errors": {}, "closes": {},
        "handshake_refused": 0, "sent_per_connection": [], "lifetime_ms": [], "sent_before_rate_limited": [],
    }
    end = now() + seconds
    started = time.process_time()
    while now() < end and report["connections"] < 100_000:
        try:
            ws = await open_socket(url, address)
        except (InvalidStatus, InvalidHandshake, OSError, asyncio.TimeoutError):
            report["handshake_refused"] += 1
            await asyncio.sleep(0.01)
            continue
        report["connections"] += 1
        opened = now()
        sent = 0
        rate_limited_at: list[int] = []
        target = "0000000000000000"

        async def read() -> None:
            try:
                async for message in ws:
                    data = json.loads(message)
                    if data.get("type") == "error":
                        code = data.get("code", "?")
                        report["errors"][code] = report["errors"].get(code, 0) + 1
                        if code == "rate-limited" and not rate_limited_at:
                            rate_limited_at.append(sent)
            except ConnectionClosed:
                pass

        try:
            await ws.send(join_text(room, "flooder"))
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
                if message.get("type") == "joined":
                    report["joined"] += 1
                    peers = message.get("peers") or []
                    if peers:
                        target = peers[0]["id"]
                    break
                if message.get("type") == "error":
                    code = message.get("code", "?")
                    report["join_refused"][code] = report["join_refused"].get(code, 0) + 1
                    break
            reader = asyncio.create_task(read())
            signal_text = json.dumps(
                {"type": "signal", "to": target, "data": {"flood": True, "candidate": {"candidate": CANDIDATE}}},
                separators=(",", ":"),
            )
            while now() < end:
                text = GARBAGE[(sent // 4) % len(GARBAGE)] if sent % 4 == 3 else signal_text
                await ws.send(text)
                sent += 1
                if sent % 64 == 0:
                    await asyncio.sleep(0)  # let the reader see errors and the close
            await ws.close()
            await asyncio.wait_for(reader, timeout=5)
        except (ConnectionClosed, asyncio.TimeoutError):
            pass
        code = ws.close_code
        report["closes"][str(code)] = report["closes"].get(str(code), 0) + 1
        report["sent"] += sent
        report["sent_per_connection"].append(sent)
        report["lifetime_ms"].append((now() - opened) * 1000)
        if rate_limited_at:
            report["sent_before_rate_limited"].append(rate_limited_at[0])
    report["cpu_seconds"] = time.process_time() - started
    return report


async def nested_sender(url: str, address: str, depth: int, count: int) -> dict:
    """Sends `count` signals whose data nests `depth` arrays deep, without joining (decoding
    comes before any check of who is asking), and waits for every answer."""
    text = '{"type":"signal","to":"x","data":{"a":' + "[" * depth + "]" * depth + "}}"
    ws = await open_socket(url, address)
    started = now()
    for _ in range(count):
        await ws.send(text)
    answers: dict[str, int] = {}
    try:
        while sum(answers.values()) < count:
            data = json.loads(await asyncio.wait_for(ws.recv(), timeout=120))
            answers[data.get("code", data.get("type"))] = answers.get(data.get("code", data.get("type")), 0) + 1
    except (ConnectionClosed, asyncio.TimeoutError):
        pass
    finished = now()
    await ws.close()
    return {"bytes": len(text), "answers": answers, "seconds": finished - started, "close": ws.close_code}


# MARK: The run


@dataclass
class Settings:
    idle: int
    pairs: int
    rate: float
    seconds: float
    nested_connections: int
    nested_depth: int
    nested_count: int


async def run(server: Server, settings: Settings) -> dict:
    url = server.ws_url
    results: dict = {"settings": settings.__dict__}
    idle: list[ClientConnection] = []

    # 1. Memory per idle joined connection.
    warm_up = min(WARM_UP_IDLE, settings.idle // 2)
    await open_idle(url, warm_up, 0, idle)
    await asyncio.sleep(1)
    rss_before = server.rss()
    opened_at = now()
    await open_idle(url, settings.idle - warm_up, warm_up, idle)
    results["idle_open_seconds"] = now() - opened_at
    await asyncio.sleep(2)
    rss_after = server.rss()
    results["rss_before"] = rss_before
    results["rss_after"] = rss_after
    results["rss_per_idle_connection"] = (rss_after - rss_before) / (settings.idle - warm_up)

    # 2. Well-behaved pairs, quietly.
    pairs = await open_pairs(url, settings.pairs)
    latencies = Latencies()
    latencies.start("warm-up")
    stop = asyncio.Event()
    tasks = [asyncio.create_task(pair_reader(ws, latencies)) for pair in pairs for ws in pair.sockets]
    tasks += [
        asyncio.create_task(pair_sender(pair, side, settings.rate, latencies, stop)) for pair in pairs for side in (0, 1)
    ]
    victim = await open_socket(url, VICTIM_ADDRESS)
    await join(victim, "flood", "victim")
    victim_received = [0]

    async def victim_reader() -> None:
        try:
            async for message in victim:
                if '"flood":true' in message:
                    victim_received[0] += 1
        except ConnectionClosed:
            pass

    tasks.append(asyncio.create_task(victim_reader()))
    await asyncio.sleep(min(2, settings.seconds))

    phases: dict[str, dict] = {}

    async def phase(name: str, body) -> None:
        latencies.start(name)
        cpu, started = server.cpu(), now()
        extra = await body()
        elapsed = now() - started
        phases[name] = {"seconds": elapsed, "server_cpu": (server.cpu() - cpu) / elapsed, "rss": server.rss(), **(extra or {})}

    async def quiet() -> None:
        await asyncio.sleep(settings.seconds)

    async def flood() -> dict:
        command = [
            sys.executable, str(Path(__file__).resolve()), "--flooder", url, "--seconds", str(settings.seconds),
            "--flooder-address", FLOOD_ADDRESS,
        ]
        process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
        received_before = victim_received[0]
        out, _ = await asyncio.wait_for(process.communicate(), timeout=settings.seconds + 60)
        report = json.loads(out.decode().strip().splitlines()[-1])
        report["victim_received"] = victim_received[0] - received_before
        return {"flooder": report}

    async def nested() -> dict:
        senders = asyncio.gather(
            *(
                nested_sender(url, NESTED_ADDRESSES[i % len(NESTED_ADDRESSES)], settings.nested_depth, settings.nested_count)
                for i in range(settings.nested_connections)
            )
        )
        # At least as long as the other phases, so that the pairs' latency is measured even when
        # the server refuses the nested messages at once.
        reports, _ = await asyncio.gather(senders, asyncio.sleep(settings.seconds))
        return {"nested": reports}

    await phase("quiet", quiet)
    await phase("flood", flood)
    await phase("nested", nested)
    # Signals are counted in the phase they were sent in; give the late ones time to arrive.
    latencies.start("cool-down")
    await asyncio.sleep(2)
    stop.set()
    await asyncio.sleep(0.2)

    for name in phases:
        samples = latencies.samples.get(name, [])
        phases[name]["latency_ms"] = {
            "p50": percentile(samples, 50) * 1000, "p99": percentile(samples, 99) * 1000,
            "max": max(samples, default=float("nan")) * 1000,
        }
        phases[name]["signals_sent"] = latencies.sent.get(name, 0)
        phases[name]["signals_received"] = len(samples)
    results["phases"] = phases
    results["idle_still_open"] = sum(1 for ws in idle if ws.close_code is None)
    results["pairs_still_open"] = sum(1 for pair in pairs for ws in pair.sockets if ws.close_code is None)
    results["server_alive"] = server.alive()
    results["metrics"] = server.metrics()

    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    closing = [ws.close() for ws in idle] + [ws.close() for pair in pairs for ws in pair.sockets] + [victim.close()]
    for start in range(0, len(closing), 500):
        await asyncio.gather(*closing[start : start + 500], return_exceptions=True)
    return results


# MARK: Report


def kib(value: float) -> str:
    return f"{value / 1024:.1f} KiB"


def table(results: dict) -> str:
    s = results["settings"]
    phases = results["phases"]
    rows = [
        "| measure | value |",
        "|---|---|",
        f"| idle joined connections (rooms of {ROOM_SIZE}) | {s['idle']:,} (opened in {results['idle_open_seconds']:.1f} s) |",
        f"| server RSS before → after the last {s['idle'] - min(WARM_UP_IDLE, s['idle'] // 2):,} | "
        f"{results['rss_before'] / 2**20:.1f} MiB → {results['rss_after'] / 2**20:.1f} MiB |",
        f"| **server memory per idle connection** (ΔRSS/ΔN) | **{kib(results['rss_per_idle_connection'])}** |",
        f"| well-behaved pairs | {s['pairs']} pairs, {s['rate']:g} signals/s each way |",
    ]
    lines = ["\n".join(rows), "", "| phase | relay p50 | relay p99 | max | signals received / sent | server CPU (cores) | server RSS |", "|---|---|---|---|---|---|---|"]
    for name, p in phases.items():
        latency = p["latency_ms"]
        lines.append(
            f"| {name} | {latency['p50']:.2f} ms | {latency['p99']:.2f} ms | {latency['max']:.1f} ms | "
            f"{p['signals_received']:,} / {p['signals_sent']:,} | {p['server_cpu']:.2f} | {p['rss'] / 2**20:.1f} MiB |"
        )
    flood = phases["flood"]["flooder"]
    per_connection = flood["sent_per_connection"]
    lifetimes = flood["lifetime_ms"]
    before_limit = flood["sent_before_rate_limited"]
    lines += [
        "",
        "| the flooder (one process, one address, reconnecting) | |",
        "|---|---|",
        f"| connections opened / joined | {flood['connections']:,} / {flood['joined']:,} "
        f"(joins refused: {fmt_counts(flood['join_refused'])}; handshakes refused: {flood['handshake_refused']}) |",
        f"| messages sent | {flood['sent']:,} ({flood['sent'] / s['seconds']:,.0f}/s; "
        f"{flood['cpu_seconds'] / s['seconds']:.2f} cores of client CPU) |",
        f"| relayed to its room peer | {flood['victim_received']:,} signals |",
        f"| first `rate-limited` error after | {fmt_median(before_limit)} messages (median over connections) |",
        f"| messages per connection before it ended | {fmt_median(per_connection)} (median) |",
        f"| connection lifetime | {fmt_median(lifetimes, 'ms')} (median) |",
        f"| how its connections ended (close code: count) | {fmt_counts(flood['closes'])} |",
        f"| errors it received | {fmt_counts(flood['errors'])} |",
    ]
    lines += ["", "| nested-JSON sender | bytes per message | messages | answered | seconds until all answered |", "|---|---|---|---|---|"]
    for index, report in enumerate(phases["nested"]["nested"]):
        lines.append(
            f"| {index + 1} (depth {s['nested_depth']}) | {report['bytes']:,} | {s['nested_count']} | "
            f"{fmt_counts(report['answers'])} | {report['seconds']:.2f} |"
        )
    lines += [
        "",
        f"At the end: server alive: {'yes' if results['server_alive'] else 'NO'}; idle connections still open: "
        f"{results['idle_still_open']:,} of {s['idle']:,}; pair connections still open: {results['pairs_still_open']} "
        f"of {2 * s['pairs']}.",
    ]
    metrics = {k: v for k, v in results["metrics"].items() if v}
    if metrics:
        lines += ["", "Server counters (`/metrics`) at the end:", "", "```"]
        lines += [f"{name} {value:g}" for name, value in sorted(metrics.items())]
        lines += ["```"]
    return "\n".join(lines)


def fmt_counts(counts: dict) -> str:
    return ", ".join(f"{key}: {value:,}" for key, value in sorted(counts.items(), key=lambda item: -item[1])) or "none"


def fmt_median(values: list[float], unit: str = "") -> str:
    if not values:
        return "n/a"
    value = percentile(values, 50)
    return f"{value:,.1f} {unit}".strip() if unit else f"{value:,.0f}"


def write_results(path: Path, results: dict, command: str) -> None:
    about = machine()
    text = f"""# Flood load test

What one abusive client costs everyone else on a Parley server with its default limits
(`bench/flood/flood.py`; method in its docstring).

- Date: {datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
- Machine: {about['cpu']}, {about['cores']} cores, {about['memory_gib']} GiB; {about['os']}, Linux {about['kernel']}
- Swift: {about['swift']}; Python {about['python']}
- Command: `{command}`
- Server: `{' '.join(Path(part).name if i == 0 else part for i, part in enumerate(results['server_command']))}`
  (release build; clients, flooder and server share this machine's cores)

{table(results)}
"""
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="a few seconds of each part")
    parser.add_argument("--idle", type=int, help="idle joined connections (default 4000)")
    parser.add_argument("--pairs", type=int, help="well-behaved pairs (default 20)")
    parser.add_argument("--rate", type=float, default=10, help="signals per second each way per pair")
    parser.add_argument("--seconds", type=float, help="length of each measured phase (default 20)")
    parser.add_argument("--no-build", action="store_true", help="use the release binary already built")
    parser.add_argument("--out", type=Path, help="write the results here (default bench/flood/RESULTS.md)")
    parser.add_argument("--flooder", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--flooder-address", default=FLOOD_ADDRESS, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.flooder:
        report = asyncio.run(flooder(args.flooder, args.seconds or 10, args.flooder_address, "flood"))
        print(json.dumps(report))
        return

    settings = Settings(
        idle=args.idle or (200 if args.smoke else 4000),
        pairs=args.pairs or (3 if args.smoke else 20),
        rate=args.rate,
        seconds=args.seconds or (3 if args.smoke else 20),
        nested_connections=2,
        nested_depth=200 if args.smoke else 400,
        nested_count=2 if args.smoke else 10,
    )
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < settings.idle + 200:
        raise SystemExit(f"the open-file limit ({hard}) is too low for {settings.idle} connections")
    if not args.no_build:
        print("building:", " ".join(BUILD), flush=True)
        subprocess.run(BUILD, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    server = Server()
    try:
        results = asyncio.run(asyncio.wait_for(run(server, settings), timeout=600))
    finally:
        server.stop()
    results["server_command"] = server.command
    print(table(results))
    out = args.out or (None if args.smoke else HERE / "RESULTS.md")
    if out:
        command = "python3 bench/flood/flood.py " + " ".join(sys.argv[1:])
        write_results(out, results, command.strip())
        print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
