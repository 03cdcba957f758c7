from __future__ import annotations

import datetime as dt

from rag.briefing.evidence import gather_evidence
from rag.briefing.models import Briefing, Window
from rag.briefing.render import outlets_phrase, render_html, render_markdown
from rag.briefing.select import select_articles
from rag.briefing.storylines import group_storylines
from rag.testing.embed import HashingEmbedder
from rag.types import Article

D = dt.date(2026, 3, 1)


def art(id: str, title: str, outlet: str | None, day: dt.date | None, body: str, duplicate_of: str | None = None) -> Article:
    return Article(id=id, title=title, outlet=outlet, published_at=day, body=body, duplicate_of=duplicate_of)


STRIKE = "Drones struck a fuel depot in Kandahar overnight, officials said. The depot burned until morning."
FLOOD = "Floods in the Swat valley washed away three bridges and a school. Rescue teams reached the valley."


def test_select_keeps_the_window_and_folds_reprints_into_their_original() -> None:
    articles = [
        art("a", "Depot hit", "Dawn", D, STRIKE),
        art("a-reprint", "Depot hit", "Wire", D, STRIKE, duplicate_of="a"),
        art("b", "Floods", "Tolo", D - dt.timedelta(days=3), FLOOD),
        art("old", "Old news", "Dawn", D - dt.timedelta(days=30), FLOOD),
    ]
    selection = select_articles(articles, Window(start=D - dt.timedelta(days=7), end=D))
    assert [a.id for a in selection.articles] == ["a", "b"]
    assert selection.reprints == {"a-reprint": "a"}
    counts = selection.counts()
    assert (counts.articles, counts.reprints, counts.independent_outlets) == (3, 1, 2)


def test_only_named_outlets_count_as_independent_and_articles_without_one_are_said_apart() -> None:
    articles = [
        art("a", "Depot hit", "Dawn", D, STRIKE),
        art("b", "Depot burned", " dawn ", D, STRIKE.replace("overnight", "late")),  # the same outlet, spelt apart
        art("c", "Floods", "Tolo", D, FLOOD),
        art("d", "Bridges gone", None, D, FLOOD.replace("three", "four")),
        art("e", "School gone", "  ", D, FLOOD.replace("three", "five")),
    ]
    selection = select_articles(articles, Window(start=None, end=D))
    counts = selection.counts()
    assert (counts.articles, counts.independent_outlets, counts.without_outlet) == (5, 2, 2)
    briefing = Briefing(id="b", title="Week", as_of=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), window=selection.window,
                        counts=counts, sections=[], contested=[], timeline=[], sources=[], dropped=0)
    said = "from 2 independent outlets and 2 articles with no outlet named"
    assert said in render_markdown(briefing) and said in render_html(briefing)
    alone = select_articles(articles[:1], Window(start=None, end=D)).counts()
    assert outlets_phrase(alone) == "1 independent outlet"  # nothing to say about unknown outlets when there are none
    unknown = select_articles(articles[3:4], Window(start=None, end=D)).counts()
    assert outlets_phrase(unknown) == "0 independent outlets and 1 article with no outlet named"


def test_an_undated_article_counts_from_the_day_it_was_ingested() -> None:
    undated = art("u", "Undated", None, None, STRIKE).model_copy(
        update={"ingested_at": dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)})
    assert [a.id for a in select_articles([undated], Window(start=D, end=D)).articles] == ["u"]
    assert select_articles([undated], Window(start=D + dt.timedelta(days=1), end=D + dt.timedelta(days=2))).articles == []


def test_storylines_group_by_content_and_rank_by_independent_outlets_then_recency() -> None:
    articles = [
        art("s1", "Drones hit Kandahar fuel depot", "Dawn", D, STRIKE),
        art("s2", "Kandahar fuel depot struck by drones", "Tolo", D - dt.timedelta(days=1), STRIKE.replace("overnight", "late")),
        art("f1", "Floods in Swat valley", "Dawn", D, FLOOD),
    ]
    storylines = group_storylines(select_articles(articles, Window(start=None, end=D)), HashingEmbedder(), cap=5)
    assert [sorted(s.article_ids) for s in storylines.storylines] == [["s1", "s2"], ["f1"]]
    assert storylines.storylines[0].independent_outlets == 2 and storylines.storylines[0].rank == 1


