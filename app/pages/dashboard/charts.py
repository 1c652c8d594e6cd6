"""Charts for the dashboard, drawn by the server as inline SVG strings. Pure: values in, markup out.

Every piece of text (titles, labels, tooltips) goes through `esc`, so a unit called `<b>&` is drawn as text and can
never become markup. No `style` attributes (the page's CSP allows no inline styles): colours come from CSS classes
(`.b-red`, `.s-collected` …, defined in static/dash.css), and a class name is accepted only from a short alphabet.
Geometry is in viewBox units; the SVG scales to its container's width.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

TONE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
FONT = 12  # px in viewBox units: tick labels, bar labels
MAX_LABEL_EM = 9.0  # a bar label longer than this is shortened with "…" (the full text stays in its tooltip)


def esc(text: object) -> str:
    """Text for SVG/HTML content and attribute values (quotes included)."""
    return escape(str(text), quote=True)


def tone(name: str) -> str:
    if not TONE.fullmatch(name):
        raise ValueError(f"not a chart tone: {name!r}")
    return name


def num(value: float) -> str:
    """A coordinate: at most one decimal, no trailing zeros ("12", "12.5")."""
    return f"{value:.1f}".removesuffix(".0")


def em_width(text: str) -> float:
    """Approximate width in em: CJK and other wide characters 1, everything else about 0.6."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in text)


def shorten(text: str, max_em: float = MAX_LABEL_EM) -> str:
    if em_width(text) <= max_em:
        return text
    out = ""
    for ch in text:
        if em_width(out + ch) > max_em - 1:
            break
        out += ch
    return out + "…"


