"""The console in a real browser: Playwright for Python driving Debian's Chromium (``/usr/bin/chromium``,
installed by ``scripts/check``; no browser download) against a real gateway in front of a fake upstream.

Each page is photographed into ``artifacts/screenshots/`` (or ``$OMNIRELAY_ARTIFACTS/screenshots``).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import openai
import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from conftest import Gateway, Upstream, channel, per_token
from platform_support import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(os.environ.get("OMNIRELAY_ARTIFACTS", Path(__file__).resolve().parents[1] / "artifacts")) / "screenshots"

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
def gateway(make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]) -> Gateway:
    return make_gateway(
        console={"signup": "open", "money_symbol": "$"},
        channels=[channel("main", make_upstream())],
        prices=[per_token()],
    )


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def money(text: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", text))


def _sign_up(page: Page, gateway: Gateway, username: str) -> None:
    page.goto(gateway.url + "/console")
    expect(page).to_have_url(re.compile(r"/console/login$"))
    shot(page, "login")
    page.get_by_role("link", name="No account yet? Sign up").click()
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    shot(page, "signup")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def _create_key(page: Page, name: str) -> str:
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Models").fill("gpt-test")
    page.get_by_label("Requests per minute").fill("600")
    page.get_by_label("Spend cap").fill("5")
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#new-key").inner_text().strip()
    shot(page, "keys")
    return key


def test_a_customer_signs_up_makes_a_key_calls_the_api_and_sees_the_call_and_the_cost(
    page: Page, gateway: Gateway
) -> None:
    _sign_up(page, gateway, "alice")
    user = gateway.admin_json("GET", "/api/admin/users")["data"][0]
    gateway.admin_json("POST", f"/api/admin/accounts/{user['account_id']}/topups", json={"amount": 2_000_000})
    page.reload()
    before = money(page.locator("#balance").inner_text())
    assert before == 2.0
    expect(page.locator("#base-url")).to_have_text(gateway.url + "/v1")
    expect(page.locator("#example-python")).to_contain_text('model="gpt-test"')
    shot(page, "home")
    key = _create_key(page, "laptop")
    assert key.startswith("sk-")
    sdk = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)
    sdk.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hello from the browser test"}])
    gateway.flush()
    page.get_by_role("link", name="Usage log").click()
    expect(page.locator("#log-table tbody tr")).to_have_count(1)
    expect(page.locator("#log-table")).to_contain_text("gpt-test")
    shot(page, "logs")
    page.get_by_label("Model").fill("no-such-model")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#no-logs")).to_be_visible()
    csv_link = page.locator("#csv-link").get_attribute("href") or ""
    assert "model=no-such-model" in csv_link
    csv_text = page.request.get(gateway.url + csv_link).text()
    assert csv_text.splitlines()[0].startswith("id,request_id")
    full_csv = page.request.get(gateway.url + "/api/v1/logs/export").text()
    assert "gpt-test" in full_csv
    page.get_by_role("link", name="Home").click()
    after = money(page.locator("#balance").inner_text())
    assert after < before
    assert money(page.locator("#month-spend").inner_text()) == pytest.approx(before - after)


def test_keys_are_disabled_and_deleted_from_the_page(page: Page, gateway: Gateway) -> None:
    _sign_up(page, gateway, "bob")
    _create_key(page, "temp")
    page.get_by_role("button", name="Disable temp").click()
    expect(page.locator("tbody")).to_contain_text("Disabled")
    page.get_by_text("Delete", exact=True).click()
    page.get_by_role("button", name="Delete temp").click()
    expect(page.get_by_text("You have no API keys yet.")).to_be_visible()


def test_the_language_switch_translates_the_console_and_is_kept(page: Page, gateway: Gateway) -> None:
    _sign_up(page, gateway, "carol")
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("heading", name="概览")).to_be_visible()
    expect(page.get_by_role("link", name="API 密钥", exact=True)).to_be_visible()
    shot(page, "home-zh-CN")
    page.get_by_role("link", name="使用日志").click()
    expect(page.get_by_role("heading", name="使用日志")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="首页").click()
    shot(page, "home-phone-zh-CN")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def test_two_factor_sign_in_is_turned_on_in_the_browser_and_then_asked_for(page: Page, gateway: Gateway) -> None:
    _sign_up(page, gateway, "dave")
    page.get_by_role("link", name="Security").click()
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    seed = page.locator("#totp-secret").inner_text().strip()
    shot(page, "security-totp")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(seed).now())
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#totp-status")).to_contain_text("On")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("User name or email").fill("dave")
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-error")).to_have_text("Wrong user name or password.")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/console/login/totp$"))
    page.goto(gateway.url + "/console/keys")  # nothing opens before the second factor
    expect(page).to_have_url(re.compile(r"/console/login$"))
    page.goto(gateway.url + "/console/login/totp")
    shot(page, "login-totp")
    page.get_by_label("Code").fill(pyotp.TOTP(seed).at(time.time() + 30))  # the confirming code is used up
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/console/login$"))
    assert httpx.get(gateway.url + "/console", follow_redirects=False).status_code == 303
