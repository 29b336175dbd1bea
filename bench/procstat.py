"""CPU figures of a process and of a core, from /proc, and stopping a server, shared by the
benchmarks that measure a server's CPU per packet side by side with a reference server
(bench/turn, bench/echo)."""

from __future__ import annotations

import os
import platform
import signal
import subprocess
from pathlib import Path


def cpu_ticks(pid: int) -> tuple[int, int]:
    """utime and stime of the whole process (every thread, including exited ones), in clock ticks."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[11]), int(fields[12])


def runtime_ns(pid: int) -> int:
    """Sum of the live threads' on-CPU time from schedstat, in nanoseconds (a finer cross-check)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
            pass
    return total


def core_busy_ticks(core: int) -> int:
    """Ticks core `core` spent not idle (every process and interrupt), from /proc/stat."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{core} "):
            values = [int(value) for value in line.split()[1:]]
            return sum(values[:8]) - values[3] - values[4]
    return 0


def machine() -> dict:
    """Cores, processor model and kernel, for a results page."""
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release()}


def stop_process(process: subprocess.Popen | None) -> None:
    """SIGTERM, then SIGKILL if the server has not exited within 10 s."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
