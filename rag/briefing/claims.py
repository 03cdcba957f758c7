"""Stage 4: attributed claims and the responses to them, from the dependency parse (no model, no name lists).

A claim is a clause where a party accuses, alleges, claims or argues something about another party; a
response is a clause where a party denies, rejects, dismisses or says it has not (``rag.nlp.speech``). Who the
parties are comes from the corpus (``rag.nlp.parties``): its own names, grouped by the acronyms it defines, the
countries it writes them with, and countries' capitals and demonyms. Claims by the same party against the same
party about the same thing (the same third party named, or shared topic lemmas) form one contested point; its
responses are the target's statements that share its topic (same sentence, same article and "the
allegations" count in their favour). A point nobody answered says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel
from spacy.tokens import Doc, Span

from rag.briefing.evidence import Candidate
from rag.briefing.models import ContestedPoint, Side
from rag.nlp.parse import parse_texts
from rag.nlp.parties import Parties
from rag.nlp.speech import PARTY_LABELS, SpeechAct, speech_acts

_ANAPHOR = re.compile(r"\b(?:the|these|those|such) (?:allegations|accusations|claims|charges)\b")
MIN_PAIR_SCORE = 3


class Mention(BaseModel):
    party: str
    text: str
    start: int
    end: int


class Statement(BaseModel):
    """A claim or a response clause, with who made it and about whom."""

    kind: str
    speaker: Mention
    target: str | None
    clause_start: int
    """Offsets of the clause inside the sentence."""
    clause_end: int
    topic: list[str]
    """Content lemmas of the clause, the parties' own words left out."""
    groups: list[str] = []
    """Other parties the clause names ("the NLF" in "X accuses Y of sheltering the NLF"), as they are labelled."""
    accusation: bool = True
    """A claim that accuses (:attr:`rag.nlp.speech.SpeechAct.accusation`), not one that asserts ("claims that it …")."""
    explicit: bool = True
    """An explicit "rejected"/"denies" rather than an implied "said … has not"."""
    pronoun_object: bool = False
    """"denies it": the topic is in the sentence before."""
    context_topic: list[str] = []
    """Topic lemmas of the sentence before (the antecedent of "it"), for responses with a pronoun object."""
    sentence: Candidate


class ClaimsArtifact(BaseModel):
    statements: list[Statement]
    points: list[ContestedPoint]


def _mention(parties: Parties, span: Span) -> Mention:
    base = span.doc[0].idx
    return Mention(party=parties.party(span), text=parties.name(span), start=span.start_char - base,
                   end=span.end_char - base)


def find_mentions(text: str) -> list[Mention]:
    """The parties ``text`` names (people, organisations, nationalities, places), grouped by ``text`` alone."""
    doc = parse_texts([text])[0]
    parties = Parties([doc])
    return [_mention(parties, e) for e in doc.ents if e.label_ in PARTY_LABELS]


def topic_words(doc: Doc, start: int = 0, end: int | None = None, skip: frozenset[str] = frozenset()) -> list[str]:
    """Content lemmas between character offsets ``start`` and ``end``: no stop words, numbers or names in ``skip``."""
    end = len(doc.text) if end is None else end
    return sorted({t.lemma_.lower() for t in doc if start <= t.idx < end and t.is_alpha and not t.is_stop
                   and len(t) > 2 and t.pos_ in ("NOUN", "VERB", "ADJ", "PROPN") and t.lower_ not in skip
                   and t.lemma_.lower() not in skip})


def extract_statements(candidates: Sequence[Candidate]) -> list[Statement]:
    """Claims and responses in the candidate sentences (headings, captions and questions skipped)."""
    usable = [c for c in candidates if not (c.heading or c.caption or c.question)]
    texts = sorted({c.text for c in candidates} | {c.previous_text for c in usable if c.previous_text})
    docs = dict(zip(texts, parse_texts(texts), strict=True))
    parties = Parties(list(docs.values()))
    statements: list[Statement] = []
    for candidate in usable:
        doc = docs[candidate.text]
        for act in speech_acts(doc):
            previous = docs.get(candidate.previous_text or "")
            statement = _statement(parties, candidate, doc, act, previous)
            if statement is not None:
                statements.append(statement)
    return statements


