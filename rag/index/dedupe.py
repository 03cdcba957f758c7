"""Near-duplicate detection (wire reprints, lightly edited copies) with MinHash over word shingles."""

from __future__ import annotations

import base64
import re

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
SCHEME = "affine32"
SHINGLE_WORDS = 5


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """Overlapping runs of ``size`` lower-cased words; short texts give one shingle."""
    words = re.findall(r"\w+", text.lower())
    if len(words) <= size:
        return {" ".join(words)}
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def signature(text: str) -> MinHash:
    sketch = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    for shingle in shingles(text):
        sketch.update(shingle.encode("utf-8"))
    return sketch


def encode_signature(sketch: MinHash) -> str:
    """A compact string form, so the signature can live in Chroma metadata."""
    return base64.b64encode(np.asarray(sketch.hashvalues, dtype=np.uint64).tobytes()).decode("ascii")


def decode_signature(encoded: str) -> MinHash:
    values = np.frombuffer(base64.b64decode(encoded), dtype=np.uint64)
    return MinHash(num_perm=NUM_PERM, hashvalues=values, scheme=SCHEME)


class DuplicateIndex:
    """Finds an already-indexed article whose text is nearly the same as a new one."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._sketches: dict[str, MinHash] = {}

    def add(self, article_id: str, sketch: MinHash) -> None:
        if article_id in self._sketches:
            self.remove(article_id)
        self._lsh.insert(article_id, sketch)
        self._sketches[article_id] = sketch

    def remove(self, article_id: str) -> None:
        if article_id in self._sketches:
            self._lsh.remove(article_id)
            del self._sketches[article_id]

    def find(self, sketch: MinHash, exclude: str | None = None) -> str | None:
        """The most similar indexed article at or above the threshold, if any."""
        best: tuple[float, str] | None = None
        for candidate in self._lsh.query(sketch):
            if candidate == exclude:
                continue
            similarity = float(sketch.jaccard(self._sketches[candidate]))
            if similarity >= self.threshold and (best is None or (similarity, candidate) > best):
                best = (similarity, candidate)
        return best[1] if best else None
