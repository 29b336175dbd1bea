"""Turns the JSON figures of one bench/run into RESULTS.md: machine, date, command, tables of
figures and ratios, and which targets were met.

    python3 bench/report.py --results DIR --command "bench/run" --out bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, median  # noqa: E402

KIB = 1024
# The targets.
TARGET_SETUP_OVERHEAD = 1.10  # Parley / floor, first remote frame
TARGET_KIB_PER_CONNECTION = 16
TARGET_CONNECTIONS = 10_000
TARGET_P99_MS = 5.0
TARGET_CPU_RATIO = 1.2


def load(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def ms(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0 or math.isnan(a) or math.isnan(b):
        return "–"
    return f"{a / b:.2f}×"


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**missed**")


def info_cores() -> int:
    import os  # noqa: PLC0415

    return os.cpu_count() or 1


def negotiation_steps(s: dict) -> str:
    """The medians of a two-page call's steps, at the second page and then at the first."""
    steps = [
        ("the WebSocket is open", "ws_open_ms"),
        ("`joined` has arrived", "joined_ms"),
        ("the peer connection is created", "pc_created_ms"),
        ("the offer's `setLocalDescription` is called", "offer_local_started_ms"),
        ("it has resolved", "offer_local_set_ms"),
        ("the offer has left", "offer_sent_ms"),
        ("the answer has arrived", "answer_received_ms"),
    ]
    told = [f"{words} at {ms(s[key]['median'], 1)} ms" for words, key in steps if key in s]
    text = "at the second page (medians after the click): " + ", ".join(told) + "."
    answering = [
        ("the offer arrives", "offer_received_ms"),
        ("its `setRemoteDescription` has resolved", "answer_remote_set_ms"),
        ("the answer's `setLocalDescription` has resolved", "answer_local_set_ms"),
        ("the answer leaves", "answer_sent_ms"),
    ]
    told = [f"{words} at {ms(s[key]['median'], 1)} ms" for words, key in answering if key in s]
    if told:
        text += " At the first page, which answers, on the same clock: " + ", ".join(told) + "."
    return text


