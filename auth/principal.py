"""The one ``Principal`` of a request: who is asking, resolved once per HTTP request or socket."""

from __future__ import annotations

from dataclasses import dataclass, field

from models.rules.roles import PlatformScope, Role


@dataclass(frozen=True)
class Principal:
    """The signed-in party. Scoping reads only these fields — never anything a client sends.

    ``organization_id`` is set for PLATFORM staff and PARTNER tokens, ``platform_id`` is the regional
    platform of that organisation, ``office_id`` the secretariat office (``None`` with role
    SECRETARIAT means the national secretariat).
    """

    account_id: int | None = None
    role: Role | None = None
    display_name: str = ""
    specialist_id: int | None = None
    company_id: int | None = None
    organization_id: int | None = None
    platform_id: int | None = None
    office_id: int | None = None
    platform_scope: PlatformScope = PlatformScope.ORGANIZATION
    scopes: frozenset[str] = field(default_factory=frozenset)
    auth_method: str = "anonymous"  # session | jwt | api_token | anonymous
    session_id: int | None = None
    expires_at: float | None = None  # epoch seconds when the credential stops being valid

    @property
    def authenticated(self) -> bool:
        return self.role is not None

    @property
    def is_national_secretariat(self) -> bool:
        return self.role is Role.SECRETARIAT and self.office_id is None

    @property
    def is_platform_coordinator(self) -> bool:
        return self.role is Role.PLATFORM and self.platform_scope is PlatformScope.PLATFORM


ANONYMOUS = Principal()
