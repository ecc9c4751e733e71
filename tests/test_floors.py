"""The declared minimum versions are the ones CI installs and tests (.ci/floors.txt)."""

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _floors_file() -> dict[str, str]:
    pins = {}
    for line in (ROOT / ".ci" / "floors.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def _declared() -> dict[str, str]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    lines = cfg["options"]["install_requires"].split("\n")
    lines += [
        x
        for x in cfg["options.extras_require"]["test"].split("\n")
        if "pytest" in x or "hypothesis" in x
    ]
    out = {}
    for line in filter(None, (x.strip() for x in lines)):
        m = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+?)(\[.*\])?>=([0-9.]+)", line)
        assert m, f"setup.cfg: {line!r} has no >= floor"
        out[m.group(1).lower()] = m.group(3)
    return out


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def test_every_declared_floor_is_the_version_ci_tests():
    pins, declared = _floors_file(), _declared()
    assert set(declared) <= set(pins), set(declared) - set(pins)
    for name, floor in declared.items():
        pinned = _key(pins[name])
        assert pinned[: len(_key(floor))] == _key(floor) or pinned == _key(floor), (name, floor)
        assert pinned >= _key(floor), (name, floor, pins[name])


def test_ci_runs_the_default_tests_on_the_floors():
    script = (ROOT / ".ci" / "run").read_text()
    assert "pip install --quiet -r .ci/floors.txt" in script
    assert script.rstrip().splitlines()[-1].startswith("python -m pytest")
