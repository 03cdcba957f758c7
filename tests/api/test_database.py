"""The service database on SQLite and on PostgreSQL: migrations, conversations and briefings surviving a reopen."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from rag.db import ConversationNotFound, Database, open_database
from rag.db.models import Base
from rag.db.repository import alembic_config
from rag.settings import Settings
from rag.types import Answer, AnswerSentence, Citation


def make_answer(question: str, text: str, quote: str) -> Answer:
    citation = Citation(article_id="a1", title="Strikes", outlet="Dawn", published_at=dt.date(2026, 2, 27), url=None,
                        chunk_id="a1:0", quote=quote, start=0, end=len(quote), support=1.0)
    return Answer(question=question, standalone_question=f"{question} (standalone)", text=f"{text} [1]",
                  sentences=[AnswerSentence(text=text, citations=[1], support=1.0)], citations={1: citation},
                  model="fake")


def test_open_database_creates_the_schema_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    db = open_database(settings)
    assert (tmp_path / "data" / "rag.db").exists()
    tables = set(inspect(db.engine).get_table_names())
    assert {"conversations", "turns", "briefings", "alembic_version"} <= tables
    db.close()
    # Migrating again is a no-op and keeps the data.
    Database(settings.resolved_database_url).close()


def test_migrations_build_the_schema_on_an_empty_database_and_go_down_and_up_again(db_url: str) -> None:
    db = Database(db_url)
    head = ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()
    with db.engine.connect() as connection:
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == head
    columns = {c["name"]: c for c in inspect(db.engine).get_columns("turns")}
    assert columns["standalone_question"]["nullable"] and not columns["answer_json"]["nullable"]
    assert {i["name"] for i in inspect(db.engine).get_indexes("conversations")} == {"ix_conversations_updated_at"}
    with db.engine.connect() as connection:  # the migrated schema is the one the models describe
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    with db.engine.begin() as connection:
        config = alembic_config(db_url)
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
    db.close()
    again = Database(db_url)
    assert {"conversations", "turns", "briefings"} <= set(inspect(again.engine).get_table_names())
    again.close()


def test_conversation_turns_round_trip_and_survive_reopening(db_url: str) -> None:
    url = db_url
    db = Database(url)
    first = db.create_conversation("Who condemned the strikes on the camps in the north of the country last week?" * 2)
    second = db.create_conversation("Other")
    db.add_turn(first, "Who condemned?", make_answer("Who condemned?", "The UN condemned them.", "The UN condemned"))
    db.add_turn(first, "When?", make_answer("When?", "On Friday.", "on Friday"))
    db.close()

    reopened = Database(url)
    record = reopened.get_conversation(first)
    assert record is not None
    assert record.title.endswith("…") and len(record.title) <= 80
    assert [t.position for t in record.turns] == [0, 1]
    assert [t.question for t in record.turns] == ["Who condemned?", "When?"]
    assert record.turns[0].answer.citations[1].quote == "The UN condemned"
    assert record.turns[1].standalone_question == "When? (standalone)"
    assert record.updated_at.utcoffset() == dt.timedelta(0)  # UTC, whatever the server's zone
    assert record.turns[0].created_at.utcoffset() == dt.timedelta(0)
    listed = reopened.list_conversations()
    assert [c.id for c in listed] == [first, second]  # the one with the latest turn comes first
    assert {c.id: c.turn_count for c in listed} == {first: 2, second: 0}

    assert reopened.delete_conversation(first) is True
    assert reopened.delete_conversation(first) is False
    assert reopened.get_conversation(first) is None
    assert [c.id for c in reopened.list_conversations()] == [second]


def test_add_turn_to_an_unknown_conversation_raises(db_url: str) -> None:
    db = Database(db_url)
    with pytest.raises(ConversationNotFound):
        db.add_turn("nope", "q", make_answer("q", "a.", "a"))


def test_briefings_are_listed_newest_first_and_replaced_by_id(db_url: str) -> None:
    db = Database(db_url)
    assert db.latest_briefing() is None
    db.save_briefing("b1", dt.date(2026, 3, 1), dt.date(2026, 2, 1), None, "Week one", '{"a": 1}', "# One", "<h1>One</h1>")
    db.save_briefing("b2", dt.datetime(2026, 3, 8, 9, 0, tzinfo=dt.UTC), dt.date(2026, 3, 1), dt.date(2026, 3, 8),
                     "Week two", "{}", "# Two", "<h1>Two</h1>")
    assert [b.id for b in db.list_briefings()] == ["b2", "b1"]
    latest = db.latest_briefing()
    assert latest is not None and latest.id == "b2" and latest.as_of == dt.date(2026, 3, 8)
    assert latest.window_end == dt.date(2026, 3, 8)
    db.save_briefing("b1", dt.date(2026, 3, 1), dt.date(2026, 2, 1), None, "Week one, revised", "{}", "# 1", "<h1>1</h1>")
    revised = db.get_briefing("b1")
    assert revised is not None and revised.title == "Week one, revised" and revised.window_end is None
    assert len(db.list_briefings()) == 2
    assert db.get_briefing("missing") is None
    assert latest.created_at.utcoffset() == dt.timedelta(0)
    db.close()


def test_text_with_a_nul_character_is_stored_on_every_database(db_url: str) -> None:
    db = Database(db_url)
    question = "Who\x00 condemned the strikes?"
    conversation_id = db.create_conversation(question)
    db.add_turn(conversation_id, question, make_answer(question, "The UN\x00 condemned them.", "The UN condemned"))
    db.save_briefing("nul", dt.date(2026, 3, 8), dt.date(2026, 3, 1), None, "Week\x00 10", "{}", "# 10\x00", "<p>10</p>")
    record = db.get_conversation(conversation_id)
    assert record is not None and record.title == "Who\ufffd condemned the strikes?"
    assert record.turns[0].question == "Who\ufffd condemned the strikes?"
    assert record.turns[0].answer.text == "The UN\x00 condemned them. [1]"  # inside JSON, escaped as \\u0000
    briefing = db.get_briefing("nul")
    assert briefing is not None and (briefing.title, briefing.markdown) == ("Week\ufffd 10", "# 10\ufffd")
    db.close()
