"""Benchmark: the instance-mix optimizer on year-long hourly profiles with 10 instance types.

Two seeded profiles (8,760 hours each):

* ``large``: hundreds of instances an hour, where the LP relaxation is nearly tight;
* ``small``: a handful of instances an hour, where integrality matters.

For each, one run prints the decomposition's cost and time, the LP bound and the proven lower
bound, then what HiGHS reaches on the naive full MILP (one ``scipy.optimize.milp`` call with
every hourly variable) in 60 s: its incumbent and its dual bound. Targets, each under 2 s:
large fleets within 1% of the LP bound; small fleets cheaper than the naive 60 s incumbent
and within 5% of the best lower bound found.

Run::

    python -m bench.bench_fleet                # both profiles, naive MILP for 60 s each
    python -m bench.bench_fleet --no-naive     # the decomposition only (a few seconds)
    python -m bench.bench_fleet --naive-seconds 20 --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from planner.catalog import PriceTier, load_catalog
from planner.fleet import (
    InstanceOption,
    MixPlan,
    MixProblem,
    optimize_mix,
    solve_full_milp,
)

HOURS = 8_760
# Ten catalog types; capacity is requests/s per instance for a mid-sized model (a seeded
# assumption of this benchmark, roughly proportional to each type's accelerator throughput).
TYPES = (
    ("g4dn.xlarge", 40, 0.20),
    ("g4dn.12xlarge", 150, 0.15),
    ("g5.xlarge", 70, 0.25),
    ("g5.12xlarge", 260, 0.25),
    ("g6.xlarge", 60, 0.25),
    ("g6.12xlarge", 230, 0.25),
    ("g6e.xlarge", 110, 0.10),
    ("g6e.12xlarge", 420, 0.15),
    ("p4d.24xlarge", 1500, 0.10),
    ("p5.48xlarge", 3800, 0.05),
)


def options(seed: int) -> tuple[InstanceOption, ...]:
    """Catalog prices (reserved derived from the catalog's discount assumption) and seeded
    capacities: each type's base capacity times a factor in [0.85, 1.15], rounded."""
    catalog = load_catalog()
    rng = np.random.default_rng(seed)
    result = []
    for name, base, rate in TYPES:
        capacity = float(round(base * rng.uniform(0.85, 1.15)))

        def price(tier: PriceTier, name: str = name) -> float | None:
            try:
                return catalog.hourly_price(name, tier).usd_per_hour
            except ValueError:
                return None

        result.append(
            InstanceOption(
                name=name,
                capacity=capacity,
                on_demand_usd_per_hour=price(PriceTier.ON_DEMAND),
                spot_usd_per_hour=price(PriceTier.SPOT),
                reserved_1y_usd_per_hour=price(PriceTier.RESERVED_1Y),
                reserved_3y_usd_per_hour=price(PriceTier.RESERVED_3Y),
                interruption_rate=rate,
            )
        )
    return tuple(result)


def profile(seed: int, mean_rps: float) -> tuple[float, ...]:
    """A year, hourly: daily and weekly cycles, 40% growth over the year, seeded noise and a
    few seeded spikes."""
    rng = np.random.default_rng(seed)
    hours = np.arange(HOURS)
    daily = 1 + 0.55 * np.sin(2 * np.pi * (hours % 24 - 9) / 24)
    weekly = np.where((hours // 24) % 7 >= 5, 0.7, 1.0)
    growth = 1 + 0.4 * hours / HOURS
    noise = rng.lognormal(0.0, 0.12, HOURS)
    spikes = np.ones(HOURS)
    for start in rng.integers(0, HOURS - 6, 12):
        spikes[start : start + rng.integers(1, 6)] *= rng.uniform(1.3, 2.0)
    demand = mean_rps * daily * weekly * growth * noise * spikes
    return tuple(float(x) for x in np.round(np.maximum(demand, 0.0), 2))


def problem(kind: str) -> MixProblem:
    mean = {"large": 150_000.0, "small": 180.0}[kind]
    seed = {"large": 11, "small": 12}[kind]
    return MixProblem(
        demand=profile(seed, mean),
        options=options(seed),
        headroom=0.15,
        spot_max_share=0.4,
        availability_target=0.97,
        time_limit_seconds=10.0,
    )


def describe(plan: MixPlan) -> str:
    return (
        f"cost ${plan.total_cost_usd:,.0f}  LP bound ${plan.lp_bound_usd:,.0f}  "
        f"proven bound ${plan.lower_bound_usd:,.0f}  gap {plan.gap:.3%}  "
        f"status {plan.status}  time {plan.solve_seconds:.2f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-naive", action="store_true", help="skip the naive full MILP")
    parser.add_argument("--naive-seconds", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=3, help="decomposition runs (median)")
    args = parser.parse_args(argv)

    for kind in ("large", "small"):
        mix = problem(kind)
        demand = np.asarray(mix.demand)
        print(
            f"\n== {kind} fleets: {HOURS:,} h, {len(mix.options)} types, demand "
            f"{demand.min():,.0f}-{demand.max():,.0f} req/s (mean {demand.mean():,.0f})"
        )
        times = []
        plan = optimize_mix(mix)
        times.append(plan.solve_seconds)
        for _ in range(args.repeat - 1):
            again = optimize_mix(mix)
            times.append(again.solve_seconds)
        peak = int((plan.on_demand.sum(1) + plan.spot.sum(1)).max()) + sum(
            plan.reserved_counts().values()
        )
        print(
            f"decomposition : {describe(plan)}  (median of {len(times)}: "
            f"{statistics.median(times):.2f} s; peak fleet {peak} instances)"
        )
        print(
            f"                reserved {plan.reserved_by_term()}  details "
            f"{ {k: v for k, v in plan.details.items() if k not in ('prices', 'hourly_cost')} }"
        )
        lp = plan.lp_bound_usd
        best_bound = plan.lower_bound_usd
        if not args.no_naive:
            started = time.perf_counter()
            try:
                naive = solve_full_milp(mix, time_limit_seconds=args.naive_seconds)
            except RuntimeError as error:
                print(f"naive MILP    : no incumbent in {args.naive_seconds:.0f} s ({error})")
                naive = None
            wall = time.perf_counter() - started
            if naive is not None:
                print(
                    f"naive MILP    : incumbent ${naive.total_cost_usd:,.0f}  dual bound "
                    f"${naive.lower_bound_usd:,.0f}  ({naive.details['highs_message']}; "
                    f"{wall:.1f} s wall)"
                )
                best_bound = max(best_bound, naive.lower_bound_usd)
                verdict = "cheaper" if plan.total_cost_usd < naive.total_cost_usd else "NOT cheaper"
                print(
                    f"                decomposition is {verdict} than the naive incumbent "
                    f"by {(naive.total_cost_usd - plan.total_cost_usd) / naive.total_cost_usd:.2%}"
                )
        over_lp = (plan.total_cost_usd - lp) / lp
        over_best = (plan.total_cost_usd - best_bound) / best_bound
        target = "within 1% of LP" if kind == "large" else "within 5% of best bound"
        ok = (over_lp <= 0.01) if kind == "large" else (over_best <= 0.05)
        ok = ok and statistics.median(times) < 2.0
        print(
            f"result        : {over_lp:.3%} above the LP bound, {over_best:.3%} above the best "
            f"lower bound found; target ({target}, < 2 s): {'met' if ok else 'MISSED'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
