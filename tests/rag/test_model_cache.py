"""The shared model cache: one assembly per machine, links into each data directory, with real (tiny) part packages.

Each test writes its own part packages (``<prefix>N/data/partNN.bin``) on ``sys.path``, so ``part_files`` finds
them exactly as it finds the real model's, and builds a ``GgufSpec`` with their real size and sha256.
"""

from __future__ import annotations

import errno
import hashlib
import multiprocessing
import multiprocessing.synchronize
import os
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

import rag.models.files
from rag.models.cache import describe
from rag.models.files import GgufSpec, ModelFileError, ensure_model, is_verified, stored_model
from rag.settings import Settings


def write_part_packages(site: Path, chunks: list[bytes], sha256: str | None = None) -> GgufSpec:
    """Part packages holding ``chunks`` in order, and the spec that pins them (``sha256`` to pin a wrong hash)."""
    name = f"tiny-{uuid.uuid4().hex[:8]}"
    prefix = f"{name}-part"
    for index, chunk in enumerate(chunks, 1):
        package = site / f"{prefix}{index}".replace("-", "_")
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"part{index:02d}.bin").write_bytes(chunk)
    whole = b"".join(chunks)
    return GgufSpec(name, prefix, len(chunks), "0.0.0", len(whole), sha256 or hashlib.sha256(whole).hexdigest())


CHUNKS = [os.urandom(70_000), os.urandom(50_000), os.urandom(30_001)]
WHOLE = b"".join(CHUNKS)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


@pytest.fixture
def spec(site: Path) -> GgufSpec:
    return write_part_packages(site, CHUNKS)


