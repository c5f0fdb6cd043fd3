"""The serving roofline against published throughputs: the validation set behind the
calibrated ``bandwidth_utilisation`` and ``compute_utilisation``.

Each row is a published offline (maximum-load) measurement of output tokens per second per
GPU. The planner models it at the stated model, GPU, tensor parallelism, precision and input
and output lengths, with no latency target, and must come within the tolerance: the right
order, not a fit of each point (the roofline has two efficiencies for every engine, model and
length).

Sources
-------
[1] NVIDIA, TensorRT-LLM "Overview" (performance overview), docs/source/performance/
    perf-overview.md in github.com/NVIDIA/TensorRT-LLM at commit 00f37686aa85 (the v1.0
    release notes era, 2025), tables "Llama 3.1 8B" (H100 TP1, FP8) and "Llama 3.3 70B"
    (H100 TP2, FP8). Metric: Total Output Throughput (tokens/sec), trtllm-bench throughput,
    PyTorch backend, nvidia/*-FP8 ModelOpt checkpoints, requests of fixed lengths. The 70B
    totals are over its 2 GPUs and are halved here. Llama 3.3 70B has Llama 3.1 70B's
    architecture, so the Llama-3.1-70B preset stands for it.
[2] NVIDIA, "Performance of TensorRT-LLM", docs/source/performance.md in the same repository
    at commit 138f96d45f90 ("updated for v0.6.1", December 2023), tables "H100 GPUs (FP8)"
    (Throughput, out tok/s/GPU) and "A100 GPUs (FP16)" (out tok/s; TP1 rows only, where total
    and per GPU agree), rows "LLaMA 7B" (Llama-2-7B) at the stated static batch sizes, which
    this test passes as ``max_batch``.

Assumptions stated here, not in the sources: the FP8 runs store the KV cache in FP8 (the
v0.6.1 build commands pass ``--fp8_kv_cache``; the v1.0 ModelOpt FP8 checkpoints are read the
same way); the A100 runs are A100-80GB SXM (p4de.24xlarge) with a 16-bit KV cache.

Not in the set: MLPerf Inference Llama 2 70B results. The figures found (an aggregator page
quoting samples/s) give neither tokens nor the OpenOrca lengths they are over, and no
primary MLCommons table turned up, so no figure is taken from them. vLLM's published
benchmarks were not found as tables of fixed input/output lengths either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from planner.costing.serving import ASSUMPTIONS, instance_throughput
from planner.models.architectures import KvPrecision
from planner.scenario.serving import Endpoint, ServedModel, ServingPrecision

# Each published figure within [1/2, 2] of the model, and the whole set within 25% on the
# geometric mean: "the right order", with room for engines the roofline does not model.
PER_POINT = (0.5, 2.0)
GEOMETRIC_MEAN = (0.8, 1.25)
NO_LIMIT_MS = 3_600_000.0
ENGINE_BATCH = 4096  # in-flight batching up to memory: the v1.0 runs set no small limit

H100 = "p5.48xlarge"  # 8 × H100 SXM 80 GB
A100 = "p4de.24xlarge"  # 8 × A100 80 GB SXM


@dataclass(frozen=True, slots=True)
class Measured:
    source: str
    model: str
    instance_type: str
    tensor_parallel: int
    precision: ServingPrecision
    kv: KvPrecision
    input_tokens: int
    output_tokens: int
    tokens_per_second_per_gpu: float
    batch: int = ENGINE_BATCH


FP8, FP16 = ServingPrecision.FP8, ServingPrecision.FP16
KV8, KV16 = KvPrecision.FP8, KvPrecision.FP16

VALIDATION = (
    Measured("[1]", "Llama-3.1-8B", H100, 1, FP8, KV8, 128, 128, 28_312),
    Measured("[1]", "Llama-3.1-8B", H100, 1, FP8, KV8, 128, 2048, 22_714),
    Measured("[1]", "Llama-3.1-8B", H100, 1, FP8, KV8, 500, 2000, 17_660),
    Measured("[1]", "Llama-3.1-8B", H100, 1, FP8, KV8, 1000, 1000, 15_220),
    Measured("[1]", "Llama-3.1-8B", H100, 1, FP8, KV8, 2048, 128, 3_450),
    Measured("[1]", "Llama-3.1-8B", H100, 1, FP8, KV8, 2048, 2048, 9_305),
    Measured("[1]", "Llama-3.1-8B", H100, 1, FP8, KV8, 5000, 500, 3_459),
    Measured("[1]", "Llama-3.1-70B", H100, 2, FP8, KV8, 128, 2048, 6_651 / 2),
    Measured("[1]", "Llama-3.1-70B", H100, 2, FP8, KV8, 500, 2000, 5_222 / 2),
    Measured("[1]", "Llama-3.1-70B", H100, 2, FP8, KV8, 1000, 1000, 4_205 / 2),
    Measured("[1]", "Llama-3.1-70B", H100, 2, FP8, KV8, 2048, 128, 762 / 2),
    Measured("[2]", "Llama-2-7B", H100, 1, FP8, KV8, 128, 128, 19_694, batch=768),
    Measured("[2]", "Llama-2-7B", H100, 1, FP8, KV8, 128, 2048, 6_818, batch=112),
    Measured("[2]", "Llama-2-7B", H100, 1, FP8, KV8, 2048, 128, 2_244, batch=80),
    Measured("[2]", "Llama-2-7B", A100, 1, FP16, KV16, 128, 128, 5_586, batch=384),
    Measured("[2]", "Llama-2-7B", A100, 1, FP16, KV16, 128, 2048, 1_928, batch=60),
    Measured("[2]", "Llama-2-7B", A100, 1, FP16, KV16, 2048, 128, 591, batch=52),
)


def modelled(
    row: Measured, *, bandwidth: float | None = None, compute: float | None = None
) -> float:
    plan = Endpoint(
        instance_type=row.instance_type,
        tensor_parallel=row.tensor_parallel,
        max_batch=row.batch,
        latency_target_ms=NO_LIMIT_MS,
        model=ServedModel(
            preset=row.model,
            precision=row.precision,
            kv_precision=row.kv,
            input_tokens=row.input_tokens,
            output_tokens=row.output_tokens,
            bandwidth_utilisation=bandwidth,
            compute_utilisation=compute,
        ),
    )
    out = instance_throughput(plan, row.instance_type, row.precision, row.batch)
    assert out.gpus_per_replica == row.tensor_parallel
    assert out.tokens_per_second_per_gpu is not None
    return out.tokens_per_second_per_gpu


@pytest.mark.parametrize(
    "row",
    VALIDATION,
    ids=[
        f"{r.source}-{r.model}-{r.precision}-{r.input_tokens}/{r.output_tokens}" for r in VALIDATION
    ],
)
def test_each_published_throughput_is_reproduced_to_the_right_order(row: Measured):
    ratio = modelled(row) / row.tokens_per_second_per_gpu
    assert PER_POINT[0] <= ratio <= PER_POINT[1], f"model / measured = {ratio:.2f}"


def test_the_set_is_reproduced_on_the_geometric_mean():
    logs = [math.log(modelled(row) / row.tokens_per_second_per_gpu) for row in VALIDATION]
    mean = math.exp(sum(logs) / len(logs))
    assert GEOMETRIC_MEAN[0] <= mean <= GEOMETRIC_MEAN[1], f"geometric mean {mean:.2f}"


def test_the_calibrated_efficiencies_name_the_validation_set():
    for key in ("bandwidth_utilisation", "compute_utilisation"):
        assert "Calibrated" in ASSUMPTIONS[key].source
        assert "TensorRT-LLM" in ASSUMPTIONS[key].source


def test_peak_efficiencies_fail_the_set():
    # The set must be able to tell efficiencies apart, or it validates nothing: near-peak
    # bandwidth and compute overstate the published runs by more than the tolerance.
    logs = [
        math.log(modelled(row, bandwidth=0.95, compute=0.9) / row.tokens_per_second_per_gpu)
        for row in VALIDATION
    ]
    assert math.exp(sum(logs) / len(logs)) > GEOMETRIC_MEAN[1]
