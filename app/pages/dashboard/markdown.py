"""The weekly bulletin's markdown as safe HTML. Pure.

Only the few constructs `app.stats.bulletin` writes are converted — headings (`#`, `##`), `**bold**`, `- ` lists,
pipe tables with an alignment row, paragraphs. Every line is HTML-escaped *first*, so whatever else a text contains
(a unit named `<script>`, an enterprise's `&`, a stray `<img …>`) stays text; nothing is ever passed through as markup.
No links, no images, no raw HTML.
"""

from __future__ import annotations

import re
from html import escape

BOLD = re.compile(r"\*\*(.+?)\*\*")
ALIGN_ROW = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def _inline(text: str) -> str:
    return BOLD.sub(r"<strong>\1</strong>", escape(text, quote=True))


def _cells(line: str) -> list[str]:
    inner = line.strip().removeprefix("|").removesuffix("|")
    return [cell.strip() for cell in inner.split("|")]


def _table(lines: list[str]) -> str:
    head, rest = lines[0], lines[1:]
    numeric: list[bool] = []
    if rest and ALIGN_ROW.match(rest[0].strip()):
        numeric = [cell.endswith(":") and not cell.startswith(":") for cell in _cells(rest[0])]
        rest = rest[1:]
    else:
        head, rest = "", lines

    def row(line: str, tag: str) -> str:
        cells = []
        for i, cell in enumerate(_cells(line)):
            css = ' class="nr"' if i < len(numeric) and numeric[i] else ""
            cells.append(f"<{tag}{css}>{_inline(cell)}</{tag}>")
        return "<tr>" + "".join(cells) + "</tr>"

    out = ["<table>"]
    if head:
        out.append("<thead>" + row(head, "th") + "</thead>")
    out.append("<tbody>" + "".join(row(line, "td") for line in rest) + "</tbody></table>")
    return "".join(out)


def to_html(markdown: str, *, heading_offset: int = 1) -> str:
    """`# x` becomes `<h{1 + offset}>` (the page has its own h1)."""
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    table: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append("<p>" + "<br>".join(_inline(line) for line in paragraph) + "</p>")
            paragraph.clear()
        if items:
            blocks.append("<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in items) + "</ul>")
            items.clear()
        if table:
            blocks.append(_table(list(table)))
            table.clear()

    for raw in markdown.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        heading = HEADING.match(line)
        if not line:
            flush()
        elif heading:
            flush()
            level = min(len(heading[1]) + heading_offset, 6)
            blocks.append(f"<h{level}>{_inline(heading[2])}</h{level}>")
        elif line.startswith("|"):
            if not table:
                flush()
            table.append(line)
        elif line.startswith("- "):
            if not items:
                flush()
            items.append(line[2:])
        else:
            if items or table:
                flush()
            paragraph.append(line)
    flush()
    return "\n".join(blocks)
