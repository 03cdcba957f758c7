"""Parse citation markers out of model text, verify each sentence, repair or drop, renumber densely."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rag.index.chunking import split_sentences
from rag.types import AnswerSentence, Citation, Evidence
from rag.verify import Verifier

MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")


@dataclass
class DraftSentence:
    """A model sentence with marker text removed and the numbers it cited."""

    text: str
    cited: list[int] = field(default_factory=list)


def parse_markers(answer: str) -> list[DraftSentence]:
    """Split model output into sentences with their cited numbers.

    Markers at the start of a sentence ("… Kabul. [2] Next …") belong to the sentence before.
    """
    drafts: list[DraftSentence] = []
    for span in split_sentences(_suffix_line_markers(answer)):
        text = span.text
        leading = re.match(r"^(\s*\[\d+(?:\s*[,;]\s*\d+)*\]\s*[.,;]?)+", text)
        if leading and drafts:
            drafts[-1].cited.extend(marker_numbers(leading.group()))
            text = text[leading.end() :]
        cited = marker_numbers(text)
        clean = re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub("", text)).strip()
        if clean.strip(" .,;:"):
            drafts.append(DraftSentence(clean, cited))
        elif drafts:
            drafts[-1].cited.extend(cited)
    return drafts


_LINE_PREFIX = re.compile(r"^(\s*(?:\[\d+(?:\s*[,;]\s*\d+)*\]\s*)+)(\S.*)$")


def _suffix_line_markers(answer: str) -> str:
    """Lines written as "[2] Sentence. Sentence." (markers first, none after) become "Sentence. [2] Sentence. [2]".

    Small models often number their lines that way; read as trailing markers, each line's marker would go
    to the line before.
    """
    lines = answer.split("\n")
    for i, line in enumerate(lines):
        match = _LINE_PREFIX.match(line)
        if match and not MARKER.search(match.group(2)):
            markers = "".join(f"[{m}]" for m in MARKER.findall(match.group(1)))
            lines[i] = " ".join(f"{span.text} {markers}" for span in split_sentences(match.group(2)))
    return "\n".join(lines)


SHORT_SPAN_WORDS = 6
"""A cited line this short is an answer span (a name, a date, a number), not a sentence to verify."""


def pointed_evidence(answer: str, evidence: Sequence[Evidence]) -> list[int]:
    """Evidence numbers the model pointed at with a short answer span instead of a sentence ("[1] Rahim Safi").

    A span counts when it occurs verbatim in the evidence it names. Bare markers ("[2]") do not: on the tune
    half the 0.5B's bare choice was wrong as often as right, where the relevance ranking was right.
    """
    by_number = {e.number: e for e in evidence}
    pointed: list[int] = []
    for draft in parse_markers(answer):
        span = draft.text.strip(" .")
        if not span or len(span.split()) > SHORT_SPAN_WORDS:
            continue
        for number in draft.cited:
            item = by_number.get(number)
            if item is not None and span.lower() in item.text.lower() and number not in pointed:
                pointed.append(number)
    return pointed


def marker_numbers(text: str) -> list[int]:
    """Every number cited by the markers in ``text``, in order (``[1][2, 3]`` gives 1, 2, 3)."""
    return [int(n) for group in MARKER.findall(text) for n in re.split(r"\s*[,;]\s*", group)]


def citation_of(evidence: Evidence, support: float = 0.0) -> Citation:
    """The checkable citation for an evidence sentence: its article, metadata, exact quote and offsets."""
    return Citation(article_id=evidence.article_id, title=evidence.title, outlet=evidence.outlet,
                    published_at=evidence.published_at, url=evidence.url, chunk_id=evidence.chunk_id,
                    quote=evidence.text, start=evidence.start, end=evidence.end, support=round(support, 3))


@dataclass
class Verified:
    """Sentences that survived verification, with dense citation numbers, and what was dropped."""

    sentences: list[AnswerSentence] = field(default_factory=list)
    citations: dict[int, Citation] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    contradicted: list[str] = field(default_factory=list)
    """Sentences a cited quote contradicts, with the reason (kept for the record, never shown as answers)."""
    question: str = ""
    """The (stand-alone) question the sentences answer."""
    contexts: list[str] = field(default_factory=list)
    """Each cited evidence sentence's context (its chunk, or in answers its whole article), by dense number − 1."""
    generation_failed: bool = False
    _dense: dict[int, int] = field(default_factory=dict)

    def cite(self, evidence: Evidence, support: float) -> int:
        """The dense number for ``evidence``, assigning the next one on first use."""
        if evidence.number not in self._dense:
            number = len(self._dense) + 1
            self.contexts.append(evidence.context)
            self._dense[evidence.number] = number
            self.citations[number] = citation_of(evidence, support)
        number = self._dense[evidence.number]
        self.citations[number].support = round(min(self.citations[number].support, support), 3)
        return number

    def cited_evidence_numbers(self) -> set[int]:
        return set(self._dense)

    def render(self) -> str:
        return " ".join(f"{s.text} {''.join(f'[{n}]' for n in s.citations)}".strip() for s in self.sentences)


REPAIR_CANDIDATES = 3
"""How many other evidence sentences (best rule coverage first) a failing sentence may be re-cited to."""


def verify_sentence(draft: DraftSentence, evidence: Sequence[Evidence], verified: Verified,
                    verifier: Verifier) -> AnswerSentence | None:
    """Keep a sentence if a quote it cites supports it on its own; else re-cite it to one that does; else drop.

    Each cited quote is checked alone (no stitching a name from one quote and a number from another); cited
    quotes that do not support the sentence are dropped from its citations.
    """
    if any(s.text.lower() == draft.text.lower() for s in verified.sentences):
        return None  # a repeated sentence adds nothing
    by_number = {e.number: e for e in evidence}
    cited = [by_number[n] for n in dict.fromkeys(draft.cited) if n in by_number]  # markers pointing nowhere go
    backing = []
    for item in cited:
        verdict = verifier.check(draft.text, item.text)
        if verdict.supported:
            backing.append((item, verdict.score))
        if verdict.label == "contradicted":
            verified.contradicted.append(f"{draft.text} — {verdict.reason}")
    if backing:
        return _accept(draft.text, [e for e, _ in backing], min(score for _, score in backing), verified)
    # Repair: the evidence sentences that share most of its words, each tried alone.
    others = [e for e in evidence if e not in cited]
    ranked = sorted(others, key=lambda e: -verifier.check_rules(draft.text, e.text).score)[:REPAIR_CANDIDATES]
    for item in ranked:
        verdict = verifier.check(draft.text, item.text)
        if verdict.supported:
            return _accept(draft.text, [item], verdict.score, verified)
    verified.dropped.append(draft.text)
    return None


def _accept(text: str, cited: Sequence[Evidence], score: float, verified: Verified) -> AnswerSentence:
    sentence = AnswerSentence(text=text, citations=[verified.cite(e, score) for e in cited], support=round(score, 3))
    verified.sentences.append(sentence)
    return sentence


def quote_evidence(evidence: Evidence, verified: Verified) -> AnswerSentence:
    """Add an evidence sentence verbatim, as a quote, with its citation."""
    sentence = AnswerSentence(text=f"“{evidence.text}”", citations=[verified.cite(evidence, 1.0)], support=1.0,
                              quoted=True)
    verified.sentences.append(sentence)
    return sentence
