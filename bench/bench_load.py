"""Page-render time with many people at once: N sessions open the app at the same moment.

    python -m bench.bench_load [--sessions 20]

One ``streamlit run app.py`` server; N browser sessions (one Chromium, one context each,
playwright's async API) navigate together, each to a link to a different scenario (the
blank scenario with a tooling cost of its own). A session's render time runs from its
navigation to a page whose script has finished and shows a metric. Then the same N
sessions as websocket clients (tests/e2e/streamlit_client.py): the time from asking for a
run to the run's end, which is the server's share without the browsers' rendering.

Both are measured against a baseline in the same run, the same way: the same load on a
one-line Streamlit app (bench_app.BASELINE_APP) served with the same config. Each server is
warmed up by one session first. These 2-core machines are noisy, and Chromium's renderers
share the cores with the server, so the ratio is the figure to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import async_playwright

from bench.bench_app import BASELINE_APP, READY, ROOT, free_port
from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.io.share import link
from planner.scenario import Scenario, ToolingItem
from tests.e2e.streamlit_client import connect, script_run

METRIC = "[data-testid='stMetricValue']"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def variants(count: int) -> list[Scenario]:
    blank = read_scenario(GALLERY_DIR / "blank.yaml")
    return [
        replace(
            blank,
            title=f"Load {i:02d}",
            tooling=(ToolingItem(name="platform", usd_per_month=1000 + 37 * i),),
        )
        for i in range(count)
    ]


class Server:
    """``streamlit run script`` on a free port, healthy on entry, stopped on exit."""

    def __init__(self, script: Path, cwd: Path) -> None:
        self.script, self.cwd = script, cwd
        self.base = ""
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}/"
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "streamlit", "run", str(self.script)),
                *("--server.headless", "true", "--server.address", "127.0.0.1"),
                *("--server.port", str(port), "--browser.gatherUsageStats", "false"),
            ],
            cwd=self.cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base + "_stcore/health", timeout=2):
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"{self.script} did not become healthy within 60 s")

    def __exit__(self, *_: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)


async def browser_renders(base: str, scenarios: list[Scenario]) -> list[float]:
    """Seconds from navigation to a rendered page, for each session, all starting at once."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=BROWSER_ARGS
        )
        warm = await browser.new_page()
        await warm.goto(base, timeout=120_000)
        await warm.wait_for_selector(READY, timeout=120_000)
        await warm.close()
        pages = []
        for _ in scenarios:
            context = await browser.new_context(viewport={"width": 1400, "height": 1600})
            pages.append(await context.new_page())

        async def render(page, url: str) -> float:  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            await page.goto(url, timeout=600_000)
            await page.wait_for_selector(READY, timeout=600_000)
            await page.wait_for_selector(METRIC, timeout=600_000)
            return time.perf_counter() - start

        times = await asyncio.gather(
            *(render(page, link(s, base)) for page, s in zip(pages, scenarios, strict=True))
        )
        await browser.close()
    return list(times)


async def server_runs(base: str, scenarios: list[Scenario]) -> list[float]:
    """Seconds from asking for a run to its end, for each websocket session, all at once."""
    async with connect(base) as warm:
        await script_run(warm, "")

    async def run(scenario: Scenario) -> float:
        async with connect(base) as socket:
            start = time.perf_counter()
            seen = await script_run(socket, urlsplit(link(scenario)).query)
            elapsed = time.perf_counter() - start
        if seen.exceptions:
            raise RuntimeError(f"the script failed: {seen.exceptions[0]}")
        return elapsed

    return list(await asyncio.gather(*(run(s) for s in scenarios)))


def p50_p95(times: list[float]) -> tuple[float, float]:
    return statistics.median(times), statistics.quantiles(times, n=20, method="inclusive")[18]


def report(what: str, ours: list[float], base: list[float]) -> None:
    (o50, o95), (b50, b95) = p50_p95(ours), p50_p95(base)
    print(
        f"{what}: p50 {o50:.2f} s, p95 {o95:.2f} s "
        f"(baseline one-line app p50 {b50:.2f} s, p95 {b95:.2f} s; "
        f"ratio p50 {o50 / b50:.1f}x, p95 {o95 / b95:.1f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="sessions at once (default 20)")
    args = parser.parse_args()
    if args.sessions < 2:
        parser.error("--sessions must be 2 or more")
    scenarios = variants(args.sessions)
    with tempfile.TemporaryDirectory() as tmp:
        baseline_dir = Path(tmp)
        (baseline_dir / "baseline_app.py").write_text(BASELINE_APP)
        shutil.copytree(ROOT / ".streamlit", baseline_dir / ".streamlit")
        measured: dict[str, dict[str, list[float]]] = {}
        for name, script, cwd in (
            ("ours", ROOT / "app.py", ROOT),
            ("baseline", baseline_dir / "baseline_app.py", baseline_dir),
        ):
            with Server(script, cwd) as server:
                measured[name] = {
                    "browser": asyncio.run(browser_renders(server.base, scenarios)),
                    "websocket": asyncio.run(server_runs(server.base, scenarios)),
                }
    print(f"{args.sessions} sessions at once against one server (app: Overview page)")
    report("page render in a browser", measured["ours"]["browser"], measured["baseline"]["browser"])
    report(
        "server run (websocket client)",
        measured["ours"]["websocket"],
        measured["baseline"]["websocket"],
    )


if __name__ == "__main__":
    main()
