"""Descriptions from the parse: what a quote says someone is stays with that someone (invented names)."""

from __future__ import annotations

import pytest

from rag.nlp.descriptions import descriptions, moved
from rag.nlp.parse import parse
from rag.verify import check_rules

INTERVIEW = ("To make sense of the talks, the Morning Desk's host Lena Varga spoke to Tomas Brandt, a senior "
             "analyst in Vilnius with the Baltic Policy Institute.")
MINISTER = "Norway's foreign minister, Ola Strand, met Pavel Ilic in Geneva on Monday."
COAUTHORS = "Mira Holt and Jonas Weber, researchers at Uppsala University, published the study."


def test_an_apposition_describes_the_name_it_stands_beside() -> None:
    (found,) = [d for d in descriptions(parse(INTERVIEW)) if d.noun == "analyst"]
    assert [n.text for n in found.holder] == ["Tomas Brandt"]
    assert {n.text for n in found.named} >= {"Vilnius", "Baltic Policy Institute"}


@pytest.mark.parametrize(
    ("sentence", "quote"),
    [
        ("Lena Varga works for the Baltic Policy Institute.", INTERVIEW),  # a verb's object
        ("The Morning Desk's host Lena Varga works for the Baltic Policy Institute.", INTERVIEW),
        ("Lena Varga is a senior analyst with the Baltic Policy Institute.", INTERVIEW),  # a copula's complement
        ("Lena Varga is a senior analyst.", INTERVIEW),  # the description's noun alone
        ("Pavel Ilic is Norway's foreign minister.", MINISTER),  # "X's minister, Y": the name is described
    ],
)
def test_a_description_the_quote_gives_another_party_is_not_said_of_this_one(sentence: str, quote: str) -> None:
    assert moved(parse(sentence), parse(quote))
    verdict = check_rules(sentence, quote)
    assert verdict.label == "unsupported", verdict  # not said; nor contradicted: both may be true
    assert "describes" in verdict.reason


@pytest.mark.parametrize(
    ("sentence", "quote"),
    [
        ("Tomas Brandt works for the Baltic Policy Institute.", INTERVIEW),
        ("Tomas Brandt is a senior analyst.", INTERVIEW),
        ("Lena Varga, who hosts the Morning Desk, talked with Tomas Brandt, a senior Baltic Policy Institute "
         "analyst based in Vilnius.", INTERVIEW),
        ("Lena Varga spoke to a Baltic Policy Institute analyst.", INTERVIEW),  # the object's modifier is no tie
        ("Ola Strand is Norway's foreign minister.", MINISTER),
        ("Ola Strand met Pavel Ilic in Geneva.", MINISTER),
        ("Jonas Weber works at Uppsala University.", COAUTHORS),  # a conjunct shares its coordination's apposition
        (INTERVIEW, INTERVIEW),
    ],
)
def test_a_description_kept_with_its_party_is_no_veto(sentence: str, quote: str) -> None:
    assert moved(parse(sentence), parse(quote)) is None
