"""The treatment registry: every treatment type by name, and building one from a spec.

See :mod:`model.therapy.base` for how schedules, pharmacokinetics and
combinations work.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..engine.hints import close_match_hint
from .base import Treatment, TreatmentError
from .cytotoxic import Chemotherapy, Radiotherapy, Surgery
from .immunotherapy import AdoptiveCellTransfer, AntiOSM, CancerVaccine, CheckpointBlockade, InterferonDosing, TregDepletion
from .targeted import HER2Targeted, HormoneTherapy, IRF7Restoration

__all__ = ["TREATMENTS", "make_treatment"]


TREATMENTS: dict[str, type[Treatment]] = {
    cls.kind: cls
    for cls in (
        CheckpointBlockade,
        InterferonDosing,
        AntiOSM,
        TregDepletion,
        Chemotherapy,
        Radiotherapy,
        CancerVaccine,
        AdoptiveCellTransfer,
        IRF7Restoration,
        Surgery,
        HormoneTherapy,
        HER2Targeted,
    )
}


def make_treatment(spec: dict[str, Any] | str, duration_days: float | None = None) -> Treatment:
    """Build a validated treatment from ``{"type": name, **fields}`` (or just a name).

    Raises:
        TreatmentError: unknown type (with a suggestion), unknown field, bad dose or schedule.
    """
    if isinstance(spec, str):
        spec = {"type": spec}
    spec = dict(spec)
    kind = spec.pop("type", None)
    if kind is None:
        raise TreatmentError(f"treatment is missing 'type' (one of: {', '.join(TREATMENTS)})")
    if not isinstance(kind, str) or kind not in TREATMENTS:
        hint = close_match_hint(kind, TREATMENTS)
        raise TreatmentError(f"unknown treatment type '{kind}'{hint} (allowed: {', '.join(TREATMENTS)})")
    cls = TREATMENTS[kind]
    allowed = [f.name for f in dataclasses.fields(cls)]
    for key in spec:
        if key not in allowed:
            hint = close_match_hint(key, allowed)
            raise TreatmentError(f"treatment '{kind}': unknown field '{key}'{hint} (allowed: {', '.join(allowed)})")
    if "doses" in spec and isinstance(spec["doses"], float) and spec["doses"].is_integer():
        spec["doses"] = int(spec["doses"])
    return cls(**spec).validate(duration_days)
