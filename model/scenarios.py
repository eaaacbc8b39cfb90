"""Patient/tumor profiles, named therapy scenarios and TOML loading.

A :class:`TherapyScenario` is a tumor/patient profile (one or more named
profiles, applied in order), parameter overrides, a list of treatments and a
duration. It is deliberately a separate idea from Mesa's experimental
``mesa.experimental.scenarios.Scenario`` (a flat set of model parameters):
ours describes a clinical question and builds a :class:`TumorImmuneModel`.

User scenarios live in TOML files::

    name = "my_combo"
    description = "hot TNBC, chemo then anti-PD-1"
    profile = ["triple_negative", "hot"]
    duration_days = 30

    [parameters]
    "tumor.division_rate_per_hour" = 0.04

    [[treatments]]
    type = "chemotherapy"
    start_day = 3

    [[treatments]]
    type = "checkpoint_blockade"
    start_day = 7
    interval_days = 7
    doses = 3
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import math
import os
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import tomli_w

from .parameters import ParameterError, Parameters
from .treatments import Treatment, TreatmentError, make_treatment

__all__ = [
    "PROFILES",
    "Profile",
    "TherapyScenario",
    "ScenarioError",
    "get_scenario",
    "load_scenario",
    "list_scenarios",
    "list_profiles",
    "register_scenario",
    "sample_virtual_patient",
]


class ScenarioError(ParameterError):
    """A scenario name, file or field is not allowed."""


# =========================================================================== profiles


@dataclass(frozen=True)
class Profile:
    """A named tumor/patient phenotype: parameter overrides with a one-line rationale."""

    name: str
    description: str
    overrides: Mapping[str, Any]


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("default", "4T1-like mouse mammary tumor in a healthy host", {}),
        Profile(
            "hot",
            "T-cell-inflamed: high antigenicity, high baseline PD-L1, strong T-cell influx",
            {
                "tumor.mean_antigenicity": 0.8,  # high neoantigen load (TMB-high)
                "tumor.pd_l1_baseline": 0.3,  # PD-L1-positive (CPS >= 10; Cortes 2020)
                "cd8.recruitment_per_vessel_per_hour": 0.008,
            },
        ),
        Profile(
            "cold",
            "immune-desert: low antigenicity, little PD-L1, weak T-cell influx",
            {
                "tumor.mean_antigenicity": 0.3,
                "tumor.pd_l1_baseline": 0.05,
                "cd8.recruitment_per_vessel_per_hour": 0.002,
            },
        ),
        Profile(
            "irf7_silenced",
            "tumor cells have silenced IRF7: no type-I interferon (Bidwell et al. 2012, 4T1.2)",
            {"tumor.irf7_silenced_fraction": 1.0},
        ),
        Profile(
            "poorly_vascularised",
            "sparse vessels: a quiescent, necrotic core beyond the oxygen limit (Thomlinson & Gray 1955)",
            {
                "lattice.vessel_fraction": 0.005,  # half the default capillary density
                "tumor.hypoxic_division_factor": 0.2,  # choice: hypoxic cells mostly quiescent
                "tumor.necrosis_rate_per_hour": 0.01,  # choice: ~4 days of survival beyond the O2 limit
            },
        ),
        Profile(
            "immunocompromised",
            "weak host: recruitment and marrow output at 40% (e.g. elderly, after prior therapy)",
            {"host.immune_health": 0.4},
        ),
        Profile(
            "triple_negative",
            "ER-/PR-/HER2-: no endocrine or HER2 target, fast division",
            {"tumor.er_expression": 0.0, "tumor.her2_expression": 0.0, "tumor.division_rate_per_hour": 0.035},
        ),
        Profile(
            "er_positive",
            "ER+ luminal: endocrine-sensitive, slower, less immunogenic",
            {"tumor.er_expression": 0.9, "tumor.division_rate_per_hour": 0.02, "tumor.mean_antigenicity": 0.45},
        ),
        Profile(
            "her2_positive",
            "HER2-amplified: HER2-blockade-sensitive, fast division",
            {"tumor.her2_expression": 0.9, "tumor.division_rate_per_hour": 0.035},
        ),
    )
}


def list_profiles() -> dict[str, str]:
    """Profile names with one-line descriptions."""
    return {name: p.description for name, p in PROFILES.items()}


def _unknown(kind: str, name: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(allowed), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown {kind} '{name}'{hint} (available: {', '.join(allowed)})"


# =========================================================================== virtual patients

# Inter-patient variability: parameter -> (distribution, spread). "lognormal" spreads
# multiply by exp(N(0, sd)); "normal" adds N(0, sd), clipped to the allowed range.
PATIENT_VARIABILITY: dict[str, tuple[str, float]] = {
    "tumor.division_rate_per_hour": ("lognormal", 0.3),  # CV ~30%: Peer et al. 1993 doubling-time spread
    "tumor.mean_antigenicity": ("normal", 0.15),  # choice: TMB varies widely between patients
    "tumor.pd_l1_baseline": ("lognormal", 0.6),  # choice: PD-L1 CPS spans orders of magnitude
    "cd8.recruitment_per_vessel_per_hour": ("lognormal", 0.5),  # choice: TIL density varies ~10-fold
    "treg.recruitment_per_vessel_per_hour": ("lognormal", 0.4),  # choice
    "host.immune_health": ("lognormal", 0.2),  # choice
}


def sample_virtual_patient(
    base: Parameters,
    rng: np.random.Generator | int | None,
    variability: Mapping[str, tuple[str, float]] | None = None,
) -> dict[str, float]:
    """Draw one virtual patient's parameter overrides around ``base``.

    Each entry of ``variability`` (default ``PATIENT_VARIABILITY``) is
    ``name -> ("lognormal", sd)`` (the value is multiplied by ``exp(N(0, sd))``,
    a median-preserving spread with CV ~ sd for small sd) or ``("normal", sd)``
    (``N(0, sd)`` is added). Draws are clipped to the parameter's allowed range.
    The same generator state (or integer seed) gives the same patient.

    Returns:
        ``{dotted_name: value}`` overrides, e.g. for
        :meth:`TherapyScenario.with_virtual_patient` or ``Parameters.replace``.
    """
    variability = PATIENT_VARIABILITY if variability is None else variability
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    flat = base.to_dict()
    ranges = {name: rng_ for name, _, _, rng_, _ in base.leaves()}
    out: dict[str, float] = {}
    for name, (dist, sd) in variability.items():
        if name not in flat:
            raise ScenarioError(_unknown("parameter", name, base.names()))
        v = float(flat[name])
        if isinstance(sd, bool) or not isinstance(sd, (int, float)) or not sd >= 0:
            raise ScenarioError(f"variability of '{name}': spread = {sd!r} must be a number >= 0")
        if dist == "lognormal":
            v *= math.exp(rng.normal(0.0, sd))
        elif dist == "normal":
            v += rng.normal(0.0, sd)
        else:
            raise ScenarioError(f"variability of '{name}': distribution '{dist}' must be 'lognormal' or 'normal'")
        lo, hi = ranges[name]
        if lo is not None:
            v = max(v, lo)
        if hi is not None:
            v = min(v, hi)
        out[name] = float(v)
    return out


# =========================================================================== scenarios


@dataclass
class TherapyScenario:
    """Profile + parameter overrides + treatments + duration: one clinical question.

    Attributes:
        name: registry key / file stem.
        description: one line shown by ``list_scenarios()``.
        profile: names from ``PROFILES`` applied in order.
        treatments: treatment specs (``{"type": ..., **fields}``); see ``model.treatments``.
        duration_days: simulated time.
        overrides: dotted parameter overrides applied after the profile.
    """

    name: str
    description: str = ""
    profile: tuple[str, ...] = ("default",)
    treatments: tuple[dict[str, Any], ...] = ()
    duration_days: float = 30.0
    overrides: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.profile, str):
            self.profile = (self.profile,)
        self.profile = tuple(self.profile)
        self.treatments = tuple(dict(t) if not isinstance(t, str) else {"type": t} for t in self.treatments)

    # ------------------------------------------------------------ building
    def validate(self) -> "TherapyScenario":
        """Check profile names, overrides, duration and every treatment; raise :class:`ScenarioError`."""
        if not isinstance(self.name, str) or not self.name:
            raise ScenarioError("scenario 'name' must be a non-empty string")
        if (
            isinstance(self.duration_days, bool)
            or not isinstance(self.duration_days, (int, float))
            or not (math.isfinite(self.duration_days) and self.duration_days > 0)
        ):
            raise ScenarioError(f"scenario '{self.name}': duration_days = {self.duration_days!r} must be a number > 0 (days)")
        if not isinstance(self.description, str):
            raise ScenarioError(f"scenario '{self.name}': description = {self.description!r} must be a string")
        for p in self.profile:
            if not isinstance(p, str):
                raise ScenarioError(
                    f"scenario '{self.name}': profile entry {p!r} must be a profile name (available: {', '.join(PROFILES)})"
                )
            if p not in PROFILES:
                raise ScenarioError(f"scenario '{self.name}': " + _unknown("profile", p, list(PROFILES)))
        try:
            self.parameters()
            self.build_treatments()
        except ParameterError as exc:
            raise ScenarioError(f"scenario '{self.name}': {exc}") from None
        return self

    def parameters(self, base: Parameters | None = None) -> Parameters:
        """The parameter tree: defaults (or ``base``), then profiles, then overrides."""
        merged: dict[str, Any] = {}
        for p in self.profile:
            if p not in PROFILES:
                raise ScenarioError(f"scenario '{self.name}': " + _unknown("profile", str(p), list(PROFILES)))
            merged.update(PROFILES[p].overrides)
        merged.update(self.overrides)
        return (base or Parameters()).replace(merged)

    def with_virtual_patient(
        self,
        rng: np.random.Generator | int | None,
        variability: Mapping[str, tuple[str, float]] | None = None,
        name: str | None = None,
    ) -> "TherapyScenario":
        """This scenario for one virtual patient.

        The patient's parameters are drawn (see :func:`sample_virtual_patient`)
        around this scenario's own parameters (profile + overrides) and added to
        its overrides, so the result saves to TOML and rebuilds the same patient.
        """
        draw = sample_virtual_patient(self.parameters(), rng, variability)
        return dataclasses.replace(self, name=name or self.name, overrides={**self.overrides, **draw})

    def build_treatments(self) -> list[Treatment]:
        """Fresh treatment objects (each model needs its own PK state)."""
        return [make_treatment(spec, self.duration_days) for spec in self.treatments]

    def make_model(self, rng: Any = None, parameters: Parameters | None = None, **overrides: Any):
        """A :class:`~model.model.TumorImmuneModel` for this scenario."""
        from .model import TumorImmuneModel

        p = self.parameters(parameters)
        return TumorImmuneModel(p, rng=rng, treatments=self.build_treatments(), duration_days=self.duration_days, **overrides)

    # ------------------------------------------------------------ TOML
    def to_dict(self) -> dict[str, Any]:
        """TOML-ready mapping (inverse of :meth:`from_dict`)."""
        return {
            "name": self.name,
            "description": self.description,
            "profile": list(self.profile),
            "duration_days": self.duration_days,
            "parameters": dict(self.overrides),
            "treatments": [dict(t) for t in self.treatments],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "scenario") -> "TherapyScenario":
        """Build and validate from a mapping (as read from TOML)."""
        allowed = ["name", "description", "profile", "duration_days", "parameters", "treatments"]
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise ScenarioError(f"{source}: unknown key '{key}'{hint} (allowed: {', '.join(allowed)})")
        if "name" not in data:
            raise ScenarioError(f"{source}: missing required key 'name'")
        treatments = data.get("treatments", [])
        if not isinstance(treatments, list) or not all(isinstance(t, (dict, str)) for t in treatments):
            raise ScenarioError(f"{source}: 'treatments' must be an array of tables ([[treatments]] with a 'type')")
        params = data.get("parameters", {})
        if not isinstance(params, dict):
            raise ScenarioError(f"{source}: 'parameters' must be a table of dotted names to values")
        params = _flatten(params)  # unquoted dotted keys (tumor.x = 1) arrive as nested tables
        profile = data.get("profile", ["default"])
        if not (isinstance(profile, str) or (isinstance(profile, list) and all(isinstance(p, str) for p in profile))):
            raise ScenarioError(
                f"{source}: profile = {profile!r} must be a profile name or a list of them "
                f"(available: {', '.join(PROFILES)})"
            )
        try:
            return cls(
                name=data["name"],
                description=data.get("description", ""),
                profile=tuple([profile] if isinstance(profile, str) else profile),
                treatments=tuple(treatments),
                duration_days=data.get("duration_days", 30.0),
                overrides=dict(params),
            ).validate()
        except ScenarioError as exc:
            raise ScenarioError(f"{source}: {exc}") from None

    def to_toml(self) -> str:
        """This scenario as TOML text (the format :func:`load_scenario` reads)."""
        d = self.to_dict()
        parts = [tomli_w.dumps({k: d[k] for k in ("name", "description", "profile", "duration_days")})]
        if d["parameters"]:
            parts.append(tomli_w.dumps({"parameters": d["parameters"]}))
        for spec in d["treatments"]:
            parts.append("[[treatments]]\n" + tomli_w.dumps(spec))
        return "\n".join(parts)

    def save(self, path: str | os.PathLike) -> Path:
        """Validate, then write TOML atomically (a temp file in the same folder renamed into place).

        On any error the target is left as it was (absent or the old file) and
        no temporary file remains.
        """
        path = Path(path)
        self.validate()
        text = self.to_toml()
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file ordinary permissions
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _s(name: str, description: str, profile=("default",), treatments=(), **kw) -> TherapyScenario:
    return TherapyScenario(name, description, tuple(profile), tuple(treatments), **kw)


CPB = {"type": "checkpoint_blockade"}
_BUILTIN: list[TherapyScenario] = [
    _s("untreated", "no therapy: the tumor and immune system alone"),
    _s("checkpoint_blockade", "anti-PD-1 every 7 days from day 5", treatments=[CPB]),
    _s("interferon_dosing", "type-I interferon every 2 days from day 2", treatments=[{"type": "interferon_dosing"}]),
    _s("anti_osm", "anti-oncostatin-M antibody weekly from day 2", treatments=[{"type": "anti_osm"}]),
    _s("treg_depletion", "anti-CTLA-4/anti-CD25 Treg depletion weekly from day 5", treatments=[{"type": "treg_depletion"}]),
    _s("chemotherapy", "one taxane cycle on day 3", treatments=[{"type": "chemotherapy"}]),
    _s(
        "chemo_plus_checkpoint",
        "taxane on day 3 then anti-PD-1 weekly (KEYNOTE-355-like)",
        treatments=[{"type": "chemotherapy"}, CPB],
    ),
    _s(
        "radiotherapy_plus_checkpoint",
        "5 x 2 Gy from day 5 with anti-PD-1 weekly",
        treatments=[{"type": "radiotherapy"}, CPB],
    ),
    _s("irf7_silenced", "IRF7-silenced tumor, untreated (bone-metastatic 4T1.2-like)", profile=["irf7_silenced"]),
    _s(
        "irf7_silenced_plus_interferon",
        "IRF7-silenced tumor with interferon every 2 days",
        profile=["irf7_silenced"],
        treatments=[{"type": "interferon_dosing"}],
    ),
    _s(
        "irf7_silenced_plus_restoration",
        "IRF7-silenced tumor with IRF7 re-expressed on day 2",
        profile=["irf7_silenced"],
        treatments=[{"type": "irf7_restoration"}],
    ),
    _s("adoptive_transfer", "150 tumor-reactive T-cells infused on day 5", treatments=[{"type": "adoptive_transfer"}]),
    _s(
        "car_t",
        "150 CAR-T cells (antigen-independent killing) on day 5",
        treatments=[{"type": "adoptive_transfer", "car_t": True}],
    ),
    _s(
        "vaccine_plus_checkpoint",
        "vaccine weekly from day 2 with anti-PD-1 weekly from day 5",
        treatments=[{"type": "vaccine"}, CPB],
    ),
    _s("hot_untreated", "T-cell-inflamed PD-L1-high tumor, untreated", profile=["hot"]),
    _s("hot_checkpoint", "T-cell-inflamed PD-L1-high tumor with anti-PD-1", profile=["hot"], treatments=[CPB]),
    _s("cold_untreated", "immune-desert tumor, untreated", profile=["cold"]),
    _s("cold_checkpoint", "immune-desert tumor with anti-PD-1", profile=["cold"], treatments=[CPB]),
    _s("surgery", "resection of 95% of the tumor on day 10", treatments=[{"type": "surgery"}]),
    _s(
        "er_positive_hormone",
        "ER+ tumor with daily endocrine therapy",
        profile=["er_positive"],
        treatments=[{"type": "hormone_therapy"}],
    ),
    _s(
        "her2_positive_targeted",
        "HER2+ tumor with a HER2 antibody every 3 weeks",
        profile=["her2_positive"],
        treatments=[{"type": "her2_targeted"}],
    ),
    _s("immunocompromised_untreated", "tumor in an immunocompromised host", profile=["immunocompromised"]),
]

_REGISTRY: dict[str, TherapyScenario] = {}


def register_scenario(scenario: TherapyScenario, replace: bool = False) -> TherapyScenario:
    """Add a scenario to the registry (validated). Re-registering a name needs ``replace=True``."""
    scenario.validate()
    if scenario.name in _REGISTRY and not replace:
        raise ScenarioError(f"scenario '{scenario.name}' is already registered (pass replace=True)")
    _REGISTRY[scenario.name] = scenario
    return scenario


for _sc in _BUILTIN:
    register_scenario(_sc)


def list_scenarios() -> dict[str, str]:
    """Registered scenario names with one-line descriptions."""
    return {name: sc.description for name, sc in _REGISTRY.items()}


def get_scenario(name: str | os.PathLike) -> TherapyScenario:
    """A registered scenario by name, or a TOML file path (``*.toml``)."""
    if isinstance(name, TherapyScenario):
        return name
    text = os.fspath(name)
    if text.endswith(".toml"):
        return load_scenario(text)
    if text not in _REGISTRY:
        raise ScenarioError(_unknown("scenario", text, list(_REGISTRY)))
    return copy.deepcopy(_REGISTRY[text])  # callers may edit their copy freely


def load_scenario(path: str | os.PathLike) -> TherapyScenario:
    """Read and validate a scenario from a TOML file."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"scenario file '{path}' does not exist")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"scenario file '{path}' is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"scenario file '{path}' is not UTF-8 text (TOML must be UTF-8): {exc}") from None
    return TherapyScenario.from_dict(data, source=f"scenario file '{path}'")
