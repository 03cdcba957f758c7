"""``Database``: conversations, turns and briefings behind a small repository; plain records out, never ORM rows."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from filelock import FileLock
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, Engine, create_engine, delete, event, func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, selectinload, sessionmaker

from rag.db.models import BriefingRow, ConversationRow, TurnRow
from rag.types import Answer

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
TITLE_LENGTH = 80
# Alembic's context is global to the process: two threads migrating at once would interleave their steps.
_MIGRATING = threading.Lock()
# Key of the PostgreSQL advisory lock that workers starting at once on one database take in turn to migrate it.
PG_MIGRATION_LOCK = 0x7261_6764_6200  # "ragdb"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class TurnRecord(_Record):
    """One question and the answer it got."""

    position: int
    question: str
    standalone_question: str | None
    answer: Answer
    created_at: dt.datetime


class ConversationSummary(_Record):
    """A conversation without its turns (for lists)."""

    id: str
    title: str
    created_at: dt.datetime
    updated_at: dt.datetime
    turn_count: int = 0


class ConversationRecord(ConversationSummary):
    """A conversation with every turn, oldest first."""

    turns: list[TurnRecord] = Field(default_factory=list)


class BriefingRecord(_Record):
    """A stored briefing: its structured payload (JSON text) and both renderings."""

    id: str
    created_at: dt.datetime
    as_of: dt.date
    window_start: dt.date
    window_end: dt.date | None
    title: str
    payload_json: str
    markdown: str
    html: str


class ConversationNotFound(LookupError):
    """No conversation has that id."""


def as_utc(value: dt.datetime) -> dt.datetime:
    """Every stored time in UTC: SQLite drops the zone, PostgreSQL hands it back in the session's zone."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def storable(value: str) -> str:
    """Text any database keeps: PostgreSQL refuses NUL characters in text, so they become U+FFFD everywhere."""
    return value.replace("\x00", "\ufffd")


def _day(value: dt.date | dt.datetime | None) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


