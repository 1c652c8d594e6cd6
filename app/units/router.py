from __future__ import annotations

from fastapi import APIRouter

from app.auth.deps import AdminDep, StaffDep
from app.core.pagination import CursorQuery, LimitQuery, Page, decode_cursor
from app.deps import NowDep, SessionDep, SettingsDep
from app.enums import Tier, UnitKind
from app.errors import problem_responses
from app.units import service
from app.units.models import Unit
from app.units.schemas import UnitCreate, UnitImport, UnitImportResult, UnitPage, UnitRead, UnitUpdate

router = APIRouter(prefix="/api/v1/units", tags=["units"])


def to_read(unit: Unit, parent_code: str | None) -> UnitRead:
    return UnitRead(code=unit.code, name=unit.name, tier=Tier(unit.tier), kind=UnitKind(unit.kind),
                    parent_code=parent_code, created_at=unit.created_at)


def _parent_code(unit: Unit) -> str | None:
    parts = unit.path.strip("/").split("/")
    return parts[-2] if len(parts) > 1 else None


@router.post("", status_code=201, response_model=UnitRead, responses=problem_responses(403, 409))
def create_unit(data: UnitCreate, session: SessionDep, principal: AdminDep, now: NowDep) -> UnitRead:
    """创建单位（区域或部门）。Create a unit under a parent in your reach."""
    unit = service.create_unit(session, principal, data, now=now)
    return to_read(unit, data.parent_code)


@router.post("/import", status_code=201, response_model=UnitImportResult, responses=problem_responses(403, 409))
def import_units(data: UnitImport, session: SessionDep, principal: AdminDep, now: NowDep) -> UnitImportResult:
    """批量导入单位（JSON），全部成功或全部不生效。Bulk import, all or nothing, any order."""
    created = service.import_units(session, principal, data.units, now=now)
    return UnitImportResult(created=len(created), items=[to_read(u, _parent_code(u)) for u in created])


@router.get("", response_model=UnitPage, responses=problem_responses(403))
def list_units(
    session: SessionDep,
    principal: StaffDep,
    settings: SettingsDep,
    tier: Tier | None = None,
    kind: UnitKind | None = None,
    parent_code: str | None = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> UnitPage:
    """列出权限范围内的单位，可按层级、类型、上级筛选。"""
    position = decode_cursor(cursor, settings.signing_secret)
    after = str(position.get("code")) if position else None
    rows = service.list_units(session, principal, tier=tier, parent_code=parent_code, kind=kind,
                              after_code=after, limit=limit + 1)
    page = Page.of(rows, limit, settings.signing_secret, lambda row: {"code": row.code})
    return UnitPage(items=[to_read(u, _parent_code(u)) for u in page.rows], next_cursor=page.next_cursor)


@router.get("/{code}", response_model=UnitRead, responses=problem_responses(403))
def get_unit(code: str, session: SessionDep, principal: StaffDep) -> UnitRead:
    """读取一个单位。"""
    unit = service.get_in_reach(session, principal, code)
    return to_read(unit, _parent_code(unit))


@router.patch("/{code}", response_model=UnitRead, responses=problem_responses(403, 409))
def update_unit(code: str, data: UnitUpdate, session: SessionDep, principal: AdminDep, now: NowDep) -> UnitRead:
    """改名或移动单位；移动到自己的下级会形成环，返回 409。"""
    unit = service.update_unit(session, principal, code, data, now=now)
    return to_read(unit, _parent_code(unit))
