"""Biology from the literature: effect directions with 95% confidence intervals over replicates.

Every claim compares two arms run with the same replicate seeds (a paired
design: arm B differs from arm A only in the parameter or treatment named),
and reports the mean paired difference with a Student-t 95% interval and the
relative magnitude. A claim holds when the interval excludes zero in the
stated direction.

Read-outs (per run):

``kill_efficiency``
    tumor cells killed by CD8 T-cells per *engaged* CD8 T-cell-hour (engaged:
    not exhausted and next to a tumor cell). This isolates "how well a T-cell
    that meets its target kills" from how many T-cells arrive.
``division_rate``
    tumor divisions per tumor cell-hour (growth per cell).
``antigen_change``
    mean tumor antigenicity at the end minus at the start (immunoediting).
``disseminated`` / ``seeds``
    tumor cells that entered vessels / of those, the ones that seeded a metastasis.

Metastasis assay: dissemination and seeding are rare events (a handful per
run at the default hazards), so the OSM and IRF7 claims run with the baseline
intravasation hazard x10 (0.02/h) and the seeding probability x5 (0.5). Both
are multiplicative baselines; OSM and interferon act as fold changes on them,
so the relative effects are unchanged while the counts become measurable.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from model import Parameters

from .validation_core import Budget, Check, RunResult, RunSpec, mean_ci, paired_diff_ci, replicate_seeds, simulate_many

SECTION = "Biology: effect directions"

METASTASIS_ASSAY = {"tumor.dissemination_rate_per_hour": 0.02, "tumor.seeding_probability": 0.5}
"""Baseline hazards x10 / x5 so dissemination and seeding are countable (see module docstring)."""

NEUTROPHIL_RICH = {"neutrophil.recruitment_per_vessel_per_hour": 0.06}
"""x10 neutrophil influx: a myeloid-rich, 4T1-like tumor (Queen et al. 2005: myeloid cells up to ~50% of
tumor mass; the default tissue has <1% neutrophils)."""

NO_CYTOKINE = {
    "tumor.cytokine_secretion_per_hour": 0.0,
    "treg.cytokine_secretion_per_hour": 0.0,
    "macrophage.m2_cytokine_secretion_per_hour": 0.0,
}


def tissue(budget: Budget) -> dict[str, Any]:
    return {"lattice.width_sites": budget.width, "lattice.height_sites": budget.width,
            "tumor.initial_radius_sites": 5.0}


def schedules(days: float) -> dict[str, dict[str, Any]]:
    """Treatment schedules that fit inside a ``days``-long run."""
    last = days - 1.0
    return {
        "treg_depletion": {"type": "treg_depletion", "start_day": 3.0, "interval_days": 6.0,
                           "doses": int((last - 3.0) // 6.0) + 1},
        "anti_osm": {"type": "anti_osm", "start_day": 1.0, "interval_days": 7.0, "doses": int((last - 1.0) // 7.0) + 1},
        "interferon_dosing": {"type": "interferon_dosing", "start_day": 1.0, "interval_days": 2.0,
                              "doses": int((last - 1.0) // 2.0) + 1},
        "irf7_restoration": {"type": "irf7_restoration", "start_day": 1.0},
        "checkpoint_blockade": {"type": "checkpoint_blockade", "start_day": 3.0, "interval_days": 7.0,
                                "doses": int((last - 3.0) // 7.0) + 1},
    }


def arm_definitions(budget: Budget) -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Arm name -> (parameter overrides, treatments)."""
    base = tissue(budget)
    sch = schedules(budget.days)
    meta = {**base, **METASTASIS_ASSAY}
    rich = {**meta, **NEUTROPHIL_RICH}
    from model.scenarios import PROFILES

    hot = {**base, **PROFILES["hot"].overrides}
    cold = {**base, **PROFILES["cold"].overrides}
    return {
        # T-cell suppression and immunoediting (default tissue)
        "default": (base, []),
        "no_cytokine": ({**base, **NO_CYTOKINE}, []),
        "no_tregs": ({**base, "treg.recruitment_per_vessel_per_hour": 0.0}, []),
        "treg_depletion": (base, [sch["treg_depletion"]]),
        "no_immunity": ({**base, "host.immune_health": 0.0}, []),
        "neutrophils_not_activated": ({**base, "neutrophil.activation_rate_per_hour": 0.0}, []),
        # oncostatin M (myeloid-rich tumor, metastasis assay)
        "rich": (rich, []),
        "rich_no_osm": ({**rich, "neutrophil.osm_secretion_per_hour": 0.0}, []),
        "rich_anti_osm": (rich, [sch["anti_osm"]]),
        # IRF7 / interferon (metastasis assay)
        "irf7_intact": (meta, []),
        "irf7_silenced": ({**meta, "tumor.irf7_silenced_fraction": 1.0}, []),
        "irf7_silenced_ifn": ({**meta, "tumor.irf7_silenced_fraction": 1.0}, [sch["interferon_dosing"]]),
        "irf7_silenced_restored": ({**meta, "tumor.irf7_silenced_fraction": 1.0}, [sch["irf7_restoration"]]),
        # checkpoint blockade, hot vs cold
        "hot": (hot, []),
        "hot_cpb": (hot, [sch["checkpoint_blockade"]]),
        "cold": (cold, []),
        "cold_cpb": (cold, [sch["checkpoint_blockade"]]),
    }


