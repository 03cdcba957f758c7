"""Vetoes: what a parse can rule out about one sentence against one quote, before the model judge decides.

Rules never decide paraphrase. They find a meaning change the quote states (``contradicted``: a negated
predicate, reversed roles or another doer for the same act, a different number or date for the same thing, an
opposite predicate) or something the quote does not say at all (``unsupported``: a name, number or date it lacks,
a description it gives to another party (:mod:`rag.nlp.descriptions`), a claim it only reports someone making, a
fragment with no predicate, too few of its words). A missing word is never a contradiction. Whatever they do not
veto is ``undecided`` and goes to the judge (see :mod:`rag.verify.judge`); only a sentence made of the quote's own
words, in the quote's order, is ``supported`` without one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from spacy.tokens import Doc, Token

from rag.nlp.descriptions import moved
from rag.nlp.frames import Frame, frames
from rag.nlp.names import Name, fold_text, mentioned, names, names_same
from rag.nlp.numbers import quantities, same_amount
from rag.nlp.parse import parse
from rag.nlp.speech import CLAIM_LEMMAS, SAY_LEMMAS
from rag.text import MONTHS, dates_in, normalize, stem

Label = Literal["supported", "contradicted", "unsupported", "undecided"]

RELATED_FLOOR = 0.25
"""Below this share of its content words in the quote, a sentence is about something else: unsupported."""
CONTRADICTION_FLOOR = 0.5
"""A different number or date contradicts only a sentence this related to the quote (else it is unsupported)."""
REPORTING = CLAIM_LEMMAS | SAY_LEMMAS | frozenset({"tell", "insist", "allege", "accord", "report"})
"""Verbs that report someone's statement: the reported clause is theirs, not the reporter's."""
_REPORTING_STEMS = frozenset(stem(lemma) for lemma in REPORTING)
"""Their stems, which the nouns share ("accusation", "claim", "allegation", "report")."""
_HEARSAY = frozenset({"reportedly", "allegedly", "purportedly", "supposedly", "apparently"})
"""Adverbs that make their clause someone else's report."""
_ATTRIBUTION = REPORTING | _HEARSAY | frozenset({"report", "warn", "announce", "confirm", "deny", "reportedly", "allegedly",
                                      "accuse", "add", "note", "describe", "call", "write", "argue", "urge"})
"""Words by which a sentence attributes what it says (it may then differ from the quote in these words)."""
_OPPOSITES: tuple[tuple[frozenset[str], frozenset[str], bool], ...] = tuple(
    (frozenset(a.split()), frozenset(b.split()), converse)
    for a, b, converse in (
        ("deny reject dismiss refute", "confirm admit acknowledge accept", False),
        ("condemn criticize criticise denounce", "praise welcome endorse applaud", False),
        ("increase rise grow escalate intensify", "decrease fall decline reduce subside ease", False),
        ("support back", "oppose resist", False),
        ("respect honour honor observe", "violate breach", False),
        ("win defeat beat", "lose", True),
        ("buy acquire purchase", "sell", True),
        ("open reopen", "close shut", False),
        ("lift ease", "impose tighten", False),
        ("allow permit", "ban forbid prohibit block bar", False),
        ("urge advocate propose", "reject refuse", False),
    )
)
"""General English opposites. A converse pair ("A beat B" / "B lost to A") is no contradiction with roles swapped."""


@dataclass
class RuleVerdict:
    label: Label
    reason: str
    coverage: float = 0.0
    uncovered: list[str] = field(default_factory=list)


@dataclass
class _Side:
    doc: Doc
    lemmas: set[str]
    frames: list[Frame]


def _content(doc: Doc) -> list[Token]:
    """Content words; numbers and ranks count even where spaCy's stop list holds them ("five", "third")."""
    return [t for t in doc if (t.is_alpha or t.like_num) and len(t.text) > 1 and (
        not t.is_stop or t.like_num or t.ent_type_ == "ORDINAL")]


def _keys(token: Token) -> set[str]:
    return {token.lemma_.lower(), stem(token.text), stem(token.lemma_)}


def _side(text: str) -> _Side:
    doc = parse(normalize(text))
    return _Side(doc, {k for t in doc for k in _keys(t)}, frames(doc))


