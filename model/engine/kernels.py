"""Compiled (numba) kernels for the bulk phases of a step.

The model decides who acts with numpy; these kernels do the parts that are
loops by nature (hop rounds with conflict resolution) or that numpy would do
in many small passes. Results are bit-identical to the numpy code they replace,
random draws included, so one seed gives one run.

Kernels that draw (:func:`walk_rounds`, :func:`choice_per_row`) take the model's
Generator as a :func:`bit_stream` (its bit generator's state and entry points as four
integers) and call numpy's own C routines with numpy's algorithms, so they advance the
same stream exactly as the numpy calls they replace. (Numba can take a Generator itself,
but unpacks it on every call for ~10 us.)

Kernels are compiled on first use and cached on disk (``cache=True``), so a
fresh process pays a few hundred milliseconds once, not per model.
"""

from __future__ import annotations

import ctypes

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

__all__ = ["bit_stream", "next_double", "random_interval", "uniform_fill", "permutation", "pick_marked", "choice_per_row",
           "walk_candidates", "walk_resolve", "walk_rounds", "spectral_update", "spectral_update_into", "any_nonzero", "count_nonfinite", "same_values", "clip_into",
           "copy_any_nonzero", "add_at_sites", "nor_into",
           "scatter_any_nonzero"]


_STREAMS: dict[int, tuple] = {}


def bit_stream(rng: np.random.Generator) -> np.ndarray:
    """``rng``'s bit generator as the kernels take it: uint64 ``[state, next_double,
    next_uint32, next_uint64]`` addresses (valid while ``rng`` lives; kept per generator)."""
    bitgen = rng.bit_generator
    entry = _STREAMS.get(id(bitgen))
    if entry is None or entry[0] is not bitgen:
        if len(_STREAMS) > 64:
            _STREAMS.clear()
        iface = bitgen.ctypes
        addresses = [iface.state_address] + [
            ctypes.cast(fn, ctypes.c_void_p).value for fn in (iface.next_double, iface.next_uint32, iface.next_uint64)
        ]
        entry = (bitgen, np.array(addresses, dtype=np.uint64))
        _STREAMS[id(bitgen)] = entry
    return entry[1]


def _caller(return_type, ll_return):
    @intrinsic
    def call(typingctx, fn, state):
        def codegen(context, builder, signature, args):
            fnty = ir.FunctionType(ll_return, (ir.IntType(64),))
            return builder.call(builder.inttoptr(args[0], fnty.as_pointer()), (args[1],))
        return return_type(types.uint64, types.uint64), codegen
    return call


_call_double = _caller(types.float64, ir.DoubleType())
_call_uint32 = _caller(types.uint32, ir.IntType(32))
_call_uint64 = _caller(types.uint64, ir.IntType(64))


@njit(cache=True, nogil=True)
def _next_double(gen):
    return _call_double(gen[1], gen[0])


@njit(cache=True, nogil=True)
def _random_interval(gen, max_value):
    """numpy's ``random_interval``: uniform integer in ``[0, max_value]`` by masked rejection."""
    if max_value == 0:
        return 0
    mx = np.uint64(max_value)
    mask = mx
    mask |= mask >> np.uint64(1)
    mask |= mask >> np.uint64(2)
    mask |= mask >> np.uint64(4)
    mask |= mask >> np.uint64(8)
    mask |= mask >> np.uint64(16)
    mask |= mask >> np.uint64(32)
    if mx <= np.uint64(0xFFFFFFFF):
        value = np.uint64(_call_uint32(gen[2], gen[0])) & mask
        while value > mx:
            value = np.uint64(_call_uint32(gen[2], gen[0])) & mask
    else:
        value = _call_uint64(gen[3], gen[0]) & mask
        while value > mx:
            value = _call_uint64(gen[3], gen[0]) & mask
    return np.int64(value)


# public names of the two draws, for kernels in other modules that draw through a bit_stream
next_double = _next_double
random_interval = _random_interval


