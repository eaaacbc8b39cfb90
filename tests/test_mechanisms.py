"""One test (or a few) per biological mechanism, on small hand-built lattices.

Stochastic rules are checked statistically: many independent trials (several
fixed seeds, and several isolated copies of the set-up per model), and the
expected per-step probability ``1 - exp(-rate * dt)`` must lie inside the exact
99 % binomial confidence interval of the observed fraction. Each set-up is
isolated from the others on the lattice (no shared neighbours), so the trials
are independent Bernoulli draws.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from model import CD8TCell, Macrophage, Neutrophil, RegulatoryTCell, TumorCell, TumorImmuneModel
from model.agents import IMMUNE_TYPES, M0, M1, M2

from sim_builders import assert_binomial, binomial_ci, p_step, place, quiet_model, tumor


def hill1(c: float) -> float:
    """Hill function with EC50 = 1 (field units are EC50s)."""
    return c / (c + 1.0)


def fill_field(model, name: str, value: float) -> None:
    model.fields[name].values[...] = value


# =========================================================================== CD8 killing

SPACING = 6
PAIR_ORIGINS = [(x, y) for x in range(2, 38, SPACING) for y in range(2, 38, SPACING)]  # 36 pairs on 40 x 40

# The killing rule's parameters, pinned so the test checks the rule, not today's defaults.
KILL_RATE, PD1_MAX, TREG_MAX, CYTOKINE_MAX, PD_L1_INDUCED = 0.5, 0.8, 0.6, 0.5, 0.6
KILL_PARAMS = {
    "cd8.kill_rate_per_hour": KILL_RATE,
    "cd8.pd1_inhibition_max": PD1_MAX,
    "cd8.treg_suppression_max": TREG_MAX,
    "cd8.cytokine_suppression_max": CYTOKINE_MAX,
    "cd8.exhaustion_rate_per_hour": 0.0,
    "treg.suppression_radius_sites": 2,
    "tumor.pd_l1_baseline": 0.0,
    "tumor.pd_l1_induced_max": PD_L1_INDUCED,
    "tumor.pd_l1_interferon_ec50": 1.0,
}


def cd8_pairs_model(seed: int, overrides: dict, treg_offset: tuple[int, int] | None = None,
                    antigenicity: float = 1.0, exhausted: bool = False, field: tuple[str, float] | None = None):
    """36 isolated (tumor cell, adjacent T-cell) pairs, optionally a Treg near each T-cell."""
    model = quiet_model(seed, 40, 40, {**KILL_PARAMS, **overrides})
    for x, y in PAIR_ORIGINS:
        tumor(model, x, y, antigenicity=antigenicity)
        place(model, CD8TCell, x + 1, y, exhausted=exhausted)
        if treg_offset is not None:
            place(model, RegulatoryTCell, x + 1 + treg_offset[0], y + treg_offset[1])
    if field is not None:
        fill_field(model, *field)
    return model


def run_kill_trials(n_seeds: int = 30, **setup) -> tuple[int, int, float]:
    """Kills in one step over ``n_seeds`` x 36 pairs; also returns dt."""
    kills = trials = 0
    for seed in range(n_seeds):
        model = cd8_pairs_model(seed, **setup)
        before = model.tumor_cell_count
        model.step()
        k = model.counters["tumor_deaths_cd8"]
        assert before - model.tumor_cell_count == k
        assert int(model.populations[CD8TCell]["kills"].sum()) == k  # each kill is credited to one T-cell
        kills += k
        trials += len(PAIR_ORIGINS)
    return kills, trials, model.dt


KILL_CASES = {
    # name: (set-up, expected kill hazard per hour)
    "full antigen, no PD-L1": (dict(overrides={}), KILL_RATE),
    "half antigen": (dict(overrides={}, antigenicity=0.5), KILL_RATE * 0.5),
    "PD-L1 engaged (baseline 1)": (dict(overrides={"tumor.pd_l1_baseline": 1.0}), KILL_RATE * (1 - PD1_MAX)),
    "PD-L1 induced by interferon": (
        dict(overrides={}, field=("interferon", 1e6)),
        KILL_RATE * (1 - PD1_MAX * PD_L1_INDUCED * hill1(1e6)),
    ),
    "Treg within radius": (dict(overrides={}, treg_offset=(0, 2)), KILL_RATE * (1 - TREG_MAX)),
    "Treg beyond radius": (dict(overrides={}, treg_offset=(0, 3)), KILL_RATE),
    "suppressive cytokine": (dict(overrides={}, field=("cytokine", 1.0)), KILL_RATE * (1 - CYTOKINE_MAX * hill1(1.0))),
    "exhausted T-cell": (dict(overrides={}, exhausted=True), 0.0),
}


@functools.lru_cache(maxsize=None)
def kill_trials_for(case: str) -> tuple[int, int, float]:
    """Deterministic (fixed seeds), so memoising within a worker process is safe."""
    return run_kill_trials(**KILL_CASES[case][0])


@pytest.mark.parametrize("case", list(KILL_CASES))
def test_cd8_kill_probability_matches_rate(case):
    _, rate = KILL_CASES[case]
    kills, trials, dt = kill_trials_for(case)
    assert_binomial(kills, trials, p_step(rate, dt), what=case)


@pytest.mark.parametrize("suppressed", ["PD-L1 engaged (baseline 1)", "Treg within radius"])
def test_suppression_lowers_killing(suppressed):
    """Not only the right value: clearly (non-overlapping 99 % CIs) below the unsuppressed kill rate."""
    k0, n0, _ = kill_trials_for("full antigen, no PD-L1")
    k1, n1, _ = kill_trials_for(suppressed)
    assert binomial_ci(k1, n1).high < binomial_ci(k0, n0).low


def test_pd_l1_is_baseline_plus_interferon_induced():
    model = quiet_model(0, 10, 10, {"tumor.pd_l1_baseline": 0.1, "tumor.pd_l1_induced_max": 0.6,
                                    "tumor.pd_l1_interferon_ec50": 2.0})
    cell = tumor(model, 5, 5)
    assert cell.pd_l1 == pytest.approx(0.1)
    model.fields["interferon"].values[5, 5] = 2.0
    assert cell.pd_l1 == pytest.approx(0.1 + 0.6 * 0.5)


# =========================================================================== exhaustion


@pytest.mark.parametrize("pd_l1,rate", [(1.0, 1.0), (0.5, 1.0), (0.0, 10.0)])
def test_exhaustion_follows_pd_l1_engagement(pd_l1, rate):
    """Engaged T-cells exhaust at hazard exhaustion_rate * PD-L1; without PD-L1 never."""
    exhausted = trials = 0
    for seed in range(30):
        model = cd8_pairs_model(seed, {"tumor.pd_l1_baseline": pd_l1, "cd8.exhaustion_rate_per_hour": rate,
                                       "cd8.kill_rate_per_hour": 0.0})
        model.step()
        exhausted += int(model.populations[CD8TCell]["exhausted"].sum())
        trials += len(PAIR_ORIGINS)
    assert_binomial(exhausted, trials, p_step(rate * pd_l1, model.dt), what=f"exhaustion at PD-L1 {pd_l1}")
    if pd_l1 == 0:
        assert exhausted == 0


# =========================================================================== tumor growth


def isolated_tumor_model(seed: int, overrides: dict, osm: float = 0.0):
    """100 tumor cells 3 sites apart on 30 x 30: every cell has 8 free neighbours nobody else can claim."""
    model = quiet_model(seed, 30, 30, overrides)
    for x in range(1, 30, 3):
        for y in range(1, 30, 3):
            tumor(model, x, y)
    fill_field(model, "osm", osm)
    return model


def test_division_rate_formula_with_osm_interferon_and_m2():
    model = quiet_model(0, 10, 10, {"tumor.division_rate_per_hour": 0.04, "tumor.osm_division_boost_max": 0.6,
                                    "tumor.interferon_division_inhibition_max": 0.3,
                                    "tumor.m2_division_boost_max": 0.3})
    sites = model.lattice.site(np.array([1, 2, 3, 4]), np.array([1, 1, 1, 1]))
    model.fields["osm"].values[2, 1] = 1.0  # hill = 0.5
    model.fields["osm"].values[4, 1] = 3.0  # hill = 0.75
    model.fields["interferon"].values[3, 1] = 1.0
    rate = TumorCell.division_rate_per_hour(model, sites)
    np.testing.assert_allclose(rate, [0.04, 0.04 * 1.3, 0.04 * 0.85, 0.04 * 1.45])
    assert rate[1] > rate[0] and rate[3] > rate[1], "OSM must raise the division rate"
    model.m2_near = np.zeros(model.lattice.n_sites)
    model.m2_near[sites[0]] = 1.0
    assert TumorCell.division_rate_per_hour(model, sites[:1])[0] == pytest.approx(0.04 * 1.3)


@pytest.mark.parametrize("osm", [0.0, 1.0])
def test_division_happens_at_rate_raised_by_osm(osm):
    """Free cells divide with probability 1 - exp(-r dt), r = r0 (1 + boost * hill(OSM))."""
    base, boost = 0.4, 2.0
    divisions = trials = 0
    for seed in range(10):
        model = isolated_tumor_model(seed, {"tumor.division_rate_per_hour": base,
                                            "tumor.osm_division_boost_max": boost}, osm=osm)
        n0 = model.tumor_cell_count
        model.step()
        assert model.tumor_cell_count - n0 == model.counters["divisions"]
        divisions += model.counters["divisions"]
        trials += n0
    assert_binomial(divisions, trials, p_step(base * (1 + boost * hill1(osm)), model.dt), what=f"OSM {osm}")


def test_contact_inhibition_full_lattice_never_divides():
    model = quiet_model(0, 8, 8, {"tumor.initial_radius_sites": 100.0, "tumor.division_rate_per_hour": 1.0},
                        keep_tumor=True)
    assert model.tumor_cell_count == 64
    for _ in range(20):
        model.step()
    assert model.counters["divisions"] == 0 and model.tumor_cell_count == 64


def test_contact_inhibition_only_the_free_site_is_used():
    """With one empty corner, exactly one division can ever happen, and the daughter lands in the corner."""
    model = quiet_model(1, 8, 8, {"tumor.initial_radius_sites": 100.0, "tumor.division_rate_per_hour": 1.0},
                        keep_tumor=True)
    pop = model.populations[TumorCell]
    pop.agents[pop.row_at[model.lattice.site(0, 0)]].remove()
    for _ in range(40):
        model.step()
    assert model.counters["divisions"] == 1 and model.tumor_cell_count == 64
    corner = pop.agents[pop.row_at[model.lattice.site(0, 0)]]
    assert corner.born_hours > 0


def test_fully_surrounded_cell_never_divides_while_others_do():
    """The centre of a 3 x 3 block is surrounded; its neighbours' daughters never come from it."""
    for seed in range(5):
        model = quiet_model(seed, 20, 20, {"tumor.division_rate_per_hour": 1.0, "tumor.mutation_probability": 0.0})
        for x in range(9, 12):
            for y in range(9, 12):
                tumor(model, x, y, antigenicity=0.9 if (x, y) != (10, 10) else 0.123)
        model.step()
        assert model.counters["divisions"] > 0
        antigen = model.populations[TumorCell]["antigenicity"]
        assert np.count_nonzero(antigen == 0.123) == 1, "the surrounded centre cell divided"


