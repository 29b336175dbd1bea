#!/usr/bin/env python3
"""Parley's TURN relay against coturn under the same load, in one run (bench/turn/run).

For each profile and repetition, each server in turn (the order alternates) is started pinned to
core 0 and loaded by coturn's own test client, `turnutils_uclient`, pinned to core 1: pairs of
TURN allocations on loopback sending to each other over channels (`-y`, ChannelData) at a fixed
rate and size. While the load runs, the server's CPU time (utime + stime from /proc/PID/stat,
all threads) is sampled ten times a second and the clients' per-second progress lines are read
as they come. The measured window is the part of the run in which every stream is sending
(uclient starts each stream 1-6 s after connecting, at random); CPU µs per relayed packet is the
server CPU time spent in that window divided by the packets the clients received in it (both
directions of every pair). Loss, jitter and round-trip time are uclient's own end-of-run report.

Only loopback addresses are used. Every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from procstat import core_busy_ticks, cpu_ticks, machine, runtime_ns, stop_process  # noqa: E402
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SECRET = "parley-turn-bench-secret"
REALM = "parley"
UCLIENT = shutil.which("turnutils_uclient") or "/usr/bin/turnutils_uclient"
TURNSERVER = shutil.which("turnserver") or "/usr/bin/turnserver"

# Sessions (allocations) per uclient process. Parley allows 32 allocations per username and
# sends at most 20 401 replies in a burst per client IP, so the load is split over several
# uclient processes, each with its own username and its own loopback source address.
SESSIONS_PER_CLIENT = 24


@dataclass
class Profile:
    name: str
    length: int  # bytes of payload per packet (uclient -l)
    interval_ms: int  # per-stream packet interval (uclient -z)
    streams: int  # sending allocations in all (uclient -m, summed over processes)
    seconds: float  # how long each stream sends

    @property
    def packets_per_stream(self) -> int:
        return max(1, round(self.seconds * 1000 / self.interval_ms))

    @property
    def rate(self) -> float:
        return 1000 / self.interval_ms


def profiles(smoke: bool) -> list[Profile]:
    if smoke:
        return [Profile("audio", 192, 62, 8, 9), Profile("video", 960, 11, 4, 9)]
    return [Profile("audio", 192, 62, 50, 45), Profile("video", 960, 11, 20, 45)]


# ---------------------------------------------------------------------------------------------
# Processes and measurements


class Sampler(threading.Thread):
    """Samples a process's CPU time every 0.1 s until stopped (or for at most `limit` seconds)."""

    def __init__(self, pid: int, limit: float, core: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.core = core
        self.limit = limit
        self.samples: list[tuple[float, int, int, int]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + self.limit
        while not self.stopping.is_set() and time.monotonic() < deadline:
            try:
                self.samples.append(
                    (time.monotonic(), sum(cpu_ticks(self.pid)), runtime_ns(self.pid), core_busy_ticks(self.core))
                )
            except (FileNotFoundError, ProcessLookupError):
                return
            self.stopping.wait(0.1)

    def at(self, moment: float) -> tuple[float, float, float]:
        """CPU ticks, runtime ns and the core's busy ticks at `moment`, interpolated between samples."""
        return tuple(interpolate(self.samples, moment, column) for column in (1, 2, 3))


def interpolate(series: list[tuple], moment: float, column: int) -> float:
    if not series or moment < series[0][0] or moment > series[-1][0]:
        raise MeasurementError(f"no samples around t={moment:.2f}")
    for before, after in zip(series, series[1:]):
        if before[0] <= moment <= after[0]:
            span = after[0] - before[0]
            share = 0.0 if span == 0 else (moment - before[0]) / span
            return before[column] + share * (after[column] - before[column])
    return float(series[-1][column])


class MeasurementError(RuntimeError):
    pass


def stun_binding_answered(port: int, timeout: float) -> bool:
    """True once a STUN Binding request to 127.0.0.1:port gets any answer."""
    request = struct.pack("!HHI", 0x0001, 0, 0x2112A442) + os.urandom(12)
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.settimeout(0.2)
        while time.monotonic() < deadline:
            probe.sendto(request, ("127.0.0.1", port))
            try:
                reply, _ = probe.recvfrom(2048)
                if reply[8:20] == request[8:20]:
                    return True
            except (socket.timeout, ConnectionRefusedError):
                time.sleep(0.1)
    return False


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        port = udp.getsockname()[1]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
        try:
            tcp.bind(("127.0.0.1", port))
        except OSError:
            return free_udp_port()
    return port


@dataclass
class Server:
    name: str
    argv: list[str]
    port: int
    log: Path
    process: subprocess.Popen | None = None

    def start(self, core: str) -> None:
        handle = self.log.open("wb")
        self.process = subprocess.Popen(
            ["taskset", "-c", core, *self.argv], stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        handle.close()
        if not stun_binding_answered(self.port, 30):
            self.stop()
            raise MeasurementError(f"{self.name} did not answer STUN on 127.0.0.1:{self.port}; see {self.log}")

    def stop(self) -> None:
        stop_process(self.process)


def coturn_server(port: int, relay_ports: tuple[int, int], workdir: Path) -> Server:
    return Server(
        "coturn",
        [
            TURNSERVER,
            "--use-auth-secret",
            f"--static-auth-secret={SECRET}",
            f"--realm={REALM}",
            "--allow-loopback-peers",
            "--no-tls",
            "--no-dtls",
            "--no-cli",
            "--no-rfc5780",
            "--listening-ip",
            "127.0.0.1",
            "--relay-ip",
            "127.0.0.1",
            "-p",
            str(port),
            "--min-port",
            str(relay_ports[0]),
            "--max-port",
            str(relay_ports[1]),
            "--log-file",
            str(workdir / "coturn-turnserver.log"),
            "--simple-log",
            "--pidfile",
            str(workdir / "coturn.pid"),
            "--db",
            str(workdir / "coturn-turndb"),
        ],
        port,
        workdir / "coturn.out",
    )


def parley_server(binary: Path, port: int, relay_ports: tuple[int, int], workdir: Path) -> Server:
    help_text = subprocess.run([str(binary), "serve", "--help"], capture_output=True, text=True).stdout
    argv = [str(binary), "serve", "--host", "127.0.0.1", "--port", "0", "--database", ":memory:", "--log-level", "warning"]
    wanted = {
        "--turn-port": str(port),
        "--turn-secret": SECRET,
        "--turn-relay-ports": f"{relay_ports[0]}-{relay_ports[1]}",
        "--turn-allow-peer": "127.0.0.0/8",
        # Only TURN is measured here.
        "--media": "off",
    }
    for flag, value in wanted.items():
        if flag not in help_text:
            raise MeasurementError(f"`parley serve --help` lists no {flag}; this build has no TURN flags")
        argv += [flag, value]
    optional = {"--turn-host": "127.0.0.1", "--turn-realm": REALM, "--drain-timeout": "1"}
    for flag, value in optional.items():
        if flag in help_text:
            argv += [flag, value]
    return Server("parley", argv, port, workdir / "parley.out")


@dataclass
class ClientRun:
    """One turnutils_uclient process: its lines, each with the monotonic time it was read."""

    argv: list[str]
    lines: list[tuple[float, str]] = field(default_factory=list)
    process: subprocess.Popen | None = None
    reader: threading.Thread | None = None

    def start(self, core: str) -> None:
        self.process = subprocess.Popen(
            ["taskset", "-c", core, *self.argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process and self.process.stdout
        for line in self.process.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def wait(self, timeout: float) -> None:
        assert self.process and self.reader
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            raise MeasurementError(f"turnutils_uclient still running after {timeout:.0f} s; killed")
        self.reader.join(5)

    # Parsing uclient's output.
    PROGRESS = re.compile(r"start_mclient: msz=\d+, tot_send_msgs=(\d+), tot_recv_msgs=(\d+)")
    TOTALS = re.compile(r"start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\s*$", re.MULTILINE)
    LOST = re.compile(r"Total lost packets (\d+) \(([-\d.naife]+)%\)")
    RTT = re.compile(r"Average round trip delay ([-\d.naife]+) ms; min = (\d+) ms, max = (\d+) ms")
    JITTER = re.compile(r"Average jitter ([-\d.naife]+) ms; min = (\d+) ms, max = (\d+) ms")

    def connected_at(self) -> float:
        for moment, line in self.lines:
            if "Total connect time is" in line:
                return moment
        raise MeasurementError("uclient never connected:\n" + self.tail())

    def progress(self) -> list[tuple[float, int, int]]:
        return [
            (moment, int(match[1]), int(match[2]))
            for moment, line in self.lines
            if (match := self.PROGRESS.search(line))
        ]

    def report(self) -> dict:
        text = "\n".join(line for _, line in self.lines)
        totals, lost, rtt, jitter = (
            pattern.search(text) for pattern in (self.TOTALS, self.LOST, self.RTT, self.JITTER)
        )
        if not (totals and lost and rtt and jitter):
            raise MeasurementError("uclient printed no final report:\n" + self.tail())
        return {
            "sent": int(totals[1]),
            "received": int(totals[2]),
            "lost": int(lost[1]),
            "rtt_ms": float(rtt[1]),
            "rtt_max_ms": int(rtt[3]),
            "jitter_ms": float(jitter[1]),
            "jitter_max_ms": int(jitter[3]),
        }

    def tail(self) -> str:
        return "\n".join(line for _, line in self.lines[-15:])


def split_streams(streams: int) -> list[int]:
    """Even session counts, about SESSIONS_PER_CLIENT per uclient process."""
    streams += streams % 2
    processes = max(1, -(-streams // SESSIONS_PER_CLIENT))
    counts = [2 * (streams // 2 // processes)] * processes
    for index in range((streams - sum(counts)) // 2):
        counts[index] += 2
    return counts


def uclient_argv(profile: Profile, sessions: int, index: int, port: int) -> list[str]:
    return [
        UCLIENT,
        "-y",  # client to client: each allocation sends to its pair's relayed address
        "-c",  # no RTCP allocations
        "-m",
        str(sessions),
        "-n",
        str(profile.packets_per_stream),
        "-l",
        str(profile.length),
        "-z",
        str(profile.interval_ms),
        "-W",
        SECRET,
        "-u",
        f"bench{index}",
        "-L",
        f"127.0.0.{11 + index}",
        "-e",
        "127.0.0.1",
        "-p",
        str(port),
        "127.0.0.1",
    ]


@dataclass
class Trial:
    profile: str
    server: str
    repetition: int
    streams: int
    window_s: float
    packets: int
    cpu_ticks: float
    cpu_us_per_packet: float
    runtime_us_per_packet: float
    cpu_percent: float
    idle_cpu_percent: float
    core_busy_percent: float
    packets_per_second: float
    sent: int
    received: int
    lost: int
    loss_percent: float
    jitter_ms: float
    jitter_max_ms: int
    rtt_ms: float
    rtt_max_ms: int


def run_trial(server: Server, profile: Profile, repetition: int, cores: tuple[str, str], idle_seconds: float) -> Trial:
    server.start(cores[0])
    assert server.process
    clients: list[ClientRun] = []
    try:
        time.sleep(1)
        counts = split_streams(profile.streams)
        budget = 60 + profile.seconds * 2
        sampler = Sampler(server.process.pid, budget + 30, int(cores[0]))
        sampler.start()
        # The server's own background work (timers), for context: CPU with no clients.
        idle_start = time.monotonic() + 0.2
        time.sleep(idle_seconds + 0.4)
        idle_end = time.monotonic() - 0.2
        clients = [ClientRun(uclient_argv(profile, count, index, server.port)) for index, count in enumerate(counts)]
        for client in clients:
            client.start(cores[1])
        for client in clients:
            client.wait(budget)
        time.sleep(0.3)
        sampler.stopping.set()
        sampler.join(5)
        if server.process.poll() is not None:
            raise MeasurementError(f"{server.name} exited during the run; see {server.log}")
    finally:
        for client in clients:
            if client.process and client.process.poll() is None:
                client.process.kill()
                client.process.wait(5)
        server.stop()

    # Every stream sends from 1-6 s after its client connected, for packets_per_stream intervals.
    connected = [client.connected_at() for client in clients]
    start = max(connected) + 6.5
    end = min(connected) + 1 + profile.packets_per_stream * profile.interval_ms / 1000 - 0.5
    if end - start < 1:
        raise MeasurementError(f"steady window too short ({end - start:.1f} s); send for longer")
    packets = 0.0
    for client in clients:
        progress = client.progress()
        packets += interpolate(progress, end, 2) - interpolate(progress, start, 2)
    ticks_start, ns_start, core_start = sampler.at(start)
    ticks_end, ns_end, core_end = sampler.at(end)
    if packets <= 0:
        raise MeasurementError(f"no packets relayed by {server.name} in the window")
    cpu_seconds = (ticks_end - ticks_start) / CLOCK_TICKS
    idle_ns = sampler.at(idle_end)[1] - sampler.at(idle_start)[1]
    reports = [client.report() for client in clients]
    sent = sum(report["sent"] for report in reports)
    received = sum(report["received"] for report in reports)
    weight = max(1, received)
    return Trial(
        profile=profile.name,
        server=server.name,
        repetition=repetition,
        streams=sum(counts),
        window_s=round(end - start, 2),
        packets=round(packets),
        cpu_ticks=round(ticks_end - ticks_start, 1),
        cpu_us_per_packet=cpu_seconds * 1e6 / packets,
        runtime_us_per_packet=(ns_end - ns_start) / 1e3 / packets,
        cpu_percent=100 * cpu_seconds / (end - start),
        idle_cpu_percent=100 * idle_ns / 1e9 / (idle_end - idle_start),
        core_busy_percent=100 * (core_end - core_start) / CLOCK_TICKS / (end - start),
        packets_per_second=packets / (end - start),
        sent=sent,
        received=received,
        lost=sum(report["lost"] for report in reports),
        loss_percent=100 * sum(report["lost"] for report in reports) / max(1, sent),
        jitter_ms=sum(report["jitter_ms"] * report["received"] for report in reports) / weight,
        jitter_max_ms=max(report["jitter_max_ms"] for report in reports),
        rtt_ms=sum(report["rtt_ms"] * report["received"] for report in reports) / weight,
        rtt_max_ms=max(report["rtt_max_ms"] for report in reports),
    )


# ---------------------------------------------------------------------------------------------
# Reporting


def versions(parley: Path) -> dict:
    def output(*argv: str) -> str:
        try:
            result = subprocess.run(argv, capture_output=True, text=True, timeout=20)
            return (result.stdout or result.stderr).strip()
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"

    commit = output("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD")
    dirty = output("git", "-C", str(ROOT), "status", "--porcelain", "--", "Sources", "Package.swift")
    return {
        "coturn": output(TURNSERVER, "--version").splitlines()[-1] if Path(TURNSERVER).exists() else "missing",
        "coturn_package": output("dpkg-query", "-W", "-f=${Version}", "coturn"),
        "parley": f"{commit}{' + uncommitted changes' if dirty else ''}",
        "parley_binary": str(parley),
        "swift": output("swift", "--version").splitlines()[0] if shutil.which("swift") else "unknown",
    }


def summarize(trials: list[Trial]) -> dict:
    summary: dict = {}
    for profile in dict.fromkeys(trial.profile for trial in trials):
        rows = {}
        for server in ("parley", "coturn"):
            mine = [trial for trial in trials if trial.profile == profile and trial.server == server]
            if not mine:
                continue
            sent = sum(trial.sent for trial in mine)
            received = sum(trial.received for trial in mine)
            rows[server] = {
                "trials": len(mine),
                "streams": mine[0].streams,
                "packets_per_second": statistics.median(trial.packets_per_second for trial in mine),
                "cpu_us_per_packet": statistics.median(trial.cpu_us_per_packet for trial in mine),
                "cpu_us_per_packet_range": [
                    min(trial.cpu_us_per_packet for trial in mine),
                    max(trial.cpu_us_per_packet for trial in mine),
                ],
                "runtime_us_per_packet": statistics.median(trial.runtime_us_per_packet for trial in mine),
                "cpu_percent": statistics.median(trial.cpu_percent for trial in mine),
                "idle_cpu_percent": statistics.median(trial.idle_cpu_percent for trial in mine),
                "loss_percent": 100 * sum(trial.lost for trial in mine) / max(1, sent),
                "jitter_ms": sum(trial.jitter_ms * trial.received for trial in mine) / max(1, received),
                "jitter_max_ms": max(trial.jitter_max_ms for trial in mine),
                "rtt_ms": sum(trial.rtt_ms * trial.received for trial in mine) / max(1, received),
            }
        if "parley" in rows and "coturn" in rows and rows["coturn"]["cpu_us_per_packet"] > 0:
            rows["ratio"] = rows["parley"]["cpu_us_per_packet"] / rows["coturn"]["cpu_us_per_packet"]
            rows["runtime_ratio"] = rows["parley"]["runtime_us_per_packet"] / max(
                1e-9, rows["coturn"]["runtime_us_per_packet"]
            )
            # The two trials of one repetition run back to back, so their ratio is the least
            # exposed to the machine's drift between repetitions; its spread shows that drift.
            paired = []
            for repetition in sorted({trial.repetition for trial in trials if trial.profile == profile}):
                pair = {
                    trial.server: trial
                    for trial in trials
                    if trial.profile == profile and trial.repetition == repetition
                }
                if "parley" in pair and "coturn" in pair and pair["coturn"].cpu_us_per_packet > 0:
                    paired.append(pair["parley"].cpu_us_per_packet / pair["coturn"].cpu_us_per_packet)
            if paired:
                rows["paired_ratios"] = paired
        summary[profile] = rows
    return summary


def markdown(result: dict) -> str:
    m, v = result["machine"], result["versions"]
    lines = [
        "# TURN relay: Parley against coturn",
        "",
        f"- Date: {result['date']}",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), Linux {m['kernel']}; 1-minute load average "
        f"{m.get('load_average_start', 0):.1f} at the start, {m.get('load_average_end', 0):.1f} at the end "
        "(other work on the machine included)",
        f"- coturn {v['coturn']} (Debian package {v['coturn_package']}); Parley {v['parley']}; {v['swift']}",
        f"- Command: `{result['command']}`{' (smoke run: too short to quote)' if result['smoke'] else ''}",
        f"- Repetitions: {result['repetitions']} per server and profile, servers interleaved "
        "(the order alternates each repetition)",
        "",
        "Load: `turnutils_uclient -y -c` (pairs of allocations sending to each other over channels, "
        "ChannelData), split over processes of at most "
        f"{SESSIONS_PER_CLIENT + 2} allocations, each with its own username and loopback source address. "
        "Server pinned to core 0, load to core 1. CPU = utime + stime of the server process "
        "(/proc/PID/stat) over the window in which every stream sends, divided by the packets the "
        "clients received in that window (both directions). Median over repetitions, range in brackets. "
        "Loss, jitter and RTT are uclient's own report over the whole run.",
        "",
        "| profile | server | streams | relayed pkt/s | server CPU | CPU µs / relayed packet | "
        "(schedstat) | loss | jitter avg / max | RTT avg |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for profile, rows in result["summary"].items():
        spec = next(p for p in result["profiles"] if p["name"] == profile)
        label = f"{profile} ({1000 / spec['interval_ms']:.0f} pps × {spec['length']} B)"
        for server in ("parley", "coturn"):
            if server not in rows:
                continue
            row = rows[server]
            low, high = row["cpu_us_per_packet_range"]
            lines.append(
                f"| {label} | {server} | {row['streams']} | {row['packets_per_second']:.0f} | "
                f"{row['cpu_percent']:.1f} % | **{row['cpu_us_per_packet']:.1f}** [{low:.1f}–{high:.1f}] | "
                f"{row['runtime_us_per_packet']:.1f} | {row['loss_percent']:.2f} % | "
                f"{row['jitter_ms']:.2f} / {row['jitter_max_ms']} ms | {row['rtt_ms']:.2f} ms |"
            )
    lines += [
        "",
        "| profile | Parley / coturn, CPU per relayed packet | each repetition's pair (back to back) | "
        "target (judged on the worse of the medians' ratio and the pairs' median) |",
        "|---|---|---|---|",
    ]
    for profile, rows in result["summary"].items():
        if "ratio" in rows:
            # Judged on the median of the back-to-back pairs too: a ratio of medians can pass
            # only because one server's trials fell in the machine's slow stretches.
            judged = max(rows["ratio"], statistics.median(rows.get("paired_ratios") or [rows["ratio"]]))
            verdict = "met" if judged <= 0.8 else "missed"
            paired = ", ".join(f"{ratio:.2f}×" for ratio in rows.get("paired_ratios", []))
            lines.append(f"| {profile} | **{rows['ratio']:.2f}×** (schedstat: {rows['runtime_ratio']:.2f}×) "
                         f"| {paired} | ≤ 0.8× ({verdict}) |")
    lines += [
        "",
        "## Every trial",
        "",
        "In order of running. CPU ticks are 1/{} s; idle CPU (schedstat) is the server alone just before "
        "the load; core 0 busy is everything that ran on the server's core in the window (the server, "
        "kernel work, anything else on the machine), from /proc/stat's per-tick sampling, which undercounts "
        "short bursts such as a relay's.".format(CLOCK_TICKS),
        "",
        "| profile | server | rep | window s | packets | CPU ticks | µs/pkt | schedstat µs/pkt | server CPU | "
        "core 0 busy | idle CPU | loss | jitter ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for trial in result["trials"]:
        lines.append(
            f"| {trial['profile']} | {trial['server']} | {trial['repetition']} | {trial['window_s']} | "
            f"{trial['packets']} | {trial['cpu_ticks']} | {trial['cpu_us_per_packet']:.1f} | "
            f"{trial['runtime_us_per_packet']:.1f} | {trial['cpu_percent']:.1f} % | "
            f"{trial['core_busy_percent']:.1f} % | {trial['idle_cpu_percent']:.2f} % | "
            f"{trial['loss_percent']:.2f} % | {trial['jitter_ms']:.2f} |"
        )
    if result.get("notes"):
        lines += ["", "## Notes", "", result["notes"].strip()]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description="Parley's TURN relay against coturn (bench/turn/run).")
    parser.add_argument("--smoke", action="store_true", help="a few seconds per trial, one repetition")
    parser.add_argument("--repetitions", type=int, default=None, help="trials per server and profile (default 3)")
    parser.add_argument("--parley", type=Path, default=ROOT / ".build/release/parley")
    parser.add_argument("--out", type=Path, required=True, help="folder for results.json, RESULTS.md and logs")
    parser.add_argument("--results-md", type=Path, help="also write RESULTS.md here")
    parser.add_argument("--notes", type=Path, help="Markdown appended to RESULTS.md under Notes")
    parser.add_argument("--command", default="bench/turn/run")
    parser.add_argument("--servers", default="parley,coturn", help="which servers to run (default both)")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite RESULTS.md from --out's results.json (and --notes)"
    )
    arguments = parser.parse_args()

    if arguments.report_only:
        result = json.loads((arguments.out / "results.json").read_text())
        result["notes"] = arguments.notes.read_text() if arguments.notes and arguments.notes.exists() else ""
        # Recomputed, so a report written by an older version of this script gains newer figures.
        result["summary"] = summarize([Trial(**trial) for trial in result["trials"]])
        write_report(result, arguments)
        return 0

    repetitions = arguments.repetitions or (1 if arguments.smoke else 3)
    if not 1 <= repetitions <= 20:
        parser.error("--repetitions must be 1..20")
    cores = ("0", "1") if (os.cpu_count() or 1) >= 2 else ("0", "0")
    arguments.out.mkdir(parents=True, exist_ok=True)
    selected = profiles(arguments.smoke)

    load_at_start = os.getloadavg()[0]
    trials: list[Trial] = []
    for profile in selected:
        for repetition in range(1, repetitions + 1):
            order = ["coturn", "parley"] if repetition % 2 else ["parley", "coturn"]
            for name in (name for name in order if name in arguments.servers.split(",")):
                workdir = arguments.out / f"{profile.name}-{repetition}-{name}"
                workdir.mkdir(parents=True, exist_ok=True)

                def fresh_server() -> Server:
                    port = free_udp_port()
                    if name == "coturn":
                        return coturn_server(port, (42000, 42999), workdir)
                    return parley_server(arguments.parley, port, (43000, 43999), workdir)

                idle = 1.0 if arguments.smoke else 5.0
                print(f"[{profile.name} {repetition}/{repetitions}] {name} ...", file=sys.stderr, flush=True)
                try:
                    trial = run_trial(fresh_server(), profile, repetition, cores, idle)
                except MeasurementError as error:  # once more, on a fresh server and port
                    print(f"    failed, retrying once: {error}", file=sys.stderr, flush=True)
                    trial = run_trial(fresh_server(), profile, repetition, cores, idle)
                print(
                    f"    {trial.packets} packets in {trial.window_s} s, {trial.cpu_us_per_packet:.1f} µs/pkt "
                    f"({trial.runtime_us_per_packet:.1f} schedstat), loss {trial.loss_percent:.2f} %, "
                    f"jitter {trial.jitter_ms:.2f} ms",
                    file=sys.stderr,
                    flush=True,
                )
                trials.append(trial)

    result = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": arguments.command,
        "smoke": arguments.smoke,
        "repetitions": repetitions,
        "machine": machine() | {"load_average_start": load_at_start, "load_average_end": os.getloadavg()[0]},
        "versions": versions(arguments.parley),
        "profiles": [asdict(profile) for profile in selected],
        "trials": [asdict(trial) for trial in trials],
        "summary": summarize(trials),
        "notes": arguments.notes.read_text() if arguments.notes and arguments.notes.exists() else "",
    }
    write_report(result, arguments)
    return 0


def write_report(result: dict, arguments: argparse.Namespace) -> None:
    (arguments.out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    text = markdown(result)
    (arguments.out / "RESULTS.md").write_text(text)
    if arguments.results_md:
        arguments.results_md.write_text(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
