"""Mean and 95% band over replicates: the notebooks' comparisons and the page's ensemble view."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from scipy import stats


def group_mean_ci(frame: pd.DataFrame, value: str, by: Sequence[str] = ("scenario", "days")) -> pd.DataFrame:
    """Mean and 95% t-interval (``low``, ``high``) of ``value`` over replicates, for each group in ``by``.

    A group of one replicate gets a zero-width interval.
    """
    if value not in frame.columns:
        raise KeyError(f"value '{value}' is not a column; columns are {sorted(map(str, frame.columns))}")
    g = frame.groupby(list(by))[value]
    out = g.agg(["mean", "std", "count"]).reset_index()
    half = stats.t.ppf(0.975, np.maximum(out["count"] - 1, 1)) * out["std"] / np.sqrt(out["count"])
    out["low"] = out["mean"] - half.fillna(0.0)
    out["high"] = out["mean"] + half.fillna(0.0)
    return out


def band_plot(ax: Axes, frame: pd.DataFrame, value: str, ylabel: str, by: str = "scenario",
              colors: Mapping[str, str] | None = None, lower: float | None = 0.0, upper: float | None = None,
              highlight: pd.DataFrame | None = None) -> None:
    """Mean curve with a shaded 95% band for each group (band clipped to [lower, upper]).

    ``frame`` is tidy: one row per (group, replicate, day) with columns ``by``,
    ``days`` and ``value``. ``highlight`` (rows of one replicate, same columns)
    is drawn on top as a thin black line, e.g. the replicate being replayed.
    """
    summary = group_mean_ci(frame, value, by=(by, "days"))
    for name in frame[by].unique():  # keep the order in which groups were run
        d = summary[summary[by] == name]
        color = None if colors is None else colors.get(name)
        (line,) = ax.plot(d["days"], d["mean"], label=name, color=color)
        ax.fill_between(d["days"], d["low"].clip(lower, upper), d["high"].clip(lower, upper),
                        color=line.get_color(), alpha=0.2, lw=0)
    if highlight is not None and len(highlight):
        ax.plot(highlight["days"], highlight[value], color="black", lw=1.0, label="this replicate")
    ax.set_xlabel("time (days)")
    ax.set_ylabel(ylabel)
