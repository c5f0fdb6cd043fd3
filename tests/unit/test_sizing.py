"""Scaling laws and the sizing optimizers, against hand-worked values and closed forms."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from planner.catalog import ScalingLaw
from planner.core.errors import PlannerInputError
from planner.models.sizing import (
    DATA_FILE,
    FlopPrice,
    SizingStatus,
    cheapest_for_loss,
    compute_optimal_params,
    compute_optimal_tokens,
    frontier,
    isocost_profile,
    law_fit,
    optimal_for_budget,
    optimal_for_compute,
    predicted_loss,
    usd_at_least,
)

PRICE = FlopPrice(train_usd_per_flop=1e-18, inference_usd_per_flop=2e-18)


def closed_form(law: ScalingLaw, compute: float) -> tuple[float, float]:
    """Hoffmann et al. Appendix A, written out independently of the module's constants."""
    fit = law_fit(law)
    e, a, b, alpha, beta = fit.E, fit.A, fit.B, fit.alpha, fit.beta
    assert None not in (e, a, b, alpha, beta)
    g = (alpha * a / (beta * b)) ** (1 / (alpha + beta))
    n = g * (compute / 6) ** (beta / (alpha + beta))
    return n, compute / (6 * n)


def test_the_data_file_carries_sources_and_dates():
    with DATA_FILE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["law"] for row in rows} == {"hoffmann", "epoch", "tokens20"}
    for row in rows:
        assert row["source"]
        assert row["reference"]
        assert row["date"]


def test_published_constants_are_the_papers():
    hoffmann = law_fit(ScalingLaw.HOFFMANN)
    assert (hoffmann.E, hoffmann.A, hoffmann.B, hoffmann.alpha, hoffmann.beta) == (
        1.69,
        406.4,
        410.7,
        0.34,
        0.28,
    )
    epoch = law_fit(ScalingLaw.EPOCH)
    assert (epoch.E, epoch.A, epoch.B, epoch.alpha, epoch.beta) == (
        1.81686,
        482.00572,
        2085.4342,
        0.34781,
        0.36585,
    )
    assert law_fit("tokens20").tokens_per_param == 20


def test_loss_by_hand():
    # Chinchilla, 70B parameters on 1.4T tokens, under the printed approach-3 fit:
    # 1.69 + 406.4 / 70e9^0.34 + 410.7 / 1.4e12^0.28
    by_hand = 1.69 + 406.4 / 70e9**0.34 + 410.7 / 1.4e12**0.28
    assert predicted_loss(70e9, 1.4e12, "hoffmann") == pytest.approx(by_hand, rel=1e-12)
    assert predicted_loss(70e9, 1.4e12, "hoffmann") == pytest.approx(1.93665, abs=1e-5)
    assert predicted_loss(1e9, 2e10, "tokens20") is None


@pytest.mark.parametrize("law", [ScalingLaw.HOFFMANN, ScalingLaw.EPOCH])
@pytest.mark.parametrize("compute", [1e19, 5.76e23, 1e26])
def test_scipy_optimum_matches_the_closed_form(law, compute):
    result = optimal_for_compute(compute, law)
    n, d = closed_form(law, compute)
    assert result.params == pytest.approx(n, rel=1e-5)
    assert result.tokens == pytest.approx(d, rel=1e-5)
    assert result.train_flops == pytest.approx(compute, rel=1e-12)


def test_allocation_helpers_invert_each_other():
    n, d = closed_form(ScalingLaw.EPOCH, 1e22)
    assert compute_optimal_tokens(n, "epoch") == pytest.approx(d, rel=1e-9)
    assert compute_optimal_params(d, "epoch") == pytest.approx(n, rel=1e-9)


def test_tokens20_is_sqrt_c_over_120():
    result = optimal_for_compute(1.2e21, "tokens20")
    assert result.params == pytest.approx(math.sqrt(1.2e21 / 120), rel=1e-12)
    assert result.tokens == pytest.approx(20 * result.params, rel=1e-12)
    assert result.loss is None


def test_chinchilla_compute_gives_a_chinchilla_sized_model_under_epoch():
    # 5.76e23 FLOPs trained Chinchilla (70B, 1.4T); Epoch's fit lands near 20 tokens/param.
    result = optimal_for_compute(5.76e23, "epoch")
    assert 15 < result.tokens_per_param < 30
    assert 50e9 < result.params < 100e9


