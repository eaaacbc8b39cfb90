"""Named summary statistics of one run: the outputs of a sensitivity analysis and the targets of a calibration.

A statistic is one of

* an outcome of :func:`experiments.compute_outcomes` (``final_tumor_cells``,
  ``kills_cd8``, ``responder`` ...; ``response_category`` as the ordinal
  CR=0, PR=1, SD=2, PD=3);
* a derived quantity: ``tumor_doubling_days`` (log-linear fit of tumor cells over
  the run), ``kills_per_cd8_per_day`` (CD8 kills / CD8-T-cell-days present);
* a time-series summary ``ts:<column>:<stat>`` with stat one of mean, min, max,
  final, auc (per day), argmin_day, argmax_day -- e.g. ``ts:marrow_myeloid:argmin_day``
  is the day of the neutrophil nadir.

Over replicate runs a statistic is averaged (so a boolean outcome becomes the
fraction of runs, e.g. the objective response rate).
"""

from __future__ import annotations

import difflib
import math
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .outcomes import OUTCOME_DESCRIPTIONS
from .runner import ExperimentError

__all__ = ["DERIVED", "TS_STATS", "RESPONSE_ORDINAL", "check_statistics", "statistic_value", "describe_statistic"]

RESPONSE_ORDINAL = {"CR": 0.0, "PR": 1.0, "SD": 2.0, "PD": 3.0}
DERIVED = {
    "tumor_doubling_days": "tumor volume doubling time: ln 2 / slope of ln(tumor cells) over the run (days; inf if shrinking)",
    "kills_per_cd8_per_day": "CD8 kills per CD8 T-cell per day present in the tumor (kills / integral of CD8 count over days)",
    "cd8_contact_hours_per_kill": "hours of CD8 contact with tumor cells per CD8 kill (integral of engaged, non-exhausted "
    "CD8 T-cells over hours / kills; Breart et al. 2008 measure ~6 h per CTL per target)",
}
TS_STATS = ("mean", "min", "max", "final", "auc", "argmin_day", "argmax_day")
# time-series columns every run records (a subset; treatments add *_concentration columns)
_NON_NUMERIC_OUTCOMES = {"response_category"}


def describe_statistic(name: str) -> str:
    """One line saying what ``name`` measures."""
    if name in DERIVED:
        return DERIVED[name]
    if name.startswith("ts:"):
        _, col, stat = name.split(":")
        return f"{stat} of the time series '{col}'"
    return OUTCOME_DESCRIPTIONS.get(name, name)


def check_statistics(names: Sequence[str], where: str = "statistic") -> list[str]:
    """Raise :class:`ExperimentError` naming the first unknown statistic; return the names."""
    names = list(names)
    if not names:
        raise ExperimentError(f"no {where}: give at least one (see `tumor-immune list --outcomes`)")
    known = [*OUTCOME_DESCRIPTIONS, *DERIVED]
    for n in names:
        if not isinstance(n, str):
            raise ExperimentError(f"{where} {n!r} must be a name")
        if n.startswith("ts:"):
            parts = n.split(":")
            if len(parts) != 3 or not parts[1] or parts[2] not in TS_STATS:
                raise ExperimentError(f"{where} '{n}': a time-series summary is 'ts:<column>:<stat>' "
                                      f"with stat one of {', '.join(TS_STATS)}")
            continue
        if n not in known:
            close = difflib.get_close_matches(n, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ExperimentError(f"unknown {where} '{n}'{hint} (an outcome, {', '.join(DERIVED)}, "
                                  "or ts:<column>:<stat>)")
    return names


def _ts_stat(ts: pd.DataFrame, col: str, stat: str) -> float:
    if col not in ts:
        raise ExperimentError(f"time series has no column '{col}' (columns: {', '.join(map(str, ts.columns))})")
    y = ts[col].to_numpy(dtype=float)
    d = ts["days"].to_numpy(dtype=float)
    if stat == "mean":
        return float(np.mean(y))
    if stat == "min":
        return float(np.min(y))
    if stat == "max":
        return float(np.max(y))
    if stat == "final":
        return float(y[-1])
    if stat == "auc":
        return float(np.sum(np.diff(d) * (y[1:] + y[:-1]) / 2.0))
    if stat == "argmin_day":
        return float(d[int(np.argmin(y))])
    return float(d[int(np.argmax(y))])  # argmax_day


def statistic_value(name: str, outcomes: Mapping[str, Any], ts: pd.DataFrame) -> float:
    """Value of statistic ``name`` for one run (its outcomes row and sampled time series)."""
    if name.startswith("ts:"):
        _, col, stat = name.split(":")
        return _ts_stat(ts, col, stat)
    if name == "tumor_doubling_days":
        n = ts["tumor_cells"].to_numpy(dtype=float)
        d = ts["days"].to_numpy(dtype=float)
        ok = n > 0
        if ok.sum() < 2 or np.ptp(d[ok]) == 0:
            return math.nan
        slope = np.polyfit(d[ok], np.log(n[ok]), 1)[0]
        return float(math.log(2) / slope) if slope > 0 else math.inf
    if name == "kills_per_cd8_per_day":
        cd8_days = _ts_stat(ts, "cd8_t_cells", "auc")
        return float(outcomes["kills_cd8"]) / cd8_days if cd8_days > 0 else math.nan
    if name == "cd8_contact_hours_per_kill":
        kills = float(outcomes["kills_cd8"])
        return 24.0 * _ts_stat(ts, "cd8_engaged", "auc") / kills if kills > 0 else math.nan
    value = outcomes.get(name, math.nan)
    if name in _NON_NUMERIC_OUTCOMES:
        return RESPONSE_ORDINAL.get(str(value), math.nan)
    if value is None:
        return math.nan
    return float(value)
