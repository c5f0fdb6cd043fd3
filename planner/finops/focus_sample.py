"""A seeded, synthetic FOCUS 1.0 bill for an ML organisation: the in-app sample and test data.

The organisation is the one of the lesson-06 case (``shared/cases.md``): 23 models, 8 teams
(one of them the shared platform) and 4 product areas, with training, serving, notebooks,
feature pipelines, monitoring, a development cluster, storage and data transfer. Its bill is
about $400K a year and grows 20% a quarter. It has what a real export has:

* on-demand (``Standard``), spot (``Dynamic``) and committed lines: a Compute Savings Plan
  billed monthly (``Purchase`` rows, ``EffectiveCost`` 0), spread over the endpoints it
  covers (``BilledCost`` 0), with a daily ``Unused`` row for the part nobody used;
* credits, a tax line and a negative adjustment (an SLA refund);
* 10-30% of the cost with no ``team`` tag: data transfer, tax, the unused commitment, a
  development cluster nobody tagged, and resources chosen at random that carry no tags, an
  ``owner`` tag instead of ``team``, or only a ``model`` tag;
* a custom ``x_Utilization`` column (0-1) on compute, with some notebooks and endpoints idle.

Every figure is made up, at plausible AWS list prices: nothing here is a published fact.
The same :class:`SampleSpec` always gives the same rows.

>>> frame = generate_focus(SampleSpec(months=2))
>>> round(float(frame["EffectiveCost"].sum()))
66667
>>> bool((frame["BilledCost"].sum() - frame["EffectiveCost"].sum()) < 0.01)
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planner.scenario.finops import SampleSpec

__all__ = ["MODELS", "TEAMS", "SampleSpec", "generate_focus", "model_owners"]

# team -> product area. "platform" is the shared team: its costs are split among the others.
TEAMS: Mapping[str, str] = {
    "search": "commerce",
    "recommendations": "commerce",
    "ads": "marketing",
    "growth": "marketing",
    "fraud": "trust-and-safety",
    "vision": "trust-and-safety",
    "assistant": "assistant",
    "platform": "shared",
}
# model -> owning team: 23 models.
MODELS: Mapping[str, str] = {
    "query-understanding": "search",
    "ranker-v3": "search",
    "ranker-v4": "search",
    "spell-correct": "search",
    "home-feed": "recommendations",
    "similar-items": "recommendations",
    "bundle-recs": "recommendations",
    "ctr-predictor": "ads",
    "bid-optimizer": "ads",
    "audience-lookalike": "ads",
    "churn-predictor": "growth",
    "uplift-model": "growth",
    "txn-fraud-gbm": "fraud",
    "account-takeover": "fraud",
    "chargeback-risk": "fraud",
    "image-moderation": "vision",
    "product-tagger": "vision",
    "ocr": "vision",
    "support-llm": "assistant",
    "intent-classifier": "assistant",
    "summarizer": "assistant",
    "embeddings": "assistant",
    "reranker": "assistant",
}

_ACCOUNT = "318204551178"
_SAVINGS_PLAN = f"arn:aws:savingsplans::{_ACCOUNT}:savingsplan/sp-0ml7c0mpute"
# Discounts used to derive ListCost: spot 67% (p4d.24xlarge in the June 2025 AWS Spot
# Advisor feed, shared/reference/spot_interruption.csv) and a 28% Compute Savings Plan
# (an assumption: AWS quotes "up to 72%" for Savings Plans).
_SPOT_DISCOUNT = 0.67
_PLAN_DISCOUNT = 0.28
_PLAN_MARGIN = 0.02
_IDLE_UTILISATION = 0.15
_DAYS_PER_QUARTER = 365.0 / 4


@dataclass(frozen=True, slots=True)
class _Kind:
    """A kind of resource: where it bills, how, and its share of the organisation's cost."""

    resource_type: str
    service: str
    service_category: str
    phase: str | None
    unit: str
    unit_price: float
    utilisation: tuple[float, float] | None


