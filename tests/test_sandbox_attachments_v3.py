"""`POST /v3/attachments` rules over real HTTP: base64 or URL, size cap, type by content, résumé reclassification."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.greenhouse.config import SandboxConfig
from sandbox.greenhouse.server import SandboxServer
from sandbox.serving import EmbeddedServer, bind
from tests.fixtures.sandbox import harvest_client

LIMIT = 64 * 1024
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


FILES = {"/cv.pdf": PDF, "/big.pdf": PDF + b"x" * (LIMIT + 1), "/cv.docx": docx()}


async def serve_file(request: Request) -> Response:
    data = FILES.get(request.url.path)
    return (
        Response(data, media_type="application/octet-stream")
        if data is not None
        else Response(status_code=404)
    )


@contextlib.asynccontextmanager
async def file_server() -> AsyncIterator[str]:
    app = Starlette(routes=[Route("/{name}", serve_file)])
    sock = bind("127.0.0.1", 0, "file server")
    server = EmbeddedServer(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def server() -> AsyncIterator[SandboxServer]:
    config = SandboxConfig(candidates=20, seed=5, rate_limit=10_000, attachment_max_bytes=LIMIT)
    async with SandboxServer(config) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="session")
async def client(server: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with await harvest_client(server) as c:
        yield c


async def an_application(client: httpx.AsyncClient, index: int = 0) -> dict[str, Any]:
    apps = (await client.get("/v3/applications", params={"status": "active", "prospect": "false"})).json()
    app: dict[str, Any] = apps[index]
    return app


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def post(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post("/v3/attachments", json=body)


async def test_base64_and_url_and_resume_reclassification(client: httpx.AsyncClient) -> None:
    app = await an_application(client)
    first = await post(client, application_id=app["id"], filename="cv.pdf", type="resume", content=b64(PDF))
    assert first.status_code == 201, first.text
    async with file_server() as base:
        second = await post(
            client, application_id=app["id"], filename="cv.docx", type="resume", url=f"{base}/cv.docx"
        )
        assert second.status_code == 201, second.text
        missing = await post(
            client, application_id=app["id"], filename="cv.pdf", type="resume", url=f"{base}/nope.pdf"
        )
        assert missing.json()["errors"] == [{"url": "could not be fetched: HTTP 404"}]
        big = await post(
            client, application_id=app["id"], filename="big.pdf", type="resume", url=f"{base}/big.pdf"
        )
        assert big.status_code == 422 and "limit" in big.json()["errors"][0]["url"]
    listed = {
        a["id"]: a["type"]
        for a in (await client.get("/v3/attachments", params={"candidate_ids": app["candidate_id"]})).json()
    }
    assert listed[second.json()["id"]] == "resume" and listed[first.json()["id"]] == "other"
    assert list(listed.values()).count("resume") == 1


async def test_type_is_judged_by_content(client: httpx.AsyncClient) -> None:
    app = await an_application(client, 1)
    cases = [
        ({"filename": "cv.pdf", "type": "resume", "content": b64(docx())}, "content", "is a docx file"),
        ({"filename": "cv.docx", "type": "resume", "content": b64(PDF)}, "content", "is a pdf file"),
        (
            {"filename": "cv.pdf", "type": "resume", "content": b64(b"\x00\x01\x02binary")},
            "content",
            "not a recognised",
        ),
        (
            {"filename": "photo.png", "type": "resume", "content": b64(b"\x89PNG\r\n\x1a\n....")},
            "type",
            "a resume must be",
        ),
        ({"filename": "cv", "type": "resume", "content": b64(PDF)}, "filename", "extension"),
        ({"filename": "cv.exe", "type": "other", "content": b64(PDF)}, "filename", "not a supported"),
        ({"filename": "cv.pdf", "type": "resume", "content": ""}, "content", "is empty"),
        (
            {"filename": "cv.pdf", "type": "resume", "content": b64(PDF), "content_type": "image/png"},
            "content_type",
            "does not match",
        ),
        ({"filename": "cv.pdf", "type": "resume", "content": b64(PDF + b"x" * LIMIT)}, "content", "limit"),
        (
            {"filename": "cv.docx", "type": "resume", "content": b64(b"PK\x03\x04broken")},
            "content",
            "corrupt",
        ),
        ({"filename": "cv.pdf", "type": "admin_only", "content": b64(PDF)}, "type", "v1 type"),
        (
            {"filename": "cv.pdf", "type": "resume", "content": b64(PDF), "visibility": "admin_only_visible"},
            "visibility",
            "",
        ),
    ]
    for body, field, words in cases:
        answer = await post(client, application_id=app["id"], **body)
        assert answer.status_code == 422, (body["filename"], answer.text)
        [error] = answer.json()["errors"]
        assert list(error) == [field] and words in error[field], (body, error)
    screenshot = await post(
        client,
        application_id=app["id"],
        filename="screen.png",
        type="other",
        content=b64(b"\x89PNG\r\n\x1a\n...."),
        visibility="admin_only",
    )
    assert screenshot.status_code == 201
    unknown_app = await post(client, application_id=1, filename="cv.pdf", type="resume", content=b64(PDF))
    assert unknown_app.json()["errors"] == [{"application_id": "`1` does not exist"}]