def _statement(parties: Parties, candidate: Candidate, doc: Doc, act: SpeechAct,
               previous: Doc | None) -> Statement | None:
    if act.speaker is None:
        return None
    speaker = _mention(parties, act.speaker)
    target = parties.party(act.target) if act.target is not None else None
    if target == speaker.party:
        target = None
    inside = [e for e in doc.ents if e.label_ in PARTY_LABELS and act.start <= e.start_char < act.end]
    own = {speaker.party, target}
    groups = sorted({parties.label(parties.name(e)) for e in inside if e.label_ in ("ORG", "NORP")
                     and not parties.is_country(e) and parties.party(e) not in own
                     and e.start_char != act.speaker.start_char})
    names = frozenset(w.lower() for e in (*inside, act.speaker) for w in e.text.split())
    skip = names | {act.verb.lemma_.lower()}
    context = topic_words(previous, skip=skip) if previous is not None and act.pronoun_object else []
    end = act.end
    for subject, clause_end in act.continued:  # the speaker goes on: "Chad objects …; the Chadian government says …"
        if subject is not None and parties.party(subject) != speaker.party:
            break
        end = clause_end
    return Statement(kind=act.kind, speaker=speaker, target=target, clause_start=act.start, clause_end=end,
                     accusation=act.accusation,
                     topic=topic_words(doc, act.start, act.end, skip), groups=groups, explicit=act.explicit,
                     pronoun_object=act.pronoun_object, context_topic=context, sentence=candidate)


def _side(statements: Sequence[Statement]) -> Side:
    first = statements[0]
    mention = first.speaker.text
    who = first.speaker.party if mention == first.speaker.party else f"{first.speaker.party} ({mention})"
    # Up to two quotes: other articles first (corroboration), then the same article.
    ordered = sorted(enumerate(statements), key=lambda x: (
        any(s.sentence.article_id == x[1].sentence.article_id for s in statements[: x[0]]), x[0]))
    citations = [s.sentence.citation(s.sentence.start + s.clause_start, s.sentence.start + s.clause_end)
                 for _, s in ordered[:2]]
    text = citations[0].quote
    return Side(who=who, text=text, citations=citations)


def pair_claims(statements: Sequence[Statement]) -> list[ContestedPoint]:
    """Contested points: claims grouped by (speaker, target, topic), each with its best-matching responses.

    A response is a denial or rejection by the target, or its counter-claim: a claim of its own against the speaker
    in an article of the group ("X's argument is that …; Y's argument, on the other hand, is that …"). A counter-claim
    that answers a point is shown there, not again as a point of its own.
    """
    claims = [s for s in _inherit_targets(statements) if s.kind == "claim" and s.target]
    groups: list[list[Statement]] = []
    for claim in _inherit_groups(claims):
        home = max((g for g in groups if _joins(claim, g)), key=lambda g: _overlap(claim, g), default=None)
        if home is None:
            groups.append([claim])
        else:
            home.append(claim)
    answers = {id(g): _answers(g, [s for s in statements if s.kind == "response"] + _counter_claims(g, claims))
               for g in groups}
    shown: set[int] = set()
    points = []
    for group in groups:
        if all(id(c) in shown for c in group):
            continue  # a counter-claim already shown as the answer to an earlier point
        chosen = answers[id(group)]
        shown |= {id(c) for c in group} | {id(r) for r in chosen if r.kind == "claim"}
        claims = _representatives(group)
        if chosen:  # the claim the first response answers leads: one exchange, both sides from its article
            claims.sort(key=lambda c: c.sentence.article_id != chosen[0].sentence.article_id)
        points.append(ContestedPoint(topic=_label(group), claim=_side(claims),
                                     response=_side(chosen) if chosen else None))
    return points


def _counter_claims(group: Sequence[Statement], claims: Sequence[Statement]) -> list[Statement]:
    """Claims by the group's target against its speaker, in one of the group's articles, not about another group.

    Each names a third party and none is the same: "X shelters group A" does not answer "Y backs group B".
    """
    first = group[0]
    articles = {c.sentence.article_id for c in group}
    named = set().union(*(group_tokens(c) for c in group))
    return [c for c in claims if c.speaker.party == first.target and c.target == first.speaker.party
            and c.sentence.article_id in articles
            and not (named and group_tokens(c) and not named & group_tokens(c))]


