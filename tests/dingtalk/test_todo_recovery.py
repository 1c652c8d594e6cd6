"""A to-do DingTalk created while our worker died before saving its id ("Lost to-do id on task exist"): the id is
recovered by the task's sourceId, so the to-do is still marked done when the appeal moves on — whether the creation
is retried first ("task exist" → GetTodoTaskBySourceId) or the appeal moves on before the retry."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.dingtalk.models import DingTalkOp, DingTalkTodo
from tests.dingtalk.test_workplace import (  # noqa: F401  # fixtures: settings, fake, _unconfigure_after
    Crash, _unconfigure_after, dies_after_send, dispatch_round, fake, file_appeal, read, settings, workplace)

pytestmark = pytest.mark.db
TODO_PATH = "/tasks"  # POST /v1.0/todo/users/{unionId}/tasks


def crash_after_creating_the_todo(db, settings, clock, fake) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Crash):
        dispatch_round(db, settings, clock, workplace(fake, clock, dies_after_send(fake, TODO_PATH)))
    [task] = fake.todos.values()  # DingTalk has it …
    assert task["done"] is False
    assert read(db, select(DingTalkTodo.task_id)) == [None]  # … we never heard its id


def sign(client, keys, appeal_id: int) -> None:  # type: ignore[no-untyped-def]
    signed = client.post(f"/api/v1/appeals/{appeal_id}/actions/sign", json={}, headers=keys["xixi_liaison"])
    assert signed.status_code == 200, signed.text


def test_a_retried_creation_that_meets_task_exist_recovers_the_id_and_the_todo_is_done(client, keys, clock, db,
                                                                                       settings, fake):
    filed = file_appeal(client, keys)
    crash_after_creating_the_todo(db, settings, clock, fake)
    clock.advance(seconds=settings.dispatch_lease_seconds + 1)
    place = workplace(fake, clock)
    dispatch_round(db, settings, clock, place)  # the creation again: "task exist" → found by sourceId
    [(key, task)] = fake.todos.items()
    [todo] = read(db, select(DingTalkTodo))
    assert (todo.task_id, todo.union_id, todo.status) == (key[1], "union-wangxm01", "open")
    assert fake.requests.count(("GET", f"/v1.0/todo/users/union-wangxm01/tasks/sources/{todo.source_id}")) == 1
    sign(client, keys, filed["id"])
    dispatch_round(db, settings, clock, place)
    assert fake.todos[key]["done"] is True and len(fake.todos) == 1  # one task, now done
    assert {op.status for op in read(db, select(DingTalkOp).where(DingTalkOp.kind != "notice"))} == {"sent"}


def test_an_appeal_that_moves_on_before_the_retry_still_completes_the_todo_dingtalk_has(client, keys, clock, db,
                                                                                       settings, fake):
    filed = file_appeal(client, keys)
    crash_after_creating_the_todo(db, settings, clock, fake)
    sign(client, keys, filed["id"])  # while the dead worker's lease still holds the creation
    clock.advance(seconds=settings.dispatch_lease_seconds + 1)
    dispatch_round(db, settings, clock, workplace(fake, clock))  # the creation is cancelled: the step is over …
    clock.advance(seconds=6)
    dispatch_round(db, settings, clock, workplace(fake, clock))  # … and the completion looks the task up
    [task] = fake.todos.values()
    assert task["done"] is True and len(fake.todos) == 1  # found by sourceId, not created again
    ops = {op.kind: op.status for op in read(db, select(DingTalkOp).where(DingTalkOp.kind != "notice"))}
    assert ops == {"todo_create": "cancelled", "todo_done": "sent"}


def test_a_todo_closed_before_its_creation_was_ever_tried_is_neither_created_nor_looked_up(client, keys, clock, db,
                                                                                          settings, fake):
    filed = file_appeal(client, keys)
    sign(client, keys, filed["id"])
    place = workplace(fake, clock)
    dispatch_round(db, settings, clock, place)
    clock.advance(seconds=6)
    dispatch_round(db, settings, clock, place)
    assert fake.todos == {} and not [r for r in fake.requests if "/sources/" in r[1]]


def test_a_todo_left_unknown_by_the_old_sender_is_still_closed_and_completed(client, keys, clock, db, settings,
                                                                            fake):
    import sqlalchemy as sa

    from app.db import session_for

    filed = file_appeal(client, keys)
    dispatch_round(db, settings, clock, workplace(fake, clock))
    with session_for(db) as session:  # what "task exist" left before the id was recovered: no id, "unknown"
        session.execute(sa.update(DingTalkTodo).values(task_id=None, status="unknown"))
        session.commit()
    sign(client, keys, filed["id"])
    dispatch_round(db, settings, clock, workplace(fake, clock))
    [task] = fake.todos.values()
    assert task["done"] is True and read(db, select(DingTalkTodo.status)) == ["done"]
