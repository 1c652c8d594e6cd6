"""Who is calling, and how far their reach extends. Pure values, no I/O.

In core because every domain asks it (units authorise with it below auth, which resolves it from a key or a
session); app.auth.principal re-exports it."""

from __future__ import annotations

from dataclasses import dataclass

from app.enums import ADMIN_ROLES, Role, Tier

# Which tier of unit each staff role belongs to (a liaison or system key may sit at any tier).
ROLE_TIER: dict[Role, Tier] = {
    Role.city_admin: Tier.city,
    Role.district_admin: Tier.district,
    Role.street_admin: Tier.street,
}
STAFF_ROLES: frozenset[Role] = frozenset(
    {Role.city_admin, Role.district_admin, Role.street_admin, Role.liaison, Role.system}
)


@dataclass(frozen=True)
class Principal:
    role: Role
    label: str
    unit_id: int | None = None
    unit_code: str | None = None
    unit_path: str | None = None
    unit_tier: Tier | None = None
    user_id: int | None = None
    key_id: int | None = None
    enterprise_user_id: int | None = None
    enterprise_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES or self.role == Role.system

    @property
    def is_enterprise(self) -> bool:
        return self.role == Role.enterprise

    @property
    def caller_key(self) -> str:
        """Scope for idempotency keys and rate limits: one caller never sees another's stored responses."""
        if self.enterprise_user_id is not None:
            return f"eu:{self.enterprise_user_id}"
        if self.user_id is not None:
            return f"u:{self.user_id}"
        return f"k:{self.key_id}"

    def reaches_path(self, path: str) -> bool:
        """A staff principal reaches its own unit and everything below it."""
        return self.is_staff and self.unit_path is not None and path.startswith(self.unit_path)