# =========================================================================== immunoediting


def first_division(seed: int, mutation_probability: float):
    model = quiet_model(seed, 20, 20, {"tumor.division_rate_per_hour": 1.0,
                                       "tumor.mutation_probability": mutation_probability,
                                       "tumor.antigen_loss_fraction": 0.5})
    parent = tumor(model, 10, 10, antigenicity=0.8)
    for _ in range(100):
        model.step()
        if model.counters["divisions"]:
            break
    assert model.counters["divisions"] == 1
    (daughter,) = [a for a in model.populations[TumorCell].agents[:2] if a is not parent]
    return parent, daughter


@pytest.mark.parametrize("seed", range(3))
def test_antigen_loss_on_division(seed):
    parent, daughter = first_division(seed, 1.0)
    assert parent.antigenicity == 0.8 and parent.clone == 0
    assert daughter.antigenicity == pytest.approx(0.4) and daughter.clone >= 1
    parent, daughter = first_division(seed, 0.0)
    assert daughter.antigenicity == 0.8 and daughter.clone == 0


def test_mutation_frequency_per_division():
    p_mut = 0.3
    divisions = mutations = 0
    for seed in range(4):
        model = quiet_model(seed, 40, 40, {"tumor.division_rate_per_hour": 1.0, "tumor.mutation_probability": p_mut})
        tumor(model, 20, 20, antigenicity=0.8)
        for _ in range(30):
            model.step()
        divisions += model.counters["divisions"]
        # no cell dies here, so every mutation left exactly one new clone id behind
        mutations += np.unique(model.populations[TumorCell]["clone"]).size - 1
        # every antigenicity is 0.8 halved some whole number of times
        k = np.log2(0.8 / model.populations[TumorCell]["antigenicity"])
        np.testing.assert_allclose(k, np.round(k), atol=1e-9)
    assert divisions > 800
    assert_binomial(mutations, divisions, p_mut, what="antigen-loss mutations per division")


