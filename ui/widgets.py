"""Widget helpers the input modules share.

An input projects one entry of a scenario mapping (``scenario_to_mapping``) and writes the
widget's value back into it; the schema then validates the whole mapping, so a bad value
gets the same message as in a YAML file.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st


@dataclass(frozen=True, slots=True)
class Number:
    """A number input for ``section[name]``; ``options`` go to ``st.number_input``.

    ``optional``: the entry may be unset, and 0 in the input stands for unset.
    """

    name: str
    label: str
    key: str
    options: Mapping[str, Any] = field(default_factory=dict)
    optional: bool = False


def number(where: Any, section: dict[str, Any], spec: Number, key: Callable[[str], str]) -> None:
    """One number input in ``where`` (``st`` or a column), written back into ``section``."""
    value = section[spec.name]
    chosen = where.number_input(
        spec.label,
        value=(value or 0.0) if spec.optional else value,
        key=key(spec.key),
        **spec.options,
    )
    section[spec.name] = (chosen or None) if spec.optional else chosen


def numbers(section: dict[str, Any], specs: Sequence[Number], key: Callable[[str], str]) -> None:
    """Number inputs side by side, one column each."""
    for where, spec in zip(st.columns(len(specs)), specs, strict=True):
        number(where, section, spec, key)


def percent(where: Any, label: str, fraction: float, key: str, *, most: int = 100) -> float:
    """A slider (in ``st`` or a column) in whole percent, 0 to ``most``, for a fraction;
    returns the fraction."""
    chosen: int = where.slider(
        label, min_value=0, max_value=most, value=round(100 * fraction), key=key
    )
    return chosen / 100


def choice(where: Any, label: str, current: enum.StrEnum, key: str, **options: Any) -> str:
    """A select box (in ``st`` or a column) of the members of ``current``'s enum; returns
    the chosen value."""
    values = [str(item) for item in type(current)]
    chosen: str = where.selectbox(
        label, options=values, index=values.index(current), key=key, **options
    )
    return chosen


def labelled_choice(where: Any, label: str, current: enum.StrEnum, key: str, **options: Any) -> str:
    """:func:`choice`, each member shown by its ``label``."""
    kind = type(current)
    return choice(where, label, current, key, format_func=lambda v: kind(v).label, **options)


def plain(value: Any) -> Any:
    """An edited table cell as plain Python: empty cells (None, NaN, NA) become None."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value