def check_rules(sentence: str, quote: str) -> RuleVerdict:
    """Compare ``sentence`` with one ``quote``: vetoes first, then whether the judge must decide."""
    s, q = _side(sentence), _side(quote)
    claim_words = [t for t in _content(s.doc) if t.lemma_.lower() not in _ATTRIBUTION]
    if not claim_words:
        return RuleVerdict("unsupported", "the sentence makes no checkable claim")
    s_names = names(s.doc)
    named_in_quote = {i for n in s_names if mentioned(n.text, q.doc) for i in range(n.start, n.end)}
    covered = [t for t in claim_words if _keys(t) & q.lemmas or t.i in named_in_quote]
    coverage = len(covered) / len(claim_words)
    uncovered = [t.text for t in claim_words if t not in covered]

    if not any(t.pos_ in ("VERB", "AUX") for t in s.doc) and fold_text(sentence) != fold_text(quote):
        return RuleVerdict("unsupported", "a fragment with no predicate states nothing to check", coverage, uncovered)
    if coverage < RELATED_FLOOR:
        return RuleVerdict("unsupported", f"the quote does not say: {', '.join(uncovered[:5])}", coverage, uncovered)
    related = coverage >= CONTRADICTION_FLOOR
    findings: list[tuple[Label, str]] = []
    findings += _numbers(s, q, related)
    findings += _dates(sentence, quote, related)
    missing = [n.text for n in s_names if not mentioned(n.text, q.doc)]
    if missing:  # a name the quote lacks is something it does not say, never something it contradicts
        findings.append(("unsupported", f"{', '.join(dict.fromkeys(missing))} not named in the quote"))
    findings += _polarity(s, q) + _opposites(s, q) + _roles(s, q, question=False)
    described = moved(s.doc, q.doc)
    if described:  # "X spoke to Z, an analyst with W" says nothing of X and W: not said, not contradicted
        findings.append(("unsupported", described))
    for wanted in ("contradicted", "unsupported"):
        found = [reason for label, reason in findings if label == wanted]
        if found:
            return RuleVerdict(wanted, "; ".join(dict.fromkeys(found)), coverage, uncovered)
    reported = _reported_only(s, q, covered)
    if reported:
        return RuleVerdict("unsupported", reported, coverage, uncovered)
    if not uncovered and _in_order(claim_words, q.doc) and not _by_country_only(s_names, q.doc) and (
            _negations(s.doc) == _negations(q.doc)):
        return RuleVerdict("supported", "the quote's own words, in its order, with the same names, numbers, dates "
                           "and polarity", coverage)
    return RuleVerdict("undecided", "for the judge: " + (f"words not in the quote: {', '.join(uncovered)}"
                                                          if uncovered else "the quote's words, rearranged"),
                       coverage, uncovered)


def _negations(doc: Doc) -> int:
    return sum(1 for t in doc if t.dep_ == "neg" or t.lower_ in ("not", "never", "no", "n't", "nor", "without"))


def _in_order(words: list[Token], quote: Doc) -> bool:
    keys = [_keys(t) for t in _content(quote)]
    position = 0
    for word in words:
        mine = _keys(word)
        while position < len(keys) and not mine & keys[position]:
            position += 1
        if position == len(keys):
            return False
        position += 1
    return True


def _by_country_only(s_names: list[Name], quote: Doc) -> bool:
    """A name matched only through its country ("Caracas" for "Venezuela"): the judge decides the metonymy."""
    text = f" {fold_text(quote.text)} "
    return any(f" {fold_text(n.text)} " not in text and n.kind == "place" for n in s_names)


def _numbers(s: _Side, q: _Side, related: bool) -> list[tuple[Label, str]]:
    out: list[tuple[Label, str]] = []
    theirs = quantities(q.doc)
    for mine in quantities(s.doc):
        same = [o for o in theirs if same_amount(o, mine) and o.ordinal == mine.ordinal]
        if not same:
            rival = [o for o in theirs if o.ordinal == mine.ordinal and (
                (mine.head and o.head == mine.head) or (mine.outcome and o.outcome == mine.outcome))]
            if rival and related:
                out.append(("contradicted", f"number: the sentence has {mine.text} "
                            f"{mine.head or mine.outcome or ''}, the quote {rival[0].text}".replace("  ", " ")))
            else:
                out.append(("unsupported", f"number {mine.text} is not in the quote"))
        elif mine.outcome and all(o.outcome and o.outcome != mine.outcome for o in same):
            out.append(("contradicted", f"roles: the sentence has {mine.text} {mine.outcome}, the quote "
                        f"{same[0].text} {same[0].outcome}"))
    return out


