"""The candidate's browser in `hireflow demo`: plain HTTP with cookies, forms, redirects and refreshes.

It reads the candidate pages the way a person does (headings, notices, the options and their days,
forms with their hidden CSRF fields) and submits them like a browser, so the demo exercises exactly
what works without JavaScript.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx


class DemoError(RuntimeError):
    """A step that did not happen in time: what, and where to look."""


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    radios: dict[str, list[str]] = field(default_factory=dict)
    buttons: list[str] = field(default_factory=list)


@dataclass
class PageOption:
    option_id: str
    day: str = ""
    when: str = ""


@dataclass
class Link:
    href: str
    text: str = ""


@dataclass
class ParsedPage:
    """What a person sees and can do on one page."""

    url: str
    status: int
    title: str = ""
    heading: str = ""
    notice: str = ""
    message: str = ""
    refresh: float | None = None
    forms: list[Form] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    options: list[PageOption] = field(default_factory=list)
    redirects: list[int] = field(default_factory=list)

    def form(self, action_suffix: str) -> Form | None:
        return next((f for f in self.forms if urlsplit(f.action).path.endswith(action_suffix)), None)

    def link(self, text: str) -> Link | None:
        return next((link for link in self.links if text.lower() in link.text.lower()), None)

    def line(self) -> str:
        hops = "".join(f"{code} → " for code in self.redirects)
        return f'{hops}{self.status} "{self.heading or self.title}"'


class _PageParser(HTMLParser):
    CAPTURED = {"title", "h1", "a", "span", "div", "p", "button", "legend"}

    def __init__(self, page: ParsedPage) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self._open: list[tuple[str, str | None]] = []  # (tag, what its text is for)
        self._text: dict[str, list[str]] = {}
        self._day = ""  # the legend of the fieldset being read: the options' local day

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self._form_part(tag, a)
        if tag not in self.CAPTURED:
            return
        page = self.page
        classes = set(a.get("class", "").split())
        purpose: str | None = None
        if tag in ("title", "h1", "button", "legend"):
            purpose = tag
        elif tag == "a":
            page.links.append(Link(a.get("href", "")))
            purpose = "a"
        elif tag == "span" and "when" in classes and page.options:
            purpose = "when"
        elif tag == "div" and "notice" in classes:
            purpose = "notice"
        elif tag == "p" and "status" in classes:
            purpose = "message"
        self._open.append((tag, purpose))
        if purpose:
            self._text[purpose] = []

    def _form_part(self, tag: str, a: dict[str, str]) -> None:
        """A meta refresh, a form or one of its fields."""
        page = self.page
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            try:
                page.refresh = float(a.get("content", "0").split(";")[0])
            except ValueError:
                page.refresh = 1.0
        elif tag == "form":
            page.forms.append(Form(action=a.get("action", ""), method=a.get("method", "get").lower()))
        elif tag == "input" and page.forms:
            form, name, kind = page.forms[-1], a.get("name", ""), a.get("type", "text").lower()
            if kind == "radio":
                form.radios.setdefault(name, []).append(a.get("value", ""))
                if name == "option_id":
                    page.options.append(PageOption(a.get("value", ""), day=self._day))
            elif name and kind not in ("submit", "button", "checkbox"):
                form.fields[name] = a.get("value", "")
        elif tag == "textarea" and page.forms and a.get("name"):
            page.forms[-1].fields[a["name"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if not self._open or self._open[-1][0] != tag:
            return
        _, purpose = self._open.pop()
        if purpose is None:
            return
        text = " ".join("".join(self._text.pop(purpose, [])).split())
        page = self.page
        if purpose == "title":
            page.title = text
        elif purpose == "h1" and not page.heading:
            page.heading = text
        elif purpose == "a":
            page.links[-1].text = text
        elif purpose == "legend":
            self._day = text
        elif purpose == "when":
            option = page.options[-1]
            option.when = f"{option.day}, {text}" if option.day else text
        elif purpose == "notice":
            page.notice = text
        elif purpose == "message":
            page.message = text
        elif purpose == "button" and page.forms:
            page.forms[-1].buttons.append(text)

    def handle_data(self, data: str) -> None:
        for _, purpose in self._open:
            if purpose:
                self._text[purpose].append(data)


def parse_page(response: httpx.Response) -> ParsedPage:
    page = ParsedPage(
        url=str(response.url),
        status=response.status_code,
        redirects=[r.status_code for r in response.history],
    )
    _PageParser(page).feed(response.text)
    return page


class CandidateBrowser:
    """An HTTP client that behaves like the candidate's browser: cookies, forms, redirects, refreshes."""

    def __init__(self) -> None:
        self.http = httpx.AsyncClient(
            follow_redirects=True, timeout=60, headers={"User-Agent": "hireflow-demo (the candidate)"}
        )
        self.visits: list[ParsedPage] = []

    async def aclose(self) -> None:
        await self.http.aclose()

    async def get(self, url: str) -> ParsedPage:
        page = parse_page(await self.http.get(url))
        self.visits.append(page)
        return page

    async def submit(self, page: ParsedPage, form: Form, **choices: str) -> ParsedPage:
        """Submit `form` of `page` with its hidden fields plus `choices` (radio values, text)."""
        data = {**form.fields, **choices}
        target = urljoin(page.url, form.action)
        if form.method == "post":
            response = await self.http.post(target, data=data)
        else:
            response = await self.http.get(target, params=data)
        result = parse_page(response)
        self.visits.append(result)
        return result

    async def settle(
        self, page: ParsedPage, ready: Callable[[ParsedPage], bool], what: str, limit: float
    ) -> ParsedPage:
        """Follow the page's own refresh (as a browser does) until `ready(page)`."""
        deadline = time.monotonic() + limit
        while not ready(page):
            if page.refresh is None or time.monotonic() > deadline:
                raise DemoError(
                    f"the candidate's page did not show {what} within {limit:g} s; "
                    f"it shows {page.line()}{': ' + page.message if page.message else ''} at {page.url}"
                )
            await asyncio.sleep(min(page.refresh, 2.0))
            page = await self.get(page.url)
        return page