@pytest.fixture
def assemblies(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file assembled from parts during the test (in this process)."""
    seen: list[Path] = []
    assemble = rag.models.files._assemble

    def counting(spec: GgufSpec, target: Path) -> None:
        seen.append(target)
        assemble(spec, target)

    monkeypatch.setattr(rag.models.files, "_assemble", counting)
    return seen


def refuse(code: int) -> Callable[..., None]:
    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    return fail


def test_two_data_directories_share_one_assembled_file(tmp_path: Path, spec: GgufSpec, assemblies: list[Path]) -> None:
    cache = tmp_path / "cache"
    first = ensure_model(spec, tmp_path / "a" / "models", cache)
    second = ensure_model(spec, tmp_path / "b" / "models", cache)
    cached = cache / spec.filename

    assert assemblies == [cached]
    assert first == tmp_path / "a" / "models" / spec.filename and first.read_bytes() == WHOLE
    assert not first.is_symlink() and not second.is_symlink()
    assert first.stat().st_ino == second.stat().st_ino == cached.stat().st_ino
    assert cached.stat().st_nlink == 3
    assert not cached.stat().st_mode & 0o222  # shared bytes are read-only, so no link can change the others
    assert sorted(p.name for p in cache.iterdir() if not p.name.endswith(".lock")) == [
        spec.filename, f"{spec.name}.verified"]


def test_a_second_start_neither_hashes_nor_assembles(tmp_path: Path, spec: GgufSpec,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    models = tmp_path / "data" / "models"
    ensure_model(spec, models, tmp_path / "cache")
    monkeypatch.setattr(rag.models.files, "sha256_of", refuse(errno.EIO))
    monkeypatch.setattr(rag.models.files, "_assemble", refuse(errno.EIO))
    assert ensure_model(spec, models, tmp_path / "cache").read_bytes() == WHOLE
    assert ensure_model(spec, tmp_path / "other" / "models", tmp_path / "cache").read_bytes() == WHOLE


def test_a_corrupted_cache_file_is_detected_and_reassembled(tmp_path: Path, spec: GgufSpec,
                                                            assemblies: list[Path]) -> None:
    cache, models = tmp_path / "cache", tmp_path / "data" / "models"
    linked = ensure_model(spec, models, cache)
    cached = cache / spec.filename
    cached.chmod(0o644)
    with cached.open("r+b") as handle:  # one flipped byte, same size; the link shares the damage
        handle.seek(1000)
        handle.write(bytes([WHOLE[1000] ^ 0xFF]))
    later = cached.stat().st_mtime_ns + 1_000_000_000
    os.utime(cached, ns=(later, later))
    assert linked.read_bytes() != WHOLE and not is_verified(linked, spec) and not is_verified(cached, spec)

    again = ensure_model(spec, models, cache)

    assert assemblies == [cached, cached]
    assert cached.read_bytes() == WHOLE and again.read_bytes() == WHOLE
    assert again.stat().st_ino == cached.stat().st_ino and is_verified(again, spec)


@pytest.mark.parametrize("damage", ["dangling symlink", "file with the wrong bytes", "truncated hard link"])
def test_a_bad_entry_in_the_models_dir_is_replaced_by_a_link(tmp_path: Path, spec: GgufSpec, damage: str) -> None:
    cache, models = tmp_path / "cache", tmp_path / "data" / "models"
    target = models / spec.filename
    models.mkdir(parents=True)
    if damage == "dangling symlink":
        target.symlink_to(tmp_path / "gone" / spec.filename)
    elif damage == "file with the wrong bytes":
        target.write_bytes(bytes(len(WHOLE)))
    else:
        ensure_model(spec, models, cache)
        (cache / spec.filename).unlink()  # the cache was cleared, then the old inode damaged
        target.chmod(0o644)
        with target.open("r+b") as handle:
            handle.truncate(100)

    path = ensure_model(spec, models, cache)

    assert path == target and not path.is_symlink() and path.read_bytes() == WHOLE
    assert path.stat().st_ino == (cache / spec.filename).stat().st_ino


def test_a_verified_file_in_todays_layout_is_used_untouched(tmp_path: Path, spec: GgufSpec,
                                                            assemblies: list[Path]) -> None:
    models = tmp_path / "data" / "models"
    own = stored_model(spec, models)  # what ensure_model did before the cache: assembled in place and stamped
    inode, stamp = own.stat().st_ino, (models / f"{spec.name}.verified").read_text()

    assert ensure_model(spec, models, tmp_path / "cache") == own
    assert own.stat().st_ino == inode and own.stat().st_nlink == 1
    assert (models / f"{spec.name}.verified").read_text() == stamp
    assert assemblies == [own] and not (tmp_path / "cache").exists()


def _start(spec: GgufSpec, models: Path, cache: Path, barrier: multiprocessing.synchronize.Barrier) -> None:
    barrier.wait()
    ensure_model(spec, models, cache)


def test_two_processes_starting_together_assemble_one_file(tmp_path: Path, spec: GgufSpec,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "assemblies.log"

    hashes = tmp_path / "hashes.log"
    assemble, sha256_of = rag.models.files._assemble, rag.models.files.sha256_of

    def slow(spec: GgufSpec, target: Path) -> None:  # logged and slowed, so an unguarded second one would show
        with log.open("a") as handle:
            handle.write(f"{os.getpid()}\n")
        time.sleep(0.5)
        assemble(spec, target)

    def hashing(path: Path) -> str:
        with hashes.open("a") as handle:
            handle.write(f"{path}\n")
        return sha256_of(path)

    monkeypatch.setattr(rag.models.files, "_assemble", slow)
    monkeypatch.setattr(rag.models.files, "sha256_of", hashing)
    context = multiprocessing.get_context("fork")  # the children inherit the part packages on sys.path and `slow`
    barrier = context.Barrier(2)
    cache = tmp_path / "cache"
    workers = [context.Process(target=_start, args=(spec, tmp_path / name / "models", cache, barrier))
               for name in ("a", "b")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)

    assert [worker.exitcode for worker in workers] == [0, 0]
    assert len(log.read_text().splitlines()) == 1
    assert not hashes.exists()  # the one that waited found the file stamped: it did not re-hash it either
    cached = cache / spec.filename
    assert cached.read_bytes() == WHOLE and is_verified(cached, spec)
    for name in ("a", "b"):
        assert (tmp_path / name / "models" / spec.filename).stat().st_ino == cached.stat().st_ino
    assert not [p for p in cache.iterdir() if p.name.endswith((".partial", ".tmp"))]


def test_across_filesystems_the_data_directory_gets_a_symlink(tmp_path: Path, spec: GgufSpec,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "link", refuse(errno.EXDEV))
    cache, models = tmp_path / "cache", tmp_path / "data" / "models"

    path = ensure_model(spec, models, cache)

    assert path.is_symlink() and Path(os.readlink(path)) == (cache / spec.filename).resolve()
    assert path.read_bytes() == WHOLE and is_verified(path, spec)
    assert describe(path, cache / spec.filename) == f"symlink to {(cache / spec.filename).resolve()}"
    (cache / spec.filename).unlink()
    assert describe(path, cache / spec.filename).endswith("(target missing)")
    assert ensure_model(spec, models, cache).read_bytes() == WHOLE  # the dangling link is made again


def test_where_no_link_can_be_made_the_file_is_copied_and_verified(tmp_path: Path, spec: GgufSpec,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   assemblies: list[Path]) -> None:
    monkeypatch.setattr(os, "link", refuse(errno.EPERM))
    monkeypatch.setattr(os, "symlink", refuse(errno.EPERM))
    cache = tmp_path / "cache"

    path = ensure_model(spec, tmp_path / "data" / "models", cache)

    assert not path.is_symlink() and path.stat().st_ino != (cache / spec.filename).stat().st_ino
    assert path.read_bytes() == WHOLE and is_verified(path, spec) and len(assemblies) == 1
    assert describe(path, cache / spec.filename).startswith("own file")


def test_a_copy_that_came_out_wrong_is_an_error(tmp_path: Path, spec: GgufSpec, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "link", refuse(errno.EPERM))
    monkeypatch.setattr(os, "symlink", refuse(errno.EPERM))
    monkeypatch.setattr(shutil, "copyfile", lambda source, target: Path(target).write_bytes(WHOLE[:-1] + b"\0"))

    with pytest.raises(ModelFileError, match="sha256"):
        ensure_model(spec, tmp_path / "data" / "models", tmp_path / "cache")


def test_a_cache_that_cannot_be_created_means_assembling_in_the_models_dir(tmp_path: Path, spec: GgufSpec) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    models = tmp_path / "data" / "models"

    path = ensure_model(spec, models, blocker / "models")

    assert not path.is_symlink() and path.stat().st_nlink == 1 and path.read_bytes() == WHOLE
    assert is_verified(path, spec)


def test_parts_that_do_not_match_the_pinned_hash_leave_nothing_behind(tmp_path: Path, site: Path) -> None:
    spec = write_part_packages(site, CHUNKS, sha256="0" * 64)
    cache = tmp_path / "cache"

    with pytest.raises(ModelFileError, match="sha256"):
        ensure_model(spec, tmp_path / "data" / "models", cache)

    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == []
    assert not (tmp_path / "data" / "models" / spec.filename).exists()


def test_rag_model_cache_names_the_cache_and_the_default_is_the_user_cache_dir(
        tmp_path: Path, spec: GgufSpec, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("RAG_MODEL_CACHE", raising=False)
    assert Settings(_env_file=None).model_cache == tmp_path / "xdg" / "conflict-rag" / "models"  # type: ignore[call-arg]

    monkeypatch.setenv("RAG_MODEL_CACHE", str(tmp_path / "shared"))
    assert Settings(_env_file=None).model_cache == tmp_path / "shared"  # type: ignore[call-arg]
    path = ensure_model(spec, tmp_path / "data" / "models")  # no cache given: the one the settings name
    assert path.stat().st_ino == (tmp_path / "shared" / spec.filename).stat().st_ino
