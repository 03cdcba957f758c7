"""The service database: conversations and their turns, and stored briefings (SQLAlchemy + Alembic)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.db.repository import (
    BriefingRecord,
    ConversationNotFound,
    ConversationRecord,
    ConversationSummary,
    Database,
    TurnRecord,
)

if TYPE_CHECKING:
    from rag.settings import Settings

__all__ = [
    "BriefingRecord",
    "ConversationNotFound",
    "ConversationRecord",
    "ConversationSummary",
    "Database",
    "TurnRecord",
    "open_database",
]


def open_database(settings: Settings) -> Database:
    """The database named by ``settings.database_url`` (SQLite in the data directory by default), migrated to head."""
    return Database(settings.resolved_database_url)
