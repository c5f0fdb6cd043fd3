"""Monte Carlo: the vectorised evaluators against looping the scalar models, same run.

    python -m bench.bench_montecarlo [--samples 2000]

Both sides evaluate the same draws. The loop calls ``economics.evaluate`` (or
``buildbuy.tco_arrays`` for one draw) on each drawn scenario, built beforehand with
``whatif.with_value``; the vectorised side evaluates every draw in one pass. The ratio is the
figure to compare across machines.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from planner import buildbuy, whatif
from planner.catalog import load_catalog
from planner.economics import evaluate
from planner.io import GALLERY_DIR, read_scenario


def _time(run) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def bench_case(name: str, samples: int, rng: np.random.Generator) -> str:
    """Time both ways on one gallery case; the line to print."""
    catalog = load_catalog()
    scenario = read_scenario(GALLERY_DIR / f"{name}.yaml")
    values = {s.parameter.key: whatif.draw(s, samples, rng) for s in whatif.spreads(scenario)}
    drawn = []
    for i in range(samples):
        one = scenario
        for key, column in values.items():
            one = whatif.with_value(one, key, float(column[i]))
        drawn.append(one)
    if scenario.business_case is None:
        loop = _time(lambda: [evaluate(one, catalog) for one in drawn])
        vector = _time(lambda: whatif.unit_economics_arrays(scenario, catalog, values))
    else:
        loop = _time(lambda: [buildbuy.tco_arrays(one, catalog) for one in drawn])
        vector = _time(lambda: buildbuy.tco_arrays(scenario, catalog, values))
    return (
        f"{name:>32}: {samples:,} draws; loop {loop * 1e3:,.0f} ms, vectorised "
        f"{vector * 1e3:,.1f} ms; vectorised is {loop / vector:,.0f}× faster"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    for name in ("recommendation_cost_per_request", "build_vs_buy_mlflow_wandb"):
        print(bench_case(name, args.samples, rng))


if __name__ == "__main__":
    main()
