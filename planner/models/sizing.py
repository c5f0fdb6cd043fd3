"""Scaling laws: the loss a model is predicted to reach, and the model a budget buys best.

Notation
--------
``N`` parameters, ``D`` training tokens, ``C = 6·N·D`` model FLOPs (the forward and backward
pass of a dense transformer, Kaplan et al. 2020). The predicted final training loss is

    L(N, D) = E + A / N^α + B / D^β

with one of two published fits of Hoffmann et al.'s approach 3, kept in
``planner/data/scaling_laws.csv`` with their sources:

* ``hoffmann``: Hoffmann et al. 2022 ("Chinchilla"), Eq. (10), as printed;
* ``epoch``: the Besiroglu et al. 2024 (Epoch AI) replication, refitted on the paper's data.

The third choice, ``tokens20``, is the rule of thumb "about 20 tokens per parameter": it
allocates compute (``D = 20·N``) but predicts no loss.

Problems solved here (each by :func:`scipy.optimize.minimize_scalar` in ``x = ln N``):

* compute budget ``C``: minimise ``L(N, C / 6N)`` (:func:`optimal_for_compute`);
* dollar budget ``X`` with a price per FLOP ``c_t`` for training, ``c_i`` for inference,
  ``k`` training FLOPs per parameter per token (6, or 8 under full activation recomputation)
  and ``T`` lifetime inference tokens at ``2·N`` FLOPs each: minimise ``L(N, D)`` subject to
  ``k·N·D·c_t + 2·N·T·c_i = X`` (:func:`optimal_for_budget`);
* target loss ``ℓ``: minimise ``k·N·D·c_t + 2·N·T·c_i`` subject to ``L(N, D) = ℓ``
  (:func:`cheapest_for_loss`). With ``T > 0`` this is the inference-aware optimum of Sardana
  et al. 2023, "Beyond Chinchilla-Optimal": the more a model will serve, the smaller it
  should be and the longer it should train.

Without inference the compute optimum has a closed form (Hoffmann et al., Appendix A):
``N* = G·(C/6)^a``, ``D* = (C/6)^b / G``, ``G = (αA / βB)^(1/(α+β))``, ``a = β/(α+β)``,
``b = α/(α+β)``; the tests check the numerical optimum against it.

Every answer carries a status. A budget whose best model is smaller than the smallest model
the fit was made from (70M parameters) is ``budget_too_small``, with the smallest budget
that would reach it; a target loss at or below the fit's irreducible loss ``E`` is
``target_unreachable``. They are results the user reads, not exceptions.

>>> result = optimal_for_compute(1e21, ScalingLaw.EPOCH)
>>> result.status, f"{result.params:.3g}", f"{result.tokens:.3g}", round(result.loss, 3)
(<SizingStatus.OPTIMAL: 'optimal'>, '2.78e+09', '5.99e+10', 2.305)
"""

from __future__ import annotations

import csv
import enum
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from planner.catalog import DATA_DIR, ScalingLaw
from planner.core.errors import PlannerInputError
from planner.core.formatting import usd

__all__ = [
    "FlopPrice",
    "LawFit",
    "SizingResult",
    "SizingStatus",
    "cheapest_for_loss",
    "compute_optimal_params",
    "compute_optimal_tokens",
    "frontier",
    "isocost_profile",
    "law_fit",
    "optimal_for_budget",
    "optimal_for_compute",
    "predicted_loss",
]

DATA_FILE = DATA_DIR / "scaling_laws.csv"
MODEL_FLOPS_PER_PARAM_TOKEN = 6.0
INFERENCE_FLOPS_PER_PARAM_TOKEN = 2.0
_LN_MAX = math.log(1e16)  # no model of more than 1e16 parameters is searched
_XATOL = 1e-7


class SizingStatus(enum.StrEnum):
    OPTIMAL = "optimal"
    BUDGET_TOO_SMALL = "budget_too_small"
    TARGET_UNREACHABLE = "target_unreachable"


