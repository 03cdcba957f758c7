"""Stage 4: attributed claims and the responses to them, paired by rules (no model).

A claim is a clause where a party accuses, alleges, claims or argues something about another party; a
response is a clause where a party denies, rejects, dismisses, insists, resists, or says it has not. Who
speaks is the party named nearest before the verb (or after "said"); the target is the other party named
after it. Claims by the same party against the same party about the same thing (shared topic words) form
one contested point; its responses are the target's statements that share its topic (same sentence, same
article and "the allegations" count in their favour). A point nobody answered says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel

from rag.briefing.evidence import Candidate
from rag.briefing.models import ContestedPoint, Side
from rag.text import tokenize

# Parties and the names the sources use for them, longest first (a party's officials speak for it).
PARTIES: dict[str, list[str]] = {
    "Afghanistan": ["Taliban Ministry of Interior", "Taliban government", "Taliban officials", "Taliban spokesperson",
                    "Afghan government", "Afghan Taliban", "Afghan side", "Zabihullah Mujahid", "Mujahid",
                    "Afghanistan", "Kabul", "the Taliban", "Taliban"],
    "Pakistan": ["Pakistan’s Foreign Office", "Pakistani defense minister", "Pakistani government", "Pakistani officials",
                 "Pakistani official", "Pakistani military", "Pakistani politicians", "Khwaja Asif", "Foreign Office",
                 "Islamabad", "Pakistan"],
}
# Armed groups named in many ways; replaced by one token so "TTP" and "Tehrik-e-Taliban Pakistan" match,
# and never mistaken for the party inside their name.
GROUPS: dict[str, str] = {
    r"Tehr(?:ee|i)k-e-Taliban Pakistan(?: \(TTP\))?|Pakistani Taliban|\bTTP\b": "TTP",
    r"Islamic State’s Khorasan branch|Islamic State Khorasan|ISIS-K|\bISKP\b": "ISISK",
    r"Balochistan Liberation Army|Baloch separatists": "BLA",
}
_GENERIC = frozenset(tokenize(
    "tension tensions border cross clashes clash conflict neighbors neighbor two countries new wave deadly "
    "escalating following amid also more recently latest repeated first time not only but government afghan "
    "pakistani pakistan afghanistan kabul islamabad taliban accuse accused accusations allegations claim"))
_CLAIM = re.compile(r"\b(?:accus(?:e|es|ed|ing)|accusations? (?:that|—)|alleg(?:e|es|ing)|alleged (?=that\b)|"
                    r"claim(?:s|ed|ing)?|assert(?:s|ed)?)\b|’s argument is that")
_NEGATED_CLAIM = re.compile(r"\b(?:not|never)\s+(?:\w+\s+){0,2}(?:accus|alleg|claim)")
_RESPONSE = re.compile(r"\b(?:den(?:y|ies|ied|ying)|reject(?:s|ed|ing)?|dismiss(?:es|ed|ing)?|insist(?:s|ed)?|"
                       r"refut\w*|rebuff\w*|resist(?:s|ed)?)\b|’s argument, on the other hand")
_DENIAL = re.compile(r"\b(?:has|have|had|did|does|do) not\b|\bnever\b")
_ANAPHOR = re.compile(r"\b(?:the|these|those|such) (?:allegations|accusations|claims|charges)\b")
_PRONOUN_OBJECT = re.compile(r"\b(?:den(?:y|ies|ied)|reject(?:s|ed)?|dismiss(?:es|ed)?|resist(?:s|ed)?) (?:it|this)\b")
_SPLIT = re.compile(r",? while |; |, and (?=(?:the )?(?:Afghanistan|Pakistan|Kabul|Islamabad|Taliban)\b)")
_LOCATIVE = re.compile(r"\b(?:in|over|on|near|around|to|into|across|inside|from|of|at)\s+$")
MIN_PAIR_SCORE = 3
_PROPER = re.compile(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+)*(?:’s|'s)?")
_NOT_PARTIES = frozenset("The A An This That These Those It Its He She They We I In On At By For From To Of And But Or As "
                         "According However Meanwhile Also Both Some Many Several Local Officials Residents".split())
_GROUP_TOKENS = frozenset(tokenize(" ".join(GROUPS.values())))


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
    sentence: Candidate


class ClaimsArtifact(BaseModel):
    statements: list[Statement]
    points: list[ContestedPoint]


def _masked(text: str) -> tuple[str, str]:
    """``text`` with group names blanked (same length) for party search, and with group tokens for topics."""
    blank, topical = text, text
    for pattern, token in GROUPS.items():
        blank = re.sub(pattern, lambda m: "#" * len(m.group()), blank)
        topical = re.sub(pattern, f" {token} ", topical)
    return blank, topical


def find_mentions(text: str) -> list[Mention]:
    """Parties named in ``text``: the known ones by their aliases; failing those, capitalised names as parties."""
    blank, _ = _masked(text)
    taken: list[tuple[int, int]] = []
    mentions: list[Mention] = []
    names = sorted(((n, p) for p, ns in PARTIES.items() for n in ns), key=lambda x: -len(x[0]))
    for name, party in names:
        for match in re.finditer(rf"\b{re.escape(name)}(?:’s|'s)?\b", blank):
            if any(match.start() < e and s < match.end() for s, e in taken):
                continue
            taken.append(match.span())
            mentions.append(Mention(party=party, text=name, start=match.start(), end=match.end()))
    if not mentions:
        for match in _PROPER.finditer(blank):
            name = re.sub(r"(?:’s|'s)$", "", match.group())
            if name.split()[0] not in _NOT_PARTIES:
                mentions.append(Mention(party=name, text=name, start=match.start(), end=match.end()))
    return sorted(mentions, key=lambda m: m.start)


def topic_words(text: str) -> list[str]:
    _, topical = _masked(text)
    return sorted({w for w in tokenize(topical) if w not in _GENERIC and not w.isdigit() and len(w) > 2})


def _clauses(text: str) -> list[tuple[int, int]]:
    cuts = [(m.start(), m.end()) for m in _SPLIT.finditer(text)]
    starts, ends = [0, *(e for _, e in cuts)], [*(s for s, _ in cuts), len(text)]
    return list(zip(starts, ends, strict=True))


def _speaker(clause: str, verb_start: int, mentions: Sequence[Mention]) -> Mention | None:
    before = [m for m in mentions if m.end <= verb_start and not _LOCATIVE.search(clause[: m.start])]
    if before:
        return before[-1]
    said = re.search(r"\b(?:said|stated)\s+(?:a |an |the )?", clause)
    after = [m for m in mentions if said and m.start >= said.start()]
    if after:
        return after[0]
    said_by = re.search(r"\b(?:said|stated)\s+(?:a |an |the )?(?:senior |top )?(\w+)", clause)
    if said_by:
        party = next((p for p, names in PARTIES.items() if said_by.group(1).startswith(p[:-2] if p == "Pakistan" else p)),
                     None)
        if party:
            return Mention(party=party, text=said_by.group(1), start=said_by.start(1), end=said_by.end(1))
    return None


def extract_statements(candidates: Sequence[Candidate]) -> list[Statement]:
    """Claims and responses in the candidate sentences (headings, captions and questions skipped)."""
    statements: list[Statement] = []
    for candidate in candidates:
        if candidate.heading or candidate.caption or candidate.question:
            continue
        for start, end in _clauses(candidate.text):
            clause = candidate.text[start:end]
            mentions = find_mentions(clause)
            if not mentions:
                continue
            statement = _statement(candidate, clause, start, end, mentions)
            if statement is not None:
                statements.append(statement)
    return statements


def _statement(candidate: Candidate, clause: str, start: int, end: int,
               mentions: Sequence[Mention]) -> Statement | None:
    claim, response = _CLAIM.search(clause), _RESPONSE.search(clause)
    kind, verb = ("claim", claim) if claim and not (response and response.start() < claim.start()) else (
        "response", response)
    if verb is None and _DENIAL.search(clause) and re.search(r"\b(?:said|stated|statement)\b", clause):
        kind, verb = "response", _DENIAL.search(clause)
    if verb is None or (kind == "claim" and _NEGATED_CLAIM.search(clause)):
        return None
    denial = kind == "response" and not _RESPONSE.search(clause)
    speaker = _speaker(clause, mentions[0].end if denial else verb.start() + (2 if clause[verb.start()] == "’" else 0),
                       mentions)
    if speaker is None:
        return None
    others = [m.party for m in mentions if m.start >= verb.start() and m.party != speaker.party]
    parties = set(PARTIES) - {speaker.party}
    known = speaker.party in PARTIES
    target = others[0] if others else (next(iter(parties)) if known and len(parties) == 1 else None)
    names = {w for m in mentions for w in tokenize(m.text)}
    return Statement(kind=kind, speaker=speaker, target=target, clause_start=start, clause_end=end,
                     topic=[w for w in topic_words(clause) if w not in names], sentence=candidate)


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
    """Contested points: claims grouped by (speaker, target, topic), each with its best-matching responses."""
    claims = [s for s in statements if s.kind == "claim" and s.target]
    responses = [s for s in statements if s.kind == "response"]
    groups: list[list[Statement]] = []
    for claim in _inherit_groups(claims):
        home = max((g for g in groups if _joins(claim, g)), key=lambda g: _overlap(claim, g), default=None)
        if home is None:
            groups.append([claim])
        else:
            home.append(claim)
    points = []
    for group in groups:
        topic = set().union(*(set(c.topic) for c in group))
        ranked = sorted(((_pair_score(group, topic, r), i, r) for i, r in enumerate(responses)
                         if r.speaker.party == group[0].target), key=lambda x: (not _explicit(x[2]), -x[0], x[1]))
        chosen = [r for score, _, r in ranked if score >= MIN_PAIR_SCORE]
        points.append(ContestedPoint(
            topic=_label(group), claim=_side(_representatives(group)),
            response=_side(chosen) if chosen else None))
    return points


def group_tokens(statement: Statement) -> set[str]:
    return set(statement.topic) & _GROUP_TOKENS


def _inherit_groups(claims: Sequence[Statement]) -> list[Statement]:
    """A claim naming no group continues the one just before it (same article and party, ≤2 sentences back)."""
    result: list[Statement] = []
    for claim in claims:
        previous = result[-1] if result else None
        if (not group_tokens(claim) and previous is not None and group_tokens(previous)
                and previous.sentence.article_id == claim.sentence.article_id
                and previous.speaker.party == claim.speaker.party
                and 0 < claim.sentence.position - previous.sentence.position <= 2):
            claim = claim.model_copy(update={"topic": sorted(set(claim.topic) | group_tokens(previous))})
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
    """Shared topic words (twice for the response's own clause), same article, "the allegations", same sentence."""
    score = 2 * len(topic & set(response.topic)) + len(_context_overlap(topic, response) - set(response.topic))
    if any(c.sentence.article_id == response.sentence.article_id for c in group):
        score += 1
        if _ANAPHOR.search(response.sentence.text):
            score += 2
    if any(c.sentence.key() == response.sentence.key() for c in group):
        score += 3
    return score


def _explicit(response: Statement) -> bool:
    """An explicit "rejected"/"denies" (shown first) rather than an implied "has not"."""
    return bool(_RESPONSE.search(response.sentence.text[response.clause_start : response.clause_end]))


def _context_overlap(topic: set[str], response: Statement) -> set[str]:
    """For "… denies it": topic words of the response's sentence and the one before (the antecedent)."""
    if not _PRONOUN_OBJECT.search(response.sentence.text):
        return set()
    context = f"{response.sentence.previous_text or ''} {response.sentence.text}"
    return topic & set(topic_words(context))


def _label(group: Sequence[Statement]) -> str:
    groups = sorted({t for c in group for t in tokenize(_masked(c.sentence.text)[1]) if t in ("ttp", "isisk", "bla")})
    names = {"ttp": "the TTP", "isisk": "ISIS-K", "bla": "the BLA"}
    about = f" ({', '.join(names[g] for g in groups)})" if groups else ""
    return f"{group[0].speaker.party} accuses {group[0].target}{about}"