_KINDS: Mapping[str, _Kind] = {
    "training": _Kind(
        "TrainingJob",
        "Amazon SageMaker",
        "AI and Machine Learning",
        "training",
        "Hours",
        21.96,
        (0.7, 0.95),
    ),
    "endpoint": _Kind(
        "Endpoint",
        "Amazon SageMaker",
        "AI and Machine Learning",
        "serving",
        "Hours",
        1.408,
        (0.25, 0.7),
    ),
    "notebook": _Kind(
        "NotebookInstance",
        "Amazon SageMaker",
        "AI and Machine Learning",
        "development",
        "Hours",
        1.408,
        (0.2, 0.5),
    ),
    "pipeline": _Kind(
        "Cluster",
        "Amazon EMR",
        "Analytics",
        "feature-pipeline",
        "Hours",
        0.27,
        (0.4, 0.8),
    ),
    "monitoring": _Kind(
        "LogGroup",
        "Amazon CloudWatch",
        "Management and Governance",
        "monitoring",
        "GB",
        0.5,
        None,
    ),
    "dev-cluster": _Kind(
        "Cluster",
        "Amazon Elastic Kubernetes Service",
        "Compute",
        "development",
        "Hours",
        5.672,
        (0.02, 0.08),
    ),
    "storage": _Kind(
        "Bucket",
        "Amazon Simple Storage Service",
        "Storage",
        "storage",
        "GB-Mo",
        0.023,
        None,
    ),
    "transfer": _Kind(
        "DataTransfer",
        "AWS Data Transfer",
        "Networking",
        None,
        "GB",
        0.09,
        None,
    ),
}


def _resources(rng: np.random.Generator) -> pd.DataFrame:
    """One row per resource: kind, owner, model, schedule and relative daily cost."""
    rows: list[dict[str, object]] = []

    def add(kind: str, team: str, model: str | None, weight: float, **extra: object) -> None:
        rows.append({"kind": kind, "team": team, "model": model, "weight": weight, **extra})

    for model, team in MODELS.items():
        spot = team in {"search", "assistant"} or rng.random() < 0.25
        add(
            "training",
            team,
            model,
            rng.uniform(2.0, 6.0),
            spot=spot,
            every=int(rng.choice([7, 14, 14, 30])),
        )
        add(
            "endpoint",
            team,
            model,
            rng.uniform(0.6, 2.0),
            covered=team in {"search", "ads", "fraud"},
        )
    for team in TEAMS:
        if team == "platform":
            continue
        for i in range(int(rng.integers(1, 4))):
            add(
                "notebook",
                team,
                None,
                rng.uniform(0.3, 0.8),
                idle=bool(rng.random() < 0.3),
                index=i,
            )
        add("storage", team, None, rng.uniform(0.8, 2.0))
        if rng.random() < 0.5:
            add("pipeline", team, None, rng.uniform(0.5, 1.2))
    add("pipeline", "platform", None, 4.0)
    add("monitoring", "platform", None, 1.6)
    add("storage", "platform", None, 3.5)
    add("notebook", "platform", None, 0.5, idle=True, index=0)
    add("dev-cluster", "", None, 1.6)
    add("transfer", "", None, 3.2)
    frame = pd.DataFrame(rows)
    for column, default in (
        ("spot", False),
        ("every", 1),
        ("covered", False),
        ("idle", False),
        ("index", 0),
    ):
        frame[column] = frame[column].fillna(default) if column in frame else default
    frame["every"] = frame["every"].astype(int)
    return frame