@dataclass(frozen=True, slots=True, kw_only=True)
class LawFit:
    """One row of ``scaling_laws.csv``: a loss fit, or the 20-tokens rule.

    >>> fit = law_fit(ScalingLaw.HOFFMANN)
    >>> (fit.E, fit.A, fit.B, fit.alpha, fit.beta)
    (1.69, 406.4, 410.7, 0.34, 0.28)
    >>> round(fit.loss(70e9, 1.4e12), 4)  # Chinchilla
    1.9366
    """

    law: ScalingLaw
    E: float | None
    A: float | None
    B: float | None
    alpha: float | None
    beta: float | None
    tokens_per_param: float | None
    min_params: float
    max_params: float
    min_tokens: float
    max_tokens: float
    range_source: str
    source: str
    reference: str
    date: str
    notes: str

    @property
    def predicts_loss(self) -> bool:
        return self.E is not None

    def _terms(self) -> tuple[float, float, float, float, float]:
        if (
            self.E is None
            or self.A is None
            or self.B is None
            or self.alpha is None
            or self.beta is None
        ):
            raise PlannerInputError(
                f"the {self.law.label} rule predicts no loss",
                fix="choose the hoffmann or epoch law",
            )
        return self.E, self.A, self.B, self.alpha, self.beta

    def loss(self, params: float, tokens: float) -> float:
        """``E + A/N^α + B/D^β``."""
        e, a, b, alpha, beta = self._terms()
        return float(e + a / params**alpha + b / tokens**beta)

    def loss_array(
        self, params: npt.NDArray[np.float64], tokens: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        e, a, b, alpha, beta = self._terms()
        result: npt.NDArray[np.float64] = e + a / params**alpha + b / tokens**beta
        return result

    def extrapolation(self, params: float, tokens: float) -> str | None:
        """How far ``(params, tokens)`` lie outside the runs the law was fitted on, in words,
        or ``None`` inside them: outside, the law is an extrapolation.

        >>> fit = law_fit(ScalingLaw.EPOCH)
        >>> fit.extrapolation(7e9, 1.4e11) is None
        True
        >>> for part in fit.extrapolation(405e9, 15.6e12).split("; "):
        ...     print(part)
        405B parameters is 25.3× the largest fitted (16B)
        15.6T tokens is 31.2× the most fitted (500B)
        """
        parts = []
        for value, low, high, what, unit in (
            (params, self.min_params, self.max_params, "parameters", ("largest", "smallest")),
            (tokens, self.min_tokens, self.max_tokens, "tokens", ("most", "fewest")),
        ):
            if value > high:
                parts.append(
                    f"{_short(value)} {what} is {value / high:.3g}× the {unit[0]} fitted "
                    f"({_short(high)})"
                )
            elif value < low:
                parts.append(
                    f"{_short(value)} {what} is {low / value:.3g}× below the {unit[1]} fitted "
                    f"({_short(low)})"
                )
        return "; ".join(parts) or None

    def allocation_constants(self) -> tuple[float, float, float]:
        """``(G, a, b)`` of the closed-form compute optimum (Hoffmann et al., Appendix A).

        >>> g, a, b = law_fit(ScalingLaw.HOFFMANN).allocation_constants()
        >>> round(g, 5), round(a, 5), round(b, 5)
        (1.34471, 0.45161, 0.54839)
        """
        _, a_coef, b_coef, alpha, beta = self._terms()
        g = (alpha * a_coef / (beta * b_coef)) ** (1 / (alpha + beta))
        return g, beta / (alpha + beta), alpha / (alpha + beta)


@functools.cache
def law_fit(law: ScalingLaw | str) -> LawFit:
    """The fit for ``law``, read once from ``planner/data/scaling_laws.csv``.

    Raises
    ------
    PlannerInputError
        For an unknown law name.

    >>> law_fit("epoch").source.startswith("Besiroglu")
    True
    """
    try:
        key = ScalingLaw(law)
    except ValueError:
        raise PlannerInputError(
            f"unknown scaling law {law!r}",
            fix=f"use one of {', '.join(str(item) for item in ScalingLaw)}",
        ) from None
    return _read_laws(DATA_FILE)[key]


def _short(value: float) -> str:
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if value >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def _number(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


def _read_laws(path: Path) -> dict[ScalingLaw, LawFit]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, strict=True))
    fits = {}
    for row in rows:
        law = ScalingLaw(row["law"])
        fits[law] = LawFit(
            law=law,
            E=_number(row["E"]),
            A=_number(row["A"]),
            B=_number(row["B"]),
            alpha=_number(row["alpha"]),
            beta=_number(row["beta"]),
            tokens_per_param=_number(row["tokens_per_param"]),
            min_params=float(row["min_params"]),
            max_params=float(row["max_params"]),
            min_tokens=float(row["min_tokens"]),
            max_tokens=float(row["max_tokens"]),
            range_source=row["range_source"],
            source=row["source"],
            reference=row["reference"],
            date=row["date"],
            notes=row["notes"],
        )
    missing = set(ScalingLaw) - set(fits)
    if missing:
        raise PlannerInputError(f"{path.name} has no row for {sorted(missing)}")
    return fits


