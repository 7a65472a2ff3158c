"""What every benchmark reports the same way: the machine, the load, the commit, and each
figure's spread over rounds (min / median / max), as one JSON object per run (`--json`).

docs/benchmarks.md quotes figures only from these objects, so a reader can tell which
machine, which commit and how busy the machine was for each one.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def machine() -> dict[str, Any]:
    """CPU model, cores and Python: figures from two machines are not comparable."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "system": platform.platform(terse=True),
    }


def load_average() -> list[float]:
    """The 1, 5 and 15-minute load averages: on a shared machine, how busy it was."""
    return [round(x, 2) for x in os.getloadavg()]


def commit() -> str:
    """The commit measured, with `+dirty` when the tree holds uncommitted changes;
    `BENCH_COMMIT` names it for a copy without git (`git archive` of a commit, measured
    while others edit the working tree)."""
    if os.environ.get("BENCH_COMMIT"):
        return os.environ["BENCH_COMMIT"]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}+dirty" if dirty else head or "unknown"


def spread(values: Iterable[float], digits: int = 3) -> dict[str, float]:
    """min / median / max of one figure over the rounds (or runs)."""
    data = sorted(values)
    return {
        "min": round(data[0], digits),
        "median": round(statistics.median(data), digits),
        "max": round(data[-1], digits),
        "n": len(data),
    }


def p95(values: Iterable[float]) -> float:
    """The 95th percentile by the nearest-rank rule: with 100 runs, the 95th fastest
    (not an interpolation between the two slowest, as with 20 runs)."""
    data = sorted(values)
    rank = max(1, -(-95 * len(data) // 100))  # ceil(0.95 n)
    return data[rank - 1]


def timings(values: Iterable[float], digits: int = 1) -> dict[str, float]:
    """A timed step's runs: min / median / p95 / max."""
    data = sorted(values)
    return {**spread(data, digits), "p95": round(p95(data), digits)}


class Run:
    """One benchmark run's JSON object: started with the machine and load, filled with
    figures, printed once at the end (`emit`)."""

    def __init__(self, benchmark: str, args: Any) -> None:
        self.data: dict[str, Any] = {
            "benchmark": benchmark,
            "commit": commit(),
            "machine": machine(),
            "load_start": load_average(),
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "figures": {},
        }

    def emit(self, as_json: bool) -> None:
        self.data["load_end"] = load_average()
        if as_json:
            print(json.dumps(self.data, ensure_ascii=False), flush=True)
        else:
            print(f"load average at start {self.data['load_start']}, end {self.data['load_end']}")
            print(f"machine: {self.data['machine']}; commit {self.data['commit']}")


def note(message: str) -> None:
    """Progress for the reader, on stderr so `--json`'s stdout holds one object only."""
    print(message, file=sys.stderr, flush=True)
