"""Page-render time with many people at once: N sessions open the app at the same moment.

    python -m bench.bench_load [--sessions 20]

One ``streamlit run app.py`` server; N browser sessions (one Chromium, one context each,
playwright's async API) navigate together, each to a link to a different scenario. A
session's render time runs from its
navigation to a page whose script has finished and shows a metric. Then the same N
sessions as websocket clients (tests/e2e/streamlit_client.py): the time from asking for a
run to the run's end, which is the server's share without the browsers' rendering.

Two loads: the Overview (light: the blank scenario with a tooling cost of its own), and
the Sensitivity page of lesson 01 with a title of its own (heavy: its tornado and a
2,000-draw Monte Carlo miss the cache in every session). The app is served twice, with its
worker pool for heavy solves off (``PLANNER_POOL=0``: every solve in the server's threads,
which share one core) and on (ui/cache.py), each timed against a baseline in the same run,
the same way: the same load on a one-line Streamlit app (bench_app.BASELINE_APP) served with
the same config, its sessions sent to the same links. Each server is warmed up by one session
of each load first (which also starts the pool). These 2-core machines are noisy, and
Chromium's renderers share the cores with the server, so the ratio is the figure to compare.

    python -m bench.bench_load --sessions 20 --skip-browser   # websocket clients only
    python -m bench.bench_load --rounds 2   # each server twice, in alternating order
    python -m bench.bench_load --load Sensitivity   # the heavy load only
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, replace
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


def variants(count: int, tag: str = "") -> list[Scenario]:
    """Light: the blank scenario, each with its own tooling cost."""
    blank = read_scenario(GALLERY_DIR / "blank.yaml")
    return [
        replace(
            blank,
            title=f"Load {tag}{i:02d}",
            tooling=(ToolingItem(name="platform", usd_per_month=1000 + 37 * i),),
        )
        for i in range(count)
    ]


def heavy_variants(count: int, tag: str = "") -> list[Scenario]:
    """Heavy: lesson 01, each with its own title, so no session finds another's results."""
    lesson = read_scenario(GALLERY_DIR / "recommendation_cost_per_request.yaml")
    return [replace(lesson, title=f"Load {tag}{i:02d}") for i in range(count)]


@dataclass(frozen=True)
class Load:
    """What each session opens: a page (its URL path; "" for the default) and its links,
    one set for the browsers and another for the websocket clients, so that neither finds
    the other's results in the server's caches."""

    name: str
    page: str
    scenarios: list[Scenario]
    websocket: list[Scenario]
    warm: Scenario


