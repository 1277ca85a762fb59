"""The dev stack maps each engineering job's "Take Home Test" stage to the embedded Python test and
marks its Onsite as auto-schedule."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from integrations.assessment_mappings import AssessmentMappings
from models.store import create_engine_for, init_db
from models.web_store import StageAutoScheduleRule
from sandbox.greenhouse.server import SandboxServer
from starters.dev_seed import DEV_ADVANCE_AT, DEV_TEST_ID, dev_assessment_mappings, dev_auto_schedule_stages
from web.store import add_rule, ensure_rule, find_rule


def test_every_take_home_stage_sends_the_embedded_test_and_advances_at_70(
    greenhouse_sandbox: SandboxServer, tmp_path: Path
) -> None:
    summary = greenhouse_sandbox.seed
    specs = dev_assessment_mappings(summary)
    assert {(s.job_id, s.job_interview_stage_id) for s in specs} == set(summary.take_home_stage_ids.items())
    assert all(s.provider == "embedded" and s.test_id == DEV_TEST_ID for s in specs)
    assert all(s.rule.threshold == DEV_ADVANCE_AT and s.rule.below == "note" for s in specs)
    engine = create_engine_for(f"sqlite:///{tmp_path / 'store.db'}")
    init_db(engine)
    mappings = AssessmentMappings(engine)
    for spec in specs:
        mappings.add(spec)
    for spec in specs:
        mappings.add(spec)  # a restarted dev stack seeds again: the same rows, not twice as many
    assert len(mappings.list()) == len(specs)
    engine.dispose()


def test_every_engineering_onsite_is_auto_schedule_and_a_reseed_keeps_the_operators_choice(
    greenhouse_sandbox: SandboxServer, tmp_path: Path
) -> None:
    summary = greenhouse_sandbox.seed
    stages = dev_auto_schedule_stages(summary)
    assert stages == [(job, "Onsite") for job in sorted(summary.take_home_stage_ids)]
    engine = create_engine_for(f"sqlite:///{tmp_path / 'store.db'}")
    init_db(engine)
    switched_off = stages[0][0]
    add_rule(engine, job_id=switched_off, stage_name="onsite", enabled=False)  # an operator's own rule
    for _ in range(2):  # a restarted dev stack seeds again
        for job_id, stage_name in stages:
            ensure_rule(engine, job_id=job_id, stage_name=stage_name)
    with Session(engine) as session:
        rules = session.exec(select(StageAutoScheduleRule)).all()
    assert len(rules) == len(stages), "one rule per engineering job, however often it is seeded"
    for job_id, _ in stages:
        rule = find_rule(engine, 999_999_999, job_id, "Onsite")  # the stage id is unknown: found by name
        assert rule is not None and rule.enabled == (job_id != switched_off)
    other_jobs = [job for job in summary.job_ids if job not in summary.take_home_stage_ids]
    assert other_jobs and find_rule(engine, 999_999_999, other_jobs[0], "Onsite") is None
    assert find_rule(engine, 999_999_999, stages[1][0], "Take Home Test") is None
    engine.dispose()