def test_a_dollar_budget_buys_budget_over_price_flops():
    result = optimal_for_budget(1000.0, PRICE, "epoch")
    assert result.train_flops == pytest.approx(1e21, rel=1e-9)
    assert result.train_cost_usd == pytest.approx(1000.0)
    assert result.inference_cost_usd == 0
    n, _d = closed_form(ScalingLaw.EPOCH, 1e21)
    assert result.params == pytest.approx(n, rel=1e-5)


def test_recomputation_makes_each_token_cost_a_third_more():
    plain = optimal_for_budget(1000.0, PRICE, "epoch")
    recomputed = optimal_for_budget(
        1000.0,
        FlopPrice(
            train_usd_per_flop=1e-18, inference_usd_per_flop=2e-18, train_flops_per_param_token=8
        ),
        "epoch",
    )
    n, _d = closed_form(ScalingLaw.EPOCH, 6 / 8 * 1e21)
    assert recomputed.params == pytest.approx(n, rel=1e-5)
    assert recomputed.loss > plain.loss


def test_budget_with_inference_splits_and_spends_it_all():
    result = optimal_for_budget(1000.0, PRICE, "epoch", inference_tokens=1e10)
    assert result.total_cost_usd == pytest.approx(1000.0, rel=1e-9)
    assert result.inference_cost_usd == pytest.approx(2 * result.params * 1e10 * 2e-18)
    no_inference = optimal_for_budget(1000.0, PRICE, "epoch")
    assert result.params < no_inference.params


def test_target_loss_is_met_at_the_compute_optimal_split():
    result = cheapest_for_loss(2.5, "epoch")
    assert result.loss == pytest.approx(2.5, abs=1e-9)
    n, _d = closed_form(ScalingLaw.EPOCH, result.train_flops)
    assert result.params == pytest.approx(n, rel=1e-4)


def test_inference_aware_optimum_is_smaller_and_trained_longer():
    """Sardana et al. 2023: with inference demand, the best model for a loss shrinks."""
    chinchilla = cheapest_for_loss(2.3, "epoch", PRICE)
    aware = cheapest_for_loss(2.3, "epoch", PRICE, inference_tokens=1e13)
    assert aware.loss == pytest.approx(2.3, abs=1e-9)
    assert aware.params < chinchilla.params
    assert aware.tokens > chinchilla.tokens
    chinchilla_total = chinchilla.train_cost_usd + 2 * chinchilla.params * 1e13 * 2e-18
    assert aware.total_cost_usd < chinchilla_total


def test_budget_too_small_reports_the_smallest_that_works():
    result = optimal_for_budget(0.5, PRICE, "epoch")
    assert result.status is SizingStatus.BUDGET_TOO_SMALL
    assert "too small for any sensible model" in result.message
    minimum = result.min_budget_usd
    assert minimum is not None
    assert minimum > 0.5
    at_minimum = optimal_for_budget(minimum * (1 + 1e-6), PRICE, "epoch")
    assert at_minimum.ok
    assert at_minimum.params == pytest.approx(law_fit("epoch").min_params, rel=1e-4)
    assert usd_at_least(minimum) in result.message


def test_budget_too_small_with_inference_also_finds_the_minimum():
    result = optimal_for_budget(0.5, PRICE, "epoch", inference_tokens=1e11)
    assert result.status is SizingStatus.BUDGET_TOO_SMALL
    assert result.min_budget_usd is not None
    assert optimal_for_budget(
        result.min_budget_usd * (1 + 1e-6), PRICE, "epoch", inference_tokens=1e11
    ).ok


def test_compute_too_small_reports_the_smallest_compute():
    result = optimal_for_compute(1e15, "hoffmann")
    assert result.status is SizingStatus.BUDGET_TOO_SMALL
    assert result.min_compute_flops == pytest.approx(
        6 * (7e7 / law_fit("hoffmann").allocation_constants()[0]) ** (1 / (0.28 / 0.62)), rel=1e-9
    )


@pytest.mark.parametrize("budget", [0.0, -5.0, math.nan, math.inf])
def test_a_non_positive_budget_is_refused_with_its_value(budget):
    with pytest.raises(PlannerInputError, match="budget must be above zero"):
        optimal_for_budget(budget, PRICE, "epoch")


def test_target_at_or_below_e_is_unreachable():
    result = cheapest_for_loss(1.81, "epoch")
    assert result.status is SizingStatus.TARGET_UNREACHABLE
    assert "irreducible loss E is 1.81686" in result.message


