"""Briefing scoring: key points covered, contested points with both sides, dated events, independent support.

Deterministic and recomputed from the article text rather than trusted from the pipeline: the briefing is read
as data (nothing here imports the briefing pipeline, its verifier or its sentence splitter); sentences of an
article are cut by the eval's own splitter (:func:`evals.text.split_sentences`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from evals.boilerplate import BoilerplatePattern, boilerplate_found
from evals.datasets import DatasetError
from evals.independent import lexically_supported
from evals.metrics import cited_text, missing_groups
from evals.text import Sentence, split_sentences
from rag.types import AnswerSentence, Citation

if TYPE_CHECKING:
    from rag.briefing.models import Briefing, Side
    from rag.briefing.models import Citation as BriefCitation

HIGHER_IS_BETTER = ("key_point_coverage", "contested_both_sides", "timeline_dates", "independent_support")
LOWER_IS_BETTER = ("unsupported_sentences", "unsupported_entities", "boilerplate_sentences", "off_topic_sentences")
_WORD = re.compile(r"[A-Za-z][\w’'-]*|\d[\d,.]*")
_FUNCTION = frozenset("a an the and or but of in on at by for from to with as is are was were be been has have had it its "
                      "this that these those they them their he she his her we who which not no also said says".split())


class KeyPoint(BaseModel):
    """A point a good briefing on the corpus must make, with the facts that show it is made."""

    model_config = ConfigDict(extra="forbid")

    id: str
    point: str
    facts: list[list[str]]
    sources: list[str]


def load_key_points(path: Path) -> list[KeyPoint]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [KeyPoint.model_validate(k) for k in data["key_points"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{path}: not a briefing golden file ({exc})") from None


def score_briefing(
    sentences: Sequence[AnswerSentence], citations: Mapping[int, Citation], key_points: Sequence[KeyPoint]
) -> dict[str, Any]:
    """Key-point coverage and the shares of sentences cited and supported.

    A point is covered when every fact group is in the text, sourced when the sentences citing one of the
    point's sources state it; a sentence is supported when the quotes it cites hold its words, numbers, names.
    """
    text = " ".join(s.text for s in sentences)
    covered, sourced = [], []
    for point in key_points:
        if not missing_groups(text, point.facts):
            covered.append(point.id)
        citing = " ".join(
            s.text for s in sentences if any(n in citations and citations[n].article_id in point.sources for n in s.citations)
        )
        if citing and not missing_groups(citing, point.facts):
            sourced.append(point.id)
    cited = [s for s in sentences if any(n in citations for n in s.citations)]
    supported = [
        s for s in cited if lexically_supported(s.text, cited_text(s, citations))
    ]
    total = len(sentences)
    return {
        "key_point_coverage": round(len(covered) / len(key_points), 4) if key_points else None,
        "key_point_sourced": round(len(sourced) / len(key_points), 4) if key_points else None,
        "sentences_cited": round(len(cited) / total, 4) if total else None,
        "sentences_supported": round(len(supported) / total, 4) if total else None,
        "covered": covered,
        "missed": [p.id for p in key_points if p.id not in covered],
    }


# Whole briefings -----------------------------------------------------------------------------------------


class GoldSide(BaseModel):
    model_config = ConfigDict(extra="forbid")

    who: str
    facts: list[list[str]]
    sources: list[str]


class GoldContested(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    point: str
    claim: GoldSide
    response: GoldSide | None
    """``None``: the sources record no response; the briefing must say so."""


class GoldEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    date: str | None
    date_text: str | None = None
    facts: list[list[str]]
    source: str


class OffTopic(BaseModel):
    model_config = ConfigDict(extra="forbid")

    why: str
    articles: list[str]


class BriefingGolden(BaseModel):
    model_config = ConfigDict(extra="ignore")

    corpus: str
    key_points: list[KeyPoint]
    contested: list[GoldContested] = Field(default_factory=list)
    timeline: list[GoldEvent] = Field(default_factory=list)
    topic: str | None = None
    """The topic the briefing is asked for (``rag brief --topic``); ``None``: the whole corpus."""
    split: dict[str, str] = Field(default_factory=dict)
    """Item id -> ``tune`` | ``test``; empty: the file has no halves."""
    boilerplate: str | None = None
    """A boilerplate pattern file beside this one (:func:`load_boilerplate`); no section may hold one."""
    off_topic: OffTopic | None = None
    """Articles outside the topic: a sentence citing only these is ``off_topic_sentences``."""

    def half(self, name: str | None) -> BriefingGolden:
        """Only the items of one half (``None``: all of them)."""
        if name is None:
            return self
        if name not in ("tune", "test"):
            raise DatasetError("--split must be 'tune' or 'test'")
        if not self.split:
            raise DatasetError(f"{self.corpus}: this briefing golden file has no tune/test halves")
        keep = {k for k, v in self.split.items() if v == name}
        return self.model_copy(update={"key_points": [k for k in self.key_points if k.id in keep],
                                       "contested": [c for c in self.contested if c.id in keep],
                                       "timeline": [t for t in self.timeline if t.id in keep]})


def load_briefing_golden(path: Path) -> BriefingGolden:
    try:
        return BriefingGolden.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: not a briefing golden file ({exc})") from None


def _side_text(side: Side) -> str:
    return " ".join([side.text, *(c.quote for c in side.citations)])


def _names_party(who: str, gold: str) -> bool:
    """Whether the side's party is the gold one.

    The same name, with its aliases after it ("India (Indians)" for "India"), or a full name of the gold surname
    ("Donald Trump" for "Trump"); not a longer word ("Indiana").
    """
    who, gold = who.lower(), gold.lower()
    name = who.split(" (")[0]
    return name == gold or who.startswith(gold + " (") or name.endswith(" " + gold)


def _side_matches(side: Side | None, gold: GoldSide) -> bool:
    return (side is not None and _names_party(side.who, gold.who)
            and not missing_groups(_side_text(side), gold.facts) and any(c.article_id in gold.sources for c in side.citations))


def contested_found(briefing: Briefing, gold: GoldContested) -> bool:
    """Some point states the gold claim cited to a right article, and the response (or its absence) likewise."""
    for point in briefing.contested:
        if not _side_matches(point.claim, gold.claim):
            continue
        if gold.response is None and point.response is None:
            return True
        if gold.response is not None and _side_matches(point.response, gold.response):
            return True
    return False


def event_found(briefing: Briefing, gold: GoldEvent) -> bool:
    return any(e.date == gold.date and not missing_groups(e.event, gold.facts)
               and any(c.article_id == gold.source for c in e.citations)
               and (gold.date is not None or (gold.date_text or "").lower() in e.date_text.lower())
               for e in briefing.timeline)


def _content(text: str) -> set[str]:
    return {re.sub(r"(?:’s|'s|es|s|ed|ing)$", "", w.lower()) for w in _WORD.findall(text) if w.lower() not in _FUNCTION}


def _names_numbers(text: str) -> set[str]:
    return {w.rstrip(".,") for w in _WORD.findall(text) if w[0].isdigit() or (w[0].isupper() and w.lower() not in _FUNCTION)}


def independently_supported(sentence: str, article_sentence: str) -> bool:
    """The eval's own check (no stemming, no pipeline code): names and numbers present, 60% of content words."""
    lower = article_sentence.lower()
    if any(n.lower() not in lower for n in _names_numbers(sentence) if len(n) > 1 or n.isdigit()):
        return False
    words = _content(sentence)
    return bool(words) and len(words & _content(article_sentence)) / len(words) >= 0.6


