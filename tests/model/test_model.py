"""Whole-model behaviour: determinism, time-step independence, Mesa integration, data collection."""

from __future__ import annotations

import multiprocessing

import mesa
import numpy as np
import pandas as pd
import pytest
from mesa.agentset import AbstractAgentSet
from mesa.discrete_space import CellAgent, DiscreteSpace, OrthogonalMooreGrid
from scipy import stats

from model import CD8TCell, CELL_TYPES, FIELD_NAMES, Macrophage, TumorCell, TumorImmuneModel

from sim_builders import assert_binomial, p_step, place, quiet_model, tumor

SMALL = {"lattice__width_sites": 60, "lattice__height_sites": 60}


def run(seed, days=4.0, **kw):
    model = TumorImmuneModel(rng=seed, **{**SMALL, **kw})
    model.run_days(days)
    return model


# =========================================================================== determinism


def test_same_seed_gives_identical_data_frames():
    a, b = run(7), run(7)
    df_a = a.datacollector.get_model_vars_dataframe()
    df_b = b.datacollector.get_model_vars_dataframe()
    pd.testing.assert_frame_equal(df_a, df_b, check_exact=True)
    np.testing.assert_array_equal(a.cell_type_image(), b.cell_type_image())
    for name in FIELD_NAMES:
        np.testing.assert_array_equal(a.fields[name].values, b.fields[name].values)


def test_different_seeds_give_different_runs():
    df_a = run(7).datacollector.get_model_vars_dataframe()
    df_c = run(8).datacollector.get_model_vars_dataframe()
    assert not df_a.equals(df_c)
    assert (df_a["tumor_cells"] != df_c["tumor_cells"]).any()


def test_numpy_generator_seed_is_accepted_and_deterministic():
    a = TumorImmuneModel(rng=np.random.default_rng(3), lattice__width_sites=30, lattice__height_sites=30)
    b = TumorImmuneModel(rng=np.random.default_rng(3), lattice__width_sites=30, lattice__height_sites=30)
    for _ in range(10):
        a.step()
        b.step()
    pd.testing.assert_frame_equal(a.datacollector.get_model_vars_dataframe(), b.datacollector.get_model_vars_dataframe())


# =========================================================================== dt halving


def test_single_mechanism_is_dt_independent():
    """Cumulative kill probability over 2 h is 1 - exp(-2 r) whether the step is 0.5 h or 0.25 h.

    PD-L1 induction and cytokine suppression are switched off so the hazard is
    constant in time; engaged T-cells that have not killed stay on their target.
    """
    rate, hours = 0.4, 2.0
    pinned = {"cd8.kill_rate_per_hour": rate, "tumor.pd_l1_baseline": 0.0, "tumor.pd_l1_induced_max": 0.0,
              "cd8.cytokine_suppression_max": 0.0, "cd8.exhaustion_rate_per_hour": 0.0}
    results = {}
    for dt in (0.5, 0.25):
        kills = trials = 0
        for seed in range(20):
            model = quiet_model(seed, 40, 40, {**pinned, "lattice.dt_hours": dt})
            for x in range(2, 38, 6):
                for y in range(2, 38, 6):
                    tumor(model, x, y)
                    place(model, CD8TCell, x + 1, y)
            for _ in range(int(round(hours / dt))):
                model.step()
            kills += model.counters["tumor_deaths_cd8"]
            trials += 36
        assert_binomial(kills, trials, p_step(rate, hours), what=f"kills within {hours} h at dt={dt}")
        results[dt] = (kills, trials)
    table = np.array([[k, n - k] for k, n in results.values()])
    assert stats.fisher_exact(table).pvalue > 0.01


