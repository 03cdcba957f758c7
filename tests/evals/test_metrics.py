"""Scoring rules on hand-built answers: each check can fail, and does when it should."""

from __future__ import annotations

from evals.briefing_metrics import KeyPoint, score_briefing
from evals.datasets import GoldenRow
from evals.metrics import aggregate, missing_groups, percentile, score_row, unsupported_entities
from rag.types import Answer, AnswerSentence, Citation

BODY = "Zabihullah Mujahid spoke in Kabul on Sunday. Pakistan denied it, calling the claims baseless."
BODIES = {"a": BODY, "b": "The border is some 1,600 miles long."}


def cite(article: str, quote: str) -> Citation:
    body = BODIES[article]
    start = body.find(quote)
    start = start if start >= 0 else 0
    return Citation(article_id=article, title=article, outlet=None, published_at=None, url=None,
                    chunk_id=f"{article}:0", quote=quote, start=start, end=start + len(quote), support=1.0)


def answer(sentences: list[tuple[str, list[int]]], citations: dict[int, Citation], **kw: object) -> Answer:
    text = " ".join(f"{s}{''.join(f'[{n}]' for n in c)}" for s, c in sentences)
    return Answer(question="q", text=text, sentences=[AnswerSentence(text=s, citations=c, support=1.0) for s, c in sentences],
                  citations=citations, model="fake", **kw)  # type: ignore[arg-type]


def row(**kw: object) -> GoldenRow:
    values: dict[str, object] = {"id": "r", "question": "Where did Mujahid speak?", "answer": "Kabul",
                                 "facts": [["Kabul"], ["Sunday"]], "sources": ["a"], "answerable": True, "tags": []}
    return GoldenRow(**(values | kw))  # type: ignore[arg-type]


def test_fact_groups_accept_any_alternative_case_insensitively() -> None:
    assert missing_groups("He spoke in KABUL.", [["Kabul"], ["Sunday", "weekend"]]) == [["Sunday", "weekend"]]
    assert missing_groups("kabul at the weekend", [["Kabul"], ["Sunday", "weekend"]]) == []


def test_a_cited_supported_answer_passes_with_clean_citation_metrics() -> None:
    good = answer([("Mujahid spoke in Kabul on Sunday.", [1])], {1: cite("a", "Zabihullah Mujahid spoke in Kabul on Sunday.")},
                  retrieved=["a:0", "b:0"])
    result = score_row(row(), good, BODIES, k=1, latency_ms=12.0)
    assert result.passed and result.why == []
    assert (result.hit, result.recall, result.reciprocal_rank) == (1.0, 1.0, 1.0)
    assert (result.markers, result.valid_markers, result.supported_sentences, result.sentences) == (1, 1, 1, 1)
    assert result.cited_in_gold == result.cited_articles == 1


def test_failures_say_why() -> None:
    partial = answer([("Mujahid spoke in Kabul.", [1])], {1: cite("a", "Zabihullah Mujahid spoke in Kabul on Sunday.")})
    result = score_row(row(), partial, BODIES, k=1, latency_ms=1)
    assert not result.passed and result.why == ["missing: Sunday"]

    refused = Answer(question="q", text="The sources don't say.", refused=True, mode="refused", reason="nothing", model="f")
    result = score_row(row(), refused, BODIES, k=1, latency_ms=1)
    assert not result.passed and result.why == ["refused: nothing"]

    unanswerable = row(answer=None, facts=[], sources=[], answerable=False)
    assert score_row(unanswerable, refused, BODIES, k=1, latency_ms=1).passed
    assert not score_row(unanswerable, partial, BODIES, k=1, latency_ms=1).passed


def test_retrieval_is_scored_at_article_level_with_rank() -> None:
    found_second = answer([("Kabul on Sunday.", [1])], {1: cite("a", "Zabihullah Mujahid spoke in Kabul on Sunday.")},
                          retrieved=["b:0", "b:1", "a:3"])
    result = score_row(row(), found_second, BODIES, k=1, latency_ms=1)
    assert result.retrieved_articles == ["b", "a"]
    assert (result.hit, result.recall, result.reciprocal_rank) == (0.0, 0.0, 0.5)


def test_dangling_markers_and_moved_quotes_are_invalid_citations() -> None:
    moved = cite("a", "Zabihullah Mujahid spoke in Kabul on Sunday.").model_copy(update={"start": 5, "end": 49})
    bad = answer([("Mujahid spoke in Kabul on Sunday.", [1, 2])], {1: moved})
    result = score_row(row(), bad, BODIES, k=1, latency_ms=1)
    assert (result.markers, result.valid_markers) == (2, 0)


