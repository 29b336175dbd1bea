"""Signalling benchmarks: capacity (many connections, relay at a fixed offered rate) and the
join storm, each run against Parley and against the bare relay (bench/EchoServer) in the same
invocation, alternating between the two.

Run it pinned to its own core (bench/run does: `taskset -c 1`); the servers it starts are
pinned to core 0. Writes a JSON file of figures; bench/report.py turns it into a table.

    python3 bench/signalling.py capacity --sizes 1000,5000,10000 --rate 5000 --seconds 10 --out F
    python3 bench/signalling.py storm --clients 200 --repetitions 5 --out F
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Server, load_average, machine_busy_seconds, median, percentile, self_cpu_seconds, write_json  # noqa: E402

SERVER_CPU = 0
# Loopback source addresses the clients are spread over, so that 10,000 connections never
# come near one address's ephemeral port range.
SOURCE_ADDRESSES = [f"127.0.0.{i}" for i in range(1, 9)]
ROOM_SIZE = 4
# A signal of the size browsers really trickle: one ICE candidate.
CANDIDATE = (
    "candidate:842163049 1 udp 1677729535 192.0.2.10 54321 typ srflx raddr 10.0.0.5 rport 54321 "
    "generation 0 ufrag EsAw network-id 1 network-cost 10"
)
now = time.perf_counter


def raise_open_file_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def open_socket(url: str, index: int) -> ClientConnection:
    return await connect(
        url,
        compression=None,  # neither server offers permessage-deflate; do not ask for it
        proxy=None,
        ping_interval=None,  # the servers ping; the client only answers
        open_timeout=60,
        close_timeout=1,
        max_queue=None,
        local_addr=(SOURCE_ADDRESSES[index % len(SOURCE_ADDRESSES)], 0),
    )


def join_text(room: str, name: str) -> str:
    return json.dumps({"type": "join", "room": room, "name": name}, separators=(",", ":"))


def signal_text(to: str, seq: int) -> str:
    return (
        f'{{"type":"signal","to":"{to}","data":{{"seq":{seq},"candidate":{{"candidate":"{CANDIDATE}",'
        f'"sdpMid":"0","sdpMLineIndex":0}}}}}}'
    )


def seq_of(message: str) -> int:
    start = message.find('"seq":')
    if start < 0:
        return -1
    start += 6
    end = start
    while message[end].isdigit():
        end += 1
    return int(message[start:end])


@dataclass(eq=False)
class Client:
    """One load connection: its id in the room once joined, and the ids of the others."""

    index: int
    room: str
    ws: ClientConnection | None = None
    id: str = ""
    peers: list[str] = field(default_factory=list)
    joined: asyncio.Event = field(default_factory=asyncio.Event)
    joined_at: float = 0.0
    complete_at: float = 0.0
    roster_target: int = 0
    errors: dict[str, int] = field(default_factory=dict)


class Recorder:
    """Receive times of relayed signals, by sequence number."""

    def __init__(self) -> None:
        self.received: list[float] = []

    def reset(self, count: int) -> None:
        self.received = [0.0] * count


def handle(client: Client, message: str, recorder: Recorder) -> None:
    if '"seq":' in message:
        seq = seq_of(message)
        if 0 <= seq < len(recorder.received):
            recorder.received[seq] = now()
        return
    try:
        data = json.loads(message)
    except ValueError:
        return
    kind = data.get("type")
    if kind == "joined":
        client.id = data["id"]
        # A peer-joined may overtake our own joined on the bare relay (it writes from the
        # newcomer's task); keep such a peer.
        earlier = [peer["id"] for peer in data.get("peers", [])]
        client.peers = earlier + [peer for peer in client.peers if peer not in earlier]
        client.joined_at = now()
        client.joined.set()
    elif kind == "peer-joined":
        client.peers.append(data["peer"]["id"])
    elif kind == "peer-left":
        if data.get("id") in client.peers:
            client.peers.remove(data["id"])
    elif kind == "error":
        code = str(data.get("code"))
        client.errors[code] = client.errors.get(code, 0) + 1
    if client.roster_target and not client.complete_at and len(client.peers) >= client.roster_target:
        client.complete_at = now()


async def read_forever(client: Client, recorder: Recorder) -> None:
    assert client.ws is not None
    try:
        async for message in client.ws:
            if isinstance(message, str):
                handle(client, message, recorder)
    except (ConnectionClosed, OSError):
        pass


async def connect_and_join(url: str, client: Client, recorder: Recorder, tasks: list[asyncio.Task]) -> None:
    client.ws = await open_socket(url, client.index)
    tasks.append(asyncio.create_task(read_forever(client, recorder)))
    await client.ws.send(join_text(client.room, f"c{client.index}"))
    await asyncio.wait_for(client.joined.wait(), 60)


def abort_all(clients: list[Client], tasks: list[asyncio.Task]) -> None:
    for client in clients:
        if client.ws is not None and client.ws.transport is not None:
            client.ws.transport.abort()
    for task in tasks:
        task.cancel()


async def open_clients(url: str, count: int, recorder: Recorder, tasks: list[asyncio.Task], prefix: str) -> list[Client]:
    """Opens `count` connections joined in rooms of four, at most 200 handshakes at a time."""
    clients = [Client(index=i, room=f"{prefix}-{i // ROOM_SIZE}") for i in range(count)]
    limit = asyncio.Semaphore(200)

    async def one(client: Client) -> None:
        async with limit:
            await connect_and_join(url, client, recorder, tasks)

    await asyncio.gather(*(one(client) for client in clients))
    # Everyone knows the three others of their room before the load starts.
    deadline = now() + 10
    while any(len(c.peers) < min(ROOM_SIZE, count) - 1 for c in clients):
        if now() > deadline:
            short = [c for c in clients if len(c.peers) < min(ROOM_SIZE, count) - 1]
            raise RuntimeError(
                f"rooms did not fill up: {len(short)} of {count} clients lack peers, e.g. {short[0].index} "
                f"in {short[0].room} knows {short[0].peers}; errors {short[0].errors}"
            )
        await asyncio.sleep(0.05)
    return clients


async def sleep_until(moment: float) -> None:
    delay = moment - now()
    if delay > 0:
        await asyncio.sleep(delay)


# MARK: - Capacity


async def capacity_one(kind: str, n: int, rate: float, seconds: float, warmup: float, settle: float) -> dict:
    server = Server(kind, cpu=SERVER_CPU)
    tasks: list[asyncio.Task] = []
    clients: list[Client] = []
    recorder = Recorder()
    try:
        # A few connections first, so one-time start-up costs (thread pools, lazily built
        # tables) are not charged to the connections measured.
        warm = await open_clients(server.ws_url, 8, recorder, tasks, "warm")
        for i, client in enumerate(warm):
            assert client.ws is not None
            await client.ws.send(signal_text(client.peers[0], 10**9 + i))
        await asyncio.sleep(0.3)
        abort_all(warm, tasks)
        tasks.clear()
        await asyncio.sleep(settle / 2)

        rss_before = server.rss_bytes()
        opening = now()
        clients = await open_clients(server.ws_url, n, recorder, tasks, "room")
        open_seconds = now() - opening
        await asyncio.sleep(settle)
        gc.collect()
        gc.freeze()
        idle_cpu_start, idle_start = server.cpu_seconds(), now()
        await asyncio.sleep(settle)
        idle_cpu = (server.cpu_seconds() - idle_cpu_start) / (now() - idle_start)
        rss_idle = server.rss_bytes()
        threads = server.threads()

        # Open loop: message k is due at start + k / rate, whatever happened to the ones before.
        total = int(rate * (warmup + seconds))
        window_first = int(rate * warmup)
        recorder.reset(total)
        scheduled = [0.0] * total
        sent = [0.0] * total
        rng = random.Random(n)
        senders = [rng.randrange(n) for _ in range(total)]
        gc.disable()
        start = now() + 0.05
        k = 0
        window = {}
        while k < total:
            due = start + k / rate
            if due > now():
                await sleep_until(due)
            moment = now()
            while k < total and start + k / rate <= moment:
                if k == window_first:
                    window = {
                        "cpu": server.cpu_seconds(),
                        "load_cpu": self_cpu_seconds(),
                        "busy": machine_busy_seconds(),
                        "at": now(),
                    }
                client = clients[senders[k]]
                scheduled[k] = start + k / rate
                assert client.ws is not None
                sent[k] = now()
                await client.ws.send(signal_text(client.peers[k % len(client.peers)], k))
                k += 1
        window_end = {
            "cpu": server.cpu_seconds(),
            "load_cpu": self_cpu_seconds(),
            "busy": machine_busy_seconds(),
            "at": now(),
        }
        # Stragglers: wait until everything arrived, or two seconds.
        deadline = now() + 2.0
        while now() < deadline and not all(recorder.received[window_first:]):
            await asyncio.sleep(0.05)
        gc.enable()
        gc.unfreeze()
        rss_loaded = server.rss_bytes()

        latencies = [
            (recorder.received[i] - scheduled[i]) * 1000 for i in range(window_first, total) if recorder.received[i]
        ]
        service = [(recorder.received[i] - sent[i]) * 1000 for i in range(window_first, total) if recorder.received[i]]
        send_lag = [(sent[i] - scheduled[i]) * 1000 for i in range(window_first, total)]
        messages = total - window_first
        wall = window_end["at"] - window["at"]
        server_cpu = window_end["cpu"] - window["cpu"]
        load_cpu = window_end["load_cpu"] - window["load_cpu"]
        other_cpu = max(0.0, window_end["busy"] - window["busy"] - server_cpu - load_cpu)
        errors: dict[str, int] = {}
        for client in clients:
            for code, count in client.errors.items():
                errors[code] = errors.get(code, 0) + count
        return {
            "server": kind,
            "connections": n,
            "rate": rate,
            "seconds": seconds,
            "open_seconds": round(open_seconds, 2),
            "rss_before": rss_before,
            "rss_idle": rss_idle,
            "rss_loaded": rss_loaded,
            "bytes_per_connection": (rss_idle - rss_before) / n,
            "server_threads": threads,
            "server_idle_cpu_percent": round(idle_cpu * 100, 2),
            "messages": messages,
            "delivered": len(latencies),
            "lost": messages - len(latencies),
            "achieved_rate": messages / wall if wall > 0 else 0,
            "latency_ms": {
                "p50": percentile(latencies, 50),
                "p99": percentile(latencies, 99),
                "max": max(latencies, default=float("nan")),
            },
            "service_latency_ms": {"p50": percentile(service, 50), "p99": percentile(service, 99)},
            "send_lag_ms": {"p50": percentile(send_lag, 50), "p99": percentile(send_lag, 99)},
            "server_cpu_seconds": server_cpu,
            "server_cpu_percent": 100 * server_cpu / wall if wall > 0 else 0,
            "server_cpu_us_per_message": 1e6 * server_cpu / messages if messages else 0,
            "load_cpu_percent": 100 * load_cpu / wall if wall > 0 else 0,
            "other_cpu_percent": 100 * other_cpu / wall if wall > 0 else 0,
            "load_average": load_average(),
            "errors": errors,
            "server_alive": server.alive(),
        }
    finally:
        abort_all(clients, tasks)
        server.stop()


async def capacity(args: argparse.Namespace) -> dict:
    limit = raise_open_file_limit()
    sizes = [int(s) for s in args.sizes.split(",")]
    runs = []
    for n in sizes:
        if n * 1.05 + 100 > limit:
            print(f"capacity: skipping N={n}: open-file limit {limit}", file=sys.stderr)
            continue
        # The baseline and Parley side by side at every size, back to back, in alternating order
        # from one repetition to the next: this machine's speed drifts over minutes, and a pair
        # run back to back compares fairly.
        for rep in range(args.repetitions):
            for kind in ("echo", "parley") if rep % 2 == 0 else ("parley", "echo"):
                print(f"capacity: {kind} N={n} ...", file=sys.stderr, flush=True)
                result = await capacity_one(kind, n, args.rate, args.seconds, args.warmup, args.settle)
                result["repetition"] = rep + 1
                runs.append(result)
                print(
                    "capacity: {server} N={connections}: {kib:.1f} KiB/conn, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
                    "{us:.1f} us/msg, server CPU {scpu:.0f}%, load CPU {lcpu:.0f}%, lost {lost}".format(
                        kib=result["bytes_per_connection"] / 1024,
                        p50=result["latency_ms"]["p50"],
                        p99=result["latency_ms"]["p99"],
                        us=result["server_cpu_us_per_message"],
                        scpu=result["server_cpu_percent"],
                        lcpu=result["load_cpu_percent"],
                        **result,
                    ),
                    file=sys.stderr,
                    flush=True,
                )
                await asyncio.sleep(0.5)
    return {
        "open_file_limit": limit, "rate": args.rate, "seconds": args.seconds, "repetitions": args.repetitions,
        "runs": runs,
    }


# MARK: - Join storm


async def storm_one(server: Server, size: int, spread: float, label: str) -> dict:
    recorder = Recorder()
    clients = [Client(index=i, room=label, roster_target=size - 1) for i in range(size)]
    tasks: list[asyncio.Task] = []
    sent_join = [0.0] * size
    load_cpu = self_cpu_seconds()
    server_cpu = server.cpu_seconds()
    busy = machine_busy_seconds()
    start = now() + 0.05

    async def one(client: Client) -> None:
        await sleep_until(start + client.index * spread / size)
        client.ws = await open_socket(server.ws_url, client.index)
        tasks.append(asyncio.create_task(read_forever(client, recorder)))
        sent_join[client.index] = now()
        await client.ws.send(join_text(client.room, f"c{client.index}"))

    try:
        await asyncio.gather(*(one(client) for client in clients))
        last_join = max(sent_join)
        deadline = now() + 30
        while now() < deadline and not all(c.complete_at for c in clients):
            await asyncio.sleep(0.01)
        incomplete = sum(1 for c in clients if not c.complete_at)
        done = max((c.complete_at for c in clients), default=0.0)
        join_answers = [(c.joined_at - sent_join[c.index]) * 1000 for c in clients if c.joined_at]
        wall = now() - start
        server_used = server.cpu_seconds() - server_cpu
        load_used = self_cpu_seconds() - load_cpu
        other = max(0.0, machine_busy_seconds() - busy - server_used - load_used)
        return {
            "server": server.kind,
            "clients": size,
            "incomplete": incomplete,
            "all_rosters_ms": (done - start) * 1000 if not incomplete else None,
            "after_last_join_ms": (done - last_join) * 1000 if not incomplete else None,
            "joins_spread_ms": (last_join - start) * 1000,
            "join_answer_ms": {"p50": percentile(join_answers, 50), "p99": percentile(join_answers, 99)},
            "server_cpu_seconds": server_used,
            "load_cpu_percent": 100 * load_used / wall,
            "other_cpu_percent": 100 * other / wall,
            "errors": {code: n for c in clients for code, n in c.errors.items()},
        }
    finally:
        abort_all(clients, tasks)


async def storm(args: argparse.Namespace) -> dict:
    raise_open_file_limit()
    runs = []
    echo = Server("echo", cpu=SERVER_CPU)
    parley = Server("parley", "--max-peers", str(max(args.clients, 2)), cpu=SERVER_CPU)
    try:
        for rep in range(args.repetitions):
            for server in (echo, parley):
                result = await storm_one(server, args.clients, args.spread, f"storm-{rep}")
                result["repetition"] = rep
                runs.append(result)
                print(
                    f"storm: {server.kind} #{rep}: every roster complete after {result['all_rosters_ms']} ms "
                    f"({result['after_last_join_ms']} ms after the last join), load CPU "
                    f"{result['load_cpu_percent']:.0f}%",
                    file=sys.stderr,
                    flush=True,
                )
                await asyncio.sleep(1.0)
    finally:
        echo.stop()
        parley.stop()
    summary = {}
    for kind in ("echo", "parley"):
        mine = [r for r in runs if r["server"] == kind and r["all_rosters_ms"] is not None]
        summary[kind] = {
            "all_rosters_ms": median([r["all_rosters_ms"] for r in mine]),
            "after_last_join_ms": median([r["after_last_join_ms"] for r in mine]),
            "join_answer_p99_ms": median([r["join_answer_ms"]["p99"] for r in mine]),
            "server_cpu_seconds": median([r["server_cpu_seconds"] for r in mine]),
            "load_cpu_percent": median([r["load_cpu_percent"] for r in mine]),
            "other_cpu_percent": median([r["other_cpu_percent"] for r in mine]),
            "complete_runs": len(mine),
        }
    return {"clients": args.clients, "spread_s": args.spread, "runs": runs, "summary": summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    cap = commands.add_parser("capacity")
    cap.add_argument("--sizes", default="1000,5000,10000")
    cap.add_argument("--rate", type=float, default=5000)
    cap.add_argument("--seconds", type=float, default=10)
    cap.add_argument("--warmup", type=float, default=2, help="seconds of load before the measured window")
    cap.add_argument("--settle", type=float, default=2, help="idle seconds before each RSS reading")
    cap.add_argument("--repetitions", type=int, default=3, help="trials of each server at each size")
    cap.add_argument("--out", type=Path, required=True)
    st = commands.add_parser("storm")
    st.add_argument("--clients", type=int, default=200)
    st.add_argument("--spread", type=float, default=1.0)
    st.add_argument("--repetitions", type=int, default=5)
    st.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    result = asyncio.run(capacity(args) if args.command == "capacity" else storm(args))
    write_json(args.out, result)


if __name__ == "__main__":
    main()
