"""One copy of each model file per machine: the shared cache folder, and the links data directories get to it."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Literal

from platformdirs import user_cache_dir

Placement = Literal["hard link", "symlink", "copy"]


def default_cache_dir() -> Path:
    """``models/`` in the user's cache folder for ``conflict-rag`` (on Linux ``$XDG_CACHE_HOME``, else ``~/.cache``)."""
    return Path(user_cache_dir("conflict-rag")) / "models"


def is_writable_dir(path: Path) -> bool:
    """Whether ``path`` is (or can be made) a folder this process may create files in."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def place(source: Path, target: Path) -> Placement:
    """Make ``target`` name the file at ``source``, replacing whatever ``target`` is now, and say how.

    A hard link shares the bytes; across filesystems (or where hard links are refused) a symlink to the
    absolute source does; only where neither can be made is the file copied. The new entry appears at
    ``target`` in one rename, so a reader never sees it missing or half written.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        placement = _make(source, temp)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return placement


def describe(path: Path, source: Path) -> str:
    """How ``path`` holds its file, for ``rag doctor``: a link to ``source``, a file of its own, or nothing."""
    if path.is_symlink():
        return f"symlink to {os.readlink(path)}" + ("" if path.exists() else " (target missing)")
    if not path.exists():
        return "missing"
    if source.exists() and path.samefile(source):
        return f"hard link to {source}"
    return f"own file ({path.stat().st_size:,} bytes, not shared with the cache)"


def _make(source: Path, temp: Path) -> Placement:
    try:
        os.link(source, temp)
        return "hard link"
    except OSError:  # EXDEV across filesystems; EPERM/ENOTSUP where the filesystem has no hard links
        pass
    try:
        os.symlink(source.resolve(), temp)
        return "symlink"
    except OSError:
        pass
    shutil.copyfile(source, temp)
    return "copy"