def test_unsupported_numbers_and_names_are_counted() -> None:
    assert unsupported_entities("Mujahid said 40 people died in Kandahar.", BODY) == ["40", "Kandahar"]
    assert unsupported_entities("The border is 1600 miles.", BODIES["b"]) == []
    invented = answer([("Mujahid spoke in Kabul on Sunday with 40 aides.", [1])],
                      {1: cite("a", "Zabihullah Mujahid spoke in Kabul on Sunday.")})
    result = score_row(row(), invented, BODIES, k=1, latency_ms=1)
    assert result.unsupported_entities == ["40"] and result.supported_sentences == 0
    assert any("not in the cited text: 40" in w for w in result.why)


def test_a_conflict_passes_only_when_each_claim_is_cited_to_a_source_making_it() -> None:
    BODIES.update(w="The game was played in Glendale, Arizona.", t="The game was played in Tampa, Florida.")
    conflict = row(facts=[["Tampa"], ["Glendale"]], sources=["t", "w"], tags=["conflict"])
    both = answer([("Sources say Tampa.", [1]), ("Others say Glendale.", [2])],
                  {1: cite("t", "The game was played in Tampa, Florida."),
                   2: cite("w", "The game was played in Glendale, Arizona.")})
    assert score_row(conflict, both, BODIES, k=2, latency_ms=1).passed
    one_source = answer([("Sources say Tampa or Glendale.", [1])], {1: cite("t", "The game was played in Tampa, Florida.")})
    result = score_row(conflict, one_source, BODIES, k=2, latency_ms=1)
    assert not result.passed and "Glendale" in result.why[0]


def test_aggregate_rates_and_latency_percentiles() -> None:
    good = answer([("Mujahid spoke in Kabul on Sunday.", [1])], {1: cite("a", "Zabihullah Mujahid spoke in Kabul on Sunday.")},
                  retrieved=["a:0"], timings={"retrieve": 5.0})
    refused = Answer(question="q", text="The sources don't say.", refused=True, mode="refused", model="f")
    rows = [
        score_row(row(id="1"), good, BODIES, 1, 100.0),
        score_row(row(id="2"), refused, BODIES, 1, 300.0),
        score_row(row(id="3", answer=None, facts=[], sources=[], answerable=False), refused, BODIES, 1, 200.0),
        score_row(row(id="4", answer=None, facts=[], sources=[], answerable=False), good, BODIES, 1, 400.0),
    ]
    metrics = aggregate(rows)
    assert metrics["fact_accuracy"] == 0.5 and metrics["false_refusal_rate"] == 0.5
    assert metrics["correct_refusal_rate"] == 0.5
    assert metrics["citation_validity"] == 1.0 and metrics["support_rate"] == 1.0
    assert metrics["citation_precision"] == 1.0  # only answerable rows count toward precision
    assert metrics["latency_p50_ms"] == 200.0 and metrics["latency_p95_ms"] == 400.0
    assert metrics["latency_by_stage"]["retrieve"] == {"p50_ms": 5.0, "p95_ms": 5.0}
    assert metrics["modes"] == {"generated": 2, "refused": 2}
    assert percentile([], 0.5) == 0.0 and percentile([3, 1, 2], 0.5) == 2


def test_briefing_scores_key_points_and_cited_share() -> None:
    points = [
        KeyPoint(id="k1", point="Mujahid spoke in Kabul", facts=[["Mujahid"], ["Kabul"]], sources=["a"]),
        KeyPoint(id="k2", point="The border length", facts=[["1,600"]], sources=["b"]),
    ]
    sentences = [AnswerSentence(text="Mujahid spoke in Kabul on Sunday.", citations=[1], support=1.0),
                 AnswerSentence(text="Uncited colour.", citations=[], support=0.0)]
    scores = score_briefing(sentences, {1: cite("a", "Zabihullah Mujahid spoke in Kabul on Sunday.")}, points)
    assert scores["key_point_coverage"] == 0.5 and scores["key_point_sourced"] == 0.5
    assert scores["sentences_cited"] == 0.5 and scores["sentences_supported"] == 0.5
    assert scores["missed"] == ["k2"]


def test_a_contested_side_named_in_full_matches_a_gold_surname_and_nothing_looser() -> None:
    from evals.briefing_metrics import GoldSide, _side_matches
    from rag.briefing.models import Citation as BriefingCitation
    from rag.briefing.models import Side

    quote = BriefingCitation(article_id="a1", title="t", outlet=None, published_at=None, url=None,
                                     quote="Ann Roe’s claim that she ended the strike", start=0, end=41)
    gold = GoldSide(who="Roe", facts=[["strike"]], sources=["a1"])
    assert _side_matches(Side(who="Ann Roe", text=quote.quote, citations=[quote]), gold)
    assert _side_matches(Side(who="Roe (union)", text=quote.quote, citations=[quote]), gold)
    assert not _side_matches(Side(who="Roeland", text=quote.quote, citations=[quote]), gold)
    assert not _side_matches(Side(who="Ann Roe Smith", text=quote.quote, citations=[quote]), gold)
    assert not _side_matches(Side(who="Ann Roe", text=quote.quote, citations=[quote.model_copy(
        update={"article_id": "a2"})]), gold)  # a right name cited to the wrong article
