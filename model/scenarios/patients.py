"""Virtual patients: inter-patient variability drawn around a parameter set."""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from ..engine.parameters import Parameters
from .errors import ScenarioError, unknown_name

__all__ = ["PATIENT_VARIABILITY", "sample_virtual_patient"]

# Inter-patient variability: parameter -> (distribution, spread). "lognormal" spreads
# multiply by exp(N(0, sd)); "normal" adds N(0, sd), clipped to the allowed range.
PATIENT_VARIABILITY: dict[str, tuple[str, float]] = {
    "tumor.division_rate_per_hour": ("lognormal", 0.3),  # CV ~30%: Peer et al. 1993 doubling-time spread
    "tumor.mean_antigenicity": ("normal", 0.15),  # choice: TMB varies widely between patients
    "tumor.pd_l1_baseline": ("lognormal", 0.6),  # choice: PD-L1 CPS spans orders of magnitude
    "cd8.recruitment_per_vessel_per_hour": ("lognormal", 0.5),  # choice: TIL density varies ~10-fold
    "treg.recruitment_per_vessel_per_hour": ("lognormal", 0.4),  # choice
    "host.immune_health": ("lognormal", 0.2),  # choice
}


def sample_virtual_patient(
    base: Parameters,
    rng: np.random.Generator | int | None,
    variability: Mapping[str, tuple[str, float]] | None = None,
) -> dict[str, float]:
    """Draw one virtual patient's parameter overrides around ``base``.

    Each entry of ``variability`` (default ``PATIENT_VARIABILITY``) is
    ``name -> ("lognormal", sd)`` (the value is multiplied by ``exp(N(0, sd))``,
    a median-preserving spread with CV ~ sd for small sd) or ``("normal", sd)``
    (``N(0, sd)`` is added). Draws are clipped to the parameter's allowed range.
    The same generator state (or integer seed) gives the same patient.

    Returns:
        ``{dotted_name: value}`` overrides, e.g. for
        :meth:`TherapyScenario.with_virtual_patient` or ``Parameters.replace``.
    """
    variability = PATIENT_VARIABILITY if variability is None else variability
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    flat = base.to_dict()
    ranges = {name: rng_ for name, _, _, rng_, _ in base.leaves()}
    out: dict[str, float] = {}
    for name, (dist, sd) in variability.items():
        if name not in flat:
            raise ScenarioError(unknown_name("parameter", name, base.names()))
        v = float(flat[name])
        if isinstance(sd, bool) or not isinstance(sd, (int, float)) or not sd >= 0:
            raise ScenarioError(f"variability of '{name}': spread = {sd!r} must be a number >= 0")
        if dist == "lognormal":
            v *= math.exp(rng.normal(0.0, sd))
        elif dist == "normal":
            v += rng.normal(0.0, sd)
        else:
            raise ScenarioError(f"variability of '{name}': distribution '{dist}' must be 'lognormal' or 'normal'")
        lo, hi = ranges[name]
        if lo is not None:
            v = max(v, lo)
        if hi is not None:
            v = min(v, hi)
        out[name] = float(v)
    return out
