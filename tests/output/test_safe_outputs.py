"""Outputs that never cost a user a file, and file-system errors that never show a traceback."""

import errno
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bubblesim.output import files
from bubblesim.output.files import (
    MANIFEST,
    OutputExistsError,
    OutputWriteError,
    atomic_write_text,
    output_folder,
    publish,
    remove_stale_staging,
)

from ..cli.test_cli import invoke
from ..conftest import SCENARIOS

BASELINE = str(SCENARIOS / "baseline.toml")
ROOT = Path(__file__).resolve().parents[2]


def _write(folder):
    atomic_write_text(folder / "summary.json", "{}")


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_force_replaces_only_bubblesims_own_folder(in_tmp):
    precious = in_tmp / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    res = invoke("run", BASELINE, "-n", "200", "--out", "precious", "--force")
    assert res.exit_code == 2 and "thesis.txt" in res.stderr and "did not write" in res.stderr
    assert (precious / "thesis.txt").read_text() == "years of work"
    assert sorted(p.name for p in precious.iterdir()) == ["thesis.txt"]
    # bubblesim's own folder is replaced, with its manifest
    assert invoke("run", BASELINE, "-n", "200", "--out", "mine").exit_code == 0
    manifest = json.loads((in_tmp / "mine" / MANIFEST).read_text())
    assert manifest["command"] == "run" and "summary.json" in manifest["files"]
    assert manifest["scenarios"][0]["name"] == "baseline"
    assert (
        invoke("run", BASELINE, "-n", "200", "-s", "9", "--out", "mine", "--force").exit_code == 0
    )
    assert json.loads((in_tmp / "mine" / "summary.json").read_text())["seed"] == 9
    # a file slipped into it afterwards makes it foreign again
    (in_tmp / "mine" / "notes.md").write_text("mine")
    res = invoke("run", BASELINE, "-n", "200", "--out", "mine", "--force")
    assert res.exit_code == 2 and "notes.md" in res.stderr
    assert (in_tmp / "mine" / "notes.md").exists()


@pytest.mark.parametrize("out", [".", "..", "~", "/"])
def test_never_the_current_folder_its_ancestors_home_or_root(in_tmp, out):
    target = Path(os.path.expanduser(out))
    res = invoke("run", BASELINE, "-n", "200", "--out", str(target), "--force")
    assert res.exit_code == 2, res.output
    assert "refusing to write output into" in res.stderr and "Traceback" not in res.output
    assert _hidden(in_tmp) == []


def test_a_symlinked_out_receives_the_output_and_stays_a_link(in_tmp):
    real = in_tmp / "real"
    real.mkdir()
    link = in_tmp / "link"
    link.symlink_to(real, target_is_directory=True)
    assert invoke("run", BASELINE, "-n", "200", "--out", "link").exit_code == 0
    assert link.is_symlink() and (real / "summary.json").exists()
    assert invoke("run", BASELINE, "-n", "200", "--out", "link", "--force").exit_code == 0
    assert link.is_symlink() and (real / MANIFEST).exists()
    (in_tmp / "dangling").symlink_to(in_tmp / "nowhere")
    res = invoke("run", BASELINE, "-n", "200", "--out", "dangling")
    assert res.exit_code == 2 and "does not exist" in res.stderr


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EACCES])
@pytest.mark.parametrize("where", ["first write", "last write", "final rename", "manifest"])
def test_file_system_failures_are_one_line_and_leave_nothing(in_tmp, monkeypatch, error, where):
    assert invoke("run", BASELINE, "-n", "200", "--out", "r").exit_code == 0
    before = {p.name: p.read_bytes() for p in (in_tmp / "r").iterdir()}
    calls = {"n": 0}
    real_write, real_replace = files.atomic_write_text, os.replace

    def failing_write(path, text):
        calls["n"] += 1
        if (where == "first write" and calls["n"] == 1) or (
            where == "manifest" and Path(path).name == MANIFEST
        ):
            raise OSError(error, os.strerror(error), str(path))
        return real_write(path, text)

    def failing_replace(src, dst):
        if where == "final rename" and Path(dst).name == "r" and not calls.get("renamed"):
            calls["renamed"] = True  # the publishing rename fails; the restoring one works
            raise OSError(error, os.strerror(error), str(dst))
        if where == "last write" and Path(dst).name == "correction_by_date.csv":
            raise OSError(error, os.strerror(error), str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(files, "atomic_write_text", failing_write)
    monkeypatch.setattr("bubblesim.output.writers.atomic_write_text", failing_write)
    monkeypatch.setattr(files.os, "replace", failing_replace)
    res = invoke("run", BASELINE, "-n", "200", "--out", "r", "--force")
    assert res.exit_code == 1, res.output
    # a progress line may come first when the simulation takes over a second (a loaded machine)
    lines = [line for line in res.stderr.splitlines()
             if line.strip() and not re.match(r"simulating .*: +\d+% \(", line)]  # fmt: skip
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "cannot write output" in lines[0]
    assert "Traceback" not in res.output
    assert _hidden(in_tmp) == []  # no staging, no .old- folder
    assert {p.name: p.read_bytes() for p in (in_tmp / "r").iterdir()} == before


def test_a_read_only_parent_is_one_line(in_tmp):
    if os.geteuid() == 0:
        pytest.skip("root ignores permissions")
    locked = in_tmp / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        res = invoke("run", BASELINE, "-n", "200", "--out", str(locked / "r"))
        assert res.exit_code == 1 and "permission denied" in res.stderr
        assert "Traceback" not in res.output
    finally:
        locked.chmod(0o700)


def test_a_real_full_disk(in_tmp):
    """Once for real on a small tmpfs, where the machine allows mounting one."""
    mnt = in_tmp / "small"
    mnt.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs privileges)")
    try:
        res = invoke("run", BASELINE, "-n", "500", "--out", str(mnt / "r"))
        assert res.exit_code == 1 and "no space left" in res.stderr
        assert list(mnt.iterdir()) == []
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


