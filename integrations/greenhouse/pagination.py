"""Cursor pagination over Harvest v3 lists (reference §2).

The first request carries the filters and `per_page`; every later page is fetched from the `Link:
<...>; rel="next"` URL exactly as given (the cursor must be the only parameter). A missing next link
ends the list. Next links that leave the API origin (other host, port or a scheme downgrade) are
refused, since the request would carry our bearer token there.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from integrations.greenhouse.errors import HarvestError, UnsafeLinkError
from integrations.greenhouse.query import build_params, check_per_page, chunk_id_filters
from integrations.greenhouse.transport import HarvestTransport

M = TypeVar("M", bound=BaseModel)


def next_link(response: httpx.Response, origin: httpx.URL) -> httpx.URL | None:
    """The `rel="next"` URL of a response, resolved and checked to stay on `origin`; None on the last page."""
    link = response.links.get("next")
    if not link or not link.get("url"):
        return None
    url = response.url.join(link["url"]) if response.request is not None else httpx.URL(link["url"])
    if (url.scheme, url.host, url.port) != (origin.scheme, origin.host, origin.port):
        raise UnsafeLinkError(
            f"refusing next link to another origin ({url.scheme}://{url.host})",
            status=response.status_code,
            method="GET",
            path=response.url.path,
        )
    return url


async def iter_pages(
    transport: HarvestTransport,
    path: str,
    params: dict[str, str],
    *,
    sub: int | None,
    per_page: int | None,
    prefetch: bool = True,
) -> AsyncGenerator[list[dict[str, Any]], None]:
    """Yield each page (a JSON array of objects) of one listing.

    With `prefetch`, the next page is requested as soon as its link is known, so the server works on
    page N+1 while we decode page N (the rate limiter still gates it). A consumer that stops early
    costs at most that one extra request.
    """
    check_per_page(per_page)
    first = dict(params)
    if per_page is not None:
        first["per_page"] = str(per_page)
    response = await transport.request("GET", transport.url(path), params=first, sub=sub)
    seen: set[str] = set()
    pending: asyncio.Task[httpx.Response] | None = None
    try:
        while True:
            url = next_link(response, transport.base_url)
            if url is not None:
                if str(url) in seen:
                    raise HarvestError("pagination loop: next link repeats", method="GET", path=url.path)
                seen.add(str(url))
                if prefetch:
                    pending = asyncio.ensure_future(transport.request("GET", url, sub=sub))
            yield _page(response)
            if url is None:
                return
            if pending is not None:
                response, pending = await pending, None
            else:
                response = await transport.request("GET", url, sub=sub)
    finally:
        if pending is not None:
            if not pending.done():
                pending.cancel()
            elif not pending.cancelled():
                pending.exception()  # retrieved, so an unused failure is not reported as "never retrieved"


def _page(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        data = response.json()
    except ValueError as exc:
        raise HarvestError(
            "list answered with non-JSON", status=response.status_code, method="GET", path=response.url.path
        ) from exc
    if not isinstance(data, list):
        raise HarvestError(
            "list answered with something other than a JSON array",
            status=response.status_code,
            method="GET",
            path=response.url.path,
        )
    return data


class Listing(Generic[M]):
    """A lazy Harvest list: `async for item in listing`, or `await listing.collect()`.

    Id-list filters longer than 50 are split into chunks, one paginated listing per chunk, merged in
    order; when there are several chunks, objects already yielded (by id) are skipped, because
    membership filters such as `office_ids` can match one object from two chunks.
    """

    def __init__(
        self,
        transport: HarvestTransport,
        path: str,
        model: type[M],
        filters: dict[str, Any],
        *,
        fields: list[str] | None,
        per_page: int | None,
        sub: int | None,
    ) -> None:
        check_per_page(per_page)
        self._chunks = list(chunk_id_filters(filters))
        self._params = [build_params(chunk, fields=fields) for chunk in self._chunks]
        self._transport = transport
        self._path = path
        self._model = model
        self._per_page = per_page
        self._sub = sub
        self.pages = 0

    @property
    def requests_planned(self) -> int:
        """Number of separate paginated listings (one per id chunk); 0 when an id filter is empty."""
        return len(self._params)

    async def __aiter__(self) -> AsyncGenerator[M, None]:
        seen: set[int] | None = set() if len(self._params) > 1 else None
        for params in self._params:
            pages = iter_pages(self._transport, self._path, params, sub=self._sub, per_page=self._per_page)
            async with aclosing(pages):  # stopping early cancels the prefetched page now, not at GC time
                async for page in pages:
                    self.pages += 1
                    for raw in page:
                        item = self._parse(raw)
                        if seen is not None:
                            key = getattr(item, "id", None)
                            if isinstance(key, int):
                                if key in seen:
                                    continue
                                seen.add(key)
                        yield item

    def _parse(self, raw: Any) -> M:
        try:
            return self._model.model_validate(raw)
        except PydanticValidationError as exc:
            raise HarvestError(
                f"unexpected {self._model.__name__} shape: {exc.error_count()} problem(s), first: "
                f"{exc.errors()[0]['loc']} {exc.errors()[0]['msg']}",
                status=200,
                method="GET",
                path=self._path,
            ) from exc

    async def collect(self) -> list[M]:
        """Every item of the listing, in order."""
        return [item async for item in self]
