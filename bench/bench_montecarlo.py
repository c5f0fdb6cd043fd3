"""Monte Carlo over the one model: ``whatif.monte_carlo`` against its own floor, same run.

    python -m bench.bench_montecarlo [--samples 2000]

``monte_carlo`` now prices every draw with ``economics.evaluate`` (the model every page
uses) instead of a vectorised copy of it. So the floor it cannot beat is one ``evaluate`` of
the scenario times the number of draws; this prints both and their ratio, the figure to
compare across machines (1.0 means drawing, substituting and collecting cost nothing). A
build-vs-buy case also runs ``buildbuy.tco_arrays`` in one vectorised pass per run, which
is in the Monte Carlo time and not in the floor.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from planner import whatif
from planner.catalog import load_catalog
from planner.costing.economics import evaluate
from planner.io.scenario_files import GALLERY_DIR, read_scenario

CASES = (
    "recommendation_cost_per_request",
    "training_50k_to_18k",
    "inference_8c_to_2c",
    "build_vs_buy_mlflow_wandb",
)


def _time(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def bench_case(name: str, samples: int) -> str:
    """Time Monte Carlo and its floor on one gallery case; the line to print."""
    catalog = load_catalog()
    scenario = read_scenario(GALLERY_DIR / f"{name}.yaml")
    evaluate(scenario, catalog)  # warm the catalog and any caches for both sides
    one = statistics.median(_time(lambda: evaluate(scenario, catalog)) for _ in range(7))
    floor = one * samples
    monte_carlo = _time(lambda: whatif.monte_carlo(scenario, catalog, samples=samples, seed=0))
    return (
        f"{name:>32}: {samples:,} draws; monte_carlo {monte_carlo:,.2f} s, "
        f"evaluate × {samples:,} {floor:,.2f} s ({one * 1e3:,.2f} ms each); "
        f"ratio {monte_carlo / floor:,.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=whatif.DEFAULT_SAMPLES)
    parser.add_argument("--case", action="append", choices=CASES, help="default: all")
    args = parser.parse_args()
    for name in args.case or CASES:
        print(bench_case(name, args.samples), flush=True)


if __name__ == "__main__":
    main()
