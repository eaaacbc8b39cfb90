"""One validated tree of model parameters, with units, ranges and sources.

Every leaf is declared with :func:`param`, which records its unit, the allowed
closed range and the literature source next to the default. ``Parameters``
groups them by biology (lattice, tumor, CD8 T-cells, ...). Rates are per hour
and turn into per-step probabilities with :func:`rate_to_probability`, so
results do not depend on the time step beyond noise.

Concentrations in the three fields are nondimensional: 1.0 is the half-maximal
effect concentration (EC50) of the field's main action, so a source rate of
0.1 per hour means "one tenth of an EC50 per hour at that site". This keeps
secretion rates and Hill thresholds comparable without inventing molar
conversions the sources do not support (see docs/parameters.md).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Iterator, Mapping

import numpy as np

from .hints import close_match_hint

__all__ = [
    "ParameterError",
    "Parameters",
    "rate_to_probability",
    "step_probability",
    "step_probabilities",
    "hill",
    "hill_of_float",
    "param",
]


class ParameterError(ValueError):
    """A parameter (or an override key) is outside what the model allows."""


def param(default: Any, unit: str, lo: float | None, hi: float | None, source: str, doc: str = ""):
    """Declare one parameter leaf with unit, allowed closed range ``[lo, hi]`` and source."""
    return field(
        default=default,
        metadata={"unit": unit, "range": (lo, hi), "source": source, "doc": doc},
    )


def rate_to_probability(rate_per_hour, dt_hours: float):
    """Probability that a Poisson event with ``rate_per_hour`` happens within ``dt_hours``."""
    return -np.expm1(-np.asarray(rate_per_hour, dtype=float) * dt_hours)


@functools.lru_cache(maxsize=1024)
def step_probability(rate_per_hour: float, dt_hours: float) -> float:
    """``float(rate_to_probability(rate_per_hour, dt_hours))`` for one scalar rate, remembered:
    the rules ask for the same few constant rates every step (~3 us of numpy calls each)."""
    return float(rate_to_probability(rate_per_hour, dt_hours))


@functools.lru_cache(maxsize=1024)
def step_probabilities(rates_per_hour: tuple[float, ...], dt_hours: float) -> tuple[float, ...]:
    """``rate_to_probability(np.array(rates_per_hour), dt_hours)`` as floats, remembered: the same
    numpy call on the same array (so the same numbers), made once per (rates, dt)."""
    return tuple(float(p) for p in rate_to_probability(np.array(rates_per_hour, dtype=float), dt_hours))


def hill(concentration, ec50: float = 1.0, n: float = 1.0):
    """Hill saturation c^n / (c^n + ec50^n), in [0, 1)."""
    c = np.maximum(np.asarray(concentration, dtype=float), 0.0)
    if n == 1.0:
        return c / (c + ec50)
    cn = c**n
    return cn / (cn + ec50**n)


def hill_of_float(c: float, ec50: float = 1.0) -> float:
    """``float(hill(c, ec50))`` for one Python float with n = 1, in Python arithmetic (the same
    IEEE operations, ``np.maximum``'s NaN and tie semantics; ~2 us less than numpy on a scalar).
    A zero denominator goes through numpy, as before."""
    c = c if (c > 0.0 or c != c) else 0.0  # np.maximum(c, 0.0): NaN kept, a tie gives 0.0 (-0.0 -> 0.0)
    denominator = c + ec50
    if denominator == 0.0:
        return float(hill(c, ec50))
    return c / denominator


# --------------------------------------------------------------------------- groups


@dataclass
class LatticeParameters:
    """Space and time discretisation."""

    width_sites: int = param(200, "sites", 8, 4000, "choice: 200 x 20 um = 4 mm tissue window")
    height_sites: int = param(200, "sites", 8, 4000, "choice: square window")
    site_size_um: float = param(20.0, "um", 5.0, 50.0, "one tumor cell; PhysiCell cancer_immune, Kather et al. 2017 (15-20 um)")
    dt_hours: float = param(0.5, "h", 1 / 60, 2.0, "choice: 0.5 h step; sub-step T-cell contacts are resolved as a per-step hazard")
    vessel_fraction: float = param(0.01, "fraction of sites", 0.0, 0.2, "choice: ~1 capillary per 100 sites gives 100-200 um spacing (O2 diffusion limit)")
    field_update_every_steps: int = param(1, "steps", 1, 100, "choice: fields change slower than cells; >1 trades accuracy for speed, but each update uses only its own step's sources: at 2 the first hour's interferon fields are 24-26% off (benchmarks/bench_field_modes.py), so lattice.field_voxel_sites is the cheaper field mode to use")
    collect_every_steps: int = param(1, "steps", 1, 10_000, "choice: data-collector sampling interval")
    field_precision_bits: int = param(64, "bits", 32, 64, "choice: 32 runs the field transforms in float32 (7 digits), about half their cost on large lattices; 32 or 64")
    field_voxel_sites: int = param(1, "sites", 1, 16, "choice: 1 solves the fields per site; k > 1 solves them on voxels of k x k sites, interpolated bilinearly between voxel centres onto the sites (PhysiCell's BioFVM sets its 20 um diffusion mesh apart from the cells the same way; Ghaffarizadeh et al. 2016), about k^2 times fewer transform points on large lattices; k must divide the lattice's width and height")


@dataclass
class TumorParameters:
    """Tumor cell growth, immunogenicity and spread."""

    initial_radius_sites: float = param(12.0, "sites", 0.0, 2000.0, "choice: a 0.5 mm lesion (~450 cells)")
    division_rate_per_hour: float = param(0.03, "1/h", 0.0, 1.0, "choice: 1/33 h; 4T1 doubles in ~14 h in vitro (cell-line descriptions) and grows slower, biphasically, in vivo (Tao et al. 2008)")
    mean_antigenicity: float = param(0.6, "0-1", 0.0, 1.0, "choice: mid-range immunogenicity; a per-cell antigenicity as in Kather's later 3D model (immunoABM3D; the 2017 model has none)")
    antigenicity_sd: float = param(0.1, "0-1", 0.0, 0.5, "choice: clonal heterogeneity at start")
    mutation_probability: float = param(0.02, "per division", 0.0, 1.0, "choice: antigen-loss events per division (immunoediting; Dunn et al. 2002)")
    antigen_loss_fraction: float = param(0.5, "fraction", 0.0, 1.0, "choice: a loss mutation halves the daughter's antigenicity")
    pd_l1_baseline: float = param(0.1, "0-1 engagement", 0.0, 1.0, "choice: low constitutive PD-L1 (TNBC CPS<1 majority)")
    pd_l1_induced_max: float = param(0.6, "0-1 engagement", 0.0, 1.0, "QSPIO-TNBC (Wang et al. 2021; r_PDL1_IFNg from Shin et al. 2017): IFN-gamma raises PD-L1 up to 6-fold")
    pd_l1_interferon_ec50: float = param(1.0, "field units", 1e-6, 100.0, "nondimensional scale: IFN-gamma EC50 of PD-L1 induction 2.96 pM (QSPIO-TNBC; Shin et al. 2017)")
    irf7_silenced_fraction: float = param(0.0, "fraction", 0.0, 1.0, "Bidwell et al. 2012: IRF7 silenced in bone-metastatic 4T1.2")
    type1_ifn_secretion_per_hour: float = param(2.0, "field units/h per stressed cell", 0.0, 1000.0, "choice: IRF7-driven IFN-alpha/beta under immune stress (Bidwell et al. 2012)")
    cytokine_secretion_per_hour: float = param(0.3, "field units/h per cell", 0.0, 100.0, "choice: tumor TGF-beta; a large tumor core reaches secretion/decay = 0.5 EC50")
    osm_division_boost_max: float = param(0.6, "fold increase", 0.0, 10.0, "contested sign: Queen et al. 2005 report OSM-driven proliferation signalling in vivo, but OSM inhibits proliferation of breast cancer lines in vitro (Douglas et al. 1998; Queen et al. 2005 themselves); the model takes the pro-growth sign; size is a choice")
    m2_division_boost_max: float = param(0.3, "fold increase", 0.0, 10.0, "choice: M2 trophic support (Qian & Pollard 2010)")
    interferon_division_inhibition_max: float = param(0.3, "fraction", 0.0, 1.0, "QSPIO: IFN-gamma slows tumor division")
    er_expression: float = param(0.0, "0-1", 0.0, 1.0, "profile: estrogen-receptor level; sets how much endocrine therapy brakes division")
    her2_expression: float = param(0.0, "0-1", 0.0, 1.0, "profile: HER2 amplification level; sets how much HER2 blockade brakes division")
    dissemination_rate_per_hour: float = param(0.002, "1/h per cell on a vessel site", 0.0, 1.0, "choice: intravasation hazard; tuned to tens of CTCs per week")
    osm_invasion_boost_max: float = param(3.0, "fold increase", 0.0, 50.0, "Queen et al. 2005 / Tawara et al. 2018: OSM raises detachment and invasion")
    seeding_probability: float = param(0.1, "per disseminated cell", 0.0, 1.0, "choice: fraction of CTCs that seed (most die in circulation)")
    interferon_seeding_inhibition_max: float = param(0.9, "fraction", 0.0, 1.0, "Bidwell et al. 2012: type-I IFN blocks bone metastasis in 4T1.2")
    osm_seeding_boost_max: float = param(1.0, "fold increase", 0.0, 50.0, "Tawara et al. 2018: OSM raises metastasis")
    vessel_inflammation_distance_um: float = param(100.0, "um from the nearest tumor cell", 0.0, 1e5, "choice: tumor-derived TNF/VEGF/CXCL9-10 activate venules within ~100 um (a choice within cytokine ranges of tens to hundreds of um; IFN-gamma responses reach > 800 um, Hoekstra et al. 2020)")
    debris_clearance_hours: float = param(8.6, "h", 0.01, 1000.0, "PhysiCell standard apoptosis model: a dead cell is removed after 516 min (Ghaffarizadeh et al. 2018)")
    hypoxia_distance_um: float = param(150.0, "um from the nearest vessel site", 0.0, 1e5, "Thomlinson & Gray 1955: viable tumor cords ~150-180 um around capillaries (O2 diffusion limit)")
    hypoxic_division_factor: float = param(1.0, "fraction", 0.0, 1.0, "choice: 1 = off (default); < 1 makes cells beyond hypoxia_distance_um quiescent (hypoxic quiescence)")
    necrosis_rate_per_hour: float = param(0.0, "1/h beyond hypoxia_distance_um", 0.0, 1.0, "choice: 0 = off (default); necrotic cores form beyond the O2 limit (Thomlinson & Gray 1955)")


@dataclass
class CD8Parameters:
    """Cytotoxic (CD8+) T-cells."""

    recruitment_per_vessel_per_hour: float = param(0.05, "1/h per tumor-inflamed vessel site", 0.0, 10.0, "choice (issue 12, 2026-11-29): ~20 T-cells/day into a 0.5-1 mm lesion; kills/CTL/day then within Halle 2016 (C2: 2-16) and the default antigenic tumor loses a share of its burden to immunity (Tao 2008, C6); not a formal fit")
    interferon_recruitment_boost_max: float = param(3.0, "fold increase", 0.0, 50.0, "CXCL9/10 induction by IFN (Gong et al. 2017 uses chemokine-driven influx)")
    antigen_priming_ec50: float = param(200.0, "tumor cells", 1.0, 1e7, "choice: priming needs antigen load in the draining node")
    speed_um_per_min: float = param(5.0, "um/min", 0.0, 30.0, "choice: ~5 um/min; CTLs move fast in tumor regions without antigen and arrest on antigen-expressing cells (Boissonnas et al. 2007)")
    chemotaxis_bias: float = param(0.5, "0-1", 0.0, 1.0, "choice: fraction of moves up the interferon gradient")
    kill_rate_per_hour: float = param(5.7, "hits/h while attached, full antigen", 0.0, 60.0, "fit (2026-11-30): tumor-immune calibrate experiments/data/targets/ctl_killing.toml on C2 (Halle 2016: 2-16 kills/CTL-day) and C4 (Breart 2008: ~6 h per kill), Poisson hits per step; posterior median 5.66, 90% interval 4.29-7.21 hits/h; prior log-U[0.5, 30]; hits add up to cd8.hits_to_kill (Weigelin et al. 2021); cf. PhysiCell's attack rate 4/h")
    hits_to_kill: int = param(3, "hits", 1, 20, "Weigelin et al. 2021 (C3): ~3 sublethal hits less than 50 min apart kill a target")
    hit_repair_per_hour: float = param(0.5, "1/h per hit", 0.0, 100.0, "choice: sublethal damage fades over ~2 h (Weigelin et al. 2021: hits add up within ~50 min, targets recover from isolated hits)")
    post_kill_arrest_hours: float = param(1.0, "h", 0.0, 48.0, "choice: a CTL stays on its dead target ~1 h before moving on (Breart et al. 2008 / Weigelin et al. 2021 contact times)")
    pd1_inhibition_max: float = param(0.8, "fraction", 0.0, 1.0, "choice: PD-1 ligation abolishes most killing (Gong et al. 2017)")
    treg_suppression_max: float = param(0.6, "fraction", 0.0, 1.0, "QSPIO: Treg inhibition of effector killing")
    cytokine_suppression_max: float = param(0.5, "fraction", 0.0, 1.0, "QSPIO: TGF-beta EC50 inhibition of killing")
    exhaustion_rate_per_hour: float = param(0.02, "1/h while engaged with PD-L1", 0.0, 10.0, "choice: ~2 days of PD-L1 engagement to exhaust (Kather 2017: 5 kills/lifetime)")
    death_rate_per_hour: float = param(0.1 / 24, "1/h", 0.0, 1.0, "choice: 0.1/d in tumor (QSPIO-TNBC: basal CD8 death 0.01/d, De Boer & Perelson 1995, plus up to 0.1/d loss to cancer-cell-driven exhaustion, k_Tcell)")
    exhausted_death_rate_per_hour: float = param(0.3 / 24, "1/h", 0.0, 1.0, "choice: exhausted cells are cleared ~3x faster")
    ifn_gamma_secretion_per_hour: float = param(30.0, "field units/h per engaged cell", 0.0, 1000.0, "choice of scale: IFN-gamma from engaged T-cells acts far beyond the contact (> 800 um, Hoekstra et al. 2020; Thibaut et al. 2020); its range is set by fields.ifn_gamma's decay")


@dataclass
class TregParameters:
    """Regulatory (FOXP3+) T-cells."""

    recruitment_per_vessel_per_hour: float = param(0.01, "1/h per tumor-inflamed vessel site", 0.0, 10.0, "choice: Tregs ~1/4 of CD8 influx; x10 with per-inflamed-vessel recruitment (issue 12)")
    cytokine_recruitment_boost_max: float = param(3.0, "fold increase", 0.0, 50.0, "QSPIO: TGF-beta-driven Treg induction")
    speed_um_per_min: float = param(4.0, "um/min", 0.0, 30.0, "choice: similar to CD8")
    cytokine_secretion_per_hour: float = param(2.0, "field units/h per cell", 0.0, 1000.0, "QSPIO: Treg IL-10/TGF-beta; choice of scale")
    suppression_radius_sites: int = param(2, "sites", 0, 10, "choice: contact plus short-range IL-10 (~40 um)")
    death_rate_per_hour: float = param(0.1 / 24, "1/h", 0.0, 1.0, "choice: 0.1/d (QSPIO-TNBC uses 0.01/d for CD4/Treg death; its 0.1/d k_Treg is effector death caused by Tregs)")


@dataclass
class NeutrophilParameters:
    """Neutrophils and their oncostatin M."""

    recruitment_per_vessel_per_hour: float = param(0.06, "1/h per tumor-inflamed vessel site", 0.0, 10.0, "choice: up to ~50% of tumor mass is myeloid (Queen et al. 2005); x10 with per-inflamed-vessel recruitment (issue 12)")
    tumor_recruitment_ec50: float = param(500.0, "tumor cells", 1.0, 1e7, "choice: tumor GM-CSF/G-CSF drives influx")
    half_life_hours: float = param(19.0, "h", 1.0, 500.0, "Lahoz-Beneytez et al. 2016: blood half-life 18.5-19 h")
    speed_um_per_min: float = param(10.0, "um/min", 0.0, 30.0, "choice: neutrophils crawl 10-20 um/min")
    activation_rate_per_hour: float = param(0.5, "1/h on tumor contact", 0.0, 60.0, "Queen et al. 2005: OSM release on contact with GM-CSF-primed tumor")
    osm_secretion_per_hour: float = param(40.0, "field units/h per activated cell", 0.0, 1000.0, "Queen et al. 2005")


@dataclass
class MacrophageParameters:
    """Tumor-associated macrophages (M0 -> M1 / M2)."""

    recruitment_per_vessel_per_hour: float = param(0.02, "1/h per tumor-inflamed vessel site", 0.0, 10.0, "choice: slow monocyte influx; x10 with per-inflamed-vessel recruitment (issue 12)")
    speed_um_per_min: float = param(1.0, "um/min", 0.0, 30.0, "PhysiCell rules sample: ~1 um/min")
    m1_polarization_rate_per_hour: float = param(0.045 / 24 * 10, "1/h at saturating IFN", 0.0, 10.0, "QSPIO M1 shift 0.045/d at baseline; x10 at saturating IFN (choice)")
    m2_polarization_rate_per_hour: float = param(0.25 / 24 * 4, "1/h at saturating cytokine+OSM", 0.0, 10.0, "QSPIO M2 shift 0.25/d; x4 at saturation (choice)")
    m1_kill_rate_per_hour: float = param(0.33 / 24 * 3, "1/h on contact", 0.0, 10.0, "QSPIO phagocytosis 0.33/d, per contact (choice x3)")
    m2_cytokine_secretion_per_hour: float = param(1.0, "field units/h per M2 cell", 0.0, 1000.0, "choice: M2 IL-10/TGF-beta")
    m1_interferon_secretion_per_hour: float = param(5.0, "field units/h per M1 cell", 0.0, 1000.0, "choice: M1 IL-12 drives local IFN-gamma")
    m1_recruitment_help: float = param(0.02, "fold CD8 influx per M1 cell", 0.0, 1.0, "choice: M1 antigen presentation helps T-cell influx")
    death_rate_per_hour: float = param(0.02 / 24, "1/h", 0.0, 1.0, "QSPIO: macrophage death 0.02/d")


@dataclass
class BoneParameters:
    """The bone metastatic niche (see :mod:`model.biology.bone_niche`)."""

    division_rate_per_hour: float = param(0.03, "1/h", 0.0, 1.0, "as tumor.division_rate_per_hour (choice: 1/33 h)")
    surveillance_basal_per_hour: float = param(0.01, "1/h per cell, healthy host", 0.0, 10.0, "choice: NK/CD8 clearance without type-I IFN, below division so IRF7-silenced clusters grow (Bidwell et al. 2012)")
    surveillance_ifn_max_per_hour: float = param(0.024, "1/h per cell at saturating type-I IFN", 0.0, 10.0, "fit (2026-11-30) to C9 (PMC1866568 Table 5: IFN-alpha-secreting TS/A clones form 0.15-0.38x the parental colonies): 0.0238, clone range 0.020-0.026 (python -m experiments.validation.bone_fit; docs/calibration/bone_fit_c9.json); the former choice 0.06 made IRF7-competent clusters 1e-15x as likely to colonise")
    irf7_type1_ifn: float = param(1.0, "EC50 units", 0.0, 100.0, "choice: an IRF7-intact cluster sustains ~1 EC50 of type-I IFN around itself (Bidwell et al. 2012)")
    dosing_to_marrow: float = param(1.0, "EC50 units per unit drug concentration", 0.0, 100.0, "choice: dosed IFN-alpha reaches the marrow at its plasma level")
    detection_cells: int = param(100, "cells", 1, 10**9, "choice: a 100-cell colony (~0.1 mm) counts as bone metastasis; sized so 3-4 week runs can show it")


@dataclass
class LungParameters:
    """The lung, first-pass site of circulating cells (see :mod:`model.biology.lung_niche`)."""

    seeding_probability: float = param(0.02, "per disseminated cell", 0.0, 1.0, "Luzzi et al. 1998 (Am J Pathol 153:865): ~2% of B16F1 cells reaching mouse liver form micrometastases (another line and organ: a stand-in)")
    division_rate_per_hour: float = param(0.03, "1/h", 0.0, 1.0, "as tumor.division_rate_per_hour (choice: 1/33 h)")
    surveillance_per_hour: float = param(0.01, "1/h per cell, healthy host", 0.0, 10.0, "choice: as bone.surveillance_basal_per_hour (NK/CD8 clearance); lung IFN-gamma-dependent phagocytes (Pulaski et al. 2002) are not modelled")
    detection_cells: int = param(100, "cells", 1, 10**9, "choice: as bone.detection_cells")


@dataclass
class FieldParameters:
    """Diffusion, decay and effect scale of one chemical field."""

    diffusion_um2_per_min: float = 1000.0
    decay_per_hour: float = 0.3
    cell_uptake_per_hour: float = 0.0


def _field(d, decay, uptake, src_d, src_decay):
    return field(
        default_factory=lambda: FieldParameters(d, decay, uptake),
        metadata={"source": f"diffusion: {src_d}; decay: {src_decay}"},
    )


@dataclass
class FieldsParameters:
    """The three diffusing signals. Concentrations are in units of their EC50."""

    cytokine: FieldParameters = _field(1000.0, 14.3 / 24, 0.0, "PhysiCell samples 1e3 um2/min", "QSPIO TGF-beta 14.3/d")
    osm: FieldParameters = _field(1000.0, 0.5, 0.0, "PhysiCell samples 1e3 um2/min (28 kDa protein)", "choice: cytokine half-life ~1.4 h")
    # Receptor-mediated consumption by every tissue cell (tumor and stroma express IFN receptors)
    # is folded into a uniform decay so the exact spectral update applies; cell_uptake_per_hour
    # (tumor sites only) stays available but costs an implicit solve per step.
    # "interferon" is type-I IFN (tumor IRF7-driven release and dosing); IFN-gamma (CD8 T-cells,
    # M1 macrophages) is its own field with its own decay (issue 12).
    interferon: FieldParameters = _field(1000.0, math.log(2) / 2.9 + 1.0, 0.0, "PhysiCell samples 1e3 um2/min", "type-I IFN: IFN-alpha-2b s.c. elimination half-life 2.9 h (Radwanski et al. 1987, J Clin Pharmacol 27:432) plus ~1/h receptor-mediated consumption (choice)")
    ifn_gamma: FieldParameters = _field(1000.0, 7.68 / 24 + 1.0, 0.0, "PhysiCell samples 1e3 um2/min", "QSPIO IFN-gamma 7.68/d plus ~1/h receptor-mediated consumption (choice: ~200 um range, shorter than the > 800 um spread of the IFN-gamma response seen in vivo by Hoekstra et al. 2020 and Thibaut et al. 2020)")


@dataclass
class HostParameters:
    """The patient: immune health and bone-marrow output."""

    immune_health: float = param(1.0, "fold of healthy", 0.0, 2.0, "choice: 1 = healthy host; <1 immunocompromised (e.g. SCID-like at 0)")
    marrow_mean_transit_hours: float = param(125.0, "h", 1.0, 1000.0, "choice within Friberg et al. 2002 (MTT 88.7 h docetaxel neutrophils, 124 h paclitaxel leukocytes) and marrow transit 5.80 d (Lahoz-Beneytez et al. 2016); not Friberg's docetaxel value")
    lymphoid_mean_transit_hours: float = param(240.0, "h", 1.0, 2000.0, "choice: lymphocyte recovery after chemotherapy is slower than neutrophil recovery")
    marrow_feedback_gamma: float = param(0.17, "exponent", 0.0, 2.0, "choice near Friberg et al. 2002's feedback exponent 0.161 (docetaxel, neutrophils; 0.239 for paclitaxel leukocytes)")


# --------------------------------------------------------------------------- tree


def _iter_leaves(obj, prefix="") -> Iterator[tuple[str, Any, dataclasses.Field, Any]]:
    for f in fields(obj):
        value = getattr(obj, f.name)
        path = f"{prefix}{f.name}"
        if is_dataclass(value):
            yield from _iter_leaves(value, path + ".")
        else:
            yield path, value, f, obj


# Ranges for the generic FieldParameters leaves (shared by the three fields).
_FIELD_LEAF_META = {
    "diffusion_um2_per_min": ("um2/min", (0.0, 1e5)),
    "decay_per_hour": ("1/h", (0.0, 100.0)),
    "cell_uptake_per_hour": ("1/h", (0.0, 100.0)),
}


@dataclass
class Parameters:
    """All model parameters as one tree.

    Change a value with :meth:`replace` (dotted keys) or by attribute, then call
    :meth:`validate`. Example::

        p = Parameters().replace({"tumor.division_rate_per_hour": 0.05})
    """

    lattice: LatticeParameters = field(default_factory=LatticeParameters)
    tumor: TumorParameters = field(default_factory=TumorParameters)
    cd8: CD8Parameters = field(default_factory=CD8Parameters)
    treg: TregParameters = field(default_factory=TregParameters)
    neutrophil: NeutrophilParameters = field(default_factory=NeutrophilParameters)
    macrophage: MacrophageParameters = field(default_factory=MacrophageParameters)
    fields: FieldsParameters = field(default_factory=FieldsParameters)
    host: HostParameters = field(default_factory=HostParameters)
    bone: BoneParameters = field(default_factory=BoneParameters)
    lung: LungParameters = field(default_factory=LungParameters)

    # ------------------------------------------------------------- inspection
    def leaves(self) -> Iterator[tuple[str, Any, str, tuple, str]]:
        """Yield ``(dotted_name, value, unit, (lo, hi), source)`` for every leaf."""
        for path, value, f, owner in _iter_leaves(self):
            if isinstance(owner, FieldParameters):
                unit, rng = _FIELD_LEAF_META[f.name]
                group = path.rsplit(".", 1)[0]
                src = self._field_source(group)
            else:
                unit, rng, src = f.metadata["unit"], f.metadata["range"], f.metadata["source"]
            yield path, value, unit, rng, src

    def _field_source(self, group: str) -> str:
        name = group.split(".")[-1]
        for f in fields(FieldsParameters):
            if f.name == name:
                return f.metadata["source"]
        return ""

    def to_dict(self) -> dict[str, Any]:
        """Flat ``{dotted_name: value}`` mapping (JSON-friendly)."""
        return {path: value for path, value, *_ in self.leaves()}

    def names(self) -> list[str]:
        """All dotted parameter names."""
        return [path for path, *_ in self.leaves()]

    # ------------------------------------------------------------- validation
    def validate(self) -> "Parameters":
        """Check every leaf's type and range; raise :class:`ParameterError` naming the first bad field."""
        problems = []
        for path, value, unit, (lo, hi), _ in self.leaves():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(f"{path} = {value!r} is not a number (expected {unit} in [{lo}, {hi}])")
                continue
            if isinstance(value, float) and not math.isfinite(value):
                problems.append(f"{path} = {value!r} is not finite (allowed [{lo}, {hi}] {unit})")
                continue
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                problems.append(f"{path} = {value!r} is outside the allowed range [{lo}, {hi}] {unit}")
        for path, value, f, owner in _iter_leaves(self):
            expected = _leaf_type(owner, f)
            if expected is int and isinstance(value, float) and not value.is_integer():
                problems.append(f"{path} = {value!r} must be a whole number")
        if not problems:
            # the lattice's cross-field rules are checked with the ranges, not where the tissue is built,
            # so a command refuses its input before it writes anything
            problems += _lattice_problems(self.lattice)
        if problems:
            raise ParameterError("invalid parameter: " + "; ".join(problems))
        # integer leaves may arrive as floats from TOML/sliders: normalise
        for path, value, f, owner in _iter_leaves(self):
            if _leaf_type(owner, f) is int and not isinstance(value, bool):
                setattr(owner, f.name, int(value))
        return self

    # ------------------------------------------------------------- overrides
    def replace(self, overrides: Mapping[str, Any] | None = None, **kw: Any) -> "Parameters":
        """Return a validated copy with dotted-key overrides applied.

        Unknown keys raise :class:`ParameterError` with the closest valid name.
        """
        new = _deepcopy(self)
        if overrides is not None and not isinstance(overrides, Mapping):
            raise ParameterError(
                f"overrides = {overrides!r} must be a mapping of dotted parameter names to values, "
                "e.g. {'lattice.width_sites': 50}"
            )
        items = dict(overrides or {})
        items.update({k.replace("__", "."): v for k, v in kw.items()})
        valid = set(self.names())
        for key, value in items.items():
            if not isinstance(key, str):
                raise ParameterError(
                    f"parameter name {key!r} must be a string such as 'lattice.width_sites' "
                    "(see docs/parameters.md for all names)"
                )
            if isinstance(value, np.generic) and not isinstance(value, np.bool_):
                value = value.item()  # np.int64 / np.float32 (mesa.batch_run with np.arange) -> int / float
            if key not in valid:
                hint = close_match_hint(key, sorted(valid))
                raise ParameterError(f"unknown parameter '{key}'{hint} (see docs/parameters.md for all names)")
            owner = new
            *head, last = key.split(".")
            for part in head:
                owner = getattr(owner, part)
            setattr(owner, last, value)
        return new.validate()

    @classmethod
    def from_dict(cls, flat: Mapping[str, Any]) -> "Parameters":
        """Build from a flat ``{dotted_name: value}`` mapping (inverse of :meth:`to_dict`)."""
        return cls().replace(flat)


def _lattice_problems(lat: "LatticeParameters") -> list[str]:
    """What the lattice's ranges cannot say: the field precision is one of two values, and a field
    voxel must divide the lattice."""
    problems = []
    if lat.field_precision_bits not in (32, 64):
        problems.append(f"lattice.field_precision_bits = {lat.field_precision_bits!r} must be 32 or 64")
    w, h, k = int(lat.width_sites), int(lat.height_sites), int(lat.field_voxel_sites)
    if k > 1 and (w % k or h % k):
        allowed = [v for v in range(1, 17) if w % v == 0 and h % v == 0]
        problems.append(f"lattice.field_voxel_sites = {k} must divide lattice.width_sites ({w}) and "
                        f"lattice.height_sites ({h}); allowed here: {allowed}")
    return problems


def _leaf_type(owner, f):
    hints = {"int": int, "float": float}
    t = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
    return hints.get(t, float)


def _deepcopy(p: Parameters) -> Parameters:
    return copy.deepcopy(p)
