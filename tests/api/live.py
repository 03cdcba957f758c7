"""Start the real service (``rag serve`` under uvicorn) on 127.0.0.1 with the real embedder and local model."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.servers import free_port, wait_until_up

RAG = Path(sys.executable).with_name("rag")


@dataclass(frozen=True)
class LiveServer:
    url: str
    data_dir: Path


@contextlib.contextmanager
def serving(data_dir: Path, gguf_path: Path, log: Path) -> Iterator[str]:
    """``rag serve --data-dir DATA`` on a free port; yields the base URL once ``/readyz`` says ready."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    # The judge's GGUF is assembled once into the checkout's models folder, not into every scratch data dir.
    env |= {"RAG_MODEL_PATH": str(gguf_path), "RAG_MODELS_DIR": str(gguf_path.parent), "HF_HUB_OFFLINE": "1"}
    command = [str(RAG), "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir)]
    url = f"http://127.0.0.1:{port}"
    with log.open("a") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=data_dir.parent)
        try:
            wait_until_up(process, f"{url}/readyz", 240, "rag serve")
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)
