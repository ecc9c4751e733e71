"""Output folders: chosen before work starts, published whole by rename, never half-written."""

import pytest

from bubblesim.output.files import (
    MANIFEST,
    OutputExistsError,
    atomic_write_text,
    output_folder,
    publish,
    safe_name,
)


def test_output_folder_takes_the_next_free_name_without_force(tmp_path):
    base = tmp_path / "run"
    assert output_folder(None, base, force=False) == base
    publish(base, False, lambda folder: atomic_write_text(folder / "summary.json", "{}"))
    assert output_folder(None, base, force=False) == tmp_path / "run-2"
    assert output_folder(None, base, force=True) == base  # bubblesim's own folder


def test_output_folder_refuses_a_file_or_a_full_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputExistsError, match="is not a folder"):
        output_folder(tmp_path / "file", tmp_path / "d", force=True)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "a").write_text("x")
    with pytest.raises(OutputExistsError, match="already holds files"):
        output_folder(tmp_path / "full", tmp_path / "d", force=False)


def test_publish_appears_whole_or_not_at_all(tmp_path):
    target = tmp_path / "out"

    def write(folder):
        atomic_write_text(folder / "a.txt", "a")

    publish(target, False, write)
    assert (target / "a.txt").read_text() == "a"

    def fail(folder):
        atomic_write_text(folder / "b.txt", "b")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        publish(target, True, fail)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging left behind
    assert sorted(p.name for p in target.iterdir()) == ["a.txt", MANIFEST]  # the old run untouched


def test_safe_name():
    assert safe_name("../a b/c") == "a_b_c"
    assert safe_name("...") == "scenario"
