"""WordNet's classes of nouns (rag.nlp.wordnet): restored byte for byte from the package, checked, and read by NLTK."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.nlp.wordnet import (
    WORDNET_SHA256,
    WordNetError,
    common_noun_class,
    noun_class,
    noun_classes,
    packaged_dir,
    restore,
    verify,
)


@pytest.mark.parametrize(("word", "kind"), [
    ("spokeswoman", "person"), ("ministers", "person"), ("province", "location"), ("ministry", "group"),
    ("air_bases", "artifact"), ("year", "time"), ("kilometre", "quantity"), ("treaty", "communication"),
])
def test_a_noun_s_most_frequent_sense_gives_its_kind(word: str, kind: str) -> None:
    assert noun_class(word) == kind


def test_senses_about_as_frequent_as_the_first_add_their_kinds() -> None:
    assert noun_classes("office") == ("artifact", "group")  # a building, and nearly as often a body
    assert noun_classes("point")[0] == "cognition"  # an idea first: the place sense does not make it a place
    assert noun_classes("zqxv") == ()


def test_a_word_that_is_no_noun_has_no_kind() -> None:
    assert noun_class("quickly") is None
    assert noun_class("zqxv") is None


def test_a_name_s_common_nouns_say_what_it_is_but_a_country_is_not_a_common_noun() -> None:
    assert common_noun_class("Minister") == "person"
    assert common_noun_class("Hospital") == "artifact"
    assert noun_class("Peru") == "location"  # a proper noun in WordNet…
    assert common_noun_class("Peru") is None  # …is no evidence of a common kind


def test_the_packaged_files_are_restored_to_the_pinned_release(tmp_path: Path) -> None:
    target = restore(packaged_dir(), tmp_path / "wordnet")
    verify(target)
    assert b"\r\n" not in (target / "lexnames").read_bytes()
    assert restore(packaged_dir(), target) == target  # already verified: kept as it is


def test_a_changed_file_is_refused_and_restored_again(tmp_path: Path) -> None:
    target = restore(packaged_dir(), tmp_path / "wordnet")
    (target / "index.noun").write_bytes(b"planted 1 n 0\n")
    with pytest.raises(WordNetError, match="index.noun"):
        verify(target)
    restore(packaged_dir(), target)
    verify(target)


def test_a_source_that_differs_from_the_pin_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "lexnames").write_bytes(b"00\tnoun.planted\t1\r\n")
    with pytest.raises(WordNetError, match="lexnames"):
        restore(source, tmp_path / "wordnet", {"lexnames": WORDNET_SHA256["lexnames"]})
    assert not (tmp_path / "wordnet").exists()
