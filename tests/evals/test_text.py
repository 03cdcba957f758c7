"""The eval's own reading of answers: citation markers as the product emits them, and sentences with offsets."""

from __future__ import annotations

import pytest

from evals.text import marker_numbers, parse_markers, split_sentences, strip_markers


@pytest.mark.parametrize(("text", "numbers"), [
    ("Kabul [1].", [1]),
    ("Kabul [1][2, 3] and Doha [4; 5].", [1, 2, 3, 4, 5]),
    ("No markers, [a] or [] or [1-2] here.", []),
])
def test_marker_numbers_reads_every_number_in_order(text: str, numbers: list[int]) -> None:
    assert marker_numbers(text) == numbers


@pytest.mark.parametrize(("answer", "parsed"), [
    ("Kabul fell [2]. Doha hosted talks [3].", [("Kabul fell.", [2]), ("Doha hosted talks.", [3])]),
    ("Kabul fell. [2] Doha hosted talks. [3]", [("Kabul fell.", [2]), ("Doha hosted talks.", [3])]),
    ("Kabul fell [1][2, 3]. Then [4; 5] more.", [("Kabul fell.", [1, 2, 3]), ("Then more.", [4, 5])]),
    ("[2] One thing. Two things.\n[3] Third.", [("One thing.", [2]), ("Two things.", [2]), ("Third.", [3])]),
    ("Before.\n[1] Kabul fell [2]. Next.", [("Before.", [1]), ("Kabul fell.", [2]), ("Next.", [])]),
    ("[1] Rahim Safi", [("Rahim Safi", [1])]),
    ("Talks resumed in Doha. [1] [2]\n[3]", [("Talks resumed in Doha.", [1, 2, 3])]),
    ("Gen. Smith met Mr. Jones in the U.S. on Jan. 5 [1].", [("Gen. Smith met Mr. Jones in the U.S. on Jan. 5.", [1])]),
    ("", []),
])
def test_markers_belong_to_the_sentence_they_end_or_follow(answer: str, parsed: list[tuple[str, list[int]]]) -> None:
    assert [(s.text, s.cited) for s in parse_markers(answer)] == parsed


def test_strip_markers_leaves_no_space_before_punctuation() -> None:
    assert strip_markers("Kabul fell [1] , then Doha [2; 3].") == "Kabul fell, then Doha."


def test_sentences_keep_offsets_and_an_opening_quote_starts_the_next_one() -> None:
    body = "Headline\nX said so. “They came.” (Then they left.) Dr. Khan agreed!"
    sentences = split_sentences(body)
    assert [s.text for s in sentences] == ["Headline", "X said so.", "“They came.”", "(Then they left.)",
                                           "Dr. Khan agreed!"]
    assert all(body[s.start : s.end] == s.text for s in sentences)
