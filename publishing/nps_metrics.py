"""NPS, its 95 % margin of error and its adjusted-Wald interval pooled from counts (contract section 4), for
figures the marts do not hold (the demo's all-time headline, the dashboard's filtered selections).

The marts compute the same figures in SQL (dbt macros); `tests/publishing/test_nps_metrics.py` holds this
module against them: pooled over a year's months it gives the year row of `marts.nps_by_period`, pooled over
segments or channels the period's row. Pool counts, never average NPS values.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

Counts = float | int | npt.ArrayLike


def nps_and_moe(promoters: Counts, detractors: Counts, responses: Counts) -> tuple[np.ndarray, np.ndarray]:
    """Element-wise NPS and 95 % margin of error; NaN where there are no responses."""
    p, d, n = (np.asarray(value, dtype=float) for value in (promoters, detractors, responses))
    with np.errstate(divide="ignore", invalid="ignore"):
        share_p, share_d = p / n, d / n
        nps = np.where(n > 0, 100.0 * (share_p - share_d), np.nan)
        moe = np.where(n > 0, 196.0 * np.sqrt((share_p + share_d - (share_p - share_d) ** 2) / n), np.nan)
    return nps, moe


def pooled_nps(promoters: float, detractors: float, responses: float) -> tuple[float | None, float | None]:
    """NPS and its 95 % margin of error of pooled counts; (None, None) when there are no responses."""
    nps, moe = (float(value) for value in nps_and_moe(promoters, detractors, responses))
    return (None if math.isnan(nps) else nps), (None if math.isnan(moe) else moe)


def nps_interval(promoters: Counts, detractors: Counts, responses: Counts) -> tuple[np.ndarray, np.ndarray]:
    """Element-wise 95 % adjusted-Wald interval of the NPS (the dbt macro `nps_adjusted_wald`): n' = n + 3,
    p'P = (P + 0.75) / n', p'D = (D + 0.75) / n', 100 (p'P - p'D) -/+ 196 sqrt((p'P + p'D - (p'P - p'D)^2) / n'),
    clipped to -100..100. Defined at every n (no responses: the prior's -80.0..80.0), never of zero width."""
    p, d, n = (np.asarray(value, dtype=float) for value in (promoters, detractors, responses))
    n_adj = n + 3.0
    share_p, share_d = (p + 0.75) / n_adj, (d + 0.75) / n_adj
    centre = 100.0 * (share_p - share_d)
    half_width = 196.0 * np.sqrt((share_p + share_d - (share_p - share_d) ** 2) / n_adj)
    return np.maximum(-100.0, centre - half_width), np.minimum(100.0, centre + half_width)


def pooled_interval(promoters: float, detractors: float, responses: float) -> tuple[float, float]:
    """The 95 % adjusted-Wald interval of pooled counts."""
    low, high = nps_interval(promoters, detractors, responses)
    return float(low), float(high)


def is_low_sample(responses: Counts, threshold: int) -> np.ndarray:
    """`responses < NPS_LOW_SAMPLE_THRESHOLD`, as the marts' `is_low_sample`."""
    return np.asarray(responses, dtype=float) < threshold
