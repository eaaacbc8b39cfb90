"""Column storage for one cell type, so rules can be decided in bulk with numpy.

Each live agent of a type owns one row. Per-agent attributes (antigenicity,
exhaustion, ...) live in numpy columns; the agent object reads and writes its
row through :class:`Column` descriptors: an agent exposes ``store`` (its
:class:`Population`) and ``row`` (its row there, ``-1`` once removed). Removing an agent moves the last row
into the hole, so columns stay dense and a whole population is a slice.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .rule_kernels import move_rows

__all__ = ["ONE_BY_ONE_BELOW", "Column", "Population"]


# removals of fewer rows than this go one by one: below it the bulk set-up (sort, object gather,
# column moves) costs more than it saves (Tissue.kill, LatticeCell.remove_agents)
ONE_BY_ONE_BELOW = 4


class Column:
    """Descriptor exposing one numpy column as an agent attribute."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        if agent.row < 0:
            raise AttributeError(f"{type(agent).__name__} has been removed; '{self.name}' is gone")
        return agent.store.columns[self.name][agent.row].item()

    def __set__(self, agent, value) -> None:
        agent.store.columns[self.name][agent.row] = value


class Population:
    """Dense numpy columns plus the agent object for each row.

    Args:
        dtypes: column name -> numpy dtype. ``site`` (flat lattice index) is always present.
        n_sites: number of lattice sites, for the site -> row lookup.
    """

    def __init__(self, dtypes: dict[str, Any], n_sites: int, capacity: int = 256) -> None:
        self.dtypes = {"site": np.int64, **dtypes}
        self.n = 0
        self._cap = capacity
        self.columns = {k: np.zeros(capacity, dtype=dt) for k, dt in self.dtypes.items()}
        self.agents = np.empty(capacity, dtype=object)
        self.row_at = np.full(n_sites, -1, dtype=np.int64)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, name: str) -> np.ndarray:
        """Live view of one column (length ``n``)."""
        return self.columns[name][: self.n]

    def _grow(self) -> None:
        self._cap *= 2
        for k, col in self.columns.items():
            new = np.zeros(self._cap, dtype=col.dtype)
            new[: self.n] = col[: self.n]
            self.columns[k] = new
        agents = np.empty(self._cap, dtype=object)
        agents[: self.n] = self.agents[: self.n]
        self.agents = agents

    def add(self, agent, site: int, values: dict[str, Any]) -> int:
        """Append a row for ``agent`` at ``site``; return the row."""
        if self.n == self._cap:
            self._grow()
        row = self.n
        for k, col in self.columns.items():
            col[row] = 0
        self.columns["site"][row] = site
        for k, v in values.items():
            self.columns[k][row] = v
        self.agents[row] = agent
        self.row_at[site] = row
        self.n += 1
        return row

    def add_many(self, sites: np.ndarray, values: dict[str, Any]) -> np.ndarray:
        """Append rows for agents at ``sites`` with column ``values`` (arrays or scalars);
        return the new rows. The caller puts the agent objects into ``agents[rows]``."""
        sites = np.asarray(sites, dtype=np.int64)
        k = sites.size
        while self.n + k > self._cap:
            self._grow()
        rows = np.arange(self.n, self.n + k)
        for name, col in self.columns.items():
            col[rows] = 0
        self.columns["site"][rows] = sites
        for name, v in values.items():
            self.columns[name][rows] = v
        self.row_at[sites] = rows
        self.n += k
        return rows

    def remove(self, row: int) -> None:
        """Delete ``row``; the last row moves into its place."""
        last = self.n - 1
        self.row_at[self.columns["site"][row]] = -1
        if row != last:
            for col in self.columns.values():
                col[row] = col[last]
            moved = self.agents[last]
            self.agents[row] = moved
            moved.row = row
            self.row_at[self.columns["site"][row]] = row
        self.agents[last] = None
        self.n -= 1

    def remove_rows(self, rows: np.ndarray) -> None:
        """Delete distinct ``rows`` given in descending order, ending exactly as :meth:`remove` on
        each in that order would (rows, ``row_at``, agents, and the spare capacity's stale values);
        the removed agents' ``row`` is left to the caller.

        In descending order a row is never moved before it is removed, and the row moved into a
        hole is never one still to remove, so every copy reads an original row: the copies are
        found first (a few Python ints) and made per column in one fancy assignment."""
        order = rows.tolist()
        n = self.n
        origin: dict[int, int] = {}  # position -> original row whose values end there
        for r in order:
            last = n - 1
            if r != last:
                origin[r] = origin.get(last, last)
            n -= 1
        site = self.columns["site"]
        self.row_at[site[rows]] = -1
        if origin:
            dst = np.fromiter(origin.keys(), np.int64, len(origin))
            src = np.fromiter(origin.values(), np.int64, len(origin))
            for col in self.columns.values():
                col[dst] = col[src]
            final = dst < n  # a copy beyond the new end was moved on again later
            dst, src = dst[final], src[final]
            moved = self.agents[src]
            self.agents[dst] = moved
            for agent, row in zip(moved.tolist(), dst.tolist()):
                agent.row = row
            self.row_at[site[dst]] = dst
        self.agents[n:self.n] = None
        self.n = n

    def move_many(self, rows: np.ndarray, new_sites: np.ndarray) -> None:
        """Record that the agents in ``rows`` now sit at ``new_sites`` (distinct sites, one layer)."""
        # clear first, then set: one agent's old site may be another's new site (one compiled call;
        # rows that stay put may be included)
        move_rows(self.columns["site"], self.row_at, np.asarray(rows, dtype=np.int64),
                  np.asarray(new_sites, dtype=np.int64))

    def move(self, row: int, new_site: int) -> None:
        """Record that the agent in ``row`` now sits at ``new_site``."""
        old = self.columns["site"][row]
        if self.row_at[old] == row:
            self.row_at[old] = -1
        self.columns["site"][row] = new_site
        self.row_at[new_site] = row
