"""What enterprises register with core (app.wiring.install calls `register`): the field checks they own."""

from __future__ import annotations

from app.core import validation
from app.enterprises.pii import validate_mobile
from app.enterprises.uscc import validate_uscc


def register() -> None:
    validation.FIELD_CHECKS["mobile"] = validate_mobile
    validation.FIELD_CHECKS["uscc"] = validate_uscc