def _tagging(resources: pd.DataFrame, rng: np.random.Generator, target: float) -> np.ndarray:
    """How each resource is tagged: 'full', 'owner', 'model' or 'none'.

    Data transfer and the development cluster carry no tags. Other resources lose their
    ``team`` tag at random until about ``target`` of the cost has none.
    """
    mode = np.where(resources["team"] == "", "none", "full").astype(object)
    weight = resources["weight"].to_numpy(float) * np.where(
        resources["kind"] == "training", 0.3, 1.0
    )
    share = weight / weight.sum()
    untagged = share[mode == "none"].sum()
    candidates = [
        i
        for i in rng.permutation(len(resources))
        if mode[i] == "full" and resources["team"].iat[i] != "platform"
    ]
    for i in candidates:
        if untagged >= target - 0.04:  # the tax, unused commitment and credits add the rest
            break
        if untagged + share[i] > target + 0.02:
            continue
        draw = rng.random()
        has_model = _model(resources.iloc[i]) is not None
        mode[i] = "owner" if draw < 0.3 else ("model" if draw < 0.55 and has_model else "none")
        untagged += share[i]
    return mode


def _model(resource: pd.Series) -> str | None:
    model = resource["model"]
    return None if model is None or pd.isna(model) else str(model)


def _tags(row: pd.Series, mode: str, env: str) -> str | None:
    team = str(row["team"])
    model = _model(row)
    phase = _KINDS[str(row["kind"])].phase
    if mode == "none":
        return None if row["kind"] == "transfer" else "{}"
    tags: dict[str, str] = {}
    if mode == "full":
        tags["team"] = team
        tags["product"] = TEAMS[team]
    elif mode == "owner":
        tags["owner"] = team
    if model is not None and mode in {"full", "model"}:
        tags["model"] = str(model)
    tags["env"] = env
    if phase:
        tags["phase"] = phase
    return json.dumps(tags, separators=(",", ":"))


