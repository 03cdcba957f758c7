"""A deterministic synthetic window of news articles, for timing the briefing stages at scale.

``python -m tests.briefing.synthetic [N]`` times the non-model stages over N articles (default 1,000) with the
``HashingEmbedder`` and a fake writer (no model), and prints the milliseconds per stage.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time

from rag.briefing.claims import extract_statements, pair_claims
from rag.briefing.evidence import gather_evidence
from rag.briefing.models import Window
from rag.briefing.select import select_articles
from rag.briefing.storylines import group_storylines
from rag.briefing.timeline import build_timeline
from rag.briefing.verify import verify_briefing
from rag.briefing.write import write_sections
from rag.testing.embed import HashingEmbedder
from rag.testing.llm import FunctionModel
from rag.types import Article
from rag.verify import Verifier

END = dt.date(2026, 3, 7)
PLACES = ["Kandahar", "Khost", "Kunar", "Quetta", "Peshawar", "Jalalabad", "Chaman", "Torkham", "Bajaur", "Paktika",
          "Nangarhar", "Helmand", "Zhob", "Kurram", "Waziristan", "Herat", "Ghazni", "Laghman", "Chitral", "Mohmand"]
EVENTS = ["drone strike", "border clash", "artillery duel", "raid on a checkpoint", "bombing at a market",
          "ambush of a convoy", "rocket attack", "siege of a border post"]
OUTLETS = [f"Outlet {i:02d}" for i in range(30)]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice("bdgklmnprstvz") + rng.choice("aeiou") for _ in range(3))


def synthetic_articles(count: int = 1000, seed: int = 7) -> list[Article]:
    """``count`` articles over a week: 60 storylines (place × event, each with its own vocabulary), a tenth reprints."""
    rng = random.Random(seed)
    stories = [(place, event) for place in PLACES for event in EVENTS][:60]
    vocabulary = {story: " ".join(_word(rng) for _ in range(8)) for story in stories}
    articles: list[Article] = []
    for index in range(count):
        place, event = stories[rng.randrange(len(stories))]
        day = END - dt.timedelta(days=rng.randrange(7))
        killed, homes = rng.randint(2, 40), rng.randint(5, 300)
        accuser, denier = ("Afghanistan", "Pakistan") if rng.random() < 0.5 else ("Pakistan", "Afghanistan")
        words = vocabulary[(place, event)]
        body = (
            f"{place.upper()} {words}.\n"
            f"A {event} in {place} killed at least {killed} people last {WEEKDAYS[rng.randrange(7)]}, officials said.\n"
            f"{accuser} accused {denier} of carrying out the {event} in {place}.\n"
            f"{denier} rejected the allegations, calling them baseless.\n"
            f"Local officials said {homes} homes were damaged and families have been displaced from {place}.\n"
            f"The United Nations urged restraint and called for the protection of civilians in {place}.\n"
            f"Analysts warned that the {event} could trigger further escalation along the border.\n"
            f"Residents of {place} described the {event} that began on {day:%b}. {day.day} as the worst in months."
        )
        original = articles[-1] if articles and rng.random() < 0.1 else None
        if original is not None:
            articles.append(original.model_copy(update={"id": f"syn-{index:04d}", "outlet": OUTLETS[rng.randrange(30)],
                                                        "duplicate_of": original.id}))
            continue
        articles.append(Article(id=f"syn-{index:04d}", title=f"{event.capitalize()} in {place}: {words}",
                                outlet=OUTLETS[rng.randrange(30)], published_at=day, url=f"https://example.org/{index}",
                                body=body))
    return articles


def time_stages(articles: list[Article], cap: int = 6) -> dict[str, float]:
    """Milliseconds per stage over ``articles`` (writer: a fake that restates its first evidence sentence)."""
    timings: dict[str, float] = {}

    def timed(name: str, started: float) -> None:
        timings[name] = round((time.perf_counter() - started) * 1000, 1)

    started = time.perf_counter()
    selection = select_articles(articles, Window(start=END - dt.timedelta(days=6), end=END))
    timed("select", started)
    started = time.perf_counter()
    storylines = group_storylines(selection, HashingEmbedder(), cap)
    timed("storylines", started)
    started = time.perf_counter()
    evidence = gather_evidence(selection, storylines, limit=6)
    timed("evidence", started)
    started = time.perf_counter()
    points = pair_claims(extract_statements(evidence.candidates))
    timed("claims", started)
    started = time.perf_counter()
    events = build_timeline(evidence.candidates)
    timed("timeline", started)
    chat = FunctionModel(lambda messages: "- " + messages[-1]["content"].split("\n")[1].split("] ", 1)[1] + " [1]")
    started = time.perf_counter()
    drafts = write_sections(evidence, chat)
    timed("write (fake model)", started)
    started = time.perf_counter()
    verify_briefing(drafts, evidence, points, events, Verifier(None), 600)
    timed("verify (rules)", started)
    timings["articles"], timings["storylines_total"] = len(selection.articles), storylines.total
    timings["model_calls"], timings["evidence_sentences_shown"] = chat_calls(chat), sum(
        len(evidence.section(k)) for k in ("bottom_line", "developments", "humanitarian", "international", "watch"))
    return timings


def chat_calls(chat: FunctionModel) -> int:
    return len(chat.calls)


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    print(time_stages(synthetic_articles(count)))
