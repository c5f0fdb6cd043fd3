"""App responsiveness: rerun after one edit, and cold start to a rendered page.

    python -m bench.bench_app [--repeats 15]

Both are timed against a baseline measured in the same run on the same machine: a one-line
Streamlit app. These 2-core machines are noisy, so the ratio is the figure to compare.
Targets (issue 2): rerun under 250 ms on the largest gallery scenario; cold start under 5 s.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright
from streamlit.testing.v1 import AppTest

from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.io.share import encode

ROOT = Path(__file__).resolve().parent.parent

BASELINE_APP = "import streamlit as st\nst.metric('Monthly cost', '$1')\n"
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"


def largest_gallery_scenario() -> Path:
    return max(GALLERY_DIR.glob("*.yaml"), key=lambda p: len(encode(read_scenario(p))))


def median_rerun(at: AppTest, edit, repeats: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for i in range(repeats):
        edit(at, i)
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    return statistics.median(times)


def bench_rerun(repeats: int, baseline_script: Path) -> tuple[float, float]:
    scenario_path = largest_gallery_scenario()
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.query_params["s"] = encode(read_scenario(scenario_path))
    app.run()

    def edit_storage(at: AppTest, i: int) -> None:
        at.session_state["_storage_0"] = {
            "edited_rows": {0: {"gb": 1000 + i}},
            "added_rows": [],
            "deleted_rows": [],
        }

    ours = median_rerun(app, edit_storage, repeats)
    baseline = AppTest.from_file(str(baseline_script), default_timeout=60)
    baseline.run()
    base = median_rerun(baseline, lambda at, i: None, repeats)
    print(f"largest gallery scenario: {scenario_path.name}")
    return ours, base


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cold_start(script: Path, cwd: Path) -> float:
    """Seconds from `streamlit run` to a page whose script has finished and shows a metric.

    The browser is started before the clock, so its own launch is not counted.
    """
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
        "--server.address", "127.0.0.1", "--server.port", str(port),
    ]  # fmt: skip
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        start = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}/", timeout=2000)
                    break
                except PlaywrightError:  # the server is not listening yet
                    time.sleep(0.05)
            page.wait_for_selector(READY, timeout=60_000)
            page.wait_for_selector("[data-testid='stMetricValue']", timeout=60_000)
            elapsed = time.perf_counter() - start
        finally:
            process.terminate()
            process.wait(timeout=20)
            browser.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        baseline_script = Path(tmp) / "baseline_app.py"
        baseline_script.write_text(BASELINE_APP)
        ours, base = bench_rerun(args.repeats, baseline_script)
        print(
            f"rerun after one edit: median {ours * 1000:.0f} ms "
            f"(baseline one-line app {base * 1000:.0f} ms, ratio {ours / base:.1f}x; "
            "target < 250 ms)"
        )
        ours_cold = cold_start(ROOT / "app.py", ROOT)
        base_cold = cold_start(baseline_script, Path(tmp))
        print(
            f"cold start to rendered page: {ours_cold:.2f} s "
            f"(baseline one-line app {base_cold:.2f} s, ratio {ours_cold / base_cold:.2f}x; "
            "target < 5 s)"
        )


if __name__ == "__main__":
    main()
