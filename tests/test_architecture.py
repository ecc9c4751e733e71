"""The package's rooms and the one-way direction of its imports (see docs/architecture.md).

Every import of every module is read with ``ast`` (no code runs), resolved to the room it lands
in, and checked against the allowed direction: cli -> output -> history -> analysis -> engine ->
scenario. A room may import from itself and from the rooms below it, never above.
"""

import ast
import re
from pathlib import Path

import pytest

from .conftest import ROOT

PACKAGE = ROOT / "bubblesim"
ARCHITECTURE = ROOT / "docs" / "architecture.md"

#: Rooms from the bottom up; each may import from the rooms before it.
ROOMS = ("scenario", "engine", "analysis", "history", "output", "cli")
#: Modules at the top of the package: the public API, the version, ``python -m``, and the
#: phase timer (leaves every room may import: they import nothing of the package).
TOP_LEVEL = {"__init__", "_version", "__main__", "_phases"}
LEAVES = {"_version", "_phases"}
#: Third-party packages a room must not import (the engine stays NumPy and SciPy).
FORBIDDEN = {
    "scenario": {"pandas", "matplotlib", "click"},
    "engine": {"pandas", "matplotlib", "click"},
    "analysis": {"matplotlib", "click"},
    "history": {"matplotlib", "click"},
    "output": {"click"},
    "cli": set(),
}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room_of(name: str) -> str | None:
    """``bubblesim.engine.model`` -> ``engine``; top-level modules -> their own name."""
    parts = name.split(".")
    if parts[0] != "bubblesim":
        return None
    if len(parts) == 1:
        return "__init__"
    return parts[1]


def imports(path: Path) -> list[tuple[int, str]]:
    """``(line, absolute module name)`` of every import in the file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    )
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            if node.module is None or target in ("bubblesim",):
                # ``from . import x`` / ``from bubblesim import x``: each name may be a module
                found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, target))
    return found


def violations() -> list[str]:
    bad = []
    for path in modules():
        source = room_of(module_name(path))
        rel = path.relative_to(ROOT)
        for line, target in imports(path):
            where = f"{rel}:{line} imports {target}"
            if source in ROOMS:
                third_party = target.split(".")[0]
                if third_party in FORBIDDEN[source]:
                    bad.append(f"{where}: {source}/ must not use {third_party}")
                    continue
            dest = room_of(target)
            if dest is None or dest in LEAVES or source == "__main__":
                continue
            if source == "__init__":
                if dest == "cli":
                    bad.append(f"{where}: the public API must not import the CLI")
                continue
            if dest == "__init__" or (dest in TOP_LEVEL and dest not in LEAVES):
                bad.append(f"{where}: a room must not import the package's top level")
                continue
            if dest not in ROOMS:
                bad.append(f"{where}: {dest} is not a room of the package")
            elif ROOMS.index(dest) > ROOMS.index(source):
                bad.append(f"{where}: {source}/ imports upward from {dest}/")
    return bad


def test_every_module_lives_in_a_room():
    for path in modules():
        name = module_name(path)
        room = room_of(name)
        assert room in ROOMS or room in TOP_LEVEL, f"{path.relative_to(ROOT)} is in no room"


def test_imports_run_one_way():
    assert violations() == []


def test_the_checker_catches_an_upward_import(tmp_path, monkeypatch):
    """The walk itself works: an engine module importing analysis is reported."""
    fake = tmp_path / "bubblesim" / "engine"
    fake.mkdir(parents=True)
    (tmp_path / "bubblesim" / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("")
    (fake / "bad.py").write_text("import pandas\nfrom ..analysis.result import simulate\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    monkeypatch.setattr(f"{__name__}.PACKAGE", tmp_path / "bubblesim")
    found = violations()
    assert any("engine/ imports upward from analysis/" in v for v in found), found
    assert any("must not use pandas" in v for v in found), found


def test_cli_modules_stay_small():
    for path in sorted((PACKAGE / "cli").glob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines < 250, f"{path.name}: {lines} lines; move logic into the library"


def _tree_in_architecture_doc() -> set[str]:
    """Every ``.py`` file of the package drawn in the first code block of docs/architecture.md."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    block = re.search(r"```text\n(bubblesim/\n.*?)```", text, re.S)
    assert block, "docs/architecture.md: no ```text block starting with bubblesim/"
    stack: list[str] = []
    files = set()
    for raw in block.group(1).splitlines():
        if not raw.strip():
            continue
        indent = (len(raw) - len(raw.lstrip(" "))) // 2
        name = raw.strip().split()[0]
        stack = stack[:indent]
        if name.endswith("/"):
            stack.append(name.rstrip("/"))
        elif name.endswith(".py"):
            files.add("/".join([*stack, name]))
    return files


def test_architecture_doc_draws_the_tree_as_it_is():
    drawn = _tree_in_architecture_doc()
    actual = {str(p.relative_to(ROOT)) for p in modules()}
    assert sorted(actual - drawn) == [], "modules missing from docs/architecture.md"
    assert sorted(drawn - actual) == [], "docs/architecture.md draws modules that do not exist"


@pytest.mark.parametrize("room", ROOMS)
def test_tests_mirror_the_package(room):
    assert (ROOT / "tests" / room).is_dir(), f"tests/{room}/ is missing"
