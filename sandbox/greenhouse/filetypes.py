"""What a file is, judged by its bytes, not its name: the attachment rules of `POST /v3/attachments`.

Greenhouse parses résumés; a `.pdf` that is really a ZIP, or a `.docx` that is not a readable archive, is
refused with a 422 naming `content` (or `url`), so a sourcing tool learns which row was bad instead of
storing an unreadable file.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

# kind -> (MIME type, file extensions that name it)
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pdf": ("application/pdf", ("pdf",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",)),
    "doc": ("application/msword", ("doc",)),
    "odt": ("application/vnd.oasis.opendocument.text", ("odt",)),
    "rtf": ("application/rtf", ("rtf",)),
    "txt": ("text/plain", ("txt",)),
    "png": ("image/png", ("png",)),
    "jpeg": ("image/jpeg", ("jpg", "jpeg")),
    "gif": ("image/gif", ("gif",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",)),
    "zip": ("application/zip", ("zip",)),
}
DOCUMENTS = frozenset({"pdf", "docx", "doc", "odt", "rtf", "txt"})
# Résumés and cover letters are parsed as documents; other attachment types may also be images or archives.
ALLOWED_KINDS: dict[str, frozenset[str]] = {
    "resume": DOCUMENTS,
    "cover_letter": DOCUMENTS,
}
ANY_KIND = frozenset(KINDS)
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")


@dataclass(frozen=True)
class Sniffed:
    kind: str | None  # None: not a format we recognise
    problem: str | None = None  # set when the bytes claim a format but are broken

    @property
    def mime(self) -> str | None:
        return KINDS[self.kind][0] if self.kind else None


def sniff(data: bytes) -> Sniffed:
    if data.startswith(b"%PDF-"):  # a broken body behind the header is the parser's problem, not ours
        return Sniffed("pdf")
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    if data.startswith(OLE_MAGIC):
        return Sniffed("doc")
    if data.startswith(b"{\\rtf"):
        return Sniffed("rtf")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("png")
    if data.startswith(b"\xff\xd8\xff"):
        return Sniffed("jpeg")
    if data.startswith((b"GIF87a", b"GIF89a")):
        return Sniffed("gif")
    if _is_text(data):
        return Sniffed("txt")
    return Sniffed(None)


def _sniff_zip(data: bytes) -> Sniffed:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").strip() == KINDS["odt"][0].encode():
                return Sniffed("odt")
    except (zipfile.BadZipFile, OSError, ValueError):
        return Sniffed("zip", "is a corrupt ZIP-based file")
    if "word/document.xml" in names:
        return Sniffed("docx")
    if "xl/workbook.xml" in names:
        return Sniffed("xlsx")
    return Sniffed("zip")


def _is_text(data: bytes) -> bool:
    sample = data[:4096]
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the sample's end is still text
        return exc.start >= len(sample) - 3
    return True


def extension(filename: str) -> str | None:
    stem, dot, ext = filename.rpartition(".")
    return ext.lower() if dot and stem and ext else None


def kind_for_extension(ext: str) -> str | None:
    return next((kind for kind, (_, exts) in KINDS.items() if ext in exts), None)
