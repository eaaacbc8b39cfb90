"""Compiled (numba) kernels for the biology rules of a step: maps, contact tests, per-cell rates.

On the lattices an ensemble runs (100 x 100, a few hundred immune cells) a step is
hundreds of numpy calls on small arrays, each costing its call overhead more than its
work; these kernels do a rule's bookkeeping in one call. Every kernel gives bit for bit
what the numpy code it replaced gave (the same operations in the same order, numpy's
``maximum``/``minimum`` semantics), and the ones that draw take the model's Generator as a
:func:`.kernels.bit_stream` and draw what numpy drew, in the same order, so one seed still
gives one run. Transcendental functions (``expm1``, ``exp``) stay in numpy, whose
vectorised versions may round differently from the C library's: callers pass their results in.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .kernels import next_double, permutation, pick_marked
from .reductions import pairwise_sum

__all__ = ["paint_boxes", "any_marked_per_row", "indices_below", "draw_hops", "move_rows", "contact_and_engaged",
           "sticky_choice", "cd8_hit_rates", "repair_draws", "division_candidates", "division_winners",
           "indices_below_all", "polarize", "m1_hits", "pd_l1_mean", "apply_hits",
           "clear_flags_draws", "division_rates"]


@njit(cache=True, nogil=True)
def paint_boxes(sites, width, height, radius):
    """Flat bool map of ``width * height`` sites: True within Chebyshev distance ``radius`` of
    any of the flat ``sites`` (``site = x * height + y``). The same map as dilating a mask
    holding ``sites``, at a cost that follows the number of sites, not the lattice."""
    out = np.zeros(width * height, dtype=np.bool_)
    for i in range(sites.size):
        x, y = divmod(sites[i], height)
        for xx in range(max(0, x - radius), min(width, x + radius + 1)):
            base = xx * height
            for yy in range(max(0, y - radius), min(height, y + radius + 1)):
                out[base + yy] = True
    return out


@njit(cache=True, nogil=True)
def any_marked_per_row(table, flags):
    """For each row of the int ``table`` (flat site indices, ``-1`` = none), whether ``flags``
    holds at one of its sites: ``np.append(flags, False)[table].any(axis=1)``, stopping at the first."""
    rows, cols = table.shape
    out = np.zeros(rows, dtype=np.bool_)
    for r in range(rows):
        for c in range(cols):
            s = table[r, c]
            if s >= 0 and flags[s]:
                out[r] = True
                break
    return out


@njit(cache=True, nogil=True)
def _maximum(a, b):
    """``np.maximum(a, b)`` for one pair: NaN in ``a`` propagates, and ties give ``b`` (so -0.0 vs 0.0 gives 0.0)."""
    return a if (a > b or a != a) else b


@njit(cache=True, nogil=True)
def _minimum(a, b):
    """``np.minimum(a, b)`` for one pair (NaN in ``a`` propagates, ties give ``b``)."""
    return a if (a < b or a != a) else b


@njit(cache=True, nogil=True)
def _hill(c, ec50):
    """``parameters.hill(c, ec50)`` with n = 1: ``c / (c + ec50)`` after ``np.maximum(c, 0.0)``."""
    c = _maximum(c, 0.0)
    return c / (c + ec50)


@njit(cache=True, nogil=True)
def indices_below(gen, flags, p_if_set, p_if_clear):
    """Rows ``i`` whose uniform draw is below their probability: ``np.flatnonzero(rng.random(n) <
    np.where(flags, p_if_set, p_if_clear))`` (one draw per row, in order; same stream)."""
    n = flags.size
    out = np.empty(n, dtype=np.int64)
    count = 0
    for i in range(n):
        if next_double(gen) < (p_if_set if flags[i] else p_if_clear):
            out[count] = i
            count += 1
    return out[:count]


@njit(cache=True, nogil=True)
def draw_hops(gen, n, base, frac):
    """``(base + (rng.random(n) < frac)).astype(np.int64)``: ``base`` or ``base + 1`` hops per cell."""
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        out[i] = np.int64(base + (1.0 if next_double(gen) < frac else 0.0))
    return out


@njit(cache=True, nogil=True)
def move_rows(site_col, row_at, rows, new_sites):
    """``Population.move_many``: agents in ``rows`` now sit at ``new_sites`` (distinct sites of one
    layer; rows that stay put may be included). A site is released only if its row still points there."""
    for i in range(rows.size):
        old = site_col[rows[i]]
        if row_at[old] == rows[i]:
            row_at[old] = -1
    for i in range(rows.size):
        site_col[rows[i]] = new_sites[i]
        row_at[new_sites[i]] = rows[i]


@njit(cache=True, nogil=True)
def contact_and_engaged(neighbours, occupied, sites, exhausted, arrested_until, hours):
    """CD8 contact test. Returns ``has`` (n, 9): ``occupied`` at each entry of ``neighbours[sites]``
    (False outside the walls), ``touching``: any of a row and not ``exhausted``, and the rows
    ``touching & ~(arrested_until > hours)`` (engaged, ascending)."""
    n = sites.size
    cols = neighbours.shape[1]
    has = np.zeros((n, cols), dtype=np.bool_)
    touching = np.zeros(n, dtype=np.bool_)
    rows = np.empty(n, dtype=np.int64)
    count = 0
    for i in range(n):
        s = sites[i]
        anyone = False
        for k in range(cols):
            t = neighbours[s, k]
            if t >= 0 and occupied[t]:
                has[i, k] = True
                anyone = True
        touching[i] = anyone and not exhausted[i]
        if touching[i] and not (arrested_until[i] > hours):
            rows[count] = i
            count += 1
    return has, touching, rows[:count]


@njit(cache=True, nogil=True)
def sticky_choice(gen, stored, neighbours, sites, is_target, rows):
    """``cd8.sticky_targets(stored[rows], neighbours[sites[rows]], is_target[rows], rng)`` without
    the row copies: per row, ``choice_per_row``'s draws (one per column, every row), then the
    stored site if it is still a target (its first column), else the drawn one."""
    cols = is_target.shape[1]
    out = np.empty(rows.size, dtype=np.int64)
    for j in range(rows.size):
        r = rows[j]
        pick = pick_marked(gen, is_target[r])
        for c in range(cols):
            if is_target[r, c] and neighbours[sites[r], c] == stored[r]:
                pick = c
                break
        out[j] = neighbours[sites[r], pick]
    return out


@njit(cache=True, nogil=True)
def cd8_hit_rates(rows, target, cell_sites, car_t, antigenicity, row_at, type1, gamma, cytokine, treg_near, prm):
    """Per engaged CD8 cell (``rows``, hitting tumor site ``target``): the Poisson mean of this step's
    hits and the exhaustion hazard, computed as ``cd8.step_cd8``'s numpy expressions were (same
    operations, same order). ``treg_near`` of length 0 means no Treg map. ``prm``: kill rate,
    PD-L1 baseline, induced max, EC50, ``1 - pd1_blockade``, PD-1 inhibition max, Treg suppression
    max, cytokine suppression max, dt, exhaustion rate, exhaustion factor."""
    n = rows.size
    lam = np.empty(n)
    exhaust = np.empty(n)
    use_treg = treg_near.size > 0
    for j in range(n):
        t = target[j]
        s = cell_sites[rows[j]]
        antigen = 1.0 if car_t[rows[j]] else antigenicity[row_at[t]]
        pd_l1 = _minimum(prm[1] + prm[2] * _hill(type1[t] + gamma[t], prm[3]), 1.0) * prm[4]
        treg = treg_near[s] * 1.0 if use_treg else 0.0  # a bool map reads as 1.0 / 0.0, as in numpy
        rate = prm[0] * antigen
        rate = rate * (1.0 - prm[5] * pd_l1)
        rate = rate * (1.0 - prm[6] * treg)
        rate = rate * (1.0 - prm[7] * _hill(cytokine[s], 1.0))
        lam[j] = rate * prm[8]
        exhaust[j] = prm[9] * pd_l1 * prm[10]
    return lam, exhaust


@njit(cache=True, nogil=True)
def pd_l1_mean(sites, type1, gamma, baseline, induced, ec50):
    """``cd8.tumor_pd_l1(model, sites).mean()`` for a non-empty int ``sites``: each level as that
    numpy expression computes it, then numpy's pairwise sum (:func:`.reductions.pairwise_sum`;
    bit for bit where ``reductions.EXACT_SUMS``). The summary's mean over every tumor cell was
    ten lattice-sized numpy passes on 1000 x 1000."""
    levels = np.empty(sites.size)
    for i in range(sites.size):
        t = sites[i]
        levels[i] = _minimum(baseline + induced * _hill(type1[t] + gamma[t], ec50), 1.0)
    return pairwise_sum(levels) / sites.size


@njit(cache=True, nogil=True)
def apply_hits(hits, row_at, target, rows, n_hits, hits_to_kill):
    """CD8 hits as ``cd8.step_cd8``'s numpy code applied them: ``np.add.at`` of ``n_hits`` (where
    > 0) onto ``hits[row_at[target]]`` in order, then the targets that reached ``hits_to_kill``
    (``np.unique``: sorted) and, for each, the row of its first lethal hitter (``return_index``).
    Returns the total hit count, those targets and those rows."""
    size = hits.size
    total = 0
    for j in range(n_hits.size):
        total += n_hits[j]
        if n_hits[j] > 0:
            r = row_at[target[j]]
            hits[r + size if r < 0 else r] += np.float64(n_hits[j])  # numpy wraps -1
    lethal_t = np.empty(n_hits.size, np.int64)
    lethal_r = np.empty(n_hits.size, np.int64)
    k = 0
    for j in range(n_hits.size):
        if n_hits[j] > 0:
            r = row_at[target[j]]
            if hits[r + size if r < 0 else r] >= hits_to_kill:
                lethal_t[k], lethal_r[k] = target[j], rows[j]
                k += 1
    order = np.argsort(lethal_t[:k], kind="mergesort")  # stable: the first hitter of a target leads
    t_hit = np.empty(k, np.int64)
    credited = np.empty(k, np.int64)
    m = 0
    for i in range(k):
        j = order[i]
        if m == 0 or lethal_t[j] != t_hit[m - 1]:
            t_hit[m], credited[m] = lethal_t[j], lethal_r[j]
            m += 1
    return total, t_hit[:m], credited[:m]


@njit(cache=True, nogil=True)
def clear_flags_draws(gen, flags, p):
    """``sites = np.flatnonzero(flags); flags[sites[rng.random(sites.size) < p]] = False`` in one
    pass: one uniform per set flag, in site order (no draws when none is set)."""
    for i in range(flags.size):
        if flags[i] and next_double(gen) < p:
            flags[i] = False


@njit(cache=True, nogil=True)
def _binomial_inversion(gen, n, p):
    """numpy's ``random_binomial_inversion`` (Generator.binomial for ``n * p <= 30``, ``p <= 0.5``)."""
    q = 1.0 - p
    qn = np.exp(n * np.log(q))
    np_ = n * p
    bound = np.int64(min(float(n), np_ + 10.0 * np.sqrt(np_ * q + 1)))
    x = 0
    px = qn
    u = next_double(gen)
    while u > px:
        x += 1
        if x > bound:
            x = 0
            px = qn
            u = next_double(gen)
        else:
            u -= px
            px = ((n - x + 1) * p * px) / (x * q)
    return x


