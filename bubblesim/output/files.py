"""Output folders that appear whole or not at all: staging, publishing by rename, safe names.

A command picks its folder with :func:`output_folder` before any work is done, then writes into
a hidden staging folder beside it with :func:`publish` (or :func:`staged_folder`), which moves
the finished folder into place in one rename.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = [
    "OutputExistsError",
    "safe_name",
    "free_folder",
    "output_folder",
    "staged_folder",
    "publish",
    "atomic_write_text",
]


class OutputExistsError(FileExistsError):
    """The output folder cannot be used: it holds an earlier run and ``force`` was not given,
    or it is not a folder. The message is one line, ready to show a user."""


def safe_name(name: str) -> str:
    """A file-system-safe folder name from a scenario name (no separators, no leading dots)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return cleaned[:80] or "scenario"


def free_folder(base: Path) -> Path:
    """``base`` if it does not exist or is empty, else the first free ``base-2``, ``base-3``, ..."""
    if not base.exists() or (base.is_dir() and not any(base.iterdir())):
        return base
    i = 2
    while True:
        candidate = base.with_name(f"{base.name}-{i}")
        if not candidate.exists():
            return candidate
        i += 1


@contextlib.contextmanager
def staged_folder(target: Path, force: bool = False) -> Iterator[Path]:
    """Write into a hidden temporary folder beside ``target``; publish it by rename on success.

    On any exception (Ctrl-C included) the temporary folder is removed and ``target`` is left as
    it was. An existing, non-empty ``target`` is replaced only with ``force``.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise OutputExistsError(f"{target} exists and is not a folder")
    if target.exists() and any(target.iterdir()) and not force:
        raise OutputExistsError(
            f"{target} already holds files; use --force to replace it or --out to pick another folder"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes 0700; a published run is an ordinary folder
    try:
        yield staging
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.replace(target, old / "run")
        os.replace(staging, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def output_folder(out: Path | None, default: Path, force: bool) -> Path:
    """The folder a command writes: ``out``, or ``default`` (the next free ``default-N`` unless ``force``).

    Checked before any work is done: an existing folder holding files is refused without ``force``.

    Raises
    ------
    OutputExistsError
        ``out`` names a file, or a folder holding files while ``force`` is false.
    """
    target = out if out is not None else (default if force else free_folder(default))
    if target.exists() and not target.is_dir():
        raise OutputExistsError(f"--out: {target} exists and is not a folder")
    if target.exists() and any(target.iterdir()) and not force:
        raise OutputExistsError(
            f"--out: {target} already holds files; use --force to replace it or choose another --out"
        )
    return target


def publish(target: Path, force: bool, write: Callable[[Path], object]) -> None:
    """Run ``write(staging_folder)`` and move the folder into place at ``target`` in one rename."""
    with staged_folder(target, force=force) as staging:
        write(staging)
