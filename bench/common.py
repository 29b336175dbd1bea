"""Shared by the benchmarks: starting the servers, reading a process's CPU time and memory
from /proc, describing the machine, and summarising samples."""

from __future__ import annotations

import json
import math
import os
import platform
import queue
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RELEASE = REPO / ".build" / "release"
PARLEY_BIN = Path(os.environ.get("PARLEY_RELEASE_BIN") or RELEASE / "parley")
ECHO_BIN = Path(os.environ.get("BENCH_ECHO_BIN") or RELEASE / "BenchEchoServer")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")

# Parley with its defaults, except the limits that would turn a load test from one machine
# away: connections and joins per address, and the room size for the join storm.
PARLEY_BENCH_ARGS = (
    "--max-connections-per-ip", "0",
    "--joins-per-minute", "1000000",
    "--drain-timeout", "0",
)
# Benchmarks run servers side by side with the test suite's: no fixed port, with or without
# the limits above (the media engine's UDP port, the STUN/TURN server's UDP and TCP port).
FREE_PORTS = ("--media-port", "0", "--turn-port", "0")


class ServerDidNotStart(Exception):
    pass


class Server:
    """One server process (Parley or the bare relay) on a free loopback port."""

    def __init__(self, kind: str, *extra: str, cpu: int | None = None, default_limits: bool = False) -> None:
        """`default_limits`: run Parley with its own per-address limits instead of lifting them
        (the flood test, which measures what those limits do)."""
        if kind == "parley":
            limits = () if default_limits else PARLEY_BENCH_ARGS
            command = [str(PARLEY_BIN), "serve", "--host", "127.0.0.1", "--port", "0", "--database", ":memory:", *limits, *FREE_PORTS, *extra]
        elif kind == "echo":
            command = [str(ECHO_BIN), "--host", "127.0.0.1", "--port", "0", *extra]
        else:
            raise ValueError(kind)
        if not Path(command[0]).exists():
            raise ServerDidNotStart(f"{command[0]} is missing: build it with bench/run (or swift build -c release)")
        if cpu is not None:
            command = ["taskset", "-c", str(cpu), *command]
        self.kind = kind
        self.command = command
        self.output: list[str] = []
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            text=True, bufsize=1,
        )
        ports: queue.Queue[int] = queue.Queue()
        threading.Thread(target=self._read, args=(ports,), daemon=True).start()
        try:
            port = ports.get(timeout=30)
        except queue.Empty:
            port = 0
        if port == 0:
            self.stop()
            raise ServerDidNotStart(f"{kind} did not start:\n" + "".join(self.output[-30:]))
        self.port = port
        self.pid = self.process.pid  # taskset execs the server: same pid
        self.base_url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}/ws"

    def _read(self, ports: queue.Queue[int]) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if len(self.output) < 10_000:
                self.output.append(line)
            if match := LISTENING.search(line):
                ports.put(int(match.group(1)))
        ports.put(0)

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.pid)

    def rss_bytes(self) -> int:
        return process_rss_bytes(self.pid)

    def threads(self) -> int:
        return process_threads(self.pid)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of every thread of the process, in seconds (/proc/PID/stat)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2:].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def process_threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def self_cpu_seconds() -> float:
    return time.process_time()


def percentile(samples: list[float], p: float) -> float:
    """The p-th percentile (0–100) by linear interpolation; NaN without samples."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(samples: list[float]) -> float:
    return percentile(samples, 50)


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_kib = 0
    try:
        memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass

    def version(command: list[str]) -> str:
        try:
            out = subprocess.run(command, capture_output=True, text=True, timeout=20).stdout.strip()
            return out.splitlines()[0] if out else ""
        except (OSError, subprocess.TimeoutExpired):
            return ""

    return {
        "cpu": cpu_model,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "os": os_name,
        "kernel": platform.release(),
        "swift": version(["swift", "--version"]),
        "chromium": version(["/usr/bin/chromium", "--version"]),
        "python": platform.python_version(),
    }


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")


def machine_busy_seconds() -> float:
    """CPU time all cores spent busy since boot, in seconds (/proc/stat), to tell how much
    other work shared the machine during a measurement."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in fields[:8]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])
