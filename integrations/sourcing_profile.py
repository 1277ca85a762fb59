"""Where a sourced prospect goes and what history it carries: names resolved to Greenhouse's ids.

Sources know pools, stages, schools and degrees by name; Harvest wants ids (a prospect pool and pool
stage; custom field options for school, degree and discipline). Lookups are listed once per activity
worker and matched ignoring case and spacing. What cannot be matched is never invented: a pool that
does not exist fails the row before anything is created (`SourcingRowError`); an education whose school
is not on Greenhouse's list is left out and named in the row's report, as is a write refused for a
missing scope, so the recruiter sees every gap.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass

from integrations.greenhouse.client import HarvestClient
from integrations.greenhouse.errors import (
    BadRequestError,
    ForbiddenError,
    HarvestError,
    MissingScopeError,
    NotFoundError,
    ValidationError,
)
from models.greenhouse import AddEducation, AddEmployment
from models.sourcing import EducationInput, EmploymentInput, PoolRef, SourcedCandidate

EDUCATION_KEYS = (("school", "school_name"), ("degree", "degree"), ("discipline", "discipline"))


class SourcingRowError(ValueError):
    """The row names something Greenhouse does not have (a prospect pool or stage): no retry can help."""


@dataclass(frozen=True)
class ProspectPlace:
    """A prospect's pool and pool stage ids (None: Greenhouse's default, no pool or the pool's first stage)."""

    pool_id: int | None = None
    stage_id: int | None = None


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


def _match(ref: PoolRef, named: dict[str, int], ids: set[int]) -> int | None:
    """By id, or by name; a name of ASCII digits (a CSV cell) that names nothing is tried as an id."""
    if isinstance(ref, int):
        return ref if ref in ids else None
    found = named.get(_key(ref))
    digits = ref.strip()
    if found is None and digits.isascii() and digits.isdecimal() and int(digits) in ids:
        return int(digits)
    return found