# Changed 2026-11-30, after the power check below failed with the fitted CD8 hit rate (24 and 36 seeds, 8 and
# 5 days): T-cell regression makes the burden too variable to detect a 15% dt bias at a test's size. This fast
# test therefore runs in an immunodeficient host (growth, fields, dissemination); the dt check
# on immune outcomes over 30 days (dt 0.5 / 0.25 / 0.125 h) is the pre-registered validate claim
# ``dt_immune_outcomes`` (experiments/validation/dt_claim.py), with its verdict in docs/validation.md.
DT_REPLICATES = 24
DT_DAYS = 8
DT_METRICS = ("tumor_cells", "divisions", "disseminated")


def _end_state(seed: int, dt: float) -> dict[str, float]:
    model = TumorImmuneModel(rng=seed, lattice__width_sites=50, lattice__height_sites=50, lattice__dt_hours=dt,
                             lattice__collect_every_steps=48, host__immune_health=0.0)
    model.run_days(DT_DAYS)
    s = model.summary
    assert s["days"] == pytest.approx(DT_DAYS)
    return {
        "tumor_cells": s["tumor_cells"],
        "divisions": s["divisions"],
        "disseminated": s["disseminated_cells"],
    }


def test_halving_dt_gives_statistically_the_same_result():
    """8 simulated days of the default model in an immunodeficient host on 50 x 50, 24 independent seeds at dt = 0.5 h and 0.25 h.

    For each end-point a Welch t-test on the means (Bonferroni over the
    end-points, family alpha 1 %). The seeds are fixed, so this is a
    deterministic test; its honesty comes from the power check: the standard
    error of the difference must be small enough that a real 15 % dt bias in
    the tumor burden or the number of divisions would be detected.
    (One test, not one per end-point, so pytest-xdist runs the simulations once.)
    """
    runs = {
        dt: pd.DataFrame([_end_state(seed, dt) for seed in range(offset, offset + DT_REPLICATES)])
        for dt, offset in ((0.5, 1000), (0.25, 2000))
    }
    alpha = 0.01 / len(DT_METRICS)
    problems = []
    for metric in DT_METRICS:
        a, b = runs[0.5][metric], runs[0.25][metric]
        p = stats.ttest_ind(a, b, equal_var=False).pvalue
        if not p > alpha:
            problems.append(f"{metric}: dt=0.5 mean {a.mean():.1f} vs dt=0.25 mean {b.mean():.1f} (Welch p={p:.2g})")
        if metric in ("tumor_cells", "divisions"):
            se_diff = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
            if not 3.0 * se_diff < 0.15 * (a.mean() + b.mean()) / 2:
                problems.append(f"{metric}: too noisy to detect a 15 % dt bias (SE of difference {se_diff:.1f})")
    assert not problems, "; ".join(problems)


# =========================================================================== Mesa integration


def test_batch_run_works_with_dotted_parameter_keys():
    old_method = multiprocessing.get_start_method(allow_none=True)
    try:
        rows = mesa.batch_run(
            TumorImmuneModel,
            parameters={
                "lattice__width_sites": 24,
                "lattice__height_sites": 24,
                "tumor__division_rate_per_hour": [0.03, 0.06],
            },
            rng=[1, 2],
            max_steps=6,
            number_processes=1,
            data_collection_period=-1,
            display_progress=False,
        )
    finally:  # batch_run forces the 'spawn' start method process-wide; put it back
        multiprocessing.set_start_method(old_method, force=True)
    assert len(rows) == 4
    df = pd.DataFrame(rows)
    for col in ("tumor_cells", "cd8_t_cells", "kills_cd8", "interferon_mean", "tumor__division_rate_per_hour", "Step"):
        assert col in df.columns, col
    assert (df["Step"] == 6).all() and (df["tumor_cells"] > 0).all()
    assert set(df["tumor__division_rate_per_hour"]) == {0.03, 0.06}


