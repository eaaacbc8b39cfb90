"""The five cell types: state only, no rules.

Each class is a Mesa ``CellAgent`` whose state lives in numpy columns (see
:mod:`model.engine.population`); ``agent.store`` is its type's column store and
``agent.row`` its row there. The rules that change this state live in one
module per mechanism (growth, cd8, treg, neutrophils_osm, macrophages, ...),
which the model calls in bulk each step; nothing steps a single agent.

Two layers share the lattice: at most one tumor cell and at most one immune
cell per site, so immune cells can infiltrate a solid tumor.
"""

from __future__ import annotations

from typing import Any, ClassVar

import mesa
import numpy as np
from mesa.discrete_space import Cell, CellAgent

from ..engine.kernels import bit_stream
from ..engine.parameters import step_probability
from ..engine.population import ONE_BY_ONE_BELOW, Column, Population
from ..engine.rule_kernels import clear_flags_draws

__all__ = [
    "LatticeCell",
    "TumorCell",
    "CD8TCell",
    "RegulatoryTCell",
    "Neutrophil",
    "Macrophage",
    "IMMUNE_TYPES",
    "CELL_TYPES",
    "M0",
    "M1",
    "M2",
    "TUMOR_DEATH_CAUSES",
    "record_tumor_death",
    "kill_tumor_at",
    "DEBRIS_CAUSES",
    "clear_debris",
]

M0, M1, M2 = 0, 1, 2
TUMOR_DEATH_CAUSES = ("cd8", "macrophage", "chemotherapy", "radiotherapy", "surgery", "necrosis")
# deaths that leave a dead cell on its site until phagocytes clear it; surgery removes the
# tissue and drug/radiation deaths stay as before (issue 12 covers immune killing)
DEBRIS_CAUSES = ("cd8", "macrophage", "necrosis")


class LatticeCell(CellAgent):
    """Common base: one row in its type's :class:`Population`, one Mesa cell.

    ``agent.cell`` is the Mesa cell of the agent's ``site`` column, looked up when
    read, so bulk moves cost no per-agent Python; assigning ``agent.cell = cell``
    (or Mesa's ``move_to``) moves the agent, refused if the site's layer is taken.
    """

    columns: ClassVar[dict] = {}
    layer: ClassVar[str] = "immune"
    code: ClassVar[int] = 0
    site = Column()

    def __init__(self, model: mesa.Model, site: int, **state: Any) -> None:
        # claim the site first: a refused placement must leave no half-registered agent behind
        model.tissue.occupy(self.layer, int(site))
        super().__init__(model)
        self.store: Population = model.populations[type(self)]
        self.row = self.store.add(self, int(site), state)

    @classmethod
    def create_many(cls, model: mesa.Model, sites: np.ndarray, **columns: Any) -> list["LatticeCell"]:
        """Put one new agent of this type on each of ``sites`` (distinct, free in this layer),
        with per-agent ``columns`` (arrays or scalars); the same agents, ids and rows as
        creating them one by one in ``sites`` order, in bulk (tumor seeding, division)."""
        sites = np.asarray(sites, dtype=np.int64)
        model.tissue.occupy_many(cls.layer, sites)
        store = model.populations[cls]
        rows = store.add_many(sites, columns)
        agents = []
        for row in rows.tolist():
            agent = cls.__new__(cls)
            CellAgent.__init__(agent, model)  # Mesa's registration (unique_id, model.agents)
            agent.store, agent.row = store, row
            agents.append(agent)
        store.agents[rows] = agents
        return agents

    def remove(self) -> None:
        """Take the cell off the lattice and out of the model."""
        self.model.tissue.vacate(self.layer, self.site)
        self.store.remove(self.row)
        self.row = -1
        super().remove()

    @classmethod
    def remove_agents(cls, agents: np.ndarray, rows: np.ndarray) -> None:
        """Remove ``agents`` of this type, in distinct ``rows`` sorted descending, as calling
        :meth:`remove` on each in that order would: the same layer, rows and agent order, and
        Mesa's deregistration in that order; the column moves are made in bulk (~3 us less per
        agent from four agents on; below that the bulk set-up costs more than it saves, so they
        go one by one, as does a type that overrides ``remove`` or rows out of order)."""
        order = rows.tolist()
        if len(order) < ONE_BY_ONE_BELOW or cls.remove is not LatticeCell.remove or any(a <= b for a, b in zip(order, order[1:])):
            for agent in agents:
                agent.remove()
            return
        model = agents[0].model
        store = model.populations[cls]
        model.tissue.layer(cls.layer)[store["site"][rows]] = False
        store.remove_rows(rows)
        for agent in agents.tolist():
            agent.row = -1
            CellAgent.remove(agent)  # Mesa's part of remove(): deregistration, cell cleared

    @property
    def cell(self) -> Cell | None:
        """The Mesa cell this agent sits on (``None`` once removed)."""
        return None if self.row < 0 else self.model.grid_cells[self.site]

    @cell.setter
    def cell(self, cell: Cell | None) -> None:
        if cell is None:
            return  # Mesa's CellAgent.remove() clears the cell; remove() has vacated the site
        site = self.model.tissue.grid.site_of(cell.coordinate)
        if site != self.site:
            self.model.tissue.move(self, site)

    def step(self) -> None:  # pragma: no cover - documented guard
        raise NotImplementedError(
            f"{type(self).__name__} is stepped in bulk by the model's step hooks (model/biology/), not one by one"
        )

    @classmethod
    def population(cls, model: mesa.Model) -> Population:
        """This type's column store in ``model``."""
        return model.populations[cls]