class SourcingProfile:
    """Resolves and writes a sourced candidate's placement and history, acting as the row's recruiter."""

    def __init__(self, harvest: HarvestClient) -> None:
        self.harvest = harvest
        self._pools: dict[str, int] | None = None
        self._pool_ids: set[int] = set()  # every active pool's id (names may repeat; ids do not)
        self._options: dict[str, dict[str, int]] | None = None

    async def place(self, candidate: SourcedCandidate) -> ProspectPlace:
        """The row's pool and stage as ids; `SourcingRowError` naming the field when one does not exist."""
        if candidate.prospect_pool is None:
            return ProspectPlace()
        pool_id = _match(candidate.prospect_pool, *await self._pool_index(fresh=False))
        if pool_id is None:  # perhaps created since the list was read: read it once more before refusing
            pool_id = _match(candidate.prospect_pool, *await self._pool_index(fresh=True))
        if pool_id is None:
            raise SourcingRowError("prospect_pool: no active prospect pool of that name or id in Greenhouse")
        if candidate.prospect_stage is None:
            return ProspectPlace(pool_id)
        stages = await self.harvest.list_prospect_pool_stages(prospect_pool_ids=[pool_id]).collect()
        stage_id = _match(
            candidate.prospect_stage, {_key(s.name or ""): s.id for s in stages}, {s.id for s in stages}
        )
        if stage_id is None:
            raise SourcingRowError("prospect_stage: not a stage of that prospect pool")
        return ProspectPlace(pool_id, stage_id)

    async def _pool_index(self, *, fresh: bool) -> tuple[dict[str, int], set[int]]:
        if self._pools is None or fresh:
            pools = await self.harvest.list_prospect_pools(active=True).collect()
            self._pools = {_key(p.name or ""): p.id for p in pools}
            self._pool_ids = {p.id for p in pools}
        return self._pools, self._pool_ids

    async def write_history(self, candidate_id: int, candidate: SourcedCandidate) -> list[str]:
        """Add the row's educations and employments the profile lacks; what was left out, field by field.

        Runs after the candidate exists, so nothing here may fail the row: a refusal no retry can fix
        (a missing scope, a 4xx) becomes a report line; throttling and outages are raised, for a retry."""
        notes: list[str] = []
        if candidate.educations:
            notes += await _reported(
                "educations", self._educations(candidate_id, candidate.educations, candidate.recruiter_id)
            )
        if candidate.employments:
            notes += await _reported(
                "employments", self._employments(candidate_id, candidate.employments, candidate.recruiter_id)
            )
        return notes

    async def _educations(
        self, candidate_id: int, educations: list[EducationInput], as_user: int | None
    ) -> list[str]:
        notes: list[str] = []
        present = {
            (
                e.school_name_custom_field_option_id,
                e.degree_custom_field_option_id,
                e.discipline_custom_field_option_id,
                e.start_date_year,
            )
            for e in await self.harvest.list_candidate_educations(candidate_ids=[candidate_id]).collect()
        }
        options = await self._education_options(fresh=False)
        if any(  # a name the cached lists lack may have been added since: read them once more
            (name := getattr(e, field)) and _key(name) not in options.get(key, {})
            for e in educations
            for field, key in EDUCATION_KEYS
        ):
            options = await self._education_options(fresh=True)
        for n, education in enumerate(educations):
            chosen: dict[str, int | None] = {}
            missing = []
            for field, key in EDUCATION_KEYS:
                name = getattr(education, field)
                chosen[key] = options.get(key, {}).get(_key(name)) if name else None
                if name and chosen[key] is None:
                    missing.append(f"educations.{n}.{field}")
            if missing:
                notes.append(f"{', '.join(missing)} not on Greenhouse's list: that education was not added")
                continue
            year = education.start_date.year if education.start_date else None
            if (chosen["school_name"], chosen["degree"], chosen["discipline"], year) in present:
                continue  # already on the profile (a matched person, or a retry)
            data = AddEducation(
                candidate_id=candidate_id,
                school_name_custom_field_option_id=chosen["school_name"],
                degree_custom_field_option_id=chosen["degree"],
                discipline_custom_field_option_id=chosen["discipline"],
                start_date=education.start_date,
                end_date=education.end_date,
            )
            refused = await _refused(self.harvest.add_education(data, as_user=as_user))
            if refused:
                notes.append(f"educations.{n} not added: {refused}")
            else:
                present.add((chosen["school_name"], chosen["degree"], chosen["discipline"], year))
        return notes

    async def _employments(
        self, candidate_id: int, employments: list[EmploymentInput], as_user: int | None
    ) -> list[str]:
        notes: list[str] = []
        present = {
            (_key(e.company_name or ""), _key(e.title or ""), e.start_date)
            for e in await self.harvest.list_candidate_employments(candidate_ids=[candidate_id]).collect()
        }
        for n, job in enumerate(employments):
            if (_key(job.company), _key(job.title), job.start_date) in present:
                continue
            data = AddEmployment(
                candidate_id=candidate_id,
                company_name=job.company,
                title=job.title,
                start_date=job.start_date,
                end_date=job.end_date,
            )
            refused = await _refused(self.harvest.add_employment(data, as_user=as_user))
            if refused:
                notes.append(f"employments.{n} not added: {refused}")
            else:
                present.add((_key(job.company), _key(job.title), job.start_date))
        return notes

    async def _education_options(self, *, fresh: bool) -> dict[str, dict[str, int]]:
        """School, degree and discipline options by name, from the candidate custom fields that hold them."""
        if self._options is None or fresh:
            keys = {key for _, key in EDUCATION_KEYS}
            fields = await self.harvest.list_custom_fields(field_type="candidate").collect()
            by_field = {f.id: f.internal_type for f in fields if f.internal_type in keys}
            options: dict[str, dict[str, int]] = {key: {} for key in keys}
            if by_field:
                listed = await self.harvest.list_custom_field_options(
                    custom_field_ids=sorted(by_field), active=True
                ).collect()
                for option in listed:
                    key = by_field.get(option.custom_field_id or 0)
                    if key and option.name:
                        options[key].setdefault(_key(option.name), option.id)
            self._options = options
        return self._options


REFUSALS = (ForbiddenError, NotFoundError, ValidationError, BadRequestError)  # no retry changes these


def _refusal(exc: HarvestError) -> str:
    if isinstance(exc, MissingScopeError):
        return f"the API credential lacks the scope {exc.scope}"
    return f"Greenhouse refused it ({exc.message})"


async def _refused(write: Awaitable[object]) -> str | None:
    """Await one history write; Greenhouse's refusal as a report line, else None."""
    try:
        await write
    except REFUSALS as exc:
        return _refusal(exc)
    return None


async def _reported(what: str, step: Awaitable[list[str]]) -> list[str]:
    """A history step whose reads Greenhouse refused (a scope, a 4xx) is one report line, not a failed row."""
    try:
        return await step
    except REFUSALS as exc:
        return [f"{what} not added: {_refusal(exc)}"]