@njit(cache=True, nogil=True)
def repair_draws(gen, hits, p):
    """``damaged = np.flatnonzero(hits > 0); hits[damaged] -= rng.binomial(hits[damaged].astype(np.int64), p)``
    in place, with numpy's inversion algorithm (the one numpy uses when every ``n * min(p, 1 - p)``
    is at most 30: hit counts are a few). Returns False, drawing nothing, when some count is too
    large for it (the caller then draws with numpy)."""
    small = p if p <= 0.5 else 1.0 - p
    for i in range(hits.size):
        if hits[i] > 0 and small * np.int64(hits[i]) > 30.0:
            return False
    for i in range(hits.size):
        if hits[i] > 0:
            n = np.int64(hits[i])
            if n == 0 or p == 0.0:
                continue
            if p <= 0.5:
                x = _binomial_inversion(gen, n, p)
            else:
                x = n - _binomial_inversion(gen, n, 1.0 - p)
            hits[i] -= x
    return True


@njit(cache=True, nogil=True)
def division_candidates(gen, n, p_max, site_col, neighbours, tumor_present, debris):
    """Thinning draw and contact inhibition of ``growth.divide``: rows ``i < n`` whose draw is below
    ``p_max`` (one draw per row, in order) and that have a Moore neighbour free of tumor and debris.
    Returns those rows, their sites and their (rows, 8) free-neighbour flags."""
    cand = indices_below_all(gen, n, p_max)
    count = cand.size
    rows = np.empty(count, dtype=np.int64)
    sites = np.empty(count, dtype=np.int64)
    free = np.zeros((count, 8), dtype=np.bool_)
    kept = 0
    for j in range(count):
        s = site_col[cand[j]]
        room = False
        for k in range(8):
            t = neighbours[s, k]
            if t >= 0 and not (tumor_present[t] or debris[t]):
                free[kept, k] = True
                room = True
        if room:  # else the row's flags are all False and the next candidate reuses it
            rows[kept] = cand[j]
            sites[kept] = s
            kept += 1
    return rows[:kept], sites[:kept], free[:kept]


