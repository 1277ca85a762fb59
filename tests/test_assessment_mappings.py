"""Job-stage → assessment mappings: the SQL store, the start input they make, and the CLI around them.

SQLite in a temporary directory; Greenhouse is a small in-memory stand-in for `hireflow assess`'s one
application lookup, and Temporal is never reached by these tests (the command fails before it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from integrations.assessment_mappings import AssessmentMappings, request_for
from integrations.greenhouse import client as harvest_module
from integrations.greenhouse.errors import NotFoundError
from models.assessment_io import DecisionRule
from models.assessment_store import AssessmentMappingSpec
from models.greenhouse import Application
from models.settings import get_settings
from models.store import create_engine_for, init_db
from starters.cli import app

runner = CliRunner()


def spec(**overrides: Any) -> AssessmentMappingSpec:
    values: dict[str, Any] = {
        "job_id": 4001,
        "stage_name": "Take Home Test",
        "test_key": "python-basics",
        "provider": "embedded",
        "test_id": "python-basics",
        "test_name": "Python basics",
    }
    return AssessmentMappingSpec.model_validate({**values, **overrides})


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'map.db'}")
    init_db(engine)
    return engine


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The CLI's settings point at a fresh database."""
    monkeypatch.setenv("HIREFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("HIREFLOW_STATE_DIR", str(tmp_path))
    get_settings.cache_clear()
    engine = create_engine_for(f"sqlite:///{tmp_path / 'cli.db'}")
    init_db(engine)
    yield engine
    get_settings.cache_clear()


# ------------------------------------------------------------------------------------------ store


def test_a_stage_is_found_by_id_first_then_by_job_and_name_case_insensitively(engine: Engine) -> None:
    store = AssessmentMappings(engine)
    store.add(spec())
    store.add(spec(stage_name=None, job_interview_stage_id=555, test_key="sql", test_id="sql"))
    assert store.find_for_stage(4001, 555, "Whatever").test_key == "sql"  # type: ignore[union-attr]
    by_name = store.find_for_stage(4001, 999, "  take   HOME test ")
    assert by_name is not None and by_name.test_key == "python-basics"
    assert store.find_for_stage(4002, 999, "Take Home Test") is None  # another job
    assert store.find_for_stage(None, 999, "Take Home Test") is None  # no job: names mean nothing
    assert store.find_for_stage(4001, 999, "") is None


def test_mapping_a_stage_again_replaces_it_and_unmap_says_whether_it_existed(engine: Engine) -> None:
    store = AssessmentMappings(engine)
    first = store.add(spec())
    again = store.add(spec(stage_name="TAKE HOME TEST", test_key="go", test_id="go", test_name="Go"))
    assert again.id == first.id and [r.test_key for r in store.list()] == ["go"]
    assert store.remove(4001, None, "take home test") is True
    assert store.remove(4001, None, "take home test") is False
    assert store.list() == []


def test_the_mapping_becomes_the_workflows_start_input(engine: Engine) -> None:
    store = AssessmentMappings(engine)
    rule = DecisionRule(threshold=70, below="reject", rejection_reason_id=8, dry_run=True)
    store.add(spec(rule=rule, deadline_days=3, reminder_hours=[24], field_map={"score": "take_home_score"}))
    row = store.find_test(4001, "python-basics")
    assert row is not None
    request = request_for(row, 123, source="stage")
    assert (request.application_id, request.test_key, request.source) == (123, "python-basics", "stage")
    assert request.rule == rule
    assert request.policy.deadline == timedelta(days=3)
    assert request.policy.reminders_before == [timedelta(hours=24)]
    assert request.field_map == {"score": "take_home_score"}
    plain = request_for(store.add(spec(stage_name="Other", test_key="x", test_id="x")), 5, source="cli")
    assert plain.rule == DecisionRule() and plain.policy.deadline == timedelta(days=7)
    assert plain.field_map == {"score": "assessment_score"}  # the contract's default
    assert store.find_test(4001, "nope") is None and store.find_test(4002, "x") is None


async def test_async_twins_read_the_same_rows(engine: Engine) -> None:
    store = AssessmentMappings(engine)
    await store.aadd(spec())
    assert [r.test_key for r in await store.alist(4001)] == ["python-basics"]
    assert await store.alist(9) == []
    assert (await store.afind_for_stage(4001, 1, "take home test")) is not None
    assert (await store.afind_test(4001, "python-basics")) is not None
    assert await store.aremove(4001, None, "Take Home Test") is True


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rule": {"threshold": float("nan")}}, "finite"),
        ({"rule": {"threshold": -1}}, "finite"),
        ({"rule": {"threshold": 70, "below": "reject"}}, "rejection_reason_id"),
        ({"rule": {"below": "reject", "rejection_reason_id": 3}}, "needs a threshold"),
        ({"rule": {"threshold": 70, "below": "delete"}}, "below"),
        ({"test_key": "Python Basics"}, "test_key"),
        ({"test_key": "x" * 65}, "test_key"),
        ({"provider": "codility"}, "provider"),
        ({"stage_name": None}, "stage"),
        ({"job_id": 0}, "job_id"),
        ({"deadline_days": 0}, "deadline_days"),
        ({"reminder_hours": [0]}, "reminders"),
        ({"field_map": {"email": "x"}}, "field_map"),
        ({"test_name": "n" * 301}, "test_name"),
    ],
)
def test_bad_mappings_are_refused_before_the_table(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        spec(**overrides)


# -------------------------------------------------------------------------------------------- CLI


def test_cli_maps_lists_and_unmaps(cli_db: Engine) -> None:
    mapped = runner.invoke(
        app,
        [
            "assessments", "map", "--job", "4001", "--stage", "Take Home Test", "--provider", "embedded",
            "--test", "python-basics", "--name", "Python basics", "--advance-at", "70",
            "--below", "reject", "--rejection-reason", "8", "--dry-run", "--deadline-days", "5",
        ],
    )  # fmt: skip
    assert mapped.exit_code == 0, mapped.output
    assert "advance at 70, below: reject (8) [dry run]" in mapped.output
    assert runner.invoke(app, ["assessments", "map", "--job", "4001", "--stage", "301",
                               "--provider", "hackerrank", "--test", "98765", "--key", "hr-sql"]).exit_code == 0  # fmt: skip
    table = runner.invoke(app, ["assessments", "list"])
    assert table.exit_code == 0
    header, *rows = table.output.splitlines()
    assert header.split()[:3] == ["JOB", "STAGE", "TEST"] and len(rows) == 2
    assert any("Take Home Test" in r and "python-basics" in r and "5d" in r for r in rows)
    listed = json.loads(runner.invoke(app, ["assessments", "list", "--json"]).output)
    assert {r["test_key"] for r in listed} == {"python-basics", "hr-sql"}
    row = AssessmentMappings(cli_db).find_for_stage(4001, 1, "take home test")
    assert row is not None and row.threshold == 70 and row.dry_run and row.deadline_days == 5
    assert runner.invoke(app, ["assessments", "unmap", "--job", "4001", "--stage", "301"]).exit_code == 0
    gone = runner.invoke(app, ["assessments", "unmap", "--job", "4001", "--stage", "301"])
    assert gone.exit_code == 1 and "no assessment mapped" in gone.output
    assert (
        runner.invoke(app, ["assessments", "list", "--job", "77"]).output.strip() == "no assessments mapped"
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--advance-at", "nan"], "finite"),
        (["--advance-at", "70", "--below", "reject"], "rejection_reason_id"),
        (["--below", "maybe"], "below"),
        (["--field", "score"], "value=name_key"),
        (["--stage", "  "], "--stage"),
    ],
)
def test_cli_refuses_bad_values_with_exit_2(cli_db: Engine, extra: list[str], message: str) -> None:
    base = ["assessments", "map", "--job", "1", "--stage", "Take Home Test", "--provider", "embedded"]
    result = runner.invoke(app, [*base, "--test", "python-basics", *extra])
    assert result.exit_code == 2 and message in result.output
    assert AssessmentMappings(cli_db).list() == []