def metrics(r: RunResult) -> dict[str, float]:
    """Per-run read-outs (see module docstring)."""
    dt = float(r["hours"][1] - r["hours"][0])
    s = r.series
    engaged_hours = float(s["cd8_engaged"][:-1].sum() * dt)
    tumor_hours = float(s["tumor_cells"][:-1].sum() * dt)
    cd8_days = float(s["cd8_t_cells"][:-1].sum() * dt / 24)
    out = {
        "final_tumor": float(s["tumor_cells"][-1]),
        "kills_cd8": float(s["kills_cd8"][-1]),
        "kill_efficiency": float(s["kills_cd8"][-1]) / engaged_hours if engaged_hours > 0 else float("nan"),
        "kills_per_cd8_day": float(s["kills_cd8"][-1]) / cd8_days if cd8_days > 0 else float("nan"),
        "engaged_fraction": engaged_hours / (cd8_days * 24) if cd8_days > 0 else float("nan"),
        "division_rate": float(s["divisions"][-1]) / tumor_hours if tumor_hours > 0 else float("nan"),
        "antigen_change": float(s["mean_antigenicity"][-1] - s["mean_antigenicity"][0]),
        "osm_mean": r.time_mean("osm_mean"),
        "activated_neutrophils_mean": r.time_mean("neutrophils_activated"),
        "neutrophils_mean": r.time_mean("neutrophils"),
        "interferon_mean": r.time_mean("interferon_mean"),
        "disseminated": float(s["disseminated_cells"][-1]),
        "seeds": float(s["metastatic_seeds"][-1]),
        "tregs_mean": r.time_mean("regulatory_t_cells"),
        "cd8_mean": r.time_mean("cd8_t_cells"),
        "pd_l1_mean": float(np.nanmean(s["mean_pd_l1"])),
    }
    return out


def run_arms(budget: Budget, names: list[str] | None = None) -> dict[str, list[dict[str, float]]]:
    """Run the named arms (all by default) with shared replicate seeds; per-run metrics per arm."""
    arms = arm_definitions(budget)
    names = list(arms) if names is None else names
    seeds = replicate_seeds(budget.root_seed, budget.replicates, stream=500)
    specs = []
    for name in names:
        over, treatments = arms[name]
        specs += [RunSpec.make(over, s, budget.days, treatments, track=True) for s in seeds]
    res = simulate_many(specs, budget.workers)
    n = budget.replicates
    return {name: [metrics(r) for r in res[i * n:(i + 1) * n]] for i, name in enumerate(names)}


def _col(rows, key):
    return np.array([r[key] for r in rows], dtype=float)


def effect(data, treated: str, control: str, key: str, direction: int) -> dict[str, Any]:
    """Paired difference ``treated - control`` of ``key``; ``direction`` +1 (rise) or -1 (fall) expected."""
    t, c = _col(data[treated], key), _col(data[control], key)
    d, lo, hi = paired_diff_ci(t, c)
    base = float(np.nanmean(c))
    return {
        "treated": treated, "control": control, "key": key,
        "treated_mean": float(np.nanmean(t)), "control_mean": base,
        "diff": d, "ci": (lo, hi),
        "relative": d / base if base else float("nan"),
        "relative_ci": (lo / base, hi / base) if base else (float("nan"), float("nan")),
        "holds": bool(lo > 0) if direction > 0 else bool(hi < 0),
        "n": int(t.size),
    }


