"""The operator console without a browser, on SQLite and PostgreSQL: the dashboard's numbers from the
store (requests, errors, spend and latency percentiles per model and channel), every page answering
an operator, the settings page masking secrets, and the percentile arithmetic."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from conftest import USER_KEY, Gateway, Upstream, channel, funded, per_token
from omnirelay.console.admin.settings_page import MASK, shown_settings
from omnirelay.console.admin.stats import LATENCY_EDGES_MS, percentile
from omnirelay.settings import Settings
from platform_support import PASSWORD

PAGES = (
    "/console/admin",
    "/console/admin?window=7d",
    "/console/admin/accounts",
    "/console/admin/accounts/1/keys",
    "/console/admin/channels",
    "/console/admin/prices",
    "/console/admin/codes?batch=none",
    "/console/admin/logs?model=gpt-test&status=200",
    "/console/admin/tasks?status=SUCCESS",
    "/console/admin/deliveries?status=failed",
    "/console/admin/settings",
)


def _operator(gateway: Gateway) -> httpx.Client:
    account = gateway.admin_json("GET", "/api/admin/accounts")["data"][0]["id"]
    body = {"account_id": account, "username": "olga", "password": PASSWORD, "operator": True}
    gateway.admin_json("POST", "/api/admin/users", json=body)
    client = httpx.Client(base_url=gateway.url, timeout=30)
    answer = client.post("/api/v1/auth/login", json={"login": "olga", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return client


def _cell_row(html: str, table_id: str, name: str) -> list[str]:
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    row = next(r for r in table.split("<tr>") if f"<td>{name}</td>" in r)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_the_dashboard_counts_requests_errors_and_spend_per_model_and_channel(
    make_gateway: Callable[..., Gateway], make_upstream: Callable[..., Upstream]
) -> None:
    down = channel("down", make_upstream(status=400), models=["gpt-bad"])
    gateway = make_gateway(
        **funded(),
        channels=[channel("up", make_upstream()), down],
        prices=[per_token(), per_token("gpt-bad")],
        console={"money_symbol": "$"},
    )
    user = httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {USER_KEY}"}, timeout=30)
    for _ in range(3):
        ok = user.post(
            "/v1/chat/completions", json={"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}
        )
        assert ok.status_code == 200, ok.text
    refused = user.post(
        "/v1/chat/completions", json={"model": "gpt-bad", "messages": [{"role": "user", "content": "x"}]}
    )
    assert refused.status_code == 400, refused.text
    gateway.flush()
    logs = gateway.logs()
    spend = sum(r["cost"] for r in logs)
    operator = _operator(gateway)
    html = operator.get("/console/admin").text
    assert re.search(r'id="total-requests">4<', html)
    assert re.search(r'id="total-errors">1<', html)
    model_row = _cell_row(html, "by-model", "gpt-test")
    assert model_row[1:3] == ["3", "0"]
    assert model_row[3] == f"${spend / 1_000_000:.6f}"
    assert model_row[4].startswith("≤") and model_row[5].startswith("≤")
    assert _cell_row(html, "by-model", "gpt-bad")[1:3] == ["1", "1"]
    assert _cell_row(html, "by-channel", "up")[1:3] == ["3", "0"]
    assert _cell_row(html, "by-channel", "down")[1:3] == ["1", "1"]
    for path in PAGES:
        answer = operator.get(path)
        assert answer.status_code == 200, (path, answer.text[:500])


def test_percentiles_are_the_upper_edge_of_their_bucket() -> None:
    counts = [0] * (len(LATENCY_EDGES_MS) + 1)
    assert percentile(counts, 0.5) is None
    counts[2], counts[5] = 98, 2  # 98 calls under 100 ms, 2 under 500 ms
    assert percentile(counts, 0.5) == 100
    assert percentile(counts, 0.99) == 500
    counts[-1] = 1000  # beyond the last edge
    assert percentile(counts, 0.99) == LATENCY_EDGES_MS[-1] * 10


def test_the_settings_view_masks_secrets_and_credentials_in_urls() -> None:
    settings = Settings.model_validate(
        {
            "database_url": "postgresql+asyncpg://relay:hunter2@db:5432/omnirelay",
            "redis_url": "redis://:s3cret@cache:6379/0",
            "admin_key": "sk-admin-very-secret",
            "secret_key": "Yl8cG9-7q7zAvxTJ1mQ3yPaXxjQ0X9Qh7Qd3m0e0Kjc=",
            "keys": [{"account": "a", "name": "k", "key": "sk-declared-key"}],
        }
    )
    shown = dict(shown_settings(settings))
    text = repr(shown)
    for secret in ("hunter2", "s3cret", "sk-admin-very-secret", "Yl8cG9", "sk-declared-key"):
        assert secret not in text
    assert shown["admin_key"] == MASK
    assert shown["database_url"] == f"postgresql+asyncpg://relay:{MASK}@db:5432/omnirelay"
    assert shown["keys"] == "1"
    assert shown["console.signup"] == "closed"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_users_are_made_operators_by_the_admin_api_only_when_asked(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(**funded())
    account = gateway.admin_json("GET", "/api/admin/accounts")["data"][0]["id"]
    made = gateway.admin_json("POST", "/api/admin/users", json={"account_id": account, "username": "plain"})
    assert made["operator"] is False
    listed = gateway.admin_json("GET", "/api/admin/users")["data"]
    assert [u["operator"] for u in listed] == [False]