@njit(cache=True, nogil=True)
def division_winners(gen, p_true, p_max, rows, sites, free, neighbours, claimed):
    """The rest of ``growth.divide``'s choice, with its draws in its order: accept candidate ``j``
    if ``rng.random() * p_max < p_true[j]``; each accepted one picks a free neighbour
    (``choice_per_row`` draws, 8 per row); then ``rng.permutation`` sets the claim order and the
    first claimant of a site wins. Returns the winning parents' rows and their target sites,
    by ascending row (``np.sort`` of the winners, as ``np.unique(..., return_index=True)`` gave).
    ``claimed``: flat bool scratch of n_sites, all False; left all False."""
    m = rows.size
    acc = np.empty(m, dtype=np.int64)
    k = 0
    for j in range(m):
        if next_double(gen) * p_max < p_true[j]:
            acc[k] = j
            k += 1
    target = np.empty(k, dtype=np.int64)
    for i in range(k):
        j = acc[i]
        target[i] = neighbours[sites[j], pick_marked(gen, free[j])]
    order = permutation(gen, k)
    won = np.zeros(k, dtype=np.bool_)
    for q in range(k):
        i = order[q]
        if not claimed[target[i]]:
            claimed[target[i]] = True
            won[i] = True
    n_win = 0
    for i in range(k):
        n_win += won[i]
    parents = np.empty(n_win, dtype=np.int64)
    targets = np.empty(n_win, dtype=np.int64)
    w = 0
    for i in range(k):
        if won[i]:
            claimed[target[i]] = False
            parents[w] = rows[acc[i]]
            targets[w] = target[i]
            w += 1
    return parents, targets


