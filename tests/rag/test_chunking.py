from __future__ import annotations

import pytest

from rag.index.chunking import chunk_article, split_sentences
from tests.conftest import SEED_DIR


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("One here. Two there.", ["One here.", "Two there."]),
        ("On Feb. 27, troops moved. Then quiet.", ["On Feb. 27, troops moved.", "Then quiet."]),
        ("It was 3 a.m. that we heard it. Later more.", ["It was 3 a.m. that we heard it.", "Later more."]),
        (
            "Headline Without Stop\nBody sentence. Another!",
            ["Headline Without Stop", "Body sentence.", "Another!"],
        ),
        ("He said, “Stop. Now it is war.” Then left.", ["He said, “Stop. Now it is war.”", "Then left."]),
        ("Dr. Saira Khan spoke. Is it real? Yes.", ["Dr. Saira Khan spoke.", "Is it real?", "Yes."]),
        ("  padded sentence.  \n\n  next one.  ", ["padded sentence.", "next one."]),
        ("Get it every day here. — Ann Roe PARIS — Talks began.", ["Get it every day here.",
                                                                 "— Ann Roe PARIS — Talks began."]),
        ("They met twice. – With agency inputs", ["They met twice.", "– With agency inputs"]),
        ("The vote — a close one — passed. It holds.", ["The vote — a close one — passed.", "It holds."]),
    ],
)
def test_split_sentences_finds_the_expected_sentences(body: str, expected: list[str]) -> None:
    assert [s.text for s in split_sentences(body)] == expected


@pytest.mark.parametrize("path", sorted(SEED_DIR.glob("*.md")), ids=lambda p: p.stem)
@pytest.mark.parametrize(("size", "overlap"), [(200, 0), (700, 1), (1500, 2)])
def test_chunk_and_sentence_offsets_point_at_their_text(path, size: int, overlap: int) -> None:
    body = path.read_text()
    chunks = chunk_article("a", body, size=size, overlap=overlap)
    assert chunks, "a non-empty body gives chunks"
    for position, chunk in enumerate(chunks):
        assert chunk.id == f"a:{position}"
        assert body[chunk.start : chunk.end] == chunk.text
        for sentence in chunk.sentences:
            assert body[sentence.start : sentence.end] == sentence.text
            assert chunk.start <= sentence.start < sentence.end <= chunk.end


def test_chunks_cover_every_sentence_and_overlap_by_the_configured_count() -> None:
    body = " ".join(f"Sentence number {i} is here." for i in range(30))
    chunks = chunk_article("a", body, size=120, overlap=1)
    covered = {s.start for c in chunks for s in c.sentences}
    assert covered == {s.start for s in split_sentences(body)}
    for before, after in zip(chunks, chunks[1:]):
        assert before.sentences[-1] == after.sentences[0]
        assert before.end - before.start <= 120


def test_a_sentence_longer_than_the_chunk_size_becomes_its_own_chunk() -> None:
    long = "Word " * 100
    chunks = chunk_article("a", f"Short one. {long.strip()}. Short two.", size=50, overlap=0)
    assert [len(c.sentences) for c in chunks] == [1, 1, 1]


def test_a_block_gap_ends_a_sentence_as_a_line_break_does() -> None:
    # Scraped pages join a headline, an embed's caption and the story with tabs or runs of spaces.
    body = ("Singer retires from playback\t\t  NEW DELHI: The court on Thursday sought a reply. It will sit again. "
            "A post shared by TV (@tv)  A post shared by TV (@tv)     After the strikes on May 7, the army replied.")
    texts = [s.text for s in split_sentences(body)]
    assert texts == ["Singer retires from playback", "NEW DELHI: The court on Thursday sought a reply.",
                     "It will sit again.", "A post shared by TV (@tv)", "A post shared by TV (@tv)",
                     "After the strikes on May 7, the army replied."]
    assert all(body[s.start : s.end] == s.text for s in split_sentences(body))


def test_two_spaces_inside_a_sentence_before_a_small_letter_do_not_split_it() -> None:
    body = "The minister said  the talks would resume. Officials  agreed."
    assert [s.text for s in split_sentences(body)] == ["The minister said  the talks would resume.", "Officials  agreed."]
