"""Read a sourcing file (CSV or JSON Lines) into the intake's rows, and name every bad line.

The rows are the HTTP contract's (`SourcedCandidate`, docs/sourcing.md), so a file import and an API
batch are imported by the same workflow with the same rules. A bad line never stops the rest: it is
reported with its line number and field, and the good lines go through (importing the file again is
safe: rows already imported come back `skipped_duplicate`).

CSV has a header row; list columns (`emails`, `phones`, `links`, `tags`) separate values with `;`;
`resume` is a path relative to the file (read and sent as base64) or an http(s) URL; consent is
`consent_basis`, `consent_given_at`, `consent_notice_version`; `prospect_pool` and `prospect_stage` take
a name or an id. Educations and employments are lists of objects, so only JSON Lines carries them. Files must be UTF-8 (a BOM is fine); a
line with bytes that are not UTF-8 is refused naming the column, never guessed at.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.sourcing import MAX_RESUME_BYTES, RowProblem, SourcedCandidate, validate_row

LIST_SEPARATOR = ";"
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_LINES = 100_000
LIST_COLUMNS = ("emails", "phones", "links", "tags")
CSV_COLUMNS = frozenset(
    {
        "external_id",
        "first_name",
        "last_name",
        *LIST_COLUMNS,
        "job_id",
        "prospect",
        "resume",
        "resume_filename",
        "source",
        "prospect_pool",
        "prospect_stage",
        "recruiter_id",
        "consent_basis",
        "consent_given_at",
        "consent_notice_version",
    }
)
TRUE = {"true", "yes", "y", "1"}
FALSE = {"false", "no", "n", "0", ""}


class SourceFileError(ValueError):
    """The file as a whole cannot be read (missing, too big, unknown format, no header)."""


@dataclass
class FileRows:
    """The good rows with their line numbers, and the problems of the bad lines (`row` = line number)."""

    rows: list[SourcedCandidate] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def refused_lines(self) -> list[int]:
        return sorted({p.row for p in self.problems})


def read_source_file(path: Path, file_format: str | None = None) -> FileRows:
    """The file's rows; `file_format` is `csv` or `jsonl` (default: from the extension)."""
    kind = (file_format or _format_of(path)).lower()
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SourceFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if size > MAX_FILE_BYTES:
        raise SourceFileError(
            f"{path} is {size // 2**20} MiB; split it into files under {MAX_FILE_BYTES // 2**20} MiB"
        )
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if kind == "csv":
        return _read_csv(raw, path.parent)
    if kind in ("jsonl", "ndjson"):
        return _read_jsonl(raw)
    raise SourceFileError(f"unknown format {kind!r}: use a .csv or .jsonl file, or --format csv|jsonl")


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    return {"ndjson": "jsonl", "json": "jsonl", "txt": "csv"}.get(suffix, suffix)


# ------------------------------------------------------------------------------------------ JSON Lines


def _read_jsonl(raw: bytes) -> FileRows:
    found = FileRows()
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if number > MAX_LINES:
            raise SourceFileError(f"more than {MAX_LINES} lines; split the file")
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            found.problems.append(_not_utf8(number, "line", line[exc.start : exc.start + 1], exc.start + 1))
            continue
        try:
            value: Any = json.loads(text)
        except (ValueError, RecursionError) as exc:
            message = exc.msg if isinstance(exc, json.JSONDecodeError) else "nests too deeply"
            found.problems.append(RowProblem(row=number, field="line", message=f"not JSON: {message}"))
            continue
        if not isinstance(value, dict):
            found.problems.append(
                RowProblem(row=number, field="line", message="each line must be a JSON object")
            )
            continue
        _validate(found, number, value)
    return found


# ------------------------------------------------------------------------------------------------ CSV