def test_leftovers_of_dead_runs_are_removed_and_live_ones_kept(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".r.partial-{dead.pid}-abc123"
    stale.mkdir()
    (stale / "summary.json").write_text("{}")
    live = tmp_path / f".r.partial-{os.getpid()}-def456"
    live.mkdir()
    legacy = tmp_path / ".r.partial-k2j3h4g5"
    legacy.mkdir()
    unknown = remove_stale_staging(tmp_path, "r")
    assert not stale.exists() and live.exists() and unknown == [legacy]
    notes = []
    assert output_folder(None, tmp_path / "r", False, notes.append) == tmp_path / "r"
    assert len(notes) == 1 and ".r.partial-k2j3h4g5" in notes[0]


def test_a_run_killed_with_sigkill_leaves_nothing_that_matters(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "bubblesim", "run", BASELINE, "-n", "50000", "--out", "r"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline and not any(
        p.name.startswith(".r.partial-") for p in tmp_path.iterdir()
    ):
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = subprocess.run([sys.executable, "-m", "bubblesim", "run", BASELINE, "-n", "200", "--out", "r", "-q"],
                          cwd=tmp_path, env=env, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _hidden(tmp_path) == [] and (tmp_path / "r" / MANIFEST).exists()


def test_two_runs_one_out_at_the_same_time(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bubblesim",
                "run",
                BASELINE,
                "-n",
                "3000",
                "-s",
                str(seed),
                "--out",
                "same",
                "-q",
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for seed in (1, 2)
    ]
    codes, errors = [], []
    for proc in runs:
        _, err = proc.communicate(timeout=120)
        codes.append(proc.returncode)
        errors.append(err)
    assert sorted(codes) == [0, 2], (codes, errors)
    loser = errors[codes.index(2)]
    assert "another run" in loser or "already holds files" in loser
    summary = json.loads((tmp_path / "same" / "summary.json").read_text())
    manifest = json.loads((tmp_path / "same" / MANIFEST).read_text())
    assert summary["seed"] == (1, 2)[codes.index(0)]  # one run's folder, whole
    assert set(manifest["files"]) == {p.name for p in (tmp_path / "same").iterdir()}
    assert _hidden(tmp_path) == []


def test_publish_refuses_a_folder_that_appeared_meanwhile(tmp_path):
    target = tmp_path / "t"

    def write_and_race(folder):
        _write(folder)
        target.mkdir()
        (target / "other.txt").write_text("x")

    with pytest.raises(OutputExistsError, match="another run"):
        publish(target, False, write_and_race)
    assert sorted(p.name for p in target.iterdir()) == ["other.txt"]
    assert _hidden(tmp_path) == []


def test_publish_turns_os_errors_into_one_line(tmp_path):
    def boom(folder):
        raise OSError(errno.ENAMETOOLONG, "File name too long", str(folder / ("x" * 300)))

    with pytest.raises(OutputWriteError, match="file name too long"):
        publish(tmp_path / "t", False, boom)
    assert list(tmp_path.iterdir()) == []
