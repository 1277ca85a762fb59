"""Unit tests of the Harvest v3 client core over `httpx.MockTransport` (no network)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr
from pydantic import ValidationError as PydanticValidationError

from integrations.greenhouse import (
    AuthError,
    ForbiddenError,
    HarvestClient,
    HarvestConnectionError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TimeRange,
    UnsafeLinkError,
    ValidationError,
)
from integrations.greenhouse.auth import TokenCache, parse_token_response, token_lifetime
from integrations.greenhouse.query import build_params, chunk_id_filters
from integrations.greenhouse.ratelimit import RateLimiter, WindowState, parse_rate_headers
from models.greenhouse import AddNote, Application, CreateInterview, MoveApplication, UpdateCandidate

BASE = "https://harvest.test"
TOKEN_URL = "https://auth.test/token"
NOW = 1_800_000_000.0


class FakeClock:
    """Wall clock plus a sleep that advances it instantly."""

    def __init__(self, start: float = NOW) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


Handler = Callable[[httpx.Request], httpx.Response]


class FakeHarvest:
    """A scripted Harvest: token endpoint plus an `api` handler; records every request."""

    def __init__(self, api: Handler, token_body: Callable[[int], dict[str, Any]] | None = None) -> None:
        self.api = api
        self.token_body = token_body or (lambda n: {"access_token": f"tok-{n}", "expires_in": 3600})
        self.mints = 0
        self.token_forms: list[dict[str, list[str]]] = []
        self.api_requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            self.mints += 1
            assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"cid:secret").decode()
            self.token_forms.append(parse_qs(request.content.decode()))
            return httpx.Response(200, json={"token_type": "Bearer", **self.token_body(self.mints)})
        self.api_requests.append(request)
        return self.api(request)


def make_client(fake: FakeHarvest, clock: FakeClock | None = None, **kwargs: Any) -> HarvestClient:
    clock = clock or FakeClock()
    client = HarvestClient(
        base_url=BASE,
        token_url=TOKEN_URL,
        client_id="cid",
        client_secret="secret",
        user_id=99,
        transport=httpx.MockTransport(fake),
        rate_limiter=RateLimiter(clock=clock, sleep=clock.sleep),
        **kwargs,
    )
    client.transport._sleep = clock.sleep  # no real backoff sleeps in unit tests
    return client


def page(items: list[dict[str, Any]], next_url: str | None = None, status: int = 200) -> httpx.Response:
    headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
    return httpx.Response(status, json=items, headers=headers)


# ------------------------------------------------------------------------------------------- tokens


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"expires_at": "2027-01-15T09:00:00.000Z"}, datetime(2027, 1, 15, 9, tzinfo=UTC).timestamp() - NOW),
        ({"expires_at": "2027-01-15T09:00:00+0000"}, datetime(2027, 1, 15, 9, tzinfo=UTC).timestamp() - NOW),
        ({"expires_at": "2027-01-15T10:00:00+01:00"}, datetime(2027, 1, 15, 9, tzinfo=UTC).timestamp() - NOW),
        ({"expires_in": 1800}, 1800.0),
        ({"expires_in": "900"}, 900.0),
        ({"expires": "3600"}, 3600.0),
        ({"expires": "2027-01-15T09:00:00Z"}, datetime(2027, 1, 15, 9, tzinfo=UTC).timestamp() - NOW),
        ({}, 3600.0),
        ({"expires_at": "soon"}, 3600.0),
        ({"expires_at": "2020-01-01T00:00:00Z", "expires_in": 1200}, 1200.0),  # clock skew
        ({"expires_at": "2020-01-01T00:00:00Z"}, 3600.0),
        (
            {"expires_at": "2027-01-15T09:00:00.000Z", "expires_in": 5},
            datetime(2027, 1, 15, 9, tzinfo=UTC).timestamp() - NOW,
        ),
    ],
)
def test_token_lifetime_variants(body: dict[str, Any], expected: float) -> None:
    assert token_lifetime(body, NOW) == pytest.approx(expected)


def test_token_response_without_access_token_is_an_auth_error() -> None:
    with pytest.raises(AuthError, match="access_token"):
        parse_token_response({"token_type": "Bearer"}, sub=1, now=NOW)
    with pytest.raises(AuthError, match="token_type"):
        parse_token_response({"token_type": "mac", "access_token": "x"}, sub=1, now=NOW)
    token = parse_token_response({"access_token": "sekrit", "expires_in": 60}, sub=1, now=NOW)
    assert "sekrit" not in repr(token)


async def test_token_minted_once_under_concurrency_per_sub() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.02)
        return httpx.Response(
            200,
            json={"access_token": f"t-{parse_qs(request.content.decode()).get('sub')}", "expires_in": 3600},
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        cache = TokenCache(http, token_url=TOKEN_URL, client_id="cid", client_secret=SecretStr("secret"))
        tokens = await asyncio.gather(
            *(cache.get(7) for _ in range(20)), *(cache.get(None) for _ in range(5))
        )
    assert cache.mint_count == 2
    assert {t.value for t in tokens[:20]} == {"t-['7']"}
    assert {t.value for t in tokens[20:]} == {"t-None"}


async def test_token_form_and_refresh_before_expiry() -> None:
    clock = FakeClock()
    fake = FakeHarvest(lambda r: page([]))
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake)) as http:
        cache = TokenCache(
            http, token_url=TOKEN_URL, client_id="cid", client_secret=SecretStr("secret"), clock=clock
        )
        first = await cache.get(42)
        assert fake.token_forms == [{"grant_type": ["client_credentials"], "sub": ["42"]}]
        clock.now += 3600 - 61
        assert await cache.get(42) is first
        clock.now += 2  # inside the 60 s refresh margin
        second = await cache.get(42)
        assert second.value != first.value and fake.mints == 2
        await cache.get(None)
        assert fake.token_forms[-1] == {"grant_type": ["client_credentials"]}


async def test_short_lived_tokens_are_still_used() -> None:
    clock = FakeClock()
    fake = FakeHarvest(lambda r: page([]), token_body=lambda n: {"access_token": f"t{n}", "expires_in": 30})
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake)) as http:
        cache = TokenCache(
            http, token_url=TOKEN_URL, client_id="cid", client_secret=SecretStr("secret"), clock=clock
        )
        token = await cache.get(1)
        clock.now += 10
        assert await cache.get(1) is token
        clock.now += 6  # past half the lifetime
        assert (await cache.get(1)).value == "t2"


async def test_token_endpoint_refusal_is_auth_error_without_secret() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client"})

    async with HarvestClient(
        base_url=BASE,
        token_url=TOKEN_URL,
        client_id="cid",
        client_secret="topsecret",
        transport=httpx.MockTransport(handler),
        rate_limiter=RateLimiter(),
    ) as gh:
        with pytest.raises(AuthError, match="invalid_client") as info:
            await gh.list_jobs().collect()
    assert "topsecret" not in str(info.value)


async def test_401_remints_once_and_retries_once() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer tok-1":
            return httpx.Response(
                401, json={"message": "Unauthorized", "errors": ["Token could not be decoded."]}
            )
        return page([{"id": 1}])

    fake = FakeHarvest(api)
    async with make_client(fake) as gh:
        assert [j.id for j in await gh.list_jobs().collect()] == [1]
    assert fake.mints == 2 and len(fake.api_requests) == 2


async def test_persistent_401_raises_auth_error_after_one_retry() -> None:
    fake = FakeHarvest(lambda r: httpx.Response(401, json={"message": "Unauthorized", "errors": ["expired"]}))
    async with make_client(fake) as gh:
        with pytest.raises(AuthError) as info:
            await gh.list_jobs().collect()
    assert fake.mints == 2 and len(fake.api_requests) == 2
    err = info.value
    assert (err.status, err.method, err.path, err.errors) == (401, "GET", "/v3/jobs", ["expired"])
    assert "tok-" not in str(err)


# --------------------------------------------------------------------------------------- pagination


async def test_follows_link_verbatim_and_sends_per_page_only_first() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        if cursor is None:
            return page([{"id": 5}, {"id": 4}], f"{BASE}/v3/applications?cursor=abc%3D%3D")
        if cursor == "abc==":
            return page([{"id": 3}, {"id": 2}], "/v3/applications?cursor=def")  # relative link
        return page([{"id": 1}])

    fake = FakeHarvest(api)
    async with make_client(fake) as gh:
        listing = gh.list_applications(status="active", per_page=2)
        ids = [a.id async for a in listing]
    assert ids == [5, 4, 3, 2, 1]
    assert listing.pages == 3
    first, second, third = fake.api_requests
    assert dict(first.url.params) == {"status": "active", "per_page": "2"}
    assert str(second.url) == f"{BASE}/v3/applications?cursor=abc%3D%3D"
    assert dict(third.url.params) == {"cursor": "def"}


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.test/v3/jobs?cursor=x",
        "http://harvest.test/v3/jobs?cursor=x",
        "https://harvest.test:8443/v3/jobs?cursor=x",
    ],
)
async def test_off_origin_next_link_is_refused(link: str) -> None:
    fake = FakeHarvest(lambda r: page([{"id": 1}], link))
    async with make_client(fake) as gh:
        with pytest.raises(UnsafeLinkError):
            await gh.list_jobs().collect()
    assert len(fake.api_requests) == 1


async def test_id_lists_are_chunked_by_50_and_merged_without_duplicates() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        ids = [int(i) for i in request.url.params["office_ids"].split(",")]
        # user 1 sits in every office, so every chunk returns it
        return page([{"id": 1000 + i} for i in ids] + [{"id": 1}])

    fake = FakeHarvest(api)
    async with make_client(fake) as gh:
        users = await gh.list_users(office_ids=[*range(120), 3, 3]).collect()
    sizes = [len(r.url.params["office_ids"].split(",")) for r in fake.api_requests]
    assert sizes == [50, 50, 20]
    assert len(users) == 121 and len({u.id for u in users}) == 121


def test_chunking_takes_the_product_of_id_lists_and_empty_means_nothing() -> None:
    combos = list(chunk_id_filters({"candidate_ids": list(range(60)), "job_ids": [1, 2], "status": "active"}))
    assert [len(c["candidate_ids"]) for c in combos] == [50, 10]
    assert all(c["job_ids"] == [1, 2] and c["status"] == "active" for c in combos)
    assert list(chunk_id_filters({"ids": []})) == []
    assert list(chunk_id_filters({"status": "active"})) == [{"status": "active"}]


async def test_empty_id_filter_sends_no_request() -> None:
    fake = FakeHarvest(lambda r: page([{"id": 1}]))
    async with make_client(fake) as gh:
        assert await gh.list_candidates(ids=[]).collect() == []
    assert fake.api_requests == []


def test_filter_formatting() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = datetime(2026, 1, 2, 1, tzinfo=UTC) + timedelta(hours=0)
    params = build_params(
        {"updated_at": TimeRange(gte=start, lte=end), "prospect": False, "job_ids": [1, 2], "status": None},
        fields=["candidate_id", "stage_id"],
    )
    assert params == {
        "updated_at": "gte|2026-01-01T00:00:00.000Z|lte|2026-01-02T01:00:00.000Z",
        "prospect": "false",
        "job_ids": "1,2",
        "fields": "id,candidate_id,stage_id",
    }
    cet = datetime(2026, 1, 1, 12, tzinfo=UTC).astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    assert TimeRange(gt=cet).to_param() == "gt|2026-01-01T12:00:00.000Z"
    assert TimeRange(lt=date(2026, 3, 1)).to_param() == "lt|2026-03-01"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"gte": datetime(2026, 1, 1)},
        {"gte": datetime(2026, 1, 1, tzinfo=UTC), "gt": datetime(2026, 1, 1, tzinfo=UTC)},
        {},
        {"gte": datetime(2026, 2, 1, tzinfo=UTC), "lte": datetime(2026, 1, 1, tzinfo=UTC)},
        {"gte": date(2026, 1, 1), "lte": datetime(2026, 1, 2, tzinfo=UTC)},
    ],
)
def test_bad_time_ranges_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(PydanticValidationError):
        TimeRange(**kwargs)


def test_bad_list_arguments_are_refused() -> None:
    t = TimeRange(gte=datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="created_at and updated_at"):
        build_params({"created_at": t, "updated_at": t})
    with pytest.raises(ValueError, match="at most 50"):
        build_params({"ids": list(range(51))})
    client = HarvestClient(base_url=BASE, token_url=TOKEN_URL, client_id="c", client_secret="s")
    with pytest.raises(ValueError, match="per_page"):
        client.list_jobs(per_page=501)
    with pytest.raises(ValueError, match="base_url"):
        HarvestClient(base_url="harvest.test", token_url=TOKEN_URL, client_id="c", client_secret="s")


# -------------------------------------------------------------------------------------- rate limits


def test_rate_headers_accept_epoch_or_delta() -> None:
    seen = parse_rate_headers(
        {"X-RateLimit-Limit": "75", "X-RateLimit-Remaining": "3", "X-RateLimit-Reset": str(int(NOW) + 20)},
        NOW,
    )
    assert seen is not None and (seen.limit, seen.remaining, seen.reset_at) == (75, 3, NOW + 20)
    delta = parse_rate_headers({"X-RateLimit-Reset": "12.5"}, NOW)
    assert delta is not None and delta.reset_at == NOW + 12.5
    assert parse_rate_headers({}, NOW) is None


def test_window_state_pacing_maths() -> None:
    state = WindowState()
    assert state.delay(NOW, 0.05) == 0.0  # first probe goes
    state.in_flight = 1
    assert state.delay(NOW, 0.05) is None  # others wait to learn the limit
    state.in_flight = 0
    state.observe(
        parse_rate_headers(  # type: ignore[arg-type]
            {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "4", "X-RateLimit-Reset": str(NOW + 10)}, NOW
        ),
        NOW,
    )
    assert (state.limit, state.remaining, state.reset_at) == (5, 4, NOW + 10)
    state.remaining = 0
    assert state.delay(NOW + 4, 0.05) == pytest.approx(6.05)
    state.in_flight = 1  # sent before the boundary: may be counted in the new window
    state.roll(NOW + 10.04, 0.05)
    assert state.remaining == 0  # not yet: the margin has not passed
    state.roll(NOW + 10.05, 0.05)
    assert (state.remaining, state.reset_at) == (4, None)
    state.in_flight, state.remaining = 0, 5
    # a stale response from the finished window must not lower the new window's budget
    state.observe(
        parse_rate_headers({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(NOW + 10)}, NOW + 10.1),  # type: ignore[arg-type]
        NOW + 10.1,
    )
    assert state.remaining == 5
    # a new window: requests still in flight are charged to it
    state.in_flight = 2
    state.observe(
        parse_rate_headers({"X-RateLimit-Remaining": "4", "X-RateLimit-Reset": str(NOW + 20)}, NOW + 10.2),  # type: ignore[arg-type]
        NOW + 10.2,
    )
    assert (state.remaining, state.reset_at) == (2, NOW + 20)
    # 429 blocks until Retry-After passed
    assert state.throttled(NOW + 11, 3.0, 1.0) == 3.0
    assert state.delay(NOW + 11, 0.05) == pytest.approx(3.0)


async def test_limiter_spends_the_window_then_waits_for_reset() -> None:
    clock = FakeClock()
    window = {"reset": NOW + 10, "used": 0}

    def api(request: httpx.Request) -> httpx.Response:
        if clock.now >= window["reset"]:
            window["reset"], window["used"] = clock.now + 10, 0
        window["used"] += 1
        assert window["used"] <= 5, "client exceeded the window"
        return httpx.Response(
            200,
            json=[{"id": 1}],
            headers={
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": str(5 - window["used"]),
                "X-RateLimit-Reset": str(window["reset"]),
            },
        )

    async with make_client(FakeHarvest(api), clock) as gh:
        await asyncio.gather(*(gh.list_jobs().collect() for _ in range(12)))
        stats = gh.limiter.stats
    assert stats.requests == 12 and stats.throttled == 0
    assert clock.now - NOW == pytest.approx(20.1, abs=0.2)  # 5 + 5 + 2 requests: two waits for reset


async def test_429_is_waited_out_and_nothing_lost() -> None:
    clock = FakeClock()
    calls = {"n": 0}

    def api(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 2:
            return httpx.Response(429, json={"message": "Too Many Requests"}, headers={"Retry-After": "7"})
        cursor = request.url.params.get("cursor")
        return page([{"id": 2}], f"{BASE}/v3/jobs?cursor=n") if cursor is None else page([{"id": 1}])

    async with make_client(FakeHarvest(api), clock) as gh:
        assert [j.id for j in await gh.list_jobs().collect()] == [2, 1]
        assert gh.limiter.stats.throttled == 1
    assert clock.now - NOW >= 7


async def test_429_beyond_the_wait_budget_raises() -> None:
    clock = FakeClock()
    api = lambda r: httpx.Response(429, json={"message": "Too Many Requests"}, headers={"Retry-After": "90"})  # noqa: E731
    async with make_client(FakeHarvest(api), clock, max_rate_limit_wait=100) as gh:
        with pytest.raises(RateLimitedError) as info:
            await gh.list_jobs().collect()
    assert info.value.retry_after == 90 and info.value.status == 429


# ---------------------------------------------------------------------------------- error mapping


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (403, {"message": "Forbidden"}, ForbiddenError),
        (404, {"message": "Resource not found"}, NotFoundError),
        (
            422,
            {
                "message": "Unprocessable Content",
                "errors": [{"per_page": "`600` number is greater than: 500"}],
            },
            ValidationError,
        ),
    ],
)
async def test_error_mapping(status: int, body: dict[str, Any], error: type[Exception]) -> None:
    fake = FakeHarvest(lambda r: httpx.Response(status, json=body))
    async with make_client(fake) as gh:
        with pytest.raises(error) as info:
            await gh.list_candidates(email="someone@example.com").collect()
    err = info.value
    assert err.status == status and err.method == "GET" and err.path == "/v3/candidates"  # type: ignore[attr-defined]
    assert err.message == body["message"]  # type: ignore[attr-defined]
    assert err.errors == body.get("errors", [])  # type: ignore[attr-defined]
    assert "someone@example.com" not in str(err)
    assert len(fake.api_requests) == 1


async def test_get_retries_5xx_then_succeeds_but_gives_up_bounded() -> None:
    outcomes = iter([503, 500, 200])
    fake = FakeHarvest(lambda r: page([{"id": 1}], status=next(outcomes)))
    async with make_client(fake) as gh:
        assert len(await gh.list_jobs().collect()) == 1
    assert len(fake.api_requests) == 3

    fake = FakeHarvest(lambda r: httpx.Response(502, text="bad gateway"))
    async with make_client(fake, max_retries=2) as gh:
        with pytest.raises(ServerError, match="bad gateway"):
            await gh.list_jobs().collect()
    assert len(fake.api_requests) == 3


async def test_post_is_not_replayed_on_5xx_or_read_timeout_but_is_on_connect_error() -> None:
    note = AddNote(candidate_id=1, body="hello")
    fake = FakeHarvest(lambda r: httpx.Response(500, json={"message": "boom"}))
    async with make_client(fake) as gh:
        with pytest.raises(ServerError):
            await gh.add_note(note)
    assert len(fake.api_requests) == 1

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    fake = FakeHarvest(timeout)
    async with make_client(fake) as gh:
        with pytest.raises(HarvestConnectionError, match="not idempotent"):
            await gh.add_note(note)
    assert len(fake.api_requests) == 1

    attempts = {"n": 0}

    def flaky_connect(request: httpx.Request) -> httpx.Response:
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(201, json={"id": 77, "candidate_id": 1, "body": "hello", "type": "NOTE"})

    async with make_client(FakeHarvest(flaky_connect)) as gh:
        assert (await gh.add_note(note)).id == 77
    assert attempts["n"] == 2


async def test_writes_send_json_as_the_acting_user() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/move"):
            return httpx.Response(204)
        return httpx.Response(
            201,
            json={
                "id": 5,
                "application_id": 2,
                "job_interview_id": 3,
                "starts_at": "2026-12-01T15:00:00.000Z",
                "status": "scheduled",
            },
        )

    fake = FakeHarvest(api, token_body=lambda n: {"access_token": f"tok-{n}", "expires_in": 3600})
    start = datetime(2026, 12, 1, 15, tzinfo=UTC)
    async with make_client(fake) as gh:
        interview = await gh.create_interview(
            CreateInterview(
                application_id=2,
                job_interview_id=3,
                interviewers=[{"user_id": 8}],
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                external_event_id="evt-1",
            ),
            as_user=123,
        )
        await gh.advance_application(2, from_stage_id=40)
    assert interview.id == 5 and interview.starts_at == start
    create, move = fake.api_requests
    assert json.loads(create.content) == {
        "application_id": 2,
        "job_interview_id": 3,
        "interviewers": [{"user_id": 8, "response_status": "needs_action"}],
        "starts_at": "2026-12-01T15:00:00Z",
        "ends_at": "2026-12-01T16:00:00Z",
        "external_event_id": "evt-1",
    }
    assert json.loads(move.content) == {"from_stage_id": 40}
    assert [f.get("sub") for f in fake.token_forms] == [["123"], ["99"]]


# ------------------------------------------------------------------------------------------ models


def test_models_ignore_unknown_fields_and_accept_projections() -> None:
    app = Application.model_validate(
        {
            "id": 1,
            "job_interview_stage_id": 9,
            "brand_new_field": {"x": 1},
            "created_at": "2026-09-30T16:20:12.003Z",
            "status": "paused",
        }
    )
    assert app.job_interview_stage_id == 9 and app.status == "paused" and app.created_at is not None


def test_write_inputs_refuse_bad_input() -> None:
    with pytest.raises(PydanticValidationError, match="EMAIL notes need"):
        AddNote(candidate_id=1, body="x", note_type="EMAIL")
    with pytest.raises(PydanticValidationError, match="only belong on EMAIL"):
        AddNote(candidate_id=1, body="x", subject="hi")
    with pytest.raises(PydanticValidationError):
        AddNote(candidate_id=1, body="x", visibility="publicly_visible")
    email = AddNote.email(
        candidate_id=1,
        subject="Next steps",
        body="b",
        email_from="r@acme.example",
        email_to=["c@example.com"],
    )
    assert email.json_body()["email_cc"] == []
    with pytest.raises(PydanticValidationError, match="not both"):
        MoveApplication(from_stage_id=1, to_stage_id=2, to_job_id=3)
    with pytest.raises(PydanticValidationError, match="at least one field"):
        UpdateCandidate()
    assert UpdateCandidate(title=None).json_body() == {"title": None}
    start = datetime(2026, 12, 1, 15, tzinfo=UTC)
    with pytest.raises(PydanticValidationError, match="after starts_at"):
        CreateInterview(
            application_id=1,
            job_interview_id=1,
            interviewers=[{"user_id": 1}],
            starts_at=start,
            ends_at=start,
            external_event_id="e",
        )
    with pytest.raises(PydanticValidationError):
        CreateInterview(
            application_id=1,
            job_interview_id=1,
            interviewers=[{"user_id": 1}],
            starts_at=datetime(2026, 12, 1),
            ends_at=datetime(2026, 12, 2),
            external_event_id="e",
        )


async def test_stopping_early_cancels_the_prefetch_and_frees_the_limiter() -> None:
    async def api(request: httpx.Request) -> httpx.Response:
        if "cursor" in request.url.params:
            await asyncio.sleep(5)  # the prefetched page is still in flight when the consumer stops
        return page([{"id": 2}, {"id": 1}], f"{BASE}/v3/jobs?cursor=n")

    fake = FakeHarvest(api)  # type: ignore[arg-type]
    async with HarvestClient(
        base_url=BASE,
        token_url=TOKEN_URL,
        client_id="cid",
        client_secret="secret",
        transport=httpx.MockTransport(fake),
        rate_limiter=RateLimiter(),
    ) as gh:
        pages = gh.list_jobs().__aiter__()
        assert (await anext(pages)).id == 2
        await asyncio.sleep(0.05)  # the prefetch is now in flight
        assert gh.limiter.state.in_flight == 1
        started = asyncio.get_running_loop().time()
        await pages.aclose()
        assert asyncio.get_running_loop().time() - started < 1
        await asyncio.sleep(0)
        assert gh.limiter.state.in_flight == 0
        assert len(fake.api_requests) == 2  # one page read, one prefetched and abandoned


async def test_token_endpoint_429_and_5xx_are_waited_out() -> None:
    clock = FakeClock()
    answers = iter(
        [
            httpx.Response(429, json={"message": "Too Many Requests"}, headers={"Retry-After": "20"}),
            httpx.Response(503, text="unavailable"),
            httpx.Response(200, json={"access_token": "t", "expires_in": 3600}),
        ]
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: next(answers))) as http:
        cache = TokenCache(
            http,
            token_url=TOKEN_URL,
            client_id="cid",
            client_secret=SecretStr("secret"),
            clock=clock,
            sleep=clock.sleep,
        )
        assert (await cache.get(1)).value == "t"
    assert clock.slept == [20.0, 0.5]


SCHEMA_MODELS = {
    "candidates": "Candidate",
    "applications": "Application",
    "application_stages": "ApplicationStage",
    "jobs": "Job",
    "job_interview_stages": "JobInterviewStage",
    "job_interviews": "JobInterview",
    "interview_kits": "InterviewKit",
    "default_interviewers": "DefaultInterviewer",
    "interviews": "Interview",
    "interviewers": "Interviewer",
    "users": "User",
    "offices": "Office",
    "departments": "Department",
    "notes": "Note",
    "scorecards": "Scorecard",
    "offers": "Offer",
    "sources": "Source",
    "job_posts": "JobPost",
    "custom_fields": "CustomField",
    "email_templates": "EmailTemplate",
    "user_job_permissions": "UserJobPermission",
    "user_roles": "UserRole",
    "rejection_reasons": "RejectionReason",
    "attachments": "Attachment",
}


@pytest.mark.parametrize(("schema", "model_name"), sorted(SCHEMA_MODELS.items()))
def test_models_cover_every_schema_field(schema: str, model_name: str) -> None:
    import models.greenhouse as gh_models

    path = Path(__file__).resolve().parents[1] / "sandbox" / "greenhouse" / "schemas" / f"{schema}.json"
    properties = set(json.loads(path.read_text())["properties"])
    model = getattr(gh_models, model_name)
    assert properties <= set(model.model_fields), properties - set(model.model_fields)


async def test_from_settings_uses_greenhouse_settings() -> None:
    from models.settings import Settings

    settings = Settings(
        greenhouse_base_url="https://gh.example",
        greenhouse_token_url=TOKEN_URL,
        greenhouse_client_id="cid",
        greenhouse_client_secret=SecretStr("secret"),
        greenhouse_user_id=4242,
    )
    fake = FakeHarvest(lambda r: page([{"id": 1}]))
    async with HarvestClient.from_settings(
        settings, transport=httpx.MockTransport(fake), rate_limiter=RateLimiter()
    ) as gh:
        assert gh.user_id == 4242
        await gh.list_offices().collect()
    assert fake.api_requests[0].url.host == "gh.example"
    assert fake.token_forms == [{"grant_type": ["client_credentials"], "sub": ["4242"]}]
