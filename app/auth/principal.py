"""Who is calling: defined in app.core.principal (units need it below auth); the old name stays importable."""

from app.core.principal import ROLE_TIER, STAFF_ROLES, Principal

__all__ = ["ROLE_TIER", "STAFF_ROLES", "Principal"]
