"""Measure the returns import on a generated return: parse and check, whole import, xlsx.

    .venv/bin/python -m bench.returns_import [--rows 1000000] [--xlsx] [--json FILE]

Each measure runs in a fresh process over a fresh copy of a demo database, so its peak
memory is its own. The budgets are those of issue 10 (contracts rows).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

AS_OF = date(2026, 11, 24)
POINTS = ["EL", "NEL", "DC", "OPFA", "OPFU", "BD", "PY", "DRUG"]
YEARS = ["2023/24", "2024/25", "2025/26", "2026/27"]


def build_database(folder: Path) -> Path:
    from app.services.demo import build_demo
    from app.store.database import open_database

    path = folder / "demo.sqlite"
    database = open_database(path, user="bench")
    build_demo(database, as_of=AS_OF)
    database.close()
    return path


def codes(path: Path) -> tuple[list[str], list[str], list[str]]:
    from sqlalchemy import select

    from app.models import Contract, Organisation, ServiceDefinition
    from app.store.database import open_database

    database = open_database(path, user="bench")
    with database.reader() as session:
        provider_ids = list(session.scalars(select(Contract.provider_id).distinct()))
        providers = sorted(
            session.scalars(select(Organisation.code).where(Organisation.id.in_(provider_ids)))
        )
        commissioners = sorted(
            session.scalars(select(Organisation.code).where(Organisation.code.like("5%")))
        )
        lines = sorted({d.code for d in session.scalars(select(ServiceDefinition))})
    database.close()
    return providers, commissioners, lines


def generate_return(database: Path, rows: int, target: Path, seed: int = 10) -> pd.DataFrame:
    """`rows` distinct, valid rows drawn from every year, month, provider, PCT, line and POD."""
    providers, commissioners, lines = codes(database)
    dimensions = [YEARS, list(range(1, 13)), providers, commissioners, lines, POINTS]
    sizes = [len(d) for d in dimensions]
    space = int(np.prod(sizes))
    if rows > space:
        raise SystemExit(f"at most {space} distinct rows can be generated")
    generator = np.random.default_rng(seed)
    picks = generator.choice(space, size=rows, replace=False)
    columns = {}
    for name, values, size in zip(
        ["Financial year", "Month", "Provider code", "Commissioner code", "Service line",
         "Point of delivery"],
        dimensions,
        sizes,
        strict=True,
    ):  # fmt: skip
        columns[name] = np.asarray(values, dtype=object)[picks % size]
        picks //= size
    activity = generator.integers(1, 5_000, size=rows)  # hundredths
    price = generator.integers(50_000, 3_000_000, size=rows)  # pence
    cost = np.round(activity * price / 100).astype("int64")  # pence
    frame = pd.DataFrame(columns)
    frame["Planned activity"] = ""
    frame["Actual activity"] = [f"{a / 100:.2f}" for a in activity]
    frame["Price"] = [f"{p / 100:.2f}" for p in price]
    frame["Actual cost"] = [f"{c / 100:.2f}" for c in cost]
    frame.to_csv(target, index=False)
    return frame


def write_xlsx(frame: pd.DataFrame, target: Path) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(target), {"constant_memory": True})
    sheet = book.add_worksheet("Return")
    sheet.write_row(0, 0, list(frame.columns))
    numeric = {"Month", "Actual activity", "Price", "Actual cost"}
    values = [
        frame[c].astype(float).tolist() if c in numeric else frame[c].tolist()
        for c in frame.columns
    ]
    for index, row in enumerate(zip(*values, strict=True), start=1):
        sheet.write_row(index, 0, row)
    book.close()


# Each measure, run in a process of its own -----------------------------------------------


def measure(name: str, database: Path, source: Path) -> dict[str, float]:
    from sqlalchemy.orm import configure_mappers

    from app.services.returns_import import check_returns, import_returns
    from app.store.database import open_database

    # What the application does once at start-up stays outside the timing.
    db = open_database(database, user="bench")
    configure_mappers()
    started = time.perf_counter()
    cpu_started = time.process_time()
    if name == "read_csv":
        pd.read_csv(source)
    elif name == "check":
        check = check_returns(db, source)
        assert check.clean, check.errors[:5]
    elif name == "import":
        import_returns(db, source, received_on=AS_OF)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    db.close()
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "peak_mb": peak_memory_mb()}


def peak_memory_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited at exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_measure(name: str, database: Path, source: Path, work: Path) -> dict[str, float]:
    copy = work / f"{name}.sqlite"
    shutil.copyfile(database, copy)
    result = subprocess.run(
        [sys.executable, "-m", "bench.returns_import", "--measure", name, str(copy), str(source)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {
        "seconds": float(np.median([r["seconds"] for r in runs])),
        # Processor time moves less than wall time when the machine is shared.
        "cpu_seconds": float(np.median([r["cpu_seconds"] for r in runs])),
        "peak_mb": max(r["peak_mb"] for r in runs),
        "load_1min": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--xlsx", action="store_true", help="also measure the same rows as xlsx")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.measure:
        name, database, source = arguments.measure
        print(json.dumps(measure(name, Path(database), Path(source))))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-returns-") as folder:
        work = Path(folder)
        print(f"building the demo database and a {arguments.rows:,}-row return ...", flush=True)
        database = build_database(work)
        csv_path = work / "return.csv"
        frame = generate_return(database, arguments.rows, csv_path)
        results: dict[str, dict[str, float]] = {}
        for name in ("read_csv", "check", "import"):
            runs = [run_measure(name, database, csv_path, work) for _ in range(arguments.repeat)]
            results[f"csv {name}"] = median_of(runs)
            print(f"  csv {name}: {results[f'csv {name}']}", flush=True)
        if arguments.xlsx:
            xlsx_path = work / "return.xlsx"
            write_xlsx(frame, xlsx_path)
            runs = [run_measure("import", database, xlsx_path, work) for _ in range(1)]
            results["xlsx import"] = median_of(runs)
            print(f"  xlsx import: {results['xlsx import']}", flush=True)
    ratio = results["csv check"]["seconds"] / results["csv read_csv"]["seconds"]
    cpu_ratio = results["csv check"]["cpu_seconds"] / results["csv read_csv"]["cpu_seconds"]
    table = [
        ("parse and check / pandas.read_csv", f"{ratio:.2f}x", "at most 2x", ratio <= 2),
        (
            "whole CSV import, commit included",
            f"{results['csv import']['seconds']:.2f} s",
            "under 10 s",
            results["csv import"]["seconds"] < 10,
        ),
    ]
    if "xlsx import" in results:
        seconds = results["xlsx import"]["seconds"]
        table.append(("whole xlsx import", f"{seconds:.2f} s", "under 30 s", seconds < 30))
    peak = max(r["peak_mb"] for r in results.values())
    table.append(("peak memory of any measure", f"{peak:.0f} MB", "under 500 MB", peak < 500))
    print()
    print(f"check / read_csv in processor time: {cpu_ratio:.2f}x; load {os.getloadavg()}")
    print(f"{'measure':<40} {'median':>10}  {'budget':<14} within")
    for measure_name, value, budget, ok in table:
        print(f"{measure_name:<40} {value:>10}  {budget:<14} {'yes' if ok else 'NO'}")
    if arguments.json:
        arguments.json.write_text(
            json.dumps(
                {
                    "rows": arguments.rows,
                    "machine": f"{platform.machine()} {platform.processor()} {platform.system()}",
                    "results": results,
                    "ratio_check_to_read_csv": ratio,
                    "cpu_ratio_check_to_read_csv": cpu_ratio,
                    "load_1min_at_end": os.getloadavg()[0],
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
