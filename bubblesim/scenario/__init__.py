"""What a user writes: the schema of every key, loading and validation, distributions and copula."""

import importlib

_LAZY = ("Scenario", "ScenarioError", "load_scenario", "scenario_from_dict")


def __getattr__(name: str):  # imported when first used: the schema alone stays light
    if name in _LAZY:
        value = getattr(importlib.import_module(".load", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'bubblesim.scenario' has no attribute {name!r}")


__all__ = ["Scenario", "ScenarioError", "load_scenario", "scenario_from_dict"]