def test_batch_run_stops_at_duration():
    old_method = multiprocessing.get_start_method(allow_none=True)
    try:
        rows = mesa.batch_run(
            TumorImmuneModel,
            parameters={"lattice__width_sites": 20, "lattice__height_sites": 20, "duration_days": 0.25},
            rng=[5, 5],
            max_steps=100,
            number_processes=1,
            display_progress=False,
        )
    finally:
        multiprocessing.set_start_method(old_method, force=True)
    df = pd.DataFrame(rows)
    assert (df["Step"] == 12).all()  # 6 h at 0.5 h per step, then running = False
    # same seed in two runs of the batch: identical outputs (RunId/iteration aside)
    cols = [c for c in df.columns if c not in ("RunId", "iteration")]
    pd.testing.assert_series_equal(df.loc[0, cols], df.loc[1, cols], check_names=False)


def test_mesa_idioms():
    model = TumorImmuneModel(rng=2, lattice__width_sites=30, lattice__height_sites=40)
    assert isinstance(model, mesa.Model)
    assert isinstance(model.grid, OrthogonalMooreGrid) and isinstance(model.grid, DiscreteSpace)
    assert model.grid.dimensions == (30, 40) and not model.grid.torus
    assert not hasattr(model, "schedule"), "no Mesa 2 scheduler"
    assert isinstance(model.agents, AbstractAgentSet) and len(model.agents) > 0
    assert isinstance(model.agents_by_type[TumorCell], AbstractAgentSet)
    assert all(isinstance(a, CellAgent) and a.cell is not None for a in model.agents)
    model.run_days(2)
    assert model.steps == 96 and model.running
    assert model.days == pytest.approx(2.0)
    # agents are in Mesa's cells and reachable through the grid
    a = next(iter(model.agents_by_type[TumorCell]))
    assert a in model.grid[a.cell.coordinate].agents
    # property layers carry the fields
    for name in FIELD_NAMES:
        assert name in model.grid._mesa_property_layers


def test_agents_by_type_matches_populations():
    model = run(4, days=3, **{"cd8__recruitment_per_vessel_per_hour": 0.05, "macrophage__recruitment_per_vessel_per_hour": 0.05})
    by_type = model.agents_by_type
    assert set(by_type) <= set(CELL_TYPES)
    for cls in CELL_TYPES:
        n = len(model.populations[cls])
        assert len(by_type.get(cls, [])) == n, cls.__name__
    assert len(by_type[CD8TCell]) > 0
    # Mesa AgentSet operations reach the numpy-backed attributes
    kills = by_type[CD8TCell].agg("kills", sum)
    assert kills == int(model.populations[CD8TCell]["kills"].sum())
    m1 = by_type[Macrophage].select(lambda m: m.phenotype == "M1")
    assert len(m1) == int((model.populations[Macrophage]["polarization"] == 1).sum())
    antigen = by_type[TumorCell].get("antigenicity")
    assert np.allclose(sorted(antigen), np.sort(model.populations[TumorCell]["antigenicity"]))


def test_agent_step_is_a_documented_guard():
    model = TumorImmuneModel(rng=1, lattice__width_sites=10, lattice__height_sites=10)
    with pytest.raises(NotImplementedError, match="stepped in bulk"):
        model.agents.shuffle_do("step")


def test_removed_agent_fails_loudly():
    model = quiet_model(0, 10, 10)
    cell = tumor(model, 3, 3)
    cell.remove()
    with pytest.raises(AttributeError, match="removed"):
        _ = cell.antigenicity
    assert not model.tumor_present.any() and len(model.agents) == 0


# =========================================================================== data collection

REQUIRED_COLUMNS = [
    "tumor_cells", "cd8_t_cells", "cd8_exhausted", "regulatory_t_cells", "neutrophils", "neutrophils_activated",
    "macrophages", "macrophages_m0", "macrophages_m1", "macrophages_m2", "kills_cd8", "kills_macrophage",
    "disseminated_cells", "metastatic_seeds", "divisions",
] + [f"{f}_{s}" for f in FIELD_NAMES for s in ("mean", "max")]

CUMULATIVE = ["kills_cd8", "kills_macrophage", "disseminated_cells", "metastatic_seeds", "divisions"]


