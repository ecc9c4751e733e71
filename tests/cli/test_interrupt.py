"""Nothing lost: Ctrl-C mid-run exits 130, leaves no temporary files and no partial output, and
earlier runs stay intact; names from scenario files cannot place outputs outside the folder."""

import os
import signal
import subprocess
import sys
import threading

from click.testing import CliRunner

from bubblesim.cli import cli
from bubblesim.output.files import safe_name

from ..conftest import SCENARIOS

BASELINE = str(SCENARIOS / "baseline.toml")


def test_sigint_during_run_stops_cleanly(in_tmp):
    assert CliRunner().invoke(cli, ["run", BASELINE, "-n", "200", "-q"]).exit_code == 0
    earlier = {p.name: p.read_bytes() for p in (in_tmp / "outputs" / "baseline").iterdir()}

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bubblesim", "run", BASELINE, "--paths", "600000"],
        cwd=in_tmp,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # a terminal's foreground job: SIGINT at its default (a background CI shell may ignore it)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    started = threading.Event()
    lines: list[str] = []

    def read_stderr():
        for line in proc.stderr:
            lines.append(line)
            if "paths" in line:  # a progress line: the simulation is under way
                started.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        assert started.wait(120), "no progress line appeared: " + "".join(lines)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(10)
    assert any("Interrupted" in line for line in lines), lines
    assert "Traceback" not in "".join(lines)
    names = sorted(p.name for p in (in_tmp / "outputs").iterdir())
    assert names == ["baseline"], names  # no baseline-2, no hidden .partial folders
    assert {p.name: p.read_bytes() for p in (in_tmp / "outputs" / "baseline").iterdir()} == earlier


def test_scenario_names_cannot_escape_the_output_folder(in_tmp):
    for evil in (
        "../../escape",
        "/etc/passwd",
        "..",
        "a/../../b",
        "C:\\\\x",
        " .hidden",
        "ok name",
    ):
        name = safe_name(evil)
        assert "/" not in name and "\\\\" not in name and not name.startswith(".") and name
    (in_tmp / "evil.toml").write_text(
        '[scenario]\nname = "../../escape"\n[simulation]\npaths = 50\n'
    )
    res = CliRunner().invoke(cli, ["run", "evil.toml", "-q"])
    assert res.exit_code == 0, res.output
    assert [p.name for p in (in_tmp / "outputs").iterdir()] == ["escape"]
    assert sorted(p.name for p in in_tmp.iterdir()) == ["evil.toml", "outputs"]


def test_scenario_text_is_never_evaluated(in_tmp):
    marker = in_tmp / "pwned"
    (in_tmp / "code.toml").write_text(
        f"[scenario]\nname = \"__import__('os').system('touch {marker}')\"\n[simulation]\npaths = 20\n"
    )
    res = CliRunner().invoke(cli, ["run", "code.toml", "-q"])
    assert res.exit_code == 0
    assert not marker.exists()


def test_an_interrupt_while_workers_simulate_does_not_wait_for_their_queued_tasks():
    """Ctrl-C in this process while the workers have a long run queued (here: at the first
    progress report, once every task is submitted) stops the pool at once instead of running
    every queued task first."""
    import time

    import pytest

    from bubblesim import load_scenario
    from bubblesim.engine.simulate import RunRequest, simulate_many

    sc = load_scenario(BASELINE)

    at = []

    def interrupt(done, total):
        if done > 2 * 16_384:  # chunk 0 and one more are in: every other task is queued
            at.append(time.perf_counter())
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate_many([RunRequest(sc, paths=2_000_000)], workers=2, progress=interrupt)
    # from the interrupt to the return: seconds, where running the queued tasks takes minutes
    assert time.perf_counter() - at[0] < 5