def test_tokens20_cannot_answer_a_loss_question():
    with pytest.raises(PlannerInputError, match="predicts no loss"):
        cheapest_for_loss(2.5, "tokens20")


def test_unknown_law():
    with pytest.raises(PlannerInputError, match="unknown scaling law 'kaplan'"):
        law_fit("kaplan")


def test_frontier_falls_with_budget_and_flags_the_fit_range():
    frame = frontier(PRICE, "hoffmann", [0.1, 10.0, 1e3, 1e5, 1e8])
    assert frame["loss"].is_monotonic_decreasing
    assert not frame["in_fit_range"].iloc[0]
    assert frame["in_fit_range"].iloc[2]
    assert not frame["in_fit_range"].iloc[-1]


def test_isocost_profile_bottoms_out_at_the_optimum():
    best = optimal_for_budget(500.0, PRICE, "epoch", inference_tokens=1e9)
    profile = isocost_profile(500.0, PRICE, "epoch", inference_tokens=1e9, points=201)
    assert (profile["loss"] >= best.loss - 1e-12).all()
    closest = profile.iloc[int(np.argmin(profile["loss"]))]
    assert closest["params"] == pytest.approx(best.params, rel=0.05)


def test_usd_at_least_never_rounds_down():
    for value in (3.3712, 1234.2, 0.012345, 19.999, 5.0):
        shown = float(usd_at_least(value).lstrip("$").replace(",", ""))
        assert shown >= value


def test_the_fitted_range_is_hoffmanns_runs_and_outside_it_is_named():
    # Hoffmann et al. 2022 (arXiv:2203.15556), abstract: "over 400 language models ranging
    # from 70 million to over 16 billion parameters on 5 to 500 billion tokens".
    for law in ScalingLaw:
        fit = law_fit(law)
        assert (fit.min_params, fit.max_params) == (7e7, 1.6e10)
        assert (fit.min_tokens, fit.max_tokens) == (5e9, 5e11)
        assert "5 to 500 billion tokens" in fit.range_source
    fit = law_fit(ScalingLaw.EPOCH)
    assert fit.extrapolation(1e9, 2e10) is None
    assert fit.extrapolation(1.6e10, 5e11) is None  # the edges are inside
    assert fit.extrapolation(1e7, 1e9) == (
        "10M parameters is 7× below the smallest fitted (70M); "
        "1B tokens is 5× below the fewest fitted (5B)"
    )


def test_size_prices_inference_with_the_serving_model() -> None:
    """Issue 11 part 5: `size` and a training budget price inference on the serving roofline
    (the Serving page's model, on a serving GPU), not at the training MFU on a training
    instance. The inference cost it reports is the serving model's cost per token at the
    chosen size, times the lifetime tokens."""
    from planner.catalog import Pricing, load_catalog
    from planner.costing.serving import serving_flop_price
    from planner.costing.training import flop_price
    from planner.scenario.training import TrainingJob

    catalog = load_catalog()
    price = flop_price(TrainingJob(instance_type="p5.48xlarge"), Pricing(), catalog)
    result = optimal_for_budget(1e6, price, "epoch", inference_tokens=1e12)
    serving = serving_flop_price(result.params, "H100", catalog=catalog)
    assert result.inference_cost_usd == pytest.approx(serving.usd_per_token * 1e12, rel=2e-3)
    assert result.total_cost_usd == pytest.approx(1e6, rel=1e-9)
    # A small model is memory-bound: each of its FLOPs costs more than a large model's.
    assert price.inference_price_at is not None
    assert price.inference_price_at(1e9) > price.inference_price_at(3e10)


def test_a_size_dependent_inference_price_makes_a_smaller_model_than_none() -> None:
    """With inference to pay for, the best model on the same budget is smaller
    (Sardana et al. 2023), also when the price per FLOP depends on the size."""
    price = FlopPrice(
        train_usd_per_flop=1e-18,
        inference_usd_per_flop=2e-18,
        inference_price_at=lambda n: 2e-18 * (1e10 / n) ** 0.2,
    )
    alone = optimal_for_budget(1e4, price, "epoch")
    served = optimal_for_budget(1e4, price, "epoch", inference_tokens=1e12)
    assert served.params < alone.params
    assert served.train_cost_usd + served.inference_cost_usd == pytest.approx(1e4, rel=1e-9)