@njit(cache=True, nogil=True)
def indices_below_all(gen, n, p):
    """``np.flatnonzero(rng.random(n) < p)`` (one draw per row, in order; same stream)."""
    out = np.empty(n, dtype=np.int64)
    count = 0
    for i in range(n):
        if next_double(gen) < p:
            out[count] = i
            count += 1
    return out[:count]


@njit(cache=True, nogil=True)
def polarize(gen, pol, to_m1, to_m2, m1, m2):
    """Macrophage switching in place, as ``step_macrophages`` drew it: ``n`` draws for the M1
    switch (``pol != m1`` and draw ``< to_m1``), then ``n`` more for the M2 switch of the others."""
    n = pol.size
    went_m1 = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        if next_double(gen) < to_m1[i] and pol[i] != m1:
            went_m1[i] = True
    for i in range(n):
        u = next_double(gen)
        if went_m1[i]:
            pol[i] = m1
        elif pol[i] != m2 and u < to_m2[i]:
            pol[i] = m2


@njit(cache=True, nogil=True)
def m1_hits(gen, neighbours, occupied, sites, pol, m1, p_hit):
    """M1 killing draws of ``step_macrophages``: the M1 rows, and the sorted distinct tumor sites
    they hit. Each M1 cell next to (or on) a tumor cell picks one (``choice_per_row``'s 9 draws
    per such cell), then each of them draws once against ``p_hit``; no draws when none touches."""
    n = pol.size
    rows = np.empty(n, dtype=np.int64)
    n_m1 = 0
    for i in range(n):
        if pol[i] == m1:
            rows[n_m1] = i
            n_m1 += 1
    rows = rows[:n_m1]
    target = np.empty(n_m1, dtype=np.int64)
    n_eng = 0
    for j in range(n_m1):
        s = sites[rows[j]]
        for k in range(9):
            t = neighbours[s, k]
            if t >= 0 and occupied[t]:
                target[n_eng] = s  # engaged; its target is chosen below, in order
                n_eng += 1
                break
    marks = np.empty(9, dtype=np.bool_)
    for j in range(n_eng):
        s = target[j]
        for k in range(9):
            t = neighbours[s, k]
            marks[k] = t >= 0 and occupied[t]
        target[j] = neighbours[s, pick_marked(gen, marks)]
    hit = np.empty(n_eng, dtype=np.int64)
    n_hit = 0
    for j in range(n_eng):
        if next_double(gen) < p_hit:
            hit[n_hit] = target[j]
            n_hit += 1
    return rows, np.unique(hit[:n_hit])


@njit(cache=True, nogil=True)
def division_rates(sites, osm, osm_kept, gamma, base, osm_boost, ifn_inhibition, m2_boost, m2_near, hypoxic_factor,
                   hypoxic):
    """``growth.division_rate_per_hour`` at ``sites`` in one pass, each factor as its numpy line
    computed it: ``base * (1 + osm_boost * hill(osm[s] * osm_kept)) * (1 - ifn_inhibition *
    hill(gamma[s]))``, then ``* (1 + m2_boost * m2_near[s])`` and ``* (hypoxic_factor if
    hypoxic[s] else 1)`` where those maps are given (non-empty)."""
    out = np.empty(sites.size)
    for i in range(sites.size):
        s = sites[i]
        r = base * (1.0 + osm_boost * _hill(osm[s] * osm_kept, 1.0))
        r = r * (1.0 - ifn_inhibition * _hill(gamma[s], 1.0))
        if m2_near.size:
            r = r * (1.0 + m2_boost * m2_near[s])
        if hypoxic.size:
            r = r * (hypoxic_factor if hypoxic[s] else 1.0)
        out[i] = r
    return out
