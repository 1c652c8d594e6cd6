"""Is an upload what its magic bytes say, and harmless to open? Reads the file it is given; no other I/O.

The first bytes (app/attachments/sniff.py) only name a type: a PNG signature followed by `<html><script>…` or a
JPEG cut in half passed that test. So images are decoded (Pillow): the whole file, as a viewer would, refused if
the decoder fails or the pixel count is absurd (a decompression bomb). PDFs are parsed (pypdf, see
docs/decisions.md) and every object they hold is looked at: JavaScript anywhere, a Launch action anywhere, and an
action that runs by itself (on opening the file, /OpenAction, or on a page, field or annotation event, /AA) other
than going to a page are refused. A plain destination to open at (`/OpenAction [3 0 R /Fit]`, as LaTeX writes) is
not an action and is fine.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.attachments import sniff

log = logging.getLogger("app.attachments")

MAX_PIXELS = 50_000_000  # 50 megapixels: beyond a phone camera's photo; decoding one takes ~150 MB at most
MAX_PDF_FILE_OBJECTS = 50_000  # "n 0 obj" headers in the file: pypdf reads ~20 000 cross-reference entries a second
MAX_PDF_OBJECTS = 10_000  # objects looked at one by one (~0.5 ms each): a 300-page report holds a few thousand
MAX_DEPTH = 64  # nesting of arrays and dictionaries inside one object

# Actions that run code or another program, wherever they are (chat-protocols has none; ISO 32000-1 §12.6.4).
DANGEROUS_ACTIONS = {"/JavaScript": "JavaScript 脚本", "/Launch": "启动外部程序（Launch）的动作",
                     "/Rendition": "多媒体脚本（Rendition）动作", "/RichMediaExecute": "富媒体执行动作",
                     "/ImportData": "导入数据动作", "/SubmitForm": "提交表单动作"}
# What may run by itself (on opening, on a page or field event): only going to a page.
HARMLESS_AUTOMATIC = {"/GoTo"}


class Refused(Exception):
    """The file is not an acceptable attachment; the message says why, in Chinese."""


def check(path: Path, media_type: str) -> None:
    """Raises Refused unless the file at `path` is a decodable image or a PDF without active content."""
    if media_type == sniff.PDF:
        _check_pdf(path)
    else:
        _check_image(path, media_type)


# --- images -----------------------------------------------------------------------------------------------------

_PIL_FORMAT = {sniff.JPEG: "JPEG", sniff.PNG: "PNG"}


def _check_image(path: Path, media_type: str) -> None:
    from PIL import Image

    label = "JPEG" if media_type == sniff.JPEG else "PNG"
    try:
        with Image.open(path, formats=[_PIL_FORMAT[media_type]]) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise Refused(f"图片尺寸过大（{width}×{height}），请压缩到 {MAX_PIXELS // 1_000_000} 百万像素以内")
            if media_type == sniff.PNG:
                image.verify()  # every chunk's CRC, up to IEND
        if media_type == sniff.PNG and not _ends_with_iend(path):
            # Bytes after the last chunk are no part of the picture: the way to glue HTML or a script to a valid
            # PNG. (A JPEG may carry a camera's trailer after its end marker, so JPEGs are not held to this.)
            raise Refused("PNG 图片末尾附带了多余的数据，请重新导出图片后上传")
        with Image.open(path, formats=[_PIL_FORMAT[media_type]]) as image:
            if media_type == sniff.JPEG:
                # Decoded at 1/8 scale (the DCT does it for free): every byte of the scan is still read, so a
                # truncated or corrupt file fails, without holding the full-size pixels.
                image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
            image.load()
    except Refused:
        raise
    except Exception as exc:  # noqa: BLE001 — a decoder fed hostile bytes fails in many ways; all mean "refuse"
        log.info("upload refused: %s does not decode (%s: %s)", label, type(exc).__name__, str(exc)[:200])
        raise Refused(f"文件不是完整有效的 {label} 图片（无法解码）") from None


_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def _ends_with_iend(path: Path) -> bool:
    with path.open("rb") as file:
        file.seek(0, 2)
        if file.tell() < len(_IEND):
            return False
        file.seek(-len(_IEND), 2)
        return file.read() == _IEND


# --- PDF --------------------------------------------------------------------------------------------------------

def _check_pdf(path: Path) -> None:
    from pypdf import PdfReader

    data = path.read_bytes()
    if len(_OBJECT_HEADER.findall(data)) > MAX_PDF_FILE_OBJECTS:  # before pypdf reads a cross-reference that long
        raise Refused("PDF 结构过于复杂，请另存为普通 PDF 后再上传")
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise Refused("PDF 已加密，无法检查其内容，请上传未加密的文件")
        if reader.trailer.get("/Root") is None or not hasattr(reader.root_object, "keys"):
            raise Refused("PDF 文件已损坏或无法解析")
        numbers = _objects_to_walk(reader, data)
        if len(numbers) > MAX_PDF_OBJECTS:
            raise Refused("PDF 结构过于复杂，请另存为普通 PDF 后再上传")
        nodes = [node for number in numbers for node in _dictionaries(reader.get_object(number), 0)]
        reason = _code(nodes) or _runs_alone(nodes)  # code first: the more precise answer
        if reason is not None:
            raise Refused(f"PDF 含有{reason}，出于安全考虑不予接收，请另存为普通 PDF 后再上传")
    except Refused:
        raise
    except Exception as exc:  # noqa: BLE001 — pypdf on hostile bytes: any failure means we cannot vouch for it
        log.info("upload refused: PDF does not parse (%s: %s)", type(exc).__name__, str(exc)[:200])
        raise Refused("PDF 文件已损坏或无法解析") from None


_OBJECT_HEADER = re.compile(rb"\d+\s+\d+\s+obj\b")
# Every dictionary key and action type we look for is a PDF name. Outside object streams and encryption a name is
# plain text in the file, unless written with #xx escapes: only the objects whose text holds one of these (or an
# escaped name) need pypdf's object-by-object look (~0.5 ms an object), not the thousands of others.
_SUSPECT = re.compile(rb"/(?:JS|JavaScript|OpenAction|AA|Launch|Rendition|RichMediaExecute|ImportData|SubmitForm)"
                      rb"(?![0-9A-Za-z_.+-])|/[^\s/<>\[\]()%{}]*#[0-9A-Fa-f]{2}")


def _objects_to_walk(reader: Any, data: bytes) -> list[int]:
    """Every object number the cross-reference knows when some are compressed (object streams) or encrypted;
    otherwise those whose text, from their offset to the next object's, holds a suspect name."""
    numbers: set[int] = set(reader.xref_objStm)
    starts: list[tuple[int, int]] = []
    for by_number in reader.xref.values():
        numbers.update(by_number)
        starts.extend((offset, number) for number, offset in by_number.items())
    numbers.discard(0)
    if reader.xref_objStm or reader.is_encrypted:
        return sorted(numbers)
    starts.sort()
    offsets = [offset for offset, _ in starts]
    found: set[int] = set()
    for match in _SUSPECT.finditer(data):
        index = bisect.bisect_right(offsets, match.start()) - 1
        if index >= 0:
            found.add(starts[index][1])
        if len(found) > MAX_PDF_OBJECTS:
            break
    found.discard(0)
    return sorted(found)


