from __future__ import annotations

import pytest

from rag.answer.citations import DraftSentence, Verified, parse_markers, pointed_evidence, verify_sentence
from rag.types import Evidence
from rag.verify import Verifier

RULES = Verifier(None)


def ev(number: int, text: str, article: str = "a") -> Evidence:
    return Evidence(number=number, text=text, article_id=article, chunk_id=f"{article}:0", title="T", outlet=None,
                    published_at=None, url=None, start=number * 100, end=number * 100 + len(text), relevance=0.9)


EVIDENCE = [
    ev(1, "According to Taliban officials, at least six people were killed in the Khair Khana district of Kabul."),
    ev(2, "Islamabad swiftly rejected the allegations, calling them “baseless and politically motivated.”", "b"),
    ev(3, "UN Secretary-General António Guterres urged both countries to engage in direct dialogue.", "c"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Six died [1]. Pakistan denied it [2].", [("Six died.", [1]), ("Pakistan denied it.", [2])]),
        ("Six died. [1] Pakistan denied it. [2][3]", [("Six died.", [1]), ("Pakistan denied it.", [2, 3])]),
        ("Both sides spoke [1, 3].", [("Both sides spoke.", [1, 3])]),
        ("No markers here.", [("No markers here.", [])]),
        ("[2]", []),
    ],
)
def test_parse_markers_assigns_numbers_to_their_sentence(text: str, expected: list[tuple[str, list[int]]]) -> None:
    assert [(d.text, d.cited) for d in parse_markers(text)] == expected


@pytest.mark.parametrize(
    ("sentence", "evidence", "supported"),
    [
        ("Taliban officials said at least six people were killed in Kabul.", EVIDENCE[0].text, True),
        ("At least six people were killed in Khair Khana.", EVIDENCE[0].text, False),  # the quote attributes it
        ("At least sixty people were killed in Kabul.", EVIDENCE[0].text, False),  # wrong number
        ("At least 16 people were killed in Kabul.", EVIDENCE[0].text, False),  # wrong number
        ("At least six people were killed in Kandahar.", EVIDENCE[0].text, False),  # wrong name
        ("Pakistani officials said six people were killed in Kabul.", EVIDENCE[0].text, False),  # wrong speaker
        ("The weather in Kabul was sunny and pleasant all week.", EVIDENCE[0].text, False),  # unsupported
        ("Islamabad called the allegations baseless and politically motivated.", EVIDENCE[1].text, True),
    ],
)
def test_verification_table(sentence: str, evidence: str, supported: bool) -> None:
    assert RULES.check(sentence, evidence).supported is supported


def test_markers_pointing_nowhere_are_dropped_and_numbers_renumbered_densely() -> None:
    verified = Verified()
    for draft in [DraftSentence("Guterres urged direct dialogue.", [3, 9]),
                  DraftSentence("Islamabad called the allegations baseless.", [2])]:
        verify_sentence(draft, EVIDENCE, verified, RULES)
    assert [s.citations for s in verified.sentences] == [[1], [2]]
    assert verified.citations[1].quote == EVIDENCE[2].text and verified.citations[2].article_id == "b"
    assert verified.render() == "Guterres urged direct dialogue. [1] Islamabad called the allegations baseless. [2]"


def test_a_sentence_citing_the_wrong_evidence_is_recited_to_the_right_one() -> None:
    verified = Verified()
    sentence = verify_sentence(DraftSentence("Taliban officials said six people were killed in Kabul.", [3]),
                               EVIDENCE, verified, RULES)
    assert sentence is not None and verified.citations[sentence.citations[0]].quote == EVIDENCE[0].text


def test_an_invented_sentence_is_dropped_even_when_it_cites() -> None:
    verified = Verified()
    assert verify_sentence(DraftSentence("Pakistan admitted the strikes and apologised.", [2]), EVIDENCE, verified, RULES) is None
    assert verified.sentences == [] and verified.dropped == ["Pakistan admitted the strikes and apologised."]


def test_a_sentence_is_not_stitched_from_two_quotes() -> None:
    verified = Verified()
    draft = DraftSentence("Guterres said at least six people were killed in Kabul.", [1, 3])
    assert verify_sentence(draft, EVIDENCE, verified, RULES) is None  # the number is in [1], the name in [3]


def test_a_citation_that_does_not_support_the_sentence_is_dropped_from_it() -> None:
    verified = Verified()
    sentence = verify_sentence(DraftSentence("Guterres urged direct dialogue.", [3, 1]), EVIDENCE, verified, RULES)
    assert sentence is not None and [verified.citations[n].quote for n in sentence.citations] == [EVIDENCE[2].text]


def test_markers_opening_the_next_streamed_sentence_stay_with_the_one_before() -> None:
    assert [(d.text, d.cited) for d in parse_markers("Six died. [1] Pakistan")] == [("Six died.", [1]), ("Pakistan", [])]


def test_markers_opening_a_line_belong_to_that_line() -> None:
    """Small models number their lines ("[2] Sentence."): each line's marker is its own, not the line before's."""
    text = "[1] Taliban officials said six were killed.\n[2] Islamabad rejected the allegations. It called them baseless."
    assert [(d.text, d.cited) for d in parse_markers(text)] == [
        ("Taliban officials said six were killed.", [1]), ("Islamabad rejected the allegations.", [2]),
        ("It called them baseless.", [2])]


@pytest.mark.parametrize(
    ("answer", "pointed"),
    [
        ("[2]", []),  # a bare marker is no span: the 0.5B's bare choice is noise
        ("[1] six people\n[2] António Guterres", [1]),  # a span counts only where it occurs verbatim
        ("[3] António Guterres urged both countries to engage in direct dialogue and much more.", []),  # a sentence
        ("[9] six people", []),  # pointing nowhere
    ],
)
def test_pointed_evidence(answer: str, pointed: list[int]) -> None:
    assert pointed_evidence(answer, EVIDENCE) == pointed