def predicted_loss(params: float, tokens: float, law: ScalingLaw | str) -> float | None:
    """The law's predicted loss, or ``None`` for the 20-tokens rule.

    >>> round(predicted_loss(1e9, 2e10, "epoch"), 4)
    2.5292
    >>> predicted_loss(1e9, 2e10, "tokens20") is None
    True
    """
    fit = law_fit(law)
    return fit.loss(params, tokens) if fit.predicts_loss else None


@dataclass(frozen=True, slots=True, kw_only=True)
class FlopPrice:
    """What a FLOP costs on the chosen hardware, for dollar budgets.

    ``train_usd_per_flop`` is per FLOP the hardware executes; training executes
    ``train_flops_per_param_token`` × N × D of them (6: model FLOPs, which the training
    price is quoted on at the MFU; recomputation does not change it).
    Inference costs ``2·N`` FLOPs per token at ``inference_usd_per_flop``, or, when
    ``inference_price_at`` is given, at ``inference_price_at(N)``: the serving model's price,
    which depends on the size (a small model is memory-bound, so each of its FLOPs costs
    more). ``inference_usd_per_flop`` is then that price at a reference size, for display.

    >>> FlopPrice.per_hour(usd_per_hour=3600.0, flops_per_second=1e12).train_usd_per_flop
    1e-12
    >>> FlopPrice(train_usd_per_flop=1.0, inference_usd_per_flop=1.0,
    ...           inference_price_at=lambda n: 1e-9 * n).inference_cost_usd(10.0, 3.0)
    6e-07
    """

    train_usd_per_flop: float
    inference_usd_per_flop: float
    train_flops_per_param_token: float = MODEL_FLOPS_PER_PARAM_TOKEN
    basis: str = ""
    inference_price_at: Callable[[float], float] | None = None

    def inference_cost_usd(self, params: float, inference_tokens: float) -> float:
        """What ``inference_tokens`` cost on a model of ``params`` parameters (no call to
        the serving model when nothing is served)."""
        if inference_tokens == 0:
            return 0.0
        rate = (
            self.inference_price_at(params)
            if self.inference_price_at is not None
            else self.inference_usd_per_flop
        )
        return INFERENCE_FLOPS_PER_PARAM_TOKEN * params * inference_tokens * rate

    @classmethod
    def per_hour(
        cls,
        *,
        usd_per_hour: float,
        flops_per_second: float,
        inference_flops_per_second: float | None = None,
        train_flops_per_param_token: float = MODEL_FLOPS_PER_PARAM_TOKEN,
        basis: str = "",
    ) -> FlopPrice:
        """Prices from an hourly rate and the sustained throughput it buys."""
        inference = inference_flops_per_second or flops_per_second
        return cls(
            train_usd_per_flop=usd_per_hour / (flops_per_second * 3600.0),
            inference_usd_per_flop=usd_per_hour / (inference * 3600.0),
            train_flops_per_param_token=train_flops_per_param_token,
            basis=basis,
        )