def generate_focus(spec: SampleSpec | None = None) -> pd.DataFrame:
    """The synthetic bill: one row per resource per day it runs, plus monthly lines.

    Costs are in USD with 6 decimals; ``EffectiveCost`` sums to
    ``annual_usd × months / 12``, and so does ``BilledCost``.
    """
    spec = spec or SampleSpec()
    rng = np.random.default_rng(spec.seed)
    resources = _resources(rng)
    tagging = _tagging(resources, rng, spec.untagged_fraction)
    start = pd.Timestamp(f"{spec.start_month}-01")
    end = start + pd.DateOffset(months=spec.months)
    days = pd.date_range(start, end, freq="D", inclusive="left")
    n_days = len(days)
    growth = (1 + spec.quarterly_growth) ** (np.arange(n_days) / _DAYS_PER_QUARTER)

    frames = []
    for index in range(len(resources)):
        resource = resources.iloc[index]
        kind = _KINDS[str(resource["kind"])]
        if resource["kind"] == "training":
            every = int(resource["every"])
            offset = int(rng.integers(0, every))
            run_days = np.arange(n_days)
            active = ((run_days + offset) % every) < max(1, every // 7 * 2)
        else:
            active = np.ones(n_days, bool)
        day_index = np.flatnonzero(active)
        stable = bool(resource["covered"])
        scale = np.ones(len(day_index)) if stable else growth[day_index]
        noise = rng.lognormal(0.0, 0.12, len(day_index))
        weight = float(resource["weight"])
        if resource["kind"] == "training":
            weight *= 7.0 / max(1, int(resource["every"]) // 7 * 2)
        cost = weight * scale * noise
        if kind.utilisation is None:
            utilisation = np.full(len(day_index), np.nan)
        elif resource["idle"]:
            utilisation = rng.uniform(0.01, 0.1, len(day_index))
        else:
            utilisation = rng.uniform(*kind.utilisation, len(day_index))
        env = "dev" if resource["kind"] in {"notebook", "dev-cluster"} else "prod"
        name = _resource_name(resource)
        frames.append(
            pd.DataFrame(
                {
                    "_resource": index,
                    "_day": day_index,
                    "_cost": cost,
                    "x_Utilization": utilisation,
                    "ResourceName": name,
                    "ResourceId": _resource_id(kind, name),
                    "ResourceType": kind.resource_type,
                    "ServiceName": kind.service,
                    "ServiceCategory": kind.service_category,
                    "ConsumedUnit": kind.unit,
                    "ListUnitPrice": kind.unit_price,
                    "Tags": _tags(resource, str(tagging[index]), env),
                    "_spot": bool(resource["spot"]),
                    "_covered": stable,
                }
            )
        )
    usage = pd.concat(frames, ignore_index=True)
    total_target = spec.annual_usd * spec.months / 12.0

    # Monthly lines, in proportion to each month's usage: credits, tax, the savings plan.
    usage["_month"] = days[usage["_day"].to_numpy()].to_period("M")
    covered_daily = usage[usage["_covered"]].groupby("_day")["_cost"].sum()
    # Sized for the busiest day plus a margin, so the covered usage never exceeds it.
    plan_daily = float(covered_daily.max()) * (1 + _PLAN_MARGIN) if len(covered_daily) else 0.0
    unused = pd.DataFrame({"_day": np.arange(n_days)})
    unused["_cost"] = plan_daily - covered_daily.reindex(unused["_day"]).fillna(0).to_numpy()
    unused["_cost"] = unused["_cost"].clip(lower=0)
    rows = _usage_rows(usage, days)
    rows.append(_unused_rows(unused, days))
    monthly = usage.groupby("_month")["_cost"].sum()
    rows.append(_monthly_rows(monthly, plan_daily))
    rows.append(_refund(usage, days, tagging, resources))
    frame = pd.concat(rows, ignore_index=True)
    # Scale to the requested total; the savings plan fee scales with the usage it covers.
    factor = total_target / float(frame["EffectiveCost"].sum())
    for column in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
        frame[column] = (frame[column].astype(float) * factor).round(6)
    frame = frame.sort_values(["ChargePeriodStart", "ResourceId"], kind="stable", ignore_index=True)
    return frame[_COLUMNS]


_COLUMNS = [
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "PricingCategory",
    "ProviderName",
    "PublisherName",
    "InvoiceIssuerName",
    "RegionId",
    "ServiceName",
    "ServiceCategory",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ConsumedQuantity",
    "ConsumedUnit",
    "PricingQuantity",
    "PricingUnit",
    "ListUnitPrice",
    "ListCost",
    "ContractedCost",
    "BilledCost",
    "EffectiveCost",
    "CommitmentDiscountId",
    "CommitmentDiscountType",
    "CommitmentDiscountCategory",
    "CommitmentDiscountStatus",
    "Tags",
    "x_Utilization",
]


def _resource_name(resource: pd.Series) -> str:
    kind = str(resource["kind"])
    team = str(resource["team"]) or "shared"
    if (model := _model(resource)) is not None:
        return f"{model}-{'train' if kind == 'training' else 'endpoint'}"
    if kind == "notebook":
        return f"{team}-notebook-{int(resource['index']) + 1}"
    if kind == "dev-cluster":
        return "ml-dev-cluster"
    if kind == "transfer":
        return "internet-egress"
    return f"{team}-{kind}"


def _resource_id(kind: _Kind, name: str) -> str:
    if kind.service == "Amazon Simple Storage Service":
        return f"arn:aws:s3:::ml-org-{name}"
    if kind.service == "AWS Data Transfer":
        return f"arn:aws:ec2:us-east-1:{_ACCOUNT}:egress/{name}"
    service = kind.service.split()[-1].lower()
    return f"arn:aws:{service}:us-east-1:{_ACCOUNT}:{kind.resource_type.lower()}/{name}"


def _iso(stamps: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    return np.asarray(pd.DatetimeIndex(stamps).strftime("%Y-%m-%dT%H:%M:%SZ"), dtype=object)


def _periods(days: pd.DatetimeIndex, day: np.ndarray) -> dict[str, Any]:
    """Charge and billing periods of each row, formatted once per day and then indexed."""
    month_start = days.to_period("M").to_timestamp()
    return {
        "ChargePeriodStart": _iso(days)[day],
        "ChargePeriodEnd": _iso(days + pd.Timedelta(days=1))[day],
        "BillingPeriodStart": _iso(month_start)[day],
        "BillingPeriodEnd": _iso(month_start + pd.DateOffset(months=1))[day],
    }


def _common() -> dict[str, Any]:
    return {
        "BillingAccountId": _ACCOUNT,
        "BillingAccountName": "ml-org-prod",
        "BillingCurrency": "USD",
        "ChargeClass": None,
        "ProviderName": "AWS",
        "PublisherName": "AWS",
        "InvoiceIssuerName": "AWS",
        "RegionId": "us-east-1",
        "CommitmentDiscountId": None,
        "CommitmentDiscountType": None,
        "CommitmentDiscountCategory": None,
        "CommitmentDiscountStatus": None,
    }


def _usage_rows(usage: pd.DataFrame, days: pd.DatetimeIndex) -> list[pd.DataFrame]:
    cost = usage["_cost"].to_numpy()
    spot = usage["_spot"].to_numpy(bool)
    covered = usage["_covered"].to_numpy(bool)
    list_cost = np.where(
        spot, cost / (1 - _SPOT_DISCOUNT), np.where(covered, cost / (1 - _PLAN_DISCOUNT), cost)
    )
    unit_price = usage["ListUnitPrice"].to_numpy(float)
    quantity = list_cost / unit_price
    frame = usage.drop(columns=["_resource", "_cost", "_spot", "_covered", "_month"]).assign(
        **_common(),
        **_periods(days, usage["_day"].to_numpy()),
        ChargeCategory="Usage",
        ChargeFrequency="Usage-Based",
        PricingCategory=np.where(spot, "Dynamic", np.where(covered, "Committed", "Standard")),
        ChargeDescription=usage["ResourceType"] + " usage, " + usage["ConsumedUnit"],
        ConsumedQuantity=quantity.round(4),
        PricingQuantity=quantity.round(4),
        PricingUnit=usage["ConsumedUnit"],
        ListCost=list_cost,
        ContractedCost=list_cost,
        BilledCost=np.where(covered, 0.0, cost),
        EffectiveCost=cost,
    )
    frame.loc[covered, "CommitmentDiscountId"] = _SAVINGS_PLAN
    frame.loc[covered, "CommitmentDiscountType"] = "Compute Savings Plan"
    frame.loc[covered, "CommitmentDiscountCategory"] = "Spend"
    frame.loc[covered, "CommitmentDiscountStatus"] = "Used"
    return [frame.drop(columns=["_day"])]


def _unused_rows(unused: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DataFrame:
    cost = unused["_cost"].to_numpy()
    return pd.DataFrame(
        {
            **_common(),
            **_periods(days, unused["_day"].to_numpy()),
            "ChargeCategory": "Usage",
            "ChargeFrequency": "Usage-Based",
            "PricingCategory": "Committed",
            "ChargeDescription": "Unused Compute Savings Plan commitment",
            "ServiceName": "Savings Plans for AWS Compute usage",
            "ServiceCategory": "Compute",
            "ResourceId": _SAVINGS_PLAN,
            "ResourceName": "ml-compute-savings-plan",
            "ResourceType": "Savings Plan",
            "ConsumedQuantity": None,
            "ConsumedUnit": None,
            "PricingQuantity": None,
            "PricingUnit": None,
            "ListUnitPrice": None,
            "ListCost": 0.0,
            "ContractedCost": 0.0,
            "BilledCost": 0.0,
            "EffectiveCost": cost,
            "CommitmentDiscountId": _SAVINGS_PLAN,
            "CommitmentDiscountType": "Compute Savings Plan",
            "CommitmentDiscountCategory": "Spend",
            "CommitmentDiscountStatus": "Unused",
            "Tags": None,
            "x_Utilization": np.nan,
        }
    )


def _monthly_rows(monthly: pd.Series, plan_daily: float) -> pd.DataFrame:
    rows = []
    for period, month_usd in monthly.items():
        start = pd.Period(str(period), freq="M").to_timestamp()
        end = start + pd.DateOffset(months=1)
        days_in_month = (end - start).days
        base: dict[str, object] = {
            **_common(),
            "BillingPeriodStart": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "BillingPeriodEnd": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "ChargePeriodStart": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "ChargePeriodEnd": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "x_Utilization": np.nan,
            "Tags": None,
        }
        fee = plan_daily * days_in_month
        rows.append(
            base
            | {
                "ChargeCategory": "Purchase",
                "ChargeFrequency": "Recurring",
                "PricingCategory": "Standard",
                "ChargeDescription": "Compute Savings Plan, 1 year, no upfront: monthly fee",
                "ServiceName": "Savings Plans for AWS Compute usage",
                "ServiceCategory": "Compute",
                "ResourceId": _SAVINGS_PLAN,
                "ResourceName": "ml-compute-savings-plan",
                "ResourceType": "Savings Plan",
                "ListCost": fee,
                "ContractedCost": fee,
                "BilledCost": fee,
                "EffectiveCost": 0.0,
                "CommitmentDiscountId": _SAVINGS_PLAN,
                "CommitmentDiscountType": "Compute Savings Plan",
                "CommitmentDiscountCategory": "Spend",
            }
        )
        for category, description, share, service in (
            ("Credit", "Promotional credit (ML startup programme)", -0.008, "AWS Credits"),
            ("Tax", "Sales tax", 0.004, "Tax"),
        ):
            amount = float(month_usd) * share
            rows.append(
                base
                | {
                    "ChargeCategory": category,
                    "ChargeFrequency": "Recurring",
                    "PricingCategory": None,
                    "ChargeDescription": description,
                    "ServiceName": service,
                    "ServiceCategory": "Other",
                    "ListCost": 0.0,
                    "ContractedCost": 0.0,
                    "BilledCost": amount,
                    "EffectiveCost": amount,
                }
            )
    return pd.DataFrame(rows)


def _refund(
    usage: pd.DataFrame, days: pd.DatetimeIndex, tagging: np.ndarray, resources: pd.DataFrame
) -> pd.DataFrame:
    """A negative adjustment: an SLA refund for one tagged endpoint, in the middle month."""
    endpoints = [
        i
        for i in range(len(resources))
        if resources["kind"].iat[i] == "endpoint" and tagging[i] == "full"
    ]
    resource = int(endpoints[len(endpoints) // 2])
    rows = usage[usage["_resource"] == resource]
    month = days[len(days) // 2].to_period("M")
    amount = -0.5 * float(rows.loc[rows["_month"] == month, "_cost"].sum())
    first = rows.iloc[0]
    start = month.to_timestamp()
    end = start + pd.DateOffset(months=1)
    stamp = {
        "BillingPeriodStart": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "BillingPeriodEnd": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ChargePeriodStart": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ChargePeriodEnd": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return pd.DataFrame(
        [
            _common()
            | stamp
            | {
                "ChargeCategory": "Adjustment",
                "ChargeFrequency": "One-Time",
                "PricingCategory": None,
                "ChargeDescription": "SLA refund: endpoint outage",
                "ServiceName": first["ServiceName"],
                "ServiceCategory": first["ServiceCategory"],
                "ResourceId": first["ResourceId"],
                "ResourceName": first["ResourceName"],
                "ResourceType": first["ResourceType"],
                "ListCost": 0.0,
                "ContractedCost": 0.0,
                "BilledCost": amount,
                "EffectiveCost": amount,
                "Tags": first["Tags"],
                "x_Utilization": np.nan,
            }
        ]
    )


def model_owners() -> dict[str, str]:
    """model → team, for an attribution rule that reads the ``model`` tag."""
    return dict(MODELS)
