"""The flood load test's smoke mode (`bench/flood/flood.py --smoke`): a few seconds of each phase,
so that it cannot rot unnoticed. It checks that every phase ran and that the server survived
with its well-behaved clients served; how fast anything was is for bench/flood/RESULTS.md.

Environment: PARLEY_RELEASE_BIN (set by scripts/test), the server under test.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 10 * 60


def test_flood_smoke_runs_every_phase_and_the_server_survives(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    run = subprocess.run(
        [sys.executable, str(REPO / "bench" / "flood" / "flood.py"), "--smoke", "--no-build", "--out", str(out)],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert run.returncode == 0, f"flood.py --smoke failed:\n{run.stdout[-4000:]}\n{run.stderr[-6000:]}"
    report = out.read_text()
    assert "server memory per idle connection" in report
    for phase in ("quiet", "flood", "nested"):
        row = re.search(rf"^\| {phase} \| ([\d.]+) ms \| ([\d.]+) ms \|.*\| ([\d,]+) / ([\d,]+) \|", report, re.MULTILINE)
        assert row, f"no figures for the {phase} phase:\n{report}"
        received, sent = (int(group.replace(",", "")) for group in row.group(3, 4))
        assert sent > 0 and received > 0, f"{phase}: the well-behaved pairs got nothing through:\n{report}"
    assert "server alive: yes" in report, report
    assert re.search(r"first `rate-limited` error after \| [\d,]+ messages", report), report
