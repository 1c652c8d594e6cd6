"""Reproducible installs (DESIGN §13): constraints.txt pins every runtime and test dependency, and the wheel that
the Dockerfile builds and installs (non-editable) works without the source tree: the CLI runs and migrates."""

from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]


def _pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pins[canonicalize_name(name)] = version
    return pins


def test_constraints_pin_every_dependency_within_its_bounds():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = _pins()
    wanted = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in constraints.txt: run deploy/lock and commit the result"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {name}=={pins[name]} outside {requirement.specifier}: run deploy/lock")
        # Every dependency stops before a version that may break us (an upper bound, or an exact pin).
        assert not requirement.specifier.contains("999"), f"{name} has no upper bound in pyproject.toml"
    for extra in ("uvloop", "httptools"):  # uvicorn[standard]
        assert extra in pins


@pytest.mark.slow
def test_the_wheel_installs_and_migrates_without_the_source_tree(tmp_path: Path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(REPO)],
                   check=True, capture_output=True, timeout=300)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.check_output([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                        text=True).strip())
    # The wheel alone, unpacked as pip would; its dependencies come from this test's environment (appended to
    # sys.path after the venv's own site-packages, so `app` is the wheel's, not this checkout's).
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--prefix", str(venv),
                    "--ignore-installed", *map(str, wheels.glob("zhuqi-*.whl"))], check=True, capture_output=True,
                   timeout=300)
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {"PATH": "/usr/bin:/bin", "ZHUQI_DATABASE_URL": f"sqlite:///{workdir / 'zhuqi.db'}"}

    where = subprocess.run([str(python), "-c", "import app, app.core.migrate as m; print(app.__file__); "
                            "print(m.MIGRATIONS_DIR)"], cwd=workdir, env=env, capture_output=True, text=True)
    app_file, migrations = where.stdout.split()
    assert app_file.startswith(str(venv)) and migrations.startswith(str(venv)), where.stdout + where.stderr
    migrated = subprocess.run([str(venv / "bin" / "zhuqi"), "migrate"], cwd=workdir, env=env, capture_output=True,
                              text=True, timeout=120)
    assert migrated.returncode == 0 and "migrated to head" in migrated.stdout, migrated.stderr
    heads = subprocess.run([str(python), "-c", "import sqlalchemy as sa, app.core.migrate as m; "
                            f"e = sa.create_engine({env['ZHUQI_DATABASE_URL']!r}); "
                            "print(m.current_revisions(e) == m.head_revisions() != set())"],
                           cwd=workdir, env=env, capture_output=True, text=True)
    assert heads.stdout.strip() == "True", heads.stderr
    assert re.search(r"app/pages/templates/base\.html", "\n".join(str(p) for p in site.rglob("*.html")))
