"""`POST /v3/attachments` (harvest-v3.md §5.4, assessments-and-sourcing.md) and `DELETE /v3/attachments/{id}`.

Exactly one of `content` (base64) or `url` (a public URL the sandbox fetches, as Greenhouse does, with a
size cap); the file's kind is judged from its bytes (filetypes.py) and must agree with the filename's
extension, the declared `content_type` and the attachment `type`. A new résumé turns the candidate's
previous résumés into `other` attachments, so exactly one résumé is current.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

import httpx
import structlog
from fastapi import APIRouter, Request, Response
from sqlalchemy import update
from sqlmodel import Session, col

from sandbox.greenhouse import tables as t
from sandbox.greenhouse.bodies import CreateAttachment, parse_body
from sandbox.greenhouse.db import Store
from sandbox.greenhouse.errors import field_error, not_found
from sandbox.greenhouse.filetypes import ALLOWED_KINDS, ANY_KIND, extension, kind_for_extension, sniff
from sandbox.greenhouse.listing import serialize
from sandbox.greenhouse.reads import authorize
from sandbox.greenhouse.state import get_state
from sandbox.greenhouse.webhooks import candidate_payload
from sandbox.greenhouse.writes import Outcome, _run, _touch_candidate, now

router = APIRouter(prefix="/v3")
log = structlog.get_logger("sandbox.greenhouse.attachments")


async def fetch(url: str, limit: int, seconds: float) -> bytes:
    """GET `url` (redirects followed, at most 3), refusing anything over `limit` bytes before reading it all."""
    try:
        async with (
            httpx.AsyncClient(follow_redirects=True, max_redirects=3, timeout=seconds) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise field_error("url", f"could not be fetched: HTTP {response.status_code}")
            declared = response.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise field_error("url", f"is {declared} bytes, more than the {limit}-byte limit")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise field_error("url", f"is more than the {limit}-byte limit")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.HTTPError as exc:
        log.info("attachment_fetch_failed", error=type(exc).__name__)
        raise field_error("url", f"could not be fetched: {type(exc).__name__}") from exc


def check_file(body: CreateAttachment, data: bytes, source: str, limit: int) -> str:
    """The sniffed MIME type of `data`, or a 422 naming what is wrong with it."""
    if not data:
        raise field_error(source, "is empty")
    if len(data) > limit:
        raise field_error(source, f"is {len(data)} bytes, more than the {limit}-byte limit")
    ext = extension(body.filename)
    if ext is None:
        raise field_error("filename", "must have an extension (e.g. resume.pdf)")
    named = kind_for_extension(ext)
    if named is None:
        raise field_error("filename", f"`.{ext}` is not a supported file type")
    found = sniff(data)
    if found.problem:
        raise field_error(source, found.problem)
    if found.kind is None:
        raise field_error(source, "is not a recognised file type")
    if found.kind != named:
        raise field_error(source, f"is a {found.kind} file, but the filename says .{ext}")
    allowed = ALLOWED_KINDS.get(body.type, ANY_KIND)
    if found.kind not in allowed:
        raise field_error(
            "type", f"a {body.type} must be one of {', '.join(sorted(allowed))}, not {found.kind}"
        )
    assert found.mime is not None
    if body.content_type is not None and body.content_type.split(";")[0].strip().lower() != found.mime:
        raise field_error(
            "content_type", f"`{body.content_type}` does not match the file, which is {found.mime}"
        )
    return found.mime


@router.post("/attachments", status_code=201)
async def create_attachment(request: Request) -> Response:
    authorize(request, "harvest:attachments:create", read=False)
    body = await parse_body(request, CreateAttachment)
    config = get_state(request).config
    limit = config.attachment_max_bytes
    if body.content is not None:
        try:
            data = base64.b64decode(body.content, validate=True)
        except binascii.Error as exc:
            raise field_error("content", "is not valid base64") from exc
        mime = check_file(body, data, "content", limit)
    else:
        assert body.url is not None
        data = await fetch(body.url, limit, config.attachment_fetch_timeout_seconds)
        mime = check_file(body, data, "url", limit)
    digest = hashlib.sha256(data).hexdigest()

    def run(session: Session, store: Store) -> Outcome:
        app = session.get(t.Application, body.application_id)
        if app is None:
            raise field_error("application_id", f"`{body.application_id}` does not exist")
        when = now()
        if body.type == "resume":  # the candidate's previous résumés become `other`
            session.execute(
                update(t.Attachment)
                .where(col(t.Attachment.candidate_id) == app.candidate_id, col(t.Attachment.type) == "resume")
                .values(type="other", updated_at=when)
            )
        att_id = store.next_id(session, t.Attachment)
        expires = int(when.timestamp()) + 7 * 24 * 3600
        url = (
            f"https://sandbox-attachments.example/person_attachments/{att_id}/{body.filename}"
            f"?X-Amz-Expires=604800&X-Amz-Date={int(when.timestamp())}&Expires={expires}"
            f"&X-Amz-Signature={digest[:32]}"
        )
        att = t.Attachment(
            id=att_id,
            created_at=when,
            updated_at=when,
            application_id=app.id,
            candidate_id=app.candidate_id,
            type=body.type,
            filename=body.filename,
            url=url,
            visibility=body.visibility or "public",
            content_type=mime,
            size_bytes=len(data),
            sha256=digest,
        )
        session.add(att)
        _touch_candidate(session, app.candidate_id, when)
        session.flush()
        return Outcome(
            serialize("attachments", att),
            [("update_candidate", candidate_payload(session, app.candidate_id))],
        )

    return await _run(request, run, 201)


@router.delete("/attachments/{attachment_id}", status_code=204)
async def delete_attachment(attachment_id: int, request: Request) -> Response:
    authorize(request, "harvest:attachments:destroy", read=False)

    def run(session: Session, store: Store) -> Outcome:
        att = session.get(t.Attachment, attachment_id)
        if att is None:
            raise not_found()
        session.delete(att)
        if att.candidate_id is not None:
            _touch_candidate(session, att.candidate_id, now())
        return Outcome()

    return await _run(request, run, 204)