@njit(cache=True, nogil=True)
def uniform_fill(gen, out):
    """Fill the C-contiguous float64 ``out`` as ``rng.random(out.shape)`` would (same stream)."""
    flat = out.ravel()
    for i in range(flat.size):
        flat[i] = _next_double(gen)


@njit(cache=True, nogil=True)
def permutation(gen, n):
    """``rng.permutation(n)``: numpy's shuffle of ``arange(n)`` (same stream, same result)."""
    out = np.arange(n)
    for i in range(n - 1, 0, -1):
        j = _random_interval(gen, i)
        if j != i:
            t = out[j]
            out[j] = out[i]
            out[i] = t
    return out


@njit(cache=True, nogil=True)
def pick_marked(gen, marks):
    """The index of the highest uniform draw among the True entries of the 1D bool ``marks``:
    ``score = rng.random(marks.size); score[~marks] = -1; score.argmax()`` (every entry draws;
    no True gives 0, as that argmax does). The one random pick every kernel choosing a
    neighbour uses, so they all advance the stream alike."""
    best = -np.inf
    pick = 0
    for c in range(marks.size):
        v = _next_double(gen)
        if not marks[c]:
            v = -1.0
        if v > best:
            best = v
            pick = c
    return pick


@njit(cache=True, nogil=True)
def choice_per_row(gen, mask):
    """For each row of the 2D bool ``mask``, :func:`pick_marked` of that row:
    ``score = rng.random(mask.shape); score[~mask] = -1; score.argmax(axis=1)``."""
    rows = mask.shape[0]
    out = np.zeros(rows, dtype=np.int64)
    for r in range(rows):
        out[r] = pick_marked(gen, mask[r])
    return out


@njit(cache=True, nogil=True)
def walk_candidates(neighbours, occupied, sites, substeps, stopped, hop):
    """Walkers that may hop in round ``hop``: allowed another hop, not stopped, with a free neighbour.

    Args:
        neighbours: (n_sites, 9) int32 Moore table (-1 outside the walls).
        occupied: flat bool, sites held in the walkers' layer.
        sites, substeps, stopped: per-walker site, hop budget and stop flag.
        hop: the round number (0-based).

    Returns:
        Indices of the walkers that hop this round, ascending.
    """
    n = sites.size
    act = np.empty(n, dtype=np.int64)
    count = 0
    for i in range(n):
        if substeps[i] > hop and not stopped[i]:
            s = sites[i]
            for k in range(8):
                t = neighbours[s, k]
                if t >= 0 and not occupied[t]:
                    act[count] = i
                    count += 1
                    break
    return act[:count]


@njit(cache=True, nogil=True)
def walk_resolve(neighbours, occupied, sites, stopped, act, score, chemo, attractant, order, stop_on, claimed,
                 attractant_extra):
    """One hop round: choose each walker's target, let the first claimant (in ``order``) win, move.

    Args:
        act: walkers hopping this round (from :func:`walk_candidates`).
        score: (len(act), 8) uniform draws; the free neighbour with the highest score is chosen.
        chemo: per-act bool; such walkers choose the free neighbour with the highest
            ``attractant`` instead (ties broken by ``1e-9 * score``). Length 0 = none.
        order: a permutation of ``range(len(act))``: claim priority.
        stop_on: flat bool; a walker landing on such a site stops (length 0 = never).
        claimed: flat bool scratch of n_sites, all False; left all False.
        attractant_extra: added to ``attractant`` where read (``a[t] + b[t]``, the same number
            as a lattice-wide ``a + b``); length 0 = none.

    ``occupied``, ``sites`` and ``stopped`` are updated in place. Targets are chosen
    against the occupancy at the start of the round, as in the numpy version.
    """
    n = act.size
    target = np.empty(n, dtype=np.int64)
    use_chemo = chemo.size > 0
    use_extra = attractant_extra.size > 0
    for i in range(n):
        s = sites[act[i]]
        best = -np.inf
        best_k = 0
        for k in range(8):
            t = neighbours[s, k]
            if t >= 0 and not occupied[t]:
                if use_chemo and chemo[i] and use_extra:
                    v = (attractant[t] + attractant_extra[t]) + 1e-9 * score[i, k]
                elif use_chemo and chemo[i]:
                    v = attractant[t] + 1e-9 * score[i, k]
                else:
                    v = score[i, k]
            else:
                v = -np.inf
            if v > best:
                best = v
                best_k = k
        target[i] = neighbours[s, best_k]
    winners = np.empty(n, dtype=np.int64)
    n_win = 0
    for j in range(n):
        i = order[j]
        t = target[i]
        if not claimed[t]:
            claimed[t] = True
            winners[n_win] = i
            n_win += 1
    use_stop = stop_on.size > 0
    for j in range(n_win):
        i = winners[j]
        w = act[i]
        t = target[i]
        claimed[t] = False
        occupied[sites[w]] = False
        occupied[t] = True
        sites[w] = t
        if use_stop and stop_on[t]:
            stopped[w] = True


