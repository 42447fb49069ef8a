"""The admin API and the CLI: same services, same store, changes reach the running gateway."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import httpx
import openai
from typer.testing import CliRunner

from conftest import ADMIN_KEY, Gateway, Upstream, channel, funded, per_token
from omnirelay.cli import app


def test_admin_api_needs_the_admin_key(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(**funded())
    from conftest import USER_KEY

    for key in (None, USER_KEY):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        response = httpx.get(gateway.url + "/api/admin/accounts", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_api_key"


def test_operator_flow_through_the_admin_api(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream()
    gateway = make_gateway()
    account = gateway.admin_json("POST", "/api/admin/accounts", json={"name": "team", "balance": 5_000_000})
    assert account["balance"] == 5_000_000
    created = gateway.admin_json("POST", "/api/admin/keys", json={"account_id": account["id"], "name": "ci"})
    assert created["key"].startswith("sk-") and len(created["key"]) == 51
    listed = gateway.admin_json("GET", "/api/admin/keys")["data"]
    assert created["key"] not in str(listed), "the key is shown once, never listed"
    made = gateway.admin_json("POST", "/api/admin/channels", json=channel("up", upstream))
    assert made["secret_count"] == 1 and "sk-upstream" not in str(made)
    tested = gateway.admin_json("POST", f"/api/admin/channels/{made['id']}/test")
    assert tested["ok"] is True and tested["model"] == "gpt-test"
    gateway.admin_json("PUT", "/api/admin/prices/gpt-test", json={"mode": "per_call", "per_call": 1000})
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=created["key"], max_retries=0)
    client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hi"}])
    assert gateway.admin_json("GET", f"/api/admin/accounts/{account['id']}")["balance"] == 4_999_000
    topped = gateway.admin_json("POST", f"/api/admin/accounts/{account['id']}/topups", json={"amount": 1000})
    assert topped["balance"] == 5_000_000


def test_log_filters_and_pagination(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    from conftest import USER_KEY

    upstream = make_upstream()
    gateway = make_gateway(
        **funded(),
        channels=[channel("up", upstream, models=["gpt-test", "other"])],
        prices=[per_token(), per_token("other")],
    )
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)
    for model in ("gpt-test", "other", "gpt-test"):
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
    try:
        client.chat.completions.create(model="missing", messages=[{"role": "user", "content": "hi"}])
    except openai.NotFoundError:
        pass
    assert [log["model"] for log in gateway.logs(model="gpt-test")] == ["gpt-test", "gpt-test"]
    first = gateway.admin_json("GET", "/api/admin/logs", params={"limit": 2, "flush": "true"})
    assert len(first["data"]) == 2 and first["has_more"] is True
    second = gateway.admin_json("GET", "/api/admin/logs", params={"limit": 2, "before_id": first["next_before_id"]})
    assert len(second["data"]) == 1 and second["has_more"] is False
    assert gateway.logs(status=200, key_id=1, since_ms=0)
    assert gateway.logs(until_ms=1) == []


def test_admin_api_refuses_bad_input_clearly(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(**funded())
    bad = gateway.admin.post("/api/admin/channels", json={"name": "x", "base_url": "ftp://x", "models": ["m"]})
    assert bad.status_code == 400 and "base_url" in bad.json()["error"]["message"]
    dup = gateway.admin.post("/api/admin/accounts", json={"name": "acme"})
    assert dup.status_code == 400 and "already exists" in dup.json()["error"]["message"]
    typo = gateway.admin.patch("/api/admin/keys/1", json={"rpmm": 3})
    assert typo.status_code == 400 and "rpmm" in typo.json()["error"]["message"]
    missing = gateway.admin.get("/api/admin/accounts/999")
    assert missing.status_code == 404
    nowhere = gateway.admin.get("/api/admin/nothing-here")
    assert nowhere.status_code == 404 and nowhere.json()["error"]["code"] == "unknown_url"


def test_a_null_channel_field_is_refused_not_a_server_error(
    make_gateway: Callable[..., Gateway], make_upstream: Callable[..., Upstream]
) -> None:
    """Found by the OpenAPI fuzz (tests/test_openapi.py): ``null`` for a field the store needs was a 500."""
    gateway = make_gateway(**funded(), channels=[channel("a", make_upstream())])
    for body in ({"last_resort": None}, {"name": None}, {"model_map": None}, {"groups": None}):
        refused = gateway.admin.patch("/api/admin/channels/1", json=body)
        assert refused.status_code == 400, (body, refused.text)
        assert refused.json()["error"]["param"] == next(iter(body))
    edited = gateway.admin.patch("/api/admin/channels/1", json={"add_models": None, "remove_models": ["gpt-test"]})
    assert edited.status_code == 400 and "model" in edited.json()["error"]["message"]  # the last model stays
    kept = gateway.admin.patch("/api/admin/channels/1", json={"add_models": ["m2"], "remove_models": None})
    assert kept.status_code == 200 and kept.json()["models"] == ["gpt-test", "m2"]


def test_cli_changes_reach_a_running_gateway(
    make_upstream: Callable[..., Upstream],
    make_gateway: Callable[..., Gateway],
    tmp_path: Path,
    database_url: str,
) -> None:
    upstream = make_upstream()
    gateway = make_gateway()
    config = tmp_path / "cli.toml"
    config.write_text(
        f'home = "{gateway.settings.home}"\ndatabase_url = "{database_url}"\n'
        f'secret_key = "{gateway.settings.secret_key}"\n'
    )
    runner = CliRunner()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRELAY_")}

    def cli(*args: str) -> str:
        result = runner.invoke(app, [*args, "--config", str(config)], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    cli("accounts", "create", "cli-team", "--balance", "1000000")
    key = cli("keys", "create", "1", "--name", "from-cli").strip()
    cli("channels", "create", "up", upstream.url + "/v1", "--model", "gpt-test", "--secret", "sk-x")
    cli("prices", "set", "gpt-test", "--mode", "per_call", "--per-call", "10")
    assert "cli-team" in cli("accounts", "list")
    assert '"mode": "per_call"' in cli("prices", "list", "--json")
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)
    import time

    deadline = time.monotonic() + 5
    while True:
        try:
            client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hi"}])
            break
        except (openai.AuthenticationError, openai.NotFoundError, openai.PermissionDeniedError):
            assert time.monotonic() < deadline, "the gateway never saw the CLI's changes"
            time.sleep(0.1)
    gateway.flush()
    assert '"model": "gpt-test"' in cli("logs", "list", "--json")
    cli("accounts", "topup", "1", "5")
    assert gateway.admin_json("GET", "/api/admin/accounts", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
