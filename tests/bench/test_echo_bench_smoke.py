"""The media echo benchmark's smoke mode (`bench/echo/run --smoke`): one client for a few seconds
against Parley's echo, Janus' EchoTest and the floor (a bare UDP echo), so that the benchmark
cannot rot unnoticed.
It checks that all three echoed packets and that every figure is there; it never judges how
fast anything was (bench/echo/RESULTS.md is for that).

Needs Debian's janus; skipped without it. Environment: PARLEY_RELEASE_BIN (set by scripts/test)
is used as the server under test when set.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Generous: bench/echo/run may first have to build the release binary.
TIMEOUT_S = 45 * 60

pytestmark = pytest.mark.skipif(
    not shutil.which("janus"),
    reason="Janus is not installed (apt-get install janus): no EchoTest to compare with",
)


def number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def test_echo_benchmark_runs_every_server(tmp_path: Path) -> None:
    run = subprocess.run(
        [str(REPO / "bench" / "echo" / "run"), "--smoke", "--out", str(tmp_path)],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert run.returncode == 0, f"bench/echo/run --smoke failed:\n{run.stdout[-4000:]}\n{run.stderr[-8000:]}"

    result = json.loads((tmp_path / "results.json").read_text())
    assert result["smoke"] is True
    assert not result["skipped"], result["skipped"]
    assert {t["server"] for t in result["trials"]} == {"parley", "janus", "floor"}
    for trial in result["trials"]:
        assert trial["clients"] == 1, trial
        assert trial["packets"] > 0 and trial["audio_packets"] > 0 and trial["video_packets"] > 0, trial
        assert 0 < trial["received"] <= trial["sent"], trial
        for figure in ("cpu_us_per_packet", "runtime_us_per_packet", "loss_percent", "load_cpu_percent"):
            assert number(trial[figure]) and trial[figure] >= 0, (figure, trial)
        # Clock ticks are 10 ms, so the tick-based figure may round to 0 in a few seconds; the
        # schedstat one is in nanoseconds and cannot.
        assert trial["runtime_us_per_packet"] > 0, trial

    summary = result["summary"]
    for server in ("parley", "janus", "floor"):
        for figure in ("cpu_us_per_packet", "loss_percent", "load_cpu_percent"):
            assert number(summary[server][figure]), summary
    # The floor (a bare UDP echo) is what the kernel alone costs: each server is some multiple of it.
    assert number(summary["floor_over_janus"]) and summary["floor_over_janus"] > 0, summary
    assert set(summary["over_floor"]) == {"parley", "janus"}, summary
    assert number(summary["above_floor_ratio"]), summary
    assert number(summary["runtime_ratio"]) and summary["runtime_ratio"] > 0, summary
    # One repetition: one back-to-back pair, its ratio the same as the medians' ratio.
    assert len(summary["paired_ratios"]) == 1, summary
    assert abs(summary["paired_ratios"][0] - summary["ratio"]) < 1e-9, summary

    report = (tmp_path / "RESULTS.md").read_text()
    assert "Parley / Janus" in report
    assert "Floor / Janus" in report
    assert "Above the floor, Parley / Janus" in report
    for server in ("parley", "janus", "floor"):
        assert f"| {server} |" in report
