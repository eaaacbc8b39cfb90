"""Which parameters vary, and over what range: the "problem" of a sensitivity analysis or a prior.

A :class:`Problem` lists dotted parameter names (model parameters such as
``cd8.kill_rate_per_hour`` or treatment fields such as ``checkpoint_blockade.dose``)
with a closed range each and a scale (``linear`` or ``log``). Ranges default to
the parameter's declared range (``Parameters.leaves()``); ``around = F`` asks for
a range of +/- F around the scenario's value in log space (``[v / (1 + F), v * (1 + F)]``),
clipped to the declared limits. A small TOML file can say the same::

    around = 0.5                      # default for the parameters below without lo/hi
    [parameters]
    "cd8.kill_rate_per_hour" = { lo = 0.05, hi = 1.0, scale = "log" }
    "tumor.division_rate_per_hour" = {}            # +/- 50 % (the file's `around`)
    "checkpoint_blockade.dose" = { lo = 1, hi = 10 }  # treatment fields need lo/hi

Samplers work in the unit cube; :meth:`Problem.to_values` maps a unit point to
parameter values, so indices are the same whatever the scale.
"""

from __future__ import annotations

import argparse
import difflib
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from model import TREATMENTS, make_treatment

from .runner import ExperimentError

__all__ = ["Problem", "build_problem", "load_problem_file", "declared_parameters", "SCREEN_EXCLUDED_GROUPS", "range_arg"]

# Lattice size, step and sampling are numerics, not biology: `--all` leaves them out.
SCREEN_EXCLUDED_GROUPS = ("lattice.",)


