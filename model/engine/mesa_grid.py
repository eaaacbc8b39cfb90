"""A Mesa ``OrthogonalMooreGrid`` whose cells are built on first use.

Mesa's grid makes one Python ``Cell`` per site, each with its neighbourhood,
when it is constructed: on a 1000 x 1000 lattice that is most of the set-up
time and of the memory, although the model keeps its state in numpy arrays.
:class:`LatticeGrid` is the same class to a Mesa user (``grid[(x, y)]``,
``cell.neighborhood``, ``cell.agents``, ``agent.cell``, property layers,
``grid.all_cells``), but a ``Cell`` object exists only once someone asks for
it, and its connections only once someone asks for its neighbourhood.

Who sits on a site is not stored in the cells either: ``cell.agents`` asks the
model (the ``occupants`` callback) each time, so moving a cell costs no Python
at all and the answer can never be stale. Agents of other classes that a user
puts on the grid with Mesa's own ``agent.cell = cell`` are kept per cell, as
Mesa does.
"""

from __future__ import annotations

import copyreg
from collections.abc import Callable, Sequence
from random import Random
from typing import Any

import numpy as np
from mesa.discrete_space import Cell, OrthogonalMooreGrid
from mesa.discrete_space.discrete_space import DiscreteSpace
from mesa.discrete_space.grid import pickle_gridcell
from mesa.discrete_space.property_layer import create_property_accessors

from .kernels import nor_into

__all__ = ["LatticeGrid", "SiteAgents", "SiteCells", "LazyCell"]

_MOORE_OFFSETS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


class SiteAgents:
    """Live, list-like view of the agents on one site (what Mesa keeps as ``cell._agents``)."""

    __slots__ = ("_occupants", "_site", "_extra")

    def __init__(self, occupants: Callable[[int], list], site: int) -> None:
        self._occupants = occupants
        self._site = site
        self._extra: list = []  # agents placed through Mesa's own CellAgent.cell setter

    def copy(self) -> list:
        """The agents now on the site, as a new list."""
        return self._occupants(self._site) + self._extra

    def __iter__(self):
        return iter(self.copy())

    def __len__(self) -> int:
        return len(self.copy())

    def __contains__(self, agent: object) -> bool:
        return agent in self.copy()

    def __getitem__(self, i):
        return self.copy()[i]

    def append(self, agent: Any) -> None:
        """Mesa's ``Cell.add_agent`` path, used only by agents that are not lattice cells."""
        if agent not in self._occupants(self._site):
            self._extra.append(agent)

    def remove(self, agent: Any) -> None:
        """Mesa's ``Cell.remove_agent`` path (see :meth:`append`)."""
        if agent in self._extra:
            self._extra.remove(agent)

    def __repr__(self) -> str:
        return repr(self.copy())


class LazyCell(Cell):
    """A Mesa ``Cell`` whose connections are made when first read and whose agents are a live view."""

    __slots__ = ("_grid", "_conn", "_view")

    def __init__(self, coordinate, *, grid: "LatticeGrid", capacity=None, random: Random | None = None) -> None:
        self._grid = grid
        self._conn = None
        self._view = SiteAgents(grid.occupants, grid.site_of(coordinate))
        super().__init__(coordinate, capacity=capacity, random=random)

    @property
    def connections(self) -> dict:
        """Neighbouring cells by relative offset (built on first access)."""
        if self._conn is None:
            self._conn = {}
            x, y = self.coordinate
            w, h = self._grid.dimensions
            for dx, dy in _MOORE_OFFSETS:
                nx, ny = x + dx, y + dy
                if 0 <= nx < w and 0 <= ny < h:
                    self._conn[(dx, dy)] = self._grid[(nx, ny)]
        return self._conn

    @connections.setter
    def connections(self, value: dict) -> None:
        # Cell.__init__ assigns an empty dict: keep the lazy state until someone asks
        self._conn = value if value else None

    @property
    def _agents(self) -> SiteAgents:
        return self._view

    @_agents.setter
    def _agents(self, value) -> None:
        for agent in value:
            self._view.append(agent)


class _LazyCells(dict):
    """coordinate -> cell; a missing in-bounds coordinate is built on access; iterating builds all."""

    def __init__(self, grid: "LatticeGrid") -> None:
        super().__init__()
        self._grid = grid
        self._complete = False

    def __missing__(self, coord):
        x, y = coord
        w, h = self._grid.dimensions
        if not (0 <= x < w and 0 <= y < h):
            raise KeyError(coord)
        cell = self._grid.make_cell((int(x), int(y)))
        self[cell.coordinate] = cell
        return cell

    def _fill(self) -> None:
        if not self._complete:
            w, h = self._grid.dimensions
            for x in range(w):
                for y in range(h):
                    self[(x, y)]
            self._complete = True

    def values(self):
        self._fill()
        return super().values()

    def items(self):
        self._fill()
        return super().items()

    def keys(self):
        self._fill()
        return super().keys()

    def __iter__(self):
        self._fill()
        return super().__iter__()

    def __len__(self) -> int:
        w, h = self._grid.dimensions
        return w * h

    def __contains__(self, coord) -> bool:
        try:
            x, y = coord
        except (TypeError, ValueError):
            return False
        w, h = self._grid.dimensions
        return 0 <= x < w and 0 <= y < h


