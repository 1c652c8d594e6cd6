"""Each process entry point (the API factory, the worker, the CLI) loads every table model before serving: a
foreign key whose target table was never imported fails only at the first query that touches it (it did:
appeal.visit_id → visit answered 500 in a real API process while the in-process tests, which import app.models,
passed). Checked in a fresh interpreter, where nothing else has imported the models."""

import subprocess
import sys

import pytest

CHECK = """
import {module}
from sqlmodel import SQLModel
unresolved = []
for table in SQLModel.metadata.tables.values():
    for fk in table.foreign_keys:
        try:
            fk.column
        except Exception as exc:
            unresolved.append(f"{{table.name}}.{{fk.parent.name}}: {{exc}}")
print("\\n".join(unresolved))
raise SystemExit(1 if unresolved else 0)
"""


@pytest.mark.parametrize("module", ["app.main", "app.worker", "app.cli"])
def test_every_foreign_key_resolves_after_importing_the_entry_point(module):  # type: ignore[no-untyped-def]
    result = subprocess.run([sys.executable, "-c", CHECK.format(module=module)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
