"""`zhuqi dingtalk-group set|show|clear UNIT_CODE …`, run in-process on the test database: the same use cases as
PUT/GET/DELETE /api/v1/units/{code}/dingtalk-group, so what the CLI sets is what the API shows and where cards go."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from app import cli
from app.config import get_settings

pytestmark = pytest.mark.db
GROUP = "cidXiXiJieDao=="
URL = "/api/v1/units/330106012/dingtalk-group"


@pytest.fixture
def zhuqi(database_url, db, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ZHUQI_DATABASE_URL", database_url)
    monkeypatch.setenv("ZHUQI_ENV", "test")
    get_settings.cache_clear()

    def run(*args: str) -> tuple[int, str, str]:
        code = cli.main(["dingtalk-group", *args])
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _rebind_wiring(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    yield
    from app import wiring

    wiring.install(settings)  # the CLI installed the wiring with its own settings: give the tests' back


def test_set_show_clear_a_units_group_as_the_api_sees_it(zhuqi, client, keys):  # type: ignore[no-untyped-def]
    code, out, err = zhuqi("set", "330106012", GROUP)
    assert code == 0, err
    assert json.loads(out)["unit_code"] == "330106012" and json.loads(out)["open_conversation_id"] == GROUP
    assert client.get(URL, headers=keys["xixi_admin"]).json()["open_conversation_id"] == GROUP  # the API sees it

    code, out, _ = zhuqi("set", "330106012", "cidAnotherGroup==")  # replaces
    assert code == 0 and json.loads(out)["open_conversation_id"] == "cidAnotherGroup=="
    code, out, _ = zhuqi("show", "330106012")
    assert code == 0 and json.loads(out)["open_conversation_id"] == "cidAnotherGroup=="

    code, out, err = zhuqi("clear", "330106012")
    assert code == 0 and json.loads(out)["open_conversation_id"] == "cidAnotherGroup==" and "已取消" in err
    assert client.get(URL, headers=keys["xixi_admin"]).status_code == 404
    code, out, err = zhuqi("show", "330106012")
    assert (code, out) == (2, "") and "330106012" in err and "尚未登记钉钉群" in err and "Traceback" not in err


def test_a_bad_group_id_or_an_unknown_unit_is_one_line_and_nothing_is_written(  # type: ignore[no-untyped-def]
        zhuqi, client, keys):
    code, out, err = zhuqi("set", "330106012", "https://evil.example/robot")
    assert (code, out) == (2, "") and err.startswith("zhuqi dingtalk-group set: open_conversation_id: ")
    assert len(err.strip().splitlines()) == 1
    code, _, err = zhuqi("set", "999999", GROUP)
    assert code == 2 and "999999" in err and "Traceback" not in err
    code, _, err = zhuqi("clear", "330106012")
    assert code == 2 and "尚未登记钉钉群" in err
    assert client.get(URL, headers=keys["xixi_admin"]).status_code == 404


def test_the_help_names_the_three_actions(capsys):  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit):
        cli.main(["dingtalk-group", "--help"])
    shown = capsys.readouterr().out
    assert all(action in shown for action in ("set", "show", "clear"))