def _check(cid: str, claim: str, reference: str, e: dict, unit: str, direction: int, notes: str = "",
           extra: dict | None = None) -> Check:
    word = "rises" if direction > 0 else "falls"
    rel = e["relative"]
    more = {"arms": f"{e['treated']} vs {e['control']}", "treated_mean": e["treated_mean"],
            "control_mean": e["control_mean"], "relative_change": rel,
            "relative_change_ci": list(e["relative_ci"]), "replicates": e["n"]}
    more.update(extra or {})
    return Check(
        id=cid,
        section=SECTION,
        claim=claim,
        reference=reference,
        statistic=f"paired difference in {e['key']} ({e['treated']} - {e['control']})",
        value=e["diff"],
        ci=e["ci"],
        unit=unit,
        criterion=f"95% CI excludes 0: {e['key']} {word}",
        passed=e["holds"],
        notes=(f"{e['key']}: {e['control_mean']:.4g} -> {e['treated_mean']:.4g} ({100 * rel:+.1f}%, "
               f"95% CI {100 * e['relative_ci'][0]:+.1f}% to {100 * e['relative_ci'][1]:+.1f}%). " + notes).strip(),
        extra=more,
    )


def analyse(budget: Budget, data: dict, fig_dir: Path | None = None) -> list[Check]:
    checks: list[Check] = []
    have = set(data)

    def want(*names):
        return all(n in have for n in names)

    if want("default", "no_cytokine"):
        e = effect(data, "no_cytokine", "default", "kill_efficiency", +1)
        checks.append(_check(
            "bio.cytokine_suppresses_killing",
            "the suppressive cytokine (TGF-beta/IL-10-like) reduces T-cell killing: removing it raises kills per "
            "engaged T-cell-hour",
            "QSPIO (Robertson-Tessi et al. 2012): TGF-beta inhibits effector killing", e, "kills/engaged T-cell-h", +1,
        ))
    if want("default", "no_tregs"):
        e = effect(data, "no_tregs", "default", "kill_efficiency", +1)
        checks.append(_check(
            "bio.tregs_suppress_killing",
            "regulatory T-cells reduce T-cell killing: a tumor without Treg influx has higher kills per engaged "
            "T-cell-hour",
            "Bos et al. 2013 (Treg ablation shrinks tumors via CD8/IFN-gamma); QSPIO Treg inhibition", e,
            "kills/engaged T-cell-h", +1,
            extra={"tregs_mean_default": float(_col(data["default"], "tregs_mean").mean())},
        ))
    if want("default", "treg_depletion"):
        e = effect(data, "treg_depletion", "default", "kill_efficiency", +1)
        e2 = effect(data, "treg_depletion", "default", "tregs_mean", -1)
        checks.append(_check(
            "bio.treg_depletion_increases_killing",
            "Treg depletion (anti-CTLA-4/anti-CD25) increases T-cell killing",
            "Bos et al. 2013; Simpson et al. 2013 (Fc-mediated intratumoral Treg depletion)", e,
            "kills/engaged T-cell-h", +1,
            extra={"treg_count_change": e2["relative"], "treg_count_change_ci": list(e2["relative_ci"])},
            notes=f"Time-averaged Tregs fell by {-100 * e2['relative']:.0f}%.",
        ))
    if want("default", "no_immunity"):
        e = effect(data, "default", "no_immunity", "antigen_change", -1)
        checks.append(_check(
            "bio.immunoediting",
            "immune pressure selects low-antigen clones: mean antigenicity falls more in an immunocompetent host "
            "than in an immunocompromised (SCID-like, immune_health = 0) one",
            "Dunn et al. 2002 (immunoediting); Kather et al. 2017 (agent model)", e, "antigenicity units", -1,
            notes="Without immunity antigenicity still drifts down by antigen-loss mutations alone; the paired "
            "difference is the part due to selection by killing.",
        ))
    if want("default", "neutrophils_not_activated"):
        e = effect(data, "default", "neutrophils_not_activated", "osm_mean", +1)
        act = _col(data["default"], "activated_neutrophils_mean")
        osm = _col(data["default"], "osm_mean")
        slope = float(np.polyfit(act, osm, 1)[0]) if act.std() > 0 else float("nan")
        checks.append(_check(
            "bio.neutrophils_make_osm",
            "tumor-activated neutrophils make oncostatin M: OSM appears only when neutrophils can be activated by "
            "tumor contact, and rises with the number activated",
            "Queen et al. 2005 (OSM released on contact with GM-CSF-primed tumor cells)", e, "OSM field units", +1,
            extra={"osm_vs_activated_slope": slope,
                   "osm_without_activation": float(_col(data["neutrophils_not_activated"], "osm_mean").max())},
        ))
    if want("rich", "rich_no_osm"):
        e = effect(data, "rich", "rich_no_osm", "division_rate", +1)
        e_t = effect(data, "rich", "rich_no_osm", "final_tumor", +1)
        checks.append(_check(
            "bio.osm_raises_growth",
            "OSM raises tumor growth (myeloid-rich tumor: with vs without neutrophil OSM)",
            "Queen et al. 2005 (OSM raises proliferation signalling in vivo); Tawara et al. 2018", e,
            "divisions/cell-h", +1,
            extra={"final_tumor_change": e_t["relative"], "final_tumor_change_ci": list(e_t["relative_ci"]),
                   "final_tumor_holds": e_t["holds"]},
            notes=f"Final tumor size {100 * e_t['relative']:+.1f}% (95% CI {100 * e_t['relative_ci'][0]:+.1f}% "
            f"to {100 * e_t['relative_ci'][1]:+.1f}%).",
        ))
        e = effect(data, "rich", "rich_no_osm", "disseminated", +1)
        checks.append(_check(
            "bio.osm_raises_dissemination",
            "OSM raises dissemination (tumor cells entering vessels)",
            "Queen et al. 2005; Tawara et al. 2018 (more OSM -> more circulating tumor cells, metastases)", e,
            "cells", +1,
        ))
    if want("rich", "rich_anti_osm"):
        e = effect(data, "rich_anti_osm", "rich", "division_rate", -1)
        e_t = effect(data, "rich_anti_osm", "rich", "final_tumor", -1)
        checks.append(_check(
            "bio.anti_osm_reduces_growth",
            "anti-OSM antibody reduces tumor growth",
            "Queen et al. 2005; Tawara et al. 2018 (OSM neutralisation)", e, "divisions/cell-h", -1,
            extra={"final_tumor_change": e_t["relative"], "final_tumor_change_ci": list(e_t["relative_ci"]),
                   "final_tumor_holds": e_t["holds"]},
            notes=f"Final tumor size {100 * e_t['relative']:+.1f}% (95% CI {100 * e_t['relative_ci'][0]:+.1f}% "
            f"to {100 * e_t['relative_ci'][1]:+.1f}%).",
        ))
        e = effect(data, "rich_anti_osm", "rich", "disseminated", -1)
        checks.append(_check(
            "bio.anti_osm_reduces_dissemination",
            "anti-OSM antibody reduces dissemination",
            "Queen et al. 2005; Tawara et al. 2018", e, "cells", -1,
        ))
    if want("irf7_intact", "irf7_silenced"):
        e = effect(data, "irf7_silenced", "irf7_intact", "seeds", +1)
        e_p = effect(data, "irf7_silenced", "irf7_intact", "final_tumor", +1)
        checks.append(_check(
            "bio.irf7_silencing_raises_seeding",
            "silencing IRF7 increases metastatic seeding",
            "Bidwell et al. 2012 Nat Med (IRF7 loss raises bone metastasis of 4T1.2)", e, "seeds", +1,
            extra={"primary_tumor_change": e_p["relative"], "primary_tumor_change_ci": list(e_p["relative_ci"])},
            notes=f"Primary tumor size changed by {100 * e_p['relative']:+.1f}% (95% CI "
            f"{100 * e_p['relative_ci'][0]:+.1f}% to {100 * e_p['relative_ci'][1]:+.1f}%); Bidwell et al. found "
            "primary growth largely unchanged.",
        ))
    if want("irf7_silenced", "irf7_silenced_ifn"):
        e = effect(data, "irf7_silenced_ifn", "irf7_silenced", "seeds", -1)
        checks.append(_check(
            "bio.interferon_lowers_seeding",
            "interferon dosing lowers metastatic seeding of an IRF7-silenced tumor",
            "Bidwell et al. 2012 (IFN-alpha treatment reduces metastasis, prolongs survival)", e, "seeds", -1,
        ))
    if want("irf7_silenced", "irf7_silenced_restored"):
        e = effect(data, "irf7_silenced_restored", "irf7_silenced", "seeds", -1)
        checks.append(_check(
            "bio.irf7_restoration_lowers_seeding",
            "restoring IRF7 lowers metastatic seeding",
            "Bidwell et al. 2012 (IRF7 re-expression suppresses bone metastasis)", e, "seeds", -1,
        ))
    if want("hot", "hot_cpb", "cold", "cold_cpb"):
        lr_hot = np.log(_col(data["hot_cpb"], "final_tumor") + 1) - np.log(_col(data["hot"], "final_tumor") + 1)
        lr_cold = np.log(_col(data["cold_cpb"], "final_tumor") + 1) - np.log(_col(data["cold"], "final_tumor") + 1)
        benefit_hot, benefit_cold = -lr_hot, -lr_cold
        d, lo, hi = paired_diff_ci(benefit_hot, benefit_cold)
        bh, bhlo, bhhi = mean_ci(benefit_hot)
        bc, bclo, bchi = mean_ci(benefit_cold)
        checks.append(Check(
            id="bio.checkpoint_hot_vs_cold",
            section=SECTION,
            claim="checkpoint blockade benefits inflamed (hot, PD-L1-high) tumors more than cold ones",
            reference="KEYNOTE-355: benefit at CPS >= 10 (HR 0.65), none at CPS < 1; IMpassion130 PD-L1+ subgroup",
            statistic="benefit(hot) - benefit(cold), benefit = -log(final tumor treated / untreated), paired",
            value=d,
            ci=(lo, hi),
            unit="log units",
            criterion="95% CI excludes 0: the hot tumor's benefit is larger",
            passed=lo > 0,
            notes=(f"Final tumor reduced by {100 * (1 - math.exp(-bh)):.0f}% in hot tumors (log benefit {bh:.2f}, "
                   f"95% CI {bhlo:.2f} to {bhhi:.2f}) and by {100 * (1 - math.exp(-bc)):.0f}% in cold ones "
                   f"({bc:.2f}, {bclo:.2f} to {bchi:.2f})."),
            extra={"benefit_hot": bh, "benefit_hot_ci": [bhlo, bhhi], "benefit_cold": bc,
                   "benefit_cold_ci": [bclo, bchi], "replicates": int(benefit_hot.size)},
        ))
    if fig_dir is not None and checks:
        _figure(data, checks, fig_dir)
    return checks