# Model FLOPs at one "dollar", so that compute budgets reuse the dollar solver.
_UNIT_FLOP = FlopPrice(train_usd_per_flop=1.0, inference_usd_per_flop=1.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class SizingResult:
    """The chosen model size and what it costs, or why there is none.

    ``train_flops`` is what the hardware executes (``k·N·D``). Costs are ``None`` for a
    pure compute question. When the status is not ``optimal``, ``message`` says why and,
    where it can be computed, ``min_budget_usd`` / ``min_compute_flops`` give the smallest
    budget that would work.
    """

    status: SizingStatus
    law: ScalingLaw
    params: float
    tokens: float
    loss: float | None
    train_flops: float
    train_cost_usd: float | None = None
    inference_cost_usd: float | None = None
    inference_tokens: float = 0.0
    min_budget_usd: float | None = None
    min_compute_flops: float | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status is SizingStatus.OPTIMAL

    @property
    def total_cost_usd(self) -> float | None:
        if self.train_cost_usd is None:
            return None
        return self.train_cost_usd + (self.inference_cost_usd or 0.0)

    @property
    def tokens_per_param(self) -> float:
        return self.tokens / self.params


# --------------------------------------------------------------------------- validation


def usd_at_least(value: float) -> str:
    """``value`` in dollars, rounded up at the precision shown, so "at least" stays true.

    >>> usd_at_least(3.3712), usd_at_least(1234.2), usd_at_least(0.012345)
    ('$3.38', '$1,235', '$0.0124')
    """
    if not math.isfinite(value) or value <= 0:
        return usd(value)
    if value >= 1000:
        return usd(math.ceil(value))
    if value >= 1:
        return usd(math.ceil(value * 100 - 1e-9) / 100)
    decimals = 2 - math.floor(math.log10(value))
    return usd(math.ceil(value * 10**decimals - 1e-9) / 10**decimals)


def check_positive(value: float, label: str, what: str) -> float:
    """``value`` if finite and above zero, else a message naming ``label``.

    >>> check_positive(-5, "--budget-usd", "a budget")
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: --budget-usd = -5: a budget must be above zero. \
To fix: enter a positive amount.
    """
    if not math.isfinite(value) or value <= 0:
        raise PlannerInputError(
            f"{label} = {value:g}: {what} must be above zero", fix="enter a positive amount"
        )
    return float(value)


def _check_tokens(inference_tokens: float) -> float:
    if not math.isfinite(inference_tokens) or inference_tokens < 0:
        raise PlannerInputError(
            f"inference tokens = {inference_tokens:g}: must be zero or more",
            fix="enter the tokens the model will serve over its life, or 0",
        )
    return float(inference_tokens)


def _check_price(price: FlopPrice) -> None:
    for value in (price.train_usd_per_flop, price.inference_usd_per_flop):  # reference price
        if not math.isfinite(value) or value <= 0:
            raise PlannerInputError(f"a price per FLOP of {value:g} is not usable")


# --------------------------------------------------------------------------- allocation


def compute_optimal_tokens(params: float, law: ScalingLaw | str) -> float:
    """The token count for which ``params`` is the compute-optimal size.

    >>> compute_optimal_tokens(1e9, "tokens20")
    20000000000.0
    >>> f"{compute_optimal_tokens(1e9, 'epoch'):.3g}"
    '2.26e+10'
    """
    fit = law_fit(law)
    if not fit.predicts_loss:
        return float(params) * (fit.tokens_per_param or 20.0)
    g, a, _ = fit.allocation_constants()
    compute_over_6 = (params / g) ** (1 / a)
    return float(compute_over_6 / params)


def compute_optimal_params(tokens: float, law: ScalingLaw | str) -> float:
    """The parameter count for which ``tokens`` is the compute-optimal data size.

    >>> compute_optimal_params(2e10, "tokens20")
    1000000000.0
    """
    fit = law_fit(law)
    if not fit.predicts_loss:
        return float(tokens) / (fit.tokens_per_param or 20.0)
    g, _, b = fit.allocation_constants()
    compute_over_6 = (tokens * g) ** (1 / b)
    return float(compute_over_6 / tokens)


def _tokens_on_budget(params: float, spend: float, price: FlopPrice, inference: float) -> float:
    left = spend - price.inference_cost_usd(params, inference)
    return left / (price.train_flops_per_param_token * params * price.train_usd_per_flop)


def _largest_params(
    spend: float, price: FlopPrice, inference: float, tokens_per_param: float
) -> float:
    """The N whose training on ``tokens_per_param × N`` tokens (at least one token when 0)
    and lifetime inference spend exactly ``spend``: the budget line's end."""
    k = price.train_flops_per_param_token * price.train_usd_per_flop

    def spent(params: float) -> float:
        tokens = tokens_per_param * params if tokens_per_param else 1.0
        return k * params * tokens + price.inference_cost_usd(params, inference)

    if price.inference_price_at is None or inference == 0:
        per_param = INFERENCE_FLOPS_PER_PARAM_TOKEN * inference * price.inference_usd_per_flop
        if not tokens_per_param:
            return spend / (k + per_param)
        a = k * tokens_per_param  # a·N² + per_param·N = spend
        return float((-per_param + math.sqrt(per_param**2 + 4 * a * spend)) / (2 * a))
    # The serving price varies with N, so the end of the line is found numerically; what
    # a model costs still grows with its size, so the root is unique.
    from scipy import optimize

    low, high = 0.0, _LN_MAX
    if spent(math.exp(high)) <= spend:
        return math.exp(high)
    if spent(math.exp(low)) >= spend:
        return math.exp(low)
    root = optimize.brentq(lambda x: spent(math.exp(x)) - spend, low, high, xtol=1e-9)
    return float(math.exp(root))


def _servable_log_params(price: FlopPrice) -> float:
    """ln of the largest model the serving price is finite for (bisection; the serving
    model has no answer for a model no instance can hold)."""
    at = price.inference_price_at
    if at is None or math.isfinite(at(math.exp(_LN_MAX))):
        return _LN_MAX
    low, high = 0.0, _LN_MAX
    for _ in range(40):
        middle = (low + high) / 2
        if math.isfinite(at(math.exp(middle))):
            low = middle
        else:
            high = middle
    return low


def _max_params_on_budget(spend: float, price: FlopPrice, inference: float) -> float:
    """The largest N that leaves at least one training token."""
    return _largest_params(spend, price, inference, 0.0)


def _best_params(fit: LawFit, spend: float, price: FlopPrice, inference: float) -> float:
    """The N that minimises the loss on the budget line (scipy, bounded Brent in ln N)."""
    if not fit.predicts_loss:
        return _largest_params(spend, price, inference, fit.tokens_per_param or 20.0)
    e, a_coef, b_coef, alpha, beta = fit._terms()
    upper = min(math.log(_max_params_on_budget(spend, price, inference)), _LN_MAX)
    if upper <= 0:
        return math.exp(upper)

    def loss_at(x: float) -> float:
        params = math.exp(x)
        tokens = _tokens_on_budget(params, spend, price, inference)
        if tokens <= 0:
            return math.inf
        return float(e + a_coef * math.exp(-alpha * x) + b_coef * tokens**-beta)

    # Imported where it solves, so that commands which solve nothing start without scipy.

    from scipy import optimize

    found = optimize.minimize_scalar(
        loss_at, bounds=(0.0, upper), method="bounded", options={"xatol": _XATOL}
    )
    return float(math.exp(found.x))


def _min_spend(fit: LawFit, price: FlopPrice, inference: float) -> float:
    """The smallest budget whose best model has ``fit.min_params`` parameters."""
    target = fit.min_params
    if not fit.predicts_loss:
        rule = fit.tokens_per_param or 20.0
        return (
            rule * price.train_flops_per_param_token * price.train_usd_per_flop * target** 2
            + price.inference_cost_usd(target, inference)
        )
    g, a, _ = fit.allocation_constants()
    compute_over_6 = (target / g) ** (1 / a)
    spend = compute_over_6 * price.train_flops_per_param_token * price.train_usd_per_flop
    if inference == 0:
        return float(spend)
    # With inference to pay for, the best model is smaller: search upwards from there.
    low, high = spend, spend
    while _best_params(fit, high, price, inference) < target:
        low, high = high, high * 4
        if high > spend * 1e12:
            return math.inf
    # Imported where it solves, so that commands which solve nothing start without scipy.
    from scipy import optimize

    result = optimize.brentq(
        lambda s: math.log(_best_params(fit, math.exp(s), price, inference) / target),
        math.log(low),
        math.log(high),
        xtol=1e-9,
    )
    return float(math.exp(result)) * (1 + 1e-9)


def _result(
    fit: LawFit,
    params: float,
    tokens: float,
    price: FlopPrice | None,
    inference: float,
    *,
    status: SizingStatus = SizingStatus.OPTIMAL,
    message: str = "",
    min_budget_usd: float | None = None,
    min_compute_flops: float | None = None,
) -> SizingResult:
    k = price.train_flops_per_param_token if price else MODEL_FLOPS_PER_PARAM_TOKEN
    train_flops = k * params * tokens
    return SizingResult(
        status=status,
        law=fit.law,
        params=params,
        tokens=tokens,
        loss=fit.loss(params, tokens) if fit.predicts_loss else None,
        train_flops=train_flops,
        train_cost_usd=train_flops * price.train_usd_per_flop if price else None,
        inference_cost_usd=price.inference_cost_usd(params, inference) if price else None,
        inference_tokens=inference,
        min_budget_usd=min_budget_usd,
        min_compute_flops=min_compute_flops,
        message=message,
    )


def optimal_for_compute(compute_flops: float, law: ScalingLaw | str) -> SizingResult:
    """The N and D that minimise the predicted loss for ``C = 6·N·D`` model FLOPs.

    Formulation: minimise ``L(N, C/6N)`` over ``N`` (bounded Brent in ``ln N``; the
    objective is convex there). For ``tokens20``: ``N = sqrt(C/120)``, ``D = 20·N``.

    Returns status ``budget_too_small`` with ``min_compute_flops`` when the best model is
    below the fit's smallest model.

    Raises
    ------
    PlannerInputError
        For a compute budget that is not a positive number.

    Examples
    --------
    >>> r = optimal_for_compute(5.76e23, "tokens20")  # Chinchilla's compute
    >>> f"{r.params:.3g}", f"{r.tokens:.3g}", r.loss
    ('6.93e+10', '1.39e+12', None)
    >>> small = optimal_for_compute(1e15, "hoffmann")
    >>> small.status.value, f"{small.min_compute_flops:.2g}"
    ('budget_too_small', '7.3e+17')
    """
    compute = check_positive(compute_flops, "compute budget", "a compute budget")
    fit = law_fit(law)
    params = _best_params(fit, compute, _UNIT_FLOP, 0.0)
    tokens = _tokens_on_budget(params, compute, _UNIT_FLOP, 0.0)
    if params < fit.min_params:
        minimum = _min_spend(fit, _UNIT_FLOP, 0.0)
        return _result(
            fit,
            params,
            tokens,
            None,
            0.0,
            status=SizingStatus.BUDGET_TOO_SMALL,
            min_compute_flops=minimum,
            message=(
                f"A compute budget of {compute:.3g} FLOPs is too small for any sensible model: "
                f"its best model has {params:,.0f} parameters, below the "
                f"{fit.min_params:,.0f} of the smallest model the {fit.law.label} fit was made "
                f"from. The smallest compute budget that works is {minimum:.3g} FLOPs"
            ),
        )
    return _result(fit, params, tokens, None, 0.0)


def optimal_for_budget(
    budget_usd: float,
    price: FlopPrice,
    law: ScalingLaw | str,
    *,
    inference_tokens: float = 0.0,
) -> SizingResult:
    """The N and D with the lowest predicted loss for a dollar budget.

    Formulation: minimise ``L(N, D)`` subject to ``k·N·D·c_t + 2·N·T·c_i = X``, i.e. over
    ``N`` with ``D = (X − 2·N·T·c_i) / (k·N·c_t)``. The budget pays for training and, when
    ``inference_tokens`` ``T > 0``, for the model's lifetime inference.

    Returns status ``budget_too_small`` with ``min_budget_usd`` when the best model is below
    the fit's smallest model.

    Raises
    ------
    PlannerInputError
        For a zero, negative or non-finite budget, or negative inference tokens.

    Examples
    --------
    >>> price = FlopPrice(train_usd_per_flop=1e-18, inference_usd_per_flop=1e-18)
    >>> r = optimal_for_budget(1000.0, price, "epoch")
    >>> f"{r.train_flops:.3g}", round(r.train_cost_usd, 6), r.inference_cost_usd
    ('1e+21', 1000.0, 0.0)
    >>> optimal_for_budget(0.0, price, "epoch")
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: budget = 0: a budget must be above zero. \
To fix: enter a positive amount.
    """
    budget = check_positive(budget_usd, "budget", "a budget")
    inference = _check_tokens(inference_tokens)
    _check_price(price)
    fit = law_fit(law)
    params = _best_params(fit, budget, price, inference)
    tokens = _tokens_on_budget(params, budget, price, inference)
    if params < fit.min_params:
        minimum = _min_spend(fit, price, inference)
        return _result(
            fit,
            params,
            max(tokens, 0.0),
            price,
            inference,
            status=SizingStatus.BUDGET_TOO_SMALL,
            min_budget_usd=minimum,
            message=(
                f"A budget of {usd(budget)} is too small for any sensible model: its best "
                f"model has {params:,.0f} parameters, below the {fit.min_params:,.0f} of the "
                f"smallest model the {fit.law.label} fit was made from. The smallest budget "
                f"that works is {usd_at_least(minimum)}"
            ),
        )
    return _result(fit, params, tokens, price, inference)


def cheapest_for_loss(
    target_loss: float,
    law: ScalingLaw | str,
    price: FlopPrice | None = None,
    *,
    inference_tokens: float = 0.0,
) -> SizingResult:
    """The cheapest N and D whose predicted loss is ``target_loss``.

    Formulation: minimise ``k·N·D·c_t + 2·N·T·c_i`` subject to ``L(N, D) = ℓ``, i.e. over
    ``N > N_floor = (A/(ℓ−E))^(1/α)`` with ``D = (B / (ℓ − E − A/N^α))^(1/β)``. Without a
    price it minimises training compute ``6·N·D``. With inference tokens it is the
    inference-aware optimum of Sardana et al. 2023.

    Returns status ``target_unreachable`` for ``ℓ ≤ E``.

    Raises
    ------
    PlannerInputError
        For the 20-tokens rule (it predicts no loss) or a non-positive target.

    Examples
    --------
    >>> r = cheapest_for_loss(2.5, "epoch")
    >>> f"{r.params:.3g}", f"{r.tokens:.3g}", round(r.loss, 6)
    ('1.06e+09', '2.39e+10', 2.5)
    >>> cheapest_for_loss(1.5, "epoch").status.value
    'target_unreachable'
    """
    target = check_positive(target_loss, "target loss", "a target loss")
    inference = _check_tokens(inference_tokens)
    fit = law_fit(law)
    e, a_coef, b_coef, alpha, beta = fit._terms()
    cost = price or _UNIT_FLOP
    if price is not None:
        _check_price(price)
    if target <= e:
        return _result(
            fit,
            math.nan,
            math.nan,
            price,
            inference,
            status=SizingStatus.TARGET_UNREACHABLE,
            message=(
                f"A target loss of {target:g} cannot be reached: the {fit.law.label} fit's "
                f"irreducible loss E is {e:g}, the limit of an infinite model on infinite data. "
                f"Choose a target above {e:g}"
            ),
        )
    x_floor = math.log(a_coef / (target - e)) / alpha

    def tokens_at(x: float) -> float:
        gap = target - e - a_coef * math.exp(-alpha * x)
        return float((b_coef / gap) ** (1 / beta)) if gap > 0 else math.inf

    def cost_at(x: float) -> float:
        params = math.exp(x)
        return cost.train_flops_per_param_token * params * tokens_at(
            x
        ) * cost.train_usd_per_flop + cost.inference_cost_usd(params, inference)

    x_ceiling = x_floor + 30.0
    if inference > 0:
        x_ceiling = min(x_ceiling, _servable_log_params(cost))
        if x_ceiling <= x_floor + 1e-9:
            return _result(
                fit,
                math.nan,
                math.nan,
                price,
                inference,
                status=SizingStatus.TARGET_UNREACHABLE,
                message=(
                    f"A target loss of {target:g} needs a model of more than "
                    f"{math.exp(x_floor):.3g} parameters, and the serving hardware holds at "
                    f"most {math.exp(x_ceiling):.3g}. Choose a higher target or a GPU with "
                    "more memory"
                ),
            )

    # Imported where it solves, so that commands which solve nothing start without scipy.

    from scipy import optimize

    found = optimize.minimize_scalar(
        cost_at,
        bounds=(x_floor + 1e-9, x_ceiling),
        method="bounded",
        options={"xatol": _XATOL},
    )
    params = math.exp(found.x)
    return _result(fit, params, tokens_at(found.x), price, inference)


def frontier(
    price: FlopPrice,
    law: ScalingLaw | str,
    budgets_usd: Sequence[float],
    *,
    inference_tokens: float = 0.0,
) -> pd.DataFrame:
    """The cost-vs-loss frontier: the best model at each budget.

    Columns ``budget_usd``, ``params``, ``tokens``, ``loss``, ``train_cost_usd``,
    ``inference_cost_usd`` and ``in_fit_range`` (the model is within the sizes the law was
    fitted on). Loss never rises as the budget grows.

    >>> price = FlopPrice(train_usd_per_flop=1e-18, inference_usd_per_flop=1e-18)
    >>> frame = frontier(price, "epoch", [100.0, 1000.0, 10000.0])
    >>> bool(frame["loss"].is_monotonic_decreasing)
    True
    """
    fit = law_fit(law)
    inference = _check_tokens(inference_tokens)
    rows = []
    for budget in budgets_usd:
        spend = check_positive(budget, "budget", "a budget")
        params = _best_params(fit, spend, price, inference)
        tokens = _tokens_on_budget(params, spend, price, inference)
        result = _result(fit, params, tokens, price, inference)
        rows.append(
            {
                "budget_usd": spend,
                "params": params,
                "tokens": tokens,
                "loss": result.loss if result.loss is not None else math.nan,
                "train_cost_usd": result.train_cost_usd,
                "inference_cost_usd": result.inference_cost_usd,
                "in_fit_range": fit.min_params <= params <= fit.max_params,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "budget_usd",
            "params",
            "tokens",
            "loss",
            "train_cost_usd",
            "inference_cost_usd",
            "in_fit_range",
        ],
    )


def isocost_profile(
    budget_usd: float,
    price: FlopPrice,
    law: ScalingLaw | str,
    *,
    inference_tokens: float = 0.0,
    points: int = 41,
    span: float = 30.0,
) -> pd.DataFrame:
    """Every split of one budget between model size and data: loss against ``N``.

    ``points`` models from ``N*/span`` to ``N*·span`` (where the budget leaves tokens to
    train on), each trained on the tokens the rest of the budget buys. The optimum is the
    lowest point of this curve.

    >>> price = FlopPrice(train_usd_per_flop=1e-18, inference_usd_per_flop=1e-18)
    >>> profile = isocost_profile(1000.0, price, "epoch", points=5)
    >>> best = optimal_for_budget(1000.0, price, "epoch")
    >>> bool((profile["loss"] >= best.loss - 1e-12).all())
    True
    """
    spend = check_positive(budget_usd, "budget", "a budget")
    inference = _check_tokens(inference_tokens)
    fit = law_fit(law)
    best = _best_params(fit, spend, price, inference)
    ceiling = _max_params_on_budget(spend, price, inference) * (1 - 1e-6)
    params = np.geomspace(best / span, min(best * span, ceiling), points)
    tokens = np.array([_tokens_on_budget(n, spend, price, inference) for n in params])
    loss = fit.loss_array(params, tokens) if fit.predicts_loss else np.full(points, np.nan)
    return pd.DataFrame({"params": params, "tokens": tokens, "loss": loss})
