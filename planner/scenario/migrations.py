"""Upgrades of older scenario mappings, one step per schema version, each saying what it did.

A step takes the mapping of version ``k`` (as read from a file or a link, defaults left
out) and returns the mapping of version ``k + 1`` with the notes a user should read: what
moved, and which hand-copied figures were dropped because the planner now computes them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Upgrade = Callable[[dict[str, Any]], tuple[dict[str, Any], list[str]]]

# Version 1's defaults, which a version-1 mapping leaves out.
_V1_WORKLOAD_INSTANCE = {"training": "p4d.24xlarge", "serving": "g5.xlarge"}
_V1_PLAN_DEFAULTS = {"max_batch": 16}
_V1_AUTOSCALING_ENABLED = True
_V1_MIX_TIERS = ["on_demand", "spot", "reserved_1y", "reserved_3y"]


def _records(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [dict(item) for item in value if isinstance(item, Mapping)]


def _tier(item: Mapping[str, Any], default: object) -> str:
    tier = item.get("price_tier") or default or "on_demand"
    return str(tier)


def _training_job(
    workload: Mapping[str, Any], default_tier: object, notes: list[str]
) -> dict[str, Any]:
    job: dict[str, Any] = {
        "name": workload.get("name"),
        "instance_type": workload.get("instance_type", _V1_WORKLOAD_INSTANCE["training"]),
        "instance_count": workload.get("instance_count", 1),
        "hours_per_run": workload.get("hours_per_run", 24.0),
        "models_per_month": workload.get("runs_per_month", 1.0),
        "pricing": _tier(workload, default_tier),
    }
    extra = set(workload) - {
        "name",
        "instance_type",
        "instance_count",
        "hours_per_run",
        "runs_per_month",
        "price_tier",
    }
    job.update({key: workload[key] for key in extra})  # unknown keys: the schema names them
    if job["pricing"] in {"reserved_1y", "reserved_3y"}:
        notes.append(
            f"Training job {job['name']!r} runs on reserved instances, which version 2 pays "
            "for every hour of their term, used or not, so its cost changes."
        )
    elif job["pricing"] == "spot":
        notes.append(
            f"Training job {job['name']!r} runs on spot, where version 2 counts checkpoints, "
            "lost work and restarts, so its cost changes."
        )
    return job


# Version 2's bound on an endpoint's headroom: a version-1 utilisation below 1 / (1 + this)
# is kept at this headroom, with a note.
_MAX_HEADROOM = 99.0
# Version 2's bound on a replica floor.
_MAX_REPLICAS = 100_000


def _peak_weights(peak: float) -> tuple[list[float], list[float]]:
    """Hourly and daily weights whose week peaks at exactly ``peak`` × its mean: one busy
    hour a day (up to 20×, since 24 hours share the day) times one busy day a week.

    >>> daily, weekly = _peak_weights(2.0)
    >>> round(max(daily) / (sum(daily) / 24) * max(weekly) / (sum(weekly) / 7), 9)
    2.0
    """
    in_day = min(peak, 20.0)
    in_week = peak / in_day
    busy_hour = 23 * in_day / (24 - in_day)
    busy_day = 6 * in_week / (7 - in_week)
    return [1.0] * 12 + [busy_hour] + [1.0] * 11, [1.0] * 6 + [busy_day]


def _endpoint(
    workload: Mapping[str, Any], default_tier: object, notes: list[str]
) -> dict[str, Any]:
    """A version-1 first-order serving workload as the endpoint that costs the same: a
    fixed fleet sized for the peak hour at the measured throughput, on its one tier. Where
    version 2 cannot say the same (an all-spot fleet, a headroom or floor beyond its
    bounds), a note says the cost changes and why."""
    name = workload.get("name")
    peak_to_average = workload.get("peak_to_average", 1.0)
    utilisation = workload.get("target_utilization", 0.6)
    tier = _tier(workload, default_tier)
    traffic: dict[str, Any] = {
        "requests_per_day": workload.get("requests_per_day"),
        "horizon_weeks": 1,
        "daily_shape": "flat",
        "weekly_shape": "flat",
    }
    if isinstance(peak_to_average, int | float) and 1 < peak_to_average <= 140:
        # The fleet is fixed, so only the peak matters: a week that peaks exactly there.
        traffic["daily_weights"], traffic["weekly_weights"] = _peak_weights(peak_to_average)
    elif isinstance(peak_to_average, int | float) and peak_to_average > 140:
        traffic["daily_weights"], traffic["weekly_weights"] = _peak_weights(140.0)
        notes.append(
            f"Endpoint {name!r}: a peak of {peak_to_average:g}× the mean cannot be drawn in a "
            "week of hours; it is 140× now, so its cost changes."
        )
    headroom = 1 / utilisation - 1 if isinstance(utilisation, int | float) and utilisation else 0
    if headroom > _MAX_HEADROOM:
        notes.append(
            f"Endpoint {name!r}: a utilisation of {utilisation:g} is below version 2's lowest "
            f"(1%); it is 1% now, so its cost changes."
        )
        headroom = _MAX_HEADROOM
    floor = workload.get("min_instances", 1)
    if isinstance(floor, int) and floor > _MAX_REPLICAS:
        notes.append(
            f"Endpoint {name!r}: a floor of {floor:,} instances is above version 2's "
            f"{_MAX_REPLICAS:,}; it is {_MAX_REPLICAS:,} now, so its cost changes."
        )
        floor = _MAX_REPLICAS
    if tier == "spot":
        notes.append(
            f"Endpoint {name!r} was priced all on spot; version 2 keeps part of a fleet "
            "on-demand (mix.spot_max_share, 50% unless you say otherwise) for when spot "
            "capacity is reclaimed, so its cost changes."
        )
    endpoint: dict[str, Any] = {
        "name": workload.get("name"),
        "instance_type": workload.get("instance_type", _V1_WORKLOAD_INSTANCE["serving"]),
        "traffic": traffic,
        "model": {
            "kind": "classic",
            "measured_requests_per_second_per_instance": workload.get(
                "requests_per_second_per_instance", 100.0
            ),
        },
        "autoscaling": {"enabled": False, "min_replicas": floor, "headroom": headroom},
        "mix": {"tiers": ["on_demand"] if tier == "on_demand" else ["on_demand", tier]},
    }
    extra = set(workload) - {
        "name",
        "instance_type",
        "requests_per_day",
        "requests_per_second_per_instance",
        "target_utilization",
        "peak_to_average",
        "min_instances",
        "price_tier",
    }
    endpoint.update({key: workload[key] for key in extra})
    return endpoint


def _detailed_endpoint(plan: Mapping[str, Any]) -> dict[str, Any]:
    """A version-1 serving plan with the version-1 defaults that version 2 changed written
    out: batching, autoscaling and every tier were on unless the plan said otherwise."""
    endpoint = dict(plan)
    endpoint.setdefault("name", "endpoint")
    for key, value in _V1_PLAN_DEFAULTS.items():
        endpoint.setdefault(key, value)
    scaling = endpoint.get("autoscaling")
    scaling = dict(scaling) if isinstance(scaling, Mapping) else {}
    scaling.setdefault("enabled", _V1_AUTOSCALING_ENABLED)
    endpoint["autoscaling"] = scaling
    mix = endpoint.get("mix")
    mix = dict(mix) if isinstance(mix, Mapping) else {}
    mix.setdefault("tiers", list(_V1_MIX_TIERS))
    endpoint["mix"] = mix
    return endpoint


def _stated_figure(item: object) -> object:
    if not isinstance(item, Mapping) or "workload" not in item:
        return item
    figure = {key: value for key, value in item.items() if key != "workload"}
    figure["job"] = item["workload"]
    return figure


def _v1_to_v2(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Version 1 described training and serving twice: first-order ``training`` and
    ``serving`` workloads for the Overview, and one detailed ``training_plan`` and
    ``serving_plan`` for their pages. Version 2 has one list of each. A detailed plan
    replaces the workload it stood for (by ``workload``, or by name for serving); any other
    plan joins the list, so the Overview now counts it."""
    notes: list[str] = []
    pricing = data.get("pricing")
    default_tier = pricing.get("default_tier") if isinstance(pricing, Mapping) else None

    plan = data.pop("training_plan", None)
    jobs = [_training_job(w, default_tier, notes) for w in _records(data.get("training"))]
    if isinstance(plan, Mapping):
        job = dict(plan)
        target = job.pop("workload", None)
        job.setdefault("name", "training run")
        names = [j["name"] for j in jobs]
        if target in names:
            replaced = jobs[names.index(target)]
            job["name"] = target
            jobs[names.index(target)] = job
            notes.append(
                f"Training job {target!r}: the version-1 workload's hand-copied "
                f"hours_per_run: {replaced['hours_per_run']:g} and runs_per_month: "
                f"{replaced['models_per_month']:g} are gone; the job's detailed plan now "
                "computes them, and the Overview prices it the way the Training page does."
            )
        else:
            if job["name"] in names:
                job["name"] = f"{job['name']} (plan)"
            jobs.append(job)
            notes.append(
                f"Training job {job['name']!r} was the Training page's plan; the Overview now "
                "counts its cost too."
            )
    if "training" in data or jobs:
        data["training"] = jobs

    serving_plan = data.pop("serving_plan", None)
    endpoints = [_endpoint(w, default_tier, notes) for w in _records(data.get("serving"))]
    if isinstance(serving_plan, Mapping):
        detailed = _detailed_endpoint(serving_plan)
        names = [e["name"] for e in endpoints]
        if detailed["name"] in names:
            endpoints[names.index(detailed["name"])] = detailed
            notes.append(
                f"Endpoint {detailed['name']!r}: the version-1 workload's hand-copied fleet "
                "figures (requests per second per instance, utilisation, tier) are gone; the "
                "endpoint's detailed plan now prices it everywhere, as the Serving page did."
            )
        else:
            endpoints.append(detailed)
            notes.append(
                f"Endpoint {detailed['name']!r} was the Serving page's plan; the Overview now "
                "counts its cost too."
            )
    if "serving" in data or endpoints:
        data["serving"] = endpoints

    if isinstance(data.get("stated"), list):
        data["stated"] = [_stated_figure(item) for item in data["stated"]]
    notes.insert(
        0,
        "This scenario was written for schema version 1 and has been upgraded to version 2: "
        "each training job and endpoint is now described once, and every page prices it the "
        "same way. Save or share it again to keep the upgrade.",
    )
    return data, notes


MIGRATIONS: Mapping[int, Upgrade] = {1: _v1_to_v2}
