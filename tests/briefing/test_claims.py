from __future__ import annotations

import datetime as dt

from rag.briefing.claims import extract_statements, find_mentions, pair_claims
from rag.briefing.evidence import article_candidates
from rag.briefing.models import ContestedPoint
from rag.types import Article


def points_for(articles: list[Article]) -> list[ContestedPoint]:
    candidates = [c for rank, a in enumerate(articles, start=1) for c in article_candidates(a, rank)]
    return pair_claims(extract_statements(candidates))


def test_the_seeds_yield_the_three_contested_points_with_both_sides(seed_articles: list[Article]) -> None:
    points = points_for(seed_articles)
    by_id = {a.id: a for a in seed_articles}
    isis = next(p for p in points if "ISIS-K" in p.topic)
    assert isis.claim.who.startswith("Afghanistan") and isis.response is None  # no response in the sources
    assert all(c.article_id.startswith("000") for c in isis.claim.citations)

    drone = next(p for p in points if "drone" in p.claim.text and p.claim.who.startswith("Afghanistan"))
    assert drone.response is not None and drone.response.who.startswith("Pakistan")
    assert any(w in drone.response.text for w in ("rejected", "has not undertaken", "has not carried out"))

    ttp = next(p for p in points if "TTP" in p.topic)
    assert ttp.claim.who.startswith("Pakistan") and ttp.response is not None
    assert ttp.response.who.startswith("Afghanistan")
    assert "internal" in ttp.response.text
    for point in (isis, drone, ttp):  # every side quotes its article exactly
        for side in (point.claim, point.response):
            for citation in side.citations if side else []:
                assert by_id[citation.article_id].body[citation.start:citation.end] == citation.quote


def test_a_denial_of_another_matter_is_not_paired_with_the_claim() -> None:
    body = ("Ruritania accused Freedonia of shelling the border town of Zenda on Monday.\n"
            "Separately, Freedonia denied that its fishing fleet had entered Ruritanian waters.")
    points = points_for([Article(id="r", title="t", published_at=dt.date(2026, 1, 5), body=body)])
    assert len(points) == 1 and points[0].claim.who == "Ruritania" and points[0].response is None


def test_unknown_parties_pair_claims_with_their_denials() -> None:
    body = ("Ruritania accused Freedonia of shelling the border town of Zenda.\n"
            "Freedonia rejected the allegations, saying its artillery had not fired on Zenda.")
    points = points_for([Article(id="r", title="t", body=body)])
    assert len(points) == 1
    assert points[0].response is not None and points[0].response.who == "Freedonia"
    assert points[0].response.text.startswith("Freedonia rejected")


def test_a_negated_accusation_is_not_a_claim_and_a_group_name_is_not_a_party() -> None:
    body = "Pakistan initially did not actually accuse Kabul of supporting the TTP."
    assert points_for([Article(id="n", title="t", body=body)]) == []
    mentions = find_mentions("the insurgent group Tehrik-e-Taliban Pakistan, a Pakistani Taliban offshoot")
    assert mentions == []
