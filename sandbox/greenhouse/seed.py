"""A deterministic, realistic Greenhouse organisation for the sandbox.

Everything comes from `random.Random(seed)` and a time anchor, so the same seed and anchor give the same
rows. Rows are built as plain dicts and bulk-inserted table by table (20,000 candidates seed in seconds).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import insert
from sqlmodel import Session

from sandbox.greenhouse import tables as t
from sandbox.greenhouse.names import (
    CANDIDATE_TITLES,
    COMPANIES,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    RAILS_TO_IANA,
)
from sandbox.greenhouse.seed_sourcing import seed_sourcing
from sandbox.greenhouse.tables import pipe_index

ORG_DOMAIN = "acme.example"
JOB_BOARD_ID = 7001
JOB_ADMIN_ROLE_ID = 31
HIRING_MANAGER_ROLE_ID = 33
# Organisation roles (/v3/user_roles): the built-in ones and one custom job-admin role.
USER_ROLES = (
    (1, "deprecated_interviewer", "Interviewer"),
    (11, "site_admin", "Site Admin"),
    (JOB_ADMIN_ROLE_ID, "job_admin", "Standard"),
    (32, "job_admin", "Private"),
    (HIRING_MANAGER_ROLE_ID, "job_admin", "Hiring Manager"),
)
# One hiring manager per job (in JOBS order), seeded last and without the RNG so no other id or row moves.
HIRING_MANAGERS = (
    ("Marisol", "Okafor"),
    ("Tobias", "Lindqvist"),
    ("Anjali", "Verma"),
    ("Declan", "Moreau"),
    ("Ingrid", "Tanaka"),
    ("Rafael", "Nwosu"),
    ("Yara", "Castellanos"),
    ("Henrik", "Abara"),
)
EMPLOYMENT_TYPE_OPTIONS = {"Full-time": 5001, "Part-time": 5002, "Contract": 5003}
# Assessments (issue 11), seeded after everything else and without the RNG: the engineering plans get a
# "Take Home Test" stage between Phone Screen and Onsite, and applications a numeric "Assessment score".
TAKE_HOME_STAGE = "Take Home Test"
TAKE_HOME_AFTER = "Phone Screen"
ASSESSMENT_SCORE_KEY = "assessment_score"


class SeedPerson(BaseModel):
    id: int
    name: str
    email: str
    time_zone: str
    office_id: int


class SeedOffice(BaseModel):
    id: int
    name: str
    time_zone: str


class SeedSummary(BaseModel):
    """What tests and the demo need to know about the seeded org without listing it."""

    seed: int
    anchor: datetime
    hireflow_user_id: int
    admin_user_id: int
    service_user_id: int
    recruiter_ids: list[int]
    coordinator_ids: list[int]
    interviewers: list[SeedPerson]  # everyone who sits on panels: 48 interviewers, then the recruiters
    offices: list[SeedOffice]
    job_ids: list[int]
    hiring_manager_ids: dict[int, int] = {}  # job id -> its hiring manager (job permission "Hiring Manager")
    take_home_stage_ids: dict[int, int] = {}  # engineering job id -> its "Take Home Test" stage
    assessment_score_field_id: int | None = None  # application custom field `assessment_score` (number)
    candidate_count: int
    application_count: int
    prospect_pools: dict[int, list[int]] = {}  # prospect pool id -> its pool stage ids, in order
    education_option_ids: dict[str, list[int]] = {}  # school_name / degree / discipline -> option ids
    referrer_ids: list[int] = []


OFFICES = (
    # name, IANA zone, location, external id, interviewer share
    ("New York", "America/New_York", "New York, NY, United States", "NYC", 12),
    ("San Francisco", "America/Los_Angeles", "San Francisco, CA, United States", "SFO", 10),
    ("London", "Europe/London", "London, United Kingdom", "LON", 10),
    ("Bengaluru", "Asia/Kolkata", "Bengaluru, Karnataka, India", "BLR", 9),
    ("Sydney", "Australia/Sydney", "Sydney, NSW, Australia", "SYD", 7),
)
OFFICE_LOCATIONS = {name: location for name, _, location, _, _ in OFFICES}
DEPARTMENTS = (
    ("Engineering", None, "ENG"),
    ("Platform", "Engineering", "ENG-PLT"),
    ("Data", "Engineering", "ENG-DATA"),
    ("Product", None, "PRD"),
    ("Design", None, "DES"),
    ("Sales", None, "SAL"),
    ("Customer Success", None, "CS"),
    ("People", None, "PPL"),
)
INTERVIEWER_TITLES = {
    "Engineering": (
        "Staff Engineer",
        "Senior Software Engineer",
        "Engineering Manager",
        "Principal Engineer",
    ),
    "Platform": ("Senior SRE", "Platform Engineer", "Staff Engineer"),
    "Data": ("Senior Data Scientist", "Data Engineer", "Analytics Lead"),
    "Product": ("Senior Product Manager", "Group Product Manager"),
    "Design": ("Senior Product Designer", "Design Lead"),
    "Sales": ("Account Executive", "Sales Director"),
    "Customer Success": ("Customer Success Manager", "Head of Support"),
}
INTERVIEWER_TAGS = (
    {"id": 501, "name": "Bar Raiser"},
    {"id": 502, "name": "Hiring Manager"},
    {"id": 503, "name": "Technical"},
)
# Onsite slot catalogue: (name, minutes, summary)
ONSITE = {
    "eng": [
        ("Technical Deep Dive", 60, "Walk through a system the candidate built."),
        ("System Design", 60, "Design a service end to end."),
        ("Coding Exercise", 60, "Pair on a practical coding problem."),
        ("Culture Add", 45, "Values and collaboration."),
        ("Hiring Manager Conversation", 45, "Motivation, scope and growth."),
    ],
    "data": [
        ("Statistics & Modelling", 60, "Experiment design and modelling."),
        ("SQL Exercise", 45, "Hands-on data wrangling."),
        ("Product Sense", 45, "Turning questions into metrics."),
        ("Hiring Manager Conversation", 45, "Motivation, scope and growth."),
    ],
    "design": [
        ("Portfolio Review", 60, "Present two projects."),
        ("Design Exercise", 60, "Whiteboard a product flow."),
        ("Cross-functional Partner", 45, "Working with PM and engineering."),
        ("Hiring Manager Conversation", 45, "Motivation, scope and growth."),
    ],
    "gtm": [
        ("Mock Discovery Call", 45, "Role-play a first customer call."),
        ("Deal Review", 45, "Walk through a closed deal."),
        ("Cross-functional Partner", 45, "Working with product and support."),
        ("Culture Add", 45, "Values and collaboration."),
        ("Hiring Manager Conversation", 45, "Motivation, scope and growth."),
    ],
}
JOBS = (
    # name, department, office names, family, status
    ("Senior Backend Engineer", "Platform", ("New York", "London"), "eng", "open"),
    ("Frontend Engineer", "Engineering", ("San Francisco",), "eng", "open"),
    ("Site Reliability Engineer", "Platform", ("Bengaluru", "Sydney"), "eng", "open"),
    ("Data Scientist", "Data", ("London", "Bengaluru"), "data", "open"),
    ("Senior Product Designer", "Design", ("New York",), "design", "open"),
    ("Account Executive, EMEA", "Sales", ("London",), "gtm", "open"),
    ("Customer Success Manager", "Customer Success", ("Sydney", "San Francisco"), "gtm", "open"),
    ("Engineering Manager, Payments", "Engineering", ("New York", "San Francisco"), "eng", "closed"),
)
SOURCES = (
    ("Referral", 2, "Referral"),
    ("LinkedIn (Prospecting)", 3, "Prospecting"),
    ("Company Website", 4, "Company Marketing"),
    ("Indeed", 5, "Third-party boards"),
    ("Talent Partners Agency", 1, "Agencies"),
    ("University Career Fair", 6, "Events"),
    ("Greenhouse Job Board", 4, "Company Marketing"),
    ("Wellfound", 5, "Third-party boards"),
)
REJECTION_REASONS = (
    # name, (type id, key, name), built-in default?
    ("Lacking skill(s)/qualification(s)", (1, "WE_REJECTED_THEM", "We rejected them"), False),
    ("Hired another candidate", (1, "WE_REJECTED_THEM", "We rejected them"), False),
    ("Not a culture add", (1, "WE_REJECTED_THEM", "We rejected them"), False),
    ("Took another offer", (2, "THEY_REJECTED_US", "They rejected us"), False),
    ("Compensation expectations", (2, "THEY_REJECTED_US", "They rejected us"), False),
    ("Other (add notes below)", (3, "NONE_SPECIFIED", "None specified"), True),
    ("Unresponsive", (2, "THEY_REJECTED_US", "They rejected us"), True),
    ("Security concern", (4, "SECURITY_CONCERN", "Security concern"), True),
)
NOTE_BODIES = (
    "Spoke with {first} about the role; strong on {skill}, keen on the team's roadmap.",
    "Recruiter screen notes: {first} is interviewing elsewhere, timeline about three weeks.",
    "{first} prefers afternoon interviews in their time zone.",
    "Reference check scheduled; {first} asked about remote flexibility.",
    "Sourced at a meetup; {first} has led {skill} work for two years.",
)
SKILLS = (
    "distributed systems",
    "data modelling",
    "React",
    "experimentation",
    "incident response",
    "enterprise sales",
    "design systems",
    "customer onboarding",
)


def default_anchor() -> datetime:
    """Today 00:00 UTC: seeded timestamps are stable within a day and look recent."""
    return datetime.combine(datetime.now(UTC).date(), time(0, 0), tzinfo=UTC)


@dataclass
class _Ids:
    """Per-resource id counters with realistic-looking bases (harvest-v3.md §4 examples)."""

    bases: dict[str, int] = field(
        default_factory=lambda: {
            "departments": 3_301_001,
            "offices": 2_201_001,
            "users": 4_080_011_001,
            "sources": 101,
            "rejection_reasons": 201,
            "custom_fields": 1_600_444_001,
            "email_templates": 2_300_111_001,
            "jobs": 4_412_007_001,
            "job_posts": 5_510_231_001,
            "job_interview_stages": 6_620_003_001,
            "job_interviews": 7_730_005_001,
            "interview_kits": 8_840_005_001,
            "default_interviewers": 9_950_001_001,
            "user_job_permissions": 1_800_666_001,
            "candidates": 41_203_311_001,
            "applications": 52_877_001_001,
            "application_stages": 88_812_000_001,
            "notes": 1_400_222_001,
            "interviews": 1_100_456_001,
            "interviewers": 1_200_789_001,
            "scorecards": 1_300_111_001,
            "offers": 1_500_333_001,
            "attachments": 1_700_555_001,
            "rejection_details": 1_900_777_001,
        }
    )

    def next(self, resource: str) -> int:
        value = self.bases[resource]
        self.bases[resource] = value + 1
        return value


class _Rows:
    """Collects dict rows per table, pre-filled with the model defaults, for one bulk insert each."""

    def __init__(self) -> None:
        self.rows: dict[type[t.SandboxBase], list[dict[str, Any]]] = {table: [] for table in t.ALL_TABLES}
        self._defaults = {
            table: {
                name: info.get_default(call_default_factory=True)
                for name, info in table.model_fields.items()
                if not info.is_required()
            }
            for table in t.ALL_TABLES
        }

    def add(self, table: type[t.SandboxBase], **values: Any) -> dict[str, Any]:
        row = {**self._defaults[table], **values}
        row.setdefault("updated_at", row["created_at"])
        self.rows[table].append(row)
        return row

    def insert_all(self, session: Session) -> None:
        for rows in self.rows.values():  # Harvest serves milliseconds; store no finer, or windows misfire
            for row in rows:
                for key, value in row.items():
                    if isinstance(value, datetime) and value.microsecond % 1000:
                        row[key] = value.replace(microsecond=value.microsecond // 1000 * 1000)
        for table, rows in self.rows.items():
            for chunk in _chunks(rows, 5000):
                session.execute(insert(table.__table__), chunk)  # type: ignore[attr-defined]


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _ago(anchor: datetime, rng: random.Random, min_days: float, max_days: float) -> datetime:
    delta = timedelta(days=rng.uniform(min_days, max_days))
    return (anchor - delta).replace(microsecond=rng.randrange(0, 1000) * 1000)


def _email_for(first: str, last: str) -> str:
    return f"{first}.{last}@{ORG_DOMAIN}".lower().replace(" ", "")


@dataclass
class _Org:
    anchor: datetime
    departments: dict[str, int] = field(default_factory=dict)
    offices: dict[str, tuple[int, str]] = field(default_factory=dict)
    interviewers_by_dept: dict[str, list[int]] = field(default_factory=dict)
    people: list[SeedPerson] = field(default_factory=list)
    recruiters: list[int] = field(default_factory=list)
    screeners: list[SeedPerson] = field(default_factory=list)  # recruiters run the phone screens
    coordinators: list[int] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)
    reasons: list[int] = field(default_factory=list)
    # per job: (job id, [stage ids], {stage id: [(job_interview id, kit id, minutes, [default users])]}, post id,
    #           recruiter, coordinator, office names)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    emails: dict[int, str] = field(default_factory=dict)
    hireflow: int = 0
    admin: int = 0
    service_user: int = 0
    candidates: int = 0
    applications: int = 0


def seed_organisation(
    session: Session,
    *,
    seed: int,
    candidates: int,
    anchor: datetime | None = None,
    service_account_for: str = "hireflow-sandbox",
) -> SeedSummary:
    """Fill an empty sandbox database and describe what was created."""
    rng = random.Random(seed)
    if anchor is not None and anchor.tzinfo is None:
        anchor = anchor.replace(tzinfo=UTC)
    org = _Org(anchor=anchor or default_anchor())
    ids = _Ids()
    rows = _Rows()
    _seed_static(rng, org, ids, rows, service_account_for)
    _seed_jobs(rng, org, ids, rows)
    _seed_candidates(rng, org, ids, rows, candidates)
    hiring_managers = _seed_roles_and_hiring_managers(org, ids, rows)
    score_field, take_home = _seed_assessments(org, ids, rows)
    sourcing = seed_sourcing(org, ids, rows)
    rows.insert_all(session)
    return SeedSummary(
        seed=seed,
        anchor=org.anchor,
        hireflow_user_id=org.hireflow,
        admin_user_id=org.admin,
        service_user_id=org.service_user,
        recruiter_ids=org.recruiters,
        coordinator_ids=org.coordinators,
        interviewers=org.people + org.screeners,
        offices=[SeedOffice(id=i, name=n, time_zone=z) for n, (i, z) in org.offices.items()],
        job_ids=[j["id"] for j in org.jobs],
        hiring_manager_ids=hiring_managers,
        take_home_stage_ids=take_home,
        assessment_score_field_id=score_field,
        candidate_count=org.candidates,
        application_count=org.applications,
        prospect_pools=sourcing["prospect_pools"],
        education_option_ids=sourcing["education_option_ids"],
        referrer_ids=sourcing["referrer_ids"],
    )


def _seed_static(rng: random.Random, org: _Org, ids: _Ids, rows: _Rows, service_client: str) -> None:
    founded = org.anchor - timedelta(days=2000)
    for name, parent, external in DEPARTMENTS:
        dept_id = ids.next("departments")
        org.departments[name] = dept_id
        rows.add(
            t.Department,
            id=dept_id,
            created_at=founded,
            name=name,
            parent_id=org.departments.get(parent) if parent else None,
            external_id=external,
        )
    for name, zone, location, external, _ in OFFICES:
        office_id = ids.next("offices")
        org.offices[name] = (office_id, zone)
        rows.add(
            t.Office,
            id=office_id,
            created_at=founded,
            name=name,
            external_id=external,
            location=location,
            time_zone=zone,
        )

    used_names: set[tuple[str, str]] = set()

    def user(
        first: str | None,
        last: str | None,
        *,
        title: str,
        office: str,
        dept: str,
        site_admin: bool = False,
        tags: list[dict[str, Any]] | None = None,
        email: str | None = None,
        service: bool = False,
        deactivated: bool = False,
    ) -> int:
        user_id = ids.next("users")
        office_id, zone = org.offices[office]
        full = " ".join(p for p in (first, last) if p)
        primary = "" if service else (email or _email_for(first or "", last or ""))
        created = founded + timedelta(days=rng.randrange(0, 1500))
        rows.add(
            t.User,
            id=user_id,
            created_at=created,
            updated_at=created + timedelta(days=rng.randrange(0, 200)),
            first_name=first,
            last_name=last,
            primary_email=primary,
            job_title=title,
            name=full,
            deactivated=deactivated,
            site_admin=site_admin,
            employee_id=None if service else f"E-{user_id % 100000:05d}",
            office_ids=[office_id],
            department_ids=[org.departments[dept]],
            interviewer_tags=tags or [],
            emails=None if service else [primary],
            custom_fields={},
            is_service_account=service,
            time_zone=zone,
            ix_office_ids=pipe_index([office_id]),
            ix_department_ids=pipe_index([org.departments[dept]]),
            ix_tag_ids=pipe_index([tag["id"] for tag in tags or []]),
        )
        org.emails[user_id] = primary
        return user_id

    def fresh_name() -> tuple[str, str]:
        while True:
            pair = (rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))
            if pair not in used_names:
                used_names.add(pair)
                return pair

    org.hireflow = user(
        "Hireflow",
        None,
        title="Interview Scheduling Assistant",
        office="New York",
        dept="People",
        site_admin=True,
        email=f"hireflow@{ORG_DOMAIN}",
    )
    first, last = fresh_name()
    org.admin = user(
        first, last, title="Head of Talent Operations", office="New York", dept="People", site_admin=True
    )
    office_names = [o[0] for o in OFFICES]
    for i in range(4):
        first, last = fresh_name()
        office = office_names[i % len(office_names)]
        recruiter = user(
            first, last, title="Senior Recruiter" if i else "Recruiting Lead", office=office, dept="People"
        )
        org.recruiters.append(recruiter)
        org.screeners.append(
            SeedPerson(
                id=recruiter,
                name=f"{first} {last}",
                email=_email_for(first, last),
                time_zone=org.offices[office][1],
                office_id=org.offices[office][0],
            )
        )
    for i in range(3):
        first, last = fresh_name()
        org.coordinators.append(
            user(
                first,
                last,
                title="Recruiting Coordinator",
                office=office_names[(i + 2) % len(office_names)],
                dept="People",
            )
        )
    depts = list(INTERVIEWER_TITLES)
    for office, zone, _, _, share in OFFICES:
        for k in range(share):
            first, last = fresh_name()
            dept = depts[(k + len(org.people)) % len(depts)]
            tags = [INTERVIEWER_TAGS[2]] if dept in ("Engineering", "Platform", "Data") else []
            if k % 5 == 0:
                tags = [*tags, INTERVIEWER_TAGS[0]]
            user_id = user(
                first, last, title=rng.choice(INTERVIEWER_TITLES[dept]), office=office, dept=dept, tags=tags
            )
            org.interviewers_by_dept.setdefault(dept, []).append(user_id)
            org.people.append(
                SeedPerson(
                    id=user_id,
                    name=f"{first} {last}",
                    email=_email_for(first, last),
                    time_zone=zone,
                    office_id=org.offices[office][0],
                )
            )
    first, last = fresh_name()
    user(first, last, title="Former Recruiter", office="London", dept="People", deactivated=True)
    org.service_user = user(
        f"{service_client} (Integration Service User)",
        None,
        title="Service account",
        office="New York",
        dept="People",
        site_admin=True,
        service=True,
    )

    for name, type_id, type_name in SOURCES:
        source_id = ids.next("sources")
        org.sources.append(source_id)
        rows.add(
            t.Source, id=source_id, created_at=founded, name=name, type={"id": type_id, "name": type_name}
        )
    for name, (type_id, key, type_name), builtin in REJECTION_REASONS:
        reason_id = ids.next("rejection_reasons")
        if not builtin:
            org.reasons.append(reason_id)
        rows.add(
            t.RejectionReason,
            id=reason_id,
            created_at=founded,
            name=name,
            type={"id": type_id, "key": key, "name": type_name},
            is_default=builtin,
        )
    _seed_custom_fields(org, ids, rows, founded)
    _seed_email_templates(org, ids, rows, founded)


def _seed_roles_and_hiring_managers(org: _Org, ids: _Ids, rows: _Rows) -> dict[int, int]:
    """The organisation's roles, and per job a hiring manager who holds the "Hiring Manager" job role.

    Runs after everything else and draws nothing from the RNG, so every earlier id and row is unchanged.
    """
    founded = org.anchor - timedelta(days=2000)
    for role_id, role_type, name in USER_ROLES:
        rows.add(t.UserRole, id=role_id, created_at=founded, role_type=role_type, name=name)
    office_id, zone = org.offices[OFFICES[0][0]]
    managers: dict[int, int] = {}
    for job, (first, last) in zip(org.jobs, HIRING_MANAGERS, strict=False):
        user_id = ids.next("users")
        email = _email_for(first, last)
        created = org.anchor - timedelta(days=400)
        rows.add(
            t.User,
            id=user_id,
            created_at=created,
            first_name=first,
            last_name=last,
            primary_email=email,
            job_title="Hiring Manager",
            name=f"{first} {last}",
            employee_id=f"E-{user_id % 100000:05d}",
            office_ids=[office_id],
            department_ids=[],
            emails=[email],
            custom_fields={},
            time_zone=zone,
            ix_office_ids=pipe_index([office_id]),
        )
        rows.add(
            t.UserJobPermission,
            id=ids.next("user_job_permissions"),
            created_at=created,
            job_id=job["id"],
            user_id=user_id,
            role_id=HIRING_MANAGER_ROLE_ID,
        )
        org.emails[user_id] = email
        managers[job["id"]] = user_id
    return managers


def _seed_assessments(org: _Org, ids: _Ids, rows: _Rows) -> tuple[int, dict[int, int]]:
    """The "Assessment score" application field and a "Take Home Test" stage in each engineering plan.

    Runs last and draws nothing from the RNG, so every earlier id and row is unchanged except the
    `sort_order` of the stages after Phone Screen, which moves up by one as Greenhouse renumbers a plan
    when a stage is inserted (the order of those stages is unchanged). Applications already seeded in
    Phone Screen of these jobs are the ones an assessment starts from.
    """
    founded = org.anchor - timedelta(days=2000)
    field_id = ids.next("custom_fields")
    rows.add(
        t.CustomField,
        id=field_id,
        created_at=founded,
        field_type="application",
        sort_order=len(rows.rows[t.CustomField]),
        name="Assessment score",
        value_type="number",
        private=False,
        name_key=ASSESSMENT_SCORE_KEY,
        updated_by_id=org.admin,
        template_token_string="{{" + ASSESSMENT_SCORE_KEY.upper() + "}}",
        description="Score of the candidate's skills assessment, written back by Hireflow.",
    )
    stage_rows = rows.rows[t.JobInterviewStage]
    take_home: dict[int, int] = {}
    for job, spec in zip(org.jobs, JOBS, strict=True):
        if spec[3] != "eng":
            continue
        plan = sorted((r for r in stage_rows if r["job_id"] == job["id"]), key=lambda r: r["sort_order"])
        after = next(r for r in plan if r["name"] == TAKE_HOME_AFTER)
        for row in plan:
            if row["sort_order"] > after["sort_order"]:
                row["sort_order"] += 1
        stage_id = ids.next("job_interview_stages")
        rows.add(
            t.JobInterviewStage,
            id=stage_id,
            created_at=after["created_at"],
            job_id=job["id"],
            sort_order=after["sort_order"] + 1,
            name=TAKE_HOME_STAGE,
        )
        slot_id = ids.next("job_interviews")
        rows.add(
            t.JobInterview,
            id=slot_id,
            created_at=after["created_at"],
            job_interview_stage_id=stage_id,
            job_id=job["id"],
            sort_order=0,
            scheduling_type="take_home_test",
            duration=None,
            summary="A short skills test the candidate takes online.",
            instructions="Hireflow sends the test and writes the score back to Assessment score.",
            name=TAKE_HOME_STAGE,
            require_scorecard=None,
        )
        rows.add(
            t.InterviewKit,
            id=ids.next("interview_kits"),
            created_at=after["created_at"],
            job_id=job["id"],
            job_interview_id=slot_id,
            exercises="<p>A short skills test the candidate takes online.</p>",
        )
        take_home[job["id"]] = stage_id
    return field_id, take_home


def _seed_custom_fields(org: _Org, ids: _Ids, rows: _Rows, when: datetime) -> None:
    fields = (
        ("candidate", "Desired Salary", "short_text", "desired_salary", True),
        ("candidate", "Work Authorization", "yes_no", "work_authorization", False),
        ("application", "How did you hear about us?", "short_text", "how_did_you_hear", False),
        ("job", "Employment Type", "single_select", "employment_type", False),
        ("offer", "Base Salary", "currency", "base_salary", True),
        ("rejection_question", "Rejection Feedback", "long_text", "rejection_feedback", True),
    )
    for order, (field_type, name, value_type, key, private) in enumerate(fields):
        rows.add(
            t.CustomField,
            id=ids.next("custom_fields"),
            created_at=when,
            field_type=field_type,
            sort_order=order,
            name=name,
            value_type=value_type,
            private=private,
            name_key=key,
            updated_by_id=org.admin,
            template_token_string="{{" + key.upper() + "}}",
            internal_type="employment_type" if key == "employment_type" else None,
        )


def _seed_email_templates(org: _Org, ids: _Ids, rows: _Rows, when: datetime) -> None:
    templates = (
        (
            "Standard rejection",
            "candidate_rejection",
            "user_email",
            "Your application to Acme",
            "Hi {{CANDIDATE_FIRST_NAME}}, thank you for your time. We have decided not to move forward.",
            True,
        ),
        (
            "Interview invitation",
            "interviewer_invite",
            "organizer",
            "Interview: {{CANDIDATE_NAME}} for {{JOB_NAME}}",
            "You are invited to interview {{CANDIDATE_NAME}}.",
            True,
        ),
        (
            "Availability request",
            "candidate_availability_request",
            "user_email",
            "Your interviews with Acme",
            "Hi {{CANDIDATE_FIRST_NAME}}, please share your availability: {{AVAILABILITY_LINK}}",
            True,
        ),
        (
            "Availability confirmation",
            "candidate_availability_confirmation",
            "user_email",
            "Interview confirmed",
            "Hi {{CANDIDATE_FIRST_NAME}}, your interviews are confirmed.",
            True,
        ),
        (
            "Self-schedule request",
            "candidate_self_schedule_request",
            "user_email",
            "Pick a time with Acme",
            "Hi {{CANDIDATE_FIRST_NAME}}, choose a slot here: {{SELF_SCHEDULE_LINK}}",
            False,
        ),
        (
            "Recruiter follow-up",
            "candidate_email",
            "my_email_address",
            "Following up",
            "Hi {{CANDIDATE_FIRST_NAME}}, checking in on next steps.",
            False,
        ),
    )
    for name, email_type, from_type, subject, body, default in templates:
        rows.add(
            t.EmailTemplate,
            id=ids.next("email_templates"),
            created_at=when,
            name=name,
            description=f"{name} (sandbox)",
            default=default,
            email_type=email_type,
            from_type=from_type,
            subject=subject,
            body=body,
            html_body=f"<p>{body}</p>",
            cc_recruiter=False,
            cc_coordinator=False,
            recipients=None,
            office_anywhere=True,
            user_id=None,
        )


def _offset_hours(zone: str, when: datetime) -> float:
    offset = when.astimezone(ZoneInfo(zone)).utcoffset()
    return offset.total_seconds() / 3600 if offset else 0.0


def _panel_pool(org: _Org, dept: str, offices: tuple[str, ...], everyone: list[int]) -> list[int]:
    """Interviewers a job's panels are drawn from: its department, near its first office's time zone.

    Real interview plans staff a loop from people who can meet on the same working day, so the pool
    keeps to offices within four hours of the job's home office, widening only when that is too few.
    """
    home = _offset_hours(org.offices[offices[0]][1], org.anchor)
    by_id = {p.id: p for p in org.people}
    dept_people = org.interviewers_by_dept.get(dept) or everyone

    def near(user_id: int) -> bool:
        return abs(_offset_hours(by_id[user_id].time_zone, org.anchor) - home) <= 4

    pool = [u for u in dept_people if near(u)]
    pool += [u for u in everyone if u not in pool and near(u)][: max(0, 6 - len(pool))]
    pool += [u for u in dept_people if u not in pool][: max(0, 6 - len(pool))]
    return pool


def _seed_jobs(rng: random.Random, org: _Org, ids: _Ids, rows: _Rows) -> None:
    all_interviewers = [p.id for p in org.people]
    for index, (name, dept, offices, family, status) in enumerate(JOBS):
        created = _ago(org.anchor, rng, 150, 240)
        job_id = ids.next("jobs")
        office_ids = [org.offices[o][0] for o in offices]
        employment = "Contract" if index == 6 else "Full-time"
        rows.add(
            t.Job,
            id=job_id,
            created_at=created,
            updated_at=created + timedelta(days=3),
            name=name,
            requisition_id=f"REQ-{1040 + index}",
            notes=f"<p>Hiring for the {dept} team.</p>",
            status=status,
            opened_at=created + timedelta(days=2),
            closed_at=(org.anchor - timedelta(days=10)) if status == "closed" else None,
            department_id=org.departments[dept],
            office_ids=office_ids,
            custom_fields={
                "employment_type": {"name": "Employment Type", "type": "single_select", "value": employment}
            },
            ix_office_ids=pipe_index(office_ids),
            ix_cf_options=pipe_index([EMPLOYMENT_TYPE_OPTIONS[employment]]),
        )
        post_id = ids.next("job_posts")
        rows.add(
            t.JobPost,
            id=post_id,
            created_at=created,
            title=name,
            first_published_at=created + timedelta(days=2),
            content=f"<p>Join our {dept} team as a {name}.</p>",
            live=status == "open",
            active=status == "open",
            public_url=f"https://job-boards.greenhouse.io/acme/jobs/{post_id}",
            job_id=job_id,
            job_board_id=JOB_BOARD_ID,
            questions=[
                {
                    "id": None,
                    "description": None,
                    "answer_type": "short_text",
                    "required": True,
                    "private": False,
                    "label": "First Name",
                    "name": "first_name",
                    "options": [],
                },
                {
                    "id": 90011 + index,
                    "description": None,
                    "answer_type": "single_select",
                    "required": True,
                    "private": False,
                    "label": "Are you authorized to work where this role is based?",
                    "name": f"question_{90011 + index}",
                    "options": [{"id": 1, "label": "Yes"}, {"id": 2, "label": "No"}],
                },
            ],
        )
        recruiter = org.recruiters[index % len(org.recruiters)]
        coordinator = org.coordinators[index % len(org.coordinators)]
        for user_id in (recruiter, coordinator):
            rows.add(
                t.UserJobPermission,
                id=ids.next("user_job_permissions"),
                created_at=created,
                job_id=job_id,
                user_id=user_id,
                role_id=JOB_ADMIN_ROLE_ID,
            )
        pool = _panel_pool(org, dept, offices, all_interviewers)
        onsite = ONSITE[family][: 4 + (index % 2)] if len(ONSITE[family]) > 4 else ONSITE[family]
        plan: tuple[tuple[str, list[tuple[str, int | None, str, str | None]]], ...] = (
            ("Application Review", [("Application Review", None, "none", None)]),
            (
                "Phone Screen",
                [("Recruiter Phone Screen", 30, "needs_scheduling", "Motivation, logistics, salary.")],
            ),
            ("Onsite", [(n, m, "needs_scheduling", s) for n, m, s in onsite]),
            ("Offer", [("Offer", None, "offer", None)]),
        )
        stages: list[int] = []
        slots: dict[int, list[dict[str, Any]]] = {}
        for order, (stage_name, interviews) in enumerate(plan):
            stage_id = ids.next("job_interview_stages")
            stages.append(stage_id)
            rows.add(
                t.JobInterviewStage,
                id=stage_id,
                created_at=created,
                job_id=job_id,
                sort_order=order,
                name=stage_name,
            )
            slots[stage_id] = []
            for slot_order, (slot_name, minutes, scheduling, summary) in enumerate(interviews):
                ji_id = ids.next("job_interviews")
                scored = scheduling == "needs_scheduling"
                rows.add(
                    t.JobInterview,
                    id=ji_id,
                    created_at=created,
                    job_interview_stage_id=stage_id,
                    job_id=job_id,
                    sort_order=slot_order,
                    scheduling_type=scheduling,
                    duration=minutes,
                    summary=summary,
                    instructions=f"Use the {slot_name} kit; submit the scorecard within 24 hours."
                    if scored
                    else None,
                    name=slot_name,
                    require_scorecard=True if scored else None,
                )
                kit_id = ids.next("interview_kits")
                rows.add(
                    t.InterviewKit,
                    id=kit_id,
                    created_at=created,
                    job_id=job_id,
                    job_interview_id=ji_id,
                    exercises=f"<p>{summary}</p>" if summary else None,
                )
                defaults: list[int] = []
                if scored:
                    defaults = [recruiter] if slot_name == "Recruiter Phone Screen" else []
                    defaults += rng.sample(pool, rng.randint(2, 4) - len(defaults))
                    for user_id in defaults:
                        rows.add(
                            t.DefaultInterviewer,
                            id=ids.next("default_interviewers"),
                            created_at=created,
                            user_id=user_id,
                            interview_kit_id=kit_id,
                        )
                slots[stage_id].append(
                    {
                        "id": ji_id,
                        "kit": kit_id,
                        "minutes": minutes,
                        "defaults": defaults,
                        "scored": scored,
                        "name": slot_name,
                    }
                )
        org.jobs.append(
            {
                "id": job_id,
                "name": name,
                "stages": stages,
                "slots": slots,
                "post": post_id,
                "recruiter": recruiter,
                "coordinator": coordinator,
                "offices": list(offices),
                "status": status,
                "stage_names": [p[0] for p in plan],
            }
        )


def _seed_candidates(rng: random.Random, org: _Org, ids: _Ids, rows: _Rows, count: int) -> None:
    open_jobs = [j for j in org.jobs if j["status"] == "open"] or org.jobs
    zones = list(RAILS_TO_IANA)
    for n in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        cand_id = ids.next("candidates")
        created = _ago(org.anchor, rng, 1, 120)
        email = f"{first}.{last}.{n + 1}@{EMAIL_DOMAINS[n % len(EMAIL_DOMAINS)]}".lower()
        tags = rng.sample(
            ["referral", "2026-hiring", "silver-medalist", "remote-ok", "relocation"], rng.randint(0, 2)
        )
        salary = f"${rng.randrange(90, 260, 5)}k" if rng.random() < 0.4 else None
        candidate = rows.add(
            t.Candidate,
            id=cand_id,
            created_at=created,
            first_name=first,
            last_name=last,
            preferred_name=None,
            company=rng.choice(COMPANIES),
            title=rng.choice(CANDIDATE_TITLES),
            last_activity_at=created,
            private=rng.random() < 0.03,
            can_email=rng.random() > 0.02,
            time_zone=rng.choice(zones) if rng.random() > 0.1 else None,
            tags=tags,
            phone_numbers=[
                {"value": f"+1 555 01{rng.randrange(10, 99)} {rng.randrange(1000, 9999)}", "type": "mobile"}
            ],
            addresses=[],
            email_addresses=[{"value": email, "type": "personal"}],
            website_addresses=[],
            social_media_addresses=[
                {"value": f"https://www.linkedin.example/in/{first}-{last}-{n + 1}".lower()}
            ],
            custom_fields={
                "desired_salary": {"name": "Desired Salary", "type": "short_text", "value": salary}
            }
            if salary
            else {},
            ix_emails=pipe_index([email]),
            ix_tags=pipe_index(tags),
        )
        org.candidates += 1
        job = open_jobs[n % len(open_jobs)] if rng.random() < 0.5 else rng.choice(open_jobs)
        last_activity = _seed_application(rng, org, ids, rows, candidate, job, created)
        if rng.random() < 0.12:
            other = rng.choice([j for j in open_jobs if j is not job] or open_jobs)
            last_activity = max(
                last_activity,
                _seed_application(
                    rng, org, ids, rows, candidate, other, created + timedelta(days=1), fresh=True
                ),
            )
        candidate["last_activity_at"] = last_activity
        candidate["updated_at"] = last_activity


def _seed_application(
    rng: random.Random,
    org: _Org,
    ids: _Ids,
    rows: _Rows,
    candidate: dict[str, Any],
    job: dict[str, Any],
    applied: datetime,
    fresh: bool = False,
) -> datetime:
    app_id = ids.next("applications")
    org.applications += 1
    roll = 0.0 if fresh else rng.random()
    if roll > 0.97:  # prospect, no job yet
        rows.add(
            t.Application,
            id=app_id,
            created_at=applied,
            candidate_id=candidate["id"],
            prospect=True,
            status="in_process",
            source_id=org.sources[1],
            recruiter_id=job["recruiter"],
            last_activity_at=applied,
            prospective_job_ids=[job["id"]],
            ix_prospective_job_ids=pipe_index([job["id"]]),
            answers=None,
            custom_fields={},
            stage_name=None,
            needs_decision=False,
        )
        return applied
    target = (
        0
        if roll < 0.30
        else 1
        if roll < 0.52
        else 2
        if roll < 0.70
        else 3
        if roll < 0.80
        else rng.randint(0, 2)
    )
    outcome = "hired" if 0.76 <= roll < 0.80 else "rejected" if 0.80 <= roll <= 0.97 else "in_process"
    anchor = org.anchor
    span = max((anchor - applied).total_seconds(), 3600.0)
    entered = applied
    stage_row_id = 0
    for k in range(target + 1):
        if k:
            entered = entered + timedelta(seconds=rng.uniform(0.1, 0.3) * span / (target + 1))
            entered = min(entered, anchor - timedelta(minutes=5))
        stage_row_id = ids.next("application_stages")
        is_current = k == target
        exited = (
            None if is_current else entered + timedelta(seconds=rng.uniform(0.1, 0.3) * span / (target + 1))
        )
        exited = min(exited, anchor - timedelta(minutes=4)) if exited else None
        rows.add(
            t.ApplicationStage,
            id=stage_row_id,
            created_at=entered,
            updated_at=exited or entered,
            application_id=app_id,
            job_interview_stage_id=job["stages"][k],
            entered_at=entered,
            exited_at=exited,
            days_in_stage=max(((exited or anchor) - entered).days, 0),
            current=is_current,
        )
        if not is_current:
            entered = exited or entered
    last_activity = entered
    stage_id = job["stages"][target]
    recruiter, coordinator = job["recruiter"], job["coordinator"]
    app = rows.add(
        t.Application,
        id=app_id,
        created_at=applied,
        candidate_id=candidate["id"],
        coordinator_id=coordinator,
        job_id=job["id"],
        job_post_id=job["post"],
        recruiter_id=recruiter,
        referrer_id=None,
        source_id=rng.choice(org.sources),
        stage_id=stage_row_id,
        stage_name=job["stage_names"][target],
        status=outcome,
        needs_decision=False,
        prospect=False,
        location_address=OFFICE_LOCATIONS[rng.choice(job["offices"])],
        prospective_job_ids=[],
        answers=[{"question": "Are you authorized to work where this role is based?", "answer": "Yes"}],
        custom_fields={},
        job_interview_stage_id=stage_id,
    )
    first = candidate["first_name"]
    if rng.random() < 0.6:
        rows.add(
            t.Attachment,
            id=ids.next("attachments"),
            created_at=applied,
            application_id=app_id,
            candidate_id=candidate["id"],
            type="resume",
            filename=f"{first}_{candidate['last_name']}_Resume.pdf",
            url=f"https://sandbox-attachments.example/{app_id}/resume.pdf?X-Amz-Expires=604800&X-Amz-Signature=seed",
        )
    if rng.random() < 0.25:
        when = min(applied + timedelta(hours=rng.uniform(2, 72)), anchor - timedelta(minutes=1))
        body = rng.choice(NOTE_BODIES).format(first=first, skill=rng.choice(SKILLS))
        rows.add(
            t.Note,
            id=ids.next("notes"),
            created_at=when,
            candidate_id=candidate["id"],
            application_id=app_id,
            body=body,
            body_with_tags=body,
            type="NOTE",
            user_id=recruiter,
            visibility=rng.choice(("publicly_visible", "publicly_visible", "privately_visible")),
        )
        last_activity = max(last_activity, when)
    if rng.random() < 0.05:
        when = min(applied + timedelta(hours=rng.uniform(1, 48)), anchor - timedelta(minutes=1))
        email = candidate["email_addresses"][0]["value"]
        rows.add(
            t.Note,
            id=ids.next("notes"),
            created_at=when,
            candidate_id=candidate["id"],
            application_id=app_id,
            subject="Next steps with Acme",
            body=f"Hi {first}, thanks for applying! We'll be in touch.",
            type="EMAIL",
            user_id=recruiter,
            email_from=f"recruiting@{ORG_DOMAIN}",
            email_to=email,
            email_cc=[],
            visibility="publicly_visible",
            email_attachment_file_names=[],
        )
    if target >= 1 and outcome != "rejected":
        last_activity = max(last_activity, _seed_interviews(rng, org, ids, rows, app, job, target))
    if outcome == "rejected":
        rejected_at = min(entered + timedelta(days=rng.uniform(0.5, 5)), anchor - timedelta(minutes=2))
        app.update(
            status="rejected",
            rejected_at=rejected_at,
            stage_id=None,
            stage_name=None,
            job_interview_stage_id=None,
        )
        note_id = None
        if rng.random() < 0.5:
            note_id = ids.next("notes")
            rows.add(
                t.Note,
                id=note_id,
                created_at=rejected_at,
                candidate_id=candidate["id"],
                application_id=app_id,
                body="Rejected: not the right fit for the role at this time.",
                type="NOTE",
                user_id=recruiter,
                body_with_tags="Rejected: not the right fit for the role at this time.",
            )
        rows.add(
            t.RejectionDetail,
            id=ids.next("rejection_details"),
            created_at=rejected_at,
            application_id=app_id,
            rejected_by_id=recruiter,
            rejection_note_id=note_id,
            rejection_reason_id=rng.choice(org.reasons),
            rejected_at=rejected_at,
            question_custom_fields={},
        )
        last_activity = max(last_activity, rejected_at)
    if target == 3:
        sent = (entered + timedelta(days=1)).date()
        starts = (anchor + timedelta(days=rng.randint(14, 45))).date()
        base = {
            "application_id": app_id,
            "job_id": job["id"],
            "candidate_id": candidate["id"],
            "sent_on": sent,
            "starts_on": starts,
            "custom_fields": {
                "base_salary": {
                    "name": "Base Salary",
                    "type": "currency",
                    "value": {"amount": rng.randrange(100, 250) * 1000, "unit": "USD"},
                }
            },
        }
        if outcome == "hired":
            rows.add(
                t.Offer,
                id=ids.next("offers"),
                created_at=entered,
                version=1,
                status="Deprecated",
                is_current=False,
                **base,
            )
            resolved = min(entered + timedelta(days=3), anchor - timedelta(minutes=1))
            rows.add(
                t.Offer,
                id=ids.next("offers"),
                created_at=entered + timedelta(days=1),
                updated_at=resolved,
                version=2,
                status="Accepted",
                resolved_at=resolved,
                **base,
            )
        else:
            rows.add(t.Offer, id=ids.next("offers"), created_at=entered, version=1, status="Created", **base)
    app["last_activity_at"] = last_activity
    app["updated_at"] = max(last_activity, applied)
    return last_activity


def _slot_time(rng: random.Random, anchor: datetime, days_ahead: int, hour_utc: int) -> datetime:
    return anchor + timedelta(days=days_ahead, hours=hour_utc)


def _seed_interviews(
    rng: random.Random,
    org: _Org,
    ids: _Ids,
    rows: _Rows,
    app: dict[str, Any],
    job: dict[str, Any],
    target: int,
) -> datetime:
    """Phone screens done for later stages, some scheduled in the future for the current stage."""
    anchor = org.anchor
    last = anchor - timedelta(days=30)
    phone_stage = job["stages"][1]
    onsite_stage = job["stages"][2]
    plans: list[tuple[dict[str, Any], str, datetime]] = []
    phone = job["slots"][phone_stage][0]
    if target >= 2:
        plans.append((phone, "complete", anchor - timedelta(days=rng.randint(5, 20), hours=-15)))
    elif rng.random() < 0.4:
        plans.append(
            (phone, "scheduled", _slot_time(rng, anchor, rng.randint(1, 7), rng.choice((9, 14, 15, 16))))
        )
    if target == 2 and rng.random() < 0.2:
        start = _slot_time(rng, anchor, rng.randint(2, 10), 14)
        for slot in job["slots"][onsite_stage]:
            plans.append((slot, "scheduled", start))
            start = start + timedelta(minutes=slot["minutes"] or 60)
    for slot, status, starts in plans:
        interview_id = ids.next("interviews")
        minutes = slot["minutes"] or 60
        scheduled_at = min(starts - timedelta(days=3), anchor - timedelta(hours=1))
        rows.add(
            t.Interview,
            id=interview_id,
            created_at=scheduled_at,
            updated_at=scheduled_at,
            job_id=job["id"],
            application_id=app["id"],
            job_interview_id=slot["id"],
            starts_at=starts,
            ends_at=starts + timedelta(minutes=minutes),
            location="Video call",
            status=status,
            organizer_id=job["coordinator"],
            scheduled_at=scheduled_at,
            external_event_id=f"seed-{interview_id}",
            video_conferencing_url=f"https://meet.example/{interview_id}",
        )
        panel = slot["defaults"][:1] if slot["name"] == "Recruiter Phone Screen" else slot["defaults"][:2]
        for user_id in panel:
            scorecard_id = ids.next("scorecards")
            complete = status == "complete"
            rows.add(
                t.Scorecard,
                id=scorecard_id,
                created_at=scheduled_at,
                updated_at=scheduled_at,
                interview_kit_id=slot["kit"],
                interviewer_id=user_id,
                interviewed_at=starts,
                notes="Solid communication and clear reasoning." if complete else None,
                notes_with_tags="Solid communication and clear reasoning." if complete else None,
                submitter_id=user_id,
                candidate_rating=rng.choice(("yes", "strong_yes", "no")) if complete else None,
                status="complete" if complete else "draft",
                application_id=app["id"],
                submitted_at=starts + timedelta(hours=3) if complete else None,
            )
            rows.add(
                t.Interviewer,
                id=ids.next("interviewers"),
                created_at=scheduled_at,
                updated_at=scheduled_at,
                interview_id=interview_id,
                user_id=user_id,
                scorecard_id=scorecard_id,
                email=org.emails.get(user_id) or None,
                response_status=rng.choice(("accepted", "accepted", "needs_action", "tentative")),
            )
        last = max(last, min(scheduled_at, anchor))
    return last
