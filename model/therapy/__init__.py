"""Treatments: rule modifiers, schedule + pharmacokinetics base, one module per family.

Private modules are re-exported here, so ``from model.therapy import Radiotherapy`` works.
"""

from .base import CONTINUOUS, MAX_DOSES, SCHEDULE_RANGES, Treatment, TreatmentError, is_number, treatment_list
from .cytotoxic import Chemotherapy, Radiotherapy, Surgery
from .immunotherapy import (
    AdoptiveCellTransfer,
    AntiOSM,
    CancerVaccine,
    CheckpointBlockade,
    InterferonDosing,
    TregDepletion,
    perivascular_free_sites,
)
from .registry import TREATMENTS, make_treatment
from .rules import RuleModifiers, combine_fraction
from .targeted import HER2Targeted, HormoneTherapy, IRF7Restoration

__all__ = [
    "Treatment",
    "TreatmentError",
    "CONTINUOUS",
    "MAX_DOSES",
    "SCHEDULE_RANGES",
    "is_number",
    "treatment_list",
    "RuleModifiers",
    "combine_fraction",
    "CheckpointBlockade",
    "InterferonDosing",
    "AntiOSM",
    "TregDepletion",
    "CancerVaccine",
    "AdoptiveCellTransfer",
    "perivascular_free_sites",
    "Chemotherapy",
    "Radiotherapy",
    "Surgery",
    "IRF7Restoration",
    "HormoneTherapy",
    "HER2Targeted",
    "TREATMENTS",
    "make_treatment",
]
