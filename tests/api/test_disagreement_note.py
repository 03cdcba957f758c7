"""An answer whose sources disagree says so in the OpenAI-shaped content, before its Sources list."""

from __future__ import annotations

from api.openai_compat import DISAGREE_NOTE, answer_markdown, sources_markdown
from rag.types import Answer, AnswerSentence, Citation


def _citation(quote: str, title: str) -> Citation:
    return Citation(article_id=title.lower(), title=title, outlet="Wire", published_at=None, url=None,
                    chunk_id=f"{title.lower()}:0", quote=quote, start=0, end=len(quote), support=1.0)


def _answer(disagree: bool) -> Answer:
    quotes = ["Facebook acquired WhatsApp.", "Apple acquired WhatsApp."]
    return Answer(question="Which company acquired WhatsApp?", model="fake", disagree=disagree,
                  text=("The sources disagree. " if disagree else "") + " ".join(f"“{q}” [{n}]" for n, q in
                                                                              enumerate(quotes, 1)),
                  sentences=[AnswerSentence(text=f"“{q}”", citations=[n], support=1.0, quoted=True)
                             for n, q in enumerate(quotes, 1)],
                  citations={n: _citation(q, f"Wire{n}") for n, q in enumerate(quotes, 1)})


def test_the_note_comes_before_the_sources_only_when_they_disagree() -> None:
    content = answer_markdown(_answer(True)) + sources_markdown(_answer(True))
    assert DISAGREE_NOTE in content and content.index(DISAGREE_NOTE) < content.index("Sources:")
    assert "Facebook" in content and "Apple" in content
    agreeing = answer_markdown(_answer(False)) + sources_markdown(_answer(False))
    assert DISAGREE_NOTE not in agreeing and "Sources:" in agreeing
