"""Emails to and from candidates land on their Greenhouse profile as EMAIL notes, once, without secrets.

Real parts: the SMTP sink, a SQLite store, the Greenhouse sandbox over HTTP (faults, a narrow credential).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from integrations.greenhouse.client import HarvestClient
from integrations.mail.contexts import InvitationContext
from integrations.mail.inbound import InboundReply
from integrations.mail.outbox import Outbox
from integrations.mail.profile_copy import LINK_REMOVED, profile_text, redact_links
from integrations.mail.profile_drain import DrainBudget, ProfileLogDrain
from integrations.mail.profile_log import ProfileLogStore
from integrations.mail.render import TemplateRenderer
from integrations.mail.reply_address import ReplyAddressCodec
from integrations.mail.service import MailRequest, MailService, ProfileTarget
from integrations.mail.transport import SmtpConfig, SmtpTransport, TransientMailError
from models.greenhouse import Note
from models.store import OutboxStatus, ProfileEmailLog, ProfileLogStatus
from sandbox.greenhouse.server import SandboxServer
from tests.fixtures.mail import MAIL_FROM, WORKFLOW_ID, MutableClock, SinkHandle
from tests.fixtures.sandbox import SandboxFactory, client_for

pytestmark = pytest.mark.integration

TOKEN = "v2.aGVsbG8td29ybGQtdGhpcy1pcy1hLXRva2Vu.Zm9vYmFy1234"
SCHEDULE_URL = f"http://127.0.0.1:8000/s/{TOKEN}"


@asynccontextmanager
async def org(
    sandbox_factory: SandboxFactory,
) -> AsyncIterator[tuple[SandboxServer, HarvestClient, int, int]]:
    """A fresh sandbox, a client, and one candidate with an application."""
    async with sandbox_factory(candidates=5) as server, client_for(server) as gh:
        apps = await gh.list_applications(status="active").collect()
        application = apps[0]
        assert application.candidate_id is not None
        yield server, gh, application.candidate_id, application.id


def invitation(
    key: str, profile: ProfileTarget | None, to: str = "Jane Doe <jane.doe@example.com>"
) -> MailRequest:
    return MailRequest(
        idempotency_key=key,
        purpose="invitation",
        to=[to],
        context=InvitationContext(
            recipient_name="Jane",
            company_name="Acme",
            job_title="Backend Engineer",
            time_zone="Europe/Paris",
            schedule_url=SCHEDULE_URL,
            expires_at=datetime(2026, 12, 1, tzinfo=UTC),
            loop_summary="2 interviews, about 2 hours in all",
        ),
        workflow_id=WORKFLOW_ID,
        reply_role="candidate",
        profile=profile,
    )


def service(engine: Engine, sink: SinkHandle, codec: ReplyAddressCodec, clock: MutableClock) -> MailService:
    return MailService(
        outbox=Outbox(engine, clock=clock),
        transport=SmtpTransport(SmtpConfig(host="127.0.0.1", port=sink.sink.port, timeout=5)),
        renderer=TemplateRenderer(),
        codec=codec,
        mail_from=MAIL_FROM,
        clock=clock,
        profile_log=ProfileLogStore(engine, clock=clock),
    )


async def email_notes(gh: HarvestClient, candidate_id: int) -> list[Note]:
    return await gh.list_notes(candidate_ids=[candidate_id], type="EMAIL").collect()


def rows(engine: Engine) -> list[ProfileEmailLog]:
    with Session(engine) as s:
        return list(s.exec(select(ProfileEmailLog)).all())


# -- the logged copy ---------------------------------------------------------------------------------


def test_logged_copy_drops_bearer_links_and_keeps_plain_ones() -> None:
    text = (
        f"Pick a time: {SCHEDULE_URL}\n"
        "Take the test: https://assess.example/take/abcDEF1234567890ghijKLMN\n"
        "Status: https://tests.example/r?token=s3cr3t&x=1\n"
        "Reply to reply+abc123def@replies.hireflow.test\n"
        "Join: https://meet.jit.si/hireflow-abc and see https://acme.example/careers\n"
    )
    body = profile_text(text, "<hf0123.tok@replies.hireflow.test>")
    assert TOKEN not in body and "abcDEF1234567890ghijKLMN" not in body and "s3cr3t" not in body
    assert "reply+abc123def@" not in body and "tok@" not in body
    assert body.count(LINK_REMOVED) == 3
    assert "https://meet.jit.si/hireflow-abc" in body and "https://acme.example/careers" in body
    assert "Hireflow reference: hf-" in body


def test_hostile_text_is_capped_and_redaction_is_linear() -> None:
    long = "x" * 200_000 + " http://a.example/" + "a1" * 50_000
    assert len(profile_text(long, "<r@x>")) < 21_000
    assert redact_links("no links here") == "no links here"


# -- outbound --------------------------------------------------------------------------------------


async def test_sent_email_is_logged_once_with_subject_addresses_and_redacted_body(
    sandbox_factory: SandboxFactory,
    mail_engine: Engine,
    smtp_sink: SinkHandle,
    mail_codec: ReplyAddressCodec,
    mail_clock: MutableClock,
) -> None:
    async with org(sandbox_factory) as (_, gh, candidate_id, application_id):
        mail = service(mail_engine, smtp_sink, mail_codec, mail_clock)
        drain = ProfileLogDrain(ProfileLogStore(mail_engine, clock=mail_clock), gh)
        target = ProfileTarget(candidate_id=candidate_id, application_id=application_id)
        outcome = await mail.send(invitation("wf-1/invitation", target))
        assert (await drain.drain_once()).logged == 1

        # A retried activity sends the same key again; a second drain pass finds nothing to do.
        again = await mail.send(invitation("wf-1/invitation", target))
        assert again.already_sent
        assert (await drain.drain_once()).logged == 0

        [note] = await email_notes(gh, candidate_id)
        assert note.type == "EMAIL" and note.application_id == application_id
        assert note.email_from == "scheduling@hireflow.test"
        assert note.email_to == "jane.doe@example.com"
        assert note.body and TOKEN not in note.body and LINK_REMOVED in note.body
        assert "Jane" in note.body  # the text the candidate read
        [row] = rows(mail_engine)
        assert row.status == ProfileLogStatus.LOGGED and row.note_id == note.id
        assert note.subject and note.subject == row.subject
        assert row.reference == outcome.message_id


async def test_mail_to_interviewers_is_not_logged(
    sandbox_factory: SandboxFactory,
    mail_engine: Engine,
    smtp_sink: SinkHandle,
    mail_codec: ReplyAddressCodec,
    mail_clock: MutableClock,
) -> None:
    async with org(sandbox_factory) as (_, gh, candidate_id, _app):
        mail = service(mail_engine, smtp_sink, mail_codec, mail_clock)
        await mail.send(invitation("wf-2/notice", None, to="alice@acme.example"))
        assert (await ProfileLogDrain(ProfileLogStore(mail_engine), gh).drain_once()).logged == 0
        assert rows(mail_engine) == [] and await email_notes(gh, candidate_id) == []


async def test_greenhouse_outage_neither_blocks_the_email_nor_loses_the_note(
    sandbox_factory: SandboxFactory,
    mail_engine: Engine,
    smtp_sink: SinkHandle,
    mail_codec: ReplyAddressCodec,
    mail_clock: MutableClock,
) -> None:
    async with org(sandbox_factory) as (server, gh, candidate_id, _app):
        await server.add_fault("/v3/notes", status=503)
        mail = service(mail_engine, smtp_sink, mail_codec, mail_clock)
        store = ProfileLogStore(mail_engine, clock=mail_clock)
        drain = ProfileLogDrain(store, gh)
        outcome = await mail.send(invitation("wf-3/invitation", ProfileTarget(candidate_id=candidate_id)))
        assert not outcome.already_sent and outcome.status == OutboxStatus.SENT

        report = await drain.drain_once()
        assert report.retried == 1 and report.logged == 0
        [row] = rows(mail_engine)
        assert row.status == ProfileLogStatus.PENDING and row.next_attempt_at > mail_clock.now
        assert (await drain.drain_once()).retried == 0  # not due yet: no hammering

        await server.clear_faults()
        mail_clock.now += timedelta(minutes=5)
        assert (await drain.drain_once()).logged == 1
        assert len(await email_notes(gh, candidate_id)) == 1


async def test_outage_beyond_the_budget_fails_the_row_and_says_why(
    sandbox_factory: SandboxFactory,
    mail_engine: Engine,
    smtp_sink: SinkHandle,
    mail_codec: ReplyAddressCodec,
    mail_clock: MutableClock,
) -> None:
    async with org(sandbox_factory) as (server, gh, candidate_id, _app):
        await server.add_fault("/v3/notes", status=500)
        mail = service(mail_engine, smtp_sink, mail_codec, mail_clock)
        drain = ProfileLogDrain(ProfileLogStore(mail_engine, clock=mail_clock), gh, DrainBudget())
        await mail.send(invitation("wf-4/invitation", ProfileTarget(candidate_id=candidate_id)))
        assert (await drain.drain_once()).retried == 1
        mail_clock.now += timedelta(hours=13)
        assert (await drain.drain_once()).failed == 1
        [row] = rows(mail_engine)
        assert row.status == ProfileLogStatus.FAILED and "gave up" in (row.last_error or "")


async def test_a_crash_after_posting_does_not_log_twice(
    sandbox_factory: SandboxFactory,
    mail_engine: Engine,
    smtp_sink: SinkHandle,
    mail_codec: ReplyAddressCodec,
    mail_clock: MutableClock,
) -> None:
    async with org(sandbox_factory) as (_, gh, candidate_id, _app):
        mail = service(mail_engine, smtp_sink, mail_codec, mail_clock)
        store = ProfileLogStore(mail_engine, clock=mail_clock)
        await mail.send(invitation("wf-5/invitation", ProfileTarget(candidate_id=candidate_id)))
        assert (await ProfileLogDrain(store, gh).drain_once()).logged == 1
        # The worker died before `logged` was committed: the row is still claimed, its lease runs out.
        with Session(mail_engine) as s:
            [row] = s.exec(select(ProfileEmailLog)).all()
            row.status = ProfileLogStatus.LOGGING
            row.note_id = None
            row.claimed_at = mail_clock.now
            s.add(row)
            s.commit()
        mail_clock.now += timedelta(minutes=3)
        assert (await ProfileLogDrain(store, gh).drain_once()).logged == 1
        assert len(await email_notes(gh, candidate_id)) == 1
        [row] = rows(mail_engine)
        assert row.note_id is not None and row.attempts == 2


async def test_two_workers_draining_at_once_log_each_email_once(
    sandbox_factory: SandboxFactory,
    mail_engine: Engine,
    smtp_sink: SinkHandle,
    mail_codec: ReplyAddressCodec,
    mail_clock: MutableClock,
) -> None:
    async with org(sandbox_factory) as (server, gh, candidate_id, _app), client_for(server) as gh2:
        mail = service(mail_engine, smtp_sink, mail_codec, mail_clock)
        for n in range(4):
            await mail.send(invitation(f"wf-6/{n}", ProfileTarget(candidate_id=candidate_id)))
        a = ProfileLogDrain(ProfileLogStore(mail_engine, clock=mail_clock), gh)
        b = ProfileLogDrain(ProfileLogStore(mail_engine, clock=mail_clock), gh2)
        first, second = await asyncio.gather(a.drain_once(), b.drain_once())
        assert first.logged + second.logged == 4
        assert len(await email_notes(gh, candidate_id)) == 4


async def test_missing_notes_scope_is_named_and_the_entry_kept(
    sandbox_factory: SandboxFactory,
    mail_engine: Engine,
    smtp_sink: SinkHandle,
    mail_codec: ReplyAddressCodec,
    mail_clock: MutableClock,
) -> None:
    async with org(sandbox_factory) as (server, gh, candidate_id, _app):
        await server.add_credential("no-notes", "secret", ["harvest:notes:list", "harvest:candidates:list"])
        mail = service(mail_engine, smtp_sink, mail_codec, mail_clock)
        await mail.send(invitation("wf-7/invitation", ProfileTarget(candidate_id=candidate_id)))
        await mail.send(invitation("wf-7/reminder", ProfileTarget(candidate_id=candidate_id)))
        async with client_for(server, client_id="no-notes", client_secret="secret") as narrow:
            report = await ProfileLogDrain(
                ProfileLogStore(mail_engine, clock=mail_clock), narrow
            ).drain_once()
        assert report.missing_scope == "harvest:notes:create"
        assert report.retried == 1  # the pass stopped: the second row would hit the same wall
        statuses = {r.status for r in rows(mail_engine)}
        assert statuses == {ProfileLogStatus.PENDING}
        assert any("harvest:notes:create" in (r.last_error or "") for r in rows(mail_engine))
        mail_clock.now += timedelta(minutes=5)
        assert (
            await ProfileLogDrain(ProfileLogStore(mail_engine, clock=mail_clock), gh).drain_once()
        ).logged == 2


async def test_an_unsent_email_is_not_logged_until_sent(
    sandbox_factory: SandboxFactory,
    mail_engine: Engine,
    mail_codec: ReplyAddressCodec,
    mail_clock: MutableClock,
) -> None:
    async with org(sandbox_factory) as (_, gh, candidate_id, _app):
        dead = MailService(
            outbox=Outbox(mail_engine, clock=mail_clock),
            transport=SmtpTransport(SmtpConfig(host="127.0.0.1", port=1, timeout=2)),
            renderer=TemplateRenderer(),
            codec=mail_codec,
            mail_from=MAIL_FROM,
            clock=mail_clock,
            profile_log=ProfileLogStore(mail_engine, clock=mail_clock),
        )
        with pytest.raises(TransientMailError):
            await dead.send(invitation("wf-8/invitation", ProfileTarget(candidate_id=candidate_id)))
        report = await ProfileLogDrain(ProfileLogStore(mail_engine, clock=mail_clock), gh).drain_once()
        assert report.waiting == 1 and report.logged == 0
        assert await email_notes(gh, candidate_id) == []
        [row] = rows(mail_engine)
        assert row.attempts == 0 and row.status == ProfileLogStatus.PENDING


# -- inbound ----------------------------------------------------------------------------------------


def reply(
    sender: str, *, role: str | None = "candidate", message_id: str | None = "<r1@mail.example>"
) -> InboundReply:
    return InboundReply(
        workflow_id=WORKFLOW_ID,
        source="smtp",
        sender=sender,
        reply_role=role,
        recipient="reply+abcdefgh@replies.hireflow.test",
        subject="Re: Pick a time",
        message_id=message_id,
        in_reply_to=None,
        text=f"Tuesday after 2pm works.\n\n> Pick a time: {SCHEDULE_URL}",
        new_text="Tuesday after 2pm works.",
        received_at=datetime(2026, 11, 23, 16, 0, tzinfo=UTC),
    )


async def test_candidate_reply_is_logged_once_and_strangers_are_not(
    sandbox_factory: SandboxFactory,
    mail_engine: Engine,
    smtp_sink: SinkHandle,
    mail_codec: ReplyAddressCodec,
    mail_clock: MutableClock,
) -> None:
    async with org(sandbox_factory) as (_, gh, candidate_id, application_id):
        mail = service(mail_engine, smtp_sink, mail_codec, mail_clock)
        store = ProfileLogStore(mail_engine, clock=mail_clock)
        await mail.send(
            invitation(
                "wf-9/invitation", ProfileTarget(candidate_id=candidate_id, application_id=application_id)
            )
        )

        assert (
            await store.record_inbound(reply("Mallory <mallory@evil.example>"), to="scheduling@hireflow.test")
            is None
        )
        assert (
            await store.record_inbound(reply("jane.doe@example.com", role="interviewer"), to="x@y.z") is None
        )
        auto = reply("jane.doe@example.com").model_copy(update={"auto_reply_reason": "out of office"})
        assert await store.record_inbound(auto, to="scheduling@hireflow.test") is None

        first = await store.record_inbound(
            reply("Jane <JANE.DOE@example.com>"), to="scheduling@hireflow.test"
        )
        again = await store.record_inbound(
            reply("Jane <JANE.DOE@example.com>"), to="scheduling@hireflow.test"
        )
        assert first is not None and again is not None and first.id == again.id
        assert first.candidate_id == candidate_id and first.application_id == application_id

        assert (await ProfileLogDrain(store, gh).drain_once()).logged == 2
        notes = await email_notes(gh, candidate_id)
        [inbound] = [n for n in notes if n.email_from == "jane.doe@example.com"]
        assert inbound.subject == "Re: Pick a time" and inbound.email_to == "scheduling@hireflow.test"
        assert inbound.body and "Tuesday after 2pm works." in inbound.body and TOKEN not in inbound.body
        assert "reply+" not in (inbound.email_to or "")
