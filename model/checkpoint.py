"""Checkpoints: the whole state of a running model as bytes, and back.

``checkpoint(model)`` captures everything a model will ever read again -- the
lattice layers, the columnar populations, the three fields, the marrow, the
treatments and their pharmacokinetic state, the data collected so far and all
four random streams (``model.rng``, numpy; ``model.random``, the stdlib stream
Mesa's grid uses; the bone's and the lung's own, ``model.bone.rng`` and
``model.lung.rng``) -- so
``restore(blob)`` continues bit-identically to the uninterrupted model. This is how a virtual patient's trial arms start from the
*same* baseline tissue and differ only by treatment ("branching" runs: grow
once, then try several treatments).

The format is a pickle (protocol 5) with a small header; only restore blobs you
made yourself (unpickling runs code), and only with the same package version.
"""

from __future__ import annotations

import pickle
from functools import partial
from typing import Any

import mesa

__all__ = ["checkpoint", "restore", "CheckpointError", "summary_value"]

_MAGIC = b"TUMOR-IMMUNE-CHECKPOINT-1\n"


class CheckpointError(ValueError):
    """A blob is not a model checkpoint (or comes from another format version)."""


def summary_value(model: mesa.Model, key: str) -> Any:
    """Data-collector reporter: ``model.summary[key]`` (a picklable stand-in for a lambda)."""
    return model.summary[key]


def _picklable_reporters(reporters: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    # The model's reporters are closures (lambda m, k=k: m.summary[k]), which pickle
    # cannot store; each one that reads a summary key is replaced by an equivalent
    # partial of a module-level function (Mesa calls both as reporter(model)).
    # partial(summary_value, ...) reporters (the model's own) are kept as they are
    return {
        k: (partial(summary_value, key=k) if k in summary and not _reads_summary(r) else r)
        for k, r in reporters.items()
    }


def _reads_summary(reporter: Any) -> bool:
    return isinstance(reporter, partial) and reporter.func is summary_value


def checkpoint(model: mesa.Model) -> bytes:
    """The whole state of ``model`` (a TumorImmuneModel; random streams included) as bytes.

    The model itself is left unchanged and can keep running; ``restore`` of the
    result gives an independent model that continues exactly as this one would.
    Also available as ``model.checkpoint()``.
    """
    # typed on mesa.Model (not TumorImmuneModel) so that model.py can import this module
    if not isinstance(model, mesa.Model) or not hasattr(model, "summary"):
        raise CheckpointError(f"checkpoint(model): expected a TumorImmuneModel, got {type(model).__name__}")
    dc = model.datacollector
    original = dc.model_reporters
    dc.model_reporters = _picklable_reporters(original, model.summary)
    # a caller's row filter (experiments.runner's OutcomeTrace) belongs to the run that set it, not
    # to the state: it may not pickle, and a restored model records every row again
    row_filter = model.__dict__.pop("collect_filter", None)
    try:
        body = pickle.dumps(model, protocol=5)
    finally:
        dc.model_reporters = original
        if row_filter is not None:
            model.collect_filter = row_filter
    return _MAGIC + body


def restore(blob: bytes) -> mesa.Model:
    """A model rebuilt from :func:`checkpoint` bytes, ready to continue stepping.

    Also available as ``TumorImmuneModel.restore(blob)``.
    """
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise CheckpointError(f"restore(blob): expected bytes from checkpoint(), got {type(blob).__name__}")
    blob = bytes(blob)
    if not blob.startswith(_MAGIC):
        raise CheckpointError("restore(blob): not a tumor-immune model checkpoint (header missing or another version)")
    model = pickle.loads(blob[len(_MAGIC):])
    if not isinstance(model, mesa.Model) or not hasattr(model, "summary"):
        raise CheckpointError(f"restore(blob): the checkpoint holds a {type(model).__name__}, not a TumorImmuneModel")
    return model
