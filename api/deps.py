"""Dependencies: the long-lived parts built by the lifespan, as ``Annotated`` aliases routes can ask for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from api.queue import ModelQueue
from rag.db import Database
from rag.services import Services
from rag.settings import Settings


@dataclass
class AppState:
    """What the lifespan builds once per process and every request shares."""

    services: Services
    model_queue: ModelQueue
    """One generation at a time; requests beyond ``Settings.max_waiting`` waiting ones get 503."""
    problems: dict[str, str] = field(default_factory=dict)
    """Component → why it failed to start (``/readyz`` reports it)."""
    model_name: str = "conflict-rag"
    """The id the OpenAI-compatible facade lists."""


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.rag
    return state


def get_services(state: Annotated[AppState, Depends(get_state)]) -> Services:
    return state.services


def get_settings(services: Annotated[Services, Depends(get_services)]) -> Settings:
    return services.settings


def get_database(services: Annotated[Services, Depends(get_services)]) -> Database:
    return services.database


StateDep = Annotated[AppState, Depends(get_state)]
ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