def make_title(question: str) -> str:
    """A conversation's title: its first question, shortened on a word boundary."""
    text = " ".join(question.split())
    if len(text) <= TITLE_LENGTH:
        return text or "Untitled"
    return text[: TITLE_LENGTH - 1].rsplit(" ", 1)[0] + "…"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class Database:
    """The service database at any SQLAlchemy URL (SQLite file by default, PostgreSQL when several hosts share it)."""

    def __init__(self, url: str, migrate: bool = True) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        connect_args: dict[str, Any] = {}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            connect_args = {"check_same_thread": False, "timeout": 30}
        self.engine: Engine = create_engine(url, connect_args=connect_args, pool_pre_ping=not self.is_sqlite)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            self.migrate()

    def migrate(self) -> None:
        """Bring the schema to the newest revision (a no-op when it already is)."""
        with _MIGRATING, self._migration_lock(), self.engine.begin() as connection:
            _lock_for_migration(connection)
            config = alembic_config(self.url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def _migration_lock(self) -> Any:
        """Several workers starting at once on one SQLite file take turns migrating it."""
        database = make_url(self.url).database
        if self.is_sqlite and database and database != ":memory:":
            return FileLock(f"{database}.migrate.lock", timeout=120)
        return nullcontext()

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        """Raise when the database cannot be reached."""
        with self.engine.connect() as connection:
            connection.execute(select(1))

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # -- conversations -------------------------------------------------------------------------------------

    def create_conversation(self, title: str) -> str:
        conversation_id = uuid.uuid4().hex
        with self._session() as session:
            session.add(ConversationRow(id=conversation_id, title=storable(make_title(title))))
        return conversation_id

    def add_turn(self, conversation_id: str, question: str, answer: Answer) -> None:
        """Append a turn; raises :class:`ConversationNotFound` for an unknown id."""
        now = dt.datetime.now(dt.UTC)
        with self._session() as session:
            # Writing first serializes writers to one conversation before the next position is read: the UPDATE locks
            # the row on PostgreSQL and takes the write lock on SQLite (whose driver starts the transaction only there).
            touched = session.execute(update(ConversationRow).where(ConversationRow.id == conversation_id).values(updated_at=now))
            if not touched.rowcount:  # type: ignore[attr-defined]
                raise ConversationNotFound(conversation_id)
            position = session.scalar(
                select(func.coalesce(func.max(TurnRow.position) + 1, 0)).where(TurnRow.conversation_id == conversation_id)
            )
            standalone = answer.standalone_question
            session.add(TurnRow(conversation_id=conversation_id, position=int(position or 0), question=storable(question),
                                standalone_question=None if standalone is None else storable(standalone),
                                answer_json=answer.model_dump_json(), created_at=now))

    def get_conversation(self, conversation_id: str) -> ConversationRecord | None:
        with self._session() as session:
            row = session.scalar(
                select(ConversationRow).where(ConversationRow.id == conversation_id).options(selectinload(ConversationRow.turns))
            )
            if row is None:
                return None
            turns = [
                TurnRecord(position=t.position, question=t.question, standalone_question=t.standalone_question,
                           answer=Answer.model_validate_json(t.answer_json), created_at=as_utc(t.created_at))
                for t in row.turns
            ]
            return ConversationRecord(id=row.id, title=row.title, created_at=as_utc(row.created_at),
                                      updated_at=as_utc(row.updated_at), turn_count=len(turns), turns=turns)

    def list_conversations(self) -> list[ConversationSummary]:
        """Every conversation, most recently active first."""
        counts = select(TurnRow.conversation_id, func.count(TurnRow.id).label("n")).group_by(TurnRow.conversation_id).subquery()
        query = (
            select(ConversationRow, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.conversation_id == ConversationRow.id)
            .order_by(ConversationRow.updated_at.desc(), ConversationRow.id)
        )
        with self._session() as session:
            return [
                ConversationSummary(id=row.id, title=row.title, created_at=as_utc(row.created_at),
                                    updated_at=as_utc(row.updated_at), turn_count=int(n))
                for row, n in session.execute(query)
            ]

    def delete_conversation(self, conversation_id: str) -> bool:
        with self._session() as session:
            session.execute(delete(TurnRow).where(TurnRow.conversation_id == conversation_id))
            result = session.execute(delete(ConversationRow).where(ConversationRow.id == conversation_id))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    # -- briefings -----------------------------------------------------------------------------------------

    def save_briefing(self, id: str, as_of: dt.date, window_start: dt.date, window_end: dt.date | None, title: str,
                      payload_json: str, markdown: str, html: str) -> None:
        """Store a briefing (replacing one with the same id)."""
        with self._session() as session:
            row = session.get(BriefingRow, id) or BriefingRow(id=id, created_at=dt.datetime.now(dt.UTC))
            row.as_of, row.window_start, row.window_end = _day(as_of), _day(window_start), _day(window_end)  # type: ignore[assignment]
            row.title, row.payload_json, row.markdown, row.html = (storable(t) for t in (title, payload_json, markdown, html))
            session.add(row)

    def get_briefing(self, id: str) -> BriefingRecord | None:
        with self._session() as session:
            row = session.get(BriefingRow, id)
            return None if row is None else _briefing(row)

    def list_briefings(self) -> list[BriefingRecord]:
        """Every stored briefing, newest first."""
        with self._session() as session:
            rows = session.scalars(select(BriefingRow).order_by(BriefingRow.created_at.desc(), BriefingRow.id.desc()))
            return [_briefing(row) for row in rows]

    def latest_briefing(self) -> BriefingRecord | None:
        with self._session() as session:
            newest = select(BriefingRow).order_by(BriefingRow.created_at.desc(), BriefingRow.id.desc()).limit(1)
            row = session.scalars(newest).first()
            return None if row is None else _briefing(row)


def _briefing(row: BriefingRow) -> BriefingRecord:
    return BriefingRecord(id=row.id, created_at=as_utc(row.created_at), as_of=row.as_of, window_start=row.window_start,
                          window_end=row.window_end, title=row.title, payload_json=row.payload_json,
                          markdown=row.markdown, html=row.html)


def _lock_for_migration(connection: Connection) -> None:
    """On PostgreSQL, workers starting at once on one database migrate it in turn (the lock ends with the transaction)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys on, and WAL so readers never wait for the one writer (several workers on one file)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
