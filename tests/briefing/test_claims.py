from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rag.briefing.claims import extract_statements, pair_claims
from rag.briefing.evidence import article_candidates
from rag.briefing.models import ContestedPoint
from rag.nlp.parse import PipelineError, pipeline_path, verify_pipeline
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

    ttp = next(p for p in points if p.claim.who.startswith("Pakistan") and p.response is not None)
    assert ttp.response is not None and ttp.response.who.startswith("Afghanistan")
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


def one_article(body: str) -> list[ContestedPoint]:
    return points_for([Article(id="x", title="t", published_at=dt.date(2026, 3, 2), body=body)])


def test_a_negated_accusation_is_not_a_claim() -> None:
    assert one_article("Ruritania did not accuse Borduria of shelling the port.") == []


def test_a_capital_speaks_for_its_country_and_the_accused_is_the_object() -> None:
    body = ("Caracas accused Bogotá of closing the border crossing at Cúcuta.\n"
            "The ministry in Bogotá rejected the allegations, saying the crossing had closed for repairs.")
    [point] = one_article(body)
    assert point.claim.who == "Venezuela (Caracas)" and point.topic.startswith("Venezuela accuses Colombia")
    assert point.response is not None and point.response.who.startswith("Colombia")
    assert point.response.text.startswith("The ministry in Bogotá rejected")


def test_the_agent_of_a_passive_accusation_is_the_accuser() -> None:
    [statement] = extract_statements(article_candidates(
        Article(id="p", title="t", body="Ruritania was accused by Borduria of shelling the port."), 1))
    assert statement.kind == "claim" and statement.speaker.party == "Borduria" and statement.target == "Ruritania"


def test_an_official_in_apposition_speaks_for_the_country_named_in_his_title() -> None:
    body = ("Aram Vardanyan, the Armenian foreign minister, accused Azerbaijan of shelling the village of Sotk.\n"
            "Later, Vardanyan alleged that Azerbaijan had moved artillery to the ridge.\n"
            "Azerbaijan denied it.")
    statements = extract_statements(article_candidates(Article(id="a", title="t", body=body), 1))
    claims = [s for s in statements if s.kind == "claim"]
    assert [(s.speaker.party, s.speaker.text) for s in claims][:1] == [("Armenia", "Aram Vardanyan")]
    assert all(s.speaker.party == "Armenia" for s in claims)  # the surname alone is the same man


def test_an_acronym_the_article_defines_names_the_same_group() -> None:
    body = ("Ruritania accused Borduria of sheltering the Northern Liberation Front (NLF) near the port.\n"
            "Ruritania again accused Borduria of arming the NLF.")
    [point] = one_article(body)
    assert point.topic == "Ruritania accuses Borduria (NLF)"


def test_a_response_by_a_body_of_the_accused_government_answers_the_claim() -> None:
    body = ("Kuwait accused Iraq of diverting the river.\n"
            "The Iraqi government rejected the allegations as baseless.")
    [point] = one_article(body)
    assert point.response is not None and point.response.who == "Iraq (Iraqi)"


def test_a_tampered_pipeline_file_fails_with_a_sentence(tmp_path: Path) -> None:
    (tmp_path / "meta.json").write_text("{}")
    with pytest.raises(PipelineError, match="meta.json"):
        verify_pipeline(tmp_path, {"meta.json": "0" * 64})
    verify_pipeline(pipeline_path())  # the installed one matches its pins


def test_a_position_stated_as_a_noun_is_a_claim_and_the_other_sides_position_answers_it() -> None:
    body = ("Ruritania’s argument is that the Northern Liberation Front (NLF) has bases in Borduria, from which it raids "
            "the frontier.\n"
            "Borduria’s argument, on the other hand, is that the NLF is a Ruritanian problem and that its fighters "
            "live in Ruritania.")
    [point] = one_article(body)  # the counter-position answers the point and is not a point of its own
    assert point.topic == "Ruritania accuses Borduria (NLF)" and point.claim.text.startswith("Ruritania’s argument")
    assert point.response is not None and point.response.who == "Borduria"
    assert point.response.text.startswith("Borduria’s argument")


def test_a_counter_claim_about_another_matter_does_not_answer() -> None:
    body = ("Chad accused Sudan of shelling the border town of Adré.\n"
            "Separately, Sudan accused Chad of jamming its radio stations.")
    points = one_article(body)
    assert [p.topic.split(" (")[0] for p in points] == ["Chad accuses Sudan", "Sudan accuses Chad"]
    assert all(p.response is None for p in points)


def test_an_objection_to_a_claim_stated_as_a_noun_answers_it_and_a_claim_of_credit_accuses_nobody() -> None:
    body = ("In the case of the river dispute, Freedonia objects to Ruritania’s claim that it brokered the truce "
            "between Freedonia and Borduria.")
    [point] = one_article(body)
    assert point.claim.who == "Ruritania" and point.claim.text.startswith("Ruritania’s claim that it brokered")
    assert point.topic.startswith("Ruritania's claim concerning Freedonia")  # credit claimed, nobody accused
    assert point.response is not None and point.response.who == "Freedonia"
    assert "objects to" in point.response.text


def test_maintained_that_is_a_claim_and_its_accusation_that_is_the_subjects() -> None:
    body = ("The Sudanese government has maintained that Chad provided shelter and arms to rebels in Darfur.\n"
            "Chad’s support of the exiles mirrors its accusation that Sudan has fueled the revolt in the east.")
    points = one_article(body)
    assert [p.topic.split(" (")[0] for p in points] == ["Sudan accuses Chad", "Chad accuses Sudan"]
    assert points[1].claim.text.startswith("its accusation that Sudan")
    assert one_article("The ministry maintained the road to Zenda.") == []  # no reported clause: no claim


def test_a_counter_claim_about_another_named_group_does_not_answer() -> None:
    body = ("Ruritania accused Borduria of arming the Northern Front in Zenda.\n"
            "Borduria’s repeated accusations that Ruritania shelters the Eastern Legion in its capital continue.")
    points = one_article(body)
    assert len(points) == 2 and all(p.response is None for p in points)


def test_a_response_goes_on_while_its_speaker_does_and_stops_at_another_party() -> None:
    own = ("Chad strongly objects to Sudan’s claim that it brokered the truce between Chad and Libya; the Chadian government "
           "describes the truce as agreed bilaterally and has downplayed Sudan’s role.")
    [point] = one_article(own)
    assert point.response is not None and point.response.who.startswith("Chad")
    assert point.response.text.endswith("has downplayed Sudan’s role")
    other = ("Chad strongly objects to Sudan’s claim that it brokered the truce between Chad and Libya; the Libyan government "
             "describes the truce as its own work.")
    [point] = one_article(other)
    assert point.response is not None and "Libyan" not in point.response.text
