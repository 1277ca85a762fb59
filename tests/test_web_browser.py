"""The candidate pages in headless Chromium (Debian's package) driven by Playwright.

Same server and workflow as `test_web_pages.py` (its `web` fixture), seen through a real browser:
zone detection and the zone switch, picking (with the keyboard), proposing times, rescheduling and
cancelling. `HIREFLOW_SCREENSHOTS=1` also refreshes the README screenshots in `docs/screenshots/`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright, expect

from models.messages import SchedulingState
from tests.test_web_pages import WebHarness, until
from tests.test_web_pages import web as web  # the `web` fixture, shared
from workflows.scheduling import SchedulingWorkflow

CHROMIUM = Path("/usr/bin/chromium")
DOCS_SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"
)


@pytest_asyncio.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        await launched.close()


async def _page(browser: Browser, zone: str = "America/New_York", **options: object) -> Page:
    context = await browser.new_context(timezone_id=zone, locale="en-US", **options)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    return await context.new_page()


async def test_zone_is_detected_switchable_and_works_without_javascript(
    web: WebHarness, browser: Browser
) -> None:
    handle = await web.start()
    token = web.token(handle.id)
    page = await _page(browser, "America/New_York")
    await page.goto(f"{web.base_url}/s/{token}")
    await page.wait_for_url("**tz=America%2FNew_York*")
    await expect(page.locator("#zone-name")).to_have_text("New York time (America/New_York)")
    await expect(page.locator(".option .when").first).to_contain_text("(New York time, EST)")
    await page.select_option("#tz", "Asia/Tokyo")
    await page.get_by_role("button", name="Show times").click()
    await expect(page.locator(".option .when").first).to_contain_text("(Tokyo time, JST)")
    await page.context.close()

    no_js = await _page(browser, "Asia/Tokyo", java_script_enabled=False)
    await no_js.goto(f"{web.base_url}/s/{token}")
    await expect(no_js.locator(".option .when").first).to_contain_text("(London time, GMT)")
    await no_js.context.close()


async def test_pick_an_option_with_the_keyboard_and_save_screenshots(
    web: WebHarness, browser: Browser, tmp_path: Path
) -> None:
    # README screenshots are refreshed on request only, so a test run never edits tracked files.
    shots = DOCS_SCREENSHOTS if os.environ.get("HIREFLOW_SCREENSHOTS") == "1" else tmp_path
    handle = await web.start()
    token = web.token(handle.id)
    shots.mkdir(parents=True, exist_ok=True)
    phone = await _page(
        browser, "America/New_York", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    await phone.goto(f"{web.base_url}/s/{token}")
    await expect(phone.locator(".option").first).to_be_visible()
    await phone.screenshot(path=str(shots / "candidate-page-phone.png"), full_page=True)
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
    await phone.context.close()

    page = await _page(browser, "America/New_York", viewport={"width": 1280, "height": 900})
    await page.goto(f"{web.base_url}/s/{token}")
    await expect(page.locator(".option").first).to_be_visible()
    await page.screenshot(path=str(shots / "candidate-page-desktop.png"), full_page=True)
    first = page.locator("input[name=option_id]").first
    await first.focus()
    await page.keyboard.press("Space")
    await expect(first).to_be_checked()
    await page.get_by_role("button", name="Book this time").click()
    await expect(page.get_by_role("heading", name="Your interviews are booked")).to_be_visible()
    await expect(page.locator(".booked")).to_contain_text("(New York time, EST)")
    await page.screenshot(path=str(shots / "candidate-booked-desktop.png"), full_page=True)
    await page.context.close()
    assert (await handle.query(SchedulingWorkflow.status)).state == SchedulingState.SCHEDULED


async def test_propose_times_when_none_work(web: WebHarness, browser: Browser) -> None:
    handle = await web.start()
    page = await _page(browser, "Europe/Berlin")
    await page.goto(f"{web.base_url}/s/{web.token(handle.id)}")
    await page.get_by_role("link", name="None of these work? Suggest times that suit you").click()
    await expect(page.get_by_role("heading", name="Suggest times that work for you")).to_be_visible()
    day = (datetime.now(UTC) + timedelta(days=4)).date().isoformat()
    await page.get_by_label("Date").first.fill(day)
    await page.get_by_label("From").first.fill("09:00")
    await page.get_by_label("To").first.fill("13:00")
    await page.get_by_label("Anything we should know?").fill("Mornings are best")
    await page.get_by_role("button", name="Send my times").click()
    await expect(page.locator(".status")).to_contain_text("inside the times you gave")
    await expect(page.locator(".option .when").first).to_contain_text("(Berlin time, CET)")
    await page.context.close()
    windows = web.world.finds[-1].candidate_windows
    assert windows[0].start.astimezone(UTC).hour == 8  # 09:00 in Berlin (CET)


async def test_reschedule_then_cancel_from_the_confirmation_page(web: WebHarness, browser: Browser) -> None:
    handle = await web.start()
    page = await _page(browser, "America/Chicago")
    await page.goto(f"{web.base_url}/s/{web.token(handle.id)}")
    await page.locator(".option label").first.click()
    await page.get_by_role("button", name="Book this time").click()
    await expect(page.get_by_role("heading", name="Your interviews are booked")).to_be_visible()
    booked_url = page.url

    await page.get_by_role("link", name="Ask for a different time").click()
    await expect(page.get_by_role("heading", name="Reschedule your interviews")).to_be_visible()
    await page.get_by_label("Why do you need a new time?").fill("A clash came up")
    await page.get_by_role("button", name="Show me new times").click()
    await expect(page.get_by_role("heading", name="Choose a new time")).to_be_visible()
    await until(handle, SchedulingState.RESCHEDULING)

    await page.goto(booked_url)  # the pick link now shows the new options
    await page.locator(".option label").first.click()
    await page.get_by_role("button", name="Book this time").click()
    await expect(page.get_by_role("heading", name="Your interviews are booked")).to_be_visible()
    await page.get_by_role("link", name="Cancel these interviews").click()
    await expect(page.get_by_role("heading", name="Cancel your interviews?")).to_be_visible()
    await page.get_by_label("Reason").fill("Accepted another offer")
    await page.get_by_role("button", name="Yes, cancel my interviews").click()
    await expect(page.get_by_role("heading", name="Your interviews are cancelled")).to_be_visible()
    await page.context.close()
    status = await until(handle, SchedulingState.CANCELLED)
    assert status.reschedules == 1
