"""Start-up: the CLI commands that neither solve nor chart, and the app's cold start.

Each figure is printed against a baseline timed in the same run, because these machines are
noisy: the CLI against a bare ``import pydantic, yaml, numpy`` (target: within 3x), the app
against a one-line Streamlit app (target: under 3 s to the first rendered page). It also
says which heavy libraries each command imported (target: none of scipy, altair, duckdb).

Run: ``python -m bench.bench_startup [--repeats N]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_app import BASELINE_APP, cold_start
from planner.io.scenario_files import read_scenario
from planner.io.share import link

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("scipy", "altair", "duckdb", "pandas", "pyarrow")
BARE = "import pydantic, yaml, numpy"


def _seconds(argv: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, capture_output=True, check=True, timeout=120)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _heavy_imports(command: list[str]) -> list[str]:
    """The heavy libraries a command imports, run in-process under the CLI's own main."""
    probe = (
        "import sys, io\n"
        "from planner.cli import main\n"
        f"main({command!r}, out=io.StringIO())\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    return [name for name in result.stdout.strip().split(",") if name]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    blank = "scenarios/blank.yaml"
    token = link(read_scenario(ROOT / blank), "http://localhost:8501/")
    commands = {
        "evaluate": ["evaluate", blank],
        "link": ["link", blank],
        "show-link": ["show-link", token],
    }
    bare = _seconds([sys.executable, "-c", BARE], args.repeats)
    print(f"bare `{BARE}`: median {bare:.2f} s")
    for name, command in commands.items():
        took = _seconds([sys.executable, "-m", "planner", *command], args.repeats)
        heavy = _heavy_imports(command) or ["none"]
        print(
            f"{name}: median {took:.2f} s, {took / bare:.1f}x the bare import (target <= 3x); "
            f"imports {', '.join(heavy)}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        baseline_script = Path(tmp) / "baseline_app.py"
        baseline_script.write_text(BASELINE_APP)
        ours = cold_start(ROOT / "app.py", ROOT)
        base = cold_start(baseline_script, Path(tmp))
        print(
            f"app cold start to the first rendered page: {ours:.2f} s (one-line app "
            f"{base:.2f} s, ratio {ours / base:.2f}x; target < 3 s)"
        )


if __name__ == "__main__":
    main()
