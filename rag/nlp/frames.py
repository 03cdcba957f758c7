"""Who does what to whom in a parsed sentence: one frame per predicate, from the dependency parse.

A frame is a predicate's lemma, the names of its actor and its target, and whether it is negated. The actor is
the nominal subject, or for a passive ("was hit by X", "homes damaged by X") the agent; a relative pronoun stands
for the noun it modifies ("the group that attacked"); a verb joined by "and" or under "began to" shares the
subject of the verb it hangs from. The target is the direct object, the passive subject, or the object of
"of"/"against" ("accused X of", "sanctions against X"). Names of an argument are the names in its noun phrase, its
apposition and its possessor ("Rwanda's foreign minister, Olivier Nduhungirehe" names both). A copula with a complement
("is not safe") is a frame of the complement.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from rag.nlp.names import Name, names

_RELATIVE = frozenset({"who", "which", "that", "whom", "whose"})
_LINKING = frozenset({"become", "remain", "seem", "appear", "stay"})
"""Verbs that link a subject to a complement as "be" does: "will become the first city" is a frame of "city"."""
_SHARE_SUBJECT = ("conj", "xcomp", "advcl")
_ARG_SKIP = frozenset({"relcl", "acl", "advcl", "ccomp", "punct", "cc"})
_BELONGING = frozenset({"of", "from"})
"""Prepositions by which a noun phrase says whose or from where its head is (the others place it)."""


@dataclass(frozen=True)
class Frame:
    lemma: str
    actor: tuple[Name, ...]
    target: tuple[Name, ...]
    negated: bool
    index: int
    """The predicate's token offset."""
    passive: bool
    nominal: bool = False
    """An act named by a noun ("the ministry's accusations that …", "rebel attacks on the town"): roles, no polarity."""
    actor_core: tuple[Name, ...] = ()
    """The actor's names less those that only place it ("the mission in Chad"): what a role is compared by."""
    target_core: tuple[Name, ...] = ()


_NEGATORS = frozenset({"not", "n't", "never", "no"})


def _negator(token: Token) -> bool:
    return token.dep_ == "neg" or token.lower_ in _NEGATORS and token.dep_ in ("preconj", "det", "advmod")


def negated(token: Token) -> bool:
    """A negating dependent ("not", "never", "n't", "no casualties"), or an adverb it negates ("no longer")."""
    return any(_negator(c) or c.dep_ == "advmod" and any(_negator(g) for g in c.children) for c in token.children)


def child(token: Token, *deps: str) -> Token | None:
    """The token's first dependent with one of ``deps`` ("nsubj", "dobj", …), or ``None``."""
    return next((c for c in token.children if c.dep_ in deps), None)


def _arg_tokens(head: Token, core: bool = False) -> set[int]:
    """The noun phrase of an argument: its subtree, less relative clauses and other clauses hung on it.

    ``core``: less also the places it is said to be at. "The mission in Chad condemned the strikes in Goma": any
    name in the phrase may identify the doer, but the doer is the mission (not Chad) and the target the strikes (not
    Goma); "the minister of Chad", "troops from Chad" keep whose they are.
    """
    out = {head.i}
    for dependent in head.children:
        if dependent.dep_ in _ARG_SKIP or (core and dependent.dep_ == "prep" and dependent.lower_ not in _BELONGING):
            continue
        out |= _arg_tokens(dependent, core)
    return out


def _names_of(head: Token | None, found: list[Name], core: bool = False) -> tuple[Name, ...]:
    if head is None:
        return ()
    if head.lower_ in _RELATIVE and head.head.dep_ == "relcl":
        head = head.head.head  # the noun the relative clause modifies
    span = _arg_tokens(head, core)
    return tuple(n for n in found if any(i in span for i in range(n.start, n.end)))


def verb_subject(verb: Token) -> tuple[Token | None, bool]:
    """The subject token (the agent for a passive) and whether the predicate is passive."""
    token: Token | None = verb
    misattached = False
    for _ in range(6):
        if token is None:
            break
        if misattached and token.dep_ == "ccomp" and token.head is not token:
            token = token.head  # up to the clause that reports the whole complement, past the ones inside it
            continue
        passive = child(token, "nsubjpass") is not None or (
            token.tag_ == "VBN" and token.dep_ == "acl") or child(token, "auxpass") is not None
        if passive and token is not verb and child(verb, "dobj") is not None:
            # "…stated that checks indicate drones were used and accused X": an active verb with an object
            # does not take a passive clause's subject (the parser attached it one clause too low); the clause
            # that reports both has the actor
            misattached = True
            token = token.head if token.dep_ in (*_SHARE_SUBJECT, "ccomp") and token.head is not token else None
            continue
        if passive:
            agent = child(token, "agent")
            return (child(agent, "pobj") if agent is not None else None), True
        subjects = [c for c in token.children if c.dep_ in ("nsubj", "csubj", "expl")]
        if subjects:  # "Which group did A accuse …": the named subject is the actor
            return next((c for c in subjects if c.pos_ == "PROPN" or c.ent_type_), subjects[0]), False
        if token.dep_ == "relcl":
            if token.head.dep_ in ("attr", "oprd") and token.head.head is not token.head:
                token = token.head.head  # "X became the first Y to win": the one the noun is said of won
                continue
            return token.head, False
        climb = (*_SHARE_SUBJECT, "ccomp") if token is not verb else _SHARE_SUBJECT
        token = token.head if token.dep_ in climb and token.head is not token else None
    return None, False


