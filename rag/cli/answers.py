"""``rag ask`` and ``rag check``: a cited answer to a question, and a claim checked against the corpus."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from rag.cli.common import (
    Backend,
    DataDir,
    JsonFlag,
    Outlet,
    Since,
    Until,
    build_settings,
    check_backend,
    console,
    fail,
    print_json,
    quote_line,
    source_line,
)
from rag.services import Services
from rag.types import SearchFilters


def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    since: Since = None,
    until: Until = None,
    outlet: Outlet = None,
    backend: Backend = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Answer a question from the indexed articles; every sentence cites a checkable quote."""
    from rag.answer.pipeline import Answerer, AskOptions
    from rag.models.files import ModelFileError
    from rag.models.llm import LLMError

    check_backend(backend)
    services = Services(build_settings(data_dir, backend=backend))
    filters = SearchFilters(since=since.date() if since else None, until=until.date() if until else None,
                            outlets=outlet or [])
    try:
        answerer = Answerer.from_services(services)
        printer = None if as_json else (lambda sentence, _: console.print(
            Text.assemble(sentence.text, " ", ("".join(f"[{n}]" for n in sentence.citations), "cyan"))))
        options = AskOptions(filters=filters, k=services.settings.top_k, max_tokens=services.settings.llm_max_tokens)
        answer = answerer.ask(question, options, on_sentence=printer)
    except (LLMError, ModelFileError, ValueError) as exc:
        raise fail(str(exc)) from exc
    if as_json:
        print_json(answer)
        return
    if answer.refused:
        console.print(Text(answer.text))
        if answer.related:
            console.print("\n[dim]Related passages, not an answer:[/dim]")
            for citation in answer.related:
                console.print(Text(f"  “{citation.quote}” — {source_line(citation)}"))
        return
    if answer.disagree:
        console.print(Text("The sources disagree: each answer above is quoted with its source.", style="yellow"))
    console.print()
    for number, citation in answer.citations.items():
        console.print(Text.assemble((f"[{number}]", "cyan"), " ", source_line(citation)))
        console.print(quote_line(citation, citation.chunk_id))


def check(
    claim: Annotated[str, typer.Argument(help="The statement to fact-check against the indexed articles.")],
    backend: Backend = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Fact-check a claim: supported, contradicted (a source says otherwise) or not_in_sources, with the quotes."""
    from rag.answer.factcheck import check_claim
    from rag.models.files import ModelFileError
    from rag.models.llm import LLMError

    check_backend(backend)
    services = Services(build_settings(data_dir, backend=backend))
    try:
        verdict = check_claim(claim, services)
    except (LLMError, ModelFileError, ValueError) as exc:
        raise fail(str(exc)) from exc
    if as_json:
        print_json({"verdict": verdict.verdict, "citations": verdict.citations, "reason": verdict.reason})
        return
    colour = {"supported": "green", "contradicted": "red", "not_in_sources": "yellow"}[verdict.verdict]
    console.print(Text.assemble((verdict.verdict, colour), f": {verdict.reason}"))
    label = "closest passages, not evidence" if verdict.verdict == "not_in_sources" else "source"
    for citation in verdict.citations:
        console.print(Text.assemble("  ", (f"{label}:", "dim"), " ", source_line(citation)))
        console.print(quote_line(citation, citation.article_id))