@dataclass(frozen=True)
class Problem:
    """Parameters with ranges: the input space of a sensitivity analysis or the support of a prior."""

    names: tuple[str, ...]
    lows: tuple[float, ...]
    highs: tuple[float, ...]
    scales: tuple[str, ...]
    defaults: tuple[float, ...]
    units: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    integer: tuple[bool, ...] = field(default=())

    @property
    def dim(self) -> int:
        """Number of parameters."""
        return len(self.names)

    def salib(self) -> dict[str, Any]:
        """The SALib problem: every input in the unit interval (scales are applied by :meth:`to_values`)."""
        return {"num_vars": self.dim, "names": list(self.names), "bounds": [[0.0, 1.0]] * self.dim}

    def to_values(self, unit: np.ndarray) -> np.ndarray:
        """Map unit-cube points (rows) to parameter values (linear or log scale per column)."""
        u = np.atleast_2d(np.asarray(unit, dtype=float))
        out = np.empty_like(u)
        for j, (lo, hi, sc) in enumerate(zip(self.lows, self.highs, self.scales)):
            if sc == "log":
                out[:, j] = np.exp(math.log(lo) + u[:, j] * (math.log(hi) - math.log(lo)))
            else:
                out[:, j] = lo + u[:, j] * (hi - lo)
            if self.integer and self.integer[j]:
                out[:, j] = np.round(out[:, j])
        return out

    def to_unit(self, values: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_values` (without the rounding of whole-number parameters)."""
        v = np.atleast_2d(np.asarray(values, dtype=float))
        out = np.empty_like(v)
        for j, (lo, hi, sc) in enumerate(zip(self.lows, self.highs, self.scales)):
            if sc == "log":
                out[:, j] = (np.log(v[:, j]) - math.log(lo)) / (math.log(hi) - math.log(lo))
            else:
                out[:, j] = (v[:, j] - lo) / (hi - lo)
        return out

    def overrides(self, row: Sequence[float]) -> dict[str, Any]:
        """``{name: value}`` for one row of :meth:`to_values` (whole numbers as ``int``)."""
        return {
            n: (int(round(v)) if self.integer and self.integer[j] else float(v))
            for j, (n, v) in enumerate(zip(self.names, row))
        }

    def to_json(self) -> dict[str, Any]:
        """JSON-friendly description (for the manifest and the report)."""
        return {
            n: {"lo": lo, "hi": hi, "scale": sc, "default": d}
            for n, lo, hi, sc, d in zip(self.names, self.lows, self.highs, self.scales, self.defaults)
        }

    def table(self):
        """One row per parameter: name, lo, hi, scale, default, unit, source."""
        return pd.DataFrame({
            "parameter": list(self.names), "lo": list(self.lows), "hi": list(self.highs),
            "scale": list(self.scales), "default": list(self.defaults),
            "unit": list(self.units) or [""] * self.dim, "source": list(self.sources) or [""] * self.dim,
        })


def declared_parameters(scenario) -> dict[str, tuple[float, str, tuple, str]]:
    """``{name: (scenario value, unit, (lo, hi), source)}`` for every model parameter of ``scenario``."""
    return {n: (v, u, rng, src) for n, v, u, rng, src in scenario.parameters().leaves()}


def _treatment_value(scenario, name: str) -> Any:
    """The value of ``<treatment>.<field>`` in ``scenario``, or ``None`` if it is not a treatment field."""
    head, _, rest = name.partition(".")
    if head not in TREATMENTS:
        return None
    for spec in scenario.treatments:
        if spec.get("type") == head:
            full = make_treatment(spec, None).spec()
            if rest not in full or rest == "type":
                allowed = [k for k in full if k != "type"]
                close = difflib.get_close_matches(rest, allowed, n=1)
                hint = f"; did you mean '{head}.{close[0]}'?" if close else ""
                raise ExperimentError(f"parameter '{name}': {head} has no field '{rest}'{hint}")
            return full[rest]
    raise ExperimentError(
        f"parameter '{name}': scenario '{scenario.name}' has no {head} treatment "
        f"(its treatments: {', '.join(t['type'] for t in scenario.treatments) or 'none'})"
    )


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ExperimentError(f"{where} = {value!r} must be a finite number")
    return float(value)


def _range_around(name: str, value: float, around: float, lo: float | None, hi: float | None) -> tuple[float, float, str]:
    if value > 0:
        a, b, scale = value / (1.0 + around), value * (1.0 + around), "log"
    else:
        # a zero default has no log neighbourhood: take the lower `around` share of the declared range
        if lo is None or hi is None:
            raise ExperimentError(f"parameter '{name}': its value is {value:g}; give lo and hi explicitly")
        a, b, scale = lo, lo + min(around, 1.0) * (hi - lo), "linear"
    if lo is not None:
        a = max(a, lo)
    if hi is not None:
        b = min(b, hi)
    return a, b, scale


def build_problem(
    scenario,
    names: Sequence[str] = (),
    *,
    all_parameters: bool = False,
    ranges: Mapping[str, Mapping[str, Any]] | None = None,
    around: float | None = None,
) -> Problem:
    """Resolve parameter names and ranges against ``scenario``; raise :class:`ExperimentError` on bad input.

    Args:
        scenario: a validated :class:`model.TherapyScenario` (its values are the defaults).
        names: dotted parameter names (model parameters or ``<treatment>.<field>``).
        all_parameters: add every model parameter except the lattice group.
        ranges: per-name ``{"lo", "hi", "scale", "around"}`` (from a problem file or ``--range``).
        around: default relative half-width in log space; ``None`` = the declared range.
    """
    if around is not None:
        around = _number("around", around)
        if around <= 0:
            raise ExperimentError(f"around = {around:g} must be > 0 (e.g. 0.5 for +/- 50 % in log space)")
    declared = declared_parameters(scenario)
    ranges = {k: dict(v) for k, v in (ranges or {}).items()}
    wanted = list(dict.fromkeys([*names, *ranges]))
    if all_parameters:
        wanted += [n for n in declared if not n.startswith(SCREEN_EXCLUDED_GROUPS) and n not in wanted]
    if not wanted:
        raise ExperimentError("no parameters: give --param NAME (repeatable), --all, or a problem file with [parameters]")
    rows = []
    for name in wanted:
        spec = ranges.get(name, {})
        unknown = set(spec) - {"lo", "hi", "scale", "around"}
        if unknown:
            raise ExperimentError(f"parameter '{name}': unknown range key(s) {', '.join(sorted(unknown))} "
                                  "(allowed: lo, hi, scale, around)")
        if name in declared:
            value, unit, (dlo, dhi), source = declared[name]
            integer = isinstance(value, int) and not isinstance(value, bool)
        else:
            value = _treatment_value(scenario, name)
            if value is None:
                close = difflib.get_close_matches(name, list(declared), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise ExperimentError(f"unknown parameter '{name}'{hint} (a dotted model parameter, see "
                                      "`tumor-immune list --parameters`, or '<treatment>.<field>')")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ExperimentError(f"parameter '{name}' = {value!r} is not numeric and cannot be varied")
            unit, dlo, dhi, source, integer = "treatment field", 0.0, None, "scenario", isinstance(value, int)
        value = float(value)
        p_around = spec.get("around", around)
        if "lo" in spec or "hi" in spec:
            if "lo" not in spec or "hi" not in spec:
                raise ExperimentError(f"parameter '{name}': give both lo and hi")
            lo, hi = _number(f"{name}.lo", spec["lo"]), _number(f"{name}.hi", spec["hi"])
            scale = "linear"
        elif p_around is not None:
            lo, hi, scale = _range_around(name, value, _number(f"{name}.around", p_around), dlo, dhi)
        else:
            if dlo is None or dhi is None:
                raise ExperimentError(f"parameter '{name}' has no declared range; give lo and hi (or around)")
            lo, hi, scale = float(dlo), float(dhi), "linear"
        scale = spec.get("scale", scale)
        if scale not in ("linear", "log"):
            raise ExperimentError(f"parameter '{name}': scale = {scale!r} must be 'linear' or 'log'")
        if not lo < hi:
            raise ExperimentError(f"parameter '{name}': empty range [{lo:g}, {hi:g}] (need lo < hi)")
        if (dlo is not None and lo < dlo) or (dhi is not None and hi > dhi):
            raise ExperimentError(f"parameter '{name}': range [{lo:g}, {hi:g}] lies outside the declared "
                                  f"limits [{dlo}, {dhi}] {unit}")
        if scale == "log" and lo <= 0:
            raise ExperimentError(f"parameter '{name}': a log scale needs lo > 0, got {lo:g}")
        rows.append((name, lo, hi, scale, value, unit, source, integer))
    cols = list(zip(*rows))
    return Problem(*(tuple(c) for c in cols))


def load_problem_file(path: str | Path) -> dict[str, Any]:
    """Read a problem TOML: ``{"ranges": {...}, "around": float | None}``; named errors on bad content."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ExperimentError(f"problem file '{path}': cannot read it ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ExperimentError(f"problem file '{path}': not valid TOML ({exc})") from None
    allowed = {"around", "parameters"}
    extra = set(data) - allowed
    if extra:
        raise ExperimentError(f"problem file '{path}': unknown key(s) {', '.join(sorted(extra))} "
                              f"(allowed: {', '.join(sorted(allowed))})")
    params = data.get("parameters", {})
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise ExperimentError(f"problem file '{path}': [parameters] must map names to tables like {{ lo = 0.1, hi = 1 }}")
    return {"ranges": params, "around": data.get("around")}


def range_arg(text: str) -> tuple[str, dict[str, Any]]:
    """``NAME=LO:HI`` (command-line ``--range``) -> ``(name, {"lo": lo, "hi": hi})``."""
    name, sep, spec = text.partition("=")
    try:
        lo, hi = (float(x) for x in spec.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--range '{text}': expected NAME=LO:HI with numbers") from None
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"--range '{text}': expected NAME=LO:HI")
    return name.strip(), {"lo": lo, "hi": hi}
