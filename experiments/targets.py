"""Calibration targets files: observed summary statistics with uncertainty and source, plus priors.

Format (TOML)::

    name = "ctl_killing"
    scenario = "untreated"            # default scenario of the rows (name or .toml)
    days = 20                         # optional run length
    replicates = 2                    # runs per scenario per particle (statistics are averaged)
    [overrides]                       # optional parameter overrides for every run
    "lattice.width_sites" = 60
    [priors]                          # optional: parameters to fit (same keys as a problem file)
    "cd8.kill_rate_per_hour" = { lo = 0.05, hi = 2.0, scale = "log" }

    [[target]]
    id = "C2"
    statistic = "kills_per_cd8_per_day"   # see experiments.summaries
    observed = 9.0
    uncertainty = 3.5                     # one standard deviation (scales the distance)
    source = "Halle 2016 Immunity, doi:10.1016/j.immuni.2016.01.010"
    scenario = "untreated"                # optional, overrides the file's scenario

    [[unmapped]]                          # rows kept for the record that the model cannot simulate yet
    id = "C10"
    source = "..."
    reason = "the model has no IL-6"

The shipped files (``experiments/data/targets/*.toml``) hold the "Fit to these"
rows of the project's calibration-target table.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .runner import ExperimentError
from .summaries import check_statistics

__all__ = ["Target", "TargetSet", "load_targets", "shipped_targets", "TARGETS_DIR"]

TARGETS_DIR = Path(__file__).resolve().parent / "data" / "targets"
_FILE_KEYS = {"name", "description", "scenario", "days", "replicates", "overrides", "priors", "target", "unmapped"}
_ROW_KEYS = {"id", "statistic", "observed", "uncertainty", "source", "scenario", "note"}


@dataclass(frozen=True)
class Target:
    """One observed summary statistic."""

    id: str
    statistic: str
    observed: float
    uncertainty: float
    source: str
    scenario: str
    note: str = ""


@dataclass
class TargetSet:
    """The content of one targets file."""

    name: str
    path: Path | None
    targets: list[Target]
    days: float | None = None
    replicates: int = 1
    overrides: dict[str, Any] = field(default_factory=dict)
    priors: dict[str, dict[str, Any]] = field(default_factory=dict)
    unmapped: list[dict[str, Any]] = field(default_factory=list)

    @property
    def scenarios(self) -> list[str]:
        """Distinct scenarios of the rows, in first-seen order."""
        return list(dict.fromkeys(t.scenario for t in self.targets))


def _num(where: str, value: Any, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ExperimentError(f"{where} = {value!r} must be a finite number")
    if positive and value <= 0:
        raise ExperimentError(f"{where} = {value!r} must be > 0")
    return float(value)


def load_targets(path: str | Path) -> TargetSet:
    """Parse and check a targets file; raise :class:`ExperimentError` naming the bad field."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ExperimentError(f"targets file '{path}': cannot read it ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ExperimentError(f"targets file '{path}': not valid TOML ({exc})") from None
    where = f"targets file '{path.name}'"
    extra = set(data) - _FILE_KEYS
    if extra:
        raise ExperimentError(f"{where}: unknown key(s) {', '.join(sorted(extra))} (allowed: {', '.join(sorted(_FILE_KEYS))})")
    rows = data.get("target", [])
    if not isinstance(rows, list) or not rows:
        raise ExperimentError(f"{where}: no [[target]] rows")
    default_sc = data.get("scenario")
    targets, seen = [], set()
    for i, row in enumerate(rows):
        w = f"{where}, target {row.get('id', i + 1)!r}" if isinstance(row, dict) else f"{where}, target {i + 1}"
        if not isinstance(row, dict):
            raise ExperimentError(f"{w}: must be a table")
        bad = set(row) - _ROW_KEYS
        if bad:
            raise ExperimentError(f"{w}: unknown key(s) {', '.join(sorted(bad))} (allowed: {', '.join(sorted(_ROW_KEYS))})")
        for key in ("id", "statistic", "observed", "uncertainty", "source"):
            if key not in row:
                raise ExperimentError(f"{w}: missing '{key}'")
        if not str(row["source"]).strip():
            raise ExperimentError(f"{w}: 'source' must name where the number comes from")
        check_statistics([row["statistic"]], f"statistic in {w}")
        sc = row.get("scenario", default_sc)
        if not sc:
            raise ExperimentError(f"{w}: no scenario (give one in the row or at the top of the file)")
        tid = str(row["id"])
        if tid in seen:
            raise ExperimentError(f"{w}: id '{tid}' is used twice")
        seen.add(tid)
        targets.append(Target(tid, row["statistic"], _num(f"{w}: observed", row["observed"]),
                              _num(f"{w}: uncertainty", row["uncertainty"], positive=True),
                              str(row["source"]), str(sc), str(row.get("note", ""))))
    reps = data.get("replicates", 1)
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
        raise ExperimentError(f"{where}: replicates = {reps!r} must be a whole number >= 1")
    days = data.get("days")
    if days is not None:
        days = _num(f"{where}: days", days, positive=True)
    overrides = data.get("overrides", {})
    priors = data.get("priors", {})
    for key, val in (("overrides", overrides), ("priors", priors)):
        if not isinstance(val, dict):
            raise ExperimentError(f"{where}: [{key}] must be a table")
    if not all(isinstance(v, dict) for v in priors.values()):
        raise ExperimentError(f"{where}: [priors] must map names to tables like {{ lo = 0.1, hi = 1 }}")
    return TargetSet(str(data.get("name", path.stem)), path, targets, days, reps, dict(overrides),
                     dict(priors), list(data.get("unmapped", [])))


def shipped_targets() -> dict[str, Path]:
    """``{name: path}`` of the targets files that come with the project."""
    return {p.stem: p for p in sorted(TARGETS_DIR.glob("*.toml"))}
