"""Finding scenario files named by folders, files or glob patterns (as ``bubblesim batch`` takes them)."""

from __future__ import annotations

import glob
from collections.abc import Iterable
from pathlib import Path

__all__ = ["find_scenario_files"]


def find_scenario_files(items: Iterable[str]) -> tuple[list[Path], list[str]]:
    """Expand folders (their ``*.toml``) and glob patterns.

    Returns
    -------
    files : list of Path
        Every file found, each once, in the order given (a folder's files sorted by name).
    problems : list of str
        One line per item that named nothing.
    """
    files: list[Path] = []
    problems: list[str] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(p.glob("*.toml"))
            if not found:
                problems.append(f"{item}: no .toml files in this folder")
            files += found
        elif p.exists():
            files.append(p)
        else:
            found = sorted(Path(x) for x in glob.glob(item))
            if not found:
                problems.append(f"{item}: no such file, and no files match it as a pattern")
            files += [f for f in found if f.is_file()]
    unique = list(dict.fromkeys(files))
    return unique, problems
