"""core.pagination.Page.of: the one place a list route turns `limit + 1` rows into a page and its next cursor."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.core.pagination import Page, decode_cursor, decode_cursor_id
from app.errors import InvalidInput

SECRET = "s" * 40


@dataclass(frozen=True)
class Row:
    id: int
    code: str


ROWS = [Row(i, f"c{i}") for i in range(1, 6)]


def test_a_full_fetch_keeps_limit_rows_and_points_after_the_last_shown():
    page = Page.of(ROWS, 4, SECRET)  # five fetched for a limit of four: there is a next page
    assert [r.id for r in page.rows] == [1, 2, 3, 4]
    assert decode_cursor_id(page.next_cursor, SECRET) == 4


@pytest.mark.parametrize("fetched", [ROWS[:4], ROWS[:1], []])
def test_the_last_page_has_no_cursor(fetched):
    page = Page.of(fetched, 4, SECRET)
    assert page.rows == fetched and page.next_cursor is None


def test_position_names_what_the_list_is_ordered_by():
    page = Page.of(ROWS[:3], 2, SECRET, lambda row: {"code": row.code, "id": row.id})
    assert decode_cursor(page.next_cursor, SECRET) == {"code": "c2", "id": 2}


def test_the_cursor_is_signed_with_the_secret():
    cursor = Page.of(ROWS, 1, SECRET).next_cursor
    with pytest.raises(InvalidInput):
        decode_cursor(cursor, "t" * 40)
