"""Beyond one machine: several uvicorn workers over one Chroma server, one database and one model server.

The topology of a multi-process deployment, every part real and on 127.0.0.1: ``chroma run`` holds the
index, ``python -m llama_cpp.server`` serves the model over the OpenAI API, ``rag serve --workers 3`` runs
stateless API workers that share the database (the article record and conversations: SQLite here, PostgreSQL in
production).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from rag.index.ingest import ingest_paths
from rag.index.store import Store
from rag.models.embed import Embedder
from tests.api.sse import parse_events
from tests.conftest import SEED_DIR, make_settings
from tests.postgres import PostgresServer
from tests.servers import free_port, running_server, wait_until_up

pytestmark = pytest.mark.model

WORKERS = 3
RAG = Path(sys.executable).with_name("rag")
ASIF = "What did Khwaja Asif write on X?"


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    executable = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert executable, "the chromadb package installs a `chroma` command"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [executable, "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1", "--port", str(port)]
    with running_server(command, f"{url}/api/v2/heartbeat", 60, "chroma run", tmp_path / "chroma.log"):
        yield url


@pytest.fixture
def service(chroma_url: str, server_url: str, real_embedder: Embedder, tmp_path: Path) -> Iterator[tuple[str, psutil.Process]]:
    """The seed corpus ingested into the Chroma server and the shared database, then ``rag serve --workers 3``."""
    database = f"sqlite:///{tmp_path / 'conversations.db'}"
    settings = make_settings(tmp_path / "ingest", chroma_url=chroma_url, database_url=database)
    assert len(ingest_paths([SEED_DIR], Store(settings), real_embedder, settings).added) == 3
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | {
        "RAG_CHROMA_URL": chroma_url, "RAG_BACKEND": "openai", "RAG_LLM_BASE_URL": server_url,
        "RAG_LLM_MODEL": "qwen-0.5b", "RAG_LLM_TIMEOUT_S": "300",
        "RAG_DATABASE_URL": database, "HF_HUB_OFFLINE": "1",
    }
    command = [str(RAG), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS),
               "--data-dir", str(tmp_path / "worker-data")]
    url = f"http://127.0.0.1:{port}"
    with (tmp_path / "serve.log").open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
        try:
            wait_until_up(process, f"{url}/readyz", 300, "rag serve --workers 3")
            yield url, psutil.Process(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=60)


def _workers(server: psutil.Process) -> list[psutil.Process]:
    """The uvicorn worker processes (children that serve requests, not multiprocessing helpers)."""
    return [child for child in server.children() if "resource_tracker" not in " ".join(child.cmdline())]


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def test_concurrent_requests_are_served_by_several_workers_sharing_index_database_and_model(
    service: tuple[str, psutil.Process],
) -> None:
    url, server = service
    workers = _workers(server)
    assert len(workers) == WORKERS
    with httpx.stream("POST", f"{url}/v1/chat", json={"question": ASIF}, timeout=600) as response:
        assert response.status_code == 200
        events = list(parse_events(response.iter_lines()))
    assert events[0][0] == "conversation" and events[-1][0] == "answer"
    conversation_id = events[0][1]["conversation_id"]

    before = {w.pid: _cpu(w) for w in workers}

    def request(number: int) -> tuple[str, int, Any]:
        if number % 3 == 0:
            response = httpx.get(f"{url}/v1/conversations/{conversation_id}", timeout=120)
            return "conversation", response.status_code, response.json()
        response = httpx.post(f"{url}/v1/search", json={"query": "Crocus City Hall massacre Moscow", "k": 3}, timeout=120)
        return "search", response.status_code, response.json()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(request, range(60)))
        asks = [pool.submit(httpx.post, f"{url}/v1/ask", json={"question": ASIF}, timeout=600) for _ in range(2)]
        answers = [a.result() for a in asks]
    assert time.monotonic() - started < 900
    assert [status for _, status, _ in results] == [200] * 60
    for kind, _, body in results:
        if kind == "conversation":  # written by one worker, read by whichever took the request
            assert body["id"] == conversation_id and len(body["turns"]) == 1
        else:
            assert body["hits"][0]["article_id"] == "000_6a5e87b74b7ecf65", json.dumps(body)[:300]
    for answer in answers:  # the plumbing, not the 0.5B's wording (two requests share one model server)
        assert answer.status_code == 200
        body = answer.json()
        assert not body["refused"] and body["citations"], body
        assert {c["article_id"] for c in body["citations"].values()} == {"004_fce48783007ea49c"}, body
        assert all(c["quote"] for c in body["citations"].values())
    busy = [w.pid for w in workers if _cpu(w) - before[w.pid] > 0.05]
    assert len(busy) >= 2, f"only workers {busy} did any work"
    listed = httpx.get(f"{url}/v1/conversations", timeout=60).json()
    assert [c["id"] for c in listed] == [conversation_id]


def test_two_machines_bm25_indexes_follow_writes_made_through_the_chroma_server(
    chroma_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres: PostgresServer
) -> None:
    """Each worker machine keeps its own persisted BM25 index; the shared record's fingerprint keeps them in step."""
    from rag.index.retrieve import HybridRetriever
    from rag.testing.embed import HashingEmbedder

    monkeypatch.setattr("rag.index.bm25.SERVER_RECHECK_S", 0.0)  # no waiting for the recheck interval
    embedder = HashingEmbedder()
    database = postgres.create_database()  # the machines share the record, as they share the Chroma server
    first = make_settings(tmp_path / "machine-a", chroma_url=chroma_url, database_url=database)
    second = make_settings(tmp_path / "machine-b", chroma_url=chroma_url, database_url=database)
    ingest_paths([SEED_DIR], Store(first), embedder, first)
    reader = HybridRetriever(Store(second), embedder)
    assert reader.search("Crocus City Hall massacre Moscow", k=3)[0].article_id == "000_6a5e87b74b7ecf65"
    assert reader.bm25.last_sync.action == "built"
    extra = tmp_path / "extra" / "zorvath.md"
    extra.parent.mkdir()
    extra.write_text("---\ntitle: Zorvath harbour closed\n---\nOfficials closed the Zorvath harbour after a cholera outbreak.\n")
    ingest_paths([extra], Store(first), embedder, first)
    hits = reader.search("Zorvath cholera", k=3)
    assert reader.bm25.last_sync.action == "updated" and reader.bm25.last_sync.tokenized_chunks == 1
    assert hits[0].article_id == "zorvath" and "bm25" in hits[0].retrievers
    assert (tmp_path / "machine-b" / "bm25").is_dir() and not (tmp_path / "machine-b" / "chroma").exists()


