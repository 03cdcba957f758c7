"""The HTTP layer: FastAPI routes that validate, call into ``rag/``, and map errors to status codes."""

from api.app import create_app

__all__ = ["create_app"]
