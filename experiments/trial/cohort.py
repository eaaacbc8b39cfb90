"""Patient records + lesion scale -> one row per patient x arm (the trial's analysis table)."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

from .design import LesionScale, TrialDesign
from .lesion import DAYS_PER_MONTH, draw_lesions, recist_course, window_effect
from .patient import TWIN, patient_streams

__all__ = ["courses", "dissemination_reference"]


def _rate(window: dict) -> float:
    return window["disseminated"] / window["cell_days"] if window["cell_days"] > 0 else 0.0


def dissemination_reference(records: Sequence[dict]) -> float:
    """Mean untreated-twin dissemination per tumor cell-day of the cohort (the new-lesion hazard's unit)."""
    rates = [_rate(r["arms"][TWIN]) for r in records]
    ref = float(np.mean(rates)) if rates else 0.0
    return ref if ref > 0 else 1.0


def courses(design: TrialDesign, records: Sequence[dict], lesion: LesionScale | None = None,
            replicate: int = 0) -> pd.DataFrame:
    """RECIST courses of every patient in every arm (twin arms share the patient's lesion draws).

    ``replicate`` > 0 draws other lesions for the same windows (used by calibration to
    smooth the discrete read-outs); 0 is the trial itself.
    """
    lesion = lesion or design.lesion
    ref = dissemination_reference(records)
    every = design.scan_every_weeks * 7.0
    n_scans = int(design.followup_months * DAYS_PER_MONTH // every) + 1
    rows = []
    for r in records:
        _, lesion_ss = patient_streams(design, r["index"])
        ss = lesion_ss if replicate == 0 else lesion_ss.spawn(replicate + 1)[replicate]
        draws = draw_lesions(np.random.default_rng(ss), n_scans)
        twin = r["arms"][TWIN]
        for arm in design.arms:
            w = r["arms"][arm.name]
            eps = window_effect(w, twin)
            c = recist_course(design, lesion, draws, r["doubling_days"], eps, _rate(w) / ref,
                              arm.max_treatment_weeks * 7.0)
            rows.append({"patient": r["index"], "arm": arm.name, "profile": r["profile"],
                         "biomarker": r["biomarker"], "biomarker_positive": r["biomarker"] >= design.biomarker_cutoff,
                         "doubling_days": r["doubling_days"], "target_lesions": len(draws.diameters_mm),
                         "baseline_sld_mm": float(draws.diameters_mm.sum()), **c})
    df = pd.DataFrame(rows)
    for col in ("dor_months", "dor_event"):
        if col not in df:
            df[col] = math.nan
    return df
