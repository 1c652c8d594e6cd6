"""Every kind of field error a 422 can carry speaks Chinese (DESIGN §13): the message starts in Chinese, enum errors
list the codes with their labels, custom validators lose pydantic's "Value error, " prefix, and a JSON syntax error
names its line and column instead of a pseudo-field `body.16`."""

from __future__ import annotations

import pytest

from app.core import messages_zh
from tests.helpers import appeal_body, assert_problem


def _field_errors(response) -> list[dict]:  # type: ignore[no-untyped-def]
    body = assert_problem(response, 422, code="validation_error")
    assert body["errors"], body
    for error in body["errors"]:
        assert messages_zh.has_chinese(error["message"].split("(")[0]), error
        assert "Value error" not in error["message"] and "Field required" not in error["message"].split("(")[0]
    return body["errors"]


def _error_for(errors: list[dict], field: str) -> dict:
    matches = [e for e in errors if e["field"] == field]
    assert matches, f"{field} not in {errors}"
    return matches[0]


def _without(key: str) -> dict[str, object]:
    body = appeal_body()
    del body[key]
    return body


@pytest.mark.parametrize(
    "body, field, kind, expected",
    [
        (_without("title"), "body.title", "missing", "必填项"),
        (appeal_body(title=123), "body.title", "string_type", "必须是字符串"),
        (appeal_body(title="x" * 201), "body.title", "string_too_long", "长度不能超过 200 个字符"),
        (appeal_body(title=""), "body.title", "string_too_short", "长度不能少于 1 个字符"),
        (appeal_body(impact={"employees_affected": -5}), "body.impact.employees_affected", "greater_than_equal",
         "不能小于 0"),
        (appeal_body(impact={"amount_cny": 10**14}), "body.impact.amount_cny", "less_than_equal", "不能大于"),
        (appeal_body(impact={"employees_affected": "many"}), "body.impact.employees_affected", "int_type",
         "必须是整数"),
        (appeal_body(impact={"production_halted": "yes"}), "body.impact.production_halted", "bool_type",
         "布尔值"),
        (appeal_body(impact={"hard_deadline": "2026/12/31"}), "body.impact.hard_deadline", "value_error",
         "YYYY-MM-DD"),
        (appeal_body(attachment_ids="1"), "body.attachment_ids", "list_type", "必须是数组"),
        (appeal_body(attachment_ids=list(range(1, 12))), "body.attachment_ids", "too_long", "最多只能有 9 项"),
        (appeal_body(impact=[1]), "body.impact", "model_attributes_type", "JSON 对象"),
        (appeal_body(colour="red"), "body.colour", "extra_forbidden", "不支持的字段"),
        (appeal_body(enterprise_uscc="91330106MA2CF0001X"), "body.enterprise_uscc", "value_error", "统一社会信用代码"),
    ],
)
def test_each_kind_of_field_error_is_chinese(client, keys, body, field, kind, expected):
    error = _error_for(_field_errors(client.post("/api/v1/appeals", json=body, headers=keys["city"])), field)
    assert error["type"] == kind and expected in error["message"], error


@pytest.mark.parametrize("value", ["bribery", "能源", "ENERGY", ""])
def test_enum_lists_codes_with_labels_and_refuses_anything_else(client, keys, value):
    errors = _field_errors(client.post("/api/v1/appeals", json=appeal_body(category=value), headers=keys["city"]))
    message = _error_for(errors, "body.category")["message"]
    assert message.startswith("必须是 funding（资金）、land（用地）、labour（用工）"), message
    assert "energy（能源）" in message and "other（其他）" in message


def test_literal_error_lists_labels_too(client, keys):
    errors = _field_errors(client.post("/api/v1/appeals", json=appeal_body(source="fax"), headers=keys["city"]))
    assert "mini_program（小程序）" in _error_for(errors, "body.source")["message"]


def test_custom_validator_message_has_no_value_error_prefix(client, keys):
    errors = _field_errors(client.post("/api/v1/appeals", json=appeal_body(title="停电\x07"), headers=keys["city"]))
    assert _error_for(errors, "body.title")["message"].startswith("不能包含控制字符")


def test_json_syntax_error_names_line_and_column(client, keys):
    text = '{\n  "title": "停电"，\n  "category": "energy"\n}'  # a full-width comma typed by a Chinese IME
    r = client.post("/api/v1/appeals", content=text.encode(), headers={**keys["city"],
                                                                        "Content-Type": "application/json"})
    (error,) = _field_errors(r)
    assert error["field"] == "body" and error["type"] == "json_invalid"
    assert "第 2 行第 16 列" in error["message"] and "“，”" in error["message"], error


def test_query_and_path_errors_are_chinese(client, keys):
    errors = _field_errors(client.get("/api/v1/appeals?limit=500", headers=keys["city"]))
    assert "不能大于 200" in _error_for(errors, "query.limit")["message"]
    errors = _field_errors(client.get("/api/v1/appeals?limit=abc", headers=keys["city"]))
    assert "必须是整数" in _error_for(errors, "query.limit")["message"]
    errors = _field_errors(client.get("/api/v1/appeals/abc", headers=keys["city"]))
    assert "必须是整数" in _error_for(errors, "path.appeal_id")["message"]


def test_every_template_is_chinese_and_formats():
    for kind, template in messages_zh.TEMPLATES.items():
        assert messages_zh.has_chinese(template), kind
    unknown = messages_zh.field_message({"type": "some_future_type", "msg": "Something odd", "ctx": {}})
    assert unknown.startswith(messages_zh.FALLBACK) and "Something odd" in unknown
    # A template whose ctx is missing a key still gives a Chinese message instead of raising.
    assert messages_zh.has_chinese(messages_zh.field_message({"type": "string_too_long", "msg": "x"}))
