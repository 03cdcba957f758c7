"""Nothing in ``rag/`` knows the demo corpus: no proper name from ``corpus/seeds/`` in code, strings or comments.

The names come from the seeds themselves (the English pipeline's people, organisations, places and nationalities),
so a new seed article extends the check. Docstrings may use a name as an example; nothing else may.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

from rag.index.corpus import read_sources
from rag.nlp.parse import parse_texts
from rag.types import Article
from tests.conftest import SEED_DIR

RAG = Path(__file__).resolve().parents[2] / "rag"
_LABELS = ("PERSON", "ORG", "GPE", "NORP", "LOC", "FAC")


def seed_names() -> set[str]:
    """Whole entity names from the seeds, and the single words of people, places and nationalities."""
    bodies = [a.body for a in read_sources([SEED_DIR]) if isinstance(a, Article)]
    found: set[str] = set()
    for doc in parse_texts(bodies):
        for ent in doc.ents:
            if ent.label_ not in _LABELS:
                continue
            text = re.sub(r"^(the|The)\s+|[’']s$", "", ent.text).strip()
            if len(text) >= 3 and any(c.isupper() for c in text):
                found.add(text)
            if ent.label_ in ("PERSON", "GPE", "NORP") or len(ent) == 1:
                found |= {t.text for t in ent if len(t.text) >= 4 and t.text[0].isupper() and t.is_alpha}
    return found


def code_text(path: Path) -> list[tuple[int, str]]:
    """``(line, text)`` of every comment, identifier and string in the file except docstrings."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(first.lineno)
    out = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.STRING and token.start[0] in docstrings:
            continue
        if token.type in (tokenize.COMMENT, tokenize.STRING, tokenize.NAME):
            out.append((token.start[0], token.string))
    return out


def test_the_seed_names_are_found() -> None:
    names = seed_names()
    assert len(names) >= 20, sorted(names)  # the check is only as good as the list it checks


def test_no_seed_name_in_rag_code() -> None:
    names = seed_names()
    pattern = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")(?![\w-])")
    hits = [f"{path.relative_to(RAG.parent)}:{line}: {m.group(1)}"
            for path in sorted(RAG.rglob("*.py")) for line, text in code_text(path)
            for m in pattern.finditer(text)]
    assert not hits, "\n".join(hits)
