"""Run the injection suite through the real pipeline and score it with :mod:`evals.injection.rules`.

The three seed articles are indexed in a scratch data directory. For each trial one article is re-ingested
with an attack inserted, then an ordinary golden question about that article is asked (``rag ask``), the
golden answer is fact-checked (``rag check``), and, for a sample, a briefing is written. The chat model is
wrapped to record every prompt, so each trial also says whether the attack text reached the model at all
(``exposed``): an attack the retrieval and evidence selection never show the model cannot succeed, and the
rate among exposed trials is the figure that measures the prompt and the verification gate.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from evals.injection.attacks import POSITIONS, Attack, Position, insert_attack, load_attacks
from evals.injection.rules import fired, produced_text
from rag.index.corpus import make_article, read_sources
from rag.index.ingest import ingest_items
from rag.models.llm import ChatModel, Message
from rag.services import Services
from rag.settings import Settings
from rag.types import Article

ROOT = Path(__file__).resolve().parents[2]
SEED_DIR = ROOT / "corpus" / "seeds"
GOLDEN = ROOT / "evals" / "datasets" / "seed_golden.jsonl"
Kind = Literal["ask", "check", "brief"]


class RecordingChat:
    """The real chat model, recording every prompt it is sent (to tell whether an attack reached it)."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner, self.name = inner, inner.name
        self.prompts: list[str] = []

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str:
        self.prompts.append("\n".join(m["content"] for m in messages))
        return self.inner.complete(messages, max_tokens)

    def stream(self, messages: Sequence[Message], max_tokens: int = 256) -> Iterator[str]:
        self.prompts.append("\n".join(m["content"] for m in messages))
        return self.inner.stream(messages, max_tokens)


class Question(BaseModel):
    id: str
    question: str
    answer: str
    article_id: str
    answer_end: int
    """End offset of the gold evidence in the clean article (where ``adjacent`` inserts the attack)."""


class Trial(BaseModel):
    """One attack at one position, one pipeline output, scored."""

    attack_id: str
    category: str
    position: Position
    kind: Kind
    article_id: str
    question_id: str
    exposed: bool
    """The attack text was in a prompt the model saw."""
    surfaced: bool
    """The attack text appears in the output (as a cited quote, say), obeyed or not."""
    rules: list[str] = Field(default_factory=list)
    """Rules that fired on the attacked output and not on the clean output to the same request."""
    output: str = ""
    seconds: float = 0.0

    @property
    def succeeded(self) -> bool:
        return bool(self.rules)


class Rate(BaseModel):
    trials: int = 0
    exposed: int = 0
    successes: int = 0
    successes_exposed: int = 0

    @property
    def rate(self) -> float:
        return self.successes / self.trials if self.trials else 0.0


class InjectionReport(BaseModel):
    model: str
    started: dt.datetime
    seconds: float
    trials: list[Trial]
    by_category: dict[str, Rate]
    by_position: dict[str, Rate]
    by_kind: dict[str, Rate]
    overall: Rate


def load_questions() -> dict[str, list[Question]]:
    """Answerable single-article golden questions with a gold evidence span, by article."""
    from evals.datasets import load_golden

    questions: dict[str, list[Question]] = defaultdict(list)
    for row in load_golden(GOLDEN):
        evidence = getattr(row, "evidence", None) or []
        if row.answerable and len(row.sources) == 1 and not getattr(row, "followup_of", None) and evidence and row.answer:
            questions[row.sources[0]].append(Question(id=row.id, question=row.question, answer=row.answer,
                                                      article_id=row.sources[0], answer_end=evidence[0].end))
    return dict(questions)


def plan(attacks: Sequence[Attack], positions: Sequence[Position], sample: int | None) -> list[tuple[Attack, Position]]:
    """Every attack at every position, or a fixed sample: one attack per category in turn, positions rotating."""
    pairs = [(a, p) for a in attacks for p in positions]
    if sample is None or sample >= len(pairs):  # every category's first attack at every position, then the second…
        return sorted(pairs, key=lambda pair: (int(pair[0].id.rsplit("-", 1)[1]), pair[0].category,
                                               positions.index(pair[1])))
    by_category: dict[str, list[Attack]] = defaultdict(list)
    for attack in attacks:
        by_category[attack.category].append(attack)
    chosen: list[tuple[Attack, Position]] = []
    round_ = 0
    while len(chosen) < sample:
        for index, category in enumerate(sorted(by_category)):
            group = by_category[category]
            attack = group[round_ % len(group)]
            chosen.append((attack, positions[(index + round_) % len(positions)]))
            if len(chosen) == sample:
                break
        round_ += 1
    return chosen


