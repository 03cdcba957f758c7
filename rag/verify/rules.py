"""Cheap, explainable checks of one sentence against one quote: what rules can decide without a model.

Each check either finds a meaning change (``contradicted``), finds the quote silent on something the sentence
says (``unsupported``), or passes. A sentence that passes every check but still carries words the quote lacks is
``undecided``: the model judge decides it (see :mod:`rag.verify.judge`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from rag.nlp.countries import country_names
from rag.text import STOPWORDS, dates_in, has_word, mentions, names_in, normalize, numbers_in, stem

Label = Literal["supported", "contradicted", "unsupported", "undecided"]

NEGATIONS = frozenset("not no never n't without nor neither none nobody nothing cannot".split())
_CLAUSE_BREAKS = frozenset(", ; : — – but while whereas although though however yet".split())
# Verbs of saying and hedges carry attribution, not the claim; they may differ between sentence and quote.
_LIGHT = frozenset(
    "say said says saying state stated states statement told tell added according report reported reports "
    "reportedly also stress stressed emphasize emphasized emphasizing issue issued note noted describe described "
    "call called calling claim claimed claims express expressed official officials spokesman spokesperson "
    "recent recently latest new just".split()
)
_LIGHT_STEMS = frozenset(stem(w) for w in _LIGHT)
# Opposite predicates: a sentence with one side and a quote with only the other changes the claim.
_OPPOSITES: tuple[tuple[frozenset[str], frozenset[str]], ...] = tuple(
    (frozenset(stem(w) for w in a.split()), frozenset(stem(w) for w in b.split()))
    for a, b in (
        ("deny denied denies denial reject rejected rejects dismiss dismissed refute refuted",
         "confirm confirmed confirms admit admitted admits acknowledge acknowledged accept accepted"),
        ("condemn condemned condemns criticize criticized denounce denounced",
         "praise praised praises welcome welcomed welcomes support supported endorse endorsed applaud applauded"),
        ("urge urged urges call appeal appealed appeals request requested",
         "reject rejected rejects oppose opposed refuse refused donate donated donates"),
        ("kill killed dead died death deaths", "injure injured injuries wound wounded hurt"),
        ("increase increased rise rose grew escalate escalated intensify intensified",
         "decrease decreased fall fell declined reduce reduced de-escalate subside subsided"),
        ("attack attacked strike struck bomb bombed target targeted", "defend defended protect protected"),
        ("accuse accused accuses accusation", "defend defended exonerate exonerated praise praised"),
        ("support supported supports assist assisted help helped", "oppose opposed fight fought resist resisted"),
        ("respect respects respected", "violate violated violates"),
        ("tolerate tolerated tolerating", "crack cracked"),
    )
)
_ROLE_WORDS = {stem(w): group for group, ws in (
    ("killed", "killed dead died deaths killing"), ("injured", "injured wounded hurt injuries"),
    ("displaced", "displaced fled"), ("damaged", "damaged destroyed"), ("arrested", "arrested detained"),
) for w in ws.split()}
# A quote that reports a claim (an allegation, a statement) does not make it a fact: the sentence must attribute it.
_HEDGES = re.compile(r"\b(accus\w*|alleg(ed|es|ing)\s+(that|to)\b|allegations?|claim(ed|s|ing)?\s+(that|to)\b|"
                     r"accord\w* to|reportedly|said|says|stated|told|insist\w*|assert\w*)|[“”\"]", re.I)
_ATTRIBUTIONS = re.compile(
    r"\b(said|say|says|saying|stated?|states|accord\w*|accus\w*|alleg\w*|claim\w*|told|tells?|report\w*|"
    r"insist\w*|assert\w*|warn\w*|den(y|ies|ied|ial)|reject\w*|dismiss\w*|urg\w*|call\w*|condemn\w*|"
    r"describ\w*|wr(o|i)te\w*|argu\w*|believ\w*|suggest\w*|announc\w*|confirm\w*|admit\w*|blam\w*|"
    r"express\w*|emphasi\w*|maintain\w*|spokes\w*|officials?|minister|ministry|statement|analysts?|observers?|"
    r"witness\w*|residents?|experts?|sources?)\b", re.I)
_DERIVED = re.compile(r"(tion|tions|sion|sions|ment|ments|ance|ances|ence|ences|ers?|ors?)$")
_VERBAL = re.compile(r"(ed|ing|es|s)$")
_TOKEN = re.compile(r"\w+(?:[’']\w+)?|[,;:—–]")


@dataclass
class RuleVerdict:
    label: Label
    reason: str
    coverage: float = 0.0
    uncovered: list[str] = field(default_factory=list)


@dataclass
class _Tok:
    surface: str
    stem: str
    negated: bool
    index: int


def _tokens(text: str) -> list[_Tok]:
    """Word tokens with their stem and whether a negation governs them within their clause."""
    raw = _TOKEN.findall(normalize(text).replace("n’t", " n't").replace("n't", " n't"))
    out: list[_Tok] = []
    since_negation = 99
    for index, token in enumerate(raw):
        lower = token.lower()
        if lower in _CLAUSE_BREAKS:
            since_negation = 99
            continue
        if lower in NEGATIONS or lower == "n't":
            since_negation = 0
            continue
        since_negation += 1
        out.append(_Tok(lower, stem(re.sub(r"[’']s$", "", lower)), since_negation <= 4, index))
    return out


def _content(tokens: list[_Tok]) -> list[_Tok]:
    return [t for t in tokens if t.surface not in STOPWORDS and not t.surface.isdigit() and len(t.surface) > 1]


def check_rules(sentence: str, quote: str) -> RuleVerdict:
    """Compare ``sentence`` with one ``quote``: numbers, dates, names, polarity, roles, predicates, coverage."""
    s_tokens, q_tokens = _tokens(sentence), _tokens(quote)
    s_content = _content(s_tokens)
    q_stems = {t.stem for t in q_tokens}
    claim_words = [t for t in s_content if t.stem not in _LIGHT_STEMS]
    covered = [t for t in claim_words if t.stem in q_stems]
    coverage = len(covered) / len(claim_words) if claim_words else 0.0
    related = coverage >= 0.5
    if not claim_words:
        return RuleVerdict("unsupported", "the sentence makes no checkable claim", coverage)

    findings: list[tuple[Label, str]] = []
    missing_numbers = sorted(numbers_in(sentence) - numbers_in(quote))
    if missing_numbers:
        other = numbers_in(quote) - numbers_in(sentence)
        findings.append(("contradicted" if related and other else "unsupported",
                         f"number {', '.join(missing_numbers)} is not in the quote"
                         + (f" (it gives {', '.join(sorted(other))})" if other else "")))
    missing_dates = sorted(dates_in(sentence) - dates_in(quote))
    if missing_dates:
        findings.append(("contradicted" if related and dates_in(quote) else "unsupported",
                         f"date {', '.join(d.replace('month:', 'month ') for d in missing_dates)} is not in the quote"))
    missing_names = sorted(n for n in names_in(sentence) if not has_word(quote, n))
    demonym_only = [n for n in missing_names if mentions(quote, n)]
    missing_names = [n for n in missing_names if n not in demonym_only]
    if missing_names:  # a name the quote lacks is something it does not say, never something it contradicts
        findings.append(("unsupported", f"{', '.join(missing_names)} not named in the quote"))
    for s_tok in covered:
        matches = [q for q in q_tokens if q.stem == s_tok.stem]
        if matches and all(q.negated != s_tok.negated for q in matches):
            said = "negated" if s_tok.negated else "affirmed"
            findings.append(("contradicted", f"polarity: the sentence has '{s_tok.surface}' {said}, the quote the opposite"))
            break
    opposite = _opposite_predicate(s_content, q_tokens)
    if opposite:
        findings.append(("contradicted", opposite))
    roles = _role_swap(sentence, quote, s_tokens, q_tokens) or _number_roles(s_tokens, q_tokens)
    if roles:
        findings.append(("contradicted", roles))
    # A meaning change the quote shows outranks what the quote merely lacks.
    for wanted in ("contradicted", "unsupported"):
        found = [reason for label, reason in findings if label == wanted]
        if found:
            return RuleVerdict(wanted, "; ".join(found), coverage)

    if _HEDGES.search(quote) and not _HEDGES.search(sentence) and not _ATTRIBUTIONS.search(sentence):
        return RuleVerdict("unsupported", "the quote reports this as someone's statement or allegation; "
                           "the sentence states it as fact", coverage)
    uncovered = [t.surface for t in claim_words if t.stem not in q_stems]
    shifted = [t.surface for t in covered if _shifted_form(t, q_tokens)] + demonym_only
    if not uncovered and not shifted:
        return RuleVerdict("supported", "every word, number, name and date is in the quote with the same polarity",
                           coverage)
    if coverage < 0.5:
        return RuleVerdict("unsupported", f"the quote does not say: {', '.join(uncovered[:5])}", coverage, uncovered)
    return RuleVerdict("undecided", "words not in the quote: " + ", ".join(uncovered + shifted), coverage,
                       uncovered + shifted)


def _opposite_predicate(s_content: list[_Tok], q_tokens: list[_Tok]) -> str | None:
    s_stems = {t.stem for t in s_content}
    q_stems = {t.stem for t in q_tokens}
    for side_a, side_b in _OPPOSITES:
        for mine, theirs in ((side_a, side_b), (side_b, side_a)):
            said = s_stems & mine
            if said and not (q_stems & said) and q_stems & theirs:
                word = next(t.surface for t in s_content if t.stem in said)
                other = next(t.surface for t in q_tokens if t.stem in theirs)
                return f"changed predicate: the sentence says '{word}', the quote '{other}'"
    return None


def _shifted_form(s_tok: _Tok, q_tokens: list[_Tok]) -> bool:
    """A verb in the sentence found only as a derived noun in the quote ("donated" vs "donations")."""
    if not _VERBAL.search(s_tok.surface) or _DERIVED.search(s_tok.surface):
        return False
    same = [q for q in q_tokens if q.stem == s_tok.stem]
    return bool(same) and all(_DERIVED.search(q.surface) and q.surface != s_tok.surface for q in same)


def _country(name: str) -> str | None:
    """The country a name, capital or demonym stands for (countryinfo), lower-cased; None for anything else."""
    country = country_names().get(name)
    return country.lower() if country else None


_VERB_STEMS = frozenset(stem(w) for w in (
    "accuse deny reject blame support back attack target strike hit kill defeat beat win lose condemn urge "
    "shelter harbor harbour host fund arm train threaten warn sanction invade bomb help assist oppose praise "
    "criticize criticise accept confirm admit allege claim say tell").split())


def _verbal(tokens: list[_Tok], position: int, names: dict[int, str]) -> bool:
    token = tokens[position]
    if token.stem in _VERB_STEMS or token.surface.endswith("ed"):
        return True
    return token.surface.endswith("s") and position > 0 and tokens[position - 1].index in names


def _role_swap(sentence: str, quote: str, s_tokens: list[_Tok], q_tokens: list[_Tok]) -> str | None:
    """Actor and target on the same side of the predicate in both ("A accused B" vs "B accused A").

    The nearest name before and after a verb are its actor and target (sides flip in the passive); a run of
    capitalised words is one name, and a capital stands for its country ("Islamabad" is Pakistan's side).
    """
    s_names = _name_positions(sentence, s_tokens)
    q_names = _name_positions(quote, q_tokens)
    if len(set(s_names.values())) < 2 or len(set(q_names.values())) < 2:
        return None
    s_passive, q_passive = _is_passive(s_tokens), _is_passive(q_tokens)
    for position, verb in enumerate(s_tokens):
        if verb.index in s_names or verb.surface in STOPWORDS or not _verbal(s_tokens, position, s_names):
            continue
        s_actor, s_target = _around(s_names, verb.index, s_passive)
        if s_actor is None or _same(s_actor, s_target):
            continue
        agree, swapped = False, False
        for q_position, q_verb in enumerate(q_tokens):
            if q_verb.stem != verb.stem:
                continue
            q_actor, q_target = _around(q_names, q_verb.index, q_passive)
            if q_actor is None:
                continue
            if _same(s_actor, q_actor):
                agree = True
            elif s_target is not None and q_target is not None and _same(s_actor, q_target) and (
                    _same(s_target, q_actor) or any(_same(s_target, n) for i, n in q_names.items() if i < q_verb.index)):
                swapped = True  # the sentence's doer is the quote's target, and its target acts earlier in the quote
            elif (_present(s_actor, q_names) and _present(q_actor, s_names) and _governs(s_tokens, s_names, position)
                  and _governs(q_tokens, q_names, q_position)):
                swapped = True  # both sides name both parties; the subject right before the verb differs
        if swapped and not agree:
            who = s_actor.split("|")[0].title()
            return f"roles: in the sentence {who} '{verb.surface}'; in the quote someone else does"
    return None


def roles_reversed(text: str, quote: str) -> str | None:
    """Whether ``text`` (a claim or a question) has a shared verb's actor and target the quote's way round.

    "Which group did Afghanistan accuse Pakistan of harboring?" is not answered by "Islamabad accuses the
    Taliban of harboring TTP militants", however well that sentence is supported.
    """
    return _role_swap(text, quote, _tokens(text), _tokens(quote))


_AUXILIARIES = frozenset("has have had was were is are also then swiftly reportedly repeatedly it they".split())


def _governs(tokens: list[_Tok], names: dict[int, str], position: int) -> bool:
    """A name stands right before the verb (auxiliaries and adverbs aside): it is the subject."""
    back = position - 1
    while back >= 0 and tokens[back].surface in _AUXILIARIES and position - back <= 3:
        back -= 1
    return back >= 0 and tokens[back].index in names


def _name_positions(text: str, tokens: list[_Tok]) -> dict[int, str]:
    """Token index → the whole name it belongs to ("serena williams"), with its country alias if any."""
    found = {n.lower() for n in names_in(text)}
    positions: dict[int, str] = {}
    run: list[_Tok] = []
    for token in [*tokens, None]:
        if token is not None and re.sub(r"[’']s$", "", token.surface) in found and (
                not run or token.index == run[-1].index + 1):
            run.append(token)
            continue
        if run:
            words = [re.sub(r"[’']s$", "", t.surface) for t in run]
            countries = {c for c in map(_country, [" ".join(words), *words]) if c}
            key = "|".join([" ".join(words), *sorted(countries)])
            for t in run:
                positions[t.index] = key
        run = [token] if token is not None and re.sub(r"[’']s$", "", token.surface) in found else []
    return positions


def _same(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    return bool(set(a.replace("|", " ").split()) & set(b.replace("|", " ").split()))


def _present(entity: str, names: dict[int, str]) -> bool:
    return any(_same(entity, other) for other in names.values())


def _around(names: dict[int, str], index: int, passive: bool) -> tuple[str | None, str | None]:
    before = [p for p in names if p < index]
    after = [p for p in names if p > index]
    actor = names[max(before)] if before else None
    target = names[min(after)] if after else None
    return (target, actor) if passive else (actor, target)


def _is_passive(tokens: list[_Tok]) -> bool:
    surfaces = [t.surface for t in tokens]
    return any(a in ("was", "were", "been", "being", "is", "are") and b.endswith("ed") and c == "by"
               for a, b, c in zip(surfaces, surfaces[1:], surfaces[2:]))


def _number_roles(s_tokens: list[_Tok], q_tokens: list[_Tok]) -> str | None:
    """The same number attached to a different outcome ("six killed" vs "six injured")."""
    for number, s_role in _numbers_with_roles(s_tokens).items():
        q_role = _numbers_with_roles(q_tokens).get(number)
        if s_role and q_role and s_role != q_role:
            return f"roles: the sentence has {number} {s_role}, the quote {number} {q_role}"
    return None


def _numbers_with_roles(tokens: list[_Tok]) -> dict[str, str | None]:
    from rag.text import NUMBER_WORDS

    out: dict[str, str | None] = {}
    for position, token in enumerate(tokens):
        value = token.surface if token.surface.isdigit() else NUMBER_WORDS.get(token.surface)
        if value is None:
            continue
        role = next((_ROLE_WORDS[t.stem] for t in tokens[position + 1 : position + 7] if t.stem in _ROLE_WORDS), None)
        out.setdefault(value, role)
    return out
