"""A résumé's type judged by its bytes, not its name: PDF or DOCX, within the size limit, not corrupt.

Greenhouse parses résumés; a `.pdf` that is really a ZIP, a PDF cut short, or a `.docx` that is not a
readable Word archive would be stored and fail later, out of sight. Checked before upload, each is a
clear per-row error in the sourcing report.
"""

from __future__ import annotations

import base64
import binascii
import io
import zipfile
from dataclasses import dataclass

PDF_MIME = "application/pdf"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXTENSIONS = {"pdf": PDF_MIME, "docx": DOCX_MIME}


class ResumeFileError(ValueError):
    """The résumé cannot be attached; the message says why and is safe to show the source."""


@dataclass(frozen=True)
class ResumeFile:
    filename: str
    data: bytes
    kind: str  # "pdf" | "docx"

    @property
    def content_type(self) -> str:
        return EXTENSIONS[self.kind]


def decode_base64(content: str, max_bytes: int) -> bytes:
    if len(content) > (max_bytes * 4) // 3 + 8:
        raise ResumeFileError(f"résumé is larger than {max_bytes // (1024 * 1024)} MB")
    try:
        data = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ResumeFileError("résumé content_base64 is not valid base64") from exc
    if len(data) > max_bytes:
        raise ResumeFileError(f"résumé is larger than {max_bytes // (1024 * 1024)} MB")
    return data


def kind_of(data: bytes) -> str:
    """`pdf` or `docx`, judged by content; ResumeFileError for anything else or a broken file."""
    if not data:
        raise ResumeFileError("résumé is empty")
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise ResumeFileError("résumé is a corrupt PDF (no end-of-file marker: truncated?)")
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                if archive.testzip() is not None:
                    raise ResumeFileError("résumé is a corrupt DOCX")
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise ResumeFileError("résumé is a corrupt ZIP-based file") from exc
        if "word/document.xml" in names:
            return "docx"
        raise ResumeFileError("résumé is a ZIP archive, not a Word (DOCX) document")
    raise ResumeFileError("résumé must be a PDF or DOCX file (judged by its content)")


def checked_resume(filename: str, content_base64: str, max_bytes: int) -> ResumeFile:
    """Decode and check; the filename's extension is set to match the content (Greenhouse needs one)."""
    data = decode_base64(content_base64, max_bytes)
    kind = kind_of(data)
    stem = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    base, dot, extension = stem.rpartition(".")
    name = stem if dot and extension.lower() == kind else f"{base if dot else stem}.{kind}"
    return ResumeFile(filename=name[:255], data=data, kind=kind)
