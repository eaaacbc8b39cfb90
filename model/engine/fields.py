"""Diffusing chemical fields on the lattice.

Each field obeys, on the lattice with no-flux (Neumann) walls,

    du/dt = D * Lap_h(u) - decay * u + s(x)

where ``Lap_h`` is the standard 5-point lattice Laplacian and ``s`` the
secretion per site, held constant over one update. The 5-point Laplacian with
mirror walls is diagonalised by the type-II discrete cosine transform, so the
update is the *exact* solution of the semi-discrete equation over ``dt``:

    u_k(t+dt) = u_k(t) e^{-lam_k dt} + s_k (1 - e^{-lam_k dt}) / lam_k,
    lam_k = D * mu_k + decay

It is unconditionally stable, conserves mass when ``decay = 0`` and keeps a
non-negative field non-negative (the semi-discrete propagator is a positive
matrix; round-off below zero is clipped). Cell uptake varies in space and so
cannot be diagonalised with the rest: when a field has uptake, the step is a
backward-Euler solve of the full operator (an M-matrix, so it stays
non-negative), by conjugate gradients preconditioned with the spectral inverse.

Cost: the spectrum ``u_k`` is kept between steps, so a step takes two
transforms (source forward, field back) instead of three, unless someone wrote
into the values since the last step (a dose, a test, a user through the Mesa
property layer): that is detected by comparing with what the field itself
wrote, and the spectrum is then recomputed. A field with no source takes one
transform, and a field with no source and no mass none.
"""

from __future__ import annotations

import numpy as np
from scipy import fft
from scipy.sparse.linalg import LinearOperator, cg

from .kernels import (
    any_nonzero,
    clip_into,
    copy_any_nonzero,
    count_nonfinite,
    same_values,
    scatter_any_nonzero,
    spectral_update_into,
)

try:  # scipy.fft's own DCT engine (ducc), called without scipy.fft's per-call argument handling
    from scipy.fft._duccfft.pyduccfft import dct as _ducc_dct
except ImportError:  # pragma: no cover - another scipy layout: scipy.fft is used instead
    _ducc_dct = None

__all__ = ["FieldValues", "DiffusionField", "dct_in_place", "idct_in_place", "DIRECT_TRANSFORMS", "stacked_buffers", "step_together"]

_NO_SOURCE = np.zeros((0, 0))
# a pickled field's marker for "the back buffer of its slot" (see DiffusionField.__getstate__)
_IS_BACK_BUFFER = "back buffer"
# what DiffusionField._begin leaves to do: nothing, the back transform only, or both transforms
_DONE, _BACK_ONLY, _BOTH = 0, 1, 2

# Right-hand sides whose largest magnitude lies within 2**+-_SAFE_EXPONENT are solved as they
# are (so results in that range are unchanged): their CG dot products stay far from float64
# underflow (2**-1022) and overflow (2**1024) even at the 1e-9 residual. Outside it the
# implicit solve is rescaled by a power of two.
_SAFE_EXPONENT = 256


def _rescale_exponent(a: np.ndarray) -> int:
    """0 if ``a``'s magnitude is safe for CG, else the power of two that brings its max to [0.5, 1)."""
    peak = float(np.abs(a).max()) if a.size else 0.0
    if peak == 0.0 or not np.isfinite(peak):
        return 0  # nothing to rescale (a zero system; a non-finite one fails on its own)
    exponent = int(np.frexp(peak)[1])
    return 0 if abs(exponent) <= _SAFE_EXPONENT else exponent


def _direct_transforms_match() -> bool:
    """Whether the ducc entry point gives exactly what ``scipy.fft.dctn``/``idctn`` give
    (checked once at import on both precisions; a scipy that changed it falls back)."""
    if _ducc_dct is None:
        return False
    probe = np.random.default_rng(0).random((7, 6))
    try:
        for dtype in (np.float64, np.float32):
            a = probe.astype(dtype)
            forward = _ducc_dct(a.copy(), 2, (0, 1), 1, None, 1, True)
            backward = _ducc_dct(a.copy(), 3, (0, 1), 1, None, 1, True)
            if not (np.array_equal(forward, fft.dctn(a, type=2, norm="ortho", workers=1))
                    and np.array_equal(backward, fft.idctn(a, type=2, norm="ortho", workers=1))):
                return False  # pragma: no cover
    except Exception:  # pragma: no cover - a changed private signature
        return False
    return True


# ~15-20 us less per transform (six per step): a third of a 100 x 100 transform
DIRECT_TRANSFORMS = _direct_transforms_match()


