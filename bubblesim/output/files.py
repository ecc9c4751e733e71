"""Output folders that appear whole or not at all, and never cost a user a file.

A command picks its folder with :func:`output_folder` before any work is done, then writes into a
hidden staging folder beside it with :func:`publish`, which adds a manifest of what bubblesim
wrote and moves the finished folder into place in one rename. The rules:

* ``--force`` replaces a folder only if it holds bubblesim's manifest and nothing the manifest
  does not list; anything else is refused with the first foreign file named, and left untouched.
* The current folder, its ancestors, the home folder and a file-system root are never used as an
  output folder, with or without ``--force``.
* An ``--out`` that is a symbolic link to a folder is treated as that folder: the link stays a
  link and the folder it points to receives the output.
* A file-system error (permission, disk full, a vanished folder, a name too long) becomes
  :class:`OutputWriteError`, one line naming the path and the cause; no staging folder is left.
* A staging folder's name carries its process id; leftovers of processes that no longer exist
  (a run killed with ``kill -9``) are removed the next time a command writes beside them.
* Two runs publishing to one folder at once: one publishes, the other fails with a clear message.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

__all__ = [
    "OutputExistsError",
    "OutputWriteError",
    "MANIFEST",
    "add_to_manifest",
    "safe_name",
    "free_folder",
    "output_folder",
    "staged_folder",
    "publish",
    "atomic_write_text",
    "remove_stale_staging",
]

#: The file in every output folder that says bubblesim wrote it, and what it wrote.
MANIFEST = "bubblesim-manifest.json"

_STAGING = re.compile(r"^\.(?P<name>.+)\.(?:partial|old)-(?P<pid>\d+)-[^/]*$")
_LEGACY_STAGING = re.compile(r"^\.(?P<name>.+)\.(?:partial|old)-[a-z0-9_]{6,}$")


class OutputExistsError(FileExistsError):
    """The output folder cannot be used (it holds files and ``force`` is off, it holds files
    bubblesim did not write, or it is a protected place). One line, ready to show a user."""


class OutputWriteError(RuntimeError):
    """The file system refused a write (permission, disk full, ...). One line: path and cause."""


def safe_name(name: str) -> str:
    """A file-system-safe folder name from a scenario name (no separators, no leading dots)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return cleaned[:80] or "scenario"


def _describe(exc: OSError, fallback: Path) -> str:
    path = exc.filename or fallback
    cause = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        cause = "no space left on the device"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        cause = "permission denied"
    elif exc.errno == errno.ENAMETOOLONG:
        cause = "file name too long"
    elif exc.errno == errno.EROFS:
        cause = "read-only file system"
    return f"{path}: cannot write output ({cause})"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def remove_stale_staging(parent: Path, name: str | None = None) -> list[Path]:
    """Remove hidden staging folders beside ``parent``'s entries whose process is gone.

    Returns the leftovers that could not be judged (written by an older bubblesim, without a
    process id in their name), for the caller to list; they are kept.
    """
    unknown = []
    try:
        entries = list(Path(parent).iterdir())
    except OSError:
        return unknown
    for entry in entries:
        m = _STAGING.match(entry.name)
        if m and entry.is_dir() and (name is None or m.group("name") == name):
            if not _pid_alive(int(m.group("pid"))):
                shutil.rmtree(entry, ignore_errors=True)
            continue
        legacy = _LEGACY_STAGING.match(entry.name)
        if legacy and entry.is_dir() and (name is None or legacy.group("name") == name):
            unknown.append(entry)
    return unknown


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


def _protected(target: Path) -> str | None:
    real = target.resolve()
    cwd = Path.cwd().resolve()
    if real == cwd:
        return "it is the current folder"
    if real in cwd.parents:
        return "it holds the current folder"
    with contextlib.suppress(RuntimeError, KeyError):
        if real == Path.home().resolve():
            return "it is the home folder"
    if real == Path(real.anchor):
        return "it is a file-system root"
    return None


def _real_folder(target: Path, label: str) -> Path:
    """``target``, or the folder a symbolic link ``target`` points to."""
    if target.is_symlink():
        real = target.resolve()
        if not real.exists():
            raise OutputExistsError(f"{label}{target} is a link to {real}, which does not exist")
        if not real.is_dir():
            raise OutputExistsError(f"{label}{target} is a link to {real}, which is not a folder")
        return real
    return target


def _files(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()
    )