class SiteCells:
    """Sequence view: flat site index -> Mesa cell of a :class:`LatticeGrid` (built on access)."""

    __slots__ = ("_grid",)

    def __init__(self, grid: "LatticeGrid") -> None:
        self._grid = grid

    def __getitem__(self, site: int) -> "LazyCell":
        n = len(self)
        site = int(site)
        if not -n <= site < n:
            raise IndexError(f"site {site} outside the {n}-site lattice")
        return self._grid.cell_at(site % n)

    def __len__(self) -> int:
        w, h = self._grid.dimensions
        return w * h

    def __iter__(self):
        return (self[s] for s in range(len(self)))


class LatticeGrid(OrthogonalMooreGrid):
    """An ``OrthogonalMooreGrid`` (no torus) that builds its ``Cell`` objects lazily.

    Args:
        dimensions: ``(width, height)``.
        random: the model's ``random.Random`` (Mesa convention).
        occupants: ``site -> list of agents`` on that flat site (``x * height + y``).
        capacity: Mesa cell capacity (not enforced for lattice cells, whose layers do that).
    """

    def __init__(
        self,
        dimensions: Sequence[int],
        *,
        random: Random,
        occupants: Callable[[int], list],
        capacity: float | None = None,
    ) -> None:
        # Grid.__init__ would build every cell: set up the same state without that
        DiscreteSpace.__init__(self, capacity=capacity, random=random, cell_klass=LazyCell)
        self.torus = False
        self.dimensions = tuple(int(d) for d in dimensions)
        self._try_random = True
        self._ndims = len(self.dimensions)
        self._validate_parameters()
        if self._ndims != 2:
            raise ValueError("LatticeGrid is two-dimensional")
        self.occupants = occupants
        self._new_cell_class()
        self.create_property_layer("empty", default_value=True, dtype=bool)

    def _new_cell_class(self) -> None:
        # Mesa gives every grid its own cell class, because property layers become
        # class attributes; cells are then built on demand from it.
        self.cell_klass = type("GridCell", (LazyCell,), {"_mesa_properties": set(), "__slots__": ()})
        copyreg.pickle(self.cell_klass, pickle_gridcell)
        self._cells = _LazyCells(self)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without cell objects: agents do not hold cells, so they are rebuilt on demand."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("cell_klass", "_cells")}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild the per-grid cell class, its layer accessors and an empty lazy cell table."""
        self.__dict__.update(state)
        self._new_cell_class()
        for layer in self._mesa_property_layers.values():
            setattr(self.cell_klass, layer.name,
                    create_property_accessors(layer.data, docstring=f"accessor for {layer.name}"))

    @property
    def _celllist(self) -> list:
        # Grid.select_random_empty_cell samples from this list
        return list(self._cells.values())

    def site_of(self, coordinate) -> int:
        """Flat site index of a coordinate."""
        return int(coordinate[0]) * self.dimensions[1] + int(coordinate[1])

    def make_cell(self, coordinate: tuple[int, int]) -> LazyCell:
        """Build the cell object of one coordinate (use ``grid[coordinate]`` instead)."""
        return self.cell_klass(coordinate, grid=self, capacity=self.capacity, random=self.random)

    def cell_at(self, site: int) -> LazyCell:
        """The Mesa cell of a flat site index."""
        x, y = divmod(int(site), self.dimensions[1])
        return self._cells[(x, y)]

    def by_site(self) -> SiteCells:
        """A sequence of this grid's cells indexed by flat site (``x * height + y``)."""
        return SiteCells(self)

    def n_built(self) -> int:
        """How many cell objects exist so far (for benchmarks and tests)."""
        return dict.__len__(self._cells)

    def set_empty(self, occupied: np.ndarray, also_occupied: np.ndarray | None = None) -> None:
        """Refresh the ``empty`` property layer from a flat bool array of occupied sites (or two,
        occupied in either: one compiled pass instead of an OR and a NOT over the lattice)."""
        empty = self._mesa_property_layers["empty"].data
        if also_occupied is not None and empty.flags.c_contiguous:  # its flat view is the layer itself
            nor_into(occupied.reshape(-1), also_occupied.reshape(-1), empty.reshape(-1))
            return
        if also_occupied is not None:
            occupied = occupied | also_occupied
        np.logical_not(occupied.reshape(self.dimensions), out=empty)
