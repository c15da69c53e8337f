"""NPS and its 95 % margin of error pooled from counts (contract section 4), for figures the marts do not hold
(the demo's all-time headline, the dashboard's filtered selections).

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


def is_low_sample(responses: Counts, threshold: int) -> np.ndarray:
    """`responses < NPS_LOW_SAMPLE_THRESHOLD`, as the marts' `is_low_sample`."""
    return np.asarray(responses, dtype=float) < threshold