class _Harvest:
    """`HarvestClient.from_settings(...)` for `hireflow assess`: one application lookup."""

    applications: dict[int, Application] = {}

    async def __aenter__(self) -> _Harvest:
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        return None

    async def get_application(self, application_id: int) -> Application:
        if application_id not in self.applications:
            raise NotFoundError("no such application", status=404)
        return self.applications[application_id]


@pytest.fixture
def harvest(monkeypatch: pytest.MonkeyPatch) -> type[_Harvest]:
    _Harvest.applications = {
        10: Application(id=10, job_id=4001, status="in_process"),
        11: Application(id=11, job_id=4001, status="rejected"),
        12: Application(id=12, job_id=None, status="in_process"),
    }
    monkeypatch.setattr(harvest_module.HarvestClient, "from_settings", classmethod(lambda cls, s: _Harvest()))

    async def no_temporal(*_: object) -> None:
        raise AssertionError("assess must not reach Temporal after a refusal")

    monkeypatch.setattr("workers.client.connect", no_temporal)
    return _Harvest


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["--application", "10", "--test", "go"],
            1,
            "job 4001 has no test 'go' mapped (mapped: python-basics)",
        ),
        (["--application", "99", "--test", "python-basics"], 1, "application 99 is not in Greenhouse"),
        (["--application", "11", "--test", "python-basics"], 1, "application 11 is rejected"),
        (["--application", "12", "--test", "python-basics"], 1, "has no job"),
        (["--application", "10", "--test", "x", "--provider", "embedded"], 2, "--test-id, --name"),
        (
            [
                "--application",
                "10",
                "--test",
                "Bad Key",
                "--provider",
                "embedded",
                "--test-id",
                "t",
                "--name",
                "T",
            ],
            2,
            "pattern",
        ),
    ],
)
def test_assess_names_what_is_wrong(
    cli_db: Engine, harvest: type[_Harvest], args: list[str], code: int, message: str
) -> None:
    AssessmentMappings(cli_db).add(spec())
    result = runner.invoke(app, ["assess", *args])
    assert result.exit_code == code, result.output
    assert message in result.output


async def test_assess_takes_the_test_mapped_in_the_applications_job(
    cli_db: Engine, harvest: type[_Harvest]
) -> None:
    from starters.assessments_cmd import _resolve_request

    rule = DecisionRule(threshold=70)
    AssessmentMappings(cli_db).add(spec(rule=rule))
    explicit: dict[str, str | None] = {"provider": None, "test_id": None, "test_name": None}
    request = await _resolve_request(
        get_settings(), AssessmentMappings(cli_db), 10, "python-basics", explicit
    )
    assert (request.application_id, request.test_key, request.source) == (10, "python-basics", "cli")
    assert request.rule == rule and request.test_name == "Python basics"
    given: dict[str, str | None] = {"provider": "hackerrank", "test_id": "98765", "test_name": "SQL quiz"}
    direct = await _resolve_request(get_settings(), AssessmentMappings(cli_db), 99, "sql-quiz", given)
    assert (direct.provider, direct.test_id, direct.rule) == ("hackerrank", "98765", DecisionRule())
