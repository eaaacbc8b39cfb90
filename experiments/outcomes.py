"""Per-run outcomes computed from one run's time series.

Every run of an experiment becomes one row of ``outcomes.parquet``. The
definitions follow clinical trial read-outs where one exists, adapted to a 2D
tissue window:

**Tumor size.** The lattice is 2D, so the tumor's area is proportional to its
cell count ``N`` and an *equivalent diameter* to ``sqrt(N)``. RECIST 1.1 measures
diameters, so RECIST-like quantities use ``100 * (sqrt(N / N0) - 1)`` (percent
change of equivalent diameter from the baseline ``N0``).

**Baseline.** As in a trial, the baseline is the last scan before treatment: the
size at ``baseline_day``. Experiments set it to the first dose of the earliest
treatment among all their scenarios, so every arm, the untreated one included, is
measured from the same day (day 0 when no scenario is treated; ``--baseline-day``
overrides it). Response, progression and the time to progression are counted
from the baseline; end-of-run counts are not affected.

``best_response_pct``
    RECIST-like best response: the minimum percent change in equivalent diameter
    from baseline over all recorded times from the *first assessment* on
    (``FIRST_ASSESSMENT_DAY`` = 7 days after baseline, or the end of a shorter run); -100 means
    eradicated. Trials scan every 6-9 weeks; with a 30-day tissue window we
    assess continuously after a first week, so a tumor that only grows shows its
    growth (a positive bar in the waterfall) rather than its size in the first
    hour. This is the number shown in waterfall plots.
``best_burden_change_pct``
    The same minimum on cell count (tumor burden) instead of diameter.
``response_category``
    RECIST-like best overall response: ``NE`` (not evaluable) if there was no
    tumor at the baseline; ``CR`` if the tumor was eradicated (0
    cells at any time); ``PR`` if ``best_response_pct <= -30``; ``PD`` if
    ``best_response_pct >= +20`` (larger than baseline by 20% at every
    assessment); ``SD`` otherwise. ``responder`` is CR or PR.
``progressed`` / ``time_to_progression_days``
    RECIST-like progression: the first time the equivalent diameter is at least
    20% above its *nadir so far* (the smallest size since day 0, baseline
    included, nothing before it) -- i.e. ``N(t) >= 1.44 * min_{s<=t} N(s)`` -- and the tumor has
    gained at least ``MIN_PROGRESSION_CELLS`` cells over that nadir (RECIST's
    5 mm absolute minimum, which keeps noise at tiny sizes from counting). An
    eradicated tumor cannot progress. Runs that never progress are censored at
    the end of the run: ``progressed = False`` and the time is the run's duration.
    The time is counted in days since baseline. These two columns feed the
    Kaplan-Meier curves.

Other outcomes are end-of-run counts (``disseminated_cells``, ``metastatic_seeds``,
``kills_*``, immune composition, bone and lung metastasis and their cells), time averages (``mean_relative_burden``,
``mean_interferon``, ``mean_osm_effective``) or extremes (``peak_cd8_t_cells``,
``marrow_*_nadir`` for myelosuppression).
"""

from __future__ import annotations

import numbers
from typing import Any, Mapping

import numpy as np
import pandas as pd

__all__ = [
    "PR_THRESHOLD_PCT",
    "PD_THRESHOLD_PCT",
    "MIN_PROGRESSION_CELLS",
    "FIRST_ASSESSMENT_DAY",
    "OUTCOME_DESCRIPTIONS",
    "HEADLINE_OUTCOMES",
    "SERIES_COLUMNS",
    "compute_outcomes",
    "outcomes_from_series",
    "diameter_change_pct",
    "time_to_progression",
    "is_real",
]

PR_THRESHOLD_PCT = -30.0  # RECIST 1.1 partial response: >= 30% decrease in diameter
PD_THRESHOLD_PCT = 20.0  # RECIST 1.1 progression: >= 20% increase over the nadir
MIN_PROGRESSION_CELLS = 20  # absolute minimum growth over the nadir (RECIST's 5 mm rule)
FIRST_ASSESSMENT_DAY = 7.0  # choice: first "scan" one week after baseline (trials: 6-9 weeks; our window is 30 days)

