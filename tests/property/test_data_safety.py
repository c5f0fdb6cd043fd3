"""Nothing is lost on the way out: downloads and links carry every float and every character.

The YAML download (``dump_scenario_yaml``) read back by the upload (``parse_scenario_yaml``)
and the share link give back the same scenario, bit for bit, for any finite float the schema
accepts and any text. Reports round money only where they show it. (Chargeback CSVs adding
up to the bill to the cent is tested in test_attribution_properties.py.)
"""

from __future__ import annotations

import dataclasses
import re
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from planner.core.formatting import usd
from planner.costing.economics import evaluate
from planner.io.share import decode, encode, link
from planner.scenario import (
    DataTransferItem,
    Scenario,
    StorageItem,
    ToolingItem,
    dump_scenario_yaml,
    parse_scenario_yaml,
)
from planner.scenario.serving import (
    MIN_REQUESTS_PER_SECOND,
    Autoscaling,
    Endpoint,
    ModelKind,
    ServedModel,
    Traffic,
)
from planner.scenario.training import MIN_MODELS_PER_MONTH, TrainingJob
from planner.views.report import build_report, to_html, to_markdown


def floats(low: float, high: float, *, exclude_low: bool = False) -> st.SearchStrategy[float]:
    """Any float in range, subnormals and awkward decimals like 0.1 + 0.2 included."""
    awkward = [v for v in (0.1 + 0.2, 1 / 3, 2 / 3, 1e-5, 5e-324, 1.1, 99.99) if low < v <= high]
    return st.one_of(st.floats(low, high, exclude_min=exclude_low), st.sampled_from(awkward))


# Names: any text, including YAML's look-alikes (yes, null, 1e3, 0x10) and line breaks.
names = st.one_of(
    st.text(min_size=1, max_size=120),
    st.sampled_from(["yes", "no", "null", "~", "1e3", "0x10", "1_000", "a\x85b", "a\u2028b"]),
)


@st.composite
def scenarios_with_raw_floats(draw: st.DrawFn) -> Scenario:
    tooling = draw(
        st.lists(
            st.builds(ToolingItem, name=names, usd_per_month=floats(0, 1e10), share=floats(0, 1)),
            max_size=3,
        )
    )
    storage = draw(
        st.lists(
            st.builds(
                StorageItem,
                name=names,
                gb=floats(0, 1e10),
                usd_per_gb_month=st.none() | floats(0, 1e6),
            ),
            max_size=2,
        )
    )
    transfer = draw(
        st.lists(
            st.builds(
                DataTransferItem,
                name=names,
                gb_per_month=floats(0, 1e10),
                usd_per_gb=st.none() | floats(0, 10),
            ),
            max_size=2,
        )
    )
    serving = draw(
        st.lists(
            st.builds(
                Endpoint,
                name=names,
                traffic=st.builds(
                    Traffic,
                    requests_per_day=floats(0, 1e13),
                    peak_to_average=st.none() | floats(1, 50),
                    monthly_growth=floats(-0.5, 1),
                ),
                model=st.builds(
                    ServedModel,
                    kind=st.just(ModelKind.CLASSIC),
                    measured_requests_per_second_per_instance=floats(MIN_REQUESTS_PER_SECOND, 1e8),
                ),
                cache_hit_rate=floats(0, 0.99),
                autoscaling=st.builds(Autoscaling, headroom=floats(0, 5)),
            ),
            max_size=2,
            unique_by=lambda endpoint: endpoint.name,
        )
    )
    training = draw(
        st.lists(
            st.builds(
                TrainingJob,
                name=names,
                hours_per_run=floats(0, 100_000, exclude_low=True),
                mfu=floats(0, 1, exclude_low=True),
                # The schema takes none, or at least one model a century.
                models_per_month=st.just(0.0) | floats(MIN_MODELS_PER_MONTH, 10_000),
            ),
            max_size=2,
            unique_by=lambda job: job.name,
        )
    )
    return Scenario(
        title=draw(st.text(max_size=200)),
        description=draw(st.text(max_size=300)),
        tooling=tuple(tooling),
        storage=tuple(storage),
        data_transfer=tuple(transfer),
        serving=tuple(serving),
        training=tuple(training),
    )


def bits(scenario: Scenario) -> list[str]:
    """Every float in the scenario, as its exact bit pattern (so -0.0 and 0.0 differ)."""
    out: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, float):
            out.append(struct.pack("<d", value).hex())
        elif isinstance(value, tuple):
            for item in value:
                walk(item)
        elif dataclasses.is_dataclass(value):
            for field in dataclasses.fields(value):
                walk(getattr(value, field.name))

    walk(scenario)
    return out


@settings(max_examples=200, deadline=None)
@given(scenarios_with_raw_floats())
def test_yaml_download_then_upload_gives_back_every_float_and_character(scenario):
    back = parse_scenario_yaml(dump_scenario_yaml(scenario))
    assert back == scenario
    assert bits(back) == bits(scenario)


@settings(max_examples=200, deadline=None)
@given(scenarios_with_raw_floats())
def test_a_share_link_gives_back_every_float_and_character(scenario):
    back = decode(encode(scenario)).scenario
    assert back == scenario
    assert bits(back) == bits(scenario)


def test_a_report_rounds_money_only_for_display():
    # Three lines of $333.334: shown $333.33 each, but the month is $1,000.002, shown $1,000.
    # A report that added up rounded lines would show $999.99.
    scenario = Scenario(
        title="Rounding",
        tooling=tuple(ToolingItem(name=f"tool {i}", usd_per_month=333.334) for i in range(3)),
    )
    assert usd(evaluate(scenario).monthly_cost_usd) == "$1,000"
    report = build_report(scenario, share_link=link(scenario, "https://planner.example/"))
    for text in (to_markdown(report), to_html(report)):
        assert "$1,000" in text
        assert "$999.99" not in text
        assert text.count("$333.33") >= 3
        found = re.search(r"https://planner\.example/\?s=[\w.\-]+", text)
        assert found is not None
        assert decode(found.group(0)).scenario == scenario  # the link keeps 333.334 exactly