# =========================================================================== IRF7 / type-I interferon


def irf7_model(seed: int, irf7_intact: bool, stressor: type | None):
    # an M1 macrophage that neither kills, secretes interferon itself nor repolarises is a pure
    # cytotoxic-stress signal; a neutrophil is contact without cytotoxic stress
    model = quiet_model(seed, 20, 20, {
        "neutrophil.half_life_hours": 500.0,
        "macrophage.m1_interferon_secretion_per_hour": 0.0,
        "macrophage.m1_kill_rate_per_hour": 0.0,
        "macrophage.m2_polarization_rate_per_hour": 0.0,
    })
    for x in range(9, 12):
        for y in range(9, 12):
            tumor(model, x, y, irf7_intact=irf7_intact)
    if stressor is Macrophage:
        place(model, Macrophage, 12, 10, polarization=1)  # touches the block, so it stays put
    elif stressor is Neutrophil:
        place(model, Neutrophil, 12, 10)
    for _ in range(4):
        model.step()
    return model


@pytest.mark.parametrize("seed", range(3))
def test_silenced_irf7_makes_no_type1_interferon(seed):
    silenced = irf7_model(seed, irf7_intact=False, stressor=Macrophage)
    assert silenced.fields["interferon"].max() == 0.0
    intact = irf7_model(seed, irf7_intact=True, stressor=Macrophage)
    assert intact.fields["interferon"].max() > 0.0
    unstressed = irf7_model(seed, irf7_intact=True, stressor=None)
    assert unstressed.fields["interferon"].max() == 0.0, "IRF7 interferon needs immune stress"
    bystander = irf7_model(seed, irf7_intact=True, stressor=Neutrophil)
    assert bystander.fields["interferon"].max() == 0.0, "only cytotoxic contact (CD8, M1) stresses tumor cells"


