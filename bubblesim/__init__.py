"""bubblesim: Monte Carlo odds on the AI-bubble debate.

>>> import bubblesim
>>> scenario = bubblesim.load_scenario("scenarios/baseline.toml")
>>> result = bubblesim.simulate(scenario, paths=2000, seed=1)
>>> result.summary()  # doctest: +SKIP

The package is laid out by role (see ``docs/architecture.md``): ``scenario`` (what a user
writes), ``engine`` (what runs), ``analysis`` (what is computed from runs), ``history`` (real
prices), ``output`` (what a person opens) and ``cli``.
"""

import importlib

from ._version import __version__

#: The public API, imported when first used (``bubblesim --help`` imports none of it).
_LAZY = {
    "Comparison": ".analysis.compare",
    "compare": ".analysis.compare",
    "SimulationResult": ".analysis.result",
    "simulate": ".analysis.result",
    "Scenario": ".scenario",
    "ScenarioError": ".scenario",
    "load_scenario": ".scenario",
    "scenario_from_dict": ".scenario",
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'bubblesim' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


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
