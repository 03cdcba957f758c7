"""Run the briefing stages, saving each artifact under ``<data_dir>/briefings/runs/<RUN_ID>/<stage>.json``.

``generate_briefing(services, options)`` runs them all; ``resume_briefing(services, run_id)`` reloads the saved
options and skips every stage whose artifact exists. Timings and model calls per stage go into the briefing.
The finished briefing is stored in ``services.database``; the next one can start its window where this one
ended, and marks as new what this one did not cite.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from rag.briefing.claims import ClaimsArtifact, extract_statements, pair_claims
from rag.briefing.evidence import EvidenceSet, gather_evidence
from rag.briefing.models import Briefing, BriefingOptions, Citation, Source, StageTiming, TimelineEvent, Window
from rag.briefing.render import render_html, render_markdown
from rag.briefing.select import Selection, article_day, select_articles
from rag.briefing.storylines import Storylines, group_storylines
from rag.briefing.timeline import build_timeline
from rag.briefing.topic import TOPIC_SEARCH_K, TopicSelection, select_topic
from rag.briefing.verify import Verified, verify_briefing
from rag.briefing.write import Drafts, write_sections
from rag.models.llm import ChatModel, Message
from rag.services import Services
from rag.types import SupportVerdict

Artifact = TypeVar("Artifact", bound=BaseModel)


class RunManifest(BaseModel):
    """What a run was asked for, fixed at its start so a resumed run does the same thing."""

    run_id: str
    options: BriefingOptions
    as_of: dt.datetime
    window: Window
    previous_id: str | None = None


class TimelineArtifact(BaseModel):
    events: list[TimelineEvent]


class BriefingError(ValueError):
    """The briefing cannot be made as asked (unknown run, bad window); the message says why."""


class CountingModel:
    """Wraps the chat model to count calls per stage."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner, self.calls, self.name = inner, 0, getattr(inner, "name", "")

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str:
        self.calls += 1
        return self.inner.complete(messages, max_tokens)

    def stream(self, messages: Sequence[Message], max_tokens: int = 256) -> Iterator[str]:
        self.calls += 1
        return self.inner.stream(messages, max_tokens)


class CountingVerifier:
    """Wraps ``services.verifier`` to count checks, and the ones the model judge decided (model calls)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.checks, self.judged = inner, 0, 0

    def check(self, sentence: str, quote: str) -> SupportVerdict:
        verdict: SupportVerdict = self.inner.check(sentence, quote)
        self.checks += 1
        self.judged += verdict.judged
        return verdict


def runs_dir(services: Services) -> Path:
    return services.settings.data_dir / "briefings" / "runs"


class _Run:
    def __init__(self, services: Services, manifest: RunManifest, resume: bool) -> None:
        self.services, self.manifest, self.resume = services, manifest, resume
        self.folder = runs_dir(services) / manifest.run_id
        self.folder.mkdir(parents=True, exist_ok=True)
        self.timings: dict[str, StageTiming] = {}

    def stage(self, name: str, kind: type[Artifact], build: Callable[[], Artifact],
              calls: Callable[[], int] = lambda: 0) -> Artifact:
        path = self.folder / f"{name}.json"
        started = time.perf_counter()
        if self.resume and path.is_file():
            artifact = kind.model_validate_json(path.read_text(encoding="utf-8"))
            self.timings[name] = StageTiming(ms=_ms(started), resumed=True)
            return artifact
        before = calls()
        artifact = build()
        path.write_text(artifact.model_dump_json(indent=1), encoding="utf-8")
        self.timings[name] = StageTiming(ms=_ms(started), model_calls=calls() - before)
        return artifact


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def previous_briefing(services: Services) -> Briefing | None:
    record = services.database.latest_briefing()
    return None if record is None else Briefing.model_validate_json(record.payload_json)


def plan_run(services: Services, options: BriefingOptions) -> RunManifest:
    """Fix the run's time, window and the briefing it is compared with."""
    as_of = options.as_of or dt.datetime.now(dt.UTC)
    previous = previous_briefing(services)
    end = options.until or as_of.date()
    start = options.since
    if options.since_last and previous is not None:
        start = previous.window.end
    if start is not None and start > end:
        raise BriefingError(f"the window starts {start} after it ends {end}")
    digest = hashlib.sha256(f"{as_of.isoformat()}|{options.model_dump_json()}".encode()).hexdigest()[:6]
    return RunManifest(run_id=f"{as_of:%Y%m%d-%H%M%S}-{digest}", options=options, as_of=as_of,
                       window=Window(start=start, end=end), previous_id=previous.id if previous else None)


def generate_briefing(services: Services, options: BriefingOptions | None = None) -> Briefing:
    """Run every stage for ``options`` and store the briefing."""
    manifest = plan_run(services, options or BriefingOptions())
    folder = runs_dir(services) / manifest.run_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(manifest.model_dump_json(indent=1), encoding="utf-8")
    return _execute(services, manifest, resume=False)


def resume_briefing(services: Services, run_id: str) -> Briefing:
    """Finish run ``run_id``: stages whose artifact is saved are loaded, the rest run."""
    path = runs_dir(services) / run_id / "manifest.json"
    if not path.is_file():
        raise BriefingError(f"no briefing run {run_id!r} under {runs_dir(services)}")
    return _execute(services, RunManifest.model_validate_json(path.read_text(encoding="utf-8")), resume=True)


def _topic(services: Services, topic: str) -> TopicSelection:
    """The topic's articles, by meaning (:mod:`rag.briefing.topic`); the judge is the verifier's."""
    hits = services.retriever.search(topic, k=TOPIC_SEARCH_K)
    return select_topic(topic, hits, getattr(services.verifier, "judge", None))


