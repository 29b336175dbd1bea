"""The benchmarks' smoke mode (`bench/run --smoke`): every benchmark runs for a few seconds, so
that none of them can rot unnoticed. It checks that each part completed and produced sane,
non-empty figures; it never judges how fast anything was (bench/RESULTS.md is for that).

Environment: PARLEY_RELEASE_BIN (set by scripts/test) is used as the server under test; the
bare relay baseline (BenchEchoServer) is built by bench/run itself.
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Generous: bench/run may first have to build the release binaries.
TIMEOUT_S = 45 * 60


def positive(value: object) -> bool:
    return isinstance(value, (int, float)) and not math.isnan(value) and value > 0


def test_every_benchmark_runs_and_produces_figures(tmp_path: Path) -> None:
    run = subprocess.run(
        [str(REPO / "bench" / "run"), "--smoke", "--out", str(tmp_path)],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert run.returncode == 0, f"bench/run --smoke failed:\n{run.stdout[-4000:]}\n{run.stderr[-8000:]}"

    call = json.loads((tmp_path / "call_setup.json").read_text())
    for kind in ("floor", "bare", "parley"):
        runs = call["runs"][kind]
        assert runs, f"call setup: no {kind} repetition completed: {call['failures'][kind]}"
        for figure in ("first_frame_ms", "ice_connected_ms", "dtls_connected_ms", "other_first_frame_ms"):
            assert all(positive(r[figure]) for r in runs), f"call setup: {kind} {figure}: {runs}"
        assert all(r["frame_width"] > 0 for r in runs)

    capacity = json.loads((tmp_path / "capacity.json").read_text())
    assert {r["server"] for r in capacity["runs"]} == {"echo", "parley"}
    for r in capacity["runs"]:
        assert r["server_alive"], r
        assert r["delivered"] > 0 and r["delivered"] <= r["messages"], r
        assert not r["errors"], r
        assert positive(r["bytes_per_connection"]), r
        assert positive(r["latency_ms"]["p50"]) and r["latency_ms"]["p99"] >= r["latency_ms"]["p50"], r
        assert r["server_cpu_us_per_message"] >= 0, r  # 10 ms clock ticks: may round to 0
        assert positive(r["load_cpu_percent"]), r

    storm = json.loads((tmp_path / "storm.json").read_text())
    for kind in ("echo", "parley"):
        summary = storm["summary"][kind]
        assert summary["complete_runs"] >= 1, storm["runs"]
        assert positive(summary["all_rosters_ms"]), summary

    report = (tmp_path / "RESULTS.md").read_text()
    for heading in (
        "## 1. Call setup",
        "## 2. Signalling capacity",
        "## 3. Join storm",
        "Parley / floor",
        "Parley / two bare pages",
    ):
        assert heading in report