OUTCOME_DESCRIPTIONS: dict[str, str] = {
    "baseline_day": "day of the RECIST baseline (first dose of the experiment's earliest treatment; 0 if none)",
    "baseline_tumor_cells": "tumor cells at the baseline day",
    "final_tumor_cells": "tumor cells at the end of the run",
    "final_relative_burden": "final tumor cells / baseline",
    "min_tumor_cells": "smallest tumor size from baseline on (cells)",
    "nadir_day": "day of the smallest tumor size from baseline on",
    "mean_relative_burden": "time-averaged tumor cells / baseline, from baseline on",
    "best_response_pct": "RECIST-like best response: min % change of equivalent diameter from baseline, from 7 days after it",
    "best_burden_change_pct": "min % change of tumor cell count from baseline, from 7 days after it",
    "final_response_pct": "% change of equivalent diameter from baseline at the end",
    "response_category": "NE (no tumor at baseline), CR (eradicated), PR (best <= -30%), PD (best >= +20%), else SD",
    "responder": "1 if CR or PR",
    "eradicated": "1 if the tumor reached 0 cells",
    "eradication_day": "first day with 0 tumor cells (NaN if never)",
    "progressed": "1 if RECIST-like progression (diameter >= 1.2 x nadir so far) happened",
    "time_to_progression_days": "days from baseline to progression, or to the end of the run if censored",
    "disseminated_cells": "tumor cells that left through vessels (cumulative)",
    "metastatic_seeds": "disseminated cells that seeded a metastasis (cumulative)",
    "bone_metastasis": "1 if a bone cluster reached bone.detection_cells",
    "bone_metastasis_day": "first day a bone cluster reached detection size (NaN if never)",
    "final_bone_tumor_cells": "tumor cells in bone at the end",
    "lung_metastasis": "1 if a lung cluster reached lung.detection_cells",
    "final_lung_tumor_cells": "tumor cells in the lung at the end",
    "kills_cd8": "tumor cells killed by CD8 T-cells",
    "kills_macrophage": "tumor cells killed by M1 macrophages",
    "kills_chemotherapy": "tumor cells killed by chemotherapy",
    "kills_radiotherapy": "tumor cells killed by radiotherapy",
    "kills_surgery": "tumor cells removed by surgery",
    "kills_necrosis": "tumor cells lost to necrosis beyond the oxygen limit (off by default)",
    "kills_immune": "kills by CD8 T-cells and macrophages",
    "kills_total": "all tumor cell deaths counted by cause",
    "divisions": "tumor cell divisions",
    "final_cd8_t_cells": "CD8 T-cells at the end",
    "final_cd8_exhausted_fraction": "fraction of CD8 T-cells exhausted at the end",
    "final_regulatory_t_cells": "regulatory T-cells at the end",
    "final_neutrophils": "neutrophils at the end",
    "final_macrophages_m1": "M1 macrophages at the end",
    "final_macrophages_m2": "M2 macrophages at the end",
    "final_cd8_treg_ratio": "CD8 / max(Treg, 1) at the end",
    "peak_cd8_t_cells": "largest CD8 T-cell count during the run",
    "final_mean_antigenicity": "mean tumor antigenicity at the end (NaN if eradicated)",
    "final_mean_pd_l1": "mean tumor PD-L1 engagement at the end (NaN if eradicated)",
    "marrow_myeloid_nadir": "lowest myeloid marrow output (1 = healthy): myelosuppression",
    "marrow_lymphoid_nadir": "lowest lymphoid marrow output (1 = healthy)",
    "mean_interferon": "time-averaged mean interferon field",
    "mean_osm_effective": "time-averaged mean un-neutralized oncostatin M",
    "duration_days": "simulated days",
}

# the columns compute_outcomes reads at every row; every other column is read at the last row only
SERIES_COLUMNS = (
    "days",
    "tumor_cells",
    "cd8_t_cells",
    "marrow_myeloid",
    "marrow_lymphoid",
    "interferon_mean",
    "osm_effective_mean",
)

# outcomes printed in the summary and drawn in the box/strip figure
HEADLINE_OUTCOMES = (
    "final_tumor_cells",
    "best_response_pct",
    "time_to_progression_days",
    "disseminated_cells",
    "metastatic_seeds",
    "kills_cd8",
)


