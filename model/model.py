"""TumorImmuneModel: builds the tissue, runs the step order, collects the data.

Step order (one step = ``lattice.dt_hours``), as :meth:`TumorImmuneModel.step` reads:

1. treatments give due doses and set this step's rule modifiers (``model.therapy``);
2. the marrow advances (``biology.marrow``); systemic interferon enters at vessels;
3. contact maps are taken from the current layout: tumor contact (``growth``),
   Treg suppression (``treg``), M2 support (``macrophages``);
4. dead-cell debris is cleared (``cells``); immune cells are recruited at
   tumor-inflamed vessel sites (``inflamed_vessels``, ``recruitment``);
5. CD8 T-cells (multi-hit killing, post-kill arrest), Tregs, neutrophils and
   macrophages act, each type in bulk (``cd8``, ``treg``, ``neutrophils_osm``, ``macrophages``);
6. tumor cells beyond the oxygen limit may die (optional necrosis), divide,
   disseminate (seeds lodge in bone and lung), and secrete cytokine and (IRF7) type-I interferon
   (``growth``, ``metastasis``, ``interferon_irf7``);
7. clusters in the bone niche grow or are cleared by IFN-dependent surveillance (``bone_niche``),
   and so do the lung's, under basal surveillance (``lung_niche``);
8. the four fields diffuse, decay and take up this step's secretion (``engine.tissue``);
9. the data collector records (every ``lattice.collect_every_steps``).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Callable, Sequence

import mesa
import numpy as np

from .biology import (
    bone_niche,
    cd8,
    growth,
    interferon_irf7,
    lung_niche,
    macrophages,
    marrow,
    metastasis,
    neutrophils_osm,
    recruitment,
    treg,
)
from .biology.bone_niche import BoneNiche
from .biology.lung_niche import LungNiche
from .biology.cells import (
    CELL_TYPES,
    IMMUNE_TYPES,
    M0,
    M1,
    M2,
    TUMOR_DEATH_CAUSES,
    CD8TCell,
    Macrophage,
    Neutrophil,
    RegulatoryTCell,
    TumorCell,
    clear_debris,
    kill_tumor_at,
    record_tumor_death,
)
from .biology.inflamed_vessels import vessel_neighbourhoods
from .biology.marrow import MarrowLineage
from .checkpoint import CheckpointError
from .checkpoint import checkpoint as checkpoint_bytes
from .checkpoint import restore as restore_bytes
from .collector import SummaryCollector
from .engine.parameters import ParameterError, Parameters
from .engine.reductions import array_mean
from .engine.rule_kernels import contact_and_engaged
from .engine.tissue import Tissue
from .scenarios import get_scenario, register_model_class
from .therapy import RuleModifiers, is_number, treatment_list

__all__ = ["TumorImmuneModel", "FIELD_NAMES", "CELL_TYPES", "TUMOR_DEATH_CAUSES"]

FIELD_NAMES = ("cytokine", "osm", "interferon", "ifn_gamma")
"""Field names: ``interferon`` is type-I IFN (tumor IRF7, dosing); ``ifn_gamma`` comes from CD8 T-cells and M1 macrophages."""

# the summary's keys, built once (the summary is taken every step)
_KILL_KEYS = tuple((f"kills_{cause}", f"tumor_deaths_{cause}") for cause in TUMOR_DEATH_CAUSES)
_FIELD_KEYS = {name: (f"{name}_mean", f"{name}_max") for name in FIELD_NAMES}
# summary keys summary_values() takes without the whole summary: times, counts, marrow outputs, field means
_LIGHT_KEYS = {
    "hours": lambda m: m.hours,
    "days": lambda m: m.days,
    "tumor_cells": lambda m: len(m.populations[TumorCell]),
    "cd8_t_cells": lambda m: len(m.populations[CD8TCell]),
    "marrow_myeloid": lambda m: m.myeloid.circulating,
    "marrow_lymphoid": lambda m: m.lymphoid.circulating,
    "osm_effective_mean": lambda m: m.effective_osm_mean(array_mean(m.fields["osm"].values)),
    **{mean_key: (lambda m, name=name: array_mean(m.fields[name].values)) for name, (mean_key, _) in _FIELD_KEYS.items()},
}


class TumorImmuneModel(mesa.Model):
    """A breast tumor and its immune micro-environment on a 2D lattice.

    Args:
        parameters: the parameter tree (defaults if omitted); validated here.
        rng: seed or numpy Generator (Mesa 3 convention); same seed, same run.
        treatments: treatment objects (see :mod:`model.therapy`) applied each step.
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

    # None: step() records a row every lattice.collect_every_steps steps. A caller that keeps only some rows
    # (experiments.runner) sets a callable ``filter(model) -> bool``, called where step() would record, and a
    # row is recorded only where it returns True. A class attribute, so checkpoints made before it restore.
    collect_filter: Callable[["TumorImmuneModel"], bool] | None = None

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
        if parameters is not None and not isinstance(parameters, Parameters):
            raise ParameterError(
                f"parameters = {type(parameters).__name__} must be a Parameters object; for overrides pass "
                "Parameters().replace({...}) or keyword overrides such as lattice__width_sites=50"
            )
        scenario = None
        if scenario_name is not None:
            scenario = get_scenario(scenario_name)
            base = scenario.parameters() if parameters is None else parameters
            treatments = list(scenario.build_treatments()) if treatments is None else treatments
            duration_days = scenario.duration_days if duration_days is None else duration_days
        else:
            base = parameters if parameters is not None else Parameters()
        flat = {k.replace("__", "."): v for k, v in overrides.items()}
        self.p: Parameters = base.replace(flat) if flat else base.replace({})
        self.scenario_definition = scenario
        if duration_days is not None:
            if not (is_number(duration_days) and math.isfinite(duration_days) and duration_days > 0):
                raise ParameterError(f"duration_days = {duration_days!r} must be a finite number of days > 0")
            duration_days = float(duration_days)
        self.duration_days = duration_days

        lp = self.p.lattice
        self.dt = float(lp.dt_hours)
        self.tissue = Tissue(
            lp.width_sites,
            lp.height_sites,
            lp.site_size_um,
            CELL_TYPES,
            {name: getattr(self.p.fields, name) for name in FIELD_NAMES},
            self.random,
            field_precision_bits=lp.field_precision_bits,
            field_voxel_sites=lp.field_voxel_sites,
        )
        # the tissue's parts, under the names rules, tests and notebooks use
        self.lattice = self.tissue.lattice
        self.grid = self.tissue.grid
        self.grid_cells = self.tissue.grid_cells
        self.tumor_present = self.tissue.tumor_present
        self.immune_occupied = self.tissue.immune_occupied
        self.debris = self.tissue.debris
        self.populations = self.tissue.populations
        self.fields = self.tissue.fields
        self.sources = self.tissue.sources

        hp = self.p.host
        self.myeloid = MarrowLineage(hp.marrow_mean_transit_hours, hp.marrow_feedback_gamma)
        self.lymphoid = MarrowLineage(hp.lymphoid_mean_transit_hours, hp.marrow_feedback_gamma)

        self.counters: Counter = Counter()
        # its own stream: bone-only changes leave the primary's draws untouched
        self.bone = BoneNiche(self.rng.spawn(1)[0])
        self.lung = LungNiche(self.rng.spawn(1)[0])
        self._clone_counter = 1
        self.modifiers = RuleModifiers()
        self.treatments = treatment_list(treatments)
        for t in self.treatments:
            t.bind(self)

        n_vessels = int(round(lp.vessel_fraction * self.lattice.n_sites))
        self.tissue.set_vessels(np.sort(self.rng.choice(self.lattice.n_sites, size=n_vessels, replace=False)))
        self.vessel_sites = self.tissue.vessel_sites
        self.is_vessel = self.tissue.is_vessel
        # disks of sites around each vessel, read every step to find the tumor-inflamed ones
        self.vessel_neighbourhoods = vessel_neighbourhoods(
            lp.width_sites, lp.height_sites, self.vessel_sites, self.p.tumor.vessel_inflammation_distance_um / lp.site_size_um
        )
        self.entry_sites = self.vessel_sites[:0]
        self.hypoxic = growth.hypoxic_sites(self)
        growth.seed_tumor(self)

        self.tumor_contact = np.zeros(self.lattice.n_sites, dtype=bool)
        # flat bool maps (None when there is no Treg / M2 cell): within a Treg's suppression
        # radius, and at or next to an M2 macrophage; a float 0/1 map set by hand reads the same
        self.treg_near: np.ndarray | None = None
        self.m2_near: np.ndarray | None = None

        self.tissue.refresh_empty_layer()
        self.summary: dict[str, float] = {}
        # a mesa DataCollector whose reporters read self.summary (one row per collect())
        self.datacollector = SummaryCollector(self.summarize().keys())
        self.collect()

    # ------------------------------------------------------------ time
    @property
    def hours(self) -> float:
        """Simulated time in hours."""
        return self.steps * self.dt

    @property
    def days(self) -> float:
        """Simulated time in days."""
        return self.hours / 24.0

    # ------------------------------------------------------------ step
    def step(self) -> None:
        """Advance the model by one time step of ``lattice.dt_hours``, in the documented order."""
        self.check_finite()  # state edited from outside (scripts, the page) is checked too
        self.apply_treatments()
        marrow.advance_marrow(self)
        self.tissue.clear_sources()
        interferon_irf7.infuse_interferon(self)

        clear_debris(self)
        self.take_contact_maps()
        recruitment.recruit(self)
        cd8.step_cd8(self)
        treg.step_tregs(self)
        neutrophils_osm.step_neutrophils(self)
        macrophages.step_macrophages(self)

        growth.necrosis(self)
        growth.divide(self)
        metastasis.disseminate(self)
        growth.secrete_cytokine(self)
        interferon_irf7.secrete_type1_interferon(self)
        bone_niche.step_bone(self)
        lung_niche.step_lung(self)

        k = self.p.lattice.field_update_every_steps
        if self.steps % k == 0:
            self.tissue.step_fields(self.dt * k)
            self.check_finite(just_stepped=True)
            # nothing writes the values between here and the collect below: the summary may read
            # each field's maximum from what its step wrote (DiffusionField.max_after_step)
            self._fields_just_stepped = True
        self.tissue.refresh_empty_layer()
        if self.steps % self.p.lattice.collect_every_steps == 0 and (
                self.collect_filter is None or self.collect_filter(self)):
            self.collect()
        self._fields_just_stepped = False
        if self.reached_duration():
            self.running = False

    def reached_duration(self) -> bool:
        """Whether the run has reached its ``duration_days`` (never, without one): the step that
        reaches it records the last row and stops the run."""
        return self.duration_days is not None and self.days >= self.duration_days - 1e-9

    def check_finite(self, just_stepped: bool = False) -> None:
        """Raise :class:`ParameterError` if a field holds NaN or inf (extreme inputs; never silently go on).

        ``just_stepped``: called right after the fields' step, which counted them already."""
        for name, f in self.fields.items():
            if not (f.is_finite_after_step() if just_stepped else f.is_finite()):
                raise ParameterError(
                    f"field '{name}' became non-finite at step {self.steps} (day {self.days:g}): "
                    "a parameter or dose is too extreme for the model"
                )

    def apply_treatments(self) -> None:
        """Fresh, neutral rule modifiers; every treatment doses and writes its effect into them."""
        self.modifiers = RuleModifiers()
        for t in self.treatments:
            t.apply(self, self.modifiers)

    def take_contact_maps(self) -> None:
        """Maps the rules read this step, from the current layout."""
        self.tumor_contact = growth.contact_map(self)
        self.treg_near = treg.suppression_map(self)
        self.m2_near = macrophages.m2_support_map(self)

    def checkpoint(self) -> bytes:
        """The whole state (random streams included) as bytes; see :mod:`model.checkpoint`."""
        return checkpoint_bytes(self)

    @classmethod
    def restore(cls, blob: bytes) -> "TumorImmuneModel":
        """A model from :meth:`checkpoint` bytes that continues exactly as the checkpointed one would."""
        model = restore_bytes(blob)
        if not isinstance(model, cls):
            raise CheckpointError(f"restore(blob): the checkpoint holds a {type(model).__name__}, not a {cls.__name__}")
        return model

    def run_days(self, days: float) -> None:
        """Step the model for ``days`` simulated days (a finite number >= 0)."""
        if not (is_number(days) and math.isfinite(days) and days >= 0):
            raise ParameterError(f"days = {days!r} must be a finite number of days >= 0")
        for _ in range(int(round(days * 24.0 / self.dt))):
            self.step()

    # ------------------------------------------------------------ shared biology (public shortcuts)
    def next_clone_ids(self, n: int) -> np.ndarray:
        """Fresh clone identifiers for ``n`` antigen-loss mutants."""
        ids = np.arange(self._clone_counter, self._clone_counter + n)
        self._clone_counter += n
        return ids

    def tumor_pd_l1(self, sites: np.ndarray) -> np.ndarray:
        """PD-L1 engagement level (0-1) of tumor cells at ``sites`` (see :mod:`model.biology.cd8`)."""
        return cd8.tumor_pd_l1(self, sites)

    def effective_osm(self, sites: np.ndarray) -> np.ndarray:
        """Oncostatin M at ``sites`` not neutralised by anti-OSM antibody (see :mod:`model.biology.neutrophils_osm`)."""
        return neutrophils_osm.effective_osm(self, sites)

    def record_tumor_death(self, cause: str, n: int) -> None:
        """Count ``n`` tumor deaths under ``cause``."""
        record_tumor_death(self, cause, n)

    def kill_tumor_at(self, sites: np.ndarray, cause: str) -> int:
        """Kill the tumor cells at ``sites`` (unique); return how many died."""
        return kill_tumor_at(self, sites, cause)

    def add_immune_cells(self, cls: type, n: int, **state: Any) -> int:
        """Put up to ``n`` new immune cells of type ``cls`` on free tumor-inflamed vessel sites; return how many entered."""
        return recruitment.add_immune_cells(self, cls, n, **state)

    # ------------------------------------------------------------ data
    def cd8_engaged_count(self) -> int:
        """CD8 T-cells next to a tumor cell and not exhausted (hitting, or arrested on a kill)."""
        pop = self.populations[CD8TCell]
        if len(pop) == 0:
            return 0
        # the CD8 step's own contact test (one compiled pass): touching = next to a tumor cell, not exhausted
        touching = contact_and_engaged(self.lattice.neighbours, self.tumor_present, pop["site"], pop["exhausted"],
                                       pop["arrested_until_hours"], self.hours)[1]
        return int(np.count_nonzero(touching))

    def summarize(self) -> dict[str, float]:
        """The model-level numbers the data collector records, for the current state."""
        tumor = self.populations[TumorCell]
        cd8_pop = self.populations[CD8TCell]
        neut = self.populations[Neutrophil]
        macro = self.populations[Macrophage]
        by_state = np.bincount(macro["polarization"], minlength=3)  # M0, M1, M2 counts in one pass
        n_tumor = len(tumor)
        s: dict[str, float] = {
            "hours": self.hours,
            "days": self.days,
            "tumor_cells": n_tumor,
            "cd8_t_cells": len(cd8_pop),
            "cd8_exhausted": int(np.count_nonzero(cd8_pop["exhausted"])),
            "cd8_engaged": self.cd8_engaged_count(),
            "regulatory_t_cells": len(self.populations[RegulatoryTCell]),
            "neutrophils": len(neut),
            "neutrophils_activated": int(np.count_nonzero(neut["activated"])),
            "macrophages": len(macro),
            "macrophages_m0": int(by_state[M0]),
            "macrophages_m1": int(by_state[M1]),
            "macrophages_m2": int(by_state[M2]),
            "mean_antigenicity": array_mean(tumor["antigenicity"]) if n_tumor else float("nan"),
            "mean_pd_l1": cd8.mean_tumor_pd_l1(self),
            # a bool mean sums 0.0/1.0 exactly (integers below 2**53): the count over n, bit for bit
            "irf7_intact_fraction": np.count_nonzero(tumor["irf7_intact"]) / n_tumor if n_tumor else float("nan"),
            "divisions": self.counters["divisions"],
            "cd8_hits": self.counters["cd8_hits"],
            "debris_sites": int(np.count_nonzero(self.debris)),
            "disseminated_cells": self.counters["disseminated_cells"],
            "metastatic_seeds": self.counters["metastatic_seeds"],
            "bone_clusters": self.bone.clusters,
            "bone_tumor_cells": self.bone.cells,
            "bone_metastasis": int(self.bone.metastasis),
            "bone_metastasis_day": self.bone.first_metastasis_hours / 24.0,
            "lung_clusters": self.lung.clusters,
            "lung_tumor_cells": self.lung.cells,
            "lung_metastasis": int(self.lung.metastasis),
            "lung_metastasis_day": self.lung.first_metastasis_hours / 24.0,
            "marrow_myeloid": self.myeloid.circulating,
            "marrow_lymphoid": self.lymphoid.circulating,
        }
        means = {name: array_mean(f.values) for name, f in self.fields.items()}  # one pass per field
        s["osm_effective_mean"] = self.effective_osm_mean(means["osm"])
        counters = self.counters
        for key, counter in _KILL_KEYS:
            s[key] = counters[counter]
        fresh = getattr(self, "_fields_just_stepped", False)  # set only inside step(), for its collect
        self._fields_just_stepped = False
        for name, f in self.fields.items():
            mean_key, max_key = _FIELD_KEYS.get(name) or (f"{name}_mean", f"{name}_max")
            s[mean_key] = means[name]
            s[max_key] = f.max_after_step() if fresh else f.max()
        for t in self.treatments:
            s[f"{t.name}_concentration"] = t.concentration
        return s

    def effective_osm_mean(self, osm_mean: float) -> float:
        """The summary's ``osm_effective_mean`` from the OSM field's mean: the part no treatment neutralises."""
        return float(osm_mean * (1 - self.modifiers.osm_neutralization))

    def summary_values(self, keys: Sequence[str]) -> list[Any]:
        """``[summarize()[k] for k in keys]``, the same values, computing only those keys when all are
        cheap ones (times, cell counts, marrow outputs, field means): a caller that reads a few values
        every step (experiments.outcome_trace) need not take the whole summary."""
        if all(k in _LIGHT_KEYS for k in keys):
            return [_LIGHT_KEYS[k](self) for k in keys]
        summary = self.summarize()
        return [summary[k] for k in keys]

    def collect(self) -> None:
        """Record the current state as one data-collector row (also after a hand-made layout change)."""
        self.summary = self.summarize()
        self.datacollector.collect(self)

    # kept for callers written before collect() was public
    _collect = collect

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


# scenarios build this class (see model.scenarios.scenario.register_model_class)
register_model_class(TumorImmuneModel)
