"""The reusable input rules of app/core/validation.py and the statistics period parser, without an app or a
database: dates inside 2000-01-01..2100-12-31, no overflow whatever string arrives, control characters stripped
from vendor text and refused in identifiers, and every string field of every API body refusing NUL and C0 (our text
types refuse C1 too)."""

from __future__ import annotations

import itertools
import typing
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from app.core.validation import (
    MAX_DATE,
    MIN_DATE,
    JsonDate,
    Label,
    LongText,
    Name,
    QueryDate,
    control_path,
    in_calendar,
    refuse_controls,
    strip_controls,
)
from app.errors import InvalidInput
from app.stats import periods

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
DATES = TypeAdapter(JsonDate)


@pytest.mark.parametrize("text", ["2000-01-01", "2026-03-02", "2100-12-31"])
def test_calendar_dates_pass(text):
    assert DATES.validate_python(text) == date.fromisoformat(text)
    assert TypeAdapter(QueryDate).validate_python(text) == date.fromisoformat(text)


@pytest.mark.parametrize("text", ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"])
def test_dates_outside_the_calendar_are_refused_in_chinese(text):
    with pytest.raises(ValidationError) as caught:
        DATES.validate_python(text)
    assert "2000-01-01 至 2100-12-31" in str(caught.value)


def test_a_datetime_is_judged_by_its_own_calendar_day():
    assert in_calendar(datetime(2100, 12, 31, 23, 59))
    assert not in_calendar(datetime(2101, 1, 1, 0, 0))
    assert in_calendar(MIN_DATE) and in_calendar(MAX_DATE) and not in_calendar(date.max) and not in_calendar(date.min)


bound_text = st.one_of(
    st.dates().map(date.isoformat),
    st.datetimes(timezones=st.sampled_from([None, UTC, periods.SHANGHAI])).map(lambda d: d.isoformat()),
    st.builds(lambda d, h: f"{d.isoformat()}T00:00:00{h}", st.dates(), st.sampled_from(["+23:59", "-23:59", "Z"])),
    st.text(max_size=40),
)


@given(start=st.none() | bound_text, end=st.none() | bound_text)
def test_a_period_is_a_period_or_invalid_input_never_an_overflow(start, end):
    try:
        period = periods.resolve_period(start, end, now=NOW)
    except InvalidInput:
        return
    assert period.start < period.end
    periods.bucket_spans(period, periods.Bucket.month)  # and its buckets compute
    assert MIN_DATE <= period.first_day and period.last_day.year <= MAX_DATE.year + 1


weeks = st.builds(lambda y, w: f"{y:04d}-W{w:02d}", st.integers(1, 9999), st.integers(0, 54)) | st.text(max_size=12)


@given(week=weeks)
def test_a_week_is_a_week_or_invalid_input_never_an_overflow(week):
    try:
        period, label = periods.iso_week(week)
    except InvalidInput as exc:
        assert exc.errors[0].field == "query.week"
        return
    assert periods.FIRST_WEEK <= label <= periods.LAST_WEEK and period.start < period.end


@pytest.mark.parametrize("week, ok", [("2000-W01", True), ("1999-W52", False), ("2100-W52", True),
                                      ("9999-W52", False), ("0001-W01", False)])
def test_the_weeks_at_the_ends(week, ok):
    if ok:
        assert periods.iso_week(week)[1] == week
    else:
        with pytest.raises(InvalidInput):
            periods.iso_week(week)


# --- control characters ------------------------------------------------------------------------------------------

C0_BUT_TAB_LF = [chr(c) for c in range(0x20) if chr(c) not in "\t\n"]
C1 = [chr(c) for c in range(0x80, 0xA0)]
CONTROLS = [*C0_BUT_TAB_LF, "\x7f", *C1]


@pytest.mark.parametrize("char", CONTROLS)
def test_every_control_character_is_stripped_from_vendor_text_and_refused_in_an_identifier(char):
    assert strip_controls(f"签收{char} ZQ2026-000001") == "签收 ZQ2026-000001"
    with pytest.raises(ValueError, match="控制字符"):
        refuse_controls(f"wangxm01{char}")


def test_tab_line_feed_and_ordinary_text_stay():
    text = "进展 ZQ2026-000001\n已联系供电公司\t本周勘察 — 「ok」 ￥1,000 😀"
    assert strip_controls(text) == text and refuse_controls("$:LWCP_v1:$Ff09GI==") == "$:LWCP_v1:$Ff09GI=="


def test_control_path_finds_a_control_character_anywhere_in_json():
    assert control_path({"a": [1, {"b": "ok"}, {"c": "x\x00"}]}) == "a.2.c"
    assert control_path({"k\x01": "v"}) == "k\x01"
    assert control_path({"a": ["ok", 1, None, True]}) is None


@given(text=st.text(max_size=60))
def test_stripped_text_holds_no_control_character_and_loses_nothing_else(text):
    stripped = strip_controls(text)
    assert control_path(stripped) is None
    assert stripped == "".join(c for c in text if c not in CONTROLS)


@pytest.mark.parametrize("kind", [Name, Label, LongText])
@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x85", "\x9f", "\u2028"])
def test_our_text_types_refuse_nul_c0_and_c1(kind, char):
    with pytest.raises(ValidationError):
        TypeAdapter(kind).validate_python(f"已{char}解决")  # (at an end, strip() takes \x85 as a space)


# --- every string field of every API body -------------------------------------------------------------------------

def _api_routes():  # type: ignore[no-untyped-def]
    from fastapi.routing import APIRoute

    from app.main import create_app
    from tests.conftest import make_settings

    def flat(routes):  # type: ignore[no-untyped-def]
        for route in routes:
            if isinstance(route, APIRoute):
                yield route
            inner = getattr(route, "router", None) or getattr(route, "original_router", None)
            if inner is not None:
                yield from flat(inner.routes)

    app = create_app(make_settings("sqlite://", __import__("pathlib").Path("/nonexistent")))
    return [route for route in flat(app.routes) if route.path.startswith("/api/")]


def _string_fields(model: type[BaseModel], seen: set[type]) -> typing.Iterator[tuple[str, typing.Any]]:
    if model in seen:
        return
    seen.add(model)
    for name, field in model.model_fields.items():
        annotation = field.annotation
        nested = itertools.chain([annotation], *[[a, *typing.get_args(a)] for a in typing.get_args(annotation)])
        for inner in nested:
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                yield from (( f"{model.__name__}.{n}", t) for n, t in _string_fields(inner, seen))
        if _holds_str(annotation):
            adapter = TypeAdapter(typing.Annotated[annotation, *field.metadata]) if field.metadata else \
                TypeAdapter(annotation)
            yield f"{model.__name__}.{name}", adapter


def _holds_str(annotation: typing.Any) -> bool:
    return annotation is str or any(_holds_str(a) for a in typing.get_args(annotation))


def test_every_string_field_of_every_api_body_refuses_nul_and_c0():
    """A new body field typed plain `str` would let NUL reach PostgreSQL (a 500): use a type from
    app/core/validation.py (Name, Title, Note, LongText, Label, …) or one with a pattern excluding controls."""
    fields: dict[str, typing.Any] = {}
    seen: set[type] = set()
    for route in _api_routes():
        body = route.body_field.field_info.annotation if route.body_field is not None else None
        for candidate in [body, *typing.get_args(body)]:
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                fields.update(_string_fields(candidate, seen))
    assert len(fields) > 40, sorted(fields)  # the walk reached the bodies
    accepting = []
    for name, adapter in fields.items():
        for char in ("\x00", "\x01", "\x1b"):
            try:
                value = adapter.validate_python(f"ab{char}cd")
            except ValidationError:
                continue
            if isinstance(value, str) and char in value:
                accepting.append((name, repr(char)))
    assert accepting == []


def test_a_period_ending_at_the_first_instant_of_the_calendar_is_empty_not_1999():
    # Found by the property above: the default `from` (1 January of the last instant's year) was 1999-01-01.
    with pytest.raises(InvalidInput):
        periods.resolve_period(None, "2000-01-01T00:00:00+08:00", now=NOW)
