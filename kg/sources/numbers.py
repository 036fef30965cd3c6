"""Numbers as the registry writes them: exact decimals, "NA", p-values with a relation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = ["BadValue", "PValue", "count_of", "decimal_or_na", "p_value"]

# what the registry writes for a value it does not have
_NOT_AVAILABLE = {"na", "n/a", "nr", "ne", "not available", "not estimable", ""}
_P = re.compile(r"^\s*(?:p\s*)?(<=|>=|≤|≥|<|>|=)?\s*(\d*\.?\d+(?:[eE]-?\d+)?)\s*$", re.I)
_RELATIONS = {"≤": "<=", "≥": ">="}


class BadValue(ValueError):
    """A value that is not what its field must hold (the message says what was found)."""


def decimal_or_na(raw: object) -> Decimal | None:
    """An exact decimal, or None for the registry's "NA"; anything else is :class:`BadValue`."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise BadValue(f"expected a number, got {raw!r}")
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw))
    text = str(raw).strip()
    if text.lower() in _NOT_AVAILABLE:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BadValue(f"not a number: {raw!r}") from None
    if not value.is_finite():
        raise BadValue(f"not a finite number: {raw!r}")
    return value


def count_of(raw: object) -> int | None:
    """A whole count of 0 or more (None for "NA")."""
    value = decimal_or_na(raw)
    if value is None:
        return None
    if value != value.to_integral_value() or value < 0:
        raise BadValue(f"not a count (a whole number, 0 or more): {raw!r}")
    return int(value)


@dataclass(frozen=True)
class PValue:
    """A p-value and how it relates to the stated number (``<0.001``: relation ``<``)."""

    value: Decimal
    relation: str = "="


def p_value(raw: object) -> PValue | None:
    """``0.0004``, ``<0.001``, ``<.001``, ``≤0.05`` (None for "NA")."""
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in _NOT_AVAILABLE):
        return None
    match = _P.match(str(raw))
    if not match:
        raise BadValue(f"not a p-value: {raw!r}")
    relation = _RELATIONS.get(match[1] or "=", match[1] or "=")
    value = Decimal(match[2] if not match[2].startswith(".") else "0" + match[2])
    if not Decimal(0) <= value <= Decimal(1):
        raise BadValue(f"a p-value lies within 0-1, got {raw!r}")
    return PValue(value, relation)
