"""Named tumor/patient profiles: parameter overrides with a one-line rationale."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..engine.parameters import CD8Parameters

__all__ = ["Profile", "PROFILES", "list_profiles"]

# Hot and cold T-cell influx are stated relative to the default rate, so that a change of the
# default's scale (issue 12 moved recruitment to tumor-inflamed vessels, x12) cannot silently turn
# the "hot" profile into a colder one than the default.
_CD8_INFLUX = CD8Parameters().recruitment_per_vessel_per_hour


@dataclass(frozen=True)
class Profile:
    """A named tumor/patient phenotype: parameter overrides with a one-line rationale."""

    name: str
    description: str
    overrides: Mapping[str, Any]


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("default", "4T1-like mouse mammary tumor in a healthy host", {}),
        Profile(
            "hot",
            "T-cell-inflamed: high antigenicity, high baseline PD-L1, strong T-cell influx",
            {
                "tumor.mean_antigenicity": 0.8,  # high neoantigen load (TMB-high)
                "tumor.pd_l1_baseline": 0.3,  # PD-L1-positive (CPS >= 10; Cortes 2020)
                "cd8.recruitment_per_vessel_per_hour": 2.0 * _CD8_INFLUX,  # choice: twice the default influx
            },
        ),
        Profile(
            "cold",
            "immune-desert: low antigenicity, little PD-L1, weak T-cell influx",
            {
                "tumor.mean_antigenicity": 0.3,
                "tumor.pd_l1_baseline": 0.05,
                "cd8.recruitment_per_vessel_per_hour": 0.5 * _CD8_INFLUX,  # choice: half the default influx
            },
        ),
        Profile(
            "irf7_silenced",
            "tumor cells have silenced IRF7: no type-I interferon (Bidwell et al. 2012, 4T1.2)",
            {"tumor.irf7_silenced_fraction": 1.0},
        ),
        Profile(
            "ifn_gamma_knockout",
            "IFN-gamma-/- host: its T-cells and M1 macrophages make no IFN-gamma (Pulaski et al. 2002)",
            # the model's only IFN-gamma sources are host cells; nothing else is changed
            {"cd8.ifn_gamma_secretion_per_hour": 0.0, "macrophage.m1_interferon_secretion_per_hour": 0.0},
        ),
        Profile(
            "poorly_vascularised",
            "sparse vessels: a quiescent, necrotic core beyond the oxygen limit (Thomlinson & Gray 1955)",
            {
                "lattice.vessel_fraction": 0.005,  # half the default capillary density
                "tumor.hypoxic_division_factor": 0.2,  # choice: hypoxic cells mostly quiescent
                "tumor.necrosis_rate_per_hour": 0.01,  # choice: ~4 days of survival beyond the O2 limit
            },
        ),
        Profile(
            "immunocompromised",
            "weak host: recruitment and marrow output at 40% (e.g. elderly, after prior therapy)",
            {"host.immune_health": 0.4},
        ),
        Profile(
            "triple_negative",
            "ER-/PR-/HER2-: no endocrine or HER2 target, fast division, human-TNBC antigenicity",
            {
                "tumor.er_expression": 0.0,
                "tumor.her2_expression": 0.0,
                "tumor.division_rate_per_hour": 0.035,
                # fit (2026-11-30): KEYNOTE-086 cohort A's ORR 5.3% (C7) in the 16-patient virtual cohort,
                # binomial logistic ML over antigenicity 0.3-0.5: 0.295, 90% interval 0.15-0.35
                # (python -m experiments.validation.cohort_fit; docs/calibration/cohort_fit_triple_negative.json).
                # Below the 4T1-like default 0.6: at 0.6 the cohort responded 75% of the time
                "tumor.mean_antigenicity": 0.3,
            },
        ),
        Profile(
            "er_positive",
            "ER+ luminal: endocrine-sensitive, slower, less immunogenic",
            {"tumor.er_expression": 0.9, "tumor.division_rate_per_hour": 0.02, "tumor.mean_antigenicity": 0.45},
        ),
        Profile(
            "her2_positive",
            "HER2-amplified: HER2-blockade-sensitive, fast division",
            {"tumor.her2_expression": 0.9, "tumor.division_rate_per_hour": 0.035},
        ),
    )
}


def list_profiles() -> dict[str, str]:
    """Profile names with one-line descriptions."""
    return {name: p.description for name, p in PROFILES.items()}