def dct_in_place(a: np.ndarray) -> np.ndarray:
    """Orthonormal 2D DCT-II of the float array ``a``, computed in place (returns ``a``);
    bit for bit ``scipy.fft.dctn(a, type=2, norm="ortho")``."""
    if DIRECT_TRANSFORMS:
        return _ducc_dct(a, 2, (0, 1), 1, a, 1, True)
    return fft.dctn(a, type=2, norm="ortho", workers=1, overwrite_x=True)  # pragma: no cover


def idct_in_place(a: np.ndarray) -> np.ndarray:
    """Orthonormal 2D inverse DCT-II (a DCT-III) of ``a``, in place; bit for bit
    ``scipy.fft.idctn(a, type=2, norm="ortho")``."""
    if DIRECT_TRANSFORMS:
        return _ducc_dct(a, 3, (0, 1), 1, a, 1, True)
    return fft.idctn(a, type=2, norm="ortho", workers=1, overwrite_x=True)  # pragma: no cover


class FieldValues:
    """What every field offers on its per-site ``values`` (a float64 array, the Mesa property layer):
    adding, reading, totals and the finiteness checks. A subclass's ``step`` sets ``_stepped_finite``
    (True/False from its own count of what it wrote, None when it made none)."""

    values: np.ndarray
    _stepped_finite: bool | None = None

    def add(self, amount: float | np.ndarray) -> None:
        """Add a uniform (or per-site) amount, e.g. a systemic drug entering the tissue."""
        np.maximum(self.values + amount, 0.0, out=self.values)

    def at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Field values at lattice coordinates."""
        return self.values[x, y]

    def is_finite(self) -> bool:
        """Whether every value is finite (no NaN or inf); one pass, no temporary array."""
        return count_nonfinite(self.values.reshape(-1).view(np.uint64)) == 0

    def is_finite_after_step(self) -> bool:
        """:meth:`is_finite`, for use right after ``step``: the step's own count when it
        made one (its last pass over the values counts NaN and inf), else the full check."""
        if self._stepped_finite is None:
            return self.is_finite()
        return self._stepped_finite

    def total(self) -> float:
        """Sum over all sites (field units x sites)."""
        return float(self.values.sum())

    def mean(self) -> float:
        """Mean over all sites."""
        return float(self.values.mean())

    def max(self) -> float:
        """Largest value (``float(values.max())``, by the same reduction without numpy's wrapper)."""
        return float(np.maximum.reduce(self.values, axis=None))


class DiffusionField(FieldValues):
    """One diffusion-decay-source field stored as a 2D numpy array.

    Args:
        name: field name (``"cytokine"``, ``"osm"``, ``"interferon"``).
        shape: lattice shape ``(width, height)``.
        site_size_um: lattice spacing in micrometres.
        diffusion_um2_per_min: diffusion coefficient.
        decay_per_hour: first-order decay (degradation) rate.
        uptake_per_hour: first-order consumption at sites flagged by ``uptake_mask``.
        storage: optional array to hold the values (updated in place).
        single_precision: run the transforms in float32 (about 7 significant digits,
            about half the cost on large lattices); the values stay float64.
        slot: optional ``(stacks, i)``: the transforms run in slot ``i`` of ``stacks``
            (:func:`stacked_buffers`), so :func:`step_together` can transform several fields
            in one call; by default the field allocates its own buffers.
    """

    def __init__(
        self,
        name: str,
        shape: tuple[int, int],
        site_size_um: float,
        diffusion_um2_per_min: float,
        decay_per_hour: float,
        uptake_per_hour: float = 0.0,
        storage: np.ndarray | None = None,
        single_precision: bool = False,
        slot: tuple[tuple[np.ndarray, np.ndarray], int] | None = None,
    ) -> None:
        if diffusion_um2_per_min < 0 or decay_per_hour < 0 or uptake_per_hour < 0:
            raise ValueError(f"field '{name}': diffusion, decay and uptake must be >= 0")
        self.name = name
        self.shape = tuple(int(s) for s in shape)
        self.site_size_um = float(site_size_um)
        self.diffusion_sites2_per_hour = diffusion_um2_per_min * 60.0 / site_size_um**2
        self.decay_per_hour = float(decay_per_hour)
        self.uptake_per_hour = float(uptake_per_hour)
        # storage lets a Mesa property layer share the array (grid.<name>.data, cell.<name>)
        self.values = storage if storage is not None else np.zeros(self.shape, dtype=float)
        if self.values.shape != self.shape or self.values.dtype != np.float64:
            raise ValueError(f"field '{name}': storage must be a float64 array of shape {self.shape}")
        # eigenvalues of -Lap_h with Neumann walls, in 1/site^2
        mu = [2.0 - 2.0 * np.cos(np.pi * np.arange(n) / n) for n in self.shape]
        self._mu = mu[0][:, None] + mu[1][None, :]
        self._cached_dt: float | None = None
        self.transform_dtype = np.float32 if single_precision else np.float64
        # spectrum of the values after the last step, and the values that step wrote
        self._u_hat: np.ndarray | None = None
        self._written: np.ndarray | None = None
        # work buffers the transforms run in place in (no fresh 8 MB arrays per transform on 1000^2)
        self._src_buf: np.ndarray | None = None
        self._back_buf: np.ndarray | None = None
        self._slot = slot
        if slot is not None:
            (source, back), i = slot
            if any(b.shape[1:] != self.shape or b.dtype != self.transform_dtype or not b.flags.c_contiguous
                   for b in (source, back)):
                raise ValueError(f"field '{name}': stacks must be C-contiguous {np.dtype(self.transform_dtype).name} "
                                 f"arrays of shape (n, {self.shape[0]}, {self.shape[1]})")
            self._src_buf, self._back_buf = source[i], back[i]
        # the spectral update's operands between _begin and _update: (u_hat, decay, gain)
        self._pending: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        # whether the values the last step() wrote are all finite (None: not known from the step)
        self._stepped_finite: bool | None = None
        # the float32 buffer whose clipped values the last step() wrote (finite), else None
        self._clipped: np.ndarray | None = None

    # --------------------------------------------------------------- numerics
    def _propagators(self, dt_hours: float) -> tuple[np.ndarray, np.ndarray]:
        if self._cached_dt != dt_hours:
            lam = self.diffusion_sites2_per_hour * self._mu + self.decay_per_hour
            decay = np.exp(-lam * dt_hours)
            # (1 - e^{-lam dt}) / lam, with its limit dt where lam dt is negligible. The test is on
            # lam * dt >= 1e-300, not lam > 0: with a subnormal lam (decay 5e-324, found by hypothesis)
            # lam * dt underflows or loses its digits, and expm1(-lam dt) / lam drops or distorts the
            # source of the mean mode. Below 1e-300 the limit dt is exact to double precision
            x = lam * dt_hours
            big = x >= 1e-300
            with np.errstate(divide="ignore", invalid="ignore"):
                gain = np.where(big, -np.expm1(-x) / np.where(big, lam, 1.0), dt_hours)
            dtype = self.transform_dtype
            self._decay, self._gain, self._cached_dt = decay.astype(dtype), gain.astype(dtype), dt_hours
        return self._decay, self._gain

    def step(
        self,
        dt_hours: float,
        source_per_hour: np.ndarray | None = None,
        uptake_mask: np.ndarray | None = None,
        source_sites: np.ndarray | None = None,
    ) -> None:
        """Advance the field by ``dt_hours`` with a constant source (field units per hour per site).

        ``source_sites``: flat indices outside which the source is known to be zero (the sites
        secreted into this step), so it is read only there; ``None``: read it everywhere.

        Without uptake the update is exact. With uptake at ``uptake_mask`` sites the
        uptake varies in space, so the step is taken implicitly (backward Euler) for the
        whole operator, solved by conjugate gradients preconditioned with the exact
        spectral inverse. Splitting uptake off after the diffusion step would make the
        value cells read depend on dt whenever ``uptake * dt`` is not small.
        """
        stage = self.begin_step(dt_hours, source_per_hour, uptake_mask, source_sites)
        if stage == _DONE:
            return
        self.update_step(self.transform_source() if stage == _BOTH else _NO_SOURCE)
        self.end_step(self.transform_back())

    # the stages of step(), for step_together: begin_step, the transforms, update_step, end_step
    def begin_step(self, dt_hours: float, source_per_hour: np.ndarray | None, uptake_mask: np.ndarray | None,
                   source_sites: np.ndarray | None) -> int:
        """:meth:`step` up to its transforms. Returns 0 (done: an idle or implicit step), 1 (the
        back transform is left: no source) or 2 (both: the source is in the source buffer)."""
        self._stepped_finite = None
        self._clipped = None
        if uptake_mask is not None and self.uptake_per_hour > 0 and uptake_mask.any():
            self._step_implicit(dt_hours, source_per_hour, uptake_mask)
            return _DONE
        decay, gain = self._propagators(dt_hours)
        # the source is copied into the buffer its transform runs in, and tested in that pass
        if source_per_hour is None:
            has_source = False
        elif source_sites is None or source_per_hour.shape != self.shape:
            has_source = copy_any_nonzero(source_per_hour, self._source_buffer())
        else:
            has_source = scatter_any_nonzero(np.ascontiguousarray(source_per_hour).reshape(-1),
                                             np.asarray(source_sites, dtype=np.int64), self._source_buffer().reshape(-1))
        if not has_source and not any_nonzero(self.values):
            self._stepped_finite = True
            return _DONE  # no mass, no source: the field stays exactly zero
        self._pending = (self._spectrum(), decay, gain)
        if self._back_buf is None:
            self._back_buf = np.empty(self.shape, dtype=self.transform_dtype)
        return _BOTH if has_source else _BACK_ONLY

    def transform_source(self) -> np.ndarray:
        """The source's transform, made in the source buffer (after :meth:`begin_step` returned 2)."""
        return dct_in_place(self._src_buf)

    def update_step(self, s_hat: np.ndarray | None) -> None:
        """``u_hat = decay * u_hat + gain * s_hat`` (``s_hat``: the source's transform, empty for no
        source, ``None`` for the source buffer transformed in place) and a copy into the buffer
        the back transform runs in."""
        u_hat, decay, gain = self._pending
        self._pending = None
        spectral_update_into(u_hat, decay, gain, self._src_buf if s_hat is None else s_hat, self._back_buf)

    def transform_back(self) -> np.ndarray:
        """The back transform of the updated spectrum, made in the back buffer (after :meth:`update_step`)."""
        return idct_in_place(self._back_buf)

    def end_step(self, u: np.ndarray | None) -> None:
        """Write the back transform ``u`` (``None``: the back buffer transformed in place) into the values."""
        u = self._back_buf if u is None else u
        # the clip removes round-off below zero only; the kept spectrum stays the exact one
        # u = max(u, 0); values[...] = u; and the finiteness check of what was written
        self._stepped_finite = clip_into(u, self.values) == 0
        self._written = u  # read before the buffer is next written (in _spectrum)
        self._clipped = u if self._stepped_finite and u.dtype == np.float32 else None

    def _spectrum(self) -> np.ndarray:
        """DCT of the current values: the kept one if the values are still what the last step wrote."""
        if self._u_hat is None or self._written is None or not same_values(self.values, self._written):
            self._u_hat = self._dct(self.values)
        return self._u_hat

    def _dct(self, a: np.ndarray) -> np.ndarray:
        return dct_in_place(a.astype(self.transform_dtype, copy=True))

    def _source_buffer(self) -> np.ndarray:
        """The kept buffer the source's transform runs in (its DCT there has the values of :meth:`_dct`)."""
        if self._src_buf is None:
            self._src_buf = np.empty(self.shape, dtype=self.transform_dtype)
        return self._src_buf

    def laplacian(self, u: np.ndarray) -> np.ndarray:
        """5-point lattice Laplacian with no-flux walls (mirror ghost sites), in 1/site^2."""
        p = np.pad(u, 1, mode="edge")
        return p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] - 4.0 * u

    def _step_implicit(self, dt: float, source: np.ndarray | None, mask: np.ndarray) -> None:
        self._written = None  # the kept spectrum no longer matches
        d = self.diffusion_sites2_per_hour
        k = self.decay_per_hour + self.uptake_per_hour * mask.astype(float)
        k_mean = float(k.mean())
        shape, n = self.shape, self.values.size
        # (1/dt + k(x) - D Lap) u_new = u_old/dt + s  -- an M-matrix, so u_new >= 0
        def matvec(v):
            u = v.reshape(shape)
            return (u * (1.0 / dt + k) - d * self.laplacian(u)).ravel()

        inv_symbol = 1.0 / (1.0 / dt + k_mean + d * self._mu)

        def precond(r):
            r_hat = fft.dctn(r.reshape(shape), type=2, norm="ortho", workers=1)
            return fft.idctn(r_hat * inv_symbol, type=2, norm="ortho", workers=1).ravel()

        rhs = self.values / dt
        if source is not None:
            rhs = rhs + source
        # CG's dot products square the values: a field decayed to ~1e-162 underflows them to
        # 0/0 (and a huge one overflows), so it would never converge. The system is linear, so
        # solve for the values times a power of two (exact) that brings them near 1.
        exponent = _rescale_exponent(rhs)
        a = LinearOperator((n, n), matvec=matvec, dtype=float)
        m = LinearOperator((n, n), matvec=precond, dtype=float)
        b, x0 = np.ldexp(rhs.ravel(), -exponent), np.ldexp(self.values.ravel(), -exponent)
        u, info = cg(a, b, x0=x0, M=m, rtol=1e-9, atol=0.0, maxiter=500)
        if info != 0:  # pragma: no cover - the preconditioned, rescaled system is well conditioned
            raise RuntimeError(f"field '{self.name}': implicit uptake solve did not converge (info={info})")
        self.values[...] = np.maximum(np.ldexp(u, exponent).reshape(shape), 0.0)

    def max_after_step(self) -> float:
        """:meth:`max`, for use right after :meth:`step` with nothing written into the values
        since (the model's own collect). A float32 step's values are its clipped, finite
        buffer cast to float64, so a positive maximum is the buffer's, read in half the bytes
        (~0.15 ms per 1000 x 1000 field); a zero maximum (whose sign could depend on the order
        of the reduction) and every other case read the values."""
        if self._clipped is not None:
            peak = float(np.maximum.reduce(self._clipped, axis=None))
            if peak > 0.0:
                return peak
        return self.max()

    def in_slot(self, stacks: tuple[np.ndarray, np.ndarray], i: int) -> bool:
        """Whether the transforms run in slot ``i`` of ``stacks`` (identity checks only; a view's
        base is the array that owns the memory, for a restored stack the pickle's buffer)."""
        slot = self._slot
        if slot is None or slot[1] != i or slot[0][0] is not stacks[0] or slot[0][1] is not stacks[1]:
            return False
        return all(buf.base is (stack if stack.base is None else stack.base)
                   for buf, stack in ((self._src_buf, stacks[0]), (self._back_buf, stacks[1])))

    def __getstate__(self) -> dict:
        """Pickled state (checkpoints): buffers in a slot are views of the stacks, which pickle
        would copy apart from them; the slot is stored instead, and the kept back transform
        (``_written``, ``_clipped``) as a reference to the back buffer."""
        state = self.__dict__.copy()
        if self._slot is not None:
            for key in ("_written", "_clipped"):
                if state[key] is not None and state[key] is self._back_buf:
                    state[key] = _IS_BACK_BUFFER
            del state["_src_buf"], state["_back_buf"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if self._slot is not None:
            (source, back), i = self._slot
            self._src_buf, self._back_buf = source[i], back[i]
            for key in ("_written", "_clipped"):
                if isinstance(self.__dict__[key], str):
                    self.__dict__[key] = self._back_buf

    def __repr__(self) -> str:
        return f"DiffusionField({self.name!r}, shape={self.shape}, mean={self.mean():.3g})"


def stacked_buffers(n: int, shape: tuple[int, int], single_precision: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Source and back transform buffers for ``n`` fields of ``shape``, each one C-contiguous
    ``(n, *shape)`` array: give field ``i`` ``slot=(stacks, i)``."""
    dtype = np.float32 if single_precision else np.float64
    return np.empty((n, *shape), dtype=dtype), np.empty((n, *shape), dtype=dtype)


def step_together(fields: list[DiffusionField], dt_hours: float, sources: list[np.ndarray | None],
                  uptake_mask: np.ndarray | None, source_sites: list[np.ndarray | None],
                  stacks: tuple[np.ndarray, np.ndarray] | None) -> bool:
    """``fields[i].step(dt_hours, sources[i], uptake_mask, source_sites[i])`` for every field, bit for
    bit. When the fields' buffers are the slots of ``stacks`` (:func:`stacked_buffers`) and every
    field needs a transform, the fields' transforms are made as one stacked transform each way
    (ducc transforms every slot as it would alone, ~9 % less per transform on 100 x 100: one
    call's set-up instead of four); otherwise field by field. Fields are independent, so
    transforming all sources before any back transform changes nothing. Returns whether the
    back transforms were stacked."""
    stages = [f.begin_step(dt_hours, src, uptake_mask, sites) for f, src, sites in zip(fields, sources, source_sites)]
    together = (stacks is not None and DIRECT_TRANSFORMS and all(stages) and len(fields) == stacks[0].shape[0]
                and all(f.in_slot(stacks, i) for i, f in enumerate(fields)))
    if together and all(stage == _BOTH for stage in stages):
        _ducc_dct(stacks[0], 2, (1, 2), 1, stacks[0], 1, True)
        s_hats = [None] * len(fields)  # each field's source buffer, transformed in place
    else:
        s_hats = [f.transform_source() if stage == _BOTH else _NO_SOURCE for f, stage in zip(fields, stages)]
    for f, stage, s_hat in zip(fields, stages, s_hats):
        if stage != _DONE:
            f.update_step(s_hat)
    if together:
        _ducc_dct(stacks[1], 3, (1, 2), 1, stacks[1], 1, True)
    for f, stage in zip(fields, stages):
        if stage != _DONE:
            f.end_step(None if together else f.transform_back())
    return together
