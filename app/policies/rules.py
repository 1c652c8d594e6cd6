"""The pure checks around a policy's life (DESIGN §12). No I/O; `today` is passed in. The policy codes (benefit,
status, outcome) live with every other code in app.enums."""

from __future__ import annotations

from datetime import date, datetime

from app.core.time import SHANGHAI
from app.enums import Outcome


def local_today(now: datetime) -> date:
    """Validity dates are Asia/Shanghai calendar days."""
    return now.astimezone(SHANGHAI).date()


def push_refusals(*, withdrawn: bool, valid_from: date, valid_to: date | None, today: date) -> list[tuple[str, str]]:
    """Why a policy cannot be pushed today, as (field, Chinese message); empty when it can."""
    if withdrawn:
        return [("status", "政策已撤回，不能推送 (policy withdrawn)")]
    if valid_to is not None and valid_to < today:
        return [("valid_to", f"政策已于 {valid_to} 到期，不能推送 (policy expired)")]
    if valid_from > today:
        return [("valid_from", f"政策自 {valid_from} 起施行，生效前不能推送 (policy not yet in force)")]
    return []


def outcome_problems(status: str, amount_cny: int | None) -> list[tuple[str, str]]:
    """A granted outcome carries the amount granted; the others carry none."""
    if status == Outcome.granted and amount_cny is None:
        return [("body.amount_cny", "兑现结果为 granted（已兑现）时必须填写兑现金额 amount_cny (required when granted)")]
    if status != Outcome.granted and amount_cny not in (None, 0):
        return [("body.amount_cny", "只有已兑现（granted）才能填写兑现金额 (amount only when granted)")]
    return []
