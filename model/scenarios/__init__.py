"""Tumor/patient profiles, virtual patients, therapy scenarios, TOML io and the registry.

Private-by-convention modules are re-exported here (``from model.scenarios import PROFILES``).
"""

from .errors import ScenarioError
from .patients import PATIENT_VARIABILITY, sample_virtual_patient
from .profiles import PROFILES, Profile, list_profiles
from .registry import get_scenario, list_scenarios, load_scenario, register_scenario, registered_names
from .scenario import TherapyScenario, register_model_class

__all__ = [
    "PROFILES",
    "PATIENT_VARIABILITY",
    "Profile",
    "TherapyScenario",
    "ScenarioError",
    "get_scenario",
    "load_scenario",
    "list_scenarios",
    "list_profiles",
    "register_scenario",
    "registered_names",
    "register_model_class",
    "sample_virtual_patient",
]
