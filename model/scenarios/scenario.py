"""A therapy scenario: profile + overrides + treatments + duration, and its TOML form.

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

import dataclasses
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import tomli_w

from ..engine.hints import close_match_hint
from ..engine.parameters import ParameterError, Parameters
from ..therapy import Treatment, make_treatment
from .errors import ScenarioError, unknown_name
from .patients import sample_virtual_patient
from .profiles import PROFILES

__all__ = ["TherapyScenario", "register_model_class", "flatten_table"]

# The model class scenarios build. model.model plugs TumorImmuneModel in when it is
# imported (always, through model/__init__), so this package never imports the model
# module and the two cannot form an import loop.
_MODEL_CLASS: type | None = None


def register_model_class(cls: type) -> None:
    """Plug in the class :meth:`TherapyScenario.make_model` builds (``TumorImmuneModel``)."""
    global _MODEL_CLASS
    _MODEL_CLASS = cls


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
        if isinstance(self.treatments, (str, Mapping)) or not isinstance(self.treatments, Iterable):
            raise ScenarioError(
                f"scenario '{self.name}': treatments = {self.treatments!r} must be a list of treatment "
                "names or tables ({'type': ..., **fields})"
            )
        specs = []
        for i, t in enumerate(self.treatments):
            if isinstance(t, str):
                specs.append({"type": t})
            elif isinstance(t, Mapping):
                specs.append(dict(t))
            elif isinstance(t, Treatment):
                specs.append(dict(t.spec()))
            else:
                raise ScenarioError(
                    f"scenario '{self.name}': treatments[{i}] = {t!r} must be a treatment name or a table "
                    "with a 'type' (see list_treatments)"
                )
        self.treatments = tuple(specs)

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
                raise ScenarioError(f"scenario '{self.name}': " + unknown_name("profile", p, list(PROFILES)))
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
                raise ScenarioError(f"scenario '{self.name}': " + unknown_name("profile", str(p), list(PROFILES)))
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
        if _MODEL_CLASS is None:  # pragma: no cover - model/__init__ always plugs it in
            raise RuntimeError("no model class registered: import model (model.model registers TumorImmuneModel)")
        p = self.parameters(parameters)
        return _MODEL_CLASS(p, rng=rng, treatments=self.build_treatments(), duration_days=self.duration_days, **overrides)

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
                hint = close_match_hint(key, allowed)
                raise ScenarioError(f"{source}: unknown key '{key}'{hint} (allowed: {', '.join(allowed)})")
        if "name" not in data:
            raise ScenarioError(f"{source}: missing required key 'name'")
        treatments = data.get("treatments", [])
        if not isinstance(treatments, list) or not all(isinstance(t, (dict, str)) for t in treatments):
            raise ScenarioError(f"{source}: 'treatments' must be an array of tables ([[treatments]] with a 'type')")
        params = data.get("parameters", {})
        if not isinstance(params, dict):
            raise ScenarioError(f"{source}: 'parameters' must be a table of dotted names to values")
        params = flatten_table(params)  # unquoted dotted keys (tumor.x = 1) arrive as nested tables
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


def flatten_table(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(flatten_table(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out
