"""The service database under workers that start, write and die at once, on SQLite and on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import inspect

from rag.db import Database
from tests.api.test_database import make_answer
from tests.conftest import ROOT

T = TypeVar("T")

# A worker starting: once told to go, it opens the database, which migrates it to the newest schema.
STARTING = """
import sys
from rag.db import Database
print("ready", flush=True)
sys.stdin.readline()
Database(sys.argv[1]).close()
"""

# A worker that dies in the middle of storing a turn, as ``add_turn`` does it: its transaction has updated the
# conversation (which locks it) and written the turn when the process is killed.
KILLED_MID_TURN = """
import os, signal, sys
from sqlalchemy import update
from rag.db import Database
from rag.db.models import ConversationRow, TurnRow
db = Database(sys.argv[1], migrate=False)
with db._session() as session:
    session.execute(update(ConversationRow).where(ConversationRow.id == sys.argv[2]).values(title="half"))
    session.add(TurnRow(conversation_id=sys.argv[2], position=0, question="half", answer_json="{}"))
    session.flush()
    print("written", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def at_once(count: int, work: Callable[[int], T]) -> list[T]:
    """``work(0..count-1)`` in as many threads, released together."""
    start = threading.Barrier(count)

    def run(n: int) -> T:
        start.wait()
        return work(n)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_workers_starting_at_once_on_an_empty_database_all_start(db_url: str) -> None:
    workers = [subprocess.Popen([sys.executable, "-c", STARTING, db_url], cwd=ROOT, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for worker in workers:  # every one has imported everything ...
        assert worker.stdout is not None and worker.stdout.readline() == "ready\n"
    for worker in workers:  # ... so they migrate at the same moment
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    errors = [worker.communicate(timeout=120)[1] for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * 4, "\n".join(errors)
    db = Database(db_url)  # and the schema is the newest: migrating again changes nothing
    assert {"conversations", "turns", "briefings", "alembic_version"} <= set(inspect(db.engine).get_table_names())
    db.close()


def test_threads_opening_one_empty_database_at_once_all_get_it(db_url: str) -> None:
    databases = at_once(4, lambda _: Database(db_url))
    assert {"conversations", "turns", "briefings"} <= set(inspect(databases[0].engine).get_table_names())
    for db in databases:
        db.close()


def test_turns_added_at_once_to_one_conversation_get_one_position_each(db_url: str) -> None:
    db = Database(db_url)
    conversation_id = db.create_conversation("Who condemned?")

    def add_three(worker: int) -> None:
        for n in range(3):
            question = f"q{worker}.{n}"
            db.add_turn(conversation_id, question, make_answer(question, "The UN condemned them.", "The UN condemned"))

    at_once(6, add_three)
    record = db.get_conversation(conversation_id)
    assert record is not None
    assert [t.position for t in record.turns] == list(range(18))
    assert sorted(t.question for t in record.turns) == sorted(f"q{w}.{n}" for w in range(6) for n in range(3))
    db.close()


def test_a_worker_killed_while_storing_a_turn_leaves_no_half_turn_and_blocks_no_one(db_url: str) -> None:
    db = Database(db_url)
    conversation_id = db.create_conversation("Who condemned?")
    killed = subprocess.run([sys.executable, "-c", KILLED_MID_TURN, db_url, conversation_id], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert killed.returncode == -9 and killed.stdout == "written\n", killed.stderr

    started = time.monotonic()
    db.add_turn(conversation_id, "Who condemned?", make_answer("Who condemned?", "The UN condemned them.", "The UN condemned"))
    assert time.monotonic() - started < 5  # the dead worker's lock went with it
    record = db.get_conversation(conversation_id)
    assert record is not None and [(t.position, t.question) for t in record.turns] == [(0, "Who condemned?")]
    assert record.title == "Who condemned?"
    db.close()
