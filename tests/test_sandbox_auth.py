"""Token endpoint and `/v3` authentication/authorization, with Greenhouse's exact bodies (harvest-v3.md §1)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import jwt

from sandbox.greenhouse.server import SandboxServer
from tests.fixtures.sandbox import SandboxFactory, harvest_client, mint_token

UNAUTHORIZED = {
    "message": "Unauthorized",
    "errors": ["Token could not be decoded. Please ensure your token is from a trusted source."],
}
CC = {"grant_type": "client_credentials"}


async def test_token_success_has_expires_in_and_expires_at(greenhouse_sandbox: SandboxServer) -> None:
    server = greenhouse_sandbox
    async with httpx.AsyncClient() as client:
        response = await client.post(
            server.token_url,
            data={**CC, "sub": str(server.hireflow_user_id)},
            auth=(server.client_id, server.client_secret),
        )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert abs((expires_at - datetime.now(UTC)).total_seconds() - 3600) < 10
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == str(server.hireflow_user_id)
    assert claims["client_id"] == server.client_id and "harvest:applications:list" in claims["scopes"]
    assert "exp" in claims


async def test_token_variant_query_grant_and_json_sub(greenhouse_sandbox: SandboxServer) -> None:
    server = greenhouse_sandbox
    async with httpx.AsyncClient() as client:
        response = await client.post(
            server.token_url + "?grant_type=client_credentials",
            json={"sub": str(server.hireflow_user_id)},
            auth=(server.client_id, server.client_secret),
        )
    assert response.status_code == 200
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert claims["sub"] == str(server.hireflow_user_id)


async def test_token_errors_match_greenhouse(greenhouse_sandbox: SandboxServer) -> None:
    server = greenhouse_sandbox
    good = (server.client_id, server.client_secret)
    async with httpx.AsyncClient() as client:
        nothing = await client.post(server.token_url)
        assert nothing.status_code == 401
        assert nothing.json()["message"] == "Unauthorized" and nothing.json()["errorId"].startswith("err-")

        malformed = await client.post(server.token_url, data=CC, auth=("x!", "secret"))
        assert malformed.status_code == 400
        assert malformed.json()["message"] == "client_id=x! does not contain a valid client ID suffix"

        unknown = await client.post(server.token_url, data=CC, auth=("not-a-client", "nope"))
        assert (unknown.status_code, unknown.json()) == (401, {"error": "invalid_client"})
        wrong_secret = await client.post(server.token_url, data=CC, auth=(server.client_id, "wrong"))
        assert (wrong_secret.status_code, wrong_secret.json()) == (401, {"error": "invalid_client"})

        no_grant = await client.post(server.token_url, data={"sub": "1"}, auth=good)
        assert (no_grant.status_code, no_grant.json()) == (
            400,
            {"message": "Must include `grant_type` parameter in /token request"},
        )

        bad_grant = await client.post(server.token_url, data={"grant_type": "not_a_grant"}, auth=good)
        assert bad_grant.status_code == 400
        assert bad_grant.json() == {
            "message": "grant_type=not_a_grant is invalid, please use one of: "
            "authorization_code, refresh_token, client_credentials, "
            "urn:ietf:params:oauth:grant-type:token-exchange"
        }

        bad_sub = await client.post(server.token_url, data={**CC, "sub": "999"}, auth=good)
        assert bad_sub.status_code == 400 and "sub=999" in bad_sub.json()["message"]


async def test_token_without_sub_acts_as_hidden_service_user(greenhouse_sandbox: SandboxServer) -> None:
    server = greenhouse_sandbox
    token = await mint_token(server)
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == str(server.seed.service_user_id)
    async with httpx.AsyncClient(
        base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        visible = (await client.get("/v3/users", params={"per_page": 500})).json()
        assert server.seed.service_user_id not in {u["id"] for u in visible}
        assert server.hireflow_user_id in {u["id"] for u in visible}
        shown = (
            await client.get("/v3/users", params={"per_page": 500, "show_service_accounts": "true"})
        ).json()
    isu = next(u for u in shown if u["id"] == server.seed.service_user_id)
    assert isu["site_admin"] is True and isu["primary_email"] == ""


async def test_hireflow_user_is_a_regular_site_admin(greenhouse_sandbox: SandboxServer) -> None:
    async with await harvest_client(greenhouse_sandbox) as client:
        users = (
            await client.get("/v3/users", params={"ids": str(greenhouse_sandbox.hireflow_user_id)})
        ).json()
    assert len(users) == 1
    assert users[0]["name"] == "Hireflow" and users[0]["site_admin"] is True
    assert users[0]["primary_email"].startswith("hireflow@") and users[0]["deactivated"] is False


async def test_v3_routes_before_it_authenticates(greenhouse_sandbox: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=greenhouse_sandbox.base_url) as client:
        unknown = await client.get("/v3/no_such_things")
        assert (unknown.status_code, unknown.json()) == (404, {"message": "Resource not found"})
        assert "X-RateLimit-Limit" in unknown.headers
        no_single_get = await client.get("/v3/candidates/41203311001")  # v3 has no single-record GETs
        assert (no_single_get.status_code, no_single_get.json()) == (404, {"message": "Resource not found"})
        missing = await client.get("/v3/candidates")
        assert (missing.status_code, missing.json()) == (401, UNAUTHORIZED)
        garbage = await client.get("/v3/candidates", headers={"Authorization": "Bearer not.a.jwt"})
        assert (garbage.status_code, garbage.json()) == (401, UNAUTHORIZED)
        basic = await client.get(
            "/v3/candidates", auth=(greenhouse_sandbox.client_id, greenhouse_sandbox.client_secret)
        )
        assert (basic.status_code, basic.json()) == (401, UNAUTHORIZED)
        forged = jwt.encode(
            {
                "sub": str(greenhouse_sandbox.hireflow_user_id),
                "exp": 4102444800,
                "client_id": greenhouse_sandbox.client_id,
            },
            "a-guessed-signing-key-that-is-long-enough",
            algorithm="HS256",
        )
        forged_resp = await client.get("/v3/candidates", headers={"Authorization": f"Bearer {forged}"})
        assert (forged_resp.status_code, forged_resp.json()) == (401, UNAUTHORIZED)


async def test_missing_scope_and_non_admin_reads_are_forbidden(greenhouse_sandbox: SandboxServer) -> None:
    server = greenhouse_sandbox
    await server.add_credential(
        "auth-test-narrow", "narrow-secret", ["harvest:jobs:list", "harvest:notes:create"]
    )
    async with await harvest_client(
        server, client_id="auth-test-narrow", client_secret="narrow-secret"
    ) as client:
        assert (await client.get("/v3/jobs")).status_code == 200
        denied = await client.get("/v3/candidates")
        assert (denied.status_code, denied.json()) == (403, {"message": "Forbidden"})
        denied_write = await client.post("/v3/applications", json={"candidate_id": 1, "job_id": 1})
        assert (denied_write.status_code, denied_write.json()) == (403, {"message": "Forbidden"})

    recruiter = server.seed.recruiter_ids[0]
    async with await harvest_client(server, sub=recruiter) as client:
        response = await client.get("/v3/jobs")
        assert (response.status_code, response.json()) == (403, {"message": "Forbidden"})


async def test_expired_token_is_rejected(sandbox_factory: SandboxFactory) -> None:
    # 3 s of life: the first request must land inside it even on a loaded CI machine (1 s once did not).
    async with sandbox_factory(token_ttl_seconds=3, candidates=5) as server:
        async with await harvest_client(server) as client:
            assert (await client.get("/v3/jobs")).status_code == 200
            await asyncio.sleep(3.2)
            expired = await client.get("/v3/jobs")
            assert (expired.status_code, expired.json()) == (401, UNAUTHORIZED)
