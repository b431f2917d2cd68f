"""graphql-transport-ws sockets that end with their credential (security.md §6, R13, S33 i).

strawberry's handler authenticates once, in ``connection_init`` (``HakenGraphQL.on_ws_connect``).
This subclass then watches the socket's principal: at its ``expires_at`` and every
:attr:`HakenTransportWSHandler.recheck_seconds` it re-validates the credential (session not
revoked, account still active) and closes the socket with 4403 once it is no longer good. The
subscriptions themselves also stop delivering the moment the credential has expired.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime
from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage

from auth.principal import Principal
from auth.revalidation import credential_expired, principal_still_valid
from schema.context import Context

logger = logging.getLogger("haken.sockets")

EXPIRED_CODE = 4403
EXPIRED_REASON = "Credential expired"
REVOKED_REASON = "Credential revoked"


class HakenTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    #: Seconds between re-validations of the socket's credential (revocation, deactivation).
    recheck_seconds: float = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._watchdog: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self._watchdog is None:
            principal = self.context.principal
            self._watchdog = asyncio.create_task(self._watch(principal), name="haken-ws-watch")

    async def shutdown(self) -> None:
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await watchdog
        await super().shutdown()

    async def _watch(self, principal: Principal) -> None:
        while True:
            wait = self.recheck_seconds
            if principal.expires_at is not None:
                wait = min(wait, max(0.0, principal.expires_at - time.time()))
            await asyncio.sleep(wait)
            now = datetime.now(UTC)
            if credential_expired(principal, now):
                reason = EXPIRED_REASON
            else:
                try:
                    valid = await asyncio.create_task(principal_still_valid(principal, now))
                except Exception as error:  # database away: keep the socket, check again later
                    logger.warning("socket re-validation failed (%s)", type(error).__name__)
                    continue
                if valid:
                    continue
                reason = REVOKED_REASON
            logger.info("closing socket: %s", reason.lower())
            with contextlib.suppress(Exception):
                await self.websocket.close(code=EXPIRED_CODE, reason=reason)
            return
