"""The bad-input corpus: every malformed file or call is one line, exit 2, no traceback, nothing written."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bubblesim.cli import cli

from ..conftest import SCENARIOS

CORPUS = Path(__file__).parent / "bad_inputs"
FILES = sorted(CORPUS.glob("*.toml"))
CALLS = json.loads((CORPUS / "cli_calls.json").read_text())


def expected(path: Path) -> str:
    if path.is_dir():
        return "is a folder"
    first = path.read_bytes().split(b"\n", 1)[0].decode()
    assert first.startswith("# expect: "), path
    return first[len("# expect: ") :]


def check_failure(res, tmp: Path, needle: str, name: str | None = None):
    assert res.exit_code == 2, (res.exit_code, res.output)
    err = res.stderr.strip()
    assert "\n" not in err, err
    assert needle in err, err
    if name is not None:
        assert name in err, err
    assert "Traceback" not in res.output
    assert list(tmp.iterdir()) == [], "something was written"


def test_corpus_is_large_enough():
    assert len(FILES) + len(CALLS) >= 30


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_bad_scenario_file(path, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    local = tmp_path / "corpus"
    shutil.copytree(CORPUS, local)
    monkeypatch.chdir(work)
    target = local / path.name
    res = CliRunner().invoke(cli, ["run", str(target)])
    check_failure(res, work, expected(path), name=str(target))


@pytest.mark.parametrize("path", [p for p in FILES if p.is_file()], ids=lambda p: p.stem)
def test_bad_scenario_file_fails_validate_too(path):
    if path.stem == "numeric_overflow":
        pytest.skip("valid files whose run fails: validate accepts them")
    res = CliRunner().invoke(cli, ["validate", "--brief", str(path)])
    assert res.exit_code == 2 and expected(path) in res.stderr


@pytest.mark.parametrize("call", CALLS, ids=lambda c: " ".join(c["args"]))
def test_bad_cli_call(call, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = [a.replace("{baseline}", str(SCENARIOS / "baseline.toml")) for a in call["args"]]
    res = CliRunner().invoke(cli, args)
    check_failure(res, tmp_path, call["expect"])
