"""What a user writes: the schema of every key, loading and validation, distributions and copula."""

from .load import Scenario, ScenarioError, load_scenario, scenario_from_dict

__all__ = ["Scenario", "ScenarioError", "load_scenario", "scenario_from_dict"]
