"""Speech acts in a parsed sentence: who accuses or denies, about whom, from the dependency parse.

A claim is a verb whose lemma is an accusation (accuse, allege, claim, …, or maintain/contend with a reported
clause); a response a verb of refusal (deny, reject, dispute, object to, …) or "X said … (not) …" with a negated
complement. The speaker is the verb's nominal subject (for a
passive, the agent), climbing through "begun to accuse", "… and accused", "…, accusing" to the clause that has
one; the target is the object, the object of "of"/"against", or the subject of the reported clause. A verb
with a ``neg`` dependent ("did not accuse") is no speech act. The same act as a noun with its speaker as
possessor, the subject of a copula whose complement is the reported clause ("X's argument is that Y …") or taking the
reported clause itself ("objects to X's claim that Y …"), is a claim by X.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from rag.nlp.frames import child, frames, verb_target
from rag.nlp.parse import parse
from rag.text import normalize

CLAIM_LEMMAS = frozenset({"accuse", "allege", "claim", "assert", "argue", "charge", "blame"})
CLAUSE_CLAIM_LEMMAS = frozenset({"maintain", "contend"})
"""Verbs that make a claim only with a reported clause: "has maintained that Y armed Z", not "maintained the road".
"Insist" is left out: it restates a side's position against the other's ("while Y insists that …"), an answer
more than a claim; counted as a claim it displaced a fuller exchange in the seed briefing (its gate's kp07)."""
RESPONSE_LEMMAS = frozenset({"deny", "reject", "dismiss", "refute", "rebuff", "dispute", "contest"})
OBJECTION_LEMMAS = frozenset({"object"})
"""Verbs of refusal with "to": "X objects to Y's claim that …"."""
SAY_LEMMAS = frozenset({"say", "state"})
CLAIM_NOUN_LEMMAS = frozenset({"argument", "claim", "accusation", "allegation", "contention", "charge", "assertion"})
"""Nouns of the same acts, for "X's argument is that …": the possessor speaks, the reported clause is the claim."""
ACCUSATION_LEMMAS = frozenset({"accuse", "allege", "charge", "blame", "accusation", "allegation"})
"""Claims that always accuse; the others accuse when the reported clause's doer is named (:attr:`SpeechAct.accusation`)."""
PARTY_LABELS = frozenset({"PERSON", "ORG", "NORP", "GPE"})
_SUBJECTS = ("nsubj", "nsubjpass")
_CLIMB = ("xcomp", "conj", "advcl", "ccomp")
_OWN_CLAUSE = ("conj", "advcl", "parataxis")
_NOT_CORE = frozenset({"relcl", "acl", "appos", "advcl", "ccomp", "punct", "cc", "conj", "prep"})


@dataclass(frozen=True)
class SpeechAct:
    """One claim or response in a sentence (offsets are characters in the parsed text)."""

    kind: str
    """``"claim"`` or ``"response"``."""
    verb: Token
    speaker: Span | None
    target: Span | None
    start: int
    end: int
    explicit: bool
    """A verb of refusal (or accusation), not an implied "said … has not"."""
    pronoun_object: bool
    """"denies it": the antecedent is in an earlier sentence."""
    continued: tuple[tuple[Span | None, int], ...] = ()
    """Clauses joined after the act's own that have a subject of their own ("X objects …; the X government describes
    … and has downplayed …"), in order: that subject's party (``None`` for a pronoun, the speaker continuing) and the
    character where the clause ends. Whoever knows the parties may extend the act over those the speaker says."""
    accusation: bool = True
    """The act accuses: an accusing verb or noun, or a reported clause whose doer is a named party ("claims that Y
    shelled …"); not one whose doer is a pronoun, the speaker itself as a rule ("claims that he brokered the truce"),
    or a thing ("maintains that such operations are limited to its airspace")."""


def negated(token: Token) -> bool:
    return any(dependent.dep_ == "neg" for dependent in token.children)


def _subject(verb: Token) -> tuple[Token | None, bool]:
    """The verb's subject (climbing to the governing clause when it has none) and whether the verb is passive."""
    token: Token | None = verb
    while token is not None:
        passive = child(token, "nsubjpass")
        if passive is not None:
            agent = child(token, "agent")
            return (child(agent, "pobj") if agent is not None else None), True
        subject = child(token, "nsubj")
        if subject is not None:
            return subject, False
        token = token.head if token.dep_ in _CLIMB and token.head is not token else None
        while token is not None and token.dep_ == "ccomp" and token.head is not token and token is not verb:
            token = token.head  # "alleged that Y has …, further claiming": the speaker, not Y
    return None, False


def _target(verb: Token, passive: bool) -> Token | None:
    """The verb's target (:func:`rag.nlp.frames.verb_target`, or what it objects to), else the reported subject.

    The subject of the clause it reports, when it has no target of its own. A rejected or disputed claim's owner is
    the target: "rejects Y's accusation" answers Y.
    """
    found = verb_target(verb, passive)
    if found is None and verb.lemma_ in OBJECTION_LEMMAS:
        found = _object_of_to(verb)
    if found is not None and found.lemma_ in CLAIM_NOUN_LEMMAS:
        owner = child(found, "poss")
        if owner is not None and owner.pos_ != "PRON":
            return owner
    if found is not None or passive:
        return found
    reported = child(verb, "ccomp")
    return child(reported, *_SUBJECTS) if reported is not None else None


def _object_of_to(verb: Token) -> Token | None:
    """The object of the verb's "to" ("objects to Y's claim" → claim)."""
    return next((child(p, "pobj") for p in verb.children if p.dep_ == "prep" and p.lower_ == "to"), None)


def _objection(verb: Token) -> bool:
    """"X objects to …": a verb of refusal that takes its object with "to"."""
    return verb.lemma_ in OBJECTION_LEMMAS and _object_of_to(verb) is not None


def core_tokens(head: Token) -> list[Token]:
    """A noun phrase's head with its modifiers ("the Pakistani defense minister"), clauses and appositions left out."""
    tokens = [head]
    for dependent in head.children:
        if dependent.dep_ not in _NOT_CORE:
            tokens += core_tokens(dependent)
        elif dependent.dep_ == "prep" and dependent.lower_ in ("of", "in", "for", "from"):
            tokens.append(dependent)
            tokens += [t for g in dependent.children if g.dep_ == "pobj" for t in core_tokens(g)]
    return sorted(tokens, key=lambda t: t.i)


def party_span(head: Token) -> Span | None:
    """The name a noun phrase gives its party: the entity at its head, else in its modifiers, else its proper noun."""
    doc = head.doc
    core = {t.i for t in core_tokens(head)}
    entities = [e for e in doc.ents if e.label_ in PARTY_LABELS and any(t.i in core for t in e)]
    own = [e for e in entities if e.start <= head.i < e.end]
    if own or entities:
        return (own or entities)[0]
    if head.pos_ == "PROPN":
        names = [t for t in core_tokens(head) if t.pos_ == "PROPN" and t.dep_ in ("compound", "flat") or t is head]
        return doc[min(t.i for t in names) : max(t.i for t in names) + 1]
    return None


def _denial(verb: Token) -> bool:
    """"X said the report was false" / "… has not carried out": a saying verb whose reported clause is negated."""
    reported = child(verb, "ccomp")
    return verb.lemma_ in SAY_LEMMAS and reported is not None and negated(reported)


def _clause(verb: Token, speaker: Token | None) -> tuple[int, int]:
    """Character span of the verb's clause: its subtree, less the clauses joined to it that have their own subject."""
    cut = {t.i for c in verb.subtree if c.dep_ in _OWN_CLAUSE and c.i > verb.i and child(c, *_SUBJECTS) is not None
           and c.lemma_ not in SAY_LEMMAS and c.head.dep_ != "ccomp" for t in c.subtree}
    tokens = [t for t in verb.subtree if not cut or t.i < min(cut)]
    if speaker is not None:
        tokens += list(speaker.subtree)
    first, last = min(t.i for t in tokens), max(t.i for t in tokens)
    doc = verb.doc
    while last > first and (doc[last].is_punct or doc[last].dep_ in ("cc", "mark")) and doc[last].text not in "”’\"":
        last -= 1
    return doc[first].idx, doc[last].idx + len(doc[last].text)


def _continued(verb: Token, end: int) -> tuple[tuple[Span | None, int], ...]:
    """The clauses joined to ``verb`` after ``end`` that have their own subject (:attr:`SpeechAct.continued`).

    A clause the parser hung ``verb`` on, when it comes after it, counts too: across a semicolon the small parser
    often makes the first clause the complement of the second ("X objects to …; the X government describes …").
    """
    found = []
    joined = [c for c in verb.children if c.dep_ in _OWN_CLAUSE]
    if verb.dep_ in ("ccomp", "parataxis", "conj") and verb.head.i > verb.i:
        joined.append(verb.head)
    for clause in joined:
        subject = child(clause, *_SUBJECTS)
        if clause.i < verb.i or subject is None or clause.idx < end:
            continue
        last = max(t.i for t in clause.subtree)
        while last > clause.i and clause.doc[last].is_punct:
            last -= 1
        tail = clause.doc[last]
        found.append((None if subject.pos_ == "PRON" else party_span(subject), tail.idx + len(tail.text)))
    return tuple(sorted(found, key=lambda item: item[1]))


def speech_acts(doc: Doc) -> list[SpeechAct]:
    """The claims and responses in ``doc``, in order."""
    acts = [act for act in map(_nominal_claim, doc) if act is not None]
    for verb in doc:
        if verb.pos_ not in ("VERB", "AUX"):
            continue
        if verb.lemma_ in CLAIM_LEMMAS or (verb.lemma_ in CLAUSE_CLAIM_LEMMAS and child(verb, "ccomp") is not None):
            kind, explicit = "claim", True
        elif verb.lemma_ in RESPONSE_LEMMAS or _objection(verb):
            kind, explicit = "response", True
        elif _denial(verb):
            kind, explicit = "response", False
        else:
            continue
        if explicit and negated(verb):
            continue
        subject, passive = _subject(verb)
        target = _target(verb, passive)
        speaker = party_span(subject) if subject is not None else None
        obj = child(verb, "dobj")
        start, end = _clause(verb, subject)
        continued = _continued(verb, end)
        acts.append(SpeechAct(
            kind=kind, verb=verb, speaker=speaker, target=party_span(target) if target is not None else None,
            start=start, end=end, explicit=explicit, pronoun_object=obj is not None and obj.pos_ in ("PRON", "DET"),
            accusation=_accuses(verb, child(verb, "ccomp")), continued=continued))
    return sorted(acts, key=lambda a: a.start)


def _nominal_claim(noun: Token) -> SpeechAct | None:
    """"X's argument is that Y has sanctuaries in Z", "… X's claim that Y …": a claim by X, the possessor.

    The reported clause is the copula's complement, or the "that" clause the noun itself takes. A possessive pronoun
    ("its accusation that …") stands for the party :func:`_antecedent` finds. Its target is the place or party the
    reported clause names (a place first: the claim is about what happens there), else nobody named.
    """
    if noun.pos_ != "NOUN" or noun.lemma_ not in CLAIM_NOUN_LEMMAS:
        return None
    owner = child(noun, "poss")
    if owner is None:
        return None
    if noun.dep_ == "nsubj" and noun.head.lemma_ == "be" and child(noun.head, "ccomp") is not None:
        copula = noun.head
        if negated(copula):
            return None
        reported = child(copula, "ccomp")
        start, end = _clause(copula, None)
    else:
        reported = next((c for c in noun.children if c.dep_ in ("acl", "ccomp")
                         and any(m.dep_ == "mark" and m.lower_ == "that" for m in c.children)), None)
        if reported is None:
            return None
        tokens = list(noun.subtree)
        start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
    speaker = party_span(owner) if owner.pos_ != "PRON" else _antecedent(noun)
    inside = {t.i for t in reported.subtree}
    named = [e for e in noun.doc.ents if e.label_ in PARTY_LABELS and e.start in inside
             and (speaker is None or e.text != speaker.text)]
    named.sort(key=lambda e: (e.label_ != "GPE", e.start))
    return SpeechAct(kind="claim", verb=noun, speaker=speaker, target=named[0] if named else None, start=start,
                     end=end, explicit=True, pronoun_object=False, accusation=_accuses(noun, reported))


def _accuses(act: Token, reported: Token | None) -> bool:
    """Whether a claim accuses (:attr:`SpeechAct.accusation`)."""
    if act.lemma_.lower() in ACCUSATION_LEMMAS or reported is None:
        return True
    doer = child(reported, *_SUBJECTS)
    return doer is not None and doer.pos_ != "PRON" and party_span(doer) is not None


def _antecedent(noun: Token) -> Span | None:
    """Who "its"/"their" on ``noun`` stands for, or nobody.

    The last party before it in the sentence that is a subject or a subject's possessor ("Y's support … mirrors its
    accusation" → Y, "Y said its claim …" → Y).
    """
    for token in reversed(noun.doc[: noun.i]):
        if token.pos_ == "PRON" or token.dep_ not in ("nsubj", "nsubjpass", "poss"):
            continue
        if token.dep_ == "poss" and token.head.dep_ not in ("nsubj", "nsubjpass", "ROOT"):
            continue
        found = party_span(token)
        if found is not None:
            return found
    return None


def stances(text: str) -> frozenset[str]:
    """What ``text`` does as speech: ``"claim"`` when it accuses, ``"response"`` when it denies or rejects.

    From :func:`speech_acts` over its parse. A claim here is a verb that accuses ("accused X of", "claimed that Y
    shelled …") or a speaker's accusation ("X's accusations that …"), not an argument, which is often a reply
    itself ("X's argument is that …"). A named party's negated act ("the ministry … has not carried out any
    strikes") answers an accusation as a denial does.
    """
    doc = parse(normalize(text))
    found = {"response" for f in frames(doc) if f.negated and f.actor and not f.nominal}
    for act in speech_acts(doc):
        if act.verb.dep_ == "amod":
            continue  # a participle that qualifies a noun ("the alleged strikes", "the disputed border") asserts nothing
        if act.kind == "response":
            found.add("response")
        elif act.verb.lemma_.lower() in ACCUSATION_LEMMAS or act.accusation and act.verb.pos_ == "VERB":
            found.add("claim")
    return frozenset(found)
