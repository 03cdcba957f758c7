"""The linguistic layer the vetoes stand on: names, numbers and frames from spaCy's parse, on other-domain text."""

from __future__ import annotations

import pytest

from rag.nlp.frames import frames
from rag.nlp.names import fold, is_acronym, names_same
from rag.nlp.numbers import quantities
from rag.nlp.parse import parse
from rag.nlp.speech import stances
from rag.verify.rules import check_rules, roles_reversed


@pytest.mark.parametrize(("a", "b", "same"), [
    ("UN", "the United Nations", True),
    ("U.S.", "United States", True),
    ("NLF", "Northern Liberation Front", True),
    ("Venezuelan", "Caracas", True),  # countryinfo: a demonym and a capital of one country
    ("Maduro", "Nicolás Maduro", True),
    ("José Martí", "Jose Marti", True),  # accents fold
    ("Chile", "China", False),
    ("UN", "European Union", False),
])
def test_names_same(a: str, b: str, same: bool) -> None:
    assert names_same(a, b) is same


def test_fold_and_acronyms() -> None:
    assert fold("The Northern Front’s") == "northern front"
    assert is_acronym("TPLF", "Tigray People's Liberation Front")
    assert not is_acronym("Rome", "Republic of Metropolitan Europe")  # not all capitals


def _values(text: str) -> list[tuple[float, str | None, str | None]]:
    return [(q.value, q.head, q.outcome) for q in quantities(parse(text))]


def test_numbers_in_words_and_what_they_count() -> None:
    assert _values("The raid left twelve soldiers dead.") == [(12.0, "soldier", "killed")]
    assert _values("Six people were injured in the blast.") == [(6.0, "people", "injured")]
    assert (23e6, "people", None) in _values("More than 23 million people rely on aid.")
    assert _values("Talks resumed on March 3, 2024.") == []  # a day and a year are dates, not counts
    assert _values("They fought for nearly five decades.")[0][:2] == (50.0, "year")  # counted in years


def _frame(text: str, lemma: str) -> tuple[list[str], list[str], bool]:
    found = next(f for f in frames(parse(text)) if f.lemma == lemma)
    return [n.text for n in found.actor], [n.text for n in found.target], found.negated


def test_frames_from_the_parse() -> None:
    assert _frame("Chelsea was beaten by Arsenal.", "beat") == (["Arsenal"], ["Chelsea"], False)  # passive + agent
    assert _frame("Brazil did not recognise Kosovo.", "recognise") == (["Brazil"], ["Kosovo"], True)
    assert _frame("The rebels, who attacked Goma, were repelled.", "attack")[0] == []  # no name in "the rebels"
    actor, target, _ = _frame("Rwanda's foreign minister, Olivier Nduhungirehe, accused Kinshasa of delays.",
                              "accuse")
    assert "Rwanda" in actor and target == ["Kinshasa"]
    assert _frame("This is no longer a local dispute.", "dispute")[2] is True  # "no longer" negates
    # a conjunct the parser hung on a passive clause inside the report takes the reporter as its actor
    actor, target, _ = _frame("The Ugandan Defence Ministry stated that early checks show mines were laid and "
                              "accused Kenya of arming the rebels.", "accuse")
    assert any("Defence Ministry" in a for a in actor) and target == ["Kenya"], actor
    # "X became the first Y to win": X won, not the demonym on Y
    assert _frame("Ana Silva became the first Brazilian rower to win the Henley title on Monday.", "win")[0] == [
        "Ana Silva"]


