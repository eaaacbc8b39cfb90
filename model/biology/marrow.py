"""Host-level immune state: bone-marrow output with myelosuppression and recovery.

Each lineage (myeloid: neutrophils and monocytes; lymphoid: T-cells) is a
Friberg et al. (2002) semi-mechanistic chain: a proliferating pool feeds three
transit compartments into the circulating pool, with feedback
``(1 / circulating) ** gamma`` on proliferation. A cytotoxic drug lowers
proliferation in proportion to its concentration, giving the classic nadir
after about one mean transit time and an overshooting recovery. Everything is
normalised so the healthy steady state is 1.0.
"""

from __future__ import annotations

import mesa
import numpy as np

__all__ = ["MarrowLineage", "advance_marrow"]

_BASELINE = [1.0] * 5


class MarrowLineage:
    """Friberg chain: proliferating -> transit 1..3 -> circulating (all relative to baseline).

    Args:
        mean_transit_hours: total transit time through the chain (MTT).
        feedback_gamma: exponent of the rebound feedback.
    """

    def __init__(self, mean_transit_hours: float, feedback_gamma: float) -> None:
        self.k_transit = 4.0 / mean_transit_hours  # 1/h; n_transit + 1 = 4 compartments
        self.gamma = feedback_gamma
        self.state = np.ones(5)  # proliferating, transit1-3, circulating

    @property
    def circulating(self) -> float:
        """Circulating count relative to the healthy baseline."""
        return float(self.state[4])

    def step(self, dt_hours: float, drug_inhibition: float = 0.0, direct_loss: float = 0.0) -> None:
        """Advance the chain.

        Args:
            drug_inhibition: fraction (0-1) of proliferation blocked during the step.
            direct_loss: fraction of circulating and proliferating cells killed at once (radiation).
        """
        if direct_loss > 0:
            self.state[0] *= 1.0 - direct_loss
            self.state[4] *= 1.0 - direct_loss
        elif drug_inhibition == 0.0 and self.state.tolist() == _BASELINE:
            # the healthy steady state is a fixed point: every derivative is exactly 0.0 (the
            # feedback is 1.0 ** gamma), so the sub-steps would leave it bit for bit unchanged
            return
        # explicit sub-steps well inside the stability limit (k * h <= 0.1)
        n_sub = max(1, int(np.ceil(dt_hours * self.k_transit / 0.1)))
        h = dt_hours / n_sub
        k = self.k_transit
        for _ in range(n_sub):
            prol, t1, t2, t3, circ = self.state
            feedback = (1.0 / max(circ, 1e-6)) ** self.gamma
            d = np.array([
                k * prol * (1.0 - drug_inhibition) * feedback - k * prol,
                k * (prol - t1),
                k * (t1 - t2),
                k * (t2 - t3),
                k * (t3 - circ),
            ])
            self.state = np.maximum(self.state + h * d, 0.0)


def advance_marrow(model: mesa.Model) -> None:
    """Advance both lineages by one step under this step's myelosuppression and losses."""
    m = model.modifiers
    model.myeloid.step(model.dt, m.marrow_inhibition, m.myeloid_loss)
    model.lymphoid.step(model.dt, m.marrow_inhibition, m.lymphocyte_loss)
