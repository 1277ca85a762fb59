"""`hireflow source import` files: every bad line is named with its field and costs no other line."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from starters import source_file
from starters.source_file import SourceFileError, read_source_file

HEADER = (
    "external_id,first_name,last_name,emails,phones,tags,job_id,prospect,resume,"
    "consent_basis,consent_given_at,consent_notice_version\n"
)
PDF = b"%PDF-1.4\n%%EOF\n"


def _line(external_id: str, last: str = "Lovelace", email: str = "ada@example.com", resume: str = "") -> str:
    return (
        f"{external_id},Ada,{last},{email};ADA@work.example,+44 20 7946 0000,a;b,42,false,{resume},"
        "consent,2026-01-05T10:00:00Z,v3\n"
    )


def test_a_csv_row_becomes_the_api_row_with_lists_consent_and_the_resume_read_from_disk(
    tmp_path: Path,
) -> None:
    (tmp_path / "cv").mkdir()
    (tmp_path / "cv" / "ada.pdf").write_bytes(PDF)
    path = tmp_path / "people.csv"
    path.write_text(HEADER + _line("e1", resume="cv/ada.pdf"), encoding="utf-8")

    found = read_source_file(path)

    assert found.problems == [] and found.lines == [2]
    row = found.rows[0]
    assert row.emails == ["ada@example.com", "ADA@work.example"] and row.tags == ["a", "b"]
    assert row.job_id == 42 and row.prospect is False and row.consent.notice_version == "v3"
    assert row.resume is not None and row.resume.filename == "ada.pdf"
    assert base64.b64decode(row.resume.content_base64 or "") == PDF


def test_a_line_that_is_not_utf8_is_refused_naming_its_column_and_the_others_go_through(
    tmp_path: Path,
) -> None:
    path = tmp_path / "latin1.csv"
    good, bad = _line("e1").encode(), _line("e2", last="Gödel").encode("latin-1")
    path.write_bytes(b"\xef\xbb\xbf" + HEADER.encode() + good + bad + _line("e3").encode())

    found = read_source_file(path)

    assert [r.external_id for r in found.rows] == ["e1", "e3"] and found.lines == [2, 4]
    [problem] = found.problems
    assert (problem.row, problem.field) == (3, "last_name")
    assert "not UTF-8 (byte 0xF6 at character 2)" in problem.message


def test_bad_fields_are_named_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    body = HEADER + _line("e1", email="not-an-email") + _line("e2").replace(",42,", ",forty-two,")
    body += _line("e3").replace(",false,", ",maybe,") + _line("e4").replace(",consent,", ",,")
    body += _line("e5", resume="missing.pdf") + "e6,Ada,Lovelace,,,,,,,,,,extra\n" + _line("e7")
    path.write_text(body, encoding="utf-8")

    found = read_source_file(path)

    assert [r.external_id for r in found.rows] == ["e7"]
    named = {(p.row, p.field) for p in found.problems}
    assert {(2, "emails.0"), (3, "job_id"), (4, "prospect"), (5, "consent.basis"), (6, "resume")} <= named
    assert (7, "line") in named and found.refused_lines == [2, 3, 4, 5, 6, 7]


def test_an_oversized_resume_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source_file, "MAX_RESUME_BYTES", 10)
    (tmp_path / "big.pdf").write_bytes(PDF)
    path = tmp_path / "people.csv"
    path.write_text(HEADER + _line("e1", resume="big.pdf"), encoding="utf-8")
    [problem] = read_source_file(path).problems
    assert problem.field == "resume" and "over" in problem.message


def test_whole_file_problems_stop_before_anything_is_imported(tmp_path: Path) -> None:
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("external_id,first_name,salary\n1,Ada,100\n", encoding="utf-8")
    with pytest.raises(SourceFileError, match=r"unknown column.*salary"):
        read_source_file(unknown)
    with pytest.raises(SourceFileError, match="cannot read"):
        read_source_file(tmp_path / "absent.csv")
    other = tmp_path / "people.xlsx"
    other.write_bytes(b"PK")
    with pytest.raises(SourceFileError, match="unknown format"):
        read_source_file(other)
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(SourceFileError, match="no header"):
        read_source_file(empty)


def test_json_lines_take_the_api_row_and_name_each_bad_line(tmp_path: Path) -> None:
    row = {
        "external_id": "j1",
        "first_name": "Grace",
        "last_name": "Hopper",
        "emails": ["grace@example.com"],
        "prospect": True,
        "consent": {
            "basis": "legitimate_interest",
            "given_at": "2026-02-01T09:00:00Z",
            "notice_version": "v1",
        },
    }
    path = tmp_path / "people.jsonl"
    lines = [
        json.dumps(row).encode(),
        b"",
        b'{"external_id": "j2", ',
        b"[1, 2]",
        json.dumps({**row, "external_id": "j3", "last_name": "H\u00f6pper"}, ensure_ascii=False).encode(
            "latin-1"
        ),
        json.dumps({**row, "external_id": "j4", "emails": ["x"]}).encode(),
        b"[" * 100_000,
        json.dumps({**row, "external_id": "j5"}).encode(),
    ]
    path.write_bytes(b"\n".join(lines))

    found = read_source_file(path)

    assert [r.external_id for r in found.rows] == ["j1", "j5"] and found.lines == [1, 8]
    by_line = {p.row: p for p in found.problems}
    assert sorted(by_line) == [3, 4, 5, 6, 7]
    assert by_line[3].message.startswith("not JSON") and "object" in by_line[4].message
    assert "not UTF-8" in by_line[5].message and by_line[6].field == "emails.0"


def test_the_command_refuses_an_unusable_file_with_exit_2_and_all_bad_lines_with_exit_1(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from starters.source_cmd import source_app

    runner = CliRunner()
    missing = runner.invoke(source_app, ["import", str(tmp_path / "absent.csv")])
    assert missing.exit_code == 2 and "cannot read" in missing.output
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + _line("e1", email="nope"), encoding="utf-8")
    bad = runner.invoke(source_app, ["import", str(path)])
    assert bad.exit_code == 1
    assert "line 2: emails.0:" in bad.output and "nothing to import" in bad.output
    wrong_source = runner.invoke(source_app, ["import", str(path), "--source", "Bad Name"])
    assert wrong_source.exit_code == 2


def test_csv_prospects_name_their_pool_and_stage_and_jsonl_carries_history(tmp_path: Path) -> None:
    header = "external_id,first_name,last_name,prospect,prospect_pool,prospect_stage,consent_basis,consent_given_at,consent_notice_version\n"
    consent = "consent,2026-01-05T10:00:00Z,v3"
    path = tmp_path / "pool.csv"
    path.write_text(
        header
        + f"p1,Ada,Lovelace,true,Silver Medalists,Engaged,{consent}\n"
        + f"p2,Ada,Byron,false,Silver Medalists,,{consent}\n"  # a pool for a non-prospect
        + f"p3,Ada,King,true,,Engaged,{consent}\n",  # a stage without its pool
        encoding="utf-8",
    )
    found = read_source_file(path)
    [row] = found.rows
    assert (row.prospect_pool, row.prospect_stage) == ("Silver Medalists", "Engaged")
    assert [(p.row, p.field) for p in found.problems] == [(3, "row"), (4, "row")]

    history = {
        "external_id": "j1",
        "first_name": "Grace",
        "last_name": "Hopper",
        "prospect": True,
        "consent": {"basis": "consent", "given_at": "2026-01-05T10:00:00Z", "notice_version": "v3"},
        "educations": [{"school": "Contoso College", "degree": "Doctorate", "start_date": "1930-09-01"}],
        "employments": [{"company": "US Navy", "title": "Rear Admiral", "start_date": "1943-12-01"}],
    }
    lines = tmp_path / "people.jsonl"
    lines.write_text(json.dumps(history) + "\n", encoding="utf-8")
    [grace] = read_source_file(lines).rows
    assert grace.educations[0].school == "Contoso College" and grace.employments[0].title == "Rear Admiral"