def test_the_cap_limits_what_reaches_the_evidence_stage() -> None:
    articles = [art(f"x{i}", f"Topic {i} " + " ".join(f"w{i}x{j}" for j in range(8)), "Dawn", D,
                    " ".join(f"w{i}x{j}" for j in range(20)) + ". Officials said civilians were killed.") for i in range(6)]
    selection = select_articles(articles, Window(start=None, end=D))
    storylines = group_storylines(selection, HashingEmbedder(), cap=2)
    assert storylines.total == 6 and len(storylines.storylines) == 2 and len(storylines.capped) == 4
    evidence = gather_evidence(selection, storylines, limit=6)
    allowed = {i for s in storylines.storylines for i in s.article_ids}
    assert {c.article_id for c in evidence.candidates} == allowed


def test_evidence_sorts_sentences_into_sections_by_what_they_say(seed_articles: list[Article]) -> None:
    selection = select_articles(seed_articles, Window(start=None, end=dt.date(2026, 3, 4)))
    evidence = gather_evidence(selection, group_storylines(selection, HashingEmbedder(), cap=6), limit=6)
    humanitarian = " ".join(c.text for c in evidence.section("humanitarian"))
    international = " ".join(c.text for c in evidence.section("international"))
    # A reaction is found by what it says (urged, dialogue), not by a list of who may react.
    assert "displaced" in humanitarian and "Secretary-General" in international and "dialogue" in international
    # Headings, photo credits and interview questions are never evidence.
    chosen = [c for s in evidence.sections for c in s.sentences]
    assert not any(c.heading or c.caption or c.question for c in chosen)
    assert all(c.text != "Pakistan Denies Involvement" for c in chosen)


def test_fragments_and_page_furniture_never_become_section_evidence() -> None:
    body = ("Drones struck a fuel depot in the port overnight, officials said.\n"
            "12 dead, dozens injured.\n"
            "Sign up for our newsletter and get the latest updates.\n"
            "Aid agencies said hundreds of families fled the port.")
    article = art("a", "Depot hit", "Dawn", D, body)
    selection = select_articles([article], Window(start=D, end=D))
    storylines = group_storylines(selection, HashingEmbedder(), cap=5)
    evidence = gather_evidence(selection, storylines, limit=10)
    chosen = {c.text for s in evidence.sections for c in s.sentences}
    assert "Drones struck a fuel depot in the port overnight, officials said." in chosen
    assert "Aid agencies said hundreds of families fled the port." in chosen
    assert not chosen & {"12 dead, dozens injured.", "Sign up for our newsletter and get the latest updates."}
    fragments = {c.text for c in evidence.candidates if c.fragment}
    assert fragments == {"12 dead, dozens injured.", "Sign up for our newsletter and get the latest updates."}


def test_a_sentence_two_pages_share_is_section_evidence_once() -> None:
    shared = "Aid agencies said hundreds of families fled the port after the strike."
    articles = [art("a", "Depot hit", "Dawn", D, f"{STRIKE} {shared}"),
                art("b", "Port strike", "Tolo", D, f"Drones hit the port again on Monday. {shared}")]
    selection = select_articles(articles, Window(start=D, end=D))
    evidence = gather_evidence(selection, group_storylines(selection, HashingEmbedder(), cap=5), limit=10)
    copies = [c for s in evidence.sections if s.kind != "bottom_line" for c in s.sentences if c.text == shared]
    assert len(copies) == 1
    assert [c.article_id for c in evidence.candidates if c.text == shared] == ["a", "b"]  # both still read