def _read_csv(raw: bytes, base: Path) -> FileRows:
    # Bytes that are not UTF-8 become lone surrogates, so each line can be judged (and refused) alone.
    text = raw.decode("utf-8", errors="surrogateescape")
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey="\x00extra")
    header = [name.strip() for name in (reader.fieldnames or [])]
    if not header:
        raise SourceFileError("the CSV file has no header row")
    reader.fieldnames = header
    unknown = sorted(set(header) - CSV_COLUMNS)
    if unknown:
        raise SourceFileError(
            f"unknown column(s) {', '.join(unknown)}; the columns are: {', '.join(sorted(CSV_COLUMNS))}"
        )
    found = FileRows()
    try:
        for record in reader:
            number = reader.line_num
            if number > MAX_LINES:
                raise SourceFileError(f"more than {MAX_LINES} lines; split the file")
            if not any((v or "").strip() for k, v in record.items() if isinstance(v, str)):
                continue
            if "\x00extra" in record:
                found.problems.append(
                    RowProblem(
                        row=number, field="line", message=f"more values than the {len(header)} columns"
                    )
                )
                continue
            broken = next((k for k, v in record.items() if isinstance(v, str) and _has_surrogates(v)), None)
            if broken is not None:
                cell = str(record[broken])
                position, char = next((i, ch) for i, ch in enumerate(cell) if _has_surrogates(ch))
                found.problems.append(_not_utf8(number, broken, bytes([ord(char) - 0xDC00]), position + 1))
                continue
            row, problem = _csv_row(record, base, number)
            if problem is not None:
                found.problems.append(problem)
                continue
            _validate(found, number, row)
    except csv.Error as exc:
        raise SourceFileError(f"line {reader.line_num}: not CSV ({exc})") from exc
    return found


def _csv_row(
    record: dict[str, str | None], base: Path, number: int
) -> tuple[dict[str, Any], RowProblem | None]:
    """A CSV record in the API's row shape; a problem when a cell cannot be read at all."""
    cells = {k: (v or "").strip() for k, v in record.items() if isinstance(v, str)}
    row: dict[str, Any] = {
        name: cells[name]
        for name in ("external_id", "first_name", "last_name", "source", "prospect_pool", "prospect_stage")
        if cells.get(name)
    }
    for name in LIST_COLUMNS:
        values = [v.strip() for v in cells.get(name, "").split(LIST_SEPARATOR)]
        row[name] = [v for v in values if v]
    for name in ("job_id", "recruiter_id"):
        if cells.get(name):
            row[name] = cells[name]  # the model refuses what is not a whole number, naming the field
    prospect = cells.get("prospect", "").lower()
    if prospect not in TRUE | FALSE:
        return row, RowProblem(row=number, field="prospect", message="write true or false")
    row["prospect"] = prospect in TRUE
    consent = {
        key: cells[f"consent_{key}"]
        for key in ("basis", "given_at", "notice_version")
        if cells.get(f"consent_{key}")
    }
    row["consent"] = consent
    if cells.get("resume"):
        resume, problem = _resume(cells["resume"], cells.get("resume_filename", ""), base, number)
        if problem is not None:
            return row, problem
        row["resume"] = resume
    return row, None


def _resume(value: str, filename: str, base: Path, number: int) -> tuple[dict[str, str], RowProblem | None]:
    if value.startswith(("http://", "https://")):
        return {"filename": filename or value.rsplit("/", 1)[-1] or "resume", "url": value}, None
    path = (base / value).resolve()
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise IsADirectoryError(value)
    except OSError:
        return {}, RowProblem(row=number, field="resume", message=f"no file {value} next to the CSV")
    if size > MAX_RESUME_BYTES:
        return {}, RowProblem(
            row=number, field="resume", message=f"{value} is over {MAX_RESUME_BYTES // 2**20} MiB"
        )
    content = base64.b64encode(path.read_bytes()).decode("ascii")
    return {"filename": filename or path.name, "content_base64": content}, None


# -------------------------------------------------------------------------------------------- shared


def _validate(found: FileRows, number: int, value: dict[str, Any]) -> None:
    candidate, problems = validate_row(value, number)
    if candidate is not None:
        found.rows.append(candidate)
        found.lines.append(number)
    found.problems += problems


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _not_utf8(number: int, column: str, byte: bytes, position: int) -> RowProblem:
    shown = f"byte 0x{byte.hex().upper()} " if byte else ""
    return RowProblem(
        row=number,
        field=column,
        message=f"not UTF-8 ({shown}at character {position}); save the file as UTF-8 and import it again",
    )
