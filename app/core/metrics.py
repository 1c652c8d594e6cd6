"""A tiny process-local Prometheus registry (counters and gauges): enough for /metrics, no dependency."""

from __future__ import annotations

import threading
from collections import defaultdict

_lock = threading.Lock()
_counters: dict[tuple[str, tuple[tuple[str, str], ...]], float] = defaultdict(float)
_help: dict[str, str] = {}


def inc(name: str, amount: float = 1.0, help_text: str = "", **labels: str) -> None:
    key = (name, tuple(sorted(labels.items())))
    with _lock:
        _counters[key] += amount
        if help_text:
            _help.setdefault(name, help_text)


def value(name: str, **labels: str) -> float:
    return _counters.get((name, tuple(sorted(labels.items()))), 0.0)


def render() -> str:
    lines: list[str] = []
    with _lock:
        names = sorted({name for name, _ in _counters})
        for name in names:
            lines.append(f"# HELP {name} {_help.get(name, name)}")
            lines.append(f"# TYPE {name} counter")
            for (n, labels), v in sorted(_counters.items()):
                if n != name:
                    continue
                label_text = ",".join(f'{k}="{val}"' for k, val in labels)
                lines.append(f"{name}{{{label_text}}} {v:g}" if label_text else f"{name} {v:g}")
    return "\n".join(lines) + "\n"