def test_irf7_silenced_fraction_sets_initial_tumor():
    model = quiet_model(0, 60, 60, {"tumor.initial_radius_sites": 20.0, "tumor.irf7_silenced_fraction": 0.3},
                        keep_tumor=True)
    intact = model.populations[TumorCell]["irf7_intact"]
    assert_binomial(int((~intact).sum()), intact.size, 0.3, what="silenced fraction")


# =========================================================================== neutrophils / OSM


def test_neutrophils_die_with_their_half_life():
    half_life = 19.0
    alive = trials = 0
    for seed in range(5):
        model = quiet_model(seed, 30, 30, {"neutrophil.half_life_hours": half_life})
        for s in model.rng.choice(900, size=200, replace=False).tolist():
            Neutrophil(model, s)
        n_steps = int(round(half_life / model.dt))
        assert n_steps * model.dt == half_life
        for _ in range(n_steps):
            model.step()
        alive += len(model.populations[Neutrophil])
        trials += 200
    assert_binomial(alive, trials, 0.5, what="neutrophils alive after one half-life")


def test_tumor_activated_neutrophils_secrete_osm():
    model = quiet_model(0, 20, 20, {"neutrophil.activation_rate_per_hour": 60.0, "neutrophil.half_life_hours": 500.0})
    tumor(model, 5, 5)
    touching = place(model, Neutrophil, 6, 5)
    far = place(model, Neutrophil, 15, 15)
    model.step()
    assert touching.activated and not far.activated
    assert model.fields["osm"].max() > 0.0

    lonely = quiet_model(0, 20, 20, {"neutrophil.half_life_hours": 500.0})
    place(lonely, Neutrophil, 15, 15)
    for _ in range(4):
        lonely.step()
    assert lonely.fields["osm"].max() == 0.0


# =========================================================================== dissemination / seeding


def vessel_tumor_model(seed: int, overrides: dict, osm: float = 0.0, interferon: float = 0.0):
    """A 30 x 30 lattice packed with tumor, 20 % vessel sites (180), no division."""
    model = quiet_model(seed, 30, 30, {"lattice.vessel_fraction": 0.2, "tumor.initial_radius_sites": 100.0,
                                       **overrides}, keep_tumor=True)
    fill_field(model, "osm", osm)
    fill_field(model, "interferon", interferon)
    return model


