"""Run the benchmarks: each measure several times in a fresh process; report the medians.

    python -m bench [--scale tiny|small|full] [--only NAME ...] [--json FILE]

Each run of a measure is its own process, so start-up is cold and its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import measures  # noqa: F401  (registers the measures)
from bench.data import data_folder
from bench.registry import MEASURES, SCALES

MEMORY_BUDGET_MB = 500.0


def run_once(name: str, scale: str) -> tuple[float, float]:
    """One run in a fresh process: (figure, peak memory in MB)."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.one", name, scale],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{result.stdout}\n{result.stderr}")
    figure, memory = result.stdout.strip().splitlines()[-1].split()
    return float(figure), float(memory)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--only", nargs="*", metavar="NAME", help="run only these measures")
    parser.add_argument("--repeat", type=int, help="runs of each measure (default: its own)")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    arguments = parser.parse_args(argv)
    chosen = [MEASURES[n] for n in (arguments.only or MEASURES)]
    print(f"Preparing {arguments.scale} data in {data_folder(arguments.scale)} ...", flush=True)
    subprocess.run([sys.executable, "-m", "bench.data", arguments.scale], check=True)
    rows = []
    header = f"{'measure':<34} {'median':>10} {'budget':>10} {'peak MB':>8}  within"
    print(header)
    print("-" * len(header))
    for item in chosen:
        runs = [
            run_once(item.name, arguments.scale) for _ in range(arguments.repeat or item.repeat)
        ]
        median = statistics.median(figure for figure, _ in runs)
        peak = max(memory for _, memory in runs)
        within = median <= item.budget and peak <= MEMORY_BUDGET_MB
        rows.append(
            {
                "measure": item.name,
                "description": item.description,
                "median": round(median, 4),
                "runs": [round(figure, 4) for figure, _ in runs],
                "unit": item.unit,
                "budget": item.budget,
                "peak_memory_mb": round(peak, 1),
                "within_budget": within,
                "source": item.source,
            }
        )
        print(
            f"{item.name:<34} {median:>9.3f}{_unit(item.unit)} "
            f"{item.budget:>9.3f}{_unit(item.unit)} {peak:>8.0f}  {'yes' if within else 'NO'}",
            flush=True,
        )
    report = {
        "scale": arguments.scale,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(),
            "cpus": _cpus(),
        },
        "results": rows,
    }
    if arguments.json:
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        arguments.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if all(row["within_budget"] for row in rows) or arguments.scale != "full" else 1


def _unit(unit: str) -> str:
    return {"s": "s", "ratio": "x", "MB": "M"}.get(unit, " ")


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


if __name__ == "__main__":
    sys.exit(main())
