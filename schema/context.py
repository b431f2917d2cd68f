"""Per-request GraphQL context: the principal (resolved once), settings and DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from auth.principal import ANONYMOUS, Principal
from models.settings import Settings


@dataclass
class Context:
    request: Request | WebSocket | None
    response: Response | None
    settings: Settings
    principal: Principal = ANONYMOUS
    request_id: str = ""
    # Cookies/headers a mutation wants set on the HTTP response (login, logout).
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def loaders(self) -> Any:
        """The request's DataLoaders, created on first use (schema.dataloaders.Loaders)."""
        from schema.dataloaders import Loaders

        return Loaders(self.principal)
