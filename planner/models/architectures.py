r"""What a model's architecture costs in memory and compute: KV cache bytes and parameters.

A preset comes from :func:`planner.catalog.model_architecture`; a user's own model is a
:class:`~planner.catalog.ModelArchitecture` built in code. Everything here is a pure
function of one architecture.

* The KV cache per token follows the attention kind: multi-head (MHA), grouped-query (GQA)
  and multi-query (MQA) attention keep a key and a value per KV head per layer [1]_ [2]_;
  multi-head latent attention (MLA) keeps one compressed latent and a small RoPE key per
  layer [3]_.
* A mixture of experts runs only its active parameters per token but holds all of them in
  memory, so FLOPs use :func:`active_params` and weight memory :func:`total_params` [4]_.

>>> from planner.catalog import model_architecture
>>> llama = model_architecture("Llama-3.1-8B")
>>> kv_bytes_per_token(llama), kv_bytes_per_token(llama, KvPrecision.FP8.bytes_per_element)
(131072.0, 65536.0)

References
----------
.. [1] N. Shazeer, "Fast Transformer Decoding: One Write-Head is All You Need",
   arXiv:1911.02150, 2019.
.. [2] J. Ainslie et al., "GQA: Training Generalized Multi-Query Transformer Models from
   Multi-Head Checkpoints", arXiv:2305.13245, 2023.
.. [3] DeepSeek-AI, "DeepSeek-V2: A Strong, Economical, and Efficient Mixture-of-Experts
   Language Model", arXiv:2405.04434, 2024, Sec. 2.1 (multi-head latent attention).
.. [4] A. Q. Jiang et al., "Mixtral of Experts", arXiv:2401.04088, 2024.
"""

from __future__ import annotations

import enum
import math

from planner.catalog import AttentionKind, ModelArchitecture
from planner.core.errors import PlannerInputError

__all__ = ["KvPrecision", "active_params", "kv_bytes_per_token", "total_params"]


class KvPrecision(enum.StrEnum):
    """The number format the KV cache is stored in.

    >>> [(str(p), p.bytes_per_element) for p in KvPrecision]
    [('fp16', 2.0), ('fp8', 1.0)]
    """

    FP16 = "fp16"
    FP8 = "fp8"

    @property
    def bytes_per_element(self) -> float:
        """Bytes per cached element [bytes]: 2 for fp16 (or bf16), 1 for fp8."""
        return _KV_BYTES_PER_ELEMENT[self]


_KV_BYTES_PER_ELEMENT = {KvPrecision.FP16: 2.0, KvPrecision.FP8: 1.0}


def kv_bytes_per_token(arch: ModelArchitecture, kv_bytes_per_element: float = 2.0) -> float:
    r"""Bytes of KV cache one token of context holds, over all layers.

    Parameters
    ----------
    arch
        The model's shape.
    kv_bytes_per_element
        Bytes per cached element [bytes], e.g. :attr:`KvPrecision.FP8.bytes_per_element`.
        The default, 2, is a 16-bit cache.

    Returns
    -------
    float
        KV cache per token [bytes]. Divide by 10^6 for MB, not 2^20.

    Raises
    ------
    PlannerInputError
        If ``kv_bytes_per_element`` is not a finite number above 0.

    Notes
    -----
    With :math:`L` layers, :math:`h_{kv}` KV heads of :math:`d_h` elements and :math:`b`
    bytes per element, MHA, GQA and MQA cache a key and a value per KV head per layer:

    .. math::

       k = 2 \, L \, h_{kv} \, d_h \, b    (1)

    MLA caches, per layer, the compressed latent of width :math:`d_c` (``kv_lora_rank``)
    and the decoupled RoPE key of width :math:`d_r` (``qk_rope_head_dim``), shared by all
    heads; attention kernels that absorb the up-projections read that latent directly [3]_:

    .. math::

       k_{MLA} = L \, (d_c + d_r) \, b    (2)

    Both are full-attention figures: on layers with a sliding window the cache of one
    sequence stops growing at the window (see the preset's ``notes``).

    Examples
    --------
    >>> from planner.catalog import model_architecture
    >>> kv_bytes_per_token(model_architecture("Llama-3.1-70B"))  # (1): 2·80·8·128·2
    327680.0
    >>> kv_bytes_per_token(model_architecture("DeepSeek-V3"))  # (2): 61·(512+64)·2
    70272.0
    >>> kv_bytes_per_token(model_architecture("Llama-2-7B"), 0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: kv_bytes_per_element is 0; it must be a finite number ...
    """
    if not (math.isfinite(kv_bytes_per_element) and kv_bytes_per_element > 0):
        raise PlannerInputError(
            f"kv_bytes_per_element is {kv_bytes_per_element!r}; it must be a finite number above 0",
            fix="use 2 for a 16-bit KV cache or 1 for fp8",
        )
    latent, rope = arch.kv_lora_rank, arch.qk_rope_head_dim
    # ModelArchitecture sets both latent dims exactly when the attention is MLA.
    if arch.attention == AttentionKind.MLA and latent is not None and rope is not None:
        elements = arch.num_layers * (latent + rope)
    else:
        elements = 2 * arch.num_layers * arch.num_kv_heads * arch.head_dim
    return float(elements) * kv_bytes_per_element


def total_params(arch: ModelArchitecture) -> int:
    """Parameters the weights hold [parameters]: what weight memory is sized from.

    For a mixture of experts this counts every expert, although each token uses only a few.

    Examples
    --------
    >>> from planner.catalog import model_architecture
    >>> total_params(model_architecture("Mixtral-8x7B-v0.1"))
    46702792704
    """
    return arch.total_params


def active_params(arch: ModelArchitecture) -> int:
    """Parameters one token runs through [parameters]: what FLOPs per token are sized from.

    A dense model uses all of its parameters; a mixture of experts only its active ones
    (the routed experts a token picks, plus attention, shared experts and embeddings) [4]_.

    Examples
    --------
    >>> from planner.catalog import model_architecture
    >>> active_params(model_architecture("Mixtral-8x7B-v0.1"))
    13000000000
    >>> active_params(model_architecture("Llama-3.1-8B"))
    8030261248
    """
    return arch.total_params if arch.active_params is None else arch.active_params