_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_MONTH_DAY = re.compile(r"\b([A-Z][a-z]{2,8})\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?!:)")
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([A-Z][a-z]{2,8})\b")


def _dates(sentence: str, quote: str, related: bool) -> list[tuple[Label, str]]:
    def of(text: str) -> set[str]:
        text = normalize(text)
        days = {f"day:{MONTHS[m.lower()]}-{int(d)}" for m, d in _MONTH_DAY.findall(text) if m.lower() in MONTHS}
        days |= {f"day:{MONTHS[m.lower()]}-{int(d)}" for d, m in _DAY_MONTH.findall(text) if m.lower() in MONTHS}
        return dates_in(text) | {f"year:{y}" for y in _YEAR.findall(text)} | days

    mine, theirs = of(sentence), of(quote)
    out: list[tuple[Label, str]] = []
    for date in sorted(mine - theirs):
        kind = date.split(":")[0] if ":" in date else "weekday"
        same_kind = any((t.split(":")[0] if ":" in t else "weekday") == kind for t in theirs)
        shown = date.replace("month:", "month ").replace("year:", "").replace("day:", "day ")
        out.append(("contradicted" if related and same_kind else "unsupported",
                    f"date {shown} is not in the quote" + (" (it gives another)" if same_kind else "")))
    return out


def _same_lemma(a: str, b: str) -> bool:
    """One predicate: the same lemma or stem, or two words on the same side of an opposite pair ("beat", "defeat")."""
    return a == b or stem(a) == stem(b) or any(a in side and b in side for pair in _OPPOSITES for side in pair[:2])


def _overlap(a: tuple[Name, ...], b: tuple[Name, ...]) -> bool:
    return any(names_same(x.text, y.text) for x in a for y in b)


def _compatible(a: Frame, b: Frame) -> bool:
    """Two frames could be about the same act: their actors are not two different named parties."""
    return not (a.actor and b.actor) or _overlap(a.actor, b.actor)


def _polarity(s: _Side, q: _Side) -> list[tuple[Label, str]]:
    for mine in (f for f in s.frames if not f.nominal):
        same = [f for f in q.frames if _same_lemma(f.lemma, mine.lemma) and _compatible(mine, f) and not f.nominal]
        if same and all(f.negated != mine.negated for f in same):
            said = "negated" if mine.negated else "affirmed"
            return [("contradicted", f"polarity: the sentence has '{mine.lemma}' {said}, the quote the opposite")]
    return []


def _opposites(s: _Side, q: _Side) -> list[tuple[Label, str]]:
    for mine in (f for f in s.frames if not f.nominal):
        for side_a, side_b, converse in _OPPOSITES:
            for own, other in ((side_a, side_b), (side_b, side_a)):
                if mine.lemma not in own or any(f.lemma == mine.lemma or stem(f.lemma) == stem(mine.lemma)
                                                for f in q.frames):
                    continue
                for theirs in (f for f in q.frames if f.lemma in other and f.negated == mine.negated and not f.nominal):
                    if converse and (_overlap(mine.actor, theirs.target) or _overlap(mine.target, theirs.actor)):
                        continue  # "A beat B" and "B lost to A" say one thing
                    if _compatible(mine, theirs):
                        return [("contradicted", f"changed predicate: the sentence says '{mine.lemma}', "
                                 f"the quote '{theirs.lemma}'")]
    return []


