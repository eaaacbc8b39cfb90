"""The model's Mesa data collector, with the per-value overhead of Mesa's ``collect`` cut.

:class:`SummaryCollector` is a ``mesa.DataCollector`` whose model reporters all read
one key of ``model.summary`` (``partial(summary_value, key=k)``; picklable, so
checkpoints store them as they are). Mesa's ``collect`` calls each reporter and
deep-copies its value, about 2 us per value and 44 values per row; here, once Mesa
has validated the reporters on the first call, a row is appended straight from the
summary (immutable scalars as they are, anything else deep-copied as Mesa would).
The Mesa face is unchanged: ``model_vars``, ``get_model_vars_dataframe()`` and the
reporters are those of a plain ``DataCollector``. A collector whose reporters were
changed, or that also collects agent data, goes through Mesa's ``collect``.
"""

from __future__ import annotations

from copy import deepcopy
from functools import partial
from typing import Any, Iterable

import mesa
from mesa.datacollection import DataCollector

from .checkpoint import summary_value

__all__ = ["SummaryCollector", "summary_reporters"]

# values Mesa's deepcopy returns as they are (int, float, bool, str, None)
_IMMUTABLE = frozenset((int, float, bool, str, type(None)))


def summary_reporters(keys: Iterable[str]) -> dict[str, Any]:
    """Mesa model reporters, one per key, each reading ``model.summary[key]``."""
    return {k: partial(summary_value, key=k) for k in keys}


class SummaryCollector(DataCollector):
    """A Mesa ``DataCollector`` of the summary keys ``keys`` (see the module docstring).

    Args:
        keys: the keys of ``model.summary`` to record, in column order.
    """

    def __init__(self, keys: Iterable[str]) -> None:
        super().__init__(model_reporters=summary_reporters(keys))
        self._checked_reporters: tuple = ()
        self._summary_keys: tuple[str, ...] = ()

    def reads_summary_only(self) -> tuple[str, ...] | None:
        """The summary keys to record if every model reporter reads one key of
        ``model.summary`` and no agent data is collected, else ``None``."""
        if self.agent_reporters or self.agenttype_reporters:
            return None
        items = tuple(self.model_reporters.items())
        if items != self._checked_reporters:  # element-wise identity first: cheap when unchanged
            keys = tuple(k for k, r in items if _reads_key(r, k))
            self._summary_keys = keys if len(keys) == len(items) else ()
            self._checked_reporters = items
        return self._summary_keys or None

    def collect(self, model: mesa.Model) -> None:
        """Record one row: Mesa's ``collect``, minus its per-value reporter calls and deep copies."""
        keys = self.reads_summary_only()
        if keys is None or not self._validated:
            super().collect(model)
            return
        self._collection_steps.append(model.time)
        summary, model_vars = model.summary, self.model_vars
        for k in keys:
            value = summary[k]
            model_vars[k].append(value if type(value) in _IMMUTABLE else deepcopy(value))


def _reads_key(reporter: Any, key: str) -> bool:
    """Whether ``reporter`` is ``partial(summary_value, key=key)``."""
    return (
        isinstance(reporter, partial)
        and reporter.func is summary_value
        and not reporter.args
        and reporter.keywords == {"key": key}
    )