class TumorCell(LatticeCell):
    """A breast-cancer cell.

    Divides into a free neighbouring site (contact inhibition when none is
    free); daughters may lose antigen (immunoediting); shows PD-L1 (baseline
    plus interferon-induced); with intact IRF7 releases type-I interferon when
    stressed by cytotoxic contact (active CD8 T-cell or M1 macrophage); secretes
    the suppressive cytokine; oncostatin M speeds division and escape into vessels.
    """

    layer = "tumor"
    code = 1
    columns = {
        "antigenicity": np.float64,
        "irf7_intact": np.bool_,
        "lethally_irradiated": np.bool_,
        "clone": np.int64,
        "born_hours": np.float64,
        "hits": np.float64,
    }
    antigenicity = Column()
    irf7_intact = Column()
    lethally_irradiated = Column()
    clone = Column()
    born_hours = Column()
    hits = Column()  # sublethal CTL hits not yet repaired (Weigelin et al. 2021)

    @property
    def pd_l1(self) -> float:
        """Current PD-L1 engagement level (0-1): baseline plus interferon-induced."""
        return float(self.model.tumor_pd_l1(np.array([self.site]))[0])

    def die(self, cause: str) -> None:
        """Remove this cell and count the death under ``cause``."""
        record_tumor_death(self.model, cause, 1)
        self.remove()


class CD8TCell(LatticeCell):
    """A cytotoxic T-cell (rules: :mod:`model.biology.cd8`)."""

    code = 2
    columns = {"exhausted": np.bool_, "kills": np.int64, "car_t": np.bool_, "arrested_until_hours": np.float64,
               "target_site": np.int64}
    exhausted = Column()
    target_site = Column()  # the tumor site it is hitting; kept while that cell stays adjacent
    arrested_until_hours = Column()  # stays on its dead target until then (post-kill arrest)
    kills = Column()
    car_t = Column()


class RegulatoryTCell(LatticeCell):
    """A regulatory T-cell (rules: :mod:`model.biology.treg`)."""

    code = 3
    columns = {}


class Neutrophil(LatticeCell):
    """A short-lived neutrophil that secretes oncostatin M when activated (rules: :mod:`model.biology.neutrophils_osm`)."""

    code = 4
    columns = {"activated": np.bool_}
    activated = Column()


class Macrophage(LatticeCell):
    """A tumor-associated macrophage, M0/M1/M2 (rules: :mod:`model.biology.macrophages`)."""

    code = 5
    columns = {"polarization": np.int8}
    polarization = Column()

    @property
    def phenotype(self) -> str:
        """``"M0"``, ``"M1"`` or ``"M2"``."""
        return ("M0", "M1", "M2")[self.polarization]


IMMUNE_TYPES: tuple[type[LatticeCell], ...] = (CD8TCell, RegulatoryTCell, Neutrophil, Macrophage)
CELL_TYPES: tuple[type[LatticeCell], ...] = (TumorCell, *IMMUNE_TYPES)


def record_tumor_death(model: mesa.Model, cause: str, n: int) -> None:
    """Count ``n`` tumor deaths under ``cause`` (one of :data:`TUMOR_DEATH_CAUSES`)."""
    if cause not in TUMOR_DEATH_CAUSES:
        raise ValueError(f"unknown tumor death cause '{cause}'; allowed: {TUMOR_DEATH_CAUSES}")
    model.counters[f"tumor_deaths_{cause}"] += int(n)


def kill_tumor_at(model: mesa.Model, sites: np.ndarray, cause: str) -> int:
    """Kill the tumor cells at ``sites`` (unique); count them under ``cause``; return how many died.

    Immune and necrotic deaths (:data:`DEBRIS_CAUSES`) leave debris on the site, so
    neighbours cannot divide into the gap at once: a kill costs the tumor its space
    for hours (PhysiCell apoptosis model), not one step.
    """
    pop = model.populations[TumorCell]
    rows = pop.row_at[np.asarray(sites, dtype=np.int64)]
    rows = rows[rows >= 0]
    record_tumor_death(model, cause, rows.size)
    if cause in DEBRIS_CAUSES and rows.size:
        model.tissue.leave_debris(pop["site"][rows])
    model.tissue.kill(TumorCell, rows)
    return int(rows.size)


def clear_debris(model: mesa.Model) -> None:
    """Phagocytes clear dead-cell debris with hazard 1 / ``tumor.debris_clearance_hours``."""
    # one draw per debris site in site order (none without debris), in one compiled pass
    rate = 1.0 / model.p.tumor.debris_clearance_hours
    clear_flags_draws(bit_stream(model.rng), model.tissue.debris, step_probability(rate, model.dt))
