"""Training planner speed: 100,000 simulated spot runs, and the sizing optimum.

    python -m bench.bench_training [--repeats 7]

Each figure is timed against a baseline measured in the same run on the same machine, and
the ratio is printed, because these 2-core machines are noisy:

* the Monte Carlo against drawing and sorting 100,000 uniform numbers with numpy (the least
  any vectorised simulation of 100,000 runs does), and against the same model simulated
  run by run in plain Python (timed on 2,000 runs, scaled to 100,000);
* the sizing optimum (scipy, with inference tokens) against evaluating the closed-form
  compute optimum of Hoffmann et al., which needs no solver.

Targets (issue 3): 100,000 Monte Carlo runs in under 1 s; the sizing optimum in under 50 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

import numpy as np

from planner.costing.training import best_segments, evaluate_plan, simulate_fallback, simulate_spot
from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.models.sizing import FlopPrice, law_fit, optimal_for_budget

RUNS = 100_000
# A 200-hour run on 8 instances at 0.01 interruptions per instance-hour (0.08 for the job),
# 6-minute checkpoints and 15-minute restarts: about 16 interruptions a run.
WORK, RATE, DELTA, RESTART = 200.0, 0.08, 0.1, 0.25
PRICE = FlopPrice(train_usd_per_flop=1.5e-18, inference_usd_per_flop=3e-18)


def median_seconds(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def naive_spot(runs: int, segments: int, seed: int) -> list[float]:
    """The same model, one run and one segment at a time."""
    rng = random.Random(seed)  # noqa: S311 - a simulation, not cryptography
    length = WORK / segments
    hours = []
    for _ in range(runs):
        total = 0.0
        for index in range(segments):
            span = length + (DELTA if index < segments - 1 else 0.0)
            while True:
                gap = rng.expovariate(RATE)
                if gap >= span:
                    total += span
                    break
                total += gap + RESTART
        hours.append(total)
    return hours


def closed_form_optimum() -> tuple[float, float]:
    fit = law_fit("epoch")
    g, a, b = fit.allocation_constants()
    compute = 1e6 / PRICE.train_usd_per_flop
    return g * (compute / 6) ** a, (compute / 6) ** b / g


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    segments, expected = best_segments(WORK, RATE, DELTA, RESTART)

    mc = median_seconds(
        lambda: simulate_spot(WORK, RATE, DELTA, RESTART, segments, runs=RUNS, seed=1),
        args.repeats,
    )
    rng = np.random.default_rng(1)
    baseline = median_seconds(lambda: np.sort(rng.random(RUNS)), args.repeats)
    naive_runs = 2_000
    naive = median_seconds(lambda: naive_spot(naive_runs, segments, 1), 3) * RUNS / naive_runs
    sample = simulate_spot(WORK, RATE, DELTA, RESTART, segments, runs=RUNS, seed=1)
    print(
        f"Monte Carlo, {RUNS:,} spot runs ({segments} segments, mean {sample.mean():.2f} h, "
        f"expected {expected:.2f} h): median {mc * 1000:.1f} ms; "
        f"numpy sort baseline {baseline * 1000:.1f} ms (ratio {mc / baseline:.1f}x); "
        f"plain-Python loop {naive:.1f} s scaled (speed-up {naive / mc:,.0f}x). "
        f"Target < 1 s: {'met' if mc < 1 else 'MISSED'}"
    )
    mixed = median_seconds(
        lambda: simulate_fallback(
            WORK, RATE, DELTA, RESTART, segments, WORK * 1.3, runs=RUNS, seed=1
        ),
        args.repeats,
    )
    print(
        f"Monte Carlo, {RUNS:,} mixed runs (spot, on-demand fallback at a 1.3x deadline): "
        f"median {mixed * 1000:.1f} ms (ratio {mixed / baseline:.1f}x the numpy baseline)"
    )

    sizing = median_seconds(
        lambda: optimal_for_budget(1e6, PRICE, "epoch", inference_tokens=1e12),
        max(args.repeats, 21),
    )
    closed = median_seconds(closed_form_optimum, max(args.repeats, 21))
    plain = optimal_for_budget(1e6, PRICE, "epoch")
    n, _ = closed_form_optimum()
    print(
        f"Sizing optimum (scipy, $1M with 1e12 inference tokens): median {sizing * 1000:.2f} ms; "
        f"closed-form baseline {closed * 1e6:.1f} µs (ratio {sizing / closed:,.0f}x; "
        f"scipy without inference agrees to {abs(plain.params / n - 1):.1e}). "
        f"Target < 50 ms: {'met' if sizing < 0.05 else 'MISSED'}"
    )

    case = read_scenario(GALLERY_DIR / "training_50k_to_18k.yaml")
    job = case.training[0]
    page = median_seconds(lambda: evaluate_plan(job, case.pricing), args.repeats)
    print(
        "Whole Training-page computation for the lesson-02 case (plan, baseline, waterfall, "
        f"pricing comparison with its simulations, frontier): median {page * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
