"""Stage 7: the briefing as Markdown, as a printable HTML page (jinja2, autoescaped), and as JSON."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from rag.briefing.models import NO_RESPONSE, Briefing, Citation, Counts
from rag.markdown import escape_markdown as _md
from rag.markdown import link_markdown, safe_url

_TEMPLATES = Path(__file__).resolve().parent / "templates"


def source_numbers(briefing: Briefing) -> dict[str, int]:
    """Article id → its number in the Sources list (1-based)."""
    return {s.article_id: n for n, s in enumerate(briefing.sources, start=1)}


def outlets_phrase(counts: Counts) -> str:
    """``2 independent outlets``, and the articles whose outlet is unknown apart (they are not counted as outlets)."""
    phrase = f"{counts.independent_outlets} independent outlet{'' if counts.independent_outlets == 1 else 's'}"
    if counts.without_outlet:
        phrase += f" and {counts.without_outlet} article{'' if counts.without_outlet == 1 else 's'} with no outlet named"
    return phrase


def render_html(briefing: Briefing) -> str:
    """A standalone page; every piece of article text is escaped by jinja2's autoescape."""
    env = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("briefing.html.j2").render(b=briefing, numbers=source_numbers(briefing),
                                                       no_response=NO_RESPONSE, safe_url=safe_url,
                                                       outlets=outlets_phrase)


def render_markdown(briefing: Briefing) -> str:
    """The briefing as Markdown; every piece of article or model text goes through :func:`rag.markdown.escape_markdown`."""
    numbers = source_numbers(briefing)

    def cites(citations: list[Citation]) -> str:
        return "".join(f" [{n}]" for n in dict.fromkeys(numbers[c.article_id] for c in citations))

    def quoted(text: str) -> str:
        return _md(text) if text.startswith(("“", '"')) else f"“{_md(text)}”"

    lines = [f"# {_md(briefing.title)}", "",
             f"*As of {briefing.as_of:%Y-%m-%d %H:%M} UTC · window {briefing.window.start or 'start'} to "
             f"{briefing.window.end} · {briefing.counts.articles} articles ({briefing.counts.reprints} reprints) from "
             f"{outlets_phrase(briefing.counts)} · {briefing.dropped} sentences dropped, "
             f"{briefing.replaced} replaced by quotes*", ""]
    for section in briefing.sections:
        lines += [f"## {_md(section.title)}", ""]
        for s in section.sentences:
            new = "**NEW** " if s.new else ""
            date = f"{_md(s.date or s.date_text or '')}: " if section.kind == "developments" and s.date_text else ""
            text = quoted(s.text) if s.quoted else _md(s.text)
            lines.append(f"- {new}{date}{text}{cites(s.citations)}")
        lines.append("")
    lines += ["## Claims and counter-claims", ""]
    for point in briefing.contested:
        lines.append(f"- {'**NEW** ' if point.new else ''}**{_md(point.topic)}**")
        lines.append(f"  - {_md(point.claim.who)}: {quoted(point.claim.text)}{cites(point.claim.citations)}")
        if point.response:
            lines.append(f"  - {_md(point.response.who)}: {quoted(point.response.text)}{cites(point.response.citations)}")
        else:
            lines.append(f"  - {NO_RESPONSE}")
    if not briefing.contested:
        lines.append("No contested claims in the sources.")
    lines += ["", "## Timeline", ""]
    for event in briefing.timeline:
        when = event.date or event.date_text
        written = f" ({_md(event.date_text)})" if event.date and event.date_text != event.date else ""
        lines.append(f"- {'**NEW** ' if event.new else ''}**{_md(when)}**{written}: {_md(event.event)}{cites(event.citations)}")
    lines += ["", "## Sources", ""]
    for number, source in enumerate(briefing.sources, start=1):
        link = f" {link_markdown(source.url)}" if source.url else ""
        lines.append(f"{number}. {_md(source.outlet or 'outlet not given')}, “{_md(source.title)}”, "
                     f"{source.published_at or 'date not given'}{link}")
    return "\n".join(lines) + "\n"


def render_json(briefing: Briefing) -> str:
    return briefing.model_dump_json(indent=2)