@pytest.mark.parametrize("osm", [0.0, 1e6])
def test_dissemination_from_vessel_sites_rises_with_osm(osm):
    rate, boost = 0.2, 3.0
    left = trials = 0
    for seed in range(6):
        model = vessel_tumor_model(seed, {"tumor.dissemination_rate_per_hour": rate,
                                          "tumor.osm_invasion_boost_max": boost}, osm=osm)
        n_vessels = model.vessel_sites.size
        assert n_vessels == 180 and model.tumor_present[model.vessel_sites].all()
        model.step()
        gone = model.counters["disseminated_cells"]
        assert model.tumor_cell_count == 900 - gone
        assert model.tumor_present[~model.is_vessel].all(), "only cells on vessel sites may leave"
        assert (~model.tumor_present[model.vessel_sites]).sum() == gone
        left += gone
        trials += n_vessels
    assert_binomial(left, trials, p_step(rate * (1 + boost * hill1(osm)), model.dt), what=f"OSM {osm}")


IFN_SEED_MAX, OSM_SEED_MAX = 0.9, 1.0
SEEDING_CASES = {
    # name: (seeding_probability, osm, interferon, expected seeding probability)
    "baseline": (1.0, 0.0, 0.0, 1.0),
    "interferon blocks seeding": (1.0, 0.0, 1e6, 1.0 * (1 - IFN_SEED_MAX * hill1(1e6))),
    "interferon at EC50": (0.5, 0.0, 1.0, 0.5 * (1 - IFN_SEED_MAX * 0.5)),
    "OSM raises seeding": (0.2, 1e6, 0.0, 0.2 * (1 + OSM_SEED_MAX * hill1(1e6))),
}


@pytest.mark.parametrize("case", list(SEEDING_CASES))
def test_seeding_probability_falls_with_interferon_rises_with_osm(case):
    p_seed, osm, ifn, expected = SEEDING_CASES[case]
    seeds = disseminated = 0
    for seed in range(10):
        model = vessel_tumor_model(seed, {"tumor.dissemination_rate_per_hour": 1.0, "tumor.seeding_probability": p_seed,
                                          "tumor.interferon_seeding_inhibition_max": IFN_SEED_MAX,
                                          "tumor.osm_seeding_boost_max": OSM_SEED_MAX}, osm=osm, interferon=ifn)
        model.step()
        seeds += model.counters["metastatic_seeds"]
        disseminated += model.counters["disseminated_cells"]
    assert disseminated > 500
    assert_binomial(seeds, disseminated, expected, what=case)


def test_no_dissemination_without_vessels():
    model = quiet_model(0, 20, 20, {"tumor.initial_radius_sites": 100.0, "tumor.dissemination_rate_per_hour": 1.0},
                        keep_tumor=True)
    for _ in range(10):
        model.step()
    assert model.counters["disseminated_cells"] == 0


# =========================================================================== macrophages


@pytest.mark.parametrize("signal,target", [("interferon", M1), ("cytokine", M2), ("osm", M2)])
def test_macrophage_polarization(signal, target):
    """Interferon polarises M0 -> M1; the suppressive cytokine (or OSM) M0 -> M2."""
    rate = 1.0
    hits = trials = 0
    for seed in range(10):
        model = quiet_model(seed, 30, 30, {"macrophage.m1_polarization_rate_per_hour": rate,
                                           "macrophage.m2_polarization_rate_per_hour": rate})
        for s in model.rng.choice(900, size=100, replace=False).tolist():
            Macrophage(model, s)
        fill_field(model, signal, 1e6)
        model.step()
        pol = model.populations[Macrophage]["polarization"]
        assert not np.any(pol == (M2 if target == M1 else M1)), "polarised the wrong way"
        hits += int((pol == target).sum())
        trials += 100
    assert_binomial(hits, trials, p_step(rate * hill1(1e6), model.dt), what=f"{signal} -> M{target}")


def test_macrophages_stay_m0_without_signals():
    model = quiet_model(0, 30, 30)
    for s in range(0, 900, 9):
        Macrophage(model, s)
    for _ in range(10):
        model.step()
    assert np.all(model.populations[Macrophage]["polarization"] == M0)
    assert Macrophage(model, 4).phenotype == "M0"


# =========================================================================== layer invariants