def call_section(data: dict | None, lines: list[str], targets: list[tuple[str, str, str]]) -> None:
    lines.append("## 1. Call setup: join → first remote video frame")
    lines.append("")
    if data is None:
        lines.append("Not run.")
        lines.append("")
        return
    summary = data["summary"]
    kinds = [k for k in ("floor", "bare", "parley", "janus") if k in summary]
    names = {
        "floor": "floor (no server)",
        "bare": "two bare pages, bare relay",
        "parley": "Parley",
        "janus": "Janus 1.1.2 VideoRoom",
    }
    lines.append(
        f"{data['repetitions']} interleaved repetitions each (plus one warm-up round that is not counted); "
        "milliseconds from t0, median / p95."
    )
    lines.append("")
    lines.append("| | repetitions | first remote frame | ICE connected | DTLS connected | other side's first frame |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for kind in kinds:
        s = summary[kind]

        def cell(figure: str) -> str:
            if figure not in s:
                return "–"
            return f"{ms(s[figure]['median'])} / {ms(s[figure]['p95'])}"

        lines.append(
            f"| {names[kind]} | {s['repetitions']} | {cell('first_frame_ms')} | {cell('ice_connected_ms')} | "
            f"{cell('dtls_connected_ms')} | {cell('other_first_frame_ms')} |"
        )
    floor = summary.get("floor", {}).get("first_frame_ms")
    parley = summary.get("parley", {}).get("first_frame_ms")
    lines.append("")
    if floor and parley:
        r_med = parley["median"] / floor["median"]
        r_p95 = parley["p95"] / floor["p95"]
        lines.append(
            f"**Parley / floor: {r_med:.2f}× at the median, {r_p95:.2f}× at p95** "
            f"(Parley takes {parley['median'] - floor['median']:+.0f} ms more at the median)."
        )
        targets.append(
            (
                "Call setup: signalling adds < 10% to the floor (median first frame)",
                f"{r_med:.2f}×",
                verdict(r_med < TARGET_SETUP_OVERHEAD),
            )
        )
    janus = summary.get("janus", {}).get("first_frame_ms")
    if floor and janus:
        lines.append(f"Janus / floor: {janus['median'] / floor['median']:.2f}× at the median.")
    bare = summary.get("bare", {}).get("first_frame_ms")
    if floor and bare and parley:
        lines.append("")
        lines.append(
            f"Two bare pages / floor: {bare['median'] / floor['median']:.2f}× at the median; "
            f"**Parley / two bare pages: {parley['median'] / bare['median']:.2f}×** "
            f"({parley['median'] - bare['median']:+.0f} ms). The bare pages have nothing but a Join button and "
            "signal through the bare WebSocket relay of part 2, so the first ratio is what a second page and a "
            "server hop cost at least, and the second is what Parley's own page and server add to that."
        )
    parley_s = summary.get("parley", {})
    if "joined_ms" in parley_s:
        lines.append("")
        lines.append("Where Parley's time goes, " + negotiation_steps(parley_s))
        if "joined_ms" in summary.get("bare", {}):
            lines.append("")
            lines.append("The same steps with the two bare pages: " + negotiation_steps(summary["bare"]))
        lines.append("")
        lines.append(
            "Every step of the negotiation is a promise that resolves on a page's main thread, which also builds and "
            "lays out the call's view. So `joined` reaches the page once the offers have left (the view is built while "
            "they travel), the answering side adds its tracks before the offer comes (no `replaceTrack` round trip "
            "before the answer), and sound levels and statistics are not read from connections that never connected. "
            "What is left is spread thin: the call view's first style and layout take 4–8 ms when measured alone, "
            "but 30–50 ms during a join, when two pages, the browser's software compositing, both fake cameras and "
            "the server share two cores; every millisecond of work on either page slows the other's negotiation. "
            "Checks by A/B runs (2026-12-06, 8–12 interleaved repetitions each, the page served from disk): reading "
            "no sound levels changed nothing; hiding the tiles' videos (no option for a call, a measure of their "
            "cost) saved about 40 ms; building the call view after the answer instead of while it travels cost "
            "100 ms more; leaving out the STUN and TURN servers made no consistent difference."
        )
    if "load_average" in data:
        lines.append("")
        lines.append(
            f"While this part ran, all processes together kept the machine's cores {data['machine_busy_percent']:.0f}% "
            f"busy (of {100 * (info_cores() or 1)}%: the browser, the servers and any other work); load average "
            f"{data['load_average'][0]} at the start, {data['load_average'][1]} at the end."
        )
    if "janus" not in summary:
        lines.append("")
        lines.append(f"Janus: not measured ({data.get('janus_note', 'not requested')}).")
    failures = {k: v for k, v in data.get("failures", {}).items() if v}
    if failures:
        lines.append("")
        lines.append("Failed repetitions (left out of the figures): " + "; ".join(
            f"{k}: {len(v)} ({v[0]})" for k, v in failures.items()))
    lines.append("")


def capacity_section(data: dict | None, lines: list[str], targets: list[tuple[str, str, str]]) -> None:
    lines.append("## 2. Signalling capacity")
    lines.append("")
    if data is None:
        lines.append("Not run.")
        lines.append("")
        return
    runs = data["runs"]
    reps = data.get("repetitions", 1)
    lines.append(
        f"Connections in rooms of 4; signals relayed to a random other member of the sender's room at an offered "
        f"{data['rate']:,.0f} messages/s (open loop) for {data['seconds']:g} s after a warm-up; latency from the "
        f"scheduled send time. Server on core 0, load client on core 1. {reps} repetitions at each size; within "
        "one, the bare relay and Parley run back to back, in alternating order from one repetition to the next."
    )
    lines.append("")
    name = {"echo": "bare relay", "parley": "Parley"}
    sizes = sorted({run["connections"] for run in runs})
    trials: dict[tuple[str, int], list[dict]] = {}
    for run in runs:
        trials.setdefault((run["server"], run["connections"]), []).append(run)

    def med(server: str, n: int, value) -> float | None:
        values = [value(run) for run in trials.get((server, n), [])]
        return median(values) if values else None

    def kib(run: dict) -> float:
        return run["bytes_per_connection"] / KIB

    def p50(run: dict) -> float:
        return run["latency_ms"]["p50"]

    def p99(run: dict) -> float:
        return run["latency_ms"]["p99"]

    def cpu(run: dict) -> float:
        return run["server_cpu_us_per_message"]

    lines.append("Medians over the repetitions:")
    lines.append("")
    lines.append("| server | connections | memory / connection | p50 latency | p99 latency | server CPU / message |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for n in sizes:
        for server in ("echo", "parley"):
            if (server, n) not in trials:
                continue
            lines.append(
                f"| {name[server]} | {n:,} | {med(server, n, kib):.1f} KiB | {ms(med(server, n, p50), 2)} ms "
                f"| {ms(med(server, n, p99), 2)} ms | {med(server, n, cpu):.1f} µs |"
            )
    lines.append("")
    lines.append(
        "Ratios, Parley / bare relay, at the same number of connections (of the medians; for CPU also each "
        "repetition's back-to-back pair, and the target is judged on the worse of the medians' ratio and the "
        "pairs' median):"
    )
    lines.append("")
    lines.append("| connections | memory / connection | p50 latency | p99 latency | server CPU / message | CPU, each pair |")
    lines.append("|---:|---:|---:|---:|---:|---|")
    cpu_judged: list[float] = []
    for n in sizes:
        if ("echo", n) not in trials or ("parley", n) not in trials:
            continue
        pairs = []
        for rep in sorted({run.get("repetition", 1) for run in trials[("parley", n)]}):
            echo = next((r for r in trials[("echo", n)] if r.get("repetition", 1) == rep), None)
            parley = next((r for r in trials[("parley", n)] if r.get("repetition", 1) == rep), None)
            if echo and parley and cpu(echo) > 0:
                pairs.append(cpu(parley) / cpu(echo))
        of_medians = med("parley", n, cpu) / med("echo", n, cpu)
        cpu_judged.append(max(of_medians, median(pairs)) if pairs else of_medians)
        lines.append(
            f"| {n:,} | {ratio(med('parley', n, kib), med('echo', n, kib))} "
            f"| {ratio(med('parley', n, p50), med('echo', n, p50))} "
            f"| {ratio(med('parley', n, p99), med('echo', n, p99))} "
            f"| {ratio(med('parley', n, cpu), med('echo', n, cpu))} "
            f"| {', '.join(f'{value:.2f}×' for value in pairs)} |"
        )
    lines.append("")
    lines.append(
        "Where Parley's extra CPU per message goes (perf on the server's core at 1,000 connections, both servers, "
        "2026-12-06 evening; a profile, not part of this run): Parley's handling of a text frame (decoding and "
        "checking the JSON, the rate limit, the hub's routing, writing and queueing the relayed message) takes about "
        "14 µs, where the bare relay's scan for `\"to\"` and its queueing take about 3.5. The rest of the gap is in the "
        "kernel's write path: Parley's `writev` calls cost about 20 µs per message against the relay's 15, with the "
        "same number of calls and the same bytes. Each write wakes the load client, which costs more when the client "
        "is asleep; that may be the difference, but it is not confirmed. A check: with the load client on uvloop, "
        "which sends at sub-millisecond times instead of in 1 ms bursts and never sleeps, the ratio at 1,000 "
        "connections was about 1.29× against 1.39× with this client in the same hour (the run keeps this client: "
        "uvloop's spinning reads as 100 % load CPU and would hide a saturated generator). No single step of Parley's "
        "handling is large "
        "(decoding about 5 µs, writing and queueing about 4, routing about 2); the same work takes 3.9 µs in a loop "
        "that keeps it in the processor's "
        "caches, and between two system calls each message runs it cold."
    )
    lines.append("")
    lines.append("Every trial, in order of running:")
    lines.append("")
    lines.append(
        "| rep | server | connections | memory / connection | p50 latency | p99 latency | server CPU / message "
        "| server CPU | load client CPU | other work on the machine | delivered | errors |"
    )
    lines.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for run in runs:
        errors = ", ".join(f"{k} {v}" for k, v in sorted(run["errors"].items())) or "none"
        lines.append(
            f"| {run.get('repetition', 1)} | {name[run['server']]} | {run['connections']:,} "
            f"| {kib(run):.1f} KiB | {ms(p50(run), 2)} ms "
            f"| {ms(p99(run), 2)} ms | {cpu(run):.1f} µs "
            f"| {run['server_cpu_percent']:.0f}% | {run['load_cpu_percent']:.0f}% "
            f"| {run.get('other_cpu_percent', math.nan):.0f}% | {run['delivered']:,} / {run['messages']:,} | {errors} |"
        )
    lines.append("")
    lines.append(
        "Also measured (raw figures in the JSON): RSS before, idle and after the load; server threads; the load "
        "client's send lag behind the schedule; latency from the actual send (service latency)."
    )
    lines.append("")
    for run in runs:
        lines.append(
            f"- {name[run['server']]} {run['connections']:,} (rep {run.get('repetition', 1)}): "
            f"send lag p99 {ms(run['send_lag_ms']['p99'], 2)} ms, service latency p99 "
            f"{ms(run['service_latency_ms']['p99'], 2)} ms, idle server CPU {run['server_idle_cpu_percent']:.1f}%, "
            f"{run['server_threads']} threads, RSS {run['rss_before'] / 2**20:.1f} → {run['rss_idle'] / 2**20:.1f} → "
            f"{run['rss_loaded'] / 2**20:.1f} MiB"
        )
    lines.append("")

    parley_sizes = [n for n in sizes if ("parley", n) in trials]
    if parley_sizes:
        worst_kib = max(med("parley", n, kib) for n in parley_sizes)
        targets.append(
            ("Memory: ≤ 16 KiB per idle connection (worst size measured, median)", f"{worst_kib:.1f} KiB",
             verdict(worst_kib <= TARGET_KIB_PER_CONNECTION))
        )
        held_sizes = [
            n for n in parley_sizes
            if all(run["server_alive"] and run["lost"] == 0 and not run["errors"] for run in trials[("parley", n)])
        ]
        held = max(held_sizes, default=0)
        targets.append(
            (f"{TARGET_CONNECTIONS:,} connections held (all joined, every signal delivered, every repetition)",
             f"{held:,}", verdict(held >= TARGET_CONNECTIONS))
        )
        at_rate = [n for n in parley_sizes if n >= 5000] or parley_sizes
        worst_p99 = max(med("parley", n, p99) for n in at_rate)
        targets.append(
            (f"p99 relay latency < 5 ms at {data['rate']:,.0f} messages/s (worst of N ≥ 5,000, median)",
             f"{worst_p99:.2f} ms", verdict(worst_p99 < TARGET_P99_MS))
        )
        if cpu_judged:
            worst = max(cpu_judged)
            targets.append(
                ("Server CPU per message ≤ 1.2× the bare relay (worst size)", f"{worst:.2f}×",
                 verdict(worst <= TARGET_CPU_RATIO))
            )


def storm_section(data: dict | None, lines: list[str]) -> None:
    lines.append("## 3. Join storm")
    lines.append("")
    if data is None:
        lines.append("Not run.")
        lines.append("")
        return
    summary = data["summary"]
    reps = max((r["repetition"] for r in data["runs"]), default=-1) + 1
    lines.append(
        f"{data['clients']} clients connect and join one room, spread evenly over {data['spread_s']:g} s; time from "
        f"the first join until every client has the full roster ({data['clients'] - 1} others). Median of "
        f"{reps} interleaved repetitions."
    )
    lines.append("")
    lines.append(
        "| server | every roster complete | … after the last join | p99 join → `joined` | server CPU "
        "| load client CPU | other work on the machine |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for kind in ("echo", "parley"):
        s = summary.get(kind)
        if not s:
            continue
        lines.append(
            f"| {'Parley' if kind == 'parley' else 'bare relay'} | {ms(s['all_rosters_ms'])} ms "
            f"| {ms(s['after_last_join_ms'], 1)} ms | {ms(s['join_answer_p99_ms'], 1)} ms "
            f"| {s['server_cpu_seconds'] * 1000:.0f} ms | {s['load_cpu_percent']:.0f}% "
            f"| {s.get('other_cpu_percent', math.nan):.0f}% |"
        )
    echo, parley = summary.get("echo"), summary.get("parley")
    if echo and parley:
        lines.append("")
        lines.append(
            f"Parley / bare relay: {ratio(parley['all_rosters_ms'], echo['all_rosters_ms'])} for the whole storm, "
            f"{ratio(parley['after_last_join_ms'], echo['after_last_join_ms'])} after the last join, "
            f"{ratio(parley['server_cpu_seconds'], echo['server_cpu_seconds'])} server CPU."
        )
    incomplete = [r for r in data["runs"] if r["incomplete"]]
    if incomplete:
        lines.append("")
        lines.append(f"{len(incomplete)} repetitions did not complete within 30 s (left out of the medians).")
    lines.append("")


def quoted_headline(folder: str, name: str, table_start: str, figure: str, also: str | None = None) -> list[str]:
    """The date and the ratio table of the last run of one of the other benchmarks, quoted from
    its own RESULTS.md so this page shows the figure without a second copy of how it was
    measured; and the line starting with `also`, if there is one."""
    results = Path(__file__).resolve().parent / folder / "RESULTS.md"
    if not results.exists():
        return []
    text = results.read_text().splitlines()
    date = next((line[len("- Date: ") :] for line in text if line.startswith("- Date: ")), "unknown date")
    start = next((i for i, line in enumerate(text) if line.startswith(table_start)), None)
    if start is None:
        return []
    end = start
    while end < len(text) and text[end].startswith("|"):
        end += 1
    link = f"{folder}/RESULTS.md"
    extra = [line for line in text if also and line.startswith(also)][:1]
    return [f"The last {name} run ([{link}]({link}), {date}), {figure}:", "", *text[start:end], "",
            *(extra + [""] if extra else [])]


def turn_headline() -> list[str]:
    return quoted_headline("turn", "TURN", "| profile | Parley / coturn", "CPU per relayed packet")


def echo_headline() -> list[str]:
    return quoted_headline("echo", "media echo", "| Parley / Janus", "CPU per echoed packet", also="Floor / Janus")


OTHER_BENCHMARKS = """\
## Other benchmarks

Run on their own (each writes its own results, with date, machine and method):

- [turn/RESULTS.md](turn/RESULTS.md): the built-in TURN relay against coturn 4.6 under the same
  `turnutils_uclient` load, CPU per relayed packet, loss and jitter (`bench/turn/run`).
- [echo/RESULTS.md](echo/RESULTS.md): the media engine's echo (`POST /echo`) against Janus 1.1's
  EchoTest under the same aiortc load (pre-encoded Opus and VP8, nothing decoded), CPU per
  echoed packet, loss and the load generator's own CPU (`bench/echo/run`).
- [flood/RESULTS.md](flood/RESULTS.md): what one abusive client costs everyone else: memory per
  idle connection and well-behaved clients' relay latency without and with a flooder and with
  deeply nested JSON (`python3 bench/flood/flood.py`).
"""

METHOD = """\
## How it is measured

- **Call setup** (`bench/call_setup.py`): Debian's Chromium, headless, with
  `--use-fake-device-for-media-stream --use-fake-ui-for-media-stream`, driven by Playwright. Every time is
  taken inside the page by the same script (`bench/call/instrument.js`): the click on Join, the
  `RTCPeerConnection`'s `iceconnectionstatechange` to connected, the `RTCDtlsTransport`'s `statechange` to
  connected, and the first `requestVideoFrameCallback` of a `<video>` playing the remote video track.
  The **floor** is one page with two `RTCPeerConnection`s wired to each other by function calls, shaped like
  Parley's (audio + video from the fake devices at the same constraints, one negotiated data channel, no ICE
  servers); its t0 is when it starts creating them, its end the offerer's first remote frame. For **Parley**,
  each repetition uses a fresh room and two browser contexts: the first person joins and waits; t0 is the
  second person's click on Join, the end is the first frame of the first person's video in the second page
  (the first page's first frame of the second person is in the last column). The camera is already running
  in both cases before t0 (Parley's pre-join preview; the floor's `getUserMedia` before starting), and both
  wait 0.5 s before t0. The **two bare pages** (`bench/call/bare.html`) are the same two-context call without
  Parley: a page with a Join button and nothing else, the same capture and connection shape, signalling through
  the bare WebSocket relay of the capacity benchmark (no call view, no checks, the newcomer offers, the other
  answers); t0 and the end as for Parley. The kinds' repetitions alternate, in alternating order.
- **Capacity** (`bench/signalling.py capacity`): a Python asyncio load client (`websockets`, no compression)
  pinned with `taskset -c 1`; each server pinned to core 0 and started fresh for every trial; at every size
  three repetitions, each a back-to-back pair of the bare relay and Parley, in alternating order. After 8 warm-up connections (closed again), RSS (`VmRSS`) is read, N connections
  are opened and joined in rooms of 4, and after 4 s idle RSS is read again: memory per connection =
  ΔRSS / N. Then one signal (an ICE-candidate-sized `signal`, about 270 bytes) is due every 1/rate seconds
  from a random connection to a random other member of its room; latency runs from the **scheduled** send
  time to its arrival at the addressee, so a server (or client) that falls behind is charged for it.
  Server CPU per message = Δ(utime + stime) of the server from `/proc/PID/stat` over the measured window,
  divided by the messages scheduled in it (it includes the server's idle work, such as pings). The load
  client's own CPU share is reported: near 100% it, not the server, would be the limit. The client sleeps
  with the event loop's 1 ms timer resolution, so up to about 1 ms of every latency is the client's.
- **The baseline, a bare relay** (`bench/EchoServer`): the same WebSocket layer as Parley (Hummingbird 2's
  HTTP/1 server with Parley's `WebSocketServer` target: each connection a handler in its channel pipeline,
  with the same frame limit, UTF-8 validation, ping every 15 s and outbox limits). It relays A → B, not an
  echo back to the sender, so that the wire work is the same as Parley's: each signal is one frame in from
  the sender and one frame out to another connection, on another channel, and joins answer with the room's
  roster and tell the others (`joined`, `peer-joined`). It finds `"to":"…"`, `"room":"…"` and `"name":"…"`
  by scanning bytes and forwards the frame as it came; it has no JSON parsing, validation, rate limits,
  roles or metrics. An echo to the sender
  would skip the cross-connection hand-off that is the heart of signalling, and flatter the baseline.
- **Join storm** (`bench/signalling.py storm`): the clients connect and join at evenly spaced moments over
  the spread; each counts its roster (`joined.peers` plus `peer-joined`). Both servers run side by side
  (pinned to core 0), repetitions alternate between them, each in a fresh room.
- **Other work on the machine**: this is a shared machine. "Other work" is the CPU time every other process
  used during the measured window (all cores busy time from `/proc/stat`, less the server's and the load
  client's), in % of one core; the machine has 2 cores, so 200% is everything. When it is high, absolute
  latencies suffer most; CPU time per message and memory much less.
- Parley runs with its defaults except `--max-connections-per-ip 0`, `--joins-per-minute 1000000` (all load
  comes from loopback addresses) and, for the storm, `--max-peers` = the number of clients. Both servers are
  release builds (`swift build -c release --static-swift-stdlib`, as shipped).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--command", default="bench/run")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--started", default="")
    parser.add_argument("--seconds", type=float, default=0)
    args = parser.parse_args()

    call = load(args.results / "call_setup.json")
    capacity = load(args.results / "capacity.json")
    storm = load(args.results / "storm.json")
    info = machine()
    lines: list[str] = []
    targets: list[tuple[str, str, str]] = []
    lines.append("# Parley benchmark results")
    lines.append("")
    lines.append(
        "Written by `bench/run` (bench/README.md). Every figure is measured side by side with its baseline in the "
        "same invocation; on a shared machine absolute times drift, the ratios are what to compare."
    )
    lines.append("")
    date = args.started or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines.append(f"- **Date**: {date}" + (f" (the run took {args.seconds / 60:.1f} min)" if args.seconds else ""))
    lines.append(
        f"- **Machine**: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB; {info['os']}, "
        f"Linux {info['kernel']}"
    )
    lines.append(f"- **Software**: {info['swift']}; {info['chromium']}; Python {info['python']}")
    lines.append(f"- **Command**: `{args.command}`")
    lines.append("")
    body: list[str] = []
    call_section(call, body, targets)
    capacity_section(capacity, body, targets)
    storm_section(storm, body)
    if targets:
        lines.append("## Targets")
        lines.append("")
        lines.append("| target | measured | |")
        lines.append("|---|---:|---|")
        lines.extend(f"| {name} | {value} | {result} |" for name, value, result in targets)
        lines.append("")
    lines.extend(body)
    lines.append(OTHER_BENCHMARKS)
    lines += turn_headline()
    lines += echo_headline()
    lines.append(METHOD)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
