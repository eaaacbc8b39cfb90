"""The scenario registry: the shipped scenarios (``builtin/*.toml``) and user ones.

The shipped scenarios are TOML files in ``model/scenarios/builtin/``, the same
format users write (see :mod:`model.scenarios.scenario`); they are read once at
import, in the order of :data:`BUILTIN_ORDER` (the order ``list_scenarios``
shows), and every other ``*.toml`` in that folder after them, by name.
"""

from __future__ import annotations

import copy
import os
import tomllib
from pathlib import Path

from .errors import ScenarioError, unknown_name
from .scenario import TherapyScenario

__all__ = [
    "BUILTIN_DIR",
    "BUILTIN_ORDER",
    "register_scenario",
    "list_scenarios",
    "get_scenario",
    "load_scenario",
    "registered_names",
]

BUILTIN_DIR = Path(__file__).parent / "builtin"
BUILTIN_ORDER = (
    "untreated",
    "checkpoint_blockade",
    "interferon_dosing",
    "anti_osm",
    "treg_depletion",
    "chemotherapy",
    "chemo_plus_checkpoint",
    "radiotherapy_plus_checkpoint",
    "irf7_silenced",
    "irf7_silenced_plus_interferon",
    "irf7_silenced_plus_daily_interferon",
    "irf7_silenced_plus_restoration",
    "adoptive_transfer",
    "car_t",
    "vaccine_plus_checkpoint",
    "hot_untreated",
    "hot_checkpoint",
    "cold_untreated",
    "cold_checkpoint",
    "surgery",
    "er_positive_hormone",
    "her2_positive_targeted",
    "immunocompromised_untreated",
)

_REGISTRY: dict[str, TherapyScenario] = {}


def register_scenario(scenario: TherapyScenario, replace: bool = False) -> TherapyScenario:
    """Add a scenario to the registry (validated). Re-registering a name needs ``replace=True``."""
    scenario.validate()
    if scenario.name in _REGISTRY and not replace:
        raise ScenarioError(f"scenario '{scenario.name}' is already registered (pass replace=True)")
    _REGISTRY[scenario.name] = scenario
    return scenario




def list_scenarios() -> dict[str, str]:
    """Registered scenario names with one-line descriptions."""
    return {name: sc.description for name, sc in _REGISTRY.items()}


def get_scenario(name: str | os.PathLike) -> TherapyScenario:
    """A registered scenario by name, or a TOML file path (``*.toml``)."""
    if isinstance(name, TherapyScenario):
        return name
    if not isinstance(name, (str, os.PathLike)):
        raise ScenarioError(
            f"scenario = {name!r} must be a scenario name (a string; see list_scenarios()) or a path to a .toml file"
        )
    text = os.fspath(name)
    if not isinstance(text, str):
        raise ScenarioError(f"scenario path {name!r} must be a text path to a .toml file")
    if text.endswith(".toml"):
        return load_scenario(text)
    if text not in _REGISTRY:
        raise ScenarioError(unknown_name("scenario", text, list(_REGISTRY)))
    return copy.deepcopy(_REGISTRY[text])  # callers may edit their copy freely


def load_scenario(path: str | os.PathLike) -> TherapyScenario:
    """Read and validate a scenario from a TOML file."""
    path = Path(path)
    if path.is_dir():
        raise ScenarioError(f"scenario file '{path}' is a directory, not a TOML file")
    if not path.exists():
        raise ScenarioError(f"scenario file '{path}' does not exist")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:  # unreadable (permissions), a device, ...
        raise ScenarioError(f"scenario file '{path}' cannot be read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"scenario file '{path}' is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"scenario file '{path}' is not UTF-8 text (TOML must be UTF-8): {exc}") from None
    return TherapyScenario.from_dict(data, source=f"scenario file '{path}'")


def registered_names() -> list[str]:
    """Names of the registered scenarios, in registration order."""
    return list(_REGISTRY)


def _load_builtin() -> None:
    files = {p.stem: p for p in BUILTIN_DIR.glob("*.toml")}
    missing = [name for name in BUILTIN_ORDER if name not in files]
    if missing:  # a broken install, not a user error
        raise ScenarioError(f"shipped scenario files missing from {BUILTIN_DIR}: {', '.join(missing)}")
    for name in [*BUILTIN_ORDER, *sorted(set(files) - set(BUILTIN_ORDER))]:
        register_scenario(load_scenario(files[name]))


_load_builtin()
