"""Seed data for sourcing (issue 12): tag dictionary and applied tags, referrers, prospect pools with stages,
prospect details, and the school/degree/discipline options educations point at.

Seeded last and without the random generator, from rows already generated, so every earlier id, row and draw
is unchanged for a given seed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sandbox.greenhouse import tables as t
from sandbox.greenhouse.tables import pipe_index

if TYPE_CHECKING:
    from sandbox.greenhouse.seed import _Ids, _Org, _Rows

ID_BASES = {
    "custom_field_options": 1_610_000_001,
    "candidate_tags": 1_620_000_001,
    "applied_candidate_tags": 1_630_000_001,
    "referrers": 9_001_001,
    "prospect_pools": 401,
    "prospect_pool_stages": 4_011,
    "prospect_details": 1_640_000_001,
    "candidate_educations": 1_650_000_001,
    "candidate_employments": 1_660_000_001,
    "webhooks": 1_670_000_001,
    "sourcing_custom_fields": 1_600_400_001,  # own range below the others: no earlier id moves
}
SEEDED_HISTORY = 12  # the first candidates get an employment and an education, so those lists are not empty
EDUCATION_FIELDS = (
    (
        "School Name",
        "school_name",
        ("Example State University", "Northwind Institute of Technology", "Contoso College"),
    ),
    ("Degree", "degree", ("Bachelor's Degree", "Master's Degree", "Doctorate")),
    ("Discipline", "discipline", ("Computer Science", "Mathematics", "Economics", "Design")),
)
POOLS = (
    ("Future Engineering", "Strong engineers to approach when a role opens."),
    ("Silver Medalists", "Finalists we could not hire last time."),
)
POOL_STAGES = ("Not Contacted", "Contacted", "Engaged")


def seed_sourcing(org: _Org, ids: _Ids, rows: _Rows) -> dict[str, Any]:
    """Add the sourcing rows; returns the summary facts (pool → stage ids, education option ids)."""
    for resource, base in ID_BASES.items():
        ids.bases.setdefault(resource, base)
    when = org.anchor - timedelta(days=400)
    options = _education_options(org, ids, rows, when)
    _tags(ids, rows)
    referrers = _referrers(org, ids, rows, when)
    pools = _pools(org, ids, rows, when)
    _prospect_details(ids, rows, pools)
    _history(ids, rows, options)
    return {"prospect_pools": pools, "education_option_ids": options, "referrer_ids": referrers}


def _education_options(org: _Org, ids: _Ids, rows: _Rows, when: datetime) -> dict[str, list[int]]:
    result: dict[str, list[int]] = {}
    for order, (name, key, values) in enumerate(EDUCATION_FIELDS, start=100):
        field_id = ids.next("sourcing_custom_fields")
        rows.add(
            t.CustomField,
            id=field_id,
            created_at=when,
            field_type="candidate",
            sort_order=order,
            name=name,
            value_type="single_select",
            private=False,
            name_key=key,
            updated_by_id=org.admin,
            template_token_string=None,
            internal_type=key,
        )
        result[key] = []
        for position, value in enumerate(values):
            option_id = ids.next("custom_field_options")
            rows.add(
                t.CustomFieldOption,
                id=option_id,
                created_at=when,
                custom_field_id=field_id,
                name=value,
                sort_order=position,
            )
            result[key].append(option_id)
    return result


def _tags(ids: _Ids, rows: _Rows) -> None:
    candidates = rows.rows[t.Candidate]
    names = sorted({tag for cand in candidates for tag in cand["tags"]})
    tag_ids: dict[str, int] = {}
    first_use: dict[str, datetime] = {}
    for cand in candidates:
        for tag in cand["tags"]:
            first_use[tag] = min(first_use.get(tag, cand["created_at"]), cand["created_at"])
    for name in names:
        tag_ids[name] = ids.next("candidate_tags")
        rows.add(t.CandidateTag, id=tag_ids[name], created_at=first_use[name], name=name)
    for cand in candidates:
        for tag in cand["tags"]:
            rows.add(
                t.AppliedCandidateTag,
                id=ids.next("applied_candidate_tags"),
                created_at=cand["created_at"],
                candidate_tag_id=tag_ids[tag],
                candidate_id=cand["id"],
            )


def _referrers(org: _Org, ids: _Ids, rows: _Rows, when: datetime) -> list[int]:
    users = {u["id"]: u for u in rows.rows[t.User]}
    result = []
    for user_id in org.recruiters[:2]:
        referrer_id = ids.next("referrers")
        rows.add(t.Referrer, id=referrer_id, created_at=when, user_id=user_id, name=users[user_id]["name"])
        result.append(referrer_id)
    referrer_id = ids.next("referrers")  # someone outside the company (no user)
    rows.add(t.Referrer, id=referrer_id, created_at=when, user_id=None, name="Alex Referral (external)")
    result.append(referrer_id)
    return result


def _pools(org: _Org, ids: _Ids, rows: _Rows, when: datetime) -> dict[int, list[int]]:
    pools: dict[int, list[int]] = {}
    engineering = org.departments.get("Engineering")
    for name, description in POOLS:
        pool_id = ids.next("prospect_pools")
        departments = [engineering] if engineering and name.startswith("Future") else []
        rows.add(
            t.ProspectPool,
            id=pool_id,
            created_at=when,
            name=name,
            description=description,
            department_ids=departments,
            ix_department_ids=pipe_index(departments),
        )
        pools[pool_id] = []
        for order, stage in enumerate(POOL_STAGES):
            stage_id = ids.next("prospect_pool_stages")
            rows.add(
                t.ProspectPoolStage,
                id=stage_id,
                created_at=when,
                prospect_pool_id=pool_id,
                name=stage,
                sort_order=order,
            )
            pools[pool_id].append(stage_id)
    return pools


def _prospect_details(ids: _Ids, rows: _Rows, pools: dict[int, list[int]]) -> None:
    pool_id, stages = next(iter(pools.items()))
    for app in rows.rows[t.Application]:
        if app["prospect"]:
            rows.add(
                t.ProspectDetail,
                id=ids.next("prospect_details"),
                created_at=app["created_at"],
                application_id=app["id"],
                pool_id=pool_id,
                pool_stage_id=stages[0],
                prospect_owner_id=app["recruiter_id"],
            )


def _history(ids: _Ids, rows: _Rows, options: dict[str, list[int]]) -> None:
    for n, cand in enumerate(rows.rows[t.Candidate][:SEEDED_HISTORY]):
        created = cand["created_at"]
        start = created.date().replace(year=created.year - 3 - n % 4, month=1 + n % 12, day=1)
        if cand["company"] and cand["title"]:
            rows.add(
                t.CandidateEmployment,
                id=ids.next("candidate_employments"),
                created_at=created,
                candidate_id=cand["id"],
                company_name=cand["company"],
                title=cand["title"],
                start_date=start,
                end_date=None,
                latest=True,
            )
        graduated = datetime(start.year - 1, 6, 1, tzinfo=created.tzinfo)
        rows.add(
            t.CandidateEducation,
            id=ids.next("candidate_educations"),
            created_at=created,
            candidate_id=cand["id"],
            school_name_custom_field_option_id=options["school_name"][n % len(options["school_name"])],
            degree_custom_field_option_id=options["degree"][n % len(options["degree"])],
            discipline_custom_field_option_id=options["discipline"][n % len(options["discipline"])],
            start_at=graduated.replace(year=graduated.year - 4, month=9),
            end_at=graduated,
            latest=True,
            start_date_month=9,
            start_date_year=graduated.year - 4,
            end_date_month=6,
            end_date_year=graduated.year,
        )
