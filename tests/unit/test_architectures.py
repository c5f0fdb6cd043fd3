"""Model presets: the data file, KV cache bytes per token, parameter counts and ``model``.

Expected figures are written out by hand from public sources, not computed by the code
under test. Each preset's shape is its Hugging Face ``config.json`` (or a copy of it) as the
shared reference ``model_architectures.csv`` names it, and the stated totals come from the
model card, paper or README named in ``PUBLIC`` below.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from planner.catalog import (
    DATA_DIR,
    AttentionKind,
    load_model_architectures,
    model_architecture,
    read_model_architectures,
)
from planner.cli import main
from planner.core.errors import PlannerInputError
from planner.models.architectures import (
    KvPrecision,
    active_params,
    kv_bytes_per_token,
    total_params,
)
from tests.conftest import ROOT


class Public(NamedTuple):
    kv_bytes_fp16: int  # 2 × layers × KV heads × head dim × 2 bytes (MLA: latent, see below)
    config_params: int  # counted from config.json by the shared reference
    stated_params: int | None  # the model card / paper / README figure; None if none found
    nominal: bool  # the stated figure is a size label such as "7B", not a count
    active: int | None  # MoE: stated active parameters
    source: str


PUBLIC = {
    "Llama-2-7B": Public(
        524_288,
        6_738_415_616,
        7_000_000_000,
        True,
        None,
        "config.json of meta-llama/Llama-2-7b-hf (copy abhishek/llama-2-7b-hf-small-shards; "
        "mlc-llm model_preset.py llama2_7b): 32 layers, 32 KV heads, head dim 128; "
        "Llama 2 MODEL_CARD.md '7B'",
    ),
    "Llama-2-13B": Public(
        819_200,
        13_015_864_320,
        13_000_000_000,
        True,
        None,
        "config.json of meta-llama/Llama-2-13b-hf (mlc-llm model_preset.py llama2_13b): "
        "40 layers, 40 KV heads, head dim 128; Llama 2 MODEL_CARD.md '13B'",
    ),
    "Llama-2-70B": Public(
        327_680,
        68_976_648_192,
        70_000_000_000,
        True,
        None,
        "config.json of meta-llama/Llama-2-70b-hf (copy TheBloke/Llama-2-70B-fp16): 80 layers, "
        "8 KV heads (GQA), head dim 128; Llama 2 MODEL_CARD.md '70B'",
    ),
    # Issue 11's check value for "Llama-3-8B": the same shape as Llama 3.1 8B.
    "Llama-3.1-8B": Public(
        131_072,
        8_030_261_248,
        8_000_000_000,
        True,
        None,
        "meta-llama/llama-models sku_list.py @8098c825 and the HF config.json copy in "
        "citsjtu2020/LLM-Prof: 32 layers, 8 KV heads, head dim 128; Llama 3.1 MODEL_CARD.md '8B'",
    ),
    # Issue 11's check value for 70B-class models.
    "Llama-3.1-70B": Public(
        327_680,
        70_553_706_496,
        70_000_000_000,
        True,
        None,
        "meta-llama/llama-models sku_list.py @8098c825 (mlc-llm llama3_1_70b): 80 layers, "
        "8 KV heads, head dim 128; Llama 3.1 MODEL_CARD.md '70B'",
    ),
    "Llama-3.1-405B": Public(
        516_096,
        405_853_388_800,
        405_000_000_000,
        True,
        None,
        "meta-llama/llama-models sku_list.py @8098c825 and HF config.json copies of "
        "Meta-Llama-3.1-405B: 126 layers, 8 KV heads, head dim 128; MODEL_CARD.md '405B'",
    ),
    "Mistral-7B-v0.1": Public(
        131_072,
        7_241_732_096,
        None,
        False,
        None,
        "config.json of mistralai/Mistral-7B-v0.1 (copy mlx-community/mistral-7B-v0.1): "
        "32 layers, 8 KV heads, head dim 128; no stated total found",
    ),
    "Mixtral-8x7B-v0.1": Public(
        131_072,
        46_702_792_704,
        47_000_000_000,
        False,
        13_000_000_000,
        "config.json copy in mlc-llm model_preset.py: 32 layers, 8 KV heads, 8 experts, 2 per "
        "token; Mixtral paper arXiv:2401.04088 '47B' total, 13B active",
    ),
    "Mixtral-8x22B": Public(
        229_376,
        140_620_634_112,
        141_000_000_000,
        False,
        39_000_000_000,
        "config.json of mistral-community/Mixtral-8x22B-v0.1: 56 layers, 8 KV heads; Mistral's "
        "'39B active parameters out of 141B'",
    ),
    "Qwen2.5-7B": Public(
        57_344,
        7_615_616_512,
        7_610_000_000,
        False,
        None,
        "Qwen2.5-7B config.json copy (citsjtu2020/LLM-Prof): 28 layers, 4 KV heads, head dim "
        "128; model card '7.61B'",
    ),
    "Qwen2.5-72B": Public(
        327_680,
        72_706_203_648,
        72_700_000_000,
        False,
        None,
        "Qwen2.5-72B config.json copy (BitStack/BitStack-Qwen2.5-72B): 80 layers, 8 KV heads; "
        "model card '72.7B'",
    ),
    "Gemma-2-9B": Public(
        344_064,
        9_241_705_984,
        None,
        False,
        None,
        "config.json of google/gemma-2-9b (mlc-llm gemma2_9b): 42 layers, 8 KV heads, head dim "
        "256; no stated total found",
    ),
    "Gemma-2-27B": Public(
        376_832,
        27_227_128_320,
        None,
        False,
        None,
        "config.json of google/gemma-2-27b (mlc-llm gemma2_27b, maxtext): 46 layers, 16 KV "
        "heads, head dim 128; no stated total found",
    ),
    "Phi-3-mini (4k)": Public(
        393_216,
        3_821_079_552,
        3_800_000_000,
        False,
        None,
        "config.json of microsoft/Phi-3-mini-4k-instruct (duplicate Alignment-Lab-AI/"
        "idfkphi4kiguess): 32 layers, 32 KV heads, head dim 96; MSR-TR-2024-12 '3.8 billion'",
    ),
    # MLA: (kv_lora_rank 512 + qk_rope_head_dim 64) × 61 layers × 2 bytes.
    "DeepSeek-V3": Public(
        70_272,
        671_026_419_200,
        671_000_000_000,
        False,
        37_000_000_000,
        "deepseek-ai/DeepSeek-V3 inference/configs/config_671B.json (2024-12-26): 61 layers, "
        "kv_lora_rank 512, qk_rope_head_dim 64, 256 experts, 8 per token; README 671B / 37B",
    ),
}


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out), out.getvalue()


def _csv_rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --------------------------------------------------------------------------- the data file


def test_every_preset_row_loads_and_has_its_public_figures() -> None:
    assert [row["model"] for row in _csv_rows("model_architectures.csv")] == list(PUBLIC)
    assert list(load_model_architectures()) == list(PUBLIC)


def test_columns_companion_documents_every_column() -> None:
    with (DATA_DIR / "model_architectures.csv").open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    described = _csv_rows("model_architectures.columns.csv")
    assert [row["column"] for row in described] == header
    assert all(row["description"].strip() and row["default"].strip() for row in described)
    units = {row["column"]: row["unit"] for row in described}
    assert units["total_params"] == "parameters"
    assert units["context_length_tokens"] == "tokens"


def test_every_preset_names_its_source_and_the_reference() -> None:
    for arch in load_model_architectures().values():
        assert "via shared reference model_architectures.csv" in arch.source, arch.name
        assert arch.source_date
        assert arch.stated_total_params_basis


def test_flagged_reference_figures_are_chosen_deliberately() -> None:
    # Early bf16 copies of the 405B config show 16 KV heads; the architecture has 8.
    llama405 = model_architecture("Llama-3.1-405B")
    assert llama405.num_kv_heads == 8
    assert "16" in llama405.notes
    # The reference found no stated total for these: left blank, not guessed from the name.
    for name in ("Mistral-7B-v0.1", "Gemma-2-9B", "Gemma-2-27B"):
        assert model_architecture(name).stated_total_params is None
    deepseek = model_architecture("DeepSeek-V3")
    assert "128K" in deepseek.notes  # the README's context, beside the secondary 163840


# --------------------------------------------------------------------------- KV cache


@pytest.mark.parametrize("name", list(PUBLIC))
def test_kv_bytes_per_token_matches_the_config(name: str) -> None:
    arch = model_architecture(name)
    assert kv_bytes_per_token(arch) == PUBLIC[name].kv_bytes_fp16, PUBLIC[name].source
    fp8 = kv_bytes_per_token(arch, KvPrecision.FP8.bytes_per_element)
    assert fp8 == PUBLIC[name].kv_bytes_fp16 / 2


def test_issue_11_check_values() -> None:
    # Issue 11: GQA with 8 KV heads gives 131,072 bytes for Llama-3-8B, not 607 KB, and
    # 327,680 bytes for 70B-class models, not 2.57 MB.
    assert kv_bytes_per_token(model_architecture("Llama-3.1-8B")) == 131_072
    assert kv_bytes_per_token(model_architecture("Llama-3.1-70B")) == 327_680
    assert kv_bytes_per_token(model_architecture("Llama-2-70B")) == 327_680


def test_mla_caches_the_latent_not_per_head_keys_and_values() -> None:
    deepseek = model_architecture("DeepSeek-V3")
    assert deepseek.attention is AttentionKind.MLA
    # Expanded per head it would be 61 × 128 × (192 + 128) × 2 = 4,997,120 bytes.
    assert kv_bytes_per_token(deepseek) == 70_272
    assert kv_bytes_per_token(deepseek) < 4_997_120 / 70


def test_mqa_keeps_one_kv_head() -> None:
    mqa = dataclasses.replace(
        model_architecture("Llama-3.1-8B"), attention=AttentionKind.MQA, num_kv_heads=1
    )
    assert kv_bytes_per_token(mqa) == 2 * 32 * 1 * 128 * 2


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_kv_bytes_per_element_must_be_positive_and_finite(bad: float) -> None:
    with pytest.raises(PlannerInputError, match="kv_bytes_per_element"):
        kv_bytes_per_token(model_architecture("Llama-3.1-8B"), bad)


# --------------------------------------------------------------------------- parameters


@pytest.mark.parametrize("name", list(PUBLIC))
def test_parameter_counts_match_the_public_figures(name: str) -> None:
    arch, public = model_architecture(name), PUBLIC[name]
    assert total_params(arch) == public.config_params, public.source
    if public.stated_params is not None:
        # A size label such as "7B" is within 4% of the count; a stated count within 1%.
        tolerance = 0.04 if public.nominal else 0.01
        assert total_params(arch) == pytest.approx(public.stated_params, rel=tolerance)
        assert arch.stated_total_params == public.stated_params
    if public.active is None:
        assert active_params(arch) == total_params(arch)
    else:
        assert active_params(arch) == public.active
        assert active_params(arch) < total_params(arch) / 3


# --------------------------------------------------------------------------- invariants


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"num_kv_heads": 32}, "gqa needs"),
        ({"num_kv_heads": 3}, "gqa needs"),
        ({"attention": AttentionKind.MHA}, "mha needs"),
        ({"attention": AttentionKind.MLA}, "as many KV heads"),
        ({"kv_lora_rank": 512}, "kv_lora_rank is set"),
        ({"num_layers": 0}, "num_layers is 0"),
        ({"head_dim": True}, "head_dim is True"),
        ({"num_experts": 8}, "num_experts is 8"),
        ({"active_params": 1_000}, "no experts"),
        ({"source": " "}, "source is blank"),
    ],
)
def test_a_custom_model_is_checked_like_a_preset(changes: dict[str, object], message: str) -> None:
    with pytest.raises(PlannerInputError, match=message):
        dataclasses.replace(model_architecture("Llama-3.1-8B"), **changes)


def test_mixture_of_experts_invariants() -> None:
    mixtral = model_architecture("Mixtral-8x7B-v0.1")
    with pytest.raises(PlannerInputError, match="needs active_params"):
        dataclasses.replace(mixtral, active_params=None)
    with pytest.raises(PlannerInputError, match="above total_params"):
        dataclasses.replace(mixtral, active_params=mixtral.total_params + 1)
    with pytest.raises(PlannerInputError, match="experts_per_token 9"):
        dataclasses.replace(mixtral, experts_per_token=9)


def test_mla_needs_its_latent_dims() -> None:
    with pytest.raises(PlannerInputError, match="mla needs qk_rope_head_dim"):
        dataclasses.replace(model_architecture("DeepSeek-V3"), qk_rope_head_dim=None)


def test_unknown_model_suggests_close_presets() -> None:
    with pytest.raises(PlannerInputError, match=r"unknown model 'Llama-3-8B'.*'Llama-3\.1-8B'"):
        model_architecture("Llama-3-8B")


def _broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    shutil.copy(DATA_DIR / "model_architectures.csv", tmp_path / "model_architectures.csv")
    path = tmp_path / "model_architectures.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # Llama-3.1-8B with as many KV heads as query heads but still called gqa.
        ("Llama-3.1-8B,llama3.1,32,4096,32,8,", "Llama-3.1-8B,llama3.1,32,4096,32,32,", "line 5: "),
        (",128,gqa,", ",128,sparse,", "line 4, column attention"),
        ("Llama-2-7B,llama2,32,", "Llama-2-7B,llama2,32.5,", "line 2, column num_layers"),
        ("Llama-2-13B,", "Llama-2-7B,", "lists 'Llama-2-7B' twice"),
    ],
)
def test_a_bad_file_names_file_and_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    directory = _broken_copy(tmp_path, old, new)
    with pytest.raises(PlannerInputError, match=message) as raised:
        read_model_architectures(directory)
    assert "model_architectures.csv" in str(raised.value)


# --------------------------------------------------------------------------- the CLI


def test_model_json_leads_with_the_contract_keys() -> None:
    status, text = run("model", "Llama-3.1-8B", "--json")
    assert status == 0
    data = json.loads(text)
    assert list(data)[:4] == ["name", "total_params", "active_params", "kv_bytes_per_token"]
    assert data["name"] == "Llama-3.1-8B"
    assert data["kv_bytes_per_token"] == 131_072
    assert data["kv_precision"] == "fp16"
    assert data["total_params"] == data["active_params"] == 8_030_261_248
    assert (data["num_layers"], data["num_kv_heads"], data["attention"]) == (32, 8, "gqa")
    assert "llama-models" in data["source"]


def test_model_json_for_moe_and_fp8() -> None:
    status, text = run("model", "DeepSeek-V3", "--kv-precision", "fp8", "--json")
    assert status == 0
    data = json.loads(text)
    assert data["kv_bytes_per_token"] == 70_272 / 2
    assert data["kv_precision"] == "fp8"
    assert (data["total_params"], data["active_params"]) == (671_026_419_200, 37_000_000_000)
    assert (data["kv_lora_rank"], data["qk_rope_head_dim"]) == (512, 64)


def test_model_list() -> None:
    status, text = run("model", "--list", "--json")
    assert status == 0
    docs = json.loads(text)["models"]
    assert [doc["name"] for doc in docs] == list(PUBLIC)
    assert {doc["name"]: doc["kv_bytes_per_token"] for doc in docs} == {
        name: public.kv_bytes_fp16 for name, public in PUBLIC.items()
    }
    status, table = run("model", "--list")
    assert status == 0
    assert all(name in table for name in PUBLIC)
    assert "131,072" in table


def test_model_text_output() -> None:
    status, text = run("model", "Mixtral-8x7B-v0.1")
    assert status == 0
    assert "active_params" in text
    assert "13,000,000,000" in text


def test_unknown_model_is_one_message_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    status, _ = run("model", "Llama-3-70B", "--json")
    assert status == 2
    message = capsys.readouterr().err
    assert message.startswith("error: unknown model 'Llama-3-70B'")
    assert "'Llama-3.1-70B'" in message
    assert message.count("\n") == 1
    assert "Traceback" not in message


@pytest.mark.parametrize("argv", [("model",), ("model", "Llama-3.1-8B", "--list")])
def test_model_needs_exactly_one_of_name_and_list(
    argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        run(*argv)
    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_python_dash_m_planner_model() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "planner", "model", "Llama-3.1-70B", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["kv_bytes_per_token"] == 327_680
