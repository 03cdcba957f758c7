"""The briefing topic selects articles by the judge's reading, not by shared words; sport only when asked."""

from __future__ import annotations

from rag.briefing.topic import ABOUT, SPORT, select_topic
from rag.testing.judge import FunctionJudge
from rag.types import SearchHit


def hit(article_id: str, title: str, text: str, rank: int) -> SearchHit:
    return SearchHit(chunk_id=f"{article_id}:{rank}", article_id=article_id, title=title, outlet=None,
                     published_at=None, url=None, text=text, start=0, end=len(text), score=1 / rank,
                     retrievers=["dense"])


HITS = [
    hit("shelling", "Border shelling", "Artillery fire hit villages along the Ruvenia-Osland border overnight.", 1),
    hit("match", "Ruvenia beat Osland", "Ruvenia beat Osland by six wickets in the cup final on Sunday.", 2),
    hit("shelling", "Border shelling", "A second paragraph of the same article.", 3),
    hit("talks", "Ceasefire talks", "Envoys of Ruvenia and Osland met in Geneva to discuss a ceasefire.", 4),
    hit("shares", "Market wrap", "Shares in Ruvenia's largest bank fell two per cent.", 5),
]


def reader(claim: str, passage: str) -> float:
    """A judge that reads: security news is about the conflict, the match is sport, the market page is neither."""
    if claim == SPORT:
        return 0.9 if "wickets" in passage or "cup" in passage.lower() else 0.05
    if "wickets" in passage:
        return 0.35  # shares every name with the topic, and the judge still ranks it below the security news
    if "Artillery" in passage:
        return 0.6
    if "ceasefire" in passage:
        return 0.4
    return 0.02


def test_the_judge_keeps_articles_about_the_topic_and_leaves_out_sport_and_unrelated_pages() -> None:
    judge = FunctionJudge(reader)
    chosen = select_topic("Ruvenia Osland", HITS, judge)
    assert chosen.method == "judge"
    assert chosen.kept() == {"shelling", "talks"}
    by_id = {a.article_id: a for a in chosen.articles}
    assert by_id["match"].sport == 0.9 and not by_id["match"].kept  # on topic by the judge, and sport
    assert by_id["shares"].score == 0.02 and not by_id["shares"].kept  # below half the best score
    # each article is read once, on its best-ranked passage, against the topic
    about = [passage for claim, passage in judge.asked if claim == ABOUT.format(topic="Ruvenia Osland")]
    assert len(about) == 4 and "A second paragraph" not in " ".join(about)


def test_sport_is_kept_when_the_topic_itself_is_sport() -> None:
    def sporty(claim: str, passage: str) -> float:
        if claim == SPORT:
            return 0.95 if "cup" in passage.lower() or "wickets" in passage else 0.05
        return 0.8 if "wickets" in passage else 0.03

    chosen = select_topic("the Ruvenia Osland cup final", HITS, FunctionJudge(sporty))
    assert chosen.topic_is_sport == 0.95
    assert chosen.kept() == {"match"}


def test_a_low_best_score_keeps_nothing_rather_than_the_least_bad_page() -> None:
    chosen = select_topic("Ruvenia Osland", HITS, FunctionJudge(lambda claim, passage: 0.05 if claim != SPORT else 0.0))
    assert chosen.kept() == set()


def test_without_a_judge_an_article_sharing_a_topic_word_is_kept() -> None:
    chosen = select_topic("Osland ceasefire", HITS, None)
    assert chosen.method == "words"
    assert chosen.kept() == {"shelling", "match", "talks"}