def check_layer_invariants(model) -> None:
    lat = model.lattice
    all_agents = set()
    immune_sites = []
    for cls, pop in model.populations.items():
        n = len(pop)
        sites = pop["site"]
        # population bookkeeping
        np.testing.assert_array_equal(pop.row_at[sites], np.arange(n))
        assert np.count_nonzero(pop.row_at >= 0) == n
        agents = pop.agents[:n]
        assert all(a._row == i and isinstance(a, cls) for i, a in enumerate(agents))
        # columns agree with Mesa's cell
        xs, ys = lat.xy(sites)
        for a, s, x, y in zip(agents, sites.tolist(), xs.tolist(), ys.tolist()):
            assert a.site == s
            assert a.cell is model.grid_cells[s]
            assert a.cell.coordinate == (x, y)
            assert a in a.cell.agents
        all_agents.update(agents.tolist())
        if cls is TumorCell:
            assert np.unique(sites).size == n, "two tumor cells on one site"
            mask = np.zeros(lat.n_sites, dtype=bool)
            mask[sites] = True
            np.testing.assert_array_equal(mask, model.tumor_present)
        else:
            immune_sites.append(sites)
    imm = np.concatenate(immune_sites)
    assert np.unique(imm).size == imm.size, "two immune cells on one site"
    mask = np.zeros(lat.n_sites, dtype=bool)
    mask[imm] = True
    np.testing.assert_array_equal(mask, model.immune_occupied)
    # Mesa's own view: every agent is registered once, every grid cell holds <= 1 per layer
    assert set(model.agents) == all_agents and len(model.agents) == len(all_agents)
    for cell in model.grid.all_cells:
        agents = cell.agents
        assert sum(isinstance(a, TumorCell) for a in agents) <= 1
        assert sum(isinstance(a, IMMUNE_TYPES) for a in agents) <= 1


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {  # a busy micro-environment: lots of immune traffic, division, dissemination
            "cd8.recruitment_per_vessel_per_hour": 0.1,
            "treg.recruitment_per_vessel_per_hour": 0.05,
            "neutrophil.recruitment_per_vessel_per_hour": 0.1,
            "macrophage.recruitment_per_vessel_per_hour": 0.05,
            "tumor.division_rate_per_hour": 0.1,
            "tumor.dissemination_rate_per_hour": 0.05,
            "lattice.vessel_fraction": 0.05,
        },
    ],
    ids=["default", "busy"],
)
def test_layer_invariants_after_five_days(overrides):
    # a non-square lattice catches any x/y mix-up between flat sites and Mesa coordinates
    model_kw = {"lattice__width_sites": 50, "lattice__height_sites": 70}
    model_kw.update({k.replace(".", "__"): v for k, v in overrides.items()})
    from model import TumorImmuneModel

    model = TumorImmuneModel(rng=5, **model_kw)
    model.run_days(5)
    assert model.tumor_cell_count > 0
    if overrides:
        assert all(len(model.populations[cls]) > 0 for cls in IMMUNE_TYPES), "the busy set-up must exercise every type"
    check_layer_invariants(model)
    # fields are Mesa property layers shared with the numpy arrays
    site = int(model.populations[TumorCell]["site"][0])
    cell = model.grid_cells[site]
    for name, f in model.fields.items():
        assert np.shares_memory(getattr(model.grid, name).data, f.values)
        assert getattr(cell, name) == f.values.ravel()[site]


def test_refused_placement_leaves_the_model_unchanged():
    """Placing a second cell of the same layer on a site raises and registers nothing."""
    model = quiet_model(0, 10, 10)
    first = tumor(model, 3, 3)
    place(model, CD8TCell, 3, 3)  # the immune layer is separate: allowed
    with pytest.raises(RuntimeError, match="already holds a tumor cell"):
        tumor(model, 3, 3)
    with pytest.raises(RuntimeError, match="already holds a immune cell|already holds an immune cell"):
        place(model, Neutrophil, 3, 3)
    pop = model.populations[TumorCell]
    assert len(pop) == 1 and len(model.agents) == 2
    assert pop.agents[pop.row_at[model.lattice.site(3, 3)]] is first
    check_layer_invariants(model)


# --------------------------------------------------------------------------- hypoxia and necrosis