def is_real(x: Any) -> bool:
    """A real number (numpy scalars included), not a bool."""
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def diameter_change_pct(cells: np.ndarray | float, baseline: float) -> np.ndarray:
    """Percent change of the equivalent diameter (``sqrt`` of the cell count) from ``baseline``."""
    cells = np.asarray(cells, dtype=float)
    if baseline <= 0:
        return np.full_like(cells, np.nan)
    return 100.0 * (np.sqrt(cells / baseline) - 1.0)


def time_to_progression(
    days: np.ndarray,
    cells: np.ndarray,
    threshold_pct: float = PD_THRESHOLD_PCT,
    min_cells: float = MIN_PROGRESSION_CELLS,
) -> tuple[bool, float]:
    """RECIST-like progression: ``(progressed, day)``; censored at ``days[-1]``.

    Progression is the first time the equivalent diameter is ``threshold_pct``
    percent above the nadir so far (baseline included) and the tumor has gained
    at least ``min_cells`` cells over that nadir. A nadir of 0 (eradication) never
    progresses.
    """
    days = np.asarray(days, dtype=float)
    cells = np.asarray(cells, dtype=float)
    if cells.size == 0:
        return False, float("nan")
    nadir = np.minimum.accumulate(cells)
    factor = (1.0 + threshold_pct / 100.0) ** 2  # diameter -> area (cell count)
    hit = (nadir > 0) & (cells >= factor * nadir) & (cells - nadir >= min_cells)
    idx = np.flatnonzero(hit)
    if idx.size:
        return True, float(days[idx[0]])
    return False, float(days[-1])


def _f(x: Any) -> float:
    return float(x) if x is not None else float("nan")


def compute_outcomes(
    ts: pd.DataFrame,
    first_assessment_day: float = FIRST_ASSESSMENT_DAY,
    baseline_day: float = 0.0,
) -> dict[str, Any]:
    """One run's outcomes from its (full-resolution) model time series.

    Args:
        ts: the data collector's table (columns ``days``, ``tumor_cells``, ...).
        first_assessment_day: best response is taken over times at least this many
            days after the baseline (or the last time point, for shorter runs).
        baseline_day: the RECIST baseline: the last recorded time at or before it
            (a dose on that day acts during the step that starts then, so this
            row is always pre-treatment); response and progression are measured
            from here. Must be >= 0 and within the run.

    Returns:
        ``{outcome_name: value}``; see :data:`OUTCOME_DESCRIPTIONS` and the module docstring.
    """
    return outcomes_from_series(ts, ts.iloc[-1], first_assessment_day, baseline_day)


