"""`hireflow doctor`: does this installation work end to end, and if not, what to fix where.

Checks, each light and without side effects in Greenhouse:
- every Harvest scope the features need. Reads: `GET /v3/<resource>?per_page=1`. Writes: the write
  endpoint with an empty body (or id 0), which Greenhouse refuses with 403 before it validates
  anything when the scope is missing, and with 400/404/422 when the scope is there;
- the webhook path: a signed `ping` to the web app's `/webhooks/greenhouse` must be answered 200, and
  an unsigned one 401 (a secret that does not match would make Greenhouse's deliveries fail);
- Temporal, the SMTP relay, CalDAV and the assessment provider reachable.
`--test-candidate` (the partners' "test integration" button) creates a clearly marked candidate with
a résumé on an application, reads it back and anonymizes it, reporting each step.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import httpx

from integrations.greenhouse.client import HarvestClient
from integrations.greenhouse.errors import (
    BadRequestError,
    HarvestError,
    MissingScopeError,
    NotFoundError,
    ValidationError,
)
from models.settings import Settings

Status = Literal["ok", "fail", "skip"]


@dataclass(frozen=True)
class CheckResult:
    check: str
    status: Status
    detail: str = ""
    fix: str = ""


@dataclass(frozen=True)
class ScopeProbe:
    scope: str
    method: str
    path: str
    features: tuple[str, ...]


def _read(resource: str, *features: str) -> ScopeProbe:
    return ScopeProbe(f"harvest:{resource}:list", "GET", f"/v3/{resource}", features)


def _write(scope: str, method: str, path: str, *features: str) -> ScopeProbe:
    return ScopeProbe(scope, method, path, features)


S, A, M, Y, P = "scheduling", "assessments", "mention watch", "mirror", "email log"
SRC, ERASE = "sourcing", "erasure and retention"
# What each feature calls (activities/greenhouse.py, activities/assessments.py, activities/mentions.py,
# integrations/mirror_resources.py, integrations/mail/profile_drain.py).
SCOPE_PROBES: tuple[ScopeProbe, ...] = (
    _read("applications", S, A, M, Y),
    _read("candidates", S, A, M, Y),
    _read("jobs", S, A, Y),
    _read("job_interview_stages", S, A, Y),
    _read("job_interviews", S, Y),
    _read("interview_kits", S),
    _read("default_interviewers", S),
    _read("interviews", S, Y),
    _read("interviewers", S),
    _read("users", S, A, M, Y),
    _read("offices", S, Y),
    _read("departments", Y),
    _read("notes", M, P),
    _read("application_stages", S, Y),
    _read("custom_fields", A, Y),
    _read("sources", Y),
    _read("candidate_tags", Y),
    _write("harvest:notes:create", "POST", "/v3/notes", S, A, M, P),
    _write("harvest:interviews:create", "POST", "/v3/interviews", S),
    _write("harvest:interviews:update", "PATCH", "/v3/interviews/0", S),
    _write("harvest:interviews:destroy", "DELETE", "/v3/interviews/0", S),
    _write("harvest:applications:update", "PATCH", "/v3/applications/0", A),
    _write("harvest:applications:move", "POST", "/v3/applications/0/move", A),
    _write("harvest:applications:reject", "POST", "/v3/applications/0/reject", A),
    _write("harvest:candidates:create", "POST", "/v3/candidates", SRC),
    _write("harvest:applications:create", "POST", "/v3/applications", SRC),
    _write("harvest:attachments:create", "POST", "/v3/attachments", SRC),
    _write("harvest:candidate_tags:create", "POST", "/v3/candidate_tags", SRC),
    _write("harvest:applied_candidate_tags:create", "POST", "/v3/applied_candidate_tags", SRC),
    _write("harvest:candidates:anonymize", "PATCH", "/v3/candidates/0/anonymize", ERASE),
)

TEST_CANDIDATE_SCOPES = (
    "harvest:candidates:create",
    "harvest:applications:create",
    "harvest:attachments:create",
    "harvest:candidates:list",
    "harvest:applications:list",
    "harvest:attachments:list",
    "harvest:candidates:anonymize",
)


def scope_fix(scope: str) -> str:
    return (
        f"Greenhouse: Configure > Dev Center > API Credential Management > the Harvest v3 credential: "
        f"grant {scope}"
    )


async def probe_scope(harvest: HarvestClient, probe: ScopeProbe) -> CheckResult:
    """403 → the scope is missing; any other answer means Greenhouse let the request past its scope check."""
    name = f"scope {probe.scope}"
    used_by = f"needed by {', '.join(probe.features)}"
    transport = harvest.transport
    try:
        if probe.method == "GET":
            await transport.request(
                "GET", transport.url(probe.path), sub=harvest.user_id, params={"per_page": "1"}
            )
        else:
            await transport.request(probe.method, transport.url(probe.path), sub=harvest.user_id, json={})
    except MissingScopeError as error:
        return CheckResult(name, "fail", f"403: missing ({used_by})", scope_fix(error.scope))
    except (ValidationError, NotFoundError, BadRequestError):
        return CheckResult(name, "ok", f"granted ({used_by})")
    except HarvestError as error:
        return CheckResult(name, "fail", f"{type(error).__name__}: {error}", "check the Harvest credential")
    return CheckResult(name, "ok", f"granted ({used_by})")


async def check_scopes(
    harvest: HarvestClient, probes: Sequence[ScopeProbe] = SCOPE_PROBES
) -> list[CheckResult]:
    token = await check_token(harvest)
    if token.status != "ok":
        return [token]
    return [token, *[await probe_scope(harvest, p) for p in probes]]


async def check_token(harvest: HarvestClient) -> CheckResult:
    """The credential itself: a token is issued (a wrong secret fails every other check)."""
    try:
        await harvest.transport.request(
            "GET", harvest.transport.url("/v3/users"), sub=harvest.user_id, params={"per_page": "1"}
        )
    except MissingScopeError:
        pass  # the token worked; the scope checks say the rest
    except HarvestError as error:
        return CheckResult(
            "greenhouse credential",
            "fail",
            f"{type(error).__name__}: {error}",
            "set HIREFLOW_GREENHOUSE_CLIENT_ID/_CLIENT_SECRET to a Harvest v3 credential (Dev Center)",
        )
    return CheckResult("greenhouse credential", "ok", "token issued")


async def check_webhook(settings: Settings, http: httpx.AsyncClient) -> CheckResult:
    """A signed ping must reach the web app and be answered 200; an unsigned one must be refused."""
    from web.webhooks import sign_body

    url = f"{settings.web_base_url.rstrip('/')}/webhooks/greenhouse"
    body = json.dumps({"action": "ping", "payload": {"hireflow_doctor": True}}).encode()
    secret = settings.greenhouse_webhook_secret.get_secret_value()
    headers = {"content-type": "application/json"}
    try:
        signed = await http.post(url, content=body, headers={**headers, "Signature": sign_body(body, secret)})
        unsigned = await http.post(url, content=body, headers=headers)
    except httpx.HTTPError as error:
        return CheckResult(
            "webhook path", "fail", f"{url} unreachable: {type(error).__name__}", "start `hireflow web`"
        )
    if unsigned.status_code == 200:
        return CheckResult(
            "webhook path", "fail", "unsigned post accepted", "the web app must check signatures"
        )
    if signed.status_code != 200:
        return CheckResult(
            "webhook path",
            "fail",
            f"signed ping answered {signed.status_code}",
            "Greenhouse: Configure > Dev Center > Web Hooks: the Secret Key must equal "
            "HIREFLOW_GREENHOUSE_WEBHOOK_SECRET; endpoint " + url,
        )
    return CheckResult("webhook path", "ok", f"signed ping answered 200 at {url}")


async def check_temporal(settings: Settings) -> CheckResult:
    from datetime import timedelta

    from workers.client import connect

    try:
        client = await asyncio.wait_for(connect(settings), timeout=5)
        healthy = await client.service_client.check_health(timeout=timedelta(seconds=3))
    except Exception as error:  # any failure to reach it is the answer
        return CheckResult(
            "temporal", "fail", f"{settings.temporal_address}: {type(error).__name__}", "start Temporal"
        )
    return CheckResult("temporal", "ok" if healthy else "fail", settings.temporal_address)


async def check_smtp(settings: Settings) -> CheckResult:
    import aiosmtplib

    smtp = aiosmtplib.SMTP(
        hostname=settings.smtp_host, port=settings.smtp_port, timeout=5, use_tls=settings.smtp_ssl
    )
    target = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        await smtp.connect()
        await smtp.noop()
        await smtp.quit()
    except (aiosmtplib.SMTPException, OSError) as error:
        return CheckResult("smtp relay", "fail", f"{target}: {type(error).__name__}", "check HIREFLOW_SMTP_*")
    return CheckResult("smtp relay", "ok", target)


async def check_http(name: str, url: str, http: httpx.AsyncClient, fix: str) -> CheckResult:
    """Reachable = an HTTP answer below 500 (401/404 still prove the server is there)."""
    try:
        response = await http.get(url)
    except httpx.HTTPError as error:
        return CheckResult(name, "fail", f"{url}: {type(error).__name__}", fix)
    if response.status_code >= 500:
        return CheckResult(name, "fail", f"{url} answered {response.status_code}", fix)
    return CheckResult(name, "ok", url)


async def run_checks(settings: Settings, harvest: HarvestClient) -> list[CheckResult]:
    """Every check, in table order."""
    results = await check_scopes(harvest)
    async with httpx.AsyncClient(timeout=5) as http:
        results.append(await check_webhook(settings, http))
        results.append(await check_temporal(settings))
        results.append(await check_smtp(settings))
        if settings.calendar_provider == "caldav":
            results.append(await check_http("caldav", settings.caldav_url, http, "check HIREFLOW_CALDAV_URL"))
        else:
            results.append(
                CheckResult("caldav", "skip", f"calendar provider is {settings.calendar_provider}")
            )
        results.append(
            await check_http(
                "assessment provider", settings.assessment_sandbox_url, http, "check HIREFLOW_ASSESSMENT_*"
            )
        )
    return results


# -- the test candidate -------------------------------------------------------------------------------

RESUME_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


async def run_test_candidate(harvest: HarvestClient) -> list[CheckResult]:
    """Create a marked candidate with a résumé on an application, read it back, anonymize it."""
    from models.greenhouse import (
        AddAttachment,
        AnonymizeCandidate,
        AnonymizeField,
        CreateCandidate,
        EmailAddressInput,
        FirstApplication,
    )

    steps: list[CheckResult] = []

    async def step(name: str, action: Callable[[], Awaitable[str]]) -> bool:
        try:
            detail = await action()
        except MissingScopeError as error:
            steps.append(CheckResult(name, "fail", "403: missing scope", scope_fix(error.scope)))
            return False
        except HarvestError as error:
            steps.append(CheckResult(name, "fail", f"{type(error).__name__}: {error}"))
            return False
        steps.append(CheckResult(name, "ok", detail))
        return True

    state: dict[str, int] = {}

    async def find_job() -> str:
        jobs = await harvest.list_jobs(status="open", per_page=1).collect()
        if not jobs:
            raise HarvestError("no open job to apply the test candidate to")
        state["job"] = jobs[0].id
        return f"job {jobs[0].id}"

    async def create() -> str:
        cand = await harvest.create_candidate(
            CreateCandidate(
                first_name="Hireflow Test",
                last_name="DELETE ME",
                email_addresses=[EmailAddressInput(value="hireflow-doctor@example.invalid", type="other")],
                tags=["hireflow-doctor-test"],
                application=FirstApplication(job_id=state["job"]),
            )
        )
        state["candidate"] = cand.id
        [app] = await harvest.list_applications(candidate_ids=[cand.id]).collect()
        state["application"] = app.id
        return f"candidate {cand.id}, application {app.id}"

    async def resume() -> str:
        attachment = await harvest.add_attachment(
            AddAttachment.from_bytes(
                application_id=state["application"],
                filename="hireflow-test-resume.pdf",
                data=RESUME_PDF,
                type="resume",
            )
        )
        return f"attachment {attachment.id}"

    async def read_back() -> str:
        cand = await harvest.get_candidate(state["candidate"])
        apps = await harvest.list_applications(candidate_ids=[cand.id]).collect()
        files = await harvest.list_attachments(application_ids=[state["application"]]).collect()
        if cand.last_name != "DELETE ME" or not apps or not any(f.type == "resume" for f in files):
            raise HarvestError("the candidate read back differs from what was written")
        return "candidate, application and résumé read back"

    async def remove() -> str:
        fields: list[AnonymizeField] = ["full_name", "email_addresses", "attachments"]
        await harvest.anonymize_candidate(state["candidate"], AnonymizeCandidate(fields=fields))
        return f"candidate {state['candidate']} anonymized"

    for name, action in (
        ("find an open job", find_job),
        ("create test candidate", create),
        ("attach résumé", resume),
        ("read it back", read_back),
    ):
        if not await step(name, action):
            break
    if "candidate" in state:
        await step("remove test candidate", remove)
    return steps


# -- output ---------------------------------------------------------------------------------------------


def failed(results: Sequence[CheckResult]) -> bool:
    return any(r.status == "fail" for r in results)


def render_table(results: Sequence[CheckResult]) -> str:
    header = ("CHECK", "STATUS", "DETAIL", "WHAT TO FIX")
    rows = [(r.check, r.status.upper(), r.detail, r.fix) for r in results]
    widths = [max(len(c) for c in column) for column in zip(header, *rows, strict=False)]
    widths[-1] = 0
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in (header, *rows)
    )


def render_json(results: Sequence[CheckResult]) -> str:
    return json.dumps({"ok": not failed(results), "checks": [asdict(r) for r in results]}, indent=2)