INGESTED = 300


def test_two_workers_keep_answering_while_rag_ingest_adds_300_articles_through_postgresql_and_a_chroma_server(
    chroma_url: str, postgres: PostgresServer, real_embedder: Embedder, tmp_path: Path
) -> None:
    """Two workers and a concurrent ``rag ingest`` share PostgreSQL (the record) and ``chroma run`` (the chunks).

    While 300 articles go in: every search answers 200, and a ``POST /v1/articles`` answers within 2 s (it waits for
    one record transaction at most, never for the ingest's embedding). After the ingest's last commit, every new
    article is found by the workers within the stated bound: at once on the dense side, within
    ``SERVER_RECHECK_S`` (BM25's fingerprint recheck) on both.
    """
    from rag.index.bm25 import SERVER_RECHECK_S
    from tests.rag.test_crash_kill import synthetic, write_folder

    database = postgres.create_database()
    seeds = make_settings(tmp_path / "ingest", chroma_url=chroma_url, database_url=database)
    assert len(ingest_paths([SEED_DIR], Store(seeds), real_embedder, seeds).added) == 3
    tags = {f"n{i:03d}": f"korv{i:03d}x" for i in range(INGESTED)}
    folder = write_folder(tmp_path / "feed", {f"{name}.md": synthetic(tag, 30) for name, tag in tags.items()})
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | {
        "RAG_CHROMA_URL": chroma_url, "RAG_DATABASE_URL": database, "RAG_BACKEND": "openai",
        "RAG_LLM_BASE_URL": "http://127.0.0.1:9/v1", "RAG_VERIFIER_JUDGE": "off", "HF_HUB_OFFLINE": "1",
        "RAG_RATE_LIMIT_PER_MINUTE": "100000",  # one client polling as fast as it can
    }
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(RAG), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
               "--data-dir", str(tmp_path / "worker-data")]
    with (tmp_path / "serve.log").open("w") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
        try:
            wait_until_up(server, f"{url}/healthz", 300, "rag serve --workers 2")
            ingest = subprocess.Popen([str(RAG), "ingest", str(folder), "--json", "--data-dir", str(tmp_path / "ingest")],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
            statuses: list[int] = []
            posted_s: float | None = None
            with httpx.Client(base_url=url, timeout=120) as client:
                while ingest.poll() is None:
                    statuses.append(client.post("/v1/search", json={"query": "Crocus City Hall massacre", "k": 3}).status_code)
                    listed = client.get("/v1/articles")
                    statuses.append(listed.status_code)
                    if posted_s is None and len(listed.json()) > 3 + 20:  # the ingest is well under way
                        started = time.monotonic()
                        posted = client.post("/v1/articles", json={"id": "posted", "title": "Zelvor harbour",
                                                                   "body": "The Zelvor harbour reopened on Monday."})
                        posted_s = time.monotonic() - started
                        assert posted.status_code == 200 and posted.json()["report"]["added"] == ["posted"], posted.text
                out, err = ingest.communicate(timeout=600)
                assert ingest.returncode == 0, err[-2000:]
                assert len(json.loads(out)["added"]) == INGESTED
                assert posted_s is not None, "the ingest finished before the POST could be made during it"
                assert posted_s < 2.0, f"POST /v1/articles took {posted_s:.2f} s during the ingest"
                assert statuses and set(statuses) == {200}, sorted(set(statuses))
                time.sleep(SERVER_RECHECK_S)  # the stated bound
                for name in [*list(tags)[:: INGESTED // 30], "posted"]:  # two searches: each worker is likely asked
                    query = tags.get(name, "Zelvor")  # the one word only this article has
                    found = [{h["article_id"] for h in client.post("/v1/search", json={"query": query, "k": 10}).json()["hits"]}
                             for _ in range(2)]
                    assert all(name in ids for ids in found), (name, found)
                pending = [a["id"] for a in client.get("/v1/articles").json() if a["pending"]]
                assert pending == []
        finally:
            server.terminate()
            server.wait(timeout=60)
