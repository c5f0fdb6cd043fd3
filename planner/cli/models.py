"""Model commands: ``model NAME`` shows a preset's shape and what it costs in memory;
``model --list`` lists the presets.

With ``--json``, ``model NAME`` prints one JSON object (the keys in the command's help are the
contract and are only ever added to) and ``model --list`` prints ``{"models": [...]}`` with
one such object per preset.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any, TextIO

from planner.catalog import ModelArchitecture, load_model_architectures, model_architecture
from planner.models.architectures import (
    KvPrecision,
    active_params,
    kv_bytes_per_token,
    total_params,
)

_KV_PRECISIONS = [str(p) for p in KvPrecision]


def model_json(arch: ModelArchitecture, kv_precision: KvPrecision) -> dict[str, Any]:
    """The ``model NAME --json`` document: the derived figures, then every field of ``arch``.

    ``active_params`` is the count FLOPs use (all parameters for a dense model), so it
    replaces the field of that name, which is set only for a mixture of experts.

    >>> doc = model_json(model_architecture("Llama-3.1-8B"), KvPrecision.FP16)
    >>> doc["kv_bytes_per_token"], doc["active_params"] == doc["total_params"], doc["attention"]
    (131072.0, True, 'gqa')
    """
    derived = {
        "name": arch.name,
        "total_params": total_params(arch),
        "active_params": active_params(arch),
        "kv_bytes_per_token": kv_bytes_per_token(arch, kv_precision.bytes_per_element),
        "kv_precision": str(kv_precision),
    }
    fields = {key: value for key, value in dataclasses.asdict(arch).items() if key not in derived}
    fields["attention"] = str(arch.attention)
    return derived | fields


def _billions(params: int) -> str:
    return f"{params / 1e9:,.2f}B"


def _print_model(doc: dict[str, Any], out: TextIO) -> None:
    width = max(len(key) for key in doc)
    for key, value in doc.items():
        shown = "" if value is None else f"{value:,}" if isinstance(value, int | float) else value
        out.write(f"{key:<{width}}  {shown}\n")


def _print_list(docs: list[dict[str, Any]], kv_precision: KvPrecision, out: TextIO) -> None:
    kv_header = f"KV bytes/token ({kv_precision})"
    width = max([len(doc["name"]) for doc in docs] + [len("model")])
    out.write(f"{'model':<{width}}  {'attention':<9}  {'total':>9}  {'active':>9}  {kv_header}\n")
    for doc in docs:
        out.write(
            f"{doc['name']:<{width}}  {doc['attention']:<9}  {_billions(doc['total_params']):>9}  "
            f"{_billions(doc['active_params']):>9}  {doc['kv_bytes_per_token']:,.0f}\n"
        )


def _model(args: argparse.Namespace, out: TextIO) -> int:
    kv_precision = KvPrecision(args.kv_precision)
    if args.list:
        docs = [model_json(arch, kv_precision) for arch in load_model_architectures().values()]
        if args.json:
            json.dump({"models": docs}, out, indent=2)
            out.write("\n")
        else:
            _print_list(docs, kv_precision, out)
        return 0
    doc = model_json(model_architecture(args.name), kv_precision)
    if args.json:
        json.dump(doc, out, indent=2)
        out.write("\n")
    else:
        _print_model(doc, out)
    return 0


def register_commands(commands: Any) -> None:
    """Add ``model`` to the CLI's sub-command parsers."""
    model = commands.add_parser(
        "model",
        help="a model preset's shape, parameters and KV cache bytes per token",
        description=(
            "JSON keys: name, total_params (what weight memory holds), active_params (what "
            "FLOPs per token use; below total_params only for a mixture of experts), "
            "kv_bytes_per_token (at --kv-precision, fp16 by default), kv_precision, then the "
            "architecture: family, num_layers, hidden_size, num_attention_heads, num_kv_heads, "
            "head_dim, attention, kv_lora_rank, qk_rope_head_dim, num_experts, "
            "experts_per_token, active_params_basis, stated_total_params, "
            "stated_total_params_basis, context_length_tokens, sliding_window_tokens, source, "
            "source_date, notes."
        ),
    )
    which = model.add_mutually_exclusive_group(required=True)
    which.add_argument("name", nargs="?", help="preset name, e.g. Llama-3.1-8B")
    which.add_argument("--list", action="store_true", help="list every preset")
    model.add_argument(
        "--kv-precision",
        choices=_KV_PRECISIONS,
        default=str(KvPrecision.FP16),
        help="number format of the KV cache",
    )
    model.add_argument("--json", action="store_true", help="print JSON")
    model.set_defaults(run=_model)
