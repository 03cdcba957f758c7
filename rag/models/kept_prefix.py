"""Keep llama.cpp's evaluated state of a prompt's constant lead, so a question evaluates only what is new.

A prompt's *lead* is every message but the last: the instructions and worked examples of an answer, the system
prompt of a rewrite or a briefing section. llama-cpp-python already reuses the evaluated prefix when two calls in a
row share it; a call with another prompt in between (a follow-up's rewrite, a briefing section) throws it away, and
the next answer pays the whole prompt again. :class:`KeptLeads` keeps the model's state for each lead seen twice (a
lead seen once may never come back: a rewrite's lead holds the conversation) and loads it back before a call whose
lead is no longer in the model's cache; llama.cpp then evaluates only the tokens after it.

A kept state is the model's KV cache for one prompt (a few MB for the 0.5B model: 12 KB a token) with its token ids;
the last ``capacity`` leads are kept.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MIN_SHARED_TOKENS = 16
"""A lead shorter than this is not worth a state (a bare system line)."""
SEEN_LEADS = 64
"""The token ids of this many recent calls are remembered, to find a lead's second sight."""


@dataclass
class _Kept:
    state: CacheState
    """The model's state holding the lead (and whatever followed it in the call that saved it)."""
    shared: int
    """How many leading tokens two calls with this lead had in common: the part worth loading back."""


class KeptLeads:
    """The kept states of a ``llama_cpp.Llama``'s recurring prompt leads, least recently used dropped first."""

    def __init__(self, llama: Any, capacity: int = 4) -> None:
        self._llama = llama
        self._capacity = capacity
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._last_ids: dict[str, list[int]] = {}
        self.loads = 0
        """How many times a kept lead was loaded back (for tests and ``rag bench``)."""

    def before(self, messages: Sequence[Any]) -> None:
        """Load the kept state of ``messages``' lead when the model no longer holds that lead."""
        key = lead_key(messages)
        kept = self._kept.get(key) if key else None
        if kept is None:
            return
        self._kept.move_to_end(key)
        if common_prefix(self._ids(), kept.state.ids.tolist()) >= kept.shared:
            return
        load_cache_state(self._llama, kept.state)
        self.loads += 1

    def after(self, messages: Sequence[Any]) -> None:
        """After a call: the second time a lead is seen, keep the model's state (it holds the lead now)."""
        key = lead_key(messages)
        if not key:
            return
        ids = self._ids()
        previous = self._last_ids.pop(key, None)
        self._last_ids[key] = ids  # newest last
        while len(self._last_ids) > SEEN_LEADS:  # leads seen once (a rewrite's holds the conversation) are forgotten
            del self._last_ids[next(iter(self._last_ids))]
        if key in self._kept or previous is None:
            return
        shared = common_prefix(previous, ids)
        if shared < MIN_SHARED_TOKENS:
            return
        self._kept[key] = _Kept(cache_state(self._llama), shared)
        while len(self._kept) > self._capacity:
            self._kept.popitem(last=False)

    def forget(self) -> None:
        """Drop every kept state (``rag bench`` times cold prompts this way)."""
        self._kept.clear()
        self._last_ids.clear()

    def _ids(self) -> list[int]:
        return [int(t) for t in self._llama.input_ids[: self._llama.n_tokens]]


@dataclass
class CacheState:
    """llama.cpp's own state (KV cache, last logits) and the token ids it holds."""

    ids: Any
    n_tokens: int
    data: bytes


def cache_state(llama: Any) -> CacheState:
    """What ``Llama.save_state()`` keeps, less its copy of every position's logits.

    Those are n_tokens × vocabulary floats (300 MB for a 500-token prompt), and a loaded state is evaluated on from
    its end, so they are never read.
    """
    import ctypes

    import llama_cpp

    context = llama._ctx.ctx  # the handle save_state and load_state use
    size = int(llama_cpp.llama_state_get_size(context))
    buffer = (ctypes.c_uint8 * size)()
    written = int(llama_cpp.llama_state_get_data(context, buffer, size))
    if written > size:
        raise RuntimeError("llama.cpp wrote more state than it said it would")
    return CacheState(llama.input_ids[: llama.n_tokens].copy(), llama.n_tokens, bytes(buffer)[:written])


def load_cache_state(llama: Any, state: CacheState) -> None:
    """``Llama.load_state()`` without rewriting the logits of every position (which commits the whole logits array)."""
    import ctypes

    import llama_cpp

    buffer = (ctypes.c_uint8 * len(state.data)).from_buffer_copy(state.data)
    if int(llama_cpp.llama_state_set_data(llama._ctx.ctx, buffer, len(state.data))) != len(state.data):
        raise RuntimeError("llama.cpp refused a kept state")
    llama.input_ids[: state.n_tokens] = state.ids
    llama.n_tokens = state.n_tokens
    llama._requires_eval = True  # as load_state: the next call evaluates at least its last token


def lead_key(messages: Sequence[Any]) -> str:
    """A digest of every message but the last; empty when there is no lead."""
    if len(messages) < 2:
        return ""
    lead = [[m["role"], m["content"]] for m in messages[:-1]]
    return hashlib.sha256(json.dumps(lead, ensure_ascii=False).encode()).hexdigest()


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading items ``a`` and ``b`` share."""
    count = 0
    for x, y in zip(a, b):
        if x != y:
            break
        count += 1
    return count
