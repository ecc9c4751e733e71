"""Wall time by phase of a command, for ``benchmarks/bench_cli.py``.

Off unless the environment variable ``BUBBLESIM_PHASES`` names a file: then every
``with phase("name"):`` block adds its wall time to ``name`` and, when the process exits, the
totals (seconds) are written there as JSON; a phase inside another is counted once, in itself. What the phases leave out of a command's wall time
is the interpreter's start and the imports.
"""

from __future__ import annotations

import contextlib
import os
import time

__all__ = ["phase"]

_FILE = os.environ.get("BUBBLESIM_PHASES")
_TIMES: dict[str, float] | None = {} if _FILE else None
_INNER: list[float] = []  # per open phase: the time spent in the phases inside it


@contextlib.contextmanager
def phase(name: str):
    """Add the block's wall time to phase ``name`` (nothing when timing is off)."""
    if _TIMES is None:
        yield
        return
    t0 = time.perf_counter()
    _INNER.append(0.0)
    try:
        yield
    finally:
        spent = time.perf_counter() - t0
        inner = _INNER.pop()
        _TIMES[name] = _TIMES.get(name, 0.0) + spent - inner  # a phase inside counts once
        if _INNER:
            _INNER[-1] += spent


def _dump() -> None:  # pragma: no cover - exercised by the benchmark
    import json

    with open(_FILE, "w") as f:
        json.dump(_TIMES, f)


if _TIMES is not None:
    import atexit

    atexit.register(_dump)