@pytest.fixture(scope="module")
def busy_run():
    model = TumorImmuneModel(rng=11, **SMALL, cd8__recruitment_per_vessel_per_hour=0.05,
                             tumor__dissemination_rate_per_hour=0.05)
    model.run_days(5)
    return model


def test_datacollector_columns_and_shape(busy_run):
    df = busy_run.datacollector.get_model_vars_dataframe()
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    assert not missing, missing
    assert len(df) == busy_run.steps + 1  # initial state + every step
    assert np.all(np.diff(df["hours"]) == pytest.approx(busy_run.dt))


def test_datacollector_values_are_consistent(busy_run):
    df = busy_run.datacollector.get_model_vars_dataframe()
    last = df.iloc[-1]
    assert last["tumor_cells"] == busy_run.tumor_cell_count
    assert last["cd8_t_cells"] == len(busy_run.populations[CD8TCell])
    assert (df["cd8_exhausted"] <= df["cd8_t_cells"]).all()
    assert (df["neutrophils_activated"] <= df["neutrophils"]).all()
    assert (df["macrophages_m0"] + df["macrophages_m1"] + df["macrophages_m2"] == df["macrophages"]).all()
    for col in CUMULATIVE:
        assert (np.diff(df[col]) >= 0).all(), f"{col} must be cumulative"
    assert last["kills_cd8"] > 0 and last["disseminated_cells"] > 0 and last["divisions"] > 0
    for name in FIELD_NAMES:
        assert (df[f"{name}_mean"] <= df[f"{name}_max"] + 1e-15).all()
        assert (df[f"{name}_mean"] >= 0).all() and np.isfinite(df[f"{name}_max"]).all()
        assert last[f"{name}_max"] == busy_run.fields[name].max()
    assert last["interferon_max"] > 0 and last["cytokine_max"] > 0


def test_collect_every_k_steps():
    model = TumorImmuneModel(rng=1, lattice__width_sites=20, lattice__height_sites=20, lattice__collect_every_steps=4)
    for _ in range(10):
        model.step()
    df = model.datacollector.get_model_vars_dataframe()
    assert list(df["hours"]) == [0.0, 2.0, 4.0]


def test_summary_values_are_the_summary_values_and_skipping_rows_changes_nothing():
    """``summary_values`` gives ``summarize()``'s values bit for bit (the cheap keys computed alone,
    the OSM neutralisation included), and a ``collect_filter`` that skips rows leaves the run as it was."""
    kw = dict(scenario_name="anti_osm", rng=3, lattice__width_sites=30, lattice__height_sites=30)
    skipping, full = TumorImmuneModel(**kw), TumorImmuneModel(**kw)
    skipping.collect_filter = lambda m: m.steps % 5 == 0
    cheap = ["hours", "days", "tumor_cells", "cd8_t_cells", "marrow_myeloid", "marrow_lymphoid",
             "osm_effective_mean"] + [f"{name}_mean" for name in FIELD_NAMES]
    for _ in range(24 * 2 * 6):  # past the first anti-OSM doses
        skipping.step()
        full.step()
        whole = full.summarize()
        for keys in (cheap, cheap + ["cd8_engaged"]):  # a key that is not cheap takes the whole summary
            got = full.summary_values(keys)
            assert [np.float64(v).tobytes() for v in got] == [np.float64(whole[k]).tobytes() for k in keys]
    assert full.modifiers.osm_neutralization > 0
    rows = skipping.datacollector.get_model_vars_dataframe()
    assert list(rows["hours"]) == [0.0] + [s * 0.5 for s in range(5, 24 * 2 * 6 + 1, 5)]
    kept = full.datacollector.get_model_vars_dataframe().set_index("hours").loc[rows["hours"]].reset_index()
    pd.testing.assert_frame_equal(rows, kept[rows.columns], check_exact=True)
    for name in FIELD_NAMES:
        assert np.array_equal(skipping.fields[name].values, full.fields[name].values)