def outcomes_from_series(
    series: pd.DataFrame,
    last: Mapping[str, Any],
    first_assessment_day: float = FIRST_ASSESSMENT_DAY,
    baseline_day: float = 0.0,
) -> dict[str, Any]:
    """:func:`compute_outcomes` from what it reads: ``series``, a table with (at least) the columns of
    :data:`SERIES_COLUMNS` it has, at every recorded time, and ``last``, the last row of the whole
    table (every column, in the table's column order; a row ``Series`` or a dict). Given the same
    values, the same outcomes bit for bit: ``experiments.outcome_trace`` records only these columns
    at every step, so a run that keeps a sampled time series need not collect a full row per step.
    """
    ts = series
    all_days = ts["days"].to_numpy(dtype=float)
    if not (is_real(baseline_day) and 0.0 <= baseline_day <= all_days[-1] + 1e-9):
        raise ValueError(
            f"baseline_day = {baseline_day!r} must be a number of days between 0 and the run's end ({all_days[-1]:g})"
        )
    start = max(int(np.searchsorted(all_days, float(baseline_day) + 1e-9, side="right")) - 1, 0)
    abs_days = all_days[start:]
    days = abs_days - abs_days[0]  # time since baseline
    all_n = ts["tumor_cells"].to_numpy(dtype=float)
    n = all_n[start:]
    n0 = float(n[0])
    assessed = days >= min(first_assessment_day, days[-1]) - 1e-9
    n_after = n[assessed]

    out: dict[str, Any] = {
        "duration_days": float(all_days[-1]),
        "baseline_day": float(abs_days[0]),
        "baseline_tumor_cells": n0,
        "final_tumor_cells": float(n[-1]),
        "final_relative_burden": float(n[-1] / n0) if n0 > 0 else float("nan"),
        "min_tumor_cells": float(n.min()),
        "nadir_day": float(abs_days[int(np.argmin(n))]),
    }
    if days.size > 1 and days[-1] > days[0] and n0 > 0:
        out["mean_relative_burden"] = float(np.trapezoid(n / n0, days) / (days[-1] - days[0]))
    else:
        out["mean_relative_burden"] = out["final_relative_burden"]

    best = float(np.min(diameter_change_pct(n_after, n0)))
    final_pct = float(diameter_change_pct(n[-1], n0))
    eradicated = bool((all_n == 0).any())
    if n0 <= 0:
        category = "NE"  # no measurable disease at baseline: not evaluable (RECIST)
    elif eradicated:
        category = "CR"
    elif best <= PR_THRESHOLD_PCT:
        category = "PR"
    elif best >= PD_THRESHOLD_PCT:
        category = "PD"
    else:
        category = "SD"
    progressed, ttp = time_to_progression(days, n)
    out.update(
        {
            "best_response_pct": best,
            "best_burden_change_pct": float(100.0 * (n_after.min() / n0 - 1.0)) if n0 > 0 else float("nan"),
            "final_response_pct": final_pct,
            "response_category": category,
            "responder": category in ("CR", "PR"),
            "eradicated": eradicated,
            "eradication_day": float(all_days[int(np.flatnonzero(all_n == 0)[0])]) if eradicated else float("nan"),
            "progressed": progressed,
            "time_to_progression_days": ttp,
        }
    )

    for col in ("disseminated_cells", "metastatic_seeds", "divisions"):
        out[col] = _f(last.get(col))
    # the distant organs (model.biology.bone_niche, lung_niche): whether, when, how much
    out["bone_metastasis"] = bool(_f(last.get("bone_metastasis", 0.0)))
    out["bone_metastasis_day"] = _f(last.get("bone_metastasis_day"))
    out["final_bone_tumor_cells"] = _f(last.get("bone_tumor_cells"))
    out["lung_metastasis"] = bool(_f(last.get("lung_metastasis", 0.0)))
    out["final_lung_tumor_cells"] = _f(last.get("lung_tumor_cells"))
    kill_cols = [c for c in last.keys() if c.startswith("kills_")]
    for col in kill_cols:
        out[col] = _f(last[col])
    out["kills_immune"] = _f(last.get("kills_cd8", 0.0)) + _f(last.get("kills_macrophage", 0.0))
    out["kills_total"] = float(sum(_f(last[c]) for c in kill_cols))

    cd8 = _f(last.get("cd8_t_cells"))
    treg = _f(last.get("regulatory_t_cells"))
    out.update(
        {
            "final_cd8_t_cells": cd8,
            "final_cd8_exhausted_fraction": _f(last.get("cd8_exhausted")) / cd8 if cd8 > 0 else float("nan"),
            "final_regulatory_t_cells": treg,
            "final_neutrophils": _f(last.get("neutrophils")),
            "final_macrophages_m1": _f(last.get("macrophages_m1")),
            "final_macrophages_m2": _f(last.get("macrophages_m2")),
            "final_cd8_treg_ratio": cd8 / max(treg, 1.0),
            "peak_cd8_t_cells": float(ts["cd8_t_cells"].max()) if "cd8_t_cells" in ts else float("nan"),
            "final_mean_antigenicity": _f(last.get("mean_antigenicity")),
            "final_mean_pd_l1": _f(last.get("mean_pd_l1")),
            "marrow_myeloid_nadir": float(ts["marrow_myeloid"].min()) if "marrow_myeloid" in ts else float("nan"),
            "marrow_lymphoid_nadir": float(ts["marrow_lymphoid"].min()) if "marrow_lymphoid" in ts else float("nan"),
            "mean_interferon": float(ts["interferon_mean"].mean()) if "interferon_mean" in ts else float("nan"),
            "mean_osm_effective": float(ts["osm_effective_mean"].mean()) if "osm_effective_mean" in ts else float("nan"),
        }
    )
    # plain Python types (JSON-friendly)
    return {k: (bool(v) if isinstance(v, (bool, np.bool_)) else v) for k, v in out.items()}
