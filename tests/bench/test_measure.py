"""Measuring helpers and the retrieval curve, without the real model."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cli import render_markdown
from bench.measure import RecordingChat, percentile_ms
from bench.pipeline import AnswerTiming, answer_ratios
from bench.retrieval import bench_queries, measure_curve
from bench.run import GOALS, RATIO_KEYS, BenchConfig, BenchResult, _met
from rag.settings import Settings
from rag.testing.llm import QueueModel


def test_the_recording_chat_passes_the_stream_through_and_times_it() -> None:
    chat = RecordingChat(QueueModel(["Kabul was struck on Sunday [1]. Pakistan denied it [2]."]))
    text = "".join(chat.stream([{"role": "user", "content": "q"}], max_tokens=50))
    call = chat.calls[0]
    assert text == call.text == "".join(call.pieces) and call.max_tokens == 50
    assert len(call.piece_times) == len(call.pieces) > 1
    assert 0 <= call.first_token_s <= call.model_s + 0.001
    assert call.piece_times[0] <= call.first_sentence_at <= call.piece_times[-1]


PEAK_PROBE = """
from bench.measure import PeakMemory
with PeakMemory(interval_s=0.001) as memory:
    before = memory.peak
    block = bytearray(64 * 2**20)
    block[::4096] = b"x" * len(block[::4096])
print(memory.peak - before)
"""


def test_peak_memory_sees_an_allocation_made_inside_it() -> None:
    # In a fresh process: the test process's other threads (servers and pools of earlier tests) free memory at any
    # moment, so its resident size can fall while this block is allocated.
    probe = subprocess.run([sys.executable, "-c", PEAK_PROBE], capture_output=True, text=True, timeout=120,
                           cwd=Path(__file__).resolve().parents[2], check=True)
    assert int(probe.stdout.strip()) >= 48 * 2**20, probe.stdout


def test_ratios_are_sums_and_medians_of_the_timings() -> None:
    timings = [
        AnswerTiming(question="a", answer_s=11.0, model_s=10.0, first_sentence_s=3.0, model_first_token_s=2.0,
                     model_first_sentence_s=2.5, replay_model_s=10.0, same_output=True),
        AnswerTiming(question="b", answer_s=21.0, model_s=20.0, first_sentence_s=4.0, model_first_token_s=1.0,
                     model_first_sentence_s=2.0),
    ]
    ratios = answer_ratios(timings)
    assert ratios["answer_over_model"] == pytest.approx(32 / 30)
    assert ratios["first_sentence_over_prompt_eval"] == pytest.approx((1.5 + 4.0) / 2)
    assert ratios["first_sentence_over_model_first_sentence"] == pytest.approx((1.2 + 2.0) / 2)
    assert ratios["answer_over_model_replay"] == pytest.approx(1.1)
    assert _met({"answer_over_model": 1.04, "ingest_over_embedder": 0.7}) == {
        "answer_over_model": True, "ingest_over_embedder": False}


def test_percentiles_are_in_milliseconds() -> None:
    assert percentile_ms([0.001, 0.002, 0.003], 50) == pytest.approx(2.0)
    assert percentile_ms([], 95) == 0.0


def test_the_curve_grows_one_collection_and_times_both_searches(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "curve", chroma_url=None, _env_file=None)  # type: ignore[call-arg]
    ticks: list[str] = []
    points = measure_curve(settings, [300, 100], queries=4, repeats=1, tick=ticks.append)
    assert [p.chunks >= size for p, size in zip(points, (100, 300), strict=True)] == [True, True]
    assert points[0].chunks < points[1].chunks and points[0].articles < points[1].articles
    for point in points:
        assert point.ours_p50_ms > 0 and point.raw_p50_ms > 0 and point.p95_ratio > 0 and point.peak_rss_mib > 0
    assert len(ticks) == 6 and len(set(bench_queries(8))) == 8


def test_the_markdown_report_has_every_ratio_and_the_curve() -> None:
    result = BenchResult(
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), machine={"cpus": 2}, config=BenchConfig.quick(),
        ratios={k: 1.0 for k in RATIO_KEYS}, goals={k: f"{o} {v}" for k, (o, v) in GOALS.items()},
        met=_met({k: 1.0 for k in RATIO_KEYS}), curve=[], answers=[], peer=[], ingest=None, briefing=None,
        quality=None, peak_rss_mib={"answer": 1000.0}, seconds=1.0, notes=[],
    )
    text = render_markdown(result)
    assert all(f"| {key} | 1.000 |" in text for key in RATIO_KEYS)
    assert "| answer_over_model_replay | – |" in text and "Peak RSS (MiB): answer 1,000" in text


def test_the_profile_shows_where_an_answers_non_model_time_goes(tmp_path: Path) -> None:
    from bench.profile import profile_answers
    from tests.conftest import SEED_DIR

    settings = Settings(data_dir=tmp_path, chroma_url=None, embedding_model="hashing-fake", _env_file=None)  # type: ignore[call-arg]
    tree, stages = profile_answers(settings, SEED_DIR, ["What did Khwaja Asif write on X?"], repeats=2)
    assert "Answerer.ask" in tree and "HybridRetriever.search" in tree
    assert stages["retrieve"] > 0 and stages["select"] > 0 and "generate" in stages


def test_run_bench_measures_the_parts_asked_for_and_keeps_going_after_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench import run as bench_run

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("ingest exploded")

    monkeypatch.setattr(bench_run, "measure_ingest", broken)
    settings = Settings(data_dir=tmp_path, chroma_url=None, embedding_model="hashing-fake", _env_file=None)  # type: ignore[call-arg]
    saved: list[BenchResult] = []
    config = BenchConfig.quick(parts=["ingest", "curve"], sizes=[120], queries=3, repeats=1)
    result = bench_run.run_bench(settings, config, on_part=saved.append)
    assert result.notes == ["ingest failed: RuntimeError: ingest exploded"]
    assert [p.chunks >= 120 for p in result.curve] == [True] and result.answers == [] and result.ingest is None
    assert set(result.ratios) == {"retrieval_p50_over_raw", "retrieval_p95_over_raw"}
    assert len(saved) == 2 and set(result.peak_rss_mib) == {"retrieval curve"}