def _foreign(folder: Path) -> str | None:
    """The first file in ``folder`` that bubblesim's manifest does not list (or the first file at
    all when there is no manifest); None when bubblesim wrote everything there."""
    present = [f for f in _files(folder) if f != MANIFEST]
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return present[0] if present else None
    try:
        listed = set(json.loads(manifest.read_text(encoding="utf-8"))["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return MANIFEST + " (unreadable)"
    for f in present:
        if f not in listed:
            return f
    return None


def _check(target: Path, force: bool, label: str = "--out: ") -> None:
    why = _protected(target)
    if why:
        raise OutputExistsError(f"{label}refusing to write output into {target}: {why}")
    if target.exists() and not target.is_dir():
        raise OutputExistsError(f"{label}{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()):
        if not force:
            raise OutputExistsError(
                f"{label}{target} already holds files; use --force to replace it or choose another --out"
            )
        foreign = _foreign(target)
        if foreign:
            raise OutputExistsError(
                f"{label}{target} holds {foreign}, which bubblesim did not write; --force replaces "
                "only bubblesim's own output folders (move it, or choose another --out)"
            )


def output_folder(
    out: Path | None,
    default: Path,
    force: bool,
    notice: Callable[[str], None] | None = None,
) -> Path:
    """The folder a command writes: ``out``, or ``default`` (the next free ``default-N`` unless
    ``force``). Checked before any work is done (see the module's rules).

    ``notice`` receives one line per leftover staging folder that could not be judged.

    Raises
    ------
    OutputExistsError
        The folder cannot be used.
    OutputWriteError
        The file system refused to be looked at.
    """
    try:
        target = out if out is not None else (default if force else free_folder(default))
        label = "--out: " if out is not None else ""
        real = _real_folder(target, label)
        for left in remove_stale_staging(real.parent, real.name):
            if notice is not None:
                notice(
                    f"note: {left} looks like an unfinished earlier run; remove it if no run is writing there"
                )
        _check(real, force, label)
    except OutputExistsError:
        raise
    except OSError as exc:
        raise OutputWriteError(_describe(exc, Path(out or default))) from None
    return target


def add_to_manifest(folder: Path, path: Path) -> bool:
    """List ``path`` (a file bubblesim has just written inside ``folder``, e.g. a redrawn fan) in
    the folder's manifest, so that a later ``--force`` may replace it. False, changing nothing,
    when the folder has no readable manifest or the file is outside it."""
    folder, path = Path(folder).resolve(), Path(path).resolve()
    manifest = folder / MANIFEST
    try:
        name = path.relative_to(folder).as_posix()
        doc = json.loads(manifest.read_text(encoding="utf-8"))
        files = list(doc["files"])
    except (ValueError, OSError, KeyError, TypeError):
        return False
    if name not in files:
        doc["files"] = sorted(set(files) | {name})
        atomic_write_text(manifest, json.dumps(doc, indent=2) + "\n")
    return True


def _write_manifest(staging: Path, command: str, scenarios: Sequence[tuple[str, str]]) -> None:
    files = [f for f in _files(staging) if f != MANIFEST]
    doc = {
        "written_by": "bubblesim",
        "version": _version(),
        "command": command,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "scenarios": [{"name": n, "sha256": h} for n, h in scenarios],
        "files": files + [MANIFEST],
    }
    atomic_write_text(staging / MANIFEST, json.dumps(doc, indent=2) + "\n")


def _version() -> str:
    from .._version import __version__

    return __version__


@contextlib.contextmanager
def staged_folder(
    target: Path,
    force: bool = False,
    command: str = "",
    scenarios: Sequence[tuple[str, str]] = (),
) -> Iterator[Path]:
    """Write into a hidden folder beside ``target``; add the manifest and publish it by rename.

    On any exception (Ctrl-C included) the staging folder is removed and ``target`` is left as it
    was. See the module's rules for what ``force`` may replace.
    """
    target = _real_folder(Path(target), "")
    _check(target, force, "")
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{target.name}.partial-{os.getpid()}-"
    staging = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes 0700; a published run is an ordinary folder
    try:
        yield staging
        _write_manifest(staging, command, scenarios)
        _swap_in(staging, target, force)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_in(staging: Path, target: Path, force: bool) -> None:
    """Move ``staging`` to ``target``; an earlier bubblesim folder there is replaced only with
    ``force``, and restored if the move fails."""
    if target.is_dir() and any(target.iterdir()):
        if not force:
            raise OutputExistsError(
                f"{target} was written by another run while this one was working; nothing of "
                "this run was published (use --force or another --out)"
            )
        _check(target, force, "")
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-{os.getpid()}-", dir=target.parent))
        os.replace(target, old / "run")
        try:
            os.replace(staging, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.replace(old / "run", target)
            shutil.rmtree(old, ignore_errors=True)
            raise
        shutil.rmtree(old, ignore_errors=True)
        return
    try:
        os.replace(staging, target)
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            raise OutputExistsError(
                f"{target} was written by another run while this one was working; nothing of "
                "this run was published"
            ) from None
        raise


def atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def publish(
    target: Path,
    force: bool,
    write: Callable[[Path], object],
    command: str = "",
    scenarios: Sequence[tuple[str, str]] = (),
) -> None:
    """Run ``write(staging_folder)``, add the manifest, and move the folder into place at
    ``target`` in one rename. File-system failures become one-line :class:`OutputWriteError`."""
    try:
        with staged_folder(target, force=force, command=command, scenarios=scenarios) as staging:
            write(staging)
    except OSError as exc:
        if isinstance(exc, OutputExistsError):
            raise
        raise OutputWriteError(_describe(exc, Path(target))) from None
