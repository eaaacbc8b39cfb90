"""Recorded runs: lattice frames every k steps in one compact HDF5 file per run, and their reader.

File layout (HDF5 via h5py, every frame its own gzip+shuffle chunk, so reading
frame i decompresses only frame i)::

    attrs   format="tumor-immune-recording", version=1, width, height, site_um,
            every_steps, dt_hours, labels (JSON: scenario, replicate, ...)
    day     (F,)  float64      simulated day of each frame
    step    (F,)  int64
    tumor   (F, W, H) uint8    0 = no tumor cell, else 1 + round(254 x antigenicity)
    pd_l1   (F, W, H) uint8    round(255 x PD-L1) on tumor sites
    immune  (F, W, H) uint8    0 = none, k + 1 = style.IMMUNE_KINDS[k]
    fields  (F, 3, W, H) uint8     cytokine, osm, interferon as round(255 x value / field_max)
    field_max (F, 3) float32       each frame's field maxima (x EC50): 256 levels per frame,
                                   as many as a colour map shows
    vessels (V,)  int32        flat vessel sites (fixed for a run)
    history (T, C) float64     the data collector's C columns, every step (names: attrs["columns"])

Size at 200 x 200 sites, one frame every 12 steps (6 h, 4 frames a day): see
``benchmarks/bench_replay.py`` (it prints kB per simulated day); the tumor and
immune layers compress to a few kB a frame, the smooth fields dominate.
A file is written under a temporary name and renamed when complete, so a
``.tmp`` file means a run that did not finish.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping

import h5py
import numpy as np

from model import FIELD_NAMES, TumorImmuneModel

from .snapshot import Snapshot, snapshot_of
from .style import IMMUNE_KINDS
from .timecourses import History

FORMAT = "tumor-immune-recording"
VERSION = 1
SUFFIX = ".h5"
_COMPRESSION = {"compression": "gzip", "compression_opts": 4, "shuffle": True}


class RecordingError(ValueError):
    """A recording or results folder that cannot be replayed; the message says why and what to do."""


def encode(snap: Snapshot) -> dict[str, np.ndarray]:
    """One frame as the file's compact layers (see the module docstring)."""
    n = snap.width * snap.height
    tumor = np.zeros(n, dtype=np.uint8)
    pd_l1 = np.zeros(n, dtype=np.uint8)
    if snap.tumor_count:
        tumor[snap.tumor_sites] = 1 + np.rint(254 * np.clip(snap.tumor_values["antigenicity"], 0, 1)).astype(np.uint8)
        pd_l1[snap.tumor_sites] = np.rint(255 * np.clip(snap.tumor_values["pd_l1"], 0, 1)).astype(np.uint8)
    immune = np.zeros(n, dtype=np.uint8)
    for k, kind in enumerate(IMMUNE_KINDS):
        immune[snap.immune[kind]] = k + 1
    shape = (snap.width, snap.height)
    fields = [np.asarray(snap.fields[f], dtype=np.float64) for f in FIELD_NAMES]
    tops = np.array([max(float(v.max()), 0.0) for v in fields], dtype=np.float32)
    return {
        "tumor": tumor.reshape(shape),
        "pd_l1": pd_l1.reshape(shape),
        "immune": immune.reshape(shape),
        "fields": np.stack([np.rint(255 * values / top).astype(np.uint8) if top > 0 else np.zeros(shape, np.uint8)
                            for values, top in zip(fields, tops)]),
        "field_max": tops,
    }


