"""Stage 3: evidence sentences per section, chosen without a model.

Every sentence of the capped storylines' articles becomes a ``Candidate`` (with its offsets in the body).
A sentence goes to the section whose cue words it matches best (casualties and aid → humanitarian impact;
the UN, other governments, condemned/urged → international reactions; warned/could/risk → what to watch;
dated actions → key developments); ties and leftovers go to developments. The bottom line draws on the
leads of the top storylines. Each section keeps its best ``limit`` sentences, top storylines first. Only complete
statements are evidence (``rag.nlp.clauses``: a verb with its own subject, closed as a sentence), so headlines,
menu lines and fragments such as "31 killed" never become a section's sentence.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from pydantic import BaseModel, Field

from rag.briefing.models import Citation
from rag.briefing.select import Selection
from rag.briefing.storylines import Storylines
from rag.index.chunking import split_sentences
from rag.nlp.clauses import is_complete_sentence
from rag.nlp.parse import parse_texts
from rag.text import MONTH_PATTERN, WEEKDAY_PATTERN, tokenize
from rag.types import Article

ARTICLES_PER_STORYLINE = 12
"""The newest articles of each storyline that are read for evidence, claims and dates."""
_CUES: dict[str, frozenset[str]] = {
    "humanitarian": frozenset(tokenize(
        "killed injured wounded dead deaths casualties civilians civilian displaced homes hospitals blood medical "
        "humanitarian aid families refugees damaged destroyed rubble victims starvation shelter")),
    "international": frozenset(tokenize(
        "Secretary-General secretary general envoy ambassador embassy foreign minister ministers summit talks "
        "mediation mediated mediator condemned condemns urged urges restraint dialogue diplomatic "
        "diplomacy concern concerned calm international community allies sanctions")),
    "watch": frozenset(tokenize(
        "warned warning warns could may might risk risks threatened threatens expected fear fears loom looms "
        "consequences retaliate escalation")),
    "developments": frozenset(tokenize(
        "struck strikes airstrikes clashes clashed stormed attacked attack launched responded fighting fire "
        "targeted bombing offensive operation exchanges killed retaliatory shelling raid accused troops hostilities war "
        "positions wrote declared ceasefire talks agreed")),
}
_FIGURE = re.compile(r"\d|\b(?:dozens?|hundreds|thousands|several|six|seven|eight|nine|ten|fifteen|twenty)\b", re.I)
_DATED = re.compile(rf"\b(?:{WEEKDAY_PATTERN}|{MONTH_PATTERN}|weekend)\b")
_CREDIT = re.compile(r"(?:\bPhoto\b|/\s*AP\b|\bReuters\b|\bGetty\b)")


class Candidate(BaseModel):
    """One sentence of an article, with what the stages need to cite it."""

    article_id: str
    title: str
    outlet: str | None
    published_at: dt.date | None
    url: str | None
    text: str
    start: int
    end: int
    position: int
    """Index of the sentence in its article (0 = lead)."""
    storyline_rank: int
    heading: bool = False
    caption: bool = False
    question: bool = False
    fragment: bool = False
    """Not a complete statement (no verb with its own subject, or not closed as a sentence)."""
    previous_text: str | None = None
    """The sentence before it in the article (the antecedent of "denies it")."""

    def key(self) -> tuple[str, int]:
        return (self.article_id, self.start)

    def citation(self, start: int | None = None, end: int | None = None) -> Citation:
        """A citation of the whole sentence, or of ``start:end`` (body offsets) inside it."""
        start = self.start if start is None else start
        end = self.end if end is None else end
        quote = self.text[start - self.start : end - self.start]
        return Citation(article_id=self.article_id, title=self.title, outlet=self.outlet,
                        published_at=self.published_at, url=self.url, quote=quote, start=start, end=end)


class SectionEvidence(BaseModel):
    kind: str
    sentences: list[Candidate] = Field(default_factory=list)


class EvidenceSet(BaseModel):
    """What later stages read: every candidate sentence, and the chosen evidence per section."""

    candidates: list[Candidate]
    sections: list[SectionEvidence]

    def section(self, kind: str) -> list[Candidate]:
        return next((s.sentences for s in self.sections if s.kind == kind), [])


def is_heading(text: str) -> bool:
    """Section heads ("Pakistan Denies Involvement") and credits are not evidence."""
    return len(tokenize(text)) < 3 or (not text.rstrip("”’\"' ").endswith((".", "!", "?")) and len(text.split()) < 9)


def is_caption(text: str, following: str | None) -> bool:
    """A photo caption: followed on its line by a credit ("Hedayat Shah/ AP Photo"), or a file photo."""
    return bool((following and _CREDIT.search(following) and len(following.split()) <= 6)
                or "file photo" in text.lower())


def is_bare_quote(text: str) -> bool:
    """A quotation with no speaker in the sentence ("“They could carry the weight of another war.”")."""
    return text.startswith(("“", '"')) and text.rstrip().endswith(("”", '"')) and text.count("“") <= 1


def article_candidates(article: Article, storyline_rank: int) -> list[Candidate]:
    spans = split_sentences(article.body)
    result = []
    for position, span in enumerate(spans):
        # What follows on the same line (a credit may come after an initial: "G.A." "Surname/Agency Photo").
        rest = [n for n in spans[position + 1 : position + 3] if "\n" not in article.body[span.end : n.start]]
        following = " ".join(n.text for n in rest) or None
        same_line = following is not None
        result.append(Candidate(
            article_id=article.id, title=article.title, outlet=article.outlet, published_at=article.published_at,
            url=article.url, text=span.text, start=span.start, end=span.end, position=position,
            storyline_rank=storyline_rank, heading=is_heading(span.text) or bool(_CREDIT.fullmatch(span.text)),
            caption=is_caption(span.text, following if same_line else None) or bool(
                _CREDIT.search(span.text) and len(span.text.split()) <= 6),
            question=span.text.rstrip("”’\"' ").endswith("?"),
            previous_text=spans[position - 1].text if position else None,
        ))
    return result


def mark_fragments(candidates: Sequence[Candidate]) -> None:
    """Set ``fragment`` on every candidate that is not a complete statement (one batched parse)."""
    for candidate, doc in zip(candidates, parse_texts(c.text for c in candidates), strict=True):
        candidate.fragment = not is_complete_sentence(doc)


def cue_scores(text: str) -> dict[str, float]:
    words = set(tokenize(text))
    return {kind: len(words & cues) / (1 + len(words)) ** 0.5 for kind, cues in _CUES.items()}


def gather_evidence(selection: Selection, storylines: Storylines, limit: int) -> EvidenceSet:
    """Candidates from the capped storylines' articles and the best ``limit`` sentences per section."""
    by_id = {a.id: a for a in selection.articles}
    candidates: list[Candidate] = []
    for storyline in storylines.storylines:
        for article_id in storyline.article_ids[:ARTICLES_PER_STORYLINE]:
            candidates.extend(article_candidates(by_id[article_id], storyline.rank))
    mark_fragments([c for c in candidates if not c.heading])  # the timeline and claims read them too
    usable = distinct([c for c in candidates
                       if not (c.heading or c.caption or c.question or c.fragment or is_bare_quote(c.text))])
    scored: dict[str, list[tuple[float, Candidate]]] = {kind: [] for kind in _CUES}
    for candidate in usable:
        scores = cue_scores(candidate.text)
        if _FIGURE.search(candidate.text):  # figures make humanitarian lines, dates make developments
            scores["humanitarian"] *= 1.5
        if _DATED.search(candidate.text):
            scores["developments"] += 0.3
        kind = max(scores, key=lambda k: (scores[k], k == "developments"))
        if scores[kind] > 0:
            scored[kind].append((scores[kind] - 0.05 * candidate.storyline_rank - 0.001 * candidate.position,
                                 candidate))
    sections = [SectionEvidence(kind=kind, sentences=[c for _, c in sorted(items, key=lambda x: -x[0])[:limit]])
                for kind, items in scored.items()]
    leads = _leads(usable, limit)
    return EvidenceSet(candidates=candidates, sections=[SectionEvidence(kind="bottom_line", sentences=leads),
                                                        *sections])


def distinct(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Each sentence once, by its words.

    A sentence two pages share (a syndicated paragraph, an op-ed run by two sites) is one piece of evidence, the copy
    from the top storyline's article; two copies would fill two of a section's few bullets with the same words.
    """
    seen: set[str] = set()
    kept = []
    for candidate in candidates:
        key = " ".join(candidate.text.lower().split())
        if key not in seen:
            seen.add(key)
            kept.append(candidate)
    return kept


def _leads(usable: Sequence[Candidate], limit: int) -> list[Candidate]:
    """The first two sentences of each article, top storylines and newest articles first."""
    leads = [c for c in usable if c.position <= 2]
    leads.sort(key=lambda c: (c.storyline_rank, c.position))
    return leads[:limit]
