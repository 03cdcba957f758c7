"""Briefings: sourced situation summaries built by typed stages, each saving its artifact.

Stages: select → storylines → evidence → claims → timeline → write → verify → render; a run can be
inspected and resumed from its artifacts.

    from rag.briefing import BriefingOptions, generate_briefing, render_html, render_markdown
    briefing = generate_briefing(services, BriefingOptions(since_last=True, max_words=500))
"""

from rag.briefing.models import Briefing, BriefingOptions
from rag.briefing.pipeline import BriefingError, generate_briefing, previous_briefing, resume_briefing
from rag.briefing.render import render_html, render_json, render_markdown

__all__ = ["Briefing", "BriefingError", "BriefingOptions", "generate_briefing", "previous_briefing", "render_html",
           "render_json", "render_markdown", "resume_briefing"]
