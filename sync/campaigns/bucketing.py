"""Deterministic A/B bucketing: the same visitor gets the same variant, on every server.

A visitor's point in [0, 2^64) is the first 8 bytes of SHA-256(seed ":" visitor); the
variants' weights cut that range into consecutive shares, in the variants' order. Nothing
is stored and nothing is random per process, so any number of web workers agree, and
changing one campaign's seed reshuffles only that campaign. (Exposures pin the variant a
visitor has already seen, so a later change of weights moves only newcomers.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol, TypeVar

SPACE = 1 << 64


class Weighted(Protocol):
    weight: int


W = TypeVar("W", bound=Weighted)


def point(seed: str, visitor: str) -> int:
    """The visitor's point in [0, 2^64) for this seed."""
    digest = hashlib.sha256(f"{seed}:{visitor}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def index_for(seed: str, visitor: str, weights: Sequence[int]) -> int | None:
    """The index of the chosen weight, or None when every weight is zero."""
    shown = [index for index, weight in enumerate(weights) if weight > 0]
    if len(shown) <= 1:  # nothing to draw between: no hash needed
        return shown[0] if shown else None
    total = sum(weights[index] for index in shown)
    # Exact integer scaling of the point onto [0, total): no float rounding at the edges.
    target = point(seed, visitor) * total // SPACE
    running = 0
    for index, weight in enumerate(weights):
        if weight <= 0:
            continue
        running += weight
        if target < running:
            return index
    return None  # unreachable: target < total


def choose(seed: str, visitor: str, variants: Sequence[W]) -> W | None:
    """The variant this visitor sees (None when no variant has weight)."""
    index = index_for(seed, visitor, [v.weight for v in variants])
    return None if index is None else variants[index]
