"""Function-level access for the root fields (security.md §2): deny by default.

Every field of ``Query``, ``Mutation`` and ``Subscription`` is declared through
:func:`root_field` / :func:`root_mutation`, which attach a permission class: ``Authenticated``
unless the field is explicitly ``public``. A schema-walk test fails when a root field carries
no permission at all. Which *rows* a principal sees is decided in ``auth.scoping``; which
*actions* a role may take is decided by the workflow and use cases (``userErrors``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry
from strawberry.permission import BasePermission

from models.rules.errors import Unauthenticated

F = TypeVar("F", bound=Callable[..., Any])


class Public(BasePermission):
    """Open to anyone, signed in or not (sign-in itself, ``viewer``)."""

    message = ""

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return True


class Authenticated(BasePermission):
    """Any signed-in principal; anonymous requests get ``UNAUTHENTICATED``."""

    message = Unauthenticated.default_message
    error_extensions = {"code": "UNAUTHENTICATED"}  # noqa: RUF012 (strawberry's class attribute)

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return bool(info.context.principal.authenticated)


def _permissions(public: bool) -> list[type[BasePermission]]:
    return [Public] if public else [Authenticated]


def root_field(description: str, *, public: bool = False) -> Callable[[F], F]:
    """A ``Query`` field: signed-in principals only unless ``public``."""
    return strawberry.field(  # type: ignore[no-any-return]
        description=description, permission_classes=_permissions(public)
    )


def root_mutation(description: str, *, public: bool = False) -> Callable[[F], F]:
    """A ``Mutation`` field: signed-in principals only unless ``public``."""
    return strawberry.mutation(  # type: ignore[no-any-return]
        description=description, permission_classes=_permissions(public)
    )


def root_subscription(description: str) -> Callable[[F], F]:
    """A ``Subscription`` field: always signed-in principals only."""
    return strawberry.subscription(  # type: ignore[no-any-return]
        description=description, permission_classes=_permissions(False)
    )
