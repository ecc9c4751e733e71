"""bubblesim: Monte Carlo odds on the AI-bubble debate.

>>> import bubblesim
>>> scenario = bubblesim.load_scenario("scenarios/baseline.toml")
>>> result = bubblesim.simulate(scenario, paths=2000, seed=1)
>>> result.summary()  # doctest: +SKIP
"""

from ._version import __version__
from .scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict
from .simulate import SimulationResult, simulate

__all__ = [
    "__version__",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "load_scenario",
    "scenario_from_dict",
    "simulate",
]