def unsupported_entities(sentence: str, cited: str) -> list[str]:
    lower = cited.lower()
    return sorted(n for n in _names_numbers(sentence) if n.lower() not in lower)


class _Cited(NamedTuple):
    """A sentence of the briefing and what it cites."""

    text: str
    citations: Sequence[BriefCitation]


def _briefing_sentences(briefing: Briefing) -> list[_Cited]:
    sides = [s for p in briefing.contested for s in (p.claim, p.response) if s is not None]
    return [*(_Cited(s.text, s.citations) for s in briefing.all_sentences()),
            *(_Cited(s.text, s.citations[:1]) for s in sides),
            *(_Cited(e.event, e.citations) for e in briefing.timeline)]


def _quote_holds(citation: BriefCitation, bodies: Mapping[str, str]) -> bool:
    body = bodies.get(citation.article_id)
    return body is not None and body[citation.start:citation.end] == citation.quote


def _whole_sentences(citation: BriefCitation, body: str, sentences: Sequence[Sentence]) -> str:
    """The article's text from the start of the first sentence the quote touches to the end of the last.

    Sentences as the eval cuts them, which may cut a quote where the product's splitter did not (inside a
    quotation, say): the check reads the whole of what is cited, never half of it.
    """
    touched = [s for s in sentences if s.start < citation.end and citation.start < s.end]
    return body[touched[0].start : touched[-1].end] if touched else citation.quote