def _answers(group: Sequence[Statement], candidates: Sequence[Statement]) -> list[Statement]:
    topic = set().union(*(set(c.topic) for c in group))
    ranked = sorted(((_pair_score(group, topic, r), i, r) for i, r in enumerate(candidates)
                     if r.speaker.party == group[0].target), key=lambda x: (not _explicit(x[2]), -x[0], x[1]))
    return [r for score, _, r in ranked if score >= MIN_PAIR_SCORE]


def _inherit_targets(statements: Sequence[Statement]) -> list[Statement]:
    """A claim against an unnamed party ("accuses its neighbour") is against the one party its speaker accuses."""
    targets: dict[str, set[str]] = {}
    for s in statements:
        if s.kind == "claim" and s.target:
            targets.setdefault(s.speaker.party, set()).add(s.target)
    return [s.model_copy(update={"target": next(iter(targets[s.speaker.party]))})
            if s.kind == "claim" and not s.target and len(targets.get(s.speaker.party, ())) == 1 else s
            for s in statements]


def group_tokens(statement: Statement) -> set[str]:
    """The third parties a statement names (what keeps "X accuses Y over A" apart from "… over B")."""
    return set(statement.groups)


def _inherit_groups(claims: Sequence[Statement]) -> list[Statement]:
    """A claim naming no group continues the one just before it (same article and party, ≤2 sentences back)."""
    result: list[Statement] = []
    for claim in claims:
        previous = result[-1] if result else None
        if (not group_tokens(claim) and previous is not None and group_tokens(previous)
                and previous.sentence.article_id == claim.sentence.article_id
                and previous.speaker.party == claim.speaker.party
                and 0 < claim.sentence.position - previous.sentence.position <= 2):
            claim = claim.model_copy(update={"groups": sorted(group_tokens(previous))})
        result.append(claim)
    return result


def _overlap(claim: Statement, group: Sequence[Statement]) -> int:
    return len(set(claim.topic) & set().union(*(set(x.topic) for x in group)))


def _joins(claim: Statement, group: Sequence[Statement]) -> bool:
    """Same speaker and target; the same armed group named, or (naming none) a shared topic word."""
    first = group[0]
    if first.speaker.party != claim.speaker.party or first.target != claim.target:
        return False
    mine, theirs = group_tokens(claim), set().union(*(group_tokens(x) for x in group))
    if mine or theirs:
        return bool(mine & theirs)
    return _overlap(claim, group) >= 1


def _representatives(group: Sequence[Statement]) -> list[Statement]:
    """Claims that say most about the group's topic first (their quote is what the point shows)."""
    counts: dict[str, int] = {}
    for claim in group:
        for word in set(claim.topic):
            counts[word] = counts.get(word, 0) + 1
    return sorted(group, key=lambda c: (-sum(counts[w] > 1 for w in set(c.topic)), c.sentence.position))


def _pair_score(group: Sequence[Statement], topic: set[str], response: Statement) -> int:
    """How well ``response`` answers the group: shared words and groups, same article or sentence, "the allegations".

    Shared topic words count twice for the response's own clause; naming the same group, the same article, "the
    allegations" and the same sentence add to it.
    """
    score = 2 * len(topic & set(response.topic)) + len(_context_overlap(topic, response) - set(response.topic))
    if group_tokens(response) & set().union(*(group_tokens(c) for c in group)):
        score += 2
    if any(c.sentence.article_id == response.sentence.article_id for c in group):
        score += 1
        if _ANAPHOR.search(response.sentence.text):
            score += 2
    if any(c.sentence.key() == response.sentence.key() for c in group):
        score += 3
    return score


def _explicit(response: Statement) -> bool:
    """An explicit "rejected"/"denies" (shown first) rather than an implied "has not"."""
    return response.explicit


def _context_overlap(topic: set[str], response: Statement) -> set[str]:
    """For "… denies it": topic words of the response's sentence and the one before (the antecedent)."""
    if not response.pronoun_object:
        return set()
    return topic & set(response.context_topic)


def _label(group: Sequence[Statement]) -> str:
    groups = sorted({g for c in group for g in c.groups})
    about = f" ({', '.join(groups)})" if groups else ""
    if any(c.accusation for c in group):
        return f"{group[0].speaker.party} accuses {group[0].target}{about}"
    return f"{group[0].speaker.party}'s claim concerning {group[0].target}{about}"