def _code(nodes: list[Any]) -> str | None:
    """JavaScript (an action, a /JS entry, the document's JavaScript name tree) or another dangerous action."""
    for node in nodes:
        if "/JS" in node:
            return DANGEROUS_ACTIONS["/JavaScript"]
        names = _resolve(node.get("/Names"), None)
        if hasattr(names, "keys") and "/JavaScript" in names:
            return DANGEROUS_ACTIONS["/JavaScript"]
        kind = str(_resolve(node.get("/S"), ""))
        if kind in DANGEROUS_ACTIONS:
            return DANGEROUS_ACTIONS[kind]
    return None


def _runs_alone(nodes: list[Any]) -> str | None:
    """An action run on opening the file (/OpenAction) or on a page, field or annotation event (/AA)."""
    for node in nodes:
        if "/OpenAction" in node:
            reason = _automatic(_resolve(node.get("/OpenAction"), None), "打开文件时自动执行的动作（OpenAction）")
            if reason is not None:
                return reason
        triggers = _resolve(node.get("/AA"), None)
        for key in list(triggers.keys()) if hasattr(triggers, "keys") else []:
            reason = _automatic(_resolve(triggers.get(key), None), "自动触发的动作（AA）")
            if reason is not None:
                return reason
    return None


def _automatic(action: Any, label: str) -> str | None:
    """An action that runs by itself: only a jump to a page (or a plain destination) is harmless, also down its
    /Next chain."""
    seen = 0
    while action is not None and seen < 100:
        seen += 1
        if not hasattr(action, "keys"):  # a destination (array, name or string): where to open, no action
            return None
        if str(_resolve(action.get("/S"), "")) not in HARMLESS_AUTOMATIC:
            return label
        following = _resolve(action.get("/Next"), None)
        action = following[0] if isinstance(following, list) and following else following
        action = _resolve(action, None)
    return None


def _resolve(value: Any, default: Any) -> Any:
    if value is None:
        return default
    try:
        return value.get_object() if hasattr(value, "get_object") else value
    except Exception:  # noqa: BLE001 — a dangling reference resolves to nothing
        return default


def _dictionaries(obj: Any, depth: int) -> Iterator[Any]:
    """The dictionaries directly inside one object (not following references: each referenced object is visited
    on its own by the caller's loop over every object number)."""
    if depth > MAX_DEPTH:
        return
    if hasattr(obj, "keys") and not _is_reference(obj):
        yield obj
        for value in obj.values():
            if not _is_reference(value):
                yield from _dictionaries(value, depth + 1)
    elif isinstance(obj, list):
        for value in obj:
            if not _is_reference(value):
                yield from _dictionaries(value, depth + 1)


def _is_reference(value: Any) -> bool:
    from pypdf.generic import IndirectObject

    return isinstance(value, IndirectObject)
