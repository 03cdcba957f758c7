"""Alembic migrations for the service database (applied by ``rag.db.open_database``)."""
