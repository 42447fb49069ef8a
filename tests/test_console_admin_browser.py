"""The operator console in a real browser (Playwright on Debian's Chromium, ``/usr/bin/chromium``) against
a real gateway in front of the fake OpenAI upstream: an operator adds a channel through the form and
tests it, sets a price, tops up an account and reads the dashboard; a customer is refused every page.

Each page is photographed into ``artifacts/screenshots/admin-*.png``; the main ones are copied into
``docs/console/`` for docs/console.md.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import openai
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from conftest import UPSTREAM_SECRET, Gateway, Upstream
from platform_support import PASSWORD, customer

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
SHOTS = Path(os.environ.get("OMNIRELAY_ARTIFACTS", ROOT / "artifacts")) / "screenshots"
DOC_SHOTS = ROOT / "docs" / "console"
DOCUMENTED = (
    "admin-dashboard",
    "admin-channels-tested",
    "admin-prices",
    "admin-accounts",
    "admin-codes",
    "admin-dashboard-phone-zh-CN",
)

ADMIN_PAGES = (
    "/console/admin",
    "/console/admin/accounts",
    "/console/admin/accounts/1/keys",
    "/console/admin/channels",
    "/console/admin/prices",
    "/console/admin/codes",
    "/console/admin/logs",
    "/console/admin/tasks",
    "/console/admin/deliveries",
    "/console/admin/settings",
)
ADMIN_FORMS = (
    "/console/admin/accounts",
    "/console/admin/accounts/1/topup",
    "/console/admin/accounts/1/group",
    "/console/admin/accounts/1/keys/1/disable",
    "/console/admin/accounts/1/keys/1/enable",
    "/console/admin/channels",
    "/console/admin/channels/1/test",
    "/console/admin/channels/1/tune",
    "/console/admin/channels/1/enable",
    "/console/admin/channels/1/disable",
    "/console/admin/prices",
    "/console/admin/prices/delete",
    "/console/admin/multipliers",
    "/console/admin/codes",
    "/console/admin/codes/1/disable",
    "/console/admin/deliveries/1/redeliver",
)

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
def gateway(make_gateway: Callable[..., Gateway]) -> Gateway:
    gateway = make_gateway(
        console={"signup": "open", "money_symbol": "$"},
        accounts=[{"name": "staff"}, {"name": "acme", "balance": 1_000_000}],
    )
    accounts = {a["name"]: a["id"] for a in gateway.admin_json("GET", "/api/admin/accounts")["data"]}
    body = {"account_id": accounts["staff"], "username": "olga", "password": PASSWORD, "operator": True}
    assert gateway.admin_json("POST", "/api/admin/users", json=body)["operator"] is True
    gateway.extra["accounts"] = accounts
    return gateway


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if name in DOCUMENTED:
        DOC_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOC_SHOTS / f"{name}.png")


def sign_in(page: Page, gateway: Gateway, login: str) -> None:
    page.goto(gateway.url + "/console/login")
    page.get_by_label("User name or email").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def add_channel(page: Page, upstream: Upstream) -> None:
    page.get_by_role("link", name="Channels", exact=True).click()
    form = page.locator("#channel-form")
    form.get_by_label("Channel type").select_option("openai")
    expect(form.locator("[data-for-types='suno']")).to_be_hidden()  # only the chosen type's options
    form.get_by_label("Channel name").fill("fake-openai")
    form.get_by_label("Base URL").fill(upstream.url + "/v1")
    form.get_by_label("Upstream API keys (one per line)").fill(UPSTREAM_SECRET)
    form.get_by_label("Models", exact=True).fill("gpt-test")
    form.get_by_label("Priority").fill("5")
    form.get_by_label("Groups").fill("default, vip")
    page.get_by_role("button", name="Add channel").click()
    expect(page.locator("#channels-table")).to_contain_text("fake-openai")
    expect(page.locator("#channels-table")).to_contain_text("Closed (healthy)")


def set_price(page: Page) -> None:
    page.get_by_role("link", name="Prices", exact=True).click()
    form = page.locator("#price-form")
    form.get_by_label("Model").fill("gpt-test")
    form.get_by_label("Billing mode").select_option("per_token")
    form.get_by_label("Input per million tokens ($)").fill("1")
    form.get_by_label("Output per million tokens ($)").fill("2")
    form.get_by_label("Cache read per million ($)").fill("0.25")
    page.get_by_role("button", name="Save price").click()
    expect(page.locator("#prices-table")).to_contain_text("gpt-test")
    expect(page.locator("#prices-table")).to_contain_text("Cache read per million: $0.25")
    shot(page, "admin-prices")


def top_up(page: Page, account_id: int) -> None:
    page.get_by_role("link", name="Accounts", exact=True).click()
    page.get_by_label("Amount for acme ($)").fill("2.5")
    page.get_by_label("Reason for acme").fill("bank transfer 42")
    page.get_by_role("button", name="Top up acme").click()
    expect(page.locator("#admin-notice")).to_have_text("$2.50 credited to acme.")
    expect(page.locator(f"#balance-{account_id}")).to_have_text("$3.50")
    page.get_by_label("Group of acme").fill("vip")
    page.get_by_role("button", name="Save group acme").click()
    expect(page.get_by_label("Group of acme")).to_have_value("vip")
    shot(page, "admin-accounts")


def make_codes(page: Page) -> None:
    page.get_by_role("link", name="Redemption codes").click()
    page.get_by_label("Value of each code ($)").fill("10")
    page.get_by_label("How many").fill("2")
    page.get_by_role("button", name="Make codes").click()
    expect(page.locator("#new-codes-box")).to_contain_text("2 codes of $10.00 made")
    assert len(page.locator("#new-codes").inner_text().split()) == 2
    shot(page, "admin-codes")
    first = page.locator("#codes-table tbody tr").first
    first.get_by_role("button", name=re.compile("^Disable")).click()
    expect(page.locator("#codes-table")).to_contain_text("Disabled")


def test_an_operator_adds_and_tests_a_channel_prices_it_tops_up_and_sees_the_dashboard(
    page: Page, gateway: Gateway, make_upstream: Callable[..., Upstream]
) -> None:
    upstream = make_upstream()
    acme = gateway.extra["accounts"]["acme"]
    sign_in(page, gateway, "olga")
    page.get_by_role("link", name="Operator").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    add_channel(page, upstream)
    page.get_by_role("button", name="Test fake-openai").click()
    expect(page.locator("#test-result")).to_contain_text("Test of fake-openai passed: gpt-test")
    shot(page, "admin-channels-tested")
    set_price(page)
    top_up(page, acme)
    key = gateway.admin_json("POST", "/api/admin/keys", json={"account_id": acme, "name": "k"})["key"]
    sdk = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)
    sdk.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hello"}])
    gateway.flush()
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.locator("#total-requests")).to_have_text("1")
    expect(page.locator("#by-model")).to_contain_text("gpt-test")
    expect(page.locator("#by-channel")).to_contain_text("fake-openai")
    expect(page.locator("#requests-chart rect")).to_have_count(1)
    shot(page, "admin-dashboard")
    page.get_by_role("link", name="All logs").click()
    expect(page.locator("#admin-log-table tbody tr")).to_have_count(1)
    shot(page, "admin-logs")
    page.get_by_role("link", name="Settings", exact=True).click()
    expect(page.locator("#settings-table")).to_contain_text("admin_key")
    expect(page.locator("#settings-table")).not_to_contain_text("sk-admin")
    shot(page, "admin-settings")
    make_codes(page)
    page.goto(gateway.url + f"/console/admin/accounts/{acme}/keys")
    page.get_by_role("button", name="Disable k").click()
    expect(page.locator("#keys-table")).to_contain_text("Disabled")


def test_a_channel_is_disabled_and_tuned_and_a_failing_test_says_why(
    page: Page, gateway: Gateway, make_upstream: Callable[..., Upstream]
) -> None:
    upstream = make_upstream()
    sign_in(page, gateway, "olga")
    page.goto(gateway.url + "/console/admin/channels")
    add_channel(page, upstream)
    row = page.locator("#channels-table tr", has_text="fake-openai")
    row.get_by_label("Weight", exact=True).fill("7")
    row.get_by_label("Model mapping (model=upstream model, one per line)").fill("gpt-test=gpt-test-2")
    with page.expect_navigation():
        page.get_by_role("button", name="Save fake-openai").click()
    channel = next(c for c in gateway.admin_json("GET", "/api/admin/channels")["data"] if c["name"] == "fake-openai")
    assert (channel["weight"], channel["priority"], channel["model_map"]) == (7, 5, {"gpt-test": "gpt-test-2"})
    page.get_by_role("button", name="Disable fake-openai").click()
    expect(page.locator("#channels-table")).to_contain_text("Disabled")
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("heading", name="渠道", exact=True)).to_be_visible()
    shot(page, "admin-channels-zh-CN")
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="仪表盘").click()
    expect(page.get_by_role("heading", name="仪表盘")).to_be_visible()
    shot(page, "admin-dashboard-phone-zh-CN")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="渠道", exact=True).click()
    page.get_by_role("link", name="English").click()
    form = page.locator("#channel-form")
    form.get_by_label("Channel name").fill("broken")
    form.get_by_label("Base URL").fill("not a url")
    form.get_by_label("Models", exact=True).fill("gpt-test")
    page.get_by_role("button", name="Add channel").click()
    expect(page.locator("#admin-error")).to_be_visible()


def test_a_customer_is_refused_every_operator_page_and_form(page: Page, gateway: Gateway) -> None:
    client = customer(gateway, "mallory")
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 403, path
    for path in ADMIN_FORMS:
        answer = client.post(path, data={"csrf_token": client.headers["X-CSRF-Token"], "amount": "100"})
        assert answer.status_code == 403, path
    sign_in(page, gateway, "mallory")
    expect(page.get_by_role("link", name="Operator")).to_have_count(0)
    page.goto(gateway.url + "/console/admin/channels")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_text("Only operators can open this page.")).to_be_visible()
    shot(page, "admin-refused")


def test_operator_forms_need_the_csrf_token_and_pages_need_a_session(gateway: Gateway) -> None:
    anonymous = httpx.Client(base_url=gateway.url, timeout=30)
    for path in ADMIN_PAGES:
        answer = anonymous.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/console/login"), path
    operator = httpx.Client(base_url=gateway.url, timeout=30)
    assert operator.post("/api/v1/auth/login", json={"login": "olga", "password": PASSWORD}).status_code == 200
    for path in ADMIN_FORMS:
        assert operator.post(path, data={"amount": "100", "reason": "x"}).status_code == 403, path
    acme = gateway.extra["accounts"]["acme"]
    assert re.search(r"\$1\.00", operator.get("/console/admin/accounts").text)
    assert gateway.admin_json("GET", f"/api/admin/accounts/{acme}")["balance"] == 1_000_000
