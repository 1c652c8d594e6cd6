"""Similar-appeal suggestions: likely duplicates (same enterprise, same category, within 30 days) and the same
problem raised by other enterprises (character n-gram similarity of title + description, app.stats.similarity).

Suggestions only: admins decide to merge (合并) or to group (共性问题). The candidate set is bounded (the newest
CANDIDATE_LIMIT appeals in the caller's reach that are open or filed within RECENT_WINDOW), so the cost of one
request does not grow with the size of the archive.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.appeals import access as appeals
from app.appeals.models import Appeal
from app.auth import service as auth
from app.auth.principal import Principal
from app.enterprises.models import Enterprise
from app.enums import CATEGORY_LABELS, OPEN_STATUSES, Category, Status
from app.problems.schemas import SimilarAppeal, SimilarAppeals
from app.stats.similarity import Candidate, rank_similar, similarity
from app.units.models import Unit

DUPLICATE_WINDOW = timedelta(days=30)
RECENT_WINDOW = timedelta(days=90)
CANDIDATE_LIMIT = 2000
THRESHOLD = 0.35
LIMIT = 10


def _text(appeal_title: str, description: str) -> str:
    return f"{appeal_title}\n{description}"


def similar_appeals(session: Session, principal: Principal, appeal_id: int, *, now: datetime) -> SimilarAppeals:
    reach = auth.reach_unit_ids(session, principal)
    appeal = appeals.get_visible(session, principal, appeal_id, reach)
    visible = appeals.visibility_clause(principal, reach)
    duplicates = session.exec(
        select(Appeal).where(
            visible, Appeal.enterprise_id == appeal.enterprise_id, Appeal.category == appeal.category,
            col(Appeal.id) != appeal.id, col(Appeal.status) != Status.merged,
            col(Appeal.created_at) >= appeal.created_at - DUPLICATE_WINDOW,
            col(Appeal.created_at) <= appeal.created_at + DUPLICATE_WINDOW,
        ).order_by(col(Appeal.id).desc()).limit(LIMIT)
    ).all()
    candidates = session.exec(
        select(Appeal.id, Appeal.title, Appeal.description).where(
            visible, col(Appeal.id) != appeal.id, col(Appeal.status) != Status.merged,
            sa.or_(col(Appeal.status).in_(list(OPEN_STATUSES)), col(Appeal.created_at) >= now - RECENT_WINDOW),
        ).order_by(col(Appeal.id).desc()).limit(CANDIDATE_LIMIT)
    ).all()
    query = _text(appeal.title, appeal.description)
    scores = {int(key): score for key, score in rank_similar(
        query, (Candidate(str(i), _text(t, d)) for i, t, d in candidates), threshold=THRESHOLD, limit=LIMIT * 3)}
    for dup in duplicates:
        scores.setdefault(dup.id, round(similarity(query, _text(dup.title, dup.description)), 4))  # type: ignore[index]
    duplicate_ids = {d.id for d in duplicates}
    ordered = sorted(scores, key=lambda i: (i not in duplicate_ids, -scores[i], -i))[:LIMIT]
    rows = {a.id: (a, name) for a, name in session.exec(
        select(Appeal, Enterprise.name).join(Enterprise, col(Enterprise.id) == Appeal.enterprise_id)
        .where(col(Appeal.id).in_(ordered))
    ).all()}
    streets = {u.id: u.code for u in session.exec(
        select(Unit).where(col(Unit.id).in_({a.street_unit_id for a, _ in rows.values()}))).all()}
    session.commit()  # end the read transaction; expire_on_commit=False keeps the loaded rows usable
    items = []
    for other_id in ordered:
        other, name = rows[other_id]
        duplicate = other_id in duplicate_ids
        items.append(SimilarAppeal(
            appeal_id=other.id, number=other.number, title=other.title, enterprise_name=name,  # type: ignore[arg-type]
            street_code=streets[other.street_unit_id], status=other.status, category=other.category,  # type: ignore[arg-type]
            created_at=other.created_at, score=min(1.0, round(scores[other_id], 4)), likely_duplicate=duplicate,
            reason=_reason(appeal, other, scores[other_id], duplicate),
        ))
    return SimilarAppeals(appeal_id=appeal.id, number=appeal.number, items=items)  # type: ignore[arg-type]


def _reason(appeal: Appeal, other: Appeal, score: float, duplicate: bool) -> str:
    category = CATEGORY_LABELS.get(Category(other.category), other.category)
    days = abs((other.created_at - appeal.created_at).days)
    if duplicate:
        return f"同一企业{days}天内提交的同类（{category}）诉求，疑似重复，可由管理员合并；文字相似度{score:.0%}"
    parts = [f"文字相似度{score:.0%}"]
    if other.category == appeal.category:
        parts.append(f"同属{category}类")
    if other.enterprise_id == appeal.enterprise_id:
        return "，".join(parts) + "；同一企业的相似诉求"
    return "，".join(parts) + "；不同企业反映相同问题，可考虑归入共性问题"