def verb_target(verb: Token, passive: bool) -> Token | None:
    """What a verb is done to: its passive subject, direct object, or the object of "of"/"against"."""
    if passive:
        own = child(verb, "nsubjpass")
        if own is None and verb.dep_ == "acl":
            return verb.head  # "homes damaged by the strikes"
        return own
    direct = child(verb, "dobj", "dative")
    if direct is not None and direct.pos_ != "PRON":
        return direct
    for prep in (c for c in verb.children if c.dep_ == "prep" and c.lower_ in ("of", "against")):
        obj = child(prep, "pobj")
        if obj is not None:
            return obj
    return None


def frames(doc: Doc) -> list[Frame]:
    """The predicates of ``doc`` with their actor, target and polarity, in order."""
    found = names(doc)
    out: list[Frame] = []
    for token in doc:
        if token.pos_ == "VERB" or (token.pos_ == "AUX" and token.dep_ in ("ROOT", "conj", "ccomp")):
            lemma, predicate = token.lemma_.lower(), token
            if token.pos_ == "AUX" or token.lemma_.lower() in _LINKING:  # the frame of its complement ("is not safe")
                complement = child(token, "acomp", "attr", "oprd")
                if complement is None:
                    if token.pos_ == "AUX":
                        continue
                else:
                    lemma, predicate = complement.lemma_.lower(), complement
            subject, passive = verb_subject(token)
            neg = negated(token) or negated(predicate) or any(
                negated(a) for a in token.children if a.dep_ in ("aux", "auxpass"))
            target = verb_target(token, passive) if token.pos_ == "VERB" else None
            out.append(Frame(lemma, _names_of(subject, found), _names_of(target, found), neg, predicate.i, passive,
                             actor_core=_names_of(subject, found, core=True),
                             target_core=_names_of(target, found, core=True)))
        elif token.pos_ == "NOUN":
            nominal = _nominal(token, found)
            if nominal is not None:
                out.append(nominal)
    return out


def _nominal(noun: Token, found: list[Name]) -> Frame | None:
    """An act named by a noun, when the noun has a named doer (its possessor, or a name compounded with it).

    Its target is the object of "on"/"against"/"of", or the subject of the clause it introduces ("accusations that
    the government shelters …").
    """
    doer = child(noun, "poss") or next((c for c in noun.children if c.dep_ in ("compound", "nmod") and (
        c.pos_ == "PROPN" or c.ent_type_)), None) or next((c for c in noun.children if c.dep_ == "amod" and
                                                          c.ent_type_ == "NORP"), None)
    target = next((g for c in noun.children if c.dep_ == "prep" and c.lower_ in ("on", "against", "of")
                   for g in c.children if g.dep_ == "pobj"), None)
    if target is None:
        clause = child(noun, "acl", "ccomp", "relcl")
        if clause is not None and child(clause, "mark") is not None:
            target = child(clause, "nsubj", "nsubjpass")
    actor = _names_of(doer, found) if doer is not None else ()
    if not actor:
        return None
    return Frame(noun.lemma_.lower(), actor, _names_of(target, found), False, noun.i, False, nominal=True,
                 actor_core=_names_of(doer, found, core=True), target_core=_names_of(target, found, core=True))


def described_speakers(doc: Doc, lemmas: Collection[str]) -> list[Span]:
    """Speakers described rather than named, of the verbs with one of ``lemmas`` that report a clause.

    "…,” said a senior official" → "a senior official" (for ``say``): the noun phrase of a common-noun subject (a
    passive's agent), less what is hung on it (relative clauses, places), of a verb with a clausal complement (what
    was said, warned or claimed), so the subject is someone who speaks; a named or pronoun speaker is not one, and
    "drones carried out the strikes" has none.
    """
    found = []
    for token in doc:
        if token.pos_ != "VERB" or token.lemma_.lower() not in lemmas or child(token, "ccomp") is None:
            continue
        subject, _ = verb_subject(token)
        if subject is not None and subject.pos_ == "NOUN":
            phrase = sorted(_arg_tokens(subject, core=True))
            found.append(doc[phrase[0] : phrase[-1] + 1])
    return found