def _execute(services: Services, manifest: RunManifest, resume: bool) -> Briefing:
    run, options = _Run(services, manifest, resume), manifest.options
    chat = CountingModel(services.chat) if _needs_model(run) else None
    verifier = CountingVerifier(services.verifier)

    topic = options.topic
    chosen = run.stage("topic", TopicSelection, lambda: _topic(services, topic)) if topic else None

    def select() -> Selection:
        only = chosen.kept() if chosen is not None else None
        selection = select_articles(services.store.list_articles(), manifest.window, only)
        if selection.window.start is None:
            days = [d for d in (article_day(a) for a in selection.articles) if d]
            selection.window = Window(start=min(days, default=manifest.window.end), end=manifest.window.end)
        return selection

    selection = run.stage("select", Selection, select)
    storylines = run.stage("storylines", Storylines,
                           lambda: group_storylines(selection, services.embedder, options.max_storylines))
    evidence = run.stage("evidence", EvidenceSet,
                         lambda: gather_evidence(selection, storylines, options.evidence_per_section))
    claims = run.stage("claims", ClaimsArtifact, lambda: _claims(evidence))
    timeline = run.stage("timeline", TimelineArtifact,
                         lambda: TimelineArtifact(events=build_timeline(evidence.candidates)))
    drafts = run.stage("write", Drafts, lambda: write_sections(evidence, chat) if chat else Drafts(),
                       calls=lambda: chat.calls if chat else 0)
    verified = run.stage("verify", Verified, lambda: verify_briefing(
        drafts, evidence, claims.points, timeline.events, verifier, options.max_words),
        calls=lambda: verifier.judged)
    started = time.perf_counter()
    previous = _load_previous(services, manifest.previous_id)
    briefing = assemble(manifest, selection, storylines, verified, previous, drafts.model)
    markdown, html = render_markdown(briefing), render_html(briefing)
    run.timings["render"] = StageTiming(ms=_ms(started))
    briefing.timings = run.timings
    (run.folder / "briefing.json").write_text(briefing.model_dump_json(indent=1), encoding="utf-8")
    (run.folder / "briefing.md").write_text(markdown, encoding="utf-8")
    (run.folder / "briefing.html").write_text(html, encoding="utf-8")
    services.database.save_briefing(briefing.id, briefing.as_of.date(), briefing.window.start or briefing.window.end,
                                    briefing.window.end, briefing.title, briefing.model_dump_json(), markdown, html)
    return briefing


def _needs_model(run: _Run) -> bool:
    return not (run.resume and (run.folder / "write.json").is_file())


def _claims(evidence: EvidenceSet) -> ClaimsArtifact:
    statements = extract_statements(evidence.candidates)
    return ClaimsArtifact(statements=statements, points=pair_claims(statements))


def _load_previous(services: Services, previous_id: str | None) -> Briefing | None:
    if previous_id is None:
        return None
    record = services.database.get_briefing(previous_id)
    return None if record is None else Briefing.model_validate_json(record.payload_json)


def assemble(manifest: RunManifest, selection: Selection, storylines: Storylines, verified: Verified,
             previous: Briefing | None, model: str) -> Briefing:
    """The briefing object: sections, contested points, timeline, sources, counts; "new" against ``previous``."""
    seen = _cited_spans(previous) if previous is not None else None
    sections = [s.model_copy(deep=True) for s in verified.sections]
    for section in sections:
        for sentence in section.sentences:
            sentence.new = _is_new(sentence.citations, seen)
    contested = [p.model_copy(update={"new": _is_new(p.claim.citations + (p.response.citations if p.response else []),
                                                     seen)}) for p in verified.contested]
    timeline = [e.model_copy(update={"new": _is_new(e.citations, seen)}) for e in verified.timeline]
    briefing = Briefing(
        id=f"brief-{manifest.run_id}", title=_title(manifest), as_of=manifest.as_of, window=selection.window,
        counts=selection.counts(storylines.total), sections=sections, contested=contested, timeline=timeline,
        sources=[], dropped=verified.dropped, replaced=verified.replaced, failures=verified.failures,
        previous_id=manifest.previous_id, topic=manifest.options.topic, model=model, run_id=manifest.run_id)
    briefing.sources = _sources(briefing)
    briefing.counts.cited_articles = len(briefing.sources)
    return briefing


def _title(manifest: RunManifest) -> str:
    about = f": {manifest.options.topic}" if manifest.options.topic else ""
    return f"Situation briefing{about}, {manifest.as_of:%Y-%m-%d}"


def _all_citations(briefing: Briefing) -> list[Citation]:
    found = [c for s in briefing.all_sentences() for c in s.citations]
    for point in briefing.contested:
        found += point.claim.citations + (point.response.citations if point.response else [])
    return found + [c for e in briefing.timeline for c in e.citations]


def _cited_spans(briefing: Briefing) -> dict[str, list[tuple[int, int]]]:
    spans: dict[str, list[tuple[int, int]]] = {}
    for citation in _all_citations(briefing):
        spans.setdefault(citation.article_id, []).append((citation.start, citation.end))
    return spans


def _is_new(citations: Sequence[Citation], seen: dict[str, list[tuple[int, int]]] | None) -> bool:
    """New unless a previous briefing cited an overlapping stretch of the same article (no previous: not new)."""
    if seen is None:
        return False
    return not any(c.start < end and start < c.end for c in citations for start, end in seen.get(c.article_id, []))


def _sources(briefing: Briefing) -> list[Source]:
    sources: dict[str, Source] = {}
    for c in _all_citations(briefing):
        sources.setdefault(c.article_id, Source(article_id=c.article_id, title=c.title, outlet=c.outlet,
                                                published_at=c.published_at, url=c.url))
    return list(sources.values())