@njit(cache=True, nogil=True)
def walk_rounds(neighbours, occupied, sites, substeps, stopped, gen, bias, chemotaxis, attractant, stop_on, claimed,
                attractant_extra):
    """Every hop round of a walk in one call: :func:`walk_candidates` then :func:`walk_resolve`
    per round, drawing from ``gen`` (the model's Generator as a :func:`bit_stream`) exactly
    what the per-round numpy loop drew, in the same order and shapes: ``rng.random((n_act, 8))``
    scores, then ``rng.random(n_act) < bias`` chemotaxis flags (only if ``chemotaxis``), then
    ``rng.permutation(n_act)`` claim order; so the stream (and the run) is unchanged.

    ``occupied``, ``sites`` and ``stopped`` are updated in place; ``attractant_extra`` as in
    :func:`walk_resolve`.
    """
    n_rounds = 0
    for i in range(substeps.size):
        if substeps[i] > n_rounds:
            n_rounds = substeps[i]
    no_flags = np.zeros(0, dtype=np.bool_)
    for hop in range(n_rounds):
        act = walk_candidates(neighbours, occupied, sites, substeps, stopped, hop)
        if act.size == 0:
            break
        score = np.empty((act.size, 8))
        uniform_fill(gen, score)
        if chemotaxis:
            chemo = np.empty(act.size, dtype=np.bool_)
            for i in range(act.size):
                chemo[i] = _next_double(gen) < bias
        else:
            chemo = no_flags
        order = permutation(gen, act.size)
        walk_resolve(neighbours, occupied, sites, stopped, act, score, chemo, attractant, order, stop_on, claimed,
                     attractant_extra)


@njit(cache=True, nogil=True)
def spectral_update(u_hat, decay, gain, s_hat):
    """``u_hat = decay * u_hat + gain * s_hat`` in one pass (in place); ``s_hat`` may be empty (no source)."""
    flat_u = u_hat.ravel()
    flat_d = decay.ravel()
    if s_hat.size == 0:
        for i in range(flat_u.size):
            flat_u[i] = flat_u[i] * flat_d[i]
    else:
        flat_g = gain.ravel()
        flat_s = s_hat.ravel()
        for i in range(flat_u.size):
            flat_u[i] = flat_u[i] * flat_d[i] + flat_g[i] * flat_s[i]


@njit(cache=True, nogil=True)
def spectral_update_into(u_hat, decay, gain, s_hat, out):
    """:func:`spectral_update`, also writing the new ``u_hat`` into ``out`` (same shape and dtype)."""
    flat_u = u_hat.ravel()
    flat_d = decay.ravel()
    flat_o = out.ravel()
    if s_hat.size == 0:
        for i in range(flat_u.size):
            v = flat_u[i] * flat_d[i]
            flat_u[i] = v
            flat_o[i] = v
    else:
        flat_g = gain.ravel()
        flat_s = s_hat.ravel()
        for i in range(flat_u.size):
            v = flat_u[i] * flat_d[i] + flat_g[i] * flat_s[i]
            flat_u[i] = v
            flat_o[i] = v


