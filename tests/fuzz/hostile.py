"""Hostile values for schemathesis (issue 14): the dates at the edges of Python's calendar and of ours, numbers past
a 32- or 64-bit column, and control characters (NUL, C0, DEL, C1, separators) put into an otherwise valid request.

Schemathesis generates a request from the contract; the hooks here (`install(schema)`) then replace exactly one
value of it, a query or path parameter (present or not) or one leaf of the JSON body, with a hostile one, so that
the rest of the request stays valid and the hostile value reaches the code behind validation. Which value and what
replaces it is drawn by Hypothesis, so a failure shrinks to one parameter and one value.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

BOUNDARY_DATES = [
    "0001-01-01", "9999-12-31", "1999-12-31", "2000-01-01", "2100-12-31", "2101-01-01", "1970-01-01",
    "9999-12-31T23:59:59+08:00", "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59.999999-23:59",
    "2100-12-31T23:59:59-23:59", "0001-01-01T00:00:00Z", "2026-02-29", "9999-W52", "0001-W01", "2100-W52",
    "2000-W01", "1999-W52",
]
BIG_NUMBERS = [2**31, 2**31 - 1, 2**63, 2**63 - 1, -(2**63) - 1, 10**20, -1, 0]
CONTROLS = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\r", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x9f", "\u2028",
            "\u200b", "\ufeff"]

controls = st.sampled_from(CONTROLS)


def _spoiled(text: str) -> st.SearchStrategy[str]:
    """The value with a control character before, inside or after it, or alone."""
    middle = len(text) // 2
    return st.one_of(
        controls.map(lambda c: text + c), controls.map(lambda c: c + text),
        controls.map(lambda c: text[:middle] + c + text[middle:]), controls,
    )


def hostile_text(value: Any) -> st.SearchStrategy[Any]:
    """What may replace a query or path value (always text on the wire)."""
    text = value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else \
        str(value) if isinstance(value, int | float) else "x"
    return st.one_of(st.sampled_from(BOUNDARY_DATES), _spoiled(text), st.sampled_from(BIG_NUMBERS).map(str))


def hostile_leaf(value: Any) -> st.SearchStrategy[Any]:
    """What may replace one JSON value: a string gets dates and control characters, a number big ones."""
    if isinstance(value, bool) or value is None:
        return st.sampled_from(BOUNDARY_DATES)
    if isinstance(value, int | float):
        return st.sampled_from(BIG_NUMBERS)
    if isinstance(value, str):
        return st.one_of(st.sampled_from(BOUNDARY_DATES), _spoiled(value))
    return st.sampled_from(BOUNDARY_DATES) | controls


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))] or [path]
    if isinstance(value, list):
        return [leaf for index, item in enumerate(value) for leaf in _leaves(item, (*path, index))] or [path]
    return [path]


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replaced(copy[head], rest, new)
    return copy


def _one_parameter_spoiled(params: dict[str, Any] | None, declared: list[str]) -> st.SearchStrategy[Any]:
    params = dict(params or {})
    names = sorted(set(params) | set(declared))
    if not names:
        return st.just(params or None)

    def spoil(name: str) -> st.SearchStrategy[dict[str, Any]]:
        current = params.get(name, "2026-03-02")
        if isinstance(current, list):
            current = current[0] if current else "x"
        return hostile_text(current).map(lambda bad: {**params, name: bad})

    return st.sampled_from(names).flatmap(spoil)


def install(schema: Any) -> None:
    """Registers the hooks on `schema` only (the ordinary fuzzing keeps its own values)."""

    def declared(context: Any, location: str) -> list[str]:
        operation = getattr(context, "operation", None)
        return [p.name for p in getattr(operation, location, ())] if operation is not None else []

    @schema.hook
    def flatmap_query(context, query):  # type: ignore[no-untyped-def]
        return _one_parameter_spoiled(query, declared(context, "query"))

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):  # type: ignore[no-untyped-def]
        if not path_parameters:
            return st.just(path_parameters)
        return st.one_of(st.just(path_parameters), _one_parameter_spoiled(path_parameters, []))

    @schema.hook
    def flatmap_body(context, body):  # type: ignore[no-untyped-def]
        if not isinstance(body, dict | list) or _has_bytes(body):
            return st.just(body)
        return st.sampled_from(_leaves(body)).flatmap(
            lambda path: hostile_leaf(_get(body, path)).map(lambda bad: _replaced(body, path, bad)))


def _has_bytes(value: Any) -> bool:
    if isinstance(value, bytes | bytearray):
        return True
    if isinstance(value, dict):
        return any(_has_bytes(v) for v in value.values())
    return isinstance(value, list) and any(_has_bytes(v) for v in value)
