"""Kaplan-Meier estimates with Greenwood standard errors and log-log confidence limits.

Ties follow the usual convention: at a time with both events and censorings the censored persons
still count as at risk (they were censored after the events). A person at risk at time ``t`` is one
whose time is ``>= t``, so zero-length spells are at risk at 0 and may end there. The limits are
pointwise, on the log(-log S) scale (Kalbfleisch and Prentice), so they stay inside [0, 1]; the
variance is Greenwood's, as statsmodels' ``SurvfuncRight`` computes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

__all__ = ["Curve", "kaplan_meier", "loglog_limits"]

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Curve:
    """The estimate at each distinct event time (times without an event do not change it)."""

    time: Floats
    at_risk: Floats
    events: Floats
    survival: Floats
    se: Floats  # Greenwood; nan once the curve reaches 0
    lower: Floats
    upper: Floats

    def at(self, t: float) -> tuple[float, float, float]:
        """Survival and its limits just after time ``t`` (1, 1, 1 before the first event)."""
        i = int(np.searchsorted(self.time, t, side="right")) - 1
        if i < 0:
            return 1.0, 1.0, 1.0
        return float(self.survival[i]), float(self.lower[i]), float(self.upper[i])


def loglog_limits(
    survival: Floats, greenwood_sum: Floats, alpha: float = 0.05
) -> tuple[Floats, Floats]:
    """Pointwise limits S ** exp(-+z * sqrt(sum) / log S); (1, 1) where S is 1, (0, 0) where 0."""
    z = NormalDist().inv_cdf(1 - alpha / 2)
    lower = np.where(survival >= 1.0, 1.0, 0.0)
    upper = lower.copy()
    inside = (survival > 0.0) & (survival < 1.0) & np.isfinite(greenwood_sum)
    s = survival[inside]
    half = z * np.sqrt(greenwood_sum[inside]) / np.abs(np.log(s))
    lower[inside] = s ** np.exp(half)
    upper[inside] = s ** np.exp(-half)
    return lower, upper


def kaplan_meier(time: npt.ArrayLike, event: npt.ArrayLike, alpha: float = 0.05) -> Curve:
    """The product-limit estimate of right-censored ``time`` (``event`` true: the spell ended)."""
    t = np.asarray(time, dtype=np.float64)
    e = np.asarray(event, dtype=bool)
    if t.shape != e.shape or t.ndim != 1:
        raise ValueError("time and event must be one-dimensional and of the same length")
    if t.size and (not np.isfinite(t).all() or (t < 0).any()):
        raise ValueError("times must be finite and not negative")
    unique, inverse = np.unique(t, return_inverse=True)
    events_all = np.bincount(inverse, weights=e.astype(np.float64), minlength=unique.size)
    leaving = np.bincount(inverse, minlength=unique.size).astype(np.float64)
    at_risk_all = np.cumsum(leaving[::-1])[::-1]
    keep = events_all > 0
    times = unique[keep].astype(np.float64)
    n = at_risk_all[keep].astype(np.float64)
    d = events_all[keep].astype(np.float64)
    survival = np.cumprod(1.0 - d / n).astype(np.float64)
    return Curve(times, n, d, survival, *_greenwood(survival, n, d, alpha))


def _greenwood(
    survival: Floats, n: Floats, d: Floats, alpha: float
) -> tuple[Floats, Floats, Floats]:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(n > d, d / (n * (n - d)), np.inf)
    total = np.cumsum(terms)
    se = np.full_like(survival, np.nan)
    finite = np.isfinite(total)
    se[finite] = survival[finite] * np.sqrt(total[finite])
    lower, upper = loglog_limits(survival, total, alpha)
    return se, lower, upper