@njit(cache=True, nogil=True)
def any_nonzero(a):
    """Whether any element of the 2D array ``a`` is non-zero (stops at the first; no temporary)."""
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            if a[i, j] != 0:
                return True
    return False


@njit(cache=True, nogil=True)
def count_nonfinite(bits):
    """How many of the float64 values whose bit patterns are ``bits`` (a flat uint64 view) are
    NaN or inf (all exponent bits set). An integer reduction without early exit, so it
    vectorises: faster than ``np.isfinite(a).all()`` and no temporary."""
    n = 0
    for i in range(bits.size):
        n += (bits[i] & 0x7FF0000000000000) == 0x7FF0000000000000
    return n


@njit(cache=True, nogil=True)
def same_values(a, b):
    """``np.array_equal(a, b)`` for 2D arrays of one shape, with no temporary. Counts the
    differences rather than stopping at the first: the loop then vectorises, which is faster
    on the usual case (the arrays are equal)."""
    n = 0
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            n += a[i, j] != b[i, j]
    return n == 0


@njit(cache=True, nogil=True)
def clip_into(u, out):
    """``u = max(u, 0)`` and ``out[...] = u`` in one pass over 2D arrays
    (``np.maximum`` semantics: -0.0 and NaN are kept as they are); returns how many of
    the values are NaN or inf, counted in the same pass (``v - v`` is 0 only when finite)."""
    n = 0
    for i in range(u.shape[0]):
        for j in range(u.shape[1]):
            v = u[i, j]
            if v < 0.0:
                v = 0.0
                u[i, j] = v
            out[i, j] = v
            n += (v - v) != 0.0
    return n


@njit(cache=True, nogil=True)
def copy_any_nonzero(src, out):
    """``np.copyto(out, src, casting="same_kind")`` for 2D arrays of one shape, returning
    whether any value of ``src`` is non-zero (NaN counts), found in the same pass: the field
    step copies its source into the transform buffer anyway, so the test costs no pass."""
    n = 0
    for i in range(src.shape[0]):
        for j in range(src.shape[1]):
            v = src[i, j]
            out[i, j] = v
            n += v != 0
    return n != 0


@njit(cache=True, nogil=True)
def add_at_sites(flat, sites, amount):
    """``flat[sites] += amount`` as numpy does it (every new value is the old one plus ``amount``,
    all read before any is written, so a repeated site gets ``amount`` once) with no temporaries
    beyond the gathered values. Returns False, changing nothing, if a site is outside
    ``[0, flat.size)``: the caller then lets numpy index (and raise, or wrap negatives)."""
    n = flat.size
    for i in range(sites.size):
        if sites[i] < 0 or sites[i] >= n:
            return False
    new = np.empty(sites.size)
    for i in range(sites.size):
        new[i] = flat[sites[i]] + amount
    for i in range(sites.size):
        flat[sites[i]] = new[i]
    return True


@njit(cache=True, nogil=True)
def nor_into(a, b, out):
    """``np.logical_not(a | b, out=out)`` for flat bool arrays of one size, in one pass (no temporary)."""
    for i in range(a.size):
        out[i] = not (a[i] or b[i])


@njit(cache=True, nogil=True)
def scatter_any_nonzero(src, sites, out):
    """:func:`copy_any_nonzero` for a flat ``src`` that is zero outside ``sites``: ``out`` (flat)
    is zeroed and given ``src`` at ``sites`` (cast as ``np.copyto`` casts), so it holds exactly
    what the full copy would; returns whether any of those values is non-zero. A source written
    at a few sites costs a fill and the sites instead of reading the whole lattice."""
    out[:] = 0
    n = 0
    for i in range(sites.size):
        v = src[sites[i]]
        out[sites[i]] = v
        n += v != 0
    return n != 0
