"""Pooling as an alternative to suppression: nothing is hidden, small counts are merged.

Series: consecutive periods are merged until each group reaches the threshold, and the group's
total is spread evenly over its periods (the NBNB study's method for its monthly inflow); a
trailing remainder merges into the group before it. Categories: the smallest category is merged
into ``other`` until every category reaches the threshold. Both preserve the total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Pool", "pool_categories", "pool_series", "round_to_base"]


@dataclass(frozen=True)
class Pool:
    """One pooled group: the member positions (or labels) and their summed count."""

    members: tuple[int, ...]
    total: float

    @property
    def pooled(self) -> bool:
        return len(self.members) > 1


def pool_series(counts: Sequence[float], threshold: float) -> list[Pool]:
    """Groups of consecutive positions whose totals each reach ``threshold`` where possible."""
    groups: list[list[int]] = []
    current: list[int] = []
    running = 0.0
    for i, count in enumerate(counts):
        current.append(i)
        running += count
        if running >= threshold:
            groups.append(current)
            current, running = [], 0.0
    if current:
        if groups:
            groups[-1].extend(current)
        else:
            groups.append(current)
    return [Pool(tuple(g), float(sum(counts[i] for i in g))) for g in groups]


def pool_categories(
    counts: dict[str, float], threshold: float, other: str = "other"
) -> dict[str, str]:
    """Map each category to its published label; small ones merge into ``other``."""
    labels = {k: k for k in counts}
    totals = dict(counts)
    while True:
        small = [k for k, v in totals.items() if v < threshold and k != other]
        if not small and totals.get(other, threshold) >= threshold:
            return labels
        candidates = small or sorted((k for k in totals if k != other), key=lambda k: totals[k])
        if not candidates:
            return labels  # everything is in "other" and it is still small: caller suppresses
        victim = min(candidates, key=lambda k: (totals[k], k))
        totals[other] = totals.get(other, 0.0) + totals.pop(victim)
        for key, label in labels.items():
            if label == victim:
                labels[key] = other


def round_to_base(value: float, base: int) -> float:
    """Round half up to a multiple of ``base`` (5 or 10)."""
    return float(int(value / base + 0.5) * base)
