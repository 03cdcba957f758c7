"""Stage 6: the gate. Every sentence is checked against the ONE quote it cites with ``services.verifier``.

A written sentence that fails is replaced by the quote itself (when no other sentence of the section uses
that quote) or dropped; both are counted. Sections the model left empty fall back to their best quotes.
Contested points and timeline events are quotes already; they pass the same gate. The written sections
are then cut to the word budget, bottom line first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, Field

from rag.briefing.evidence import Candidate, EvidenceSet
from rag.briefing.models import SECTION_TITLES, BriefSentence, ContestedPoint, Section, SectionKind, Side, TimelineEvent
from rag.briefing.timeline import find_date_phrases, stated_as
from rag.briefing.write import SECTION_CAP, SECTION_ORDER, Drafts
from rag.types import SupportVerdict


class Checker(Protocol):
    def check(self, sentence: str, quote: str) -> SupportVerdict: ...


class Verified(BaseModel):
    sections: list[Section]
    contested: list[ContestedPoint]
    timeline: list[TimelineEvent]
    dropped: int = 0
    replaced: int = 0
    failures: list[str] = Field(default_factory=list)
    checks: int = 0


class _Gate:
    def __init__(self, verifier: Checker) -> None:
        self.verifier = verifier
        self.result = Verified(sections=[], contested=[], timeline=[])

    def passes(self, text: str, quote: str) -> SupportVerdict:
        self.result.checks += 1
        return self.verifier.check(text, quote)

    def section(self, kind: SectionKind, drafts: Drafts, evidence: Sequence[Candidate]) -> Section:
        sentences: list[BriefSentence] = []
        used: set[int] = set()
        for draft in (d for d in drafts.drafts if d.section == kind):
            if draft.cited is None:
                self._fail(draft.text, "cites no evidence sentence", dropped=True)
                continue
            source = evidence[draft.cited - 1]
            verdict = self.passes(draft.text, source.text)
            if verdict.supported and draft.cited not in used:
                used.add(draft.cited)
                sentences.append(_sentence(draft.text, source))
            elif draft.cited in used:
                self._fail(draft.text, f"{verdict.reason}; its quote is already in the section" if not
                           verdict.supported else "repeats a quote already in the section", dropped=True)
            elif self.passes(source.text, source.text).supported:
                used.add(draft.cited)
                sentences.append(_sentence(source.text, source, quoted=True))
                self._fail(draft.text, verdict.reason, dropped=False)
            else:
                self._fail(draft.text, verdict.reason, dropped=True)
        # What the writer left out, its best evidence fills in as quotes, articles not yet in the section first.
        shown = {c.article_id for s in sentences for c in s.citations}
        unused = [(n, e) for n, e in enumerate(evidence, start=1) if n not in used]
        unused.sort(key=lambda item: item[1].article_id in shown)
        for number, source in unused:
            if len(sentences) >= SECTION_CAP[kind]:
                break
            if self.passes(source.text, source.text).supported:
                used.add(number)
                sentences.append(_sentence(source.text, source, quoted=True))
        return Section(kind=kind, title=SECTION_TITLES[kind], sentences=sentences[: SECTION_CAP[kind]])

    def side(self, side: Side | None) -> Side | None:
        if side is None:
            return None
        kept = [c for c in side.citations if self.passes(side.text if c is side.citations[0] else c.quote,
                                                         c.quote).supported]
        if not kept:
            self._fail(side.text, "contested side not supported by its quote", dropped=True)
            return None
        return side.model_copy(update={"citations": kept, "text": side.text if kept[0] is side.citations[0]
                                       else kept[0].quote})

    def _fail(self, text: str, reason: str, dropped: bool) -> None:
        if dropped:
            self.result.dropped += 1
        else:
            self.result.replaced += 1
        self.result.failures.append(f"{'dropped' if dropped else 'replaced by its quote'}: {text!r} ({reason})")


def _sentence(text: str, source: Candidate, quoted: bool = False) -> BriefSentence:
    phrases = [p for p in find_date_phrases(source.text, source.published_at) if p.date]
    return BriefSentence(text=text, citations=[source.citation()], quoted=quoted,
                         date=phrases[0].date if phrases else None,
                         date_text=stated_as(phrases[0]) if phrases else None)


def verify_briefing(drafts: Drafts, evidence: EvidenceSet, contested: Sequence[ContestedPoint],
                    timeline: Sequence[TimelineEvent], verifier: Checker, max_words: int) -> Verified:
    """Gate every sentence, then fit the written sections into ``max_words``."""
    gate = _Gate(verifier)
    sections = [gate.section(kind, drafts, evidence.section(kind)) for kind in SECTION_ORDER
                if evidence.section(kind)]
    for section in sections:
        if section.kind == "developments":
            section.sentences.sort(key=lambda s: s.date or (str(s.citations[0].published_at or "")), reverse=True)
    points = []
    for point in contested:
        claim = gate.side(point.claim)
        if claim is not None:
            points.append(point.model_copy(update={"claim": claim, "response": gate.side(point.response)}))
    events = [e for e in timeline if gate.passes(e.event, e.citations[0].quote).supported]
    result = gate.result
    result.sections, result.contested, result.timeline = fit_words(sections, max_words), points, events
    return result


def fit_words(sections: Sequence[Section], max_words: int) -> list[Section]:
    """Keep sentences in order (each section's first, then seconds, …) until the word budget is spent."""
    budget = max_words
    kept: dict[str, list[BriefSentence]] = {s.kind: [] for s in sections}
    depth = max((len(s.sentences) for s in sections), default=0)
    for index in range(depth):
        for section in sections:
            if index < len(section.sentences):
                words = len(section.sentences[index].text.split())
                if words <= budget:
                    kept[section.kind].append(section.sentences[index])
                    budget -= words
    return [s.model_copy(update={"sentences": kept[s.kind]}) for s in sections if kept[s.kind]]
