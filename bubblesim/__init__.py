"""bubblesim: Monte Carlo odds on the AI-bubble debate.

>>> import bubblesim
>>> scenario = bubblesim.load_scenario("scenarios/baseline.toml")
>>> result = bubblesim.simulate(scenario, paths=2000, seed=1)
>>> result.summary()  # doctest: +SKIP

The package is laid out by role (see ``docs/architecture.md``): ``scenario`` (what a user
writes), ``engine`` (what runs), ``analysis`` (what is computed from runs), ``history`` (real
prices), ``output`` (what a person opens) and ``cli``.
"""

from ._version import __version__
from .analysis.compare import Comparison, compare
from .analysis.result import SimulationResult, simulate
from .scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict

__all__ = [
    "__version__",
    "Comparison",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "compare",
    "load_scenario",
    "scenario_from_dict",
    "simulate",
]
