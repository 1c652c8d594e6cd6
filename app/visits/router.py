"""走访台账 routes (DESIGN §11). Thin: the service decides and commits."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from app.auth.deps import PrincipalDep, StaffDep
from app.auth.principal import Principal
from app.core.pagination import CursorQuery, LimitQuery, Page, decode_cursor
from app.core.http import created
from app.core.streaming import first_page_read
from app.core.validation import IdempotencyKey, IdPath, QueryDate
from app.deps import NowDep, SessionDep, SettingsDep
from app.enterprises.service import sees_full_contact
from app.errors import InvalidInput, problem_responses
from app.units.models import Unit
from app.visits import export, service, views
from app.visits.schemas import VisitCreate, VisitPage, VisitRead

router = APIRouter(prefix="/api/v1", tags=["visits"])

UnitFilter = Annotated[str | None, Query(max_length=32, pattern=r"^[0-9A-Za-z_-]{2,32}$",
                                         description="单位编码（含下级）：企业属地街道或走访人派出单位在其中")]
EnterpriseFilter = Annotated[str | None, Query(max_length=18, description="企业统一社会信用代码")]
LiaisonFilter = Annotated[int | None, Query(ge=1, le=2_147_483_647, description="走访人用户 id")]
FromFilter = Annotated[QueryDate | None, Query(alias="from", description="走访日期起（含），YYYY-MM-DD")]
ToFilter = Annotated[QueryDate | None, Query(description="走访日期止（含），YYYY-MM-DD")]
UsccPath = Annotated[str, Path(max_length=30)]


def _filters(unit: str | None, enterprise: str | None, liaison: int | None, start: date | None,
             end: date | None) -> service.VisitFilters:
    return service.VisitFilters(unit_code=unit, enterprise_uscc=enterprise, visitor_user_id=liaison, start=start,
                                end=end)


def _after(cursor: str | None, secret: str) -> tuple[date, int] | None:
    position = decode_cursor(cursor, secret)
    if position is None:
        return None
    try:
        return date.fromisoformat(position["d"]), int(position["id"])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput.field("query.cursor", "分页游标不属于此列表 (cursor from another list)") from None


def _page(session: SessionDep, principal: Principal, filters: service.VisitFilters, secret: str, limit: int,
          cursor: str | None) -> VisitPage:
    rows = service.list_visits(session, principal, filters, after=_after(cursor, secret), limit=limit + 1)
    page = Page.of(rows, limit, secret, lambda row: {"d": row.visited_on.isoformat(), "id": row.id})
    return VisitPage(items=views.to_reads(session, page.rows), next_cursor=page.next_cursor)


@router.post("/visits", status_code=201, response_model=VisitRead, responses=problem_responses(403))
def record_visit(data: VisitCreate, session: SessionDep, principal: PrincipalDep, now: NowDep,
                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """登记走访（走访台账），连同走访中收集的诉求：同一事务，任一条诉求有误则整条走访不登记（422 指明
    `body.appeals.N.字段`）。诉求来源为 visit 并指向本次走访。须由具体工作人员登记（绑定用户的 API key、页面或钉钉）。"""
    outcome = service.record_visit(session, principal, data, now=now, idempotency_key=idempotency_key)
    return created(outcome, location=f"/api/v1/visits/{outcome.body['id']}")


@router.get("/visits", response_model=VisitPage, responses=problem_responses(403, 404))
def list_visits(session: SessionDep, principal: StaffDep, settings: SettingsDep, unit: UnitFilter = None,
                enterprise: EnterpriseFilter = None, liaison: LiaisonFilter = None, from_: FromFilter = None,
                to: ToFilter = None, limit: LimitQuery = 50, cursor: CursorQuery = None) -> VisitPage:
    """按单位、企业、走访人、走访日期列出可见的走访登记，新的在前，游标分页。"""
    filters = _filters(unit, enterprise, liaison, from_, to)
    return _page(session, principal, filters, settings.signing_secret, limit, cursor)


def _full_contact(session: SessionDep, principal: Principal):  # type: ignore[no-untyped-def]
    streets: dict[int, bool] = {}

    def full(street_id: int) -> bool:
        if street_id not in streets:
            street = session.get(Unit, street_id)
            streets[street_id] = street is not None and sees_full_contact(principal, street)
        return streets[street_id]

    return full


def _disposition(filename: str) -> str:
    return f"attachment; filename=\"visits.{filename.rsplit('.', 1)[-1]}\"; filename*=UTF-8''{quote(filename)}"


def _export_rows(session: SessionDep, principal: Principal, filters: service.VisitFilters):  # type: ignore[no-untyped-def]
    full = _full_contact(session, principal)
    for page, found in service.export_pages(session, principal, filters):
        rows = [export.row(v, found, full_contact=full) for v in page]
        # The page's read ends in the thread that read it, before its rows go on: a streamed CSV is suspended
        # between chunks while the client reads, and must not hold a pooled connection meanwhile (docs/decisions.md
        # 72). A commit, not a rollback: nothing was written, and the loaded visits stay usable for the next page's
        # cursor (expire_on_commit=False) instead of being reloaded.
        session.commit()
        yield rows


@router.get("/visits/export.csv", response_class=StreamingResponse,
            responses={200: {"description": "UTF-8（带 BOM）CSV，中文表头，每次走访一行",
                             "content": {"text/csv": {"schema": {"type": "string"}}}},
                       **problem_responses(403, 404)})
def export_csv(request: Request, session: SessionDep, principal: StaffDep, now: NowDep, unit: UnitFilter = None,
               enterprise: EnterpriseFilter = None, liaison: LiaisonFilter = None, from_: FromFilter = None,
               to: ToFilter = None) -> StreamingResponse:
    """导出走访台账 CSV（Excel 可直接打开），筛选条件同列表；不含企业联系人及手机号。"""
    filters = _filters(unit, enterprise, liaison, from_, to)
    service.check_filters(session, principal, filters)
    chunks = first_page_read(request.app.state.engine,
                             lambda stream: export.csv_chunks(_export_rows(stream, principal, filters)))
    name = f"走访台账-{service.today_in_shanghai(now).isoformat()}.csv"
    return StreamingResponse((chunk.encode("utf-8") for chunk in chunks), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": _disposition(name)})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/visits/export.xlsx", response_class=Response,
            responses={200: {"description": "Excel 工作簿，工作表「走访台账」，中文表头",
                             "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}},
                       **problem_responses(403, 404)})
def export_xlsx(session: SessionDep, principal: StaffDep, now: NowDep, unit: UnitFilter = None,
                enterprise: EnterpriseFilter = None, liaison: LiaisonFilter = None, from_: FromFilter = None,
                to: ToFilter = None) -> Response:
    """导出走访台账 Excel（xlsx），筛选条件与列同 CSV。"""
    filters = _filters(unit, enterprise, liaison, from_, to)
    service.check_filters(session, principal, filters)
    content = export.xlsx_bytes(_export_rows(session, principal, filters))
    name = f"走访台账-{service.today_in_shanghai(now).isoformat()}.xlsx"
    return Response(content, media_type=XLSX, headers={"Content-Disposition": _disposition(name)})


@router.get("/visits/{visit_id}", response_model=VisitRead, responses=problem_responses(403, 404))
def get_visit(visit_id: IdPath, session: SessionDep, principal: StaffDep) -> VisitRead:
    """读取一次走访登记。"""
    return views.to_read(session, service.get_visible(session, principal, visit_id))


@router.get("/enterprises/{uscc}/visits", response_model=VisitPage, responses=problem_responses(403, 404))
def list_enterprise_visits(uscc: UsccPath, session: SessionDep, principal: StaffDep, settings: SettingsDep,
                           from_: FromFilter = None, to: ToFilter = None, limit: LimitQuery = 50,
                           cursor: CursorQuery = None) -> VisitPage:
    """一家企业的走访记录（结对服务专员、楼长及属地单位可见），新的在前。"""
    enterprise = service.enterprise_for_read(session, principal, uscc)
    filters = service.VisitFilters(enterprise_uscc=enterprise.uscc, start=from_, end=to)
    return _page(session, principal, filters, settings.signing_secret, limit, cursor)
