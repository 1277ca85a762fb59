"""The assessment additions to the seed: a "Take Home Test" stage in each engineering plan, the
"Assessment score" field, Phone Screen applications to start from, and nothing else moved."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from sandbox.greenhouse import seed as seed_module
from sandbox.greenhouse import tables as t
from sandbox.greenhouse.config import SandboxConfig
from sandbox.greenhouse.db import Store
from sandbox.greenhouse.listing import serialize
from sandbox.greenhouse.resources import SPECS
from sandbox.greenhouse.seed import (
    ASSESSMENT_SCORE_KEY,
    JOBS,
    TAKE_HOME_STAGE,
    SeedSummary,
    seed_organisation,
)

ANCHOR = datetime(2026, 11, 2, tzinfo=UTC)
NEW_ROWS = {"custom_fields": 1, "job_interview_stages": 4, "job_interviews": 4, "interview_kits": 4}


def seeded(candidates: int, seed: int = 7) -> tuple[Store, SeedSummary]:
    store = Store("sqlite://")
    store.create_schema()
    summary = store.run(lambda s: seed_organisation(s, seed=seed, candidates=candidates, anchor=ANCHOR))
    return store, summary


def dump(store: Store) -> dict[str, dict[int, dict[str, Any]]]:
    def load(session: Session) -> dict[str, dict[int, dict[str, Any]]]:
        return {
            name: {
                row.id: serialize(name, row)
                for row in session.execute(select(spec.table).order_by(col(spec.table.id))).scalars()
            }
            for name, spec in SPECS.items()
        }

    return store.run(load)


def test_engineering_plans_get_a_take_home_stage_between_phone_screen_and_onsite() -> None:
    store, summary = seeded(30)
    rows = dump(store)
    eng = [job_id for job_id, spec in zip(summary.job_ids, JOBS, strict=True) if spec[3] == "eng"]
    assert sorted(summary.take_home_stage_ids) == sorted(eng) and len(eng) == 4
    for job_id in summary.job_ids:
        plan = sorted(
            (s for s in rows["job_interview_stages"].values() if s["job_id"] == job_id),
            key=lambda s: s["sort_order"],
        )
        names = [s["name"] for s in plan]
        assert [s["sort_order"] for s in plan] == list(range(len(plan)))  # no ties, no gaps
        if job_id in eng:
            assert names == ["Application Review", "Phone Screen", TAKE_HOME_STAGE, "Onsite", "Offer"]
            assert plan[2]["id"] == summary.take_home_stage_ids[job_id]
            [slot] = [
                s for s in rows["job_interviews"].values() if s["job_interview_stage_id"] == plan[2]["id"]
            ]
            assert (slot["scheduling_type"], slot["name"]) == ("take_home_test", TAKE_HOME_STAGE)
            assert any(k["job_interview_id"] == slot["id"] for k in rows["interview_kits"].values())
        else:
            assert names == ["Application Review", "Phone Screen", "Onsite", "Offer"]
    [score] = [f for f in rows["custom_fields"].values() if f["name_key"] == ASSESSMENT_SCORE_KEY]
    assert (score["id"], score["field_type"], score["name"], score["value_type"]) == (
        summary.assessment_score_field_id,
        "application",
        "Assessment score",
        "number",
    )


def test_existing_ids_rows_and_draws_do_not_move(monkeypatch: pytest.MonkeyPatch) -> None:
    """Against the same seed without the assessment additions: only appended rows and shifted sort orders."""
    with_assessments, summary = seeded(60)
    monkeypatch.setattr(seed_module, "_seed_assessments", lambda org, ids, rows: (None, {}))
    without, before = seeded(60)
    after_rows, before_rows = dump(with_assessments), dump(without)
    assert summary.model_dump(
        exclude={"take_home_stage_ids", "assessment_score_field_id"}
    ) == before.model_dump(exclude={"take_home_stage_ids", "assessment_score_field_id"})
    for name, old in before_rows.items():
        new = after_rows[name]
        added = sorted(set(new) - set(old))
        assert set(old) <= set(new) and len(added) == NEW_ROWS.get(name, 0), name
        assert not old or not added or min(added) > max(old), name  # appended after every existing id
        for row_id, row in old.items():
            changed = {k for k in row if row[k] != new[row_id][k]}
            if name == "job_interview_stages" and row["name"] in ("Onsite", "Offer") and changed:
                assert changed == {"sort_order"} and new[row_id]["sort_order"] == row["sort_order"] + 1
                assert row["job_id"] in summary.take_home_stage_ids
            else:
                assert not changed, (name, row_id, changed)


@pytest.mark.parametrize(
    "config", [SandboxConfig(), SandboxConfig(candidates=180)], ids=["dev", "shared-tests"]
)
def test_applications_wait_in_phone_screen_of_each_open_engineering_job(config: SandboxConfig) -> None:
    store, summary = seeded(config.candidates, config.seed)

    def phone_screen(session: Session) -> Counter[int]:
        apps = session.execute(
            select(t.Application).where(
                col(t.Application.stage_name) == "Phone Screen",
                col(t.Application.status) == "in_process",
            )
        ).scalars()
        return Counter(a.job_id for a in apps if a.job_id is not None)

    waiting = store.run(phone_screen)
    open_eng = [
        job_id
        for job_id, spec in zip(summary.job_ids, JOBS, strict=True)
        if spec[3] == "eng" and spec[4] == "open"
    ]
    assert open_eng and all(waiting[job_id] >= 2 for job_id in open_eng), waiting
