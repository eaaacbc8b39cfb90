"""TumorImmuneModel: wiring of lattice, cells, fields, treatments and data collection.

Step order (one step = ``lattice.dt_hours``):

1. treatments update their pharmacokinetics and set this step's rule modifiers;
2. the marrow (host) advances; contact maps are taken from the current layout;
3. immune cells are recruited at vessel sites;
4. CD8 T-cells, Tregs, neutrophils and macrophages act (die, kill, polarise,
   secrete, move), each type in bulk;
5. tumor cells beyond the oxygen limit may die (optional necrosis), then tumor
   cells divide and disseminate, and secrete;
6. the three fields diffuse, decay and take up this step's secretion;
7. the data collector records (every ``lattice.collect_every_steps``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Sequence

import mesa
import numpy as np
from mesa.datacollection import DataCollector
from mesa.discrete_space import OrthogonalMooreGrid
from scipy import ndimage

from .agents import IMMUNE_TYPES, M1, M2, CD8TCell, Macrophage, Neutrophil, RegulatoryTCell, TumorCell
from .effects import RuleModifiers
from .fields import DiffusionField
from .host import MarrowLineage
from .lattice import Lattice
from .parameters import Parameters, ParameterError, hill
from .population import Population

__all__ = ["TumorImmuneModel", "FIELD_NAMES", "CELL_TYPES"]

FIELD_NAMES = ("cytokine", "osm", "interferon")
CELL_TYPES = (TumorCell, CD8TCell, RegulatoryTCell, Neutrophil, Macrophage)
TUMOR_DEATH_CAUSES = ("cd8", "macrophage", "chemotherapy", "radiotherapy", "surgery", "necrosis")


class TumorImmuneModel(mesa.Model):
    """A breast tumor and its immune micro-environment on a 2D lattice.

    Args:
        parameters: the parameter tree (defaults if omitted); validated here.
        rng: seed or numpy Generator (Mesa 3 convention); same seed, same run.
        treatments: treatment objects (see :mod:`model.treatments`) applied each step.
        duration_days: if given, ``running`` turns False at that time (for ``mesa.batch_run``).
        scenario_name: build from a named scenario (profile, treatments, duration);
            explicit ``parameters``/overrides are applied on top.
        **overrides: parameter overrides with ``__`` for dots, e.g.
            ``tumor__division_rate_per_hour=0.05`` (handy for ``mesa.batch_run``).

    Example::

        model = TumorImmuneModel(rng=42, lattice__width_sites=100, lattice__height_sites=100)
        for _ in range(48):
            model.step()
        df = model.datacollector.get_model_vars_dataframe()
    """

    def __init__(
        self,
        parameters: Parameters | None = None,
        *,
        rng: Any = None,
        treatments: Sequence[Any] | None = None,
        duration_days: float | None = None,
        scenario_name: str | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(rng=rng)
        scenario = None
        if scenario_name is not None:
            from .scenarios import get_scenario

            scenario = get_scenario(scenario_name)
            base = scenario.parameters() if parameters is None else parameters
            treatments = list(scenario.build_treatments()) if treatments is None else treatments
            duration_days = scenario.duration_days if duration_days is None else duration_days
        else:
            base = parameters if parameters is not None else Parameters()
        flat = {k.replace("__", "."): v for k, v in overrides.items()}
        self.p: Parameters = base.replace(flat) if flat else base.replace({})
        self.scenario_definition = scenario
        self.duration_days = duration_days
        if duration_days is not None and not duration_days > 0:
            raise ParameterError(f"duration_days = {duration_days!r} must be > 0")

        lp = self.p.lattice
        self.dt = float(lp.dt_hours)
        self.lattice = Lattice(lp.width_sites, lp.height_sites)
        self.grid = OrthogonalMooreGrid(
            (lp.width_sites, lp.height_sites), torus=False, capacity=None, random=self.random
        )
        # capacity=None: the two-layer rule (one tumor + one immune cell per site) is
        # enforced by tumor_present / immune_occupied, which bulk moves update first.
        # flat site index -> Mesa cell (Mesa enumerates x-major, like our flat index)
        self.grid_cells = list(self.grid.all_cells)
        n_sites = self.lattice.n_sites

        # layers: at most one tumor cell and one immune cell per site
        self.tumor_present = np.zeros(n_sites, dtype=bool)
        self.immune_occupied = np.zeros(n_sites, dtype=bool)
        self.populations: dict[type, Population] = {
            cls: Population(cls.columns, n_sites) for cls in CELL_TYPES
        }

        # fields live in Mesa property layers: grid.interferon.data, cell.interferon
        self.fields: dict[str, DiffusionField] = {}
        for name in FIELD_NAMES:
            fp = getattr(self.p.fields, name)
            layer = self.grid.create_property_layer(name, default_value=0.0, dtype=float)
            self.fields[name] = DiffusionField(
                name,
                (lp.width_sites, lp.height_sites),
                lp.site_size_um,
                fp.diffusion_um2_per_min,
                fp.decay_per_hour,
                fp.cell_uptake_per_hour,
                storage=self.grid._mesa_property_layers[name].data,
            )
        self.sources = {name: np.zeros(n_sites) for name in FIELD_NAMES}

        hp = self.p.host
        self.myeloid = MarrowLineage(hp.marrow_mean_transit_hours, hp.marrow_feedback_gamma)
        self.lymphoid = MarrowLineage(hp.lymphoid_mean_transit_hours, hp.marrow_feedback_gamma)

        self.counters: Counter = Counter()
        self._clone_counter = 1
        self.modifiers = RuleModifiers()
        self.treatments = list(treatments or [])
        for t in self.treatments:
            t.bind(self)

        self.vessel_sites = self._place_vessels()
        self.is_vessel = np.zeros(n_sites, dtype=bool)
        self.is_vessel[self.vessel_sites] = True
        self.hypoxic = self._hypoxic_sites()
        self._seed_tumor()

        self.tumor_contact = np.zeros(n_sites, dtype=bool)
        self.treg_near: np.ndarray | None = None
        self.m2_near: np.ndarray | None = None

        self.summary: dict[str, float] = {}
        self.datacollector = DataCollector(model_reporters=self._reporters())
        self._collect()

    def _hypoxic_sites(self) -> np.ndarray:
        """Sites farther than ``tumor.hypoxia_distance_um`` from every vessel site.

        Vessels are fixed, so the distance map is computed once (exact Euclidean
        distance transform). Without any vessel site every site counts as hypoxic:
        the window then has no blood supply.
        """
        if self.vessel_sites.size == 0:
            return np.ones(self.is_vessel.size, dtype=bool)
        grid = ~self.is_vessel.reshape(self.lattice.width, self.lattice.height)
        distance_um = ndimage.distance_transform_edt(grid) * self.p.lattice.site_size_um
        return (distance_um > self.p.tumor.hypoxia_distance_um).ravel()

    # ------------------------------------------------------------ time
    @property
    def hours(self) -> float:
        """Simulated time in hours."""
        return self.steps * self.dt

    @property
    def days(self) -> float:
        """Simulated time in days."""
        return self.hours / 24.0

    # ------------------------------------------------------------ set-up
    def _place_vessels(self) -> np.ndarray:
        n = int(round(self.p.lattice.vessel_fraction * self.lattice.n_sites))
        return np.sort(self.rng.choice(self.lattice.n_sites, size=n, replace=False)).astype(np.int64)

    def _seed_tumor(self) -> None:
        tp = self.p.tumor
        lat = self.lattice
        cx, cy = (lat.width - 1) / 2.0, (lat.height - 1) / 2.0
        x, y = lat.xy(np.arange(lat.n_sites))
        inside = np.flatnonzero((x - cx) ** 2 + (y - cy) ** 2 <= tp.initial_radius_sites**2)
        if inside.size == 0 and tp.initial_radius_sites >= 0:
            inside = np.array([lat.site(int(cx), int(cy))])
        antigen = np.clip(self.rng.normal(tp.mean_antigenicity, tp.antigenicity_sd, inside.size), 0.0, 1.0)
        irf7 = self.rng.random(inside.size) >= tp.irf7_silenced_fraction
        for s, a, i in zip(inside.tolist(), antigen.tolist(), irf7.tolist()):
            TumorCell(self, s, antigenicity=a, irf7_intact=i, clone=0, born_hours=0.0)

    def next_clone_ids(self, n: int) -> np.ndarray:
        """Fresh clone identifiers for ``n`` antigen-loss mutants."""
        ids = np.arange(self._clone_counter, self._clone_counter + n)
        self._clone_counter += n
        return ids

    # ------------------------------------------------------------ layers
    def _occupy(self, layer: str, site: int, code: int) -> None:
        arr = self.tumor_present if layer == "tumor" else self.immune_occupied
        if arr[site]:
            raise RuntimeError(f"site {site} already holds a {layer} cell")
        arr[site] = True

    def _vacate(self, layer: str, site: int) -> None:
        arr = self.tumor_present if layer == "tumor" else self.immune_occupied
        arr[site] = False

    # ------------------------------------------------------------ shared biology
    def tumor_pd_l1(self, sites: np.ndarray) -> np.ndarray:
        """PD-L1 engagement level (0-1) of tumor cells at ``sites``: baseline + interferon-induced."""
        tp = self.p.tumor
        ifn = self.fields["interferon"].values.ravel()[sites]
        return np.minimum(tp.pd_l1_baseline + tp.pd_l1_induced_max * hill(ifn, tp.pd_l1_interferon_ec50), 1.0)

    def effective_osm(self, sites: np.ndarray) -> np.ndarray:
        """Oncostatin M at ``sites`` not neutralised by anti-OSM antibody (field units)."""
        return self.fields["osm"].values.ravel()[sites] * (1.0 - self.modifiers.osm_neutralization)

    def record_tumor_death(self, cause: str, n: int) -> None:
        if cause not in TUMOR_DEATH_CAUSES:
            raise ValueError(f"unknown tumor death cause '{cause}'; allowed: {TUMOR_DEATH_CAUSES}")
        self.counters[f"tumor_deaths_{cause}"] += int(n)

    def kill_tumor_at(self, sites: np.ndarray, cause: str) -> int:
        """Kill the tumor cells at ``sites`` (unique); return how many died."""
        pop = self.populations[TumorCell]
        rows = pop.row_at[np.asarray(sites, dtype=np.int64)]
        rows = rows[rows >= 0]
        self.record_tumor_death(cause, rows.size)
        TumorCell.remove_rows(self, rows)
        return int(rows.size)

    # ------------------------------------------------------------ recruitment
    def _recruit(self) -> None:
        n_vessels = self.vessel_sites.size
        if n_vessels == 0:
            return
        tumor = self.populations[TumorCell]
        n_tumor = len(tumor)
        health = self.p.host.immune_health
        ifn_v = float(self.fields["interferon"].values.ravel()[self.vessel_sites].mean())
        cyt_v = float(self.fields["cytokine"].values.ravel()[self.vessel_sites].mean())
        mean_antigen = float(tumor["antigenicity"].mean()) if n_tumor else 0.0
        n_m1 = int((self.populations[Macrophage]["polarization"] == M1).sum())
        mod = self.modifiers
        cp, tp, npar, mp = self.p.cd8, self.p.treg, self.p.neutrophil, self.p.macrophage

        priming = mean_antigen * n_tumor / (n_tumor + cp.antigen_priming_ec50)
        cd8 = (
            cp.recruitment_per_vessel_per_hour
            * health
            * self.lymphoid.circulating
            * priming
            * (1.0 + cp.interferon_recruitment_boost_max * hill(ifn_v))
            * (1.0 + mp.m1_recruitment_help * n_m1)
            * mod.cd8_recruitment_factor
            * (1.0 + mod.immunogenic_death_boost)
        )
        treg = (
            tp.recruitment_per_vessel_per_hour
            * health
            * self.lymphoid.circulating
            * (1.0 + tp.cytokine_recruitment_boost_max * hill(cyt_v))
            * mod.treg_recruitment_factor
        )
        tumor_signal = n_tumor / (n_tumor + npar.tumor_recruitment_ec50)
        neut = npar.recruitment_per_vessel_per_hour * health * self.myeloid.circulating * tumor_signal
        macro = mp.recruitment_per_vessel_per_hour * health * self.myeloid.circulating * tumor_signal
        for cls, rate in ((CD8TCell, cd8), (RegulatoryTCell, treg), (Neutrophil, neut), (Macrophage, macro)):
            self.add_immune_cells(cls, int(self.rng.poisson(max(rate, 0.0) * n_vessels * self.dt)))

    def add_immune_cells(self, cls: type, n: int, **state: Any) -> int:
        """Put up to ``n`` new immune cells of type ``cls`` on free vessel sites; return how many entered."""
        if n <= 0 or self.vessel_sites.size == 0:
            return 0
        free = self.vessel_sites[~self.immune_occupied[self.vessel_sites]]
        if free.size == 0:
            return 0
        chosen = self.rng.choice(free, size=min(n, free.size), replace=False)
        for s in chosen.tolist():
            cls(self, s, **state)
        self.counters[f"recruited_{cls.__name__}"] += int(chosen.size)
        return int(chosen.size)

    # ------------------------------------------------------------ step
    def _contact_maps(self) -> None:
        shape = (self.lattice.width, self.lattice.height)
        square = np.ones((3, 3), dtype=bool)
        self.tumor_contact = ndimage.binary_dilation(self.tumor_present.reshape(shape), square).ravel()
        treg = self.populations[RegulatoryTCell]
        if len(treg):
            r = self.p.treg.suppression_radius_sites
            mask = np.zeros(self.lattice.n_sites, dtype=bool)
            mask[treg["site"]] = True
            self.treg_near = ndimage.maximum_filter(mask.reshape(shape), size=2 * r + 1).ravel().astype(float)
        else:
            self.treg_near = None
        macro = self.populations[Macrophage]
        m2 = macro["polarization"] == M2
        if m2.any():
            mask = np.zeros(self.lattice.n_sites, dtype=bool)
            mask[macro["site"][m2]] = True
            self.m2_near = ndimage.binary_dilation(mask.reshape(shape), square).ravel().astype(float)
        else:
            self.m2_near = None

    def _cytotoxic_contact(self, shape: tuple[int, int]) -> np.ndarray:
        """Sites next to an active CD8 T-cell or an M1 macrophage: where tumor cells are under
        cytotoxic stress (Tregs, neutrophils and M2 cells do not trigger IRF7-driven interferon)."""
        mask = np.zeros(self.lattice.n_sites, dtype=bool)
        cd8 = self.populations[CD8TCell]
        mask[cd8["site"][~cd8["exhausted"]]] = True
        macro = self.populations[Macrophage]
        mask[macro["site"][macro["polarization"] == M1]] = True
        return ndimage.binary_dilation(mask.reshape(shape), np.ones((3, 3), dtype=bool)).ravel()

    def step(self) -> None:
        """Advance the model by one time step of ``lattice.dt_hours``."""
        self.modifiers = RuleModifiers()
        for t in self.treatments:
            t.apply(self, self.modifiers)
        self.myeloid.step(self.dt, self.modifiers.marrow_inhibition, self.modifiers.myeloid_loss)
        self.lymphoid.step(self.dt, self.modifiers.marrow_inhibition, self.modifiers.lymphocyte_loss)
        for src in self.sources.values():
            src.fill(0.0)
        if self.modifiers.interferon_infusion_per_hour > 0:
            self.sources["interferon"][self.vessel_sites] += self.modifiers.interferon_infusion_per_hour

        self._contact_maps()
        self._recruit()
        for cls in IMMUNE_TYPES:
            cls.step_population(self)
        TumorCell.step_population(self)
        shape = (self.lattice.width, self.lattice.height)
        TumorCell.secretion(self, self._cytotoxic_contact(shape))

        k = self.p.lattice.field_update_every_steps
        if self.steps % k == 0:
            for name, f in self.fields.items():
                f.step(self.dt * k, self.sources[name].reshape(shape), self.tumor_present.reshape(shape))

        if self.steps % self.p.lattice.collect_every_steps == 0:
            self._collect()
        if self.duration_days is not None and self.days >= self.duration_days - 1e-9:
            self.running = False

    def run_days(self, days: float) -> None:
        """Step the model for ``days`` simulated days."""
        for _ in range(int(round(days * 24.0 / self.dt))):
            self.step()

    # ------------------------------------------------------------ data
    def _summarize(self) -> dict[str, float]:
        tumor = self.populations[TumorCell]
        cd8 = self.populations[CD8TCell]
        neut = self.populations[Neutrophil]
        macro = self.populations[Macrophage]
        pol = macro["polarization"]
        s: dict[str, float] = {
            "hours": self.hours,
            "days": self.days,
            "tumor_cells": len(tumor),
            "cd8_t_cells": len(cd8),
            "cd8_exhausted": int(cd8["exhausted"].sum()),
            "regulatory_t_cells": len(self.populations[RegulatoryTCell]),
            "neutrophils": len(neut),
            "neutrophils_activated": int(neut["activated"].sum()),
            "macrophages": len(macro),
            "macrophages_m0": int((pol == 0).sum()),
            "macrophages_m1": int((pol == M1).sum()),
            "macrophages_m2": int((pol == M2).sum()),
            "mean_antigenicity": float(tumor["antigenicity"].mean()) if len(tumor) else float("nan"),
            "mean_pd_l1": float(self.tumor_pd_l1(tumor["site"]).mean()) if len(tumor) else float("nan"),
            "irf7_intact_fraction": float(tumor["irf7_intact"].mean()) if len(tumor) else float("nan"),
            "divisions": self.counters["divisions"],
            "disseminated_cells": self.counters["disseminated_cells"],
            "metastatic_seeds": self.counters["metastatic_seeds"],
            "marrow_myeloid": self.myeloid.circulating,
            "marrow_lymphoid": self.lymphoid.circulating,
            "osm_effective_mean": float(self.fields["osm"].values.mean() * (1 - self.modifiers.osm_neutralization)),
        }
        for cause in TUMOR_DEATH_CAUSES:
            s[f"kills_{cause}"] = self.counters[f"tumor_deaths_{cause}"]
        for name, f in self.fields.items():
            s[f"{name}_mean"] = f.mean()
            s[f"{name}_max"] = f.max()
        for t in self.treatments:
            s[f"{t.name}_concentration"] = t.concentration
        return s

    def _reporters(self) -> dict[str, Any]:
        keys = list(self._summarize().keys())
        return {k: (lambda m, k=k: m.summary[k]) for k in keys}

    def _collect(self) -> None:
        self.summary = self._summarize()
        self.datacollector.collect(self)

    @property
    def tumor_cell_count(self) -> int:
        """Number of live tumor cells."""
        return len(self.populations[TumorCell])

    def cell_type_image(self) -> np.ndarray:
        """Integer image (width x height): 0 empty, 1 tumor, 2 CD8, 3 Treg, 4 neutrophil, 5 macrophage.

        Immune cells are drawn over the tumor cell they share a site with.
        """
        img = self.tumor_present.astype(np.int8)
        for cls in IMMUNE_TYPES:
            img[self.populations[cls]["site"]] = cls.code
        return img.reshape(self.lattice.width, self.lattice.height)