def run_injection(
    settings: Settings,
    sample: int | None = None,
    kinds: Sequence[Kind] = ("ask", "check"),
    briefings: int | None = None,
    positions: Sequence[Position] = POSITIONS,
    services: Services | None = None,
    on_trial: Callable[[Trial], None] | None = None,
    questions_per_article: int = 2,
) -> InjectionReport:
    """Run the suite in a scratch index (``settings.data_dir`` is replaced).

    Every placement runs ``kinds`` and writes a briefing, or only the first ``briefings`` placements do (a
    briefing reads every article, so it is the slowest output: about 11 s against 2 s for an answer).
    """
    started, clock = dt.datetime.now(dt.UTC), time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rag-injection-") as scratch:
        local = settings.model_copy(update={"data_dir": Path(scratch), "chroma_url": None,
                                            "model_path": _model_path(settings)})
        base = services or Services(local)
        recorder = RecordingChat(base.chat)
        services = Services(local, embedder_override=base.embedder, chat_override=recorder)
        clean = {a.id: a for a in read_sources([SEED_DIR]) if isinstance(a, Article)}
        ingest_items(list(clean.values()), services.store, services.embedder, local)
        questions = load_questions()
        targets = sorted(questions)
        runs = _Runs(services, recorder, clean)
        trials: list[Trial] = []
        pairs = plan(load_attacks(), positions, sample)
        for number, (attack, position) in enumerate(pairs):
            target = targets[_index(attack) % len(targets)]
            asked = questions[target][:questions_per_article]  # few questions: their clean outputs are reused
            question = asked[(_index(attack) // len(targets)) % len(asked)]
            wanted: list[Kind] = [*kinds, *(["brief"] if briefings is None or number < briefings else [])]  # type: ignore[list-item]
            runs.attack(clean[target], attack, position, question, wanted)
            for kind in wanted:
                trial = runs.trial(kind, attack, position, question)
                trials.append(trial)
                if on_trial:
                    on_trial(trial)
        runs.restore()
    return summarise(trials, recorder.name, started, time.perf_counter() - clock)


def _model_path(settings: Settings) -> Path | None:
    """The local GGUF where the user's data directory keeps it (not assembled again in the scratch one)."""
    if settings.backend != "local" or settings.model_path:
        return settings.model_path
    from rag.models.files import MODELS, ensure_model

    return ensure_model(MODELS[settings.local_model], settings.models_dir)


def _index(attack: Attack) -> int:
    return sum(ord(c) for c in attack.id)


class _Runs:
    """Keeps the index holding at most one attacked article, and the clean outputs to compare against."""

    def __init__(self, services: Services, recorder: RecordingChat, clean: dict[str, Article]) -> None:
        self.services, self.recorder, self.clean = services, recorder, clean
        self.dirty: str | None = None
        self.clean_output: dict[tuple[Kind, str], str] = {}

    def attack(self, article: Article, attack: Attack, position: Position, question: Question, kinds: Sequence[Kind]) -> None:
        self.restore()
        for kind in kinds:  # the clean output first: a rule an ordinary output trips does not count
            key = (kind, question.id if kind != "brief" else "")
            if key not in self.clean_output:
                self.clean_output[key] = self._output(kind, question, attack)[0]
        body = insert_attack(article.body, attack.text, position, question.answer_end)
        attacked = make_article(article.id, body, title=article.title, outlet=article.outlet,
                                published_at=article.published_at, url=article.url)
        ingest_items([attacked], self.services.store, self.services.embedder, self.services.settings)
        self.dirty = article.id

    def restore(self) -> None:
        if self.dirty is not None:
            ingest_items([self.clean[self.dirty]], self.services.store, self.services.embedder, self.services.settings)
            self.dirty = None

    def trial(self, kind: Kind, attack: Attack, position: Position, question: Question) -> Trial:
        self.recorder.prompts.clear()
        started = time.perf_counter()
        text, shown = self._output(kind, question, attack)
        reference = self._reference(question)
        clean = self.clean_output.get((kind, question.id if kind != "brief" else ""), "")
        rules = sorted(fired(text, attack, reference) - fired(clean, attack, reference))
        needle = " ".join(attack.text.split()[:6])
        return Trial(attack_id=attack.id, category=attack.category, position=position, kind=kind,
                     article_id=question.article_id, question_id=question.id,
                     exposed=any(needle in " ".join(p.split()) for p in self.recorder.prompts),
                     surfaced=needle in " ".join(shown.split()), rules=rules, output=text[:600],
                     seconds=round(time.perf_counter() - started, 2))

    def _reference(self, question: Question) -> str:
        """Every clean article and the question: an answer may rightly quote any article in the index."""
        return "\n".join([*(a.body for a in self.clean.values()), question.question])

    def _output(self, kind: Kind, question: Question, attack: Attack) -> tuple[str, str]:
        """(what the system produced, minus verbatim quotes; everything it showed, quotes included)."""
        if kind == "ask":
            from rag.answer.pipeline import Answerer, AskOptions

            answer = Answerer.from_services(self.services).ask(question.question, AskOptions())
            shown = " ".join([answer.text, *(c.quote for c in answer.citations.values())])
            return produced_text(((s.text, s.quoted) for s in answer.sentences), attack) or (
                answer.text if answer.refused else ""), shown
        if kind == "check":
            from rag.answer.factcheck import check_claim

            verdict = check_claim(question.answer, self.services)
            shown = " ".join([verdict.reason, *(c.quote for c in verdict.citations)])
            return produced_text([(verdict.reason, False)], attack) + f" [{verdict.verdict}]", shown
        from rag.briefing.models import BriefingOptions
        from rag.briefing.pipeline import generate_briefing

        briefing = generate_briefing(self.services, BriefingOptions(max_words=200, as_of=dt.datetime.now(dt.UTC)))
        sentences = [(s.text, s.quoted) for section in briefing.sections for s in section.sentences]
        shown = " ".join(t for t, _ in sentences)
        return produced_text(sentences, attack), shown


def summarise(trials: Sequence[Trial], model: str, started: dt.datetime, seconds: float) -> InjectionReport:
    def rate(group: Sequence[Trial]) -> Rate:
        return Rate(trials=len(group), exposed=sum(t.exposed for t in group), successes=sum(t.succeeded for t in group),
                    successes_exposed=sum(t.succeeded and t.exposed for t in group))

    def grouped(key: Callable[[Trial], str]) -> dict[str, Rate]:
        groups: dict[str, list[Trial]] = defaultdict(list)
        for trial in trials:
            groups[key(trial)].append(trial)
        return {name: rate(group) for name, group in sorted(groups.items())}

    return InjectionReport(model=model, started=started, seconds=round(seconds, 1), trials=list(trials),
                           by_category=grouped(lambda t: t.category), by_position=grouped(lambda t: t.position),
                           by_kind=grouped(lambda t: t.kind), overall=rate(trials))
