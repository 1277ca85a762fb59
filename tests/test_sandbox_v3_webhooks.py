"""v3 webhook subscriptions (`/v3/webhooks`): delivery per event type, signature, retries, ping on create;
admin bulk changes that skip webhooks but move `updated_at`; the v1 admin hook unchanged alongside."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from tests.fixtures.sandbox import SandboxFactory, harvest_client
from tests.test_sandbox_webhooks import Received, receiver

KEY = "subscription-key"


def signed_with(received: Received, key: str) -> bool:
    scheme, _, digest = received.headers["signature"].partition(" ")
    expected = hmac.new(key.encode(), received.body, hashlib.sha256).hexdigest()
    return scheme == "sha256" and hmac.compare_digest(digest, expected)


async def test_subscriptions_deliver_signed_events_with_retries(sandbox_factory: SandboxFactory) -> None:
    async with (
        receiver() as rec,
        sandbox_factory(candidates=20, webhook_retry_delays=[0.05, 0.1]) as server,
        await harvest_client(server) as client,
    ):
        hooks = {}
        for action in ("update_candidate", "new_candidate_application", "application_updated", "job_updated"):
            created = await client.post(
                "/v3/webhooks",
                json={"name": action, "url": rec.url, "event_action_type": action, "secret_key": KEY},
            )
            assert created.status_code == 201, created.text
            assert created.json()["deactivated"] is False and "secret_key" not in created.json()
            hooks[action] = created.json()["id"]
        pings = await rec.wait_for(4)
        assert all(p.event["action"] == "ping" and signed_with(p, KEY) for p in pings)
        listed = (await client.get("/v3/webhooks", params={"event_action_type": "job_updated"})).json()
        assert [h["id"] for h in listed] == [hooks["job_updated"]]

        rec.fail_first = len(rec.received) + 1  # the next delivery fails once, then is retried
        job = (await client.get("/v3/jobs", params={"status": "open"})).json()[0]
        cand = await client.post(
            "/v3/candidates",
            json={"first_name": "Webhook", "last_name": "Person", "application": {"job_id": job["id"]}},
        )
        assert cand.status_code == 201
        received = await rec.wait_for(6)
        first, retry = received[4], received[5]
        assert first.event["action"] == retry.event["action"] == "new_candidate_application"
        assert first.headers["greenhouse-event-id"] == retry.headers["greenhouse-event-id"]
        assert signed_with(retry, KEY) and not signed_with(retry, "sandbox-webhook-secret")
        assert retry.event["payload"]["application"]["candidate"]["id"] == cand.json()["id"]

        await client.patch(f"/v3/candidates/{cand.json()['id']}", json={"title": "CTO"})
        update = (await rec.wait_for(7))[6]
        assert update.event["action"] == "update_candidate"
        assert update.event["payload"]["application"]["candidate"]["title"] == "CTO"
        for _ in range(50):
            [hook] = (await client.get("/v3/webhooks", params={"ids": hooks["update_candidate"]})).json()
            if hook["last_delivered"]:
                break
            await asyncio.sleep(0.05)
        assert hook["last_delivered"] is not None

        assert (await client.delete(f"/v3/webhooks/{hooks['update_candidate']}")).status_code == 204
        assert (await client.delete(f"/v3/webhooks/{hooks['update_candidate']}")).status_code == 404
        await client.patch(f"/v3/candidates/{cand.json()['id']}", json={"title": "CEO"})
        await asyncio.sleep(0.3)
        assert len(rec.received) == 7  # no subscriber left for update_candidate

        bad = await client.post(
            "/v3/webhooks", json={"name": "x", "url": rec.url, "event_action_type": "nope", "secret_key": KEY}
        )
        assert bad.status_code == 422 and list(bad.json()["errors"][0]) == ["event_action_type"]


async def test_failed_ping_leaves_the_subscription_off(sandbox_factory: SandboxFactory) -> None:
    async with (
        receiver(fail_first=1) as rec,
        sandbox_factory(candidates=5) as server,
        await harvest_client(server) as client,
    ):
        body = {"name": "n", "url": rec.url, "event_action_type": "job_updated", "secret_key": KEY}
        created = (await client.post("/v3/webhooks", json=body)).json()
        assert created["deactivated"] is True
        job = server.seed.job_ids[0]
        await server._admin_call(
            "POST", "/_sandbox/bulk", {"changes": [{"resource": "jobs", "id": job, "set": {"notes": "x"}}]}
        )
        await asyncio.sleep(0.2)
        assert len(rec.received) == 1  # the ping only
        enabled = await client.patch(f"/v3/webhooks/{created['id']}", json={"deactivated": False})
        assert enabled.json()["deactivated"] is False  # the second ping answered 200


async def test_bulk_without_webhooks_moves_updated_at_silently(sandbox_factory: SandboxFactory) -> None:
    async with (
        receiver() as rec,
        sandbox_factory(candidates=20, webhook_secret="s") as server,
        await harvest_client(server) as client,
    ):
        await server.set_webhook(rec.url)  # the v1 admin hook
        for action in ("update_candidate", "job_updated", "candidate_stage_change"):
            await client.post(
                "/v3/webhooks",
                json={"name": action, "url": rec.url, "event_action_type": action, "secret_key": KEY},
            )
        pings = len(await rec.wait_for(3))
        since = datetime.now(UTC) - timedelta(seconds=1)
        apps = (await client.get("/v3/applications", params={"status": "active", "prospect": "false"})).json()
        app = next(a for a in apps if a["stage_name"] == "Application Review")
        stages = sorted(
            (await client.get("/v3/job_interview_stages", params={"job_ids": app["job_id"]})).json(),
            key=lambda s: s["sort_order"],
        )
        cand_id, job_id = app["candidate_id"], server.seed.job_ids[0]
        changes = [
            {"resource": "candidates", "id": cand_id, "set": {"title": "Bulk title"}},
            {"resource": "jobs", "id": job_id, "set": {"notes": "bulk"}},
            {"resource": "applications", "id": app["id"], "move_to_stage_id": stages[1]["id"]},
        ]
        result = await server.bulk(changes, webhooks=False)
        assert result["webhooks_sent"] == 0 and len(result["changed"]) == 3
        await asyncio.sleep(0.3)
        assert len(rec.received) == pings  # nothing was sent, to anyone
        window = {"updated_at": f"gte|{since.isoformat()}"}
        assert [c["id"] for c in (await client.get("/v3/candidates", params=window)).json()] == [cand_id]
        assert [j["id"] for j in (await client.get("/v3/jobs", params=window)).json()] == [job_id]
        [moved] = (await client.get("/v3/applications", params={"ids": app["id"]})).json()
        assert moved["job_interview_stage_id"] == stages[1]["id"] and moved["updated_at"] > app["updated_at"]

        loud = await server._admin_call(
            "POST",
            "/_sandbox/bulk",
            {"changes": [{"resource": "jobs", "id": job_id, "set": {"notes": "loud"}}]},
        )
        assert loud["webhooks_sent"] == 1
        [event] = (await rec.wait_for(pings + 1))[pings:]
        assert event.event["action"] == "job_updated" and event.event["payload"]["job"]["notes"] == "loud"
        assert signed_with(event, KEY)

        stage_event = await server.bulk(
            [{"resource": "applications", "id": app["id"], "move_to_stage_id": stages[2]["id"]}]
        )
        assert stage_event["webhooks_sent"] == 1
        both = (await rec.wait_for(pings + 3))[pings + 1 :]
        assert sorted(signed_with(r, "s") for r in both) == [
            False,
            True,
        ]  # v1 admin hook and the subscription
        assert {r.event["action"] for r in both} == {"candidate_stage_change"}


async def test_bulk_refuses_bad_changes_atomically(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(candidates=5) as server, await harvest_client(server) as client:
        job_id = server.seed.job_ids[0]
        before = (await client.get("/v3/jobs", params={"ids": job_id})).json()[0]
        bad = [
            {"resource": "jobs", "id": job_id, "set": {"notes": "half"}},
            {"resource": "jobs", "id": job_id, "set": {"confidential": "yes"}},
        ]
        http = await client.post(server.base_url + "/_sandbox/bulk", json={"changes": bad})
        assert http.status_code == 422 and list(http.json()["errors"][0]) == ["changes.1.set.confidential"]
        unknown = await client.post(
            server.base_url + "/_sandbox/bulk",
            json={"changes": [{"resource": "jobs", "id": 1, "set": {"notes": "x"}}]},
        )
        assert unknown.status_code == 404
        fixed = await client.post(
            server.base_url + "/_sandbox/bulk",
            json={"changes": [{"resource": "jobs", "id": job_id, "set": {"id": 5}}]},
        )
        assert fixed.status_code == 422
        assert (await client.get("/v3/jobs", params={"ids": job_id})).json()[0] == before
        deleted = await client.post(
            server.base_url + "/_sandbox/bulk",
            json={
                "changes": [{"resource": "candidates", "id": server.seed.interviewers[0].id, "delete": True}]
            },
        )
        assert deleted.status_code == 404  # a user id is not a candidate id
