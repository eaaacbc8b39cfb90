"""The page's model: a scenario plus the page's sliders, and the text lines the page shows about it."""

from __future__ import annotations

import html
import threading
import zlib

from model import TumorImmuneModel, get_scenario

DEFAULT_GRID = 100


def int_seed(seed: int | str) -> int:
    """The page's seed box holds text: a whole number is used as is, other text is hashed (CRC-32)."""
    text = str(seed).strip()
    try:
        return int(text)
    except ValueError:
        return zlib.crc32(text.encode())


class TumorImmunePageModel(TumorImmuneModel):
    """The model built from the page's controls.

    A thin layer over :class:`~model.TumorImmuneModel`: it turns the page's
    scenario choice and sliders into parameters. SolaraViz rebuilds the model
    with these keyword arguments when **Reset** is pressed. The sliders *scale
    the chosen scenario's own value* (1 = as in the scenario), so a profile
    such as ``hot`` keeps its meaning.

    Args:
        scenario_name: a registered scenario (profile + treatments + duration).
        seed: random seed; text from the page's box is used as a number when it is one, else hashed.
        grid_size: lattice width = height in sites (20 um each).
        antigenicity_scale: multiplies the scenario's mean tumor antigenicity (capped at 1).
        pd_l1_induction_scale: multiplies the interferon-induced PD-L1 maximum (capped at 1).
        treg_recruitment_scale: multiplies the Treg recruitment rate.
        neutrophil_osm_scale: multiplies the OSM secretion of activated neutrophils.
        irf7_silenced: if True every tumor cell has IRF7 silenced; otherwise the scenario's fraction.
        immune_health_scale: multiplies the host's immune health (capped at 2).
    """

    def __init__(
        self,
        scenario_name: str = "untreated",
        seed: int | str = 42,
        grid_size: int = DEFAULT_GRID,
        antigenicity_scale: float = 1.0,
        pd_l1_induction_scale: float = 1.0,
        treg_recruitment_scale: float = 1.0,
        neutrophil_osm_scale: float = 1.0,
        irf7_silenced: bool = False,
        immune_health_scale: float = 1.0,
    ) -> None:
        base = get_scenario(scenario_name).parameters()
        size = int(grid_size)
        overrides = {
            "lattice.width_sites": size,
            "lattice.height_sites": size,
            # keep the initial lesion inside small windows
            "tumor.initial_radius_sites": min(base.tumor.initial_radius_sites, size / 4.0),
            "tumor.mean_antigenicity": min(base.tumor.mean_antigenicity * antigenicity_scale, 1.0),
            "tumor.pd_l1_induced_max": min(base.tumor.pd_l1_induced_max * pd_l1_induction_scale, 1.0),
            "treg.recruitment_per_vessel_per_hour": base.treg.recruitment_per_vessel_per_hour
            * treg_recruitment_scale,
            "neutrophil.osm_secretion_per_hour": base.neutrophil.osm_secretion_per_hour * neutrophil_osm_scale,
            "host.immune_health": min(base.host.immune_health * immune_health_scale, 2.0),
        }
        if irf7_silenced:
            overrides["tumor.irf7_silenced_fraction"] = 1.0
        super().__init__(base.replace(overrides), rng=int_seed(seed), scenario_name=scenario_name)
        # Play steps the model in a worker thread while a control change may redraw
        # in another: stepping and drawing take turns on this lock
        self.lock = threading.RLock()

    def step(self) -> None:
        """One model step (holding :attr:`lock`)."""
        with self.lock:
            super().step()

    def describe(self) -> str:
        """One line with the parameter values actually used."""
        p = self.p
        return (
            f"antigenicity {p.tumor.mean_antigenicity:.2f} · PD-L1 induced max {p.tumor.pd_l1_induced_max:.2f} · "
            f"Treg recruitment {p.treg.recruitment_per_vessel_per_hour:.4f}/h/vessel · "
            f"neutrophil OSM {p.neutrophil.osm_secretion_per_hour:g}/h · "
            f"IRF7 silenced {p.tumor.irf7_silenced_fraction:.0%} · immune health {p.host.immune_health:.2f}"
        )


def status_html(model: TumorImmuneModel) -> str:
    """The status line: day, step and the count of every cell kind."""
    s = model.summary
    return (
        f"<b>Day {model.days:.1f}</b> ({model.hours:g} h, step {model.steps}) · tumor {int(s['tumor_cells'])} · "
        f"CD8 {int(s['cd8_t_cells'])} ({int(s['cd8_exhausted'])} exhausted) · Treg {int(s['regulatory_t_cells'])} · "
        f"neutrophils {int(s['neutrophils'])} ({int(s['neutrophils_activated'])} activated) · "
        f"macrophages M1 {int(s['macrophages_m1'])} / M2 {int(s['macrophages_m2'])} · "
        f"CD8 kills {int(s['kills_cd8'])} · disseminated {int(s['disseminated_cells'])}"
    )


def scenario_html(model: TumorImmuneModel) -> str:
    """The scenario's name, description and length (and the values used, for a page model)."""
    scenario = getattr(model, "scenario_definition", None)
    if scenario is None:
        return ""
    text = (
        f"Scenario <b>{html.escape(scenario.name)}</b>: {html.escape(scenario.description)} "
        f"({scenario.duration_days:g} days)."
    )
    if isinstance(model, TumorImmunePageModel):
        text += f" Values used: {html.escape(model.describe())}."
    return text