def nice_ticks(top: float, count: int = 4) -> list[int]:
    """Integer axis ticks from 0 covering `top`, with a step of 1, 2 or 5 × 10ⁿ: 7 → [0, 2, 4, 6, 8]."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    last = math.ceil(top / step) * step
    return list(range(0, last + step, step))


def _open(width: float, height: float, title: str, css: str) -> list[str]:
    return [
        (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" viewBox="0 0 {num(width)} {num(height)}" '
         f'role="img" aria-label="{esc(title)}" preserveAspectRatio="xMinYMin meet">'),
        f"<title>{esc(title)}</title>",
    ]


def _text(x: float, y: float, text: str, css: str, *, anchor: str = "start") -> str:
    return f'<text x="{num(x)}" y="{num(y)}" class="{css}" text-anchor="{anchor}">{esc(text)}</text>'


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    part: int | None = None  # drawn inside the bar from its start (e.g. "of which resolved")
    tone: str = "pri"
    note: str | None = None  # the text after the bar; default: the value


def bar_chart(bars: Sequence[Bar], *, title: str, width: float = 380, row: float = 26,
              legend: Sequence[tuple[str, str]] = ()) -> str:
    """Horizontal bars, one row each, scaled to the largest value; labels left, values right."""
    label_w = max([em_width(shorten(b.label)) * FONT for b in bars] + [4 * FONT]) + 10
    note_w = max([em_width(b.note or str(b.value)) * FONT for b in bars] + [2 * FONT]) + 8
    top_pad = 26 if legend else 6
    height = top_pad + max(len(bars), 1) * row + 4
    out = _open(width, height, title, "bars")
    x0, span = label_w, max(width - label_w - note_w, 20)
    if legend:
        out.append(_legend(legend, x=x0, y=12))
    if not bars:
        out.append(_text(width / 2, top_pad + row * 0.65, "暂无数据", "empty", anchor="middle"))
    biggest = max([b.value for b in bars] + [1])
    for i, bar in enumerate(bars):
        y = top_pad + i * row
        full = span * bar.value / biggest
        tip = f"{bar.label}：{bar.note or bar.value}"
        out.append(f'<g class="row"><title>{esc(tip)}</title>')
        out.append(_text(x0 - 8, y + row * 0.65, shorten(bar.label), "lbl", anchor="end"))
        out.append(f'<rect x="{num(x0)}" y="{num(y + 4)}" width="{num(max(full, 0))}" height="{num(row - 8)}" '
                   f'rx="2" class="b-{tone(bar.tone)}"/>')
        if bar.part is not None and bar.value > 0:
            inner = span * min(bar.part, bar.value) / biggest
            out.append(f'<rect x="{num(x0)}" y="{num(y + 4)}" width="{num(inner)}" height="{num(row - 8)}" '
                       f'rx="2" class="b-{tone(bar.tone)}-part"/>')
        out.append(_text(x0 + full + 6, y + row * 0.65, bar.note or str(bar.value), "val"))
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def _legend(items: Sequence[tuple[str, str]], *, x: float, y: float) -> str:
    parts, cursor = ['<g class="legend">'], x
    for name, css in items:
        parts.append(f'<rect x="{num(cursor)}" y="{num(y - 9)}" width="10" height="10" rx="2" class="{tone(css)}"/>')
        parts.append(_text(cursor + 14, y, name, "lbl"))
        cursor += 14 + em_width(name) * FONT + 16
    parts.append("</g>")
    return "".join(parts)


@dataclass(frozen=True)
class Week:
    label: str  # under the axis: "3/2"
    tip: str  # tooltip: "2026-W10（3月2日—3月8日）：收集 5，解决 3"
    total: int  # the full bar: collected
    part: int  # the darker part from the base: of those, resolved


def trend_chart(weeks: Sequence[Week], *, title: str, width: float = 1200, height: float = 260,
                legend: Sequence[tuple[str, str]] = (("收集", "s-collected"), ("其中已解决", "s-resolved"))) -> str:
    """One column per week: the full bar is the total, the darker bar inside it the part (part ≤ total)."""
    left, right, top, bottom = 44.0, 12.0, 30.0, 26.0
    plot_w, plot_h = width - left - right, height - top - bottom
    ticks = nice_ticks(max([w.total for w in weeks] + [0]))
    scale = plot_h / ticks[-1]
    out = _open(width, height, title, "trend")
    out.append(_legend(legend, x=left, y=14))
    for t in ticks:
        y = top + plot_h - t * scale
        out.append(f'<line x1="{num(left)}" x2="{num(width - right)}" y1="{num(y)}" y2="{num(y)}" class="grid"/>')
        out.append(_text(left - 6, y + 4, str(t), "tick", anchor="end"))
    if not weeks:
        out.append(_text(left + plot_w / 2, top + plot_h / 2, "暂无数据", "empty", anchor="middle"))
    slot = plot_w / max(len(weeks), 1)
    bar_w = max(min(slot * 0.7, 28), 1)
    every = max(1, math.ceil(len(weeks) * 5.5 * FONT * 0.6 / plot_w))  # x labels that fit without overlapping
    for i, week in enumerate(weeks):
        x = left + i * slot + (slot - bar_w) / 2
        out.append(f'<g class="wk"><title>{esc(week.tip)}</title>')
        out.append(f'<rect x="{num(left + i * slot)}" y="{num(top)}" width="{num(slot)}" height="{num(plot_h)}" '
                   'class="hit"/>')
        for value, css in ((week.total, "s-collected"), (min(week.part, week.total), "s-resolved")):
            h = value * scale
            if h > 0:
                out.append(f'<rect x="{num(x)}" y="{num(top + plot_h - h)}" width="{num(bar_w)}" height="{num(h)}" '
                           f'class="{css}"/>')
        out.append("</g>")
        if i % every == 0:
            out.append(_text(x + bar_w / 2, height - 8, week.label, "tick", anchor="middle"))
    out.append(f'<line x1="{num(left)}" x2="{num(width - right)}" y1="{num(top + plot_h)}" '
               f'y2="{num(top + plot_h)}" class="axis"/>')
    out.append("</svg>")
    return "".join(out)