def packed_tumor_with_vessels(seed: int, overrides: dict | None = None):
    """40 x 30 sites (not square, so a transposed distance map would show) packed with
    non-dividing tumor cells, 1% vessel sites."""
    return quiet_model(seed, 40, 30, {"lattice.vessel_fraction": 0.01, "tumor.initial_radius_sites": 100.0,
                                      "tumor.hypoxia_distance_um": 100.0, **(overrides or {})}, keep_tumor=True)


def test_hypoxic_sites_lie_beyond_the_oxygen_limit():
    """Hypoxic = farther than hypoxia_distance_um from every vessel (brute-force Euclidean check)."""
    model = packed_tumor_with_vessels(0)
    x, y = model.lattice.xy(np.arange(model.lattice.n_sites))
    vx, vy = model.lattice.xy(model.vessel_sites)
    nearest_um = np.hypot(x[:, None] - vx[None, :], y[:, None] - vy[None, :]).min(axis=1) * 20.0
    np.testing.assert_array_equal(model.hypoxic, nearest_um > 100.0)
    assert 0.1 < model.hypoxic.mean() < 0.9  # both kinds of site exist in this test
    no_vessels = quiet_model(0, 10, 10)
    assert no_vessels.hypoxic.all(), "a window without vessels has no blood supply"


def test_necrosis_kills_only_cells_beyond_the_oxygen_limit_at_its_rate():
    rate = 0.2
    deaths = trials = 0
    for seed in range(4):
        model = packed_tumor_with_vessels(seed, {"tumor.necrosis_rate_per_hour": rate})
        pop = model.populations[TumorCell]
        before = set(pop["site"].tolist())
        starving = int(model.hypoxic[pop["site"]].sum())
        model.step()
        gone = np.array(sorted(before - set(pop["site"].tolist())), dtype=np.int64)
        assert model.hypoxic[gone].all(), "a cell near a vessel died of necrosis"
        assert model.counters["tumor_deaths_necrosis"] == gone.size
        deaths += gone.size
        trials += starving
    assert_binomial(deaths, trials, p_step(rate, model.dt), what="necrosis per step")


def test_hypoxic_cells_divide_at_the_reduced_rate():
    model = packed_tumor_with_vessels(0, {"tumor.division_rate_per_hour": 0.04, "tumor.hypoxic_division_factor": 0.25})
    model.m2_near = None
    sites = np.arange(model.lattice.n_sites)
    rate = TumorCell.division_rate_per_hour(model, sites)
    np.testing.assert_allclose(rate, np.where(model.hypoxic, 0.01, 0.04))


def test_hypoxia_is_off_by_default_and_leaves_runs_unchanged():
    """With the default factor 1 and necrosis rate 0, the oxygen limit changes nothing, not even the random stream."""
    frames = []
    for distance in (150.0, 20.0):
        model = quiet_model(3, 30, 30, {"lattice.vessel_fraction": 0.02, "tumor.initial_radius_sites": 6.0,
                                        "tumor.division_rate_per_hour": 0.05, "tumor.hypoxia_distance_um": distance},
                            keep_tumor=True)
        for _ in range(48):
            model.step()
        frames.append(model.datacollector.get_model_vars_dataframe())
    assert frames[0].equals(frames[1])
    assert frames[0]["kills_necrosis"].max() == 0


def test_poorly_vascularised_profile_grows_a_necrotic_core():
    """The profile turns the mechanism on: necrotic deaths in every run, and a smaller tumor
    than the same seeds without it (paired difference, 95% CI below zero)."""
    from scipy import stats

    from model.scenarios import PROFILES

    geometry = {"lattice__width_sites": 60, "lattice__height_sites": 60, "tumor__initial_radius_sites": 8.0}
    profile = {k.replace(".", "__"): v for k, v in PROFILES["poorly_vascularised"].overrides.items()}
    diffs = []
    for seed in range(6):
        runs = []
        for over in ({}, profile):
            model = TumorImmuneModel(rng=seed, **geometry, **over)
            model.run_days(6)
            runs.append(model)
        assert runs[0].counters["tumor_deaths_necrosis"] == 0
        assert runs[1].counters["tumor_deaths_necrosis"] > 0
        diffs.append(runs[1].tumor_cell_count - runs[0].tumor_cell_count)
    ci = stats.ttest_1samp(diffs, 0.0).confidence_interval(0.95)
    assert ci.high < 0, f"tumor size difference {np.mean(diffs):.0f} cells, 95% CI [{ci.low:.0f}, {ci.high:.0f}]"
