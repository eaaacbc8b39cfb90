"""Agent-based simulation of a breast tumor and its immune micro-environment (Mesa 3).

Public API::

    from model import TumorImmuneModel, Parameters
    m = TumorImmuneModel(rng=1)
    m.run_days(10)
    m.datacollector.get_model_vars_dataframe()

Layout: ``engine/`` (lattice, columns, fields, parameters, tissue: no biology),
``biology/`` (one module per mechanism), ``therapy/`` (treatments),
``scenarios/`` (profiles, TOML scenarios, registry), ``model.py`` (the step order).
"""

from .biology.cells import CD8TCell, LatticeCell, Macrophage, Neutrophil, RegulatoryTCell, TumorCell
from .engine.fields import DiffusionField
from .engine.parameters import ParameterError, Parameters, hill, rate_to_probability
from .checkpoint import CheckpointError, checkpoint, restore
from .model import CELL_TYPES, FIELD_NAMES, TumorImmuneModel
from .scenarios import (
    PROFILES,
    ScenarioError,
    TherapyScenario,
    get_scenario,
    list_profiles,
    list_scenarios,
    load_scenario,
    register_scenario,
    sample_virtual_patient,
)
from .therapy import TREATMENTS, Treatment, TreatmentError, make_treatment

__version__ = "0.1.0"

__all__ = [
    "TumorImmuneModel",
    "checkpoint",
    "restore",
    "CheckpointError",
    "Parameters",
    "ParameterError",
    "DiffusionField",
    "TumorCell",
    "CD8TCell",
    "RegulatoryTCell",
    "Neutrophil",
    "Macrophage",
    "LatticeCell",
    "CELL_TYPES",
    "FIELD_NAMES",
    "hill",
    "TherapyScenario",
    "ScenarioError",
    "get_scenario",
    "load_scenario",
    "list_scenarios",
    "list_profiles",
    "register_scenario",
    "sample_virtual_patient",
    "PROFILES",
    "TREATMENTS",
    "Treatment",
    "TreatmentError",
    "make_treatment",
    "rate_to_probability",
]