@pytest.mark.parametrize(("sentence", "quote", "label"), [
    # role swaps, passive included, and another doer for the same act
    ("Israel hit Hamas.", "Israel was hit by Hamas.", "contradicted"),
    ("Arsenal beat Chelsea.", "Chelsea defeated Arsenal 2-0.", "contradicted"),
    ("The film was directed by Bob Smith.", "The film was directed by Alice Jones and written by Bob Smith.",
     "contradicted"),
    ("Apple acquired WhatsApp.", "WhatsApp was acquired by Facebook in 2014.", "contradicted"),
    ("Kenya accused the Ugandan Defence Ministry of arming the rebels.", "The Ugandan Defence Ministry stated that "
     "early checks show mines were laid and accused Kenya of arming the rebels.", "contradicted"),
    # numbers and outcomes
    ("Six people were injured.", "Six people were killed in the strike.", "contradicted"),
    ("Seven people were killed in the strike.", "Six people were killed in the strike.", "contradicted"),
    ("Lyon is France's third largest city.", "Lyon is France's second largest city.", "contradicted"),  # ranks
    ("Ten years after the merger, the company is strapped for cash.",
     "Five years after the merger, the company is strapped for cash.", "contradicted"),
    # what a speech noun's "that" clause says is the speaker's allegation, not a fact
    ("The Kenyan army shelters the rebels.", "Talks stalled over Uganda's accusations that the Kenyan army shelters "
     "the rebels.", "unsupported"),
    # the one acted on in the quote is the doer in the sentence (a capital stands for its country)
    ("Ethiopia accuses Addis Ababa of shelling the town.", "The rebels accuse Addis Ababa of shelling the town.",
     "unsupported"),
    # a copula's subject is no doer; an acronym after a place in the name still names the doer
    ("Mopti was a target too.", "Rebel drones targeted Mopti and Gao on Friday.", "undecided"),
    ("UNMISS condemned the raid.", "The United Nations Mission in South Sudan (UNMISS) condemned the raid.",
     "supported"),
    # a missing word or name is never a contradiction
    ("The rebels seized the airport at dawn.", "The rebels seized the airport.", "not contradicted"),
    ("Kenyan troops seized the airport.", "The rebels seized the airport.", "unsupported"),
    # not vetoed: the judge decides
    ("Chelsea beat Arsenal.", "Arsenal lost to Chelsea on Sunday.", "undecided"),  # a converse
    ("The UN urged both sides to protect civilians.", "The United Nations called on both sides to protect civilians.",
     "undecided"),
    ("Twelve soldiers were killed in the raid.", "The raid left twelve soldiers dead.", "undecided"),
])
def test_vetoes_on_other_domains(sentence: str, quote: str, label: str) -> None:
    verdict = check_rules(sentence, quote)
    if label == "not contradicted":  # missing content: unsupported, or the judge's call
        assert verdict.label in ("unsupported", "undecided"), verdict.reason
    else:
        assert verdict.label == label, verdict.reason


def test_a_question_with_the_roles_the_other_way_round() -> None:
    assert roles_reversed("Which town did Ethiopia accuse Eritrea of shelling?",
                          "Asmara accuses Ethiopian forces of shelling the town") is not None
    assert roles_reversed("Which town did Eritrea accuse Ethiopia of shelling?",
                          "Asmara accuses Ethiopian forces of shelling the town") is None


def test_a_place_named_inside_a_doer_or_target_is_not_a_role() -> None:
    # "in Mali" places the mission and "in Bamako" the shelling: neither is who did it or to whom
    assert roles_reversed("Which UN mission condemned the shelling in Bamako?",
                          "The United Nations Stabilization Mission in Mali (MINUSMA) condemned the shelling and "
                          "called for calm.") is None
    assert _frame("Troops from Chad attacked the camp in Niger.", "attack")[:2] == (["Chad"], [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The rebel command accused Valdoria of shelling the market.", {"claim"}),
        ("Mayor Ortega claimed that Valdorian troops shelled the market.", {"claim"}),
        ("Valdoria rejected the allegations as baseless.", {"response"}),
        ("The ministry issued a statement stressing that Valdoria has not fired on the town.", {"response"}),
        ("The statement stressed that the army has not fired on the town.", set()),  # no party named as the doer
        ("The minister said the army did not fire on the town.", {"response"}),
        ("The alleged strikes hit the disputed border town.", set()),  # participles qualify; nobody speaks
        ("Hospitals appealed for blood donations.", set()),
        ("The rebels' argument is that the town lies in their territory.", set()),  # an argument may be a reply
    ],
)
def test_stances_from_the_parse(text: str, expected: set[str]) -> None:
    assert stances(text) == expected