def _roles(s: _Side, q: _Side, question: bool) -> list[tuple[Label, str]]:
    """Reversed roles, another doer, or the quote's one acted on as the sentence's doer.

    Any name in a phrase may identify a doer as the same; a role is compared by the phrase's own names, not the
    places it mentions ("the mission in Chad" is not Chad).
    """
    for mine in s.frames:
        if not mine.actor:
            continue
        alike = [f for f in q.frames if _same_lemma(f.lemma, mine.lemma)]
        if any(_overlap(mine.actor, f.actor) for f in alike):
            continue
        who = mine.actor[0].text
        for theirs in (f for f in alike if f.actor):
            if _overlap(theirs.actor_core, mine.target_core):
                if question or _overlap(theirs.target_core, mine.actor_core) or not mine.target or not theirs.target:
                    return [("contradicted", f"roles reversed: in the sentence {who} does '{mine.lemma}' to "
                             f"{mine.target[0].text if mine.target else 'someone'}; in the quote the other way round")]
                return [("unsupported", f"roles: in the quote {theirs.actor[0].text} does '{mine.lemma}', "
                         f"to {theirs.target[0].text}")]
            if not question and not mine.nominal and not theirs.nominal and _kinds_meet(mine.actor, theirs.actor) and (
                    not mine.target or not theirs.target or _overlap(mine.target, theirs.target)):
                return [("contradicted", f"roles: in the sentence {who} does '{mine.lemma}'; in the quote "
                         f"{theirs.actor[0].text} does")]
        if not question and s.doc[mine.index].pos_ == "VERB" and any(
                _overlap(f.target_core, mine.actor_core) for f in alike):
            # The quote's one acted on is the sentence's doer ("A accuses B" does not say B accuses anyone; a
            # capital stands for its country): the quote does not say it, whatever the judge reads. Not for a
            # copula's subject ("B was a target"), which is no doer, nor for questions, whose parse is less sure.
            return [("unsupported", f"roles: in the quote {who} is the one '{mine.lemma}' is done to")]
    return []


def _kinds_meet(a: tuple[Name, ...], b: tuple[Name, ...]) -> bool:
    """Two actors could stand for each other only if they are names of one kind (a country is not its minister)."""
    kinds_a, kinds_b = {n.kind for n in a}, {n.kind for n in b}
    return bool(kinds_a & kinds_b) or "other" in kinds_a | kinds_b


def _reported_only(s: _Side, q: _Side, covered: list[Token]) -> str | None:
    """The quote only reports someone saying what the sentence states as fact."""
    if any(t.lemma_.lower() in _ATTRIBUTION for t in s.doc) or _reported_region(s.doc):
        return None  # the sentence attributes (or quotes) what it says
    region = _reported_region(q.doc)
    if not region:
        return None
    matched = [t for t in _content(q.doc) if any(_keys(t) & _keys(c) for c in covered)]
    inside = [t for t in matched if t.i in region]
    if matched and len(inside) >= 0.8 * len(matched):
        return ("the quote reports this as someone's statement or allegation; the sentence states it as fact")
    return None


def _reported_region(doc: Doc) -> set[int]:
    """Tokens of clauses reported by a verb of saying or alleging, "according to" aside, and quotation marks."""
    region: set[int] = set()
    for token in doc:
        lemma = token.lemma_.lower()
        if lemma in _HEARSAY and token.dep_ == "advmod":
            # "X struck Y, reportedly to kill Z": the adverb's scope is often unclear, so its whole clause is
            # hearsay and a sentence taking any of it must carry the hedge
            clause = token.head
            while clause.pos_ not in ("VERB", "AUX") and clause.head is not clause:
                clause = clause.head
            region |= {t.i for t in clause.subtree}
            continue
        if token.pos_ == "NOUN" and stem(lemma) in _REPORTING_STEMS:
            # "X's accusations that the government shelters Y": the noun's "that" clause is X's, not the writer's
            for clause in (c for c in token.children if c.dep_ in ("acl", "ccomp") and _child_dep(c, "mark")):
                region |= {t.i for t in clause.subtree}
            continue
        if lemma in REPORTING and token.pos_ == "VERB" and not any(c.dep_ == "neg" for c in token.children):
            if lemma == "accord":
                region |= {t.i for t in doc} - {t.i for t in token.subtree}
                continue
            for child in token.children:
                if child.dep_ in ("ccomp", "xcomp", "parataxis") or (child.dep_ == "prep" and child.lower_ == "of"):
                    region |= {t.i for t in child.subtree}
            if token.dep_ in ("parataxis", "ccomp") and token.head.i != token.i:  # "…, X said."
                region |= {t.i for t in token.head.subtree} - {t.i for t in token.subtree}
    inside = False
    for token in doc:
        if token.text in ("“", "”", '"'):
            inside = token.text == "“" or (token.text == '"' and not inside)
            continue
        if inside:
            region.add(token.i)
    return region


def _child_dep(token: Token, dep: str) -> bool:
    return any(c.dep_ == dep for c in token.children)


def roles_reversed(text: str, quote: str) -> str | None:
    """Whether ``text`` (a claim or a question) has a shared predicate's actor where the quote has its target.

    "Which group did A accuse B of harbouring?" is not answered by "B accuses A's rulers of harbouring C", however
    well that sentence is supported.
    """
    found = _roles(_side(text), _side(quote), question=True)
    return found[0][1] if found else None
