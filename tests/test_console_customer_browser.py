"""The customer pages in a real browser (Chromium at ``/usr/bin/chromium``): top-up by redemption code,
webhook settings with a signed test event, the tasks page with a Midjourney grid whose U1 button makes
the upscale, and the public price list. Screenshots go to ``artifacts/screenshots/``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from standardwebhooks import Webhook

from conftest import Gateway, Upstream
from customer_support import customer_gateway, make_codes
from mj_support import Receiver, wait_for
from omnirelay.testing import serve_in_thread
from platform_support import PASSWORD
from test_console_browser import CHROMIUM, money, shot

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (scripts/check installs it)"),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def gateway(stack: ExitStack, make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]) -> Gateway:
    return customer_gateway(stack, make_gateway, make_upstream())[0]


def _sign_up(page: Page, gateway: Gateway, username: str) -> int:
    page.goto(gateway.url + "/console/signup")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    users = gateway.admin_json("GET", "/api/admin/users")["data"]
    return int(next(u["account_id"] for u in users if u["username"] == username))


def test_a_customer_redeems_a_code_and_sees_the_balance_rise(page: Page, gateway: Gateway) -> None:
    _sign_up(page, gateway, "alice")
    (code,) = make_codes(gateway, 3_000_000)
    page.get_by_role("link", name="Top up").click()
    assert money(page.locator("#balance").inner_text()) == 0
    page.get_by_label("Redemption code").fill(code)
    page.get_by_role("button", name="Redeem").click()
    expect(page.locator("#topup-done")).to_have_text("$3.00 was added to your balance.")
    assert money(page.locator("#balance").inner_text()) == 3.0
    expect(page.locator("#redemptions tbody tr")).to_have_count(1)
    shot(page, "topup")
    page.get_by_label("Redemption code").fill(code)
    page.get_by_role("button", name="Redeem").click()
    expect(page.locator("#topup-error")).to_have_text("This code is unknown, already used, disabled or expired.")
    assert money(page.locator("#balance").inner_text()) == 3.0


def test_a_customer_sets_the_webhook_and_a_signed_test_event_arrives(
    page: Page, gateway: Gateway, stack: ExitStack
) -> None:
    hook = Receiver()
    hook_url = stack.enter_context(serve_in_thread(hook.app)) + "/hook"
    _sign_up(page, gateway, "bob")
    page.get_by_role("link", name="Webhook").click()
    page.get_by_label("Webhook URL").fill(hook_url)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#webhook-notice")).to_have_text("The webhook URL is saved.")
    page.get_by_text("Reveal the secret").click()
    secret = page.locator("#webhook-secret").inner_text().strip()
    assert secret.startswith("whsec_")
    page.get_by_role("button", name="Send a test event").click()
    headers, body = wait_for(lambda: hook.received and hook.received[0])
    assert Webhook(secret).verify(body, headers)["type"] == "webhook.test"

    def delivered() -> bool:
        page.get_by_role("link", name="Refresh").click()
        return "Delivered" in page.locator("#deliveries").inner_text()

    wait_for(delivered, interval=0.3)
    page.get_by_text("1 attempt(s)").click()
    shot(page, "webhook")
    page.get_by_role("button", name=re.compile("^Redeliver")).first.click()
    wait_for(lambda: len(hook.received) == 2)


def test_an_mj_imagine_shows_in_tasks_and_u1_makes_the_upscale(page: Page, gateway: Gateway) -> None:
    account_id = _sign_up(page, gateway, "carol")
    gateway.admin_json("POST", f"/api/admin/accounts/{account_id}/topups", json={"amount": 10**8})
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name", exact=True).fill("mj")
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#new-key").inner_text().strip()
    submitted = httpx.post(
        gateway.url + "/mj/submit/imagine",
        json={"prompt": "a red fox in the snow"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    ).json()
    task_id = submitted["result"]
    page.get_by_role("link", name="Tasks").click()
    card = page.locator(f"#task-{task_id}")
    expect(card).to_be_visible()
    expect(card.locator(".task-status")).to_have_text("Succeeded", timeout=20_000)  # htmx polling updates it
    expect(card.locator("img")).to_be_visible()
    assert card.locator("img").evaluate("i => i.naturalWidth") > 0
    shot(page, "tasks")
    card.get_by_role("button", name="U1").click()
    expect(page.locator("#tasks-notice")).to_contain_text("Submitted: task")
    upscale_id = re.sub(r"\D", "", page.locator("#tasks-notice").inner_text())
    upscale = page.locator(f"#task-{upscale_id}")
    expect(upscale).to_contain_text("UPSCALE")
    expect(upscale.locator(".task-status")).to_have_text("Succeeded", timeout=20_000)
    shot(page, "tasks-upscaled")


def test_a_suno_song_shows_in_tasks_with_playable_clips(page: Page, gateway: Gateway) -> None:
    account_id = _sign_up(page, gateway, "dave")
    gateway.admin_json("POST", f"/api/admin/accounts/{account_id}/topups", json={"amount": 10**8})
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name", exact=True).fill("suno")
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#new-key").inner_text().strip()
    submitted = httpx.post(
        gateway.url + "/suno/submit/music",
        json={"prompt": "[Verse]\nneon rain", "mv": "chirp-v4", "title": "Work", "tags": "edm"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    ).json()
    page.get_by_role("link", name="Tasks").click()
    card = page.locator(f"#task-{submitted['data']}")
    expect(card.locator(".task-status")).to_have_text("Succeeded", timeout=20_000)
    expect(card.locator("audio")).to_have_count(2)
    duration = card.locator("audio").first.evaluate(
        "a => new Promise((ok, fail) => { a.onloadedmetadata = () => ok(a.duration); a.onerror = fail; a.load(); })"
    )
    assert duration > 0
    shot(page, "tasks-suno")


def test_the_price_list_is_public_and_translated(page: Page, gateway: Gateway) -> None:
    page.goto(gateway.url + "/pricing")
    row = page.locator("#price-gpt-test")
    expect(row).to_contain_text("$1.00")
    expect(row).to_contain_text("$2.00")
    expect(page.locator("#price-mj_imagine")).to_contain_text("$0.05")
    expect(page.locator("#price-gpt-cached")).to_contain_text("Cached input / 1M: $0.25")
    shot(page, "pricing")
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("heading", name="模型与价格")).to_be_visible()
    shot(page, "pricing-zh-CN")
