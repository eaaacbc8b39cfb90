"""The tissue: everything on the lattice that is not a rule.

A :class:`Tissue` holds the lattice geometry, Mesa's grid (one Mesa cell per
site), the two occupancy layers (at most one tumor cell and one immune cell
per site, so immune cells can infiltrate a solid tumor), one column store per
cell type, the diffusing fields with their per-step sources, and the vessel
sites. Biology modules read and change it only through public names:
``occupy``/``vacate`` when an agent enters or leaves a site, ``kill`` to
remove agents by row, ``leave_debris``/``clear_debris`` for dead-cell debris
(a dead tumor cell that still fills its site; the ``debris`` flag array).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np

from .fields import DiffusionField, stacked_buffers, step_together
from .kernels import add_at_sites
from .lattice import Lattice
from .map_kernels import claim_sites
from .mesa_grid import LatticeGrid
from .population import ONE_BY_ONE_BELOW, Population
from .voxels import VoxelField

__all__ = ["Tissue", "LAYERS"]

LAYERS = ("tumor", "immune")
_NO_SITES = np.zeros(0, dtype=np.int64)
# lattices up to this many sites step their fields with stacked transforms (Tissue.field_stacks)
_STACK_FIELDS_UP_TO = 256 * 256


class Tissue:
    """Lattice, occupancy layers, populations, fields and vessels of one model.

    Args:
        width, height: lattice size in sites.
        site_size_um: edge of one site (micrometres).
        cell_types: classes with a ``columns`` mapping; each gets a :class:`Population`.
        fields: field name -> its parameters (``diffusion_um2_per_min``,
            ``decay_per_hour``, ``cell_uptake_per_hour``).
        random: the model's Python ``random.Random`` (Mesa grids shuffle with it).
        field_precision_bits: 64, or 32 for float32 field transforms (see :class:`DiffusionField`).
        field_voxel_sites: 1 solves the fields per site; k > 1 on voxels of k x k sites
            (:class:`.voxels.VoxelField`; ``lattice.field_voxel_sites``).
    """

    def __init__(
        self,
        width: int,
        height: int,
        site_size_um: float,
        cell_types: Iterable[type],
        fields: Mapping[str, Any],
        random: Any,
        field_precision_bits: int = 64,
        field_voxel_sites: int = 1,
    ) -> None:
        # both values come checked from Parameters.validate (32 or 64; a voxel that divides the lattice)
        single_precision_fields = field_precision_bits == 32
        self.lattice = Lattice(width, height)
        # A Mesa OrthogonalMooreGrid whose Cell objects are built on first use and whose
        # cell.agents asks the populations: on 1000 x 1000 building every cell up front
        # took most of the set-up time and memory. The two-layer rule is enforced by the
        # occupancy layers below, which bulk moves update first.
        self.grid = LatticeGrid((width, height), random=random, occupants=self.agents_at)
        # flat site index -> Mesa cell (Mesa enumerates x-major, like our flat index)
        self.grid_cells = self.grid.by_site()
        n_sites = self.lattice.n_sites
        self.tumor_present = np.zeros(n_sites, dtype=bool)
        self.immune_occupied = np.zeros(n_sites, dtype=bool)
        # dead-cell debris: a killed tumor cell keeps its site until phagocytes clear it
        self.debris = np.zeros(n_sites, dtype=bool)
        self.populations: dict[type, Population] = {cls: Population(cls.columns, n_sites) for cls in cell_types}

        # fields live in Mesa property layers: grid.interferon.data, cell.interferon. On small
        # lattices their transforms run in stacked buffers, one transform call for all fields
        # (step_together); on large ones a stacked transform gains nothing (the work dominates)
        self.field_stacks = (stacked_buffers(len(fields), (width, height), single_precision_fields)
                             if n_sites <= _STACK_FIELDS_UP_TO and field_voxel_sites == 1 else None)
        self.fields: dict[str, DiffusionField | VoxelField] = {}
        for i, (name, fp) in enumerate(fields.items()):
            layer = self.grid.create_property_layer(name, default_value=0.0, dtype=float)
            if field_voxel_sites > 1:
                self.fields[name] = VoxelField(name, (width, height), site_size_um, fp.diffusion_um2_per_min,
                                               fp.decay_per_hour, fp.cell_uptake_per_hour, storage=layer.data,
                                               single_precision=single_precision_fields,
                                               voxel_sites=field_voxel_sites)
                continue
            self.fields[name] = DiffusionField(
                name,
                (width, height),
                site_size_um,
                fp.diffusion_um2_per_min,
                fp.decay_per_hour,
                fp.cell_uptake_per_hour,
                storage=layer.data,
                single_precision=single_precision_fields,
                slot=None if self.field_stacks is None else (self.field_stacks, i),
            )
        self.sources = {name: np.zeros(n_sites) for name in fields}
        # the sites written into each source since the last clear, so clear_sources zeroes
        # those instead of the whole lattice; None once so many were written that one full
        # fill is cheaper
        self._secreted: dict[str, list[np.ndarray] | None] = {name: [] for name in fields}
        self._secreted_count = dict.fromkeys(fields, 0)
        self._full_clear_above = max(1, n_sites // 8)
        self.vessel_sites = np.zeros(0, dtype=np.int64)
        self.is_vessel = np.zeros(n_sites, dtype=bool)

    @property
    def shape(self) -> tuple[int, int]:
        """``(width, height)``: the layout of every field and image."""
        return (self.lattice.width, self.lattice.height)

    # ------------------------------------------------------------ vessels
    def set_vessels(self, sites: np.ndarray) -> None:
        """Mark ``sites`` (sorted flat indices) as vessel sites; vessels do not move."""
        self.vessel_sites = np.asarray(sites, dtype=np.int64)
        self.is_vessel[:] = False
        self.is_vessel[self.vessel_sites] = True

    # ------------------------------------------------------------ layers
    def layer(self, name: str) -> np.ndarray:
        """The flat occupancy array of layer ``name`` (``"tumor"`` or ``"immune"``)."""
        if name == "tumor":
            return self.tumor_present
        if name == "immune":
            return self.immune_occupied
        raise ValueError(f"unknown layer '{name}'; allowed: {LAYERS}")

    def occupy(self, layer: str, site: int) -> None:
        """Claim ``site`` in ``layer``; a site already held is refused with ``RuntimeError``."""
        arr = self.layer(layer)
        if arr[site]:
            raise RuntimeError(f"site {site} already holds a {layer} cell")
        arr[site] = True

    def occupy_many(self, layer: str, sites: np.ndarray) -> None:
        """Claim distinct ``sites`` in ``layer`` at once; refused (nothing claimed) if one is held."""
        arr = self.layer(layer)
        if isinstance(sites, np.ndarray) and sites.dtype == np.int64 and sites.ndim == 1:
            status, site = claim_sites(arr, sites)
            if status == 0:
                return
            if status == 1:
                raise RuntimeError(f"site {int(site)} already holds a {layer} cell")
            if status == 2:
                raise RuntimeError(f"two new {layer} cells for one site")
        held = sites[arr[sites]]
        if held.size:
            raise RuntimeError(f"site {int(held[0])} already holds a {layer} cell")
        if np.unique(sites).size != sites.size:
            raise RuntimeError(f"two new {layer} cells for one site")
        arr[sites] = True

    def vacate(self, layer: str, site: int) -> None:
        """Free ``site`` in ``layer``."""
        self.layer(layer)[site] = False

    def agents_at(self, site: int) -> list:
        """The agents on flat ``site`` (tumor layer first): what ``cell.agents`` shows."""
        found = []
        for pop in self.populations.values():
            row = pop.row_at[site]
            if row >= 0:
                found.append(pop.agents[row])
        return found

    def move(self, agent: Any, site: int) -> None:
        """Move one agent to ``site`` in its layer (Mesa's ``agent.cell = cell`` ends here)."""
        self.occupy(agent.layer, int(site))
        self.vacate(agent.layer, agent.site)
        agent.store.move(agent.row, int(site))

    def move_rows(self, cls: type, rows: np.ndarray, new_sites: np.ndarray) -> None:
        """Record bulk moves of ``cls`` agents whose layer was already updated (walks)."""
        self.populations[cls].move_many(rows, new_sites)

    def refresh_empty_layer(self) -> None:
        """Bring Mesa's ``empty`` property layer up to date with both occupancy layers."""
        self.grid.set_empty(self.tumor_present, self.immune_occupied)

    def kill(self, cls: type, rows: np.ndarray) -> None:
        """Remove the agents of type ``cls`` in ``rows`` (any order) from the tissue and the model."""
        pop = self.populations[cls]
        if len(rows) < ONE_BY_ONE_BELOW:
            # a few (most calls: one CD8 kill, one death): one by one in descending row order, as
            # below for so few, without the numpy sort and object gather (~4 us a call). In that
            # order each agent is still on its row when its turn comes, so reading it then is the
            # same (distinct rows only: a repeated row would read the agent moved into it)
            order = sorted(np.asarray(rows).tolist(), reverse=True)
            if len(set(order)) == len(order):
                for row in order:
                    pop.agents[row].remove()
                return
        order = np.sort(rows)[::-1]
        agents = pop.agents[order]
        # a type may remove its agents in bulk (the same end state as one by one in this order)
        remove_agents = getattr(cls, "remove_agents", None)
        if remove_agents is not None:
            remove_agents(agents, order)
            return
        for agent in agents:
            agent.remove()

    def leave_debris(self, sites: np.ndarray) -> None:
        """Mark ``sites`` as holding a dead cell's debris (no tumor cell can divide into them)."""
        self.debris[np.asarray(sites, dtype=np.int64)] = True

    def clear_debris(self, sites: np.ndarray) -> None:
        """Free ``sites`` of debris."""
        self.debris[np.asarray(sites, dtype=np.int64)] = False

    def free_for_tumor(self, sites: np.ndarray) -> np.ndarray:
        """Bool per site: neither a tumor cell nor debris fills it."""
        return ~(self.tumor_present[sites] | self.debris[sites])

    # ------------------------------------------------------------ fields
    def secrete(self, field: str, sites: np.ndarray, rate_per_hour: float) -> None:
        """Each of ``sites`` (distinct: one cell of a layer per site) adds ``rate_per_hour`` to
        ``field``'s source this step. Indexed, not a lattice-wide bincount, so a few
        secreting cells cost little on a large lattice (same sums, bit for bit).

        Write sources only through here (doses included): :meth:`clear_sources` zeroes
        only the sites recorded by this method."""
        src = self.sources[field]
        # the usual call (int sites, one rate) in one compiled pass; numpy's fancy += makes
        # index, gather and scatter passes (~1 ms for a 250k-cell tumor on 1000 x 1000)
        if not (isinstance(sites, np.ndarray) and sites.dtype == np.int64 and sites.ndim == 1
                and isinstance(rate_per_hour, (float, int)) and add_at_sites(src, sites, float(rate_per_hour))):
            src[sites] += rate_per_hour
        self._record_secretion(field, sites)

    def _record_secretion(self, field: str, sites: np.ndarray) -> None:
        written = self._secreted[field]
        if written is None:
            return
        sites = np.asarray(sites)
        count = self._secreted_count[field] + (int(np.count_nonzero(sites)) if sites.dtype == bool else sites.size)
        self._secreted_count[field] = count
        if count > self._full_clear_above:
            self._secreted[field] = None  # a full fill at the next clear is cheaper (and no copy now)
            return
        # a copy: callers pass live column views, which moves change before the clear
        written.append(np.flatnonzero(sites) if sites.dtype == bool else np.array(sites, dtype=np.int64).reshape(-1))

    def clear_sources(self) -> None:
        """Zero every field's per-step source before the cells secrete.

        Only the sites :meth:`secrete` wrote since the last clear are zeroed (three
        lattice-wide fills per step cost more than the secretion on large lattices);
        a source written at many sites is filled whole."""
        for name, src in self.sources.items():
            written = self._secreted[name]
            if written is None:
                src.fill(0.0)
            else:
                for sites in written:
                    src[sites] = 0.0
            self._secreted[name] = []
            self._secreted_count[name] = 0

    def step_fields(self, dt_hours: float) -> None:
        """Diffuse, decay and take up every field over ``dt_hours`` with this step's sources."""
        shape = self.shape
        uptake = self.tumor_present.reshape(shape)
        sources, sites = [], []
        for name in self.fields:
            # a source written at few sites is read only there (see clear_sources)
            written = self._secreted[name]
            sites.append(None if written is None else (np.concatenate(written) if written else _NO_SITES))
            sources.append(self.sources[name].reshape(shape))
        if any(isinstance(f, VoxelField) for f in self.fields.values()):
            for f, src, at in zip(self.fields.values(), sources, sites):
                f.step(dt_hours, src, uptake, at)
            return
        step_together(list(self.fields.values()), dt_hours, sources, uptake, sites, self.field_stacks)