class RecordingWriter:
    """Writes a run's frames to ``path`` as they come (under ``.<name>.tmp``, renamed by :meth:`close`).

    Example::

        with RecordingWriter("run.h5", every_steps=12, labels={"scenario": "untreated"}) as rec:
            rec.capture(model)              # frame 0
            while model.running:
                model.step()
                rec.capture(model)          # keeps every 12th step (and nothing else)
            rec.finish(model)               # the last state and the time courses
    """

    def __init__(self, path: str | os.PathLike, every_steps: int, labels: Mapping | None = None) -> None:
        if not isinstance(every_steps, (int, np.integer)) or isinstance(every_steps, bool) or every_steps < 1:
            raise RecordingError(f"every_steps must be a whole number >= 1, got {every_steps!r}")
        self.path = Path(path)
        self.every = int(every_steps)
        self.labels = dict(labels or {})
        self.tmp = self.path.with_name(f".{self.path.name}.tmp")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: h5py.File | None = None
        self._last_step = -1

    def __enter__(self) -> "RecordingWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()

    def _open(self, snap: Snapshot, dt_hours: float) -> h5py.File:
        f = h5py.File(self.tmp, "w")
        f.attrs.update(format=FORMAT, version=VERSION, width=snap.width, height=snap.height, site_um=snap.site_um,
                       every_steps=self.every, dt_hours=dt_hours, labels=json.dumps(self.labels))
        w, h = snap.width, snap.height
        f.create_dataset("day", (0,), maxshape=(None,), dtype="f8", chunks=(256,))
        f.create_dataset("step", (0,), maxshape=(None,), dtype="i8", chunks=(256,))
        for name in ("tumor", "pd_l1", "immune"):
            f.create_dataset(name, (0, w, h), maxshape=(None, w, h), dtype="u1", chunks=(1, w, h), **_COMPRESSION)
        nf = len(FIELD_NAMES)
        f.create_dataset("fields", (0, nf, w, h), maxshape=(None, nf, w, h), dtype="u1", chunks=(1, nf, w, h),
                         **_COMPRESSION)
        f.create_dataset("field_max", (0, nf), maxshape=(None, nf), dtype="f4", chunks=(256, nf))
        f.create_dataset("vessels", data=np.asarray(snap.vessel_sites, dtype=np.int32))
        return f

    def append(self, snap: Snapshot, dt_hours: float = 0.0) -> None:
        """Add one frame (whatever its step)."""
        if self._file is None:
            self._file = self._open(snap, dt_hours)
        f = self._file
        i = f["day"].shape[0]
        for name, data in (("day", snap.day), ("step", snap.step)):
            f[name].resize((i + 1,))
            f[name][i] = data
        for name, layer in encode(snap).items():
            f[name].resize((i + 1, *f[name].shape[1:]))
            f[name][i] = layer
        self._last_step = snap.step

    def capture(self, model: TumorImmuneModel) -> bool:
        """Record the model's state if its step is a multiple of ``every_steps``; return whether it did."""
        if model.steps % self.every or model.steps == self._last_step:
            return False
        self.append(snapshot_of(model), float(model.p.lattice.dt_hours))
        return True

    def finish(self, model: TumorImmuneModel, columns: Mapping | None = None) -> Path:
        """Record the last state (if not yet), store the time courses, close and rename; return the path."""
        if model.steps != self._last_step:
            self.append(snapshot_of(model), float(model.p.lattice.dt_hours))
        cols = model.datacollector.model_vars if columns is None else columns
        names = list(cols)
        table = np.column_stack([np.asarray(cols[k], dtype=np.float64) for k in names])
        history = self._file.create_dataset("history", data=table, chunks=True, **_COMPRESSION)
        history.attrs["columns"] = json.dumps(names)
        return self.close()

    def close(self) -> Path:
        """Close the file and give it its final name."""
        if self._file is None:
            raise RecordingError(f"recording '{self.path}' has no frame: call capture() or append() first")
        self._file.close()
        self._file = None
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Close and delete the unfinished file."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self.tmp.unlink(missing_ok=True)