def score_briefing_full(briefing: Briefing, golden: BriefingGolden, bodies: Mapping[str, str],
                        boilerplate: Sequence[BoilerplatePattern] = ()) -> dict[str, Any]:
    """Metrics and the ids behind them; ``bodies`` maps article id to text.

    A sentence is independently supported when a quote it cites is exact at its offsets and the whole article
    sentences the quote covers pass :func:`independently_supported`. With ``boilerplate`` patterns, every
    sentence and every quote is searched for them (``boilerplate_sentences``).
    """
    sentences = _briefing_sentences(briefing)
    everything = " ".join(s.text for s in sentences)
    covered = [k.id for k in golden.key_points if not missing_groups(everything, k.facts)]
    contested = [g.id for g in golden.contested if contested_found(briefing, g)]
    dated = [g.id for g in golden.timeline if event_found(briefing, g)]
    supported, entities, unsupported = 0, 0, []
    article_sentences: dict[str, list[Sentence]] = {}
    for sentence in sentences:
        ok = False
        for citation in sentence.citations:
            if not _quote_holds(citation, bodies):
                continue
            body = bodies[citation.article_id]
            if citation.article_id not in article_sentences:
                article_sentences[citation.article_id] = split_sentences(body)
            whole = _whole_sentences(citation, body, article_sentences[citation.article_id])
            ok = ok or independently_supported(sentence.text, whole)
        cited = " ".join(c.quote for c in sentence.citations)
        missing = unsupported_entities(sentence.text, cited)
        entities += len(missing)
        supported += ok
        if not ok or missing:
            unsupported.append(sentence.text)
    total = len(sentences)
    furniture = boilerplate_found([*(s.text for s in sentences), *(c.quote for s in sentences for c in s.citations)],
                                  boilerplate) if boilerplate else []
    outside = set(golden.off_topic.articles) if golden.off_topic else set()
    off_topic = [s.text for s in sentences if s.citations and all(c.article_id in outside for c in s.citations)]
    metrics = {
        "key_point_coverage": round(len(covered) / len(golden.key_points), 4) if golden.key_points else None,
        "contested_both_sides": round(len(contested) / len(golden.contested), 4) if golden.contested else None,
        "timeline_dates": round(len(dated) / len(golden.timeline), 4) if golden.timeline else None,
        "independent_support": round(supported / total, 4) if total else None,
        "unsupported_sentences": len(unsupported),
        "unsupported_entities": entities,
        "boilerplate_sentences": len({f["text"] for f in furniture}) if boilerplate else None,
        "off_topic_sentences": len(off_topic) if golden.off_topic else None,
        "sentences": total,
        "dropped": briefing.dropped,
        "replaced": briefing.replaced,
    }
    details = {"covered": covered, "missed": [k.id for k in golden.key_points if k.id not in covered],
               "contested_found": contested, "contested_missed": [g.id for g in golden.contested if g.id not in contested],
               "timeline_found": dated, "timeline_missed": [g.id for g in golden.timeline if g.id not in dated],
               "unsupported": unsupported, "boilerplate": furniture, "off_topic": off_topic}
    return {"metrics": metrics, "details": details}


def check_briefing_gate(metrics: Mapping[str, Any], baseline_path: Path) -> list[str]:
    """Every gated metric worse than the committed baseline, as sentences."""
    try:
        baseline = json.loads(baseline_path.read_text(encoding="utf-8"))
        floors: dict[str, float] = baseline["metrics"]
    except (OSError, ValueError, KeyError) as exc:
        raise DatasetError(f"{baseline_path}: not a briefing baseline ({exc})") from None
    failures = []
    for name, floor in floors.items():
        value = metrics.get(name)
        if name not in HIGHER_IS_BETTER + LOWER_IS_BETTER:
            raise DatasetError(f"{baseline_path}: unknown metric {name!r}")
        if value is None:
            failures.append(f"{name}: missing from the run (baseline {floor})")
        elif name in HIGHER_IS_BETTER and value < floor - 1e-9:
            failures.append(f"{name}: {value} is below the baseline {floor}")
        elif name in LOWER_IS_BETTER and value > floor + 1e-9:
            failures.append(f"{name}: {value} is above the baseline {floor}")
    return failures


