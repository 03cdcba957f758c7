"""The article record, its index outbox and the record's generation.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("outlet", sa.Text, nullable=True),
        sa.Column("published_at", sa.Date, nullable=True),
        sa.Column("url", sa.Text, nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duplicate_of", sa.String, nullable=True),
        sa.Column("minhash", sa.Text, nullable=True),
        sa.Column("segments", sa.Text, nullable=True),
        sa.Column("indexed_hash", sa.String(64), nullable=True),
        sa.Column("chunk_count", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_articles_duplicate_of", "articles", ["duplicate_of"])
    op.create_table(
        "index_outbox",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("article_id", sa.String, nullable=False),
        sa.Column("op", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.create_index("ix_index_outbox_article_id", "index_outbox", ["article_id"])
    op.create_table(
        "record_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("generation", sa.Integer, nullable=False, server_default="0"),
    )
    op.execute("INSERT INTO record_state (id, generation) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("record_state")
    op.drop_table("index_outbox")
    op.drop_table("articles")