class Recording:
    """A recorded run, read frame by frame (nothing is re-simulated).

    Args:
        path: an ``.h5`` file written by :class:`RecordingWriter`.

    Raises:
        RecordingError: the file is missing, unfinished, unreadable or not a recording.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        if not self.path.exists():
            if tmp.exists():
                raise RecordingError(f"recording '{self.path}' is unfinished (only {tmp.name} exists): "
                                     "its run was interrupted; run the experiment again to complete it")
            raise RecordingError(f"recording '{self.path}' does not exist")
        try:
            self._file = h5py.File(self.path, "r")
        except OSError as exc:
            raise RecordingError(f"'{self.path}' is not a readable HDF5 recording ({exc})") from None
        attrs = self._file.attrs
        if attrs.get("format") != FORMAT:
            self._file.close()
            raise RecordingError(f"'{self.path}' is not a tumor-immune recording (format attribute "
                                 f"{attrs.get('format')!r}, expected {FORMAT!r})")
        if int(attrs.get("version", 0)) > VERSION:
            self._file.close()
            raise RecordingError(f"'{self.path}' has recording version {attrs['version']}; this code reads "
                                 f"up to {VERSION}: update tumor-immune")
        self._cache: dict[int, Snapshot] = {}
        self.width, self.height = int(attrs["width"]), int(attrs["height"])
        self.site_um = float(attrs["site_um"])
        self.every_steps = int(attrs["every_steps"])
        self.labels = json.loads(attrs["labels"])
        self.days = np.asarray(self._file["day"][:], dtype=float)
        self.steps = np.asarray(self._file["step"][:], dtype=np.int64)
        self.vessel_sites = np.asarray(self._file["vessels"][:], dtype=np.int64)
        if "history" in self._file:
            table = self._file["history"][:]
            cols = {k: table[:, j] for j, k in enumerate(json.loads(self._file["history"].attrs["columns"]))}
        else:
            cols = {"days": self.days}
        self.history = History(cols, float(self.days[-1]) if len(self.days) else None,
                               tuple(self.labels.get("therapies", ())), self)

    def __len__(self) -> int:
        return len(self.days)

    def __enter__(self) -> "Recording":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    @property
    def name(self) -> str:
        """A short label: the scenario and replicate (or the file name)."""
        parts = [str(self.labels[k]) for k in ("scenario", "replicate", "patient") if k in self.labels]
        return " · ".join(parts) or self.path.stem

    def index_at(self, day: float) -> int:
        """The last frame at or before ``day`` (the first frame for earlier days)."""
        return max(int(np.searchsorted(self.days, day + 1e-9, side="right")) - 1, 0)

    def frame(self, i: int) -> Snapshot:
        """Frame ``i`` as a :class:`Snapshot` for the painters (the last few are kept: a page redraw reads once)."""
        if not -len(self) <= i < len(self):
            raise IndexError(f"frame {i} out of range: the recording has {len(self)} frames")
        i = int(i) % len(self)
        if i not in self._cache:
            if len(self._cache) >= 4:
                self._cache.pop(next(iter(self._cache)))
            self._cache[i] = self._read(i)
        return self._cache[i]

    def _read(self, i: int) -> Snapshot:
        f = self._file
        tumor = f["tumor"][i].ravel()
        pd_l1 = f["pd_l1"][i].ravel()
        immune = f["immune"][i].ravel()
        fields = f["fields"][i].astype(np.float32) * (f["field_max"][i] / 255.0)[:, None, None]
        sites = np.flatnonzero(tumor)
        occupied = np.flatnonzero(immune)
        codes = immune[occupied]
        return Snapshot(
            width=self.width, height=self.height, site_um=self.site_um,
            day=float(self.days[i]), step=int(self.steps[i]),
            tumor_sites=sites,
            tumor_values={"antigenicity": (tumor[sites].astype(float) - 1.0) / 254.0,
                          "pd_l1": pd_l1[sites].astype(float) / 255.0},
            immune={kind: occupied[codes == k + 1] for k, kind in enumerate(IMMUNE_KINDS)},
            vessel_sites=self.vessel_sites,
            fields={name: fields[j] for j, name in enumerate(FIELD_NAMES)},
        )

    def frame_at(self, day: float) -> Snapshot:
        """The frame shown at ``day`` (see :meth:`index_at`)."""
        return self.frame(self.index_at(day))
