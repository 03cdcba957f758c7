"""The model as an entailment judge: P(yes) for "does this passage support this claim?", from token log-probabilities.

Asked only where the rules cannot decide (a sentence that passes every cheap check but uses words the quote
lacks). The claim and the passage are fenced as data; the answer is constrained to one token, and the
probability mass of "yes" against "no" is the score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from rag.models.llm import LLMError, Message
from rag.models.prompts import render_prompt

_YES = ("yes", "Yes", " yes", " Yes", "YES")
_NO = ("no", "No", " no", " No", "NO")


class EntailmentJudge(Protocol):
    """Anything that scores how strongly a passage supports a claim, in 0..1."""

    name: str
    calls: int

    def p_yes(self, claim: str, passage: str) -> float: ...


class ShortReader(Protocol):
    """A judge that can also write a short greedy reply (the answer reader, :mod:`rag.answer.reader`, uses it)."""

    def short_reply(self, messages: Sequence[Message], max_tokens: int, watch: Sequence[str]) -> tuple[str, float]:
        """The greedy reply, and the probability that its first token begins one of ``watch``."""
        ...


def judge_messages(claim: str, passage: str) -> list[Message]:
    safe = passage.replace("<", "‹").replace(">", "›")
    return [
        {"role": "system", "content": render_prompt("verify_system")},
        {"role": "user", "content": render_prompt("verify_user", passage=safe, claim=claim.replace("<", "‹"))},
    ]


def _p_from_logprobs(candidates: dict[str, float]) -> float:
    """Normalised probability of yes among the yes/no tokens seen; 0 when neither is.

    The judge fails closed: a reply that is neither yes nor no is no evidence of support (0.5 passed 0.5).
    """
    yes = sum(math.exp(v) for k, v in candidates.items() if k in _YES)
    no = sum(math.exp(v) for k, v in candidates.items() if k in _NO)
    return yes / (yes + no) if yes + no > 0 else 0.0


class LlamaCppJudge:
    """A GGUF model in its own llama.cpp context (never the generator's, whose state a stream holds)."""

    def __init__(self, path: Path, threads: int = 2, context: int = 1024, batch: int = 512) -> None:
        from llama_cpp import Llama

        self.name = f"{path.stem} (judge)"
        self.calls = 0
        self._llama = Llama(model_path=str(path), n_ctx=context, n_threads=threads, n_batch=min(batch, context),
                            verbose=False, seed=0)
        self._yes_ids = self._single_ids(_YES)
        self._no_ids = self._single_ids(_NO)

    def _single_ids(self, words: Sequence[str]) -> list[int]:
        ids = []
        for word in words:
            tokens = self._llama.tokenize(word.encode(), add_bos=False, special=False)
            if len(tokens) == 1:
                ids.append(tokens[0])
        return sorted(set(ids))

    def p_yes(self, claim: str, passage: str) -> float:
        self.calls += 1
        logits = self._evaluate(_chatml(judge_messages(claim, passage)), "claim and passage")
        top = float(logits.max())
        yes = sum(math.exp(float(logits[i]) - top) for i in self._yes_ids)
        no = sum(math.exp(float(logits[i]) - top) for i in self._no_ids)
        return yes / (yes + no) if yes + no > 0 else 0.0

    def short_reply(self, messages: Sequence[Message], max_tokens: int, watch: Sequence[str]) -> tuple[str, float]:
        """Greedy decoding of at most ``max_tokens``; ``watch``'s share of the first token's distribution."""
        import numpy as np

        self.calls += 1
        llama: Any = self._llama
        logits = self._evaluate(_chatml(messages), "question and passage")
        probs = np.exp(logits - logits.max())
        first = float(sum(probs[i] for i in self._first_ids(watch)) / probs.sum())
        stop = {llama.token_eos(), *llama.tokenize(b"<|im_end|>", add_bos=False, special=True)}
        out: list[int] = []
        for _ in range(max_tokens):
            token = int(np.argmax(logits))
            if token in stop or llama.n_tokens >= llama.n_ctx() - 1:
                break
            out.append(token)
            llama.eval([token])
            logits = self._last_logits()
        return llama.detokenize(out).decode("utf-8", errors="ignore"), first

    def _first_ids(self, words: Sequence[str]) -> set[int]:
        return {self._llama.tokenize(w.encode(), add_bos=False, special=False)[0] for w in words if w}

    def _evaluate(self, prompt: str, what: str) -> Any:
        """Evaluate ``prompt``, reusing the prefix already evaluated (the system prompt); the last logits."""
        llama: Any = self._llama
        tokens = llama.tokenize(prompt.encode(), add_bos=False, special=True)
        if len(tokens) >= llama.n_ctx():
            raise LLMError(f"{what} are too long for the judge's context")
        prefix = 0
        for a, b in zip(llama.input_ids[: llama.n_tokens], tokens[:-1]):
            if a != b:
                break
            prefix += 1
        llama.n_tokens = prefix
        llama.eval(tokens[prefix:])
        return self._last_logits()

    def _last_logits(self) -> Any:
        """Only the last position's logits are kept (no logits_all: that would cost vocab × tokens floats)."""
        import numpy as np

        llama: Any = self._llama
        return np.array(np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(llama.n_vocab(),)), dtype=np.float64)


def _chatml(messages: Sequence[Message]) -> str:
    """Qwen's chat template, ending where the assistant's first token goes."""
    body = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return body + "<|im_start|>assistant\n"


class OpenAIJudge:
    """Any OpenAI-compatible endpoint: one token with ``logprobs``; a plain yes/no reply when it gives none."""

    def __init__(self, client: Any, model: str) -> None:
        self.name = f"{model} (judge)"
        self.calls = 0
        self._client = client
        self._model = model

    def p_yes(self, claim: str, passage: str) -> float:
        import openai

        self.calls += 1
        try:
            response = self._client.chat.completions.create(
                model=self._model, messages=judge_messages(claim, passage), max_tokens=1, temperature=0.0,
                logprobs=True, top_logprobs=5,
            )
        except openai.APIError as exc:
            raise LLMError(f"the judge endpoint failed: {exc}") from exc
        choice = response.choices[0]
        content = getattr(choice.logprobs, "content", None) if choice.logprobs else None
        if content:
            candidates = {t.token: t.logprob for t in (content[0].top_logprobs or [])}
            candidates.setdefault(content[0].token, content[0].logprob)
            return _p_from_logprobs(candidates)
        reply = (choice.message.content or "").strip().lower()
        return 1.0 if reply.startswith("yes") else 0.0

    def short_reply(self, messages: Sequence[Message], max_tokens: int, watch: Sequence[str]) -> tuple[str, float]:
        """The endpoint's greedy reply; ``watch``'s share of its first token from ``top_logprobs`` (else 0 or 1)."""
        import openai

        self.calls += 1
        try:
            response = self._client.chat.completions.create(
                model=self._model, messages=list(messages), max_tokens=max_tokens, temperature=0.0,
                logprobs=True, top_logprobs=10,
            )
        except openai.APIError as exc:
            raise LLMError(f"the judge endpoint failed: {exc}") from exc
        choice = response.choices[0]
        reply = choice.message.content or ""
        content = getattr(choice.logprobs, "content", None) if choice.logprobs else None
        if content and content[0].top_logprobs:
            first = sum(math.exp(t.logprob) for t in content[0].top_logprobs
                        if t.token.strip() and any(w.startswith(t.token.strip()) for w in watch))
            return reply, min(1.0, first)
        return reply, float(any(reply.strip().startswith(w) for w in watch))
