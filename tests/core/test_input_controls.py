"""Every string field of every input model refuses control characters (issue 14): C1 (U+0080–U+009F: never typed,
NEL breaks a line in some readers, the others are invisible) and C0 escape. Walked, not listed, so a field added
tomorrow is covered without anyone remembering it: each input model (extra="forbid") anywhere under app, each of
its string fields (also in lists), first as the model (a value the field accepts is refused once a control
character sits inside it, and the error names the field), then through every JSON route that reads the model
(422 problem+json whose `errors` name `body.<field>`). The fields use app.core.validation's types (Name, Tag,
Label, LongText, … or its `single_line` check)."""

from __future__ import annotations

import enum
import importlib
import pkgutil
import types
import typing
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

import app as app_package
from tests.helpers import XIXI_ENTERPRISE

CONTROLS = ["\x80", "\x85", "\x9f", "\x1b"]  # C1's first, NEL, C1's last; a C0 escape
# Values a field may accept, tried in this order until one passes the field's own rules (a code, a USCC, a mobile,
# a URL … as well as free text), so that the refusal is the control character's doing.
SAMPLES = ["新厂房用电增容", "330106", XIXI_ENTERPRISE, "13800001111", "SEC0123456789abcdef",
           "https://oapi.dingtalk.com/robot/send?access_token=3f2a9c1d", "cidAbCdEfGhIj0123==", "wangxm01",
           "manufacturing", "C39", "ABCD-2345"]


def _input_models() -> list[type[BaseModel]]:
    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        importlib.import_module(module.name)
    found: dict[str, type[BaseModel]] = {}
    stack = list(BaseModel.__subclasses__())
    while stack:
        model = stack.pop()
        stack.extend(model.__subclasses__())
        if model.__module__.startswith("app.") and model.model_config.get("extra") == "forbid":
            found[f"{model.__module__}.{model.__qualname__}"] = model
    return [found[name] for name in sorted(found)]


def _holds_text(annotation: Any) -> bool:
    """str itself, or str inside Annotated / Optional / list (an enum of strings is not free text)."""
    if annotation is str:
        return True
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return False
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _holds_text(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple, set, frozenset):
        return any(_holds_text(arg) for arg in typing.get_args(annotation) if arg is not type(None))
    return False


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _is_list(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_is_list(arg) for arg in typing.get_args(annotation))
    return origin in (list, tuple, set, frozenset)


def _nested_models(annotation: Any) -> Iterator[tuple[type[BaseModel], bool]]:
    """The models a field holds, and whether in a list."""
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, False
    elif origin is Annotated:
        yield from _nested_models(typing.get_args(annotation)[0])
    elif origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            yield from _nested_models(arg)
    elif origin in (list, tuple, set, frozenset):
        for arg in typing.get_args(annotation):
            yield from ((model, True) for model, _ in _nested_models(arg))


def _text_fields(model: type[BaseModel]) -> list[tuple[str, FieldInfo]]:
    return [(name, field) for name, field in model.model_fields.items() if _holds_text(field.annotation)]


def _errors_at(model: type[BaseModel], name: str, value: Any) -> list[Any]:
    """The model's errors about field `name` when the body holds only `value` there (missing siblings aside)."""
    try:
        model.model_validate({name: value})
    except ValidationError as exc:
        return [error for error in exc.errors() if error["loc"][:1] == (name,)]
    return []


def _accepted_sample(model: type[BaseModel], name: str, field: FieldInfo) -> Any:
    listed = _is_list(field.annotation)
    for sample in SAMPLES:
        value = [sample] if listed else sample
        if not _errors_at(model, name, value):
            return value
    return None


def _with_control(value: Any, control: str) -> Any:
    if isinstance(value, list):
        return [_with_control(value[0], control)]
    return value[:1] + control + value[1:]


MODELS = _input_models()
FIELDS = [pytest.param(model, name, field, id=f"{model.__name__}.{name}")
          for model in MODELS for name, field in _text_fields(model)]


def test_the_walk_finds_the_input_models():
    names = {model.__name__ for model in MODELS}
    assert {"AppealCreate", "ChannelCreate", "ChannelUpdate", "ProblemGroupResolve", "VisitCreate"} <= names
    assert len(FIELDS) > 60


@pytest.mark.parametrize(("model", "name", "field"), FIELDS)
@pytest.mark.parametrize("control", CONTROLS, ids=["U+0080", "U+0085", "U+009F", "U+001B"])
def test_every_text_field_refuses_a_control_character(model, name, field, control):
    sample = _accepted_sample(model, name, field)
    assert sample is not None, f"{model.__name__}.{name}: no value in SAMPLES passes its rules; add one it accepts"
    assert _errors_at(model, name, _with_control(sample, control)), f"{model.__name__}.{name} accepted {control!r}"


def _body_paths(model: type[BaseModel], prefix: tuple[str | int, ...] = (), depth: int = 0,
                ) -> Iterator[tuple[tuple[str | int, ...], type[BaseModel], str, FieldInfo]]:
    """Every text field reachable in a body of `model`, as its location (a list's first item for lists)."""
    for name, field in model.model_fields.items():
        if _holds_text(field.annotation):
            yield (*prefix, name), model, name, field
        for nested, listed in _nested_models(field.annotation):
            if depth < 3:
                yield from _body_paths(nested, (*prefix, name, *((0,) if listed else ())), depth + 1)


def _nest(path: tuple[str | int, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    return [_nest(rest, value)] if isinstance(head, int) else {head: _nest(rest, value)}


def _json_body_operations(app) -> Iterator[tuple[str, str, type[BaseModel]]]:  # type: ignore[no-untyped-def]
    """(method, path, model) of every operation whose JSON body is an input model, read from the contract."""
    models = {model.__name__: model for model in MODELS}
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            name = schema.get("$ref", "").rsplit("/", 1)[-1]
            if name in models:
                yield method.upper(), path, models[name]


def _concrete(path: str) -> str:
    return "/".join("1" if part.startswith("{") else part for part in path.split("/"))


def test_every_json_route_answers_422_naming_the_field(client, keys):
    """As the city admin (who passes every role check that runs before the body is read); one request per route
    and field, with only that field in the body: the other fields' errors do not hide its own."""
    checked, wrong = set(), []
    for method, route, model in _json_body_operations(client.app):
        for path, owner, name, field in _body_paths(model):
            sample = _accepted_sample(owner, name, field) or "测试"
            response = client.request(method, _concrete(route), headers=keys["city"],
                                      json=_nest(path, _with_control(sample, "\x85")))
            named = "body." + ".".join(map(str, path))
            fields = [e["field"] for e in response.json().get("errors", [])] if response.status_code == 422 else []
            if not any(f == named or f.startswith(named + ".") for f in fields):  # a list's item: body.tags.0
                wrong.append(f"{method} {route} {named}: {response.status_code} {fields or response.text[:200]}")
            checked.add(model.__name__)
    assert wrong == [], "\n".join(wrong)
    assert {"AppealCreate", "ChannelCreate", "ProblemGroupResolve", "VisitCreate"} <= checked
