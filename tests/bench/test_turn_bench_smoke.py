"""The TURN benchmark's smoke mode (`bench/turn/run --smoke`): one short trial of Parley's relay
and of coturn per profile, so that the benchmark cannot rot unnoticed. It checks that both
servers relayed packets and that every figure is there; it never judges how fast anything was
(bench/turn/RESULTS.md is for that).

Needs Debian's coturn (`turnserver`, `turnutils_uclient`); skipped without it. Environment:
PARLEY_RELEASE_BIN (set by scripts/test) is used as the server under test when set.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Generous: bench/turn/run may first have to build the release binary.
TIMEOUT_S = 45 * 60

pytestmark = pytest.mark.skipif(
    not (shutil.which("turnserver") and shutil.which("turnutils_uclient")),
    reason="coturn is not installed (apt-get install coturn): no turnserver / turnutils_uclient to compare with",
)


def number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def test_turn_benchmark_runs_both_servers(tmp_path: Path) -> None:
    run = subprocess.run(
        [str(REPO / "bench" / "turn" / "run"), "--smoke", "--out", str(tmp_path)],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert run.returncode == 0, f"bench/turn/run --smoke failed:\n{run.stdout[-4000:]}\n{run.stderr[-8000:]}"

    result = json.loads((tmp_path / "results.json").read_text())
    assert result["smoke"] is True
    assert {(t["profile"], t["server"]) for t in result["trials"]} == {
        (profile, server) for profile in ("audio", "video") for server in ("parley", "coturn")
    }
    for trial in result["trials"]:
        assert trial["packets"] > 0 and trial["received"] > 0 and trial["sent"] > 0, trial
        assert trial["received"] <= trial["sent"], trial
        for figure in ("cpu_us_per_packet", "runtime_us_per_packet", "loss_percent", "jitter_ms", "rtt_ms"):
            assert number(trial[figure]) and trial[figure] >= 0, (figure, trial)
        # Clock ticks are 10 ms, so the tick-based figure may round to 0 in a few seconds; the
        # schedstat one is in nanoseconds and cannot.
        assert trial["runtime_us_per_packet"] > 0, trial

    for profile in ("audio", "video"):
        summary = result["summary"][profile]
        for server in ("parley", "coturn"):
            assert number(summary[server]["cpu_us_per_packet"]), summary
            assert number(summary[server]["loss_percent"]), summary
            assert number(summary[server]["jitter_ms"]), summary
        assert number(summary["runtime_ratio"]) and summary["runtime_ratio"] > 0, summary
        # One repetition: one back-to-back pair, its ratio the same as the medians' ratio.
        assert len(summary["paired_ratios"]) == 1, summary
        assert abs(summary["paired_ratios"][0] - summary["ratio"]) < 1e-9, summary

    report = (tmp_path / "RESULTS.md").read_text()
    assert "| audio" in report and "| video" in report
    assert "Parley / coturn" in report
    for server in ("parley", "coturn"):
        assert f"| {server} |" in report
