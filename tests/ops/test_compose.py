"""The docker-compose topology of DESIGN §13, checked without Docker (it cannot run containers here): the YAML is
parsed and its services, start order, healthchecks, volumes and environment checked; the Dockerfiles are read.
tests/ops/test_proxy.py runs the nginx config for real."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
APPS = ("migrate", "api1", "api2", "worker")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN")
_VAR = re.compile(r"\$\{(\w+)(?::([-?]))?")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?message}`, nested defaults included."""
    out, i = [], 0
    while (m := _VAR.search(value, i)) is not None:
        out.append(value[i:m.start()])
        depth, j = 1, m.end()
        while depth:  # the default runs to the matching brace; it may hold ${…} itself
            depth += {"{": 1, "}": -1}.get(value[j], 0) if value[j - 1] == "$" or value[j] == "}" else 0
            j += 1
        word = value[m.end():j - 1]
        name, op = m.group(1), m.group(2)
        if env.get(name):
            out.append(env[name])
        elif op == "?":
            raise KeyError(f"{name}: {word}")
        else:
            out.append(interpolate(word, env) if op == "-" else "")
        i = j
    return "".join(out) + value[i:]


def _readme_settings() -> list[str]:
    text = (REPO / "README.md").read_text()
    table = text[text.index("| variable | default | meaning |"):].split("\n\n", 1)[0]
    names = [n for row in table.splitlines()[2:] for n in re.findall(r"`([A-Z_]+)`", row.split("|")[1])]
    assert len(names) > 15
    return names


def test_services_and_start_order(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "migrate", "api1", "api2", "worker", "proxy"}
    for name in ("postgres", "api1", "api2", "worker", "proxy"):
        assert services[name]["restart"] == "unless-stopped", name
    assert services["migrate"]["restart"] == "no" and services["migrate"]["command"] == ["zhuqi", "migrate"]
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in ("api1", "api2", "worker"):
        assert services[name]["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                                "migrate": {"condition": "service_completed_successfully"}}, name
    assert services["proxy"]["depends_on"] == {"api1": {"condition": "service_healthy"},
                                               "api2": {"condition": "service_healthy"}}
    assert services["worker"]["command"] == ["zhuqi", "worker"]
    for name in ("api1", "api2"):
        assert services[name]["command"][:2] == ["zhuqi", "serve"] and "ports" not in services[name]
        assert interpolate(services[name]["environment"]["ZHUQI_RUN_WORKERS_IN_PROCESS"], {}) == "false"
    # One port, on the proxy; the replicas are reached through it only.
    assert [s for s in services if "ports" in s and s != "proxy"] == [] and len(services["proxy"]["ports"]) == 1


def test_healthchecks_probe_readiness(compose):
    services = compose["services"]
    for name in ("api1", "api2", "proxy"):
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"]), name
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    dockerfile = (REPO / "Dockerfile").read_text()
    assert re.search(r"HEALTHCHECK .*\n.*/readyz", dockerfile)


def test_attachments_on_one_shared_volume(compose):
    services = compose["services"]
    assert "attachments" in compose["volumes"] and "pgdata" in compose["volumes"]
    env = {"POSTGRES_PASSWORD": "x", "ZHUQI_SECRET_KEY": "y"}
    for name in ("api1", "api2", "worker"):
        directory = interpolate(services[name]["environment"]["ZHUQI_ATTACHMENTS_DIR"], env)
        assert f"attachments:{directory}" in services[name]["volumes"], name


def test_every_setting_is_passable_and_no_secret_is_written(compose):
    services = compose["services"]
    for name in APPS:
        environment = services[name]["environment"]
        for setting in _readme_settings():
            variable = f"ZHUQI_{setting}"
            assert str(environment.get(variable)).startswith(f"${{{variable}"), f"{name}: {variable} not passable"
    for service, spec in services.items():
        for variable, value in (spec.get("environment") or {}).items():
            if SECRET_NAME.search(variable):  # from the environment, with no default: required or empty
                assert re.fullmatch(rf"\$\{{{variable}(:-|:\?[^}}]*)\}}", str(value)), f"{service}: {variable}"
    raw = (REPO / "docker-compose.yml").read_text()
    assert not re.search(r"://[^:/@\s]+:[^@${\s]+@", raw), "a password written into a URL"


def test_the_environment_resolves_to_valid_prod_settings(compose):
    from app.config import Settings

    environment = compose["services"]["api1"]["environment"]
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        interpolate(environment["ZHUQI_DATABASE_URL"], {})
    with pytest.raises(KeyError, match="ZHUQI_SECRET_KEY"):
        interpolate(environment["ZHUQI_SECRET_KEY"], {})
    with pytest.raises(KeyError, match="ZHUQI_METRICS_TOKEN"):  # prod refuses to start without it (DESIGN §13)
        interpolate(environment["ZHUQI_METRICS_TOKEN"], {})
    given = {"POSTGRES_PASSWORD": "pw", "ZHUQI_SECRET_KEY": "s" * 40, "ZHUQI_METRICS_TOKEN": "m" * 32,
             "HTTP_PORT": "8080"}
    resolved = {k: interpolate(str(v), given) for k, v in environment.items()}
    assert resolved["ZHUQI_DATABASE_URL"] == "postgresql+psycopg://zhuqi:pw@postgres:5432/zhuqi"
    assert resolved["ZHUQI_PUBLIC_BASE_URL"] == "http://localhost:8080"
    fields = {k.removeprefix("ZHUQI_").lower(): v for k, v in resolved.items() if v != ""}
    settings = Settings(**fields)  # type: ignore[arg-type]  — what `zhuqi serve` would start with: no refusal
    assert settings.env == "prod" and settings.dingtalk_corp_id == ""
    assert interpolate(environment["ZHUQI_DINGTALK_CORP_ID"], {"ZHUQI_DINGTALK_CORP_ID": "ding123"}) == "ding123"


def test_dockerfiles_build_a_wheel_and_run_as_non_root():
    dockerfile = (REPO / "Dockerfile").read_text()
    stages = re.findall(r"^FROM .*$", dockerfile, flags=re.M)
    assert len(stages) == 2 and stages[0].endswith("AS build")
    final = dockerfile[dockerfile.rindex("\nFROM "):]
    assert "pip wheel" in dockerfile and re.search(r"pip install -c \S*constraints\.txt \S*zhuqi-\*\.whl", final)
    assert " -e " not in dockerfile and "editable" not in dockerfile.lower().replace("not editable", "")
    assert re.search(r"^USER zhuqi$", final, flags=re.M)
    proxy = (REPO / "deploy" / "nginx.Dockerfile").read_text()
    assert "nginx-light" in proxy and "deploy/nginx.conf" in proxy and re.search(r"^USER www-data$", proxy, re.M)
    assert "HEALTHCHECK" in proxy
