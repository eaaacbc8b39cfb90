"""How active treatments modify the rules during one step.

Treatments write into a fresh :class:`RuleModifiers` every step; the cell rules
only read it. With no treatment every modifier is neutral, so the untreated
model never depends on the treatment layer.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RuleModifiers", "combine_fraction"]


@dataclass
class RuleModifiers:
    """Multipliers and fractions applied by treatments (all neutral by default)."""

    pd1_blockade: float = 0.0
    """Fraction of PD-1/PD-L1 engagement prevented (0-1)."""
    osm_neutralization: float = 0.0
    """Fraction of oncostatin M bound by antibody and inactive (0-1)."""
    interferon_infusion_per_hour: float = 0.0
    """Systemic interferon entering the tissue at each vessel site (field units/h)."""
    systemic_interferon: float = 0.0
    """Dosed type-I interferon in plasma (EC50 units); reaches the bone niche."""
    cd8_recruitment_factor: float = 1.0
    """Extra T-cell priming and influx (vaccines)."""
    treg_recruitment_factor: float = 1.0
    """Treg influx multiplier (depletion antibodies lower it)."""
    proliferation_factor: float = 1.0
    """Tumor division-rate multiplier (hormone / HER2 brakes)."""
    division_kill_probability: float = 0.0
    """Probability that a dividing tumor cell dies instead (cytotoxic chemotherapy)."""
    exhaustion_factor: float = 1.0
    """Multiplier on the T-cell exhaustion hazard."""
    immunogenic_death_boost: float = 0.0
    """Extra T-cell priming from immunogenic cell death (radiotherapy)."""
    marrow_inhibition: float = 0.0
    """Fraction of bone-marrow proliferation blocked (myelosuppressive drugs)."""
    myeloid_loss: float = 0.0
    """Fraction of circulating myeloid cells killed this step."""
    lymphocyte_loss: float = 0.0
    """Fraction of circulating lymphocytes killed this step (radiation lymphopenia)."""

    def neutral(self) -> bool:
        """Whether no treatment changed any rule."""
        return self == RuleModifiers()


def combine_fraction(a: float, b: float) -> float:
    """Two blocking fractions acting as independent events: ``1 - (1 - a)(1 - b)``."""
    return 1.0 - (1.0 - a) * (1.0 - b)