class Server:
    """``streamlit run script`` on a free port, healthy on entry, stopped on exit."""

    def __init__(self, script: Path, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.script, self.cwd = script, cwd
        self.env = {**os.environ, **(env or {})}
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
            env=self.env,
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


def page_url(base: str, page: str, scenario: Scenario) -> str:
    return base + page + "?" + urlsplit(link(scenario)).query


async def browser_renders(base: str, load: Load, page: str) -> list[float]:
    """Seconds from navigation to a rendered page, for each session, all starting at once."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=BROWSER_ARGS
        )
        pages = []
        for _ in load.scenarios:
            context = await browser.new_context(viewport={"width": 1400, "height": 1600})
            pages.append(await context.new_page())

        async def render(tab, url: str) -> float:  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            await tab.goto(url, timeout=600_000)
            await tab.wait_for_selector(READY, timeout=600_000)
            await tab.wait_for_selector(METRIC, timeout=600_000)
            return time.perf_counter() - start

        times = await asyncio.gather(
            *(
                render(tab, page_url(base, page, s))
                for tab, s in zip(pages, load.scenarios, strict=True)
            )
        )
        await browser.close()
    return list(times)


async def server_runs(base: str, scenarios: list[Scenario], page: str) -> list[float]:
    """Seconds from asking for a run to its end, for each websocket session, all at once."""

    async def run(scenario: Scenario) -> float:
        async with connect(base) as session:
            start = time.perf_counter()
            seen = await script_run(session, urlsplit(link(scenario)).query, page)
            elapsed = time.perf_counter() - start
        if seen.exceptions:
            raise RuntimeError(f"the script failed: {seen.exceptions[0]}")
        return elapsed

    return list(await asyncio.gather(*(run(s) for s in scenarios)))


def p50_p95(times: list[float]) -> tuple[float, float]:
    return statistics.median(times), statistics.quantiles(times, n=20, method="inclusive")[18]


def ratios(ours: list[float], base: list[float]) -> tuple[float, float]:
    (o50, o95), (b50, b95) = p50_p95(ours), p50_p95(base)
    return o50 / b50, o95 / b95


def line(what: str, times: list[float], base: list[float]) -> str:
    (o50, o95), (b50, b95) = p50_p95(times), p50_p95(base)
    r50, r95 = ratios(times, base)
    return (
        f"  {what:<9} p50 {o50:6.2f} s, p95 {o95:6.2f} s; one-line app p50 {b50:5.2f} s, "
        f"p95 {b95:5.2f} s; ratio p50 {r50:5.1f}x, p95 {r95:5.1f}x"
    )


# The servers of one run: the app with its pool off, with it on, and the one-line baseline.
SERVERS = ("pool off", "pool on", "baseline")


def measure(
    script: Path, cwd: Path, env: dict[str, str], loads: list[Load], browser: bool, ours: bool
) -> dict[tuple[str, str], list[float]]:
    """Each load's times on one server, keyed by (load, "browser" or "websocket")."""
    times: dict[tuple[str, str], list[float]] = {}
    with Server(script, cwd, env) as server:
        for load in loads:
            page = load.page if ours else ""  # the one-line app has one page
            # Warm-up: the first run imports the planner and, with the pool on, starts it.
            asyncio.run(server_runs(server.base, [load.warm], page))
            if browser:
                times[load.name, "browser"] = asyncio.run(browser_renders(server.base, load, page))
            times[load.name, "websocket"] = asyncio.run(
                server_runs(server.base, load.websocket, page)
            )
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="sessions at once (default 20)")
    parser.add_argument(
        "--skip-browser", action="store_true", help="websocket clients only (no Chromium)"
    )
    parser.add_argument(
        "--load",
        choices=("Overview", "Sensitivity"),
        action="append",
        help="only this load (repeatable; default both)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat the servers, in reverse order every other round, and pool the times "
        "(default 1): the machine's other load then weighs on each server alike",
    )
    args = parser.parse_args()
    if args.sessions < 2:
        parser.error("--sessions must be 2 or more")
    loads = [
        Load(
            "Overview",
            "",
            variants(args.sessions),
            variants(args.sessions, "ws "),
            variants(1, "warm ")[0],
        ),
        Load(
            "Sensitivity",
            "sensitivity",
            heavy_variants(args.sessions),
            heavy_variants(args.sessions, "ws "),
            heavy_variants(1, "warm ")[0],
        ),
    ]
    loads = [load for load in loads if args.load is None or load.name in args.load]
    browser = not args.skip_browser
    with tempfile.TemporaryDirectory() as tmp:
        baseline_dir = Path(tmp)
        (baseline_dir / "baseline_app.py").write_text(BASELINE_APP)
        shutil.copytree(ROOT / ".streamlit", baseline_dir / ".streamlit")
        runs: dict[str, dict[tuple[str, str], list[float]]] = {name: {} for name in SERVERS}
        for round_ in range(args.rounds):
            for name in SERVERS if round_ % 2 == 0 else SERVERS[::-1]:
                times = measure(
                    baseline_dir / "baseline_app.py" if name == "baseline" else ROOT / "app.py",
                    baseline_dir if name == "baseline" else ROOT,
                    {"PLANNER_POOL": "0" if name == "pool off" else "1"},
                    loads,
                    browser,
                    ours=name != "baseline",
                )
                for key, values in times.items():
                    runs[name].setdefault(key, []).extend(values)
    print(
        f"{args.sessions} sessions at once against one server, {os.cpu_count()} cores, "
        f"{args.rounds} round(s)"
    )
    for load in loads:
        for kind in ("browser", "websocket") if browser else ("websocket",):
            what = "page render in a browser" if kind == "browser" else "server run (websocket)"
            print(f"{load.name}, {what}:")
            base = runs["baseline"][load.name, kind]
            for name in ("pool off", "pool on"):
                print(line(name, runs[name][load.name, kind], base))
            off = ratios(runs["pool off"][load.name, kind], base)
            on = ratios(runs["pool on"][load.name, kind], base)
            print(
                f"  pool on / pool off: p50 {on[0] / off[0]:.2f}, p95 {on[1] / off[1]:.2f} "
                "(below 1: the pool is faster)"
            )


if __name__ == "__main__":
    main()
