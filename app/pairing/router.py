"""Pairing (结对), buildings (楼长制) and the liaison's own list. Routes are thin: the services decide."""

from __future__ import annotations

from fastapi import APIRouter

from app.auth import service as auth
from app.auth.deps import AdminDep, StaffDep
from app.core.pagination import CursorQuery, LimitQuery, Page, decode_cursor_id
from app.core.time import shanghai_date as local_date
from app.core.validation import IdPath
from app.deps import NowDep, SessionDep, SettingsDep
from app.errors import problem_responses
from app.pairing import buildings, service
from app.pairing.schemas import (
    BuildingIn,
    BuildingPage,
    BuildingRead,
    BuildingUpdate,
    LiaisonIn,
    MyEnterprisePage,
    PairingImportIn,
    PairingImportResult,
    PairingPage,
    PairingRead,
)
from app.visits import mine

router = APIRouter(prefix="/api/v1", tags=["pairing"])


@router.put("/enterprises/{uscc}/liaison", response_model=PairingRead, responses=problem_responses(403, 404, 409))
def set_liaison(uscc: str, data: LiaisonIn, session: SessionDep, principal: AdminDep, now: NowDep) -> PairingRead:
    """设置企业的结对服务专员（结对）。原结对随之结束，历史保留；派出单位可在任一层级。"""
    return service.set_liaison(session, principal, uscc, data, now=now)


@router.delete("/enterprises/{uscc}/liaison", response_model=PairingPage, responses=problem_responses(403, 404, 409))
def end_liaison(uscc: str, session: SessionDep, principal: AdminDep, now: NowDep) -> PairingPage:
    """结束企业当前的结对（其结对专员的访问范围随即结束）；没有结对时返回 409。返回结对历史。"""
    service.end_liaison(session, principal, uscc, now=now)
    return PairingPage(items=service.history(session, principal, uscc))


@router.get("/enterprises/{uscc}/pairings", response_model=PairingPage, responses=problem_responses(403, 404))
def pairing_history(uscc: str, session: SessionDep, principal: StaffDep) -> PairingPage:
    """企业的结对历史（最新在前），每段含起止时间和操作人。"""
    return PairingPage(items=service.history(session, principal, uscc))


@router.post("/pairings/import", status_code=201, response_model=PairingImportResult,
             responses=problem_responses(403, 409, 413))
def import_pairings(data: PairingImportIn, session: SessionDep, principal: AdminDep, now: NowDep) -> PairingImportResult:
    """批量导入结对：全部成功或全部不写入；出错的行以 422 指明（body.items[N].字段）。请求体上限 1 MB（超过返回 413）。"""
    counts, items = service.import_pairings(session, principal, data.items, now=now)
    return PairingImportResult(paired=counts["paired"], unchanged=counts["unchanged"], replaced=counts["replaced"],
                               items=items)


@router.get("/me/enterprises", response_model=MyEnterprisePage, responses=problem_responses(403))
def my_enterprises(session: SessionDep, principal: StaffDep, now: NowDep) -> MyEnterprisePage:
    """我的企业：本人结对的企业和担任楼长的楼宇内企业，含最近走访、应走访日期、是否逾期和未办结诉求数。"""
    return MyEnterprisePage(items=mine.my_enterprises(session, principal, today=local_date(now)))


@router.post("/buildings", status_code=201, response_model=BuildingRead, responses=problem_responses(403))
def create_building(data: BuildingIn, session: SessionDep, principal: AdminDep, now: NowDep) -> BuildingRead:
    """登记街道包干楼宇并指定楼长（楼长可见楼内全部企业，如同结对）。"""
    return buildings.create_building(session, principal, data, now=now)


@router.get("/buildings", response_model=BuildingPage, responses=problem_responses(403))
def list_buildings(session: SessionDep, principal: StaffDep, settings: SettingsDep, street_code: str | None = None,
                   limit: LimitQuery = 50, cursor: CursorQuery = None) -> BuildingPage:
    """权限范围内的楼宇（含本人担任楼长的楼宇）。"""
    secret = settings.signing_secret
    rows = buildings.list_buildings(session, principal, reach_ids=auth.reach_unit_ids(session, principal),
                                    street_code=street_code, after_id=decode_cursor_id(cursor, secret),
                                    limit=limit + 1)
    page = Page.of(rows, limit, secret)
    return BuildingPage(items=page.rows, next_cursor=page.next_cursor)


@router.get("/buildings/{building_id}", response_model=BuildingRead, responses=problem_responses(403, 404))
def get_building(building_id: IdPath, session: SessionDep, principal: StaffDep) -> BuildingRead:
    """读取楼宇。"""
    return buildings.describe(session, [buildings.get_in_reach(session, principal, building_id)])[0]


@router.patch("/buildings/{building_id}", response_model=BuildingRead, responses=problem_responses(403, 404))
def update_building(building_id: IdPath, data: BuildingUpdate, session: SessionDep, principal: AdminDep,
                    now: NowDep) -> BuildingRead:
    """修改楼宇或更换楼长（manager_user_id 为 null 表示暂无楼长）。"""
    return buildings.update_building(session, principal, building_id, data, now=now)


@router.delete("/buildings/{building_id}", response_model=BuildingRead, responses=problem_responses(403, 404, 409))
def delete_building(building_id: IdPath, session: SessionDep, principal: AdminDep) -> BuildingRead:
    """删除楼宇（返回删除前的楼宇）；楼内仍有企业时返回 409。"""
    return buildings.delete_building(session, principal, building_id)