def _figure(data, checks, fig_dir: Path) -> None:
    import matplotlib.pyplot as plt

    rel = [c for c in checks if "relative_change" in c.extra]
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(rel) + 1.2))
    for i, c in enumerate(rel):
        m = 100 * c.extra["relative_change"]
        lo, hi = (100 * x for x in c.extra["relative_change_ci"])
        ax.errorbar(m, i, xerr=[[m - lo], [hi - m]], fmt="o", color="C2" if c.passed else "C3", capsize=3)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_yticks(range(len(rel)))
    ax.set_yticklabels([c.id.replace("bio.", "") for c in rel], fontsize=8)
    ax.set_xlabel("relative change of the read-out, treated vs control (%), paired 95% CI")
    ax.set_title("biology effects (green: direction confirmed)")
    fig.tight_layout()
    fig_dir.mkdir(parents=True, exist_ok=True)
    fig.savefig(fig_dir / "biology_effects.png", dpi=110)
    plt.close(fig)
    for c in rel:
        c.figure = "biology_effects.png"
    hc = [c for c in checks if c.id == "bio.checkpoint_hot_vs_cold"]
    if hc:
        fig, ax = plt.subplots(figsize=(4.6, 3.4))
        for j, (u, t, lab) in enumerate((("hot", "hot_cpb", "hot"), ("cold", "cold_cpb", "cold"))):
            a, b = _col(data[u], "final_tumor"), _col(data[t], "final_tumor")
            for x, y in zip(a, b):
                ax.plot([2 * j, 2 * j + 1], [x, y], color="0.6", lw=0.8)
            ax.plot([2 * j, 2 * j + 1], [a.mean(), b.mean()], "o-", color=f"C{j}", lw=2, label=lab)
        ax.set_xticks(range(4))
        ax.set_xticklabels(["hot", "hot+aPD-1", "cold", "cold+aPD-1"])
        ax.set_ylabel("final tumor cells")
        ax.set_title("checkpoint blockade: hot vs cold")
        fig.tight_layout()
        fig.savefig(fig_dir / "biology_checkpoint_hot_cold.png", dpi=110)
        plt.close(fig)
        hc[0].figure = "biology_checkpoint_hot_cold.png"


def run(budget: Budget, fig_dir: Path | None = None) -> list[Check]:
    return analyse(budget, run_arms(budget), fig_dir)
