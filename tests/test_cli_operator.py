"""The operator CLI: accounts by name, key scopes, webhooks, the settings file, ledgers, and
tables that fit an 80-column terminal. Every command runs through typer's runner against the
same store as a real gateway, and its effect is checked through the admin API or a client."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai
import pytest
from click.testing import Result
from typer.testing import CliRunner

from conftest import USER_KEY, Gateway, Upstream, channel, funded, per_token
from omnirelay.cli import app
from omnirelay.settings import load_settings

SECRET_KEY = "Yl8cG9-7q7zAvxTJ1mQ3yPaXxjQ0X9Qh7Qd3m0e0Kjc="


@dataclass
class Cli:
    """``omnirelay ... --config FILE`` in an 80-column terminal, with no OMNIRELAY_ variables."""

    config: Path
    env: dict[str, str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.env = {**{k: None for k in os.environ if k.startswith("OMNIRELAY_")}, "COLUMNS": "80", **self.env}

    def run(self, *args: str, code: int = 0) -> Result:
        result = CliRunner().invoke(app, [*args, "--config", str(self.config)], env=self.env)
        assert result.exit_code == code, result.output
        assert "Traceback" not in result.output
        return result

    def __call__(self, *args: str) -> str:
        return self.run(*args).stdout

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json"))


def store_cli(tmp_path: Path, database_url: str, settings: str = "") -> Cli:
    config = tmp_path / "omnirelay.toml"
    config.write_text(
        f'home = "{tmp_path / "home"}"\ndatabase_url = "{database_url}"\nsecret_key = "{SECRET_KEY}"\n{settings}'
    )
    return Cli(config)


def gateway_cli(gateway: Gateway, tmp_path: Path) -> Cli:
    """A CLI on the gateway's own store (the CLI reads its settings file at each command)."""
    return store_cli(tmp_path, gateway.settings.effective_database_url)


def until(check: Callable[[], bool], what: str) -> None:
    """A running gateway sees CLI changes within ``cache_refresh_s``."""
    deadline = time.monotonic() + 5
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def chat_status(gateway: Gateway, model: str = "gpt-test") -> int:
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)
    try:
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
    except openai.APIStatusError as exc:
        return exc.status_code
    return 200


def test_accounts_are_named_as_in_the_settings_file(tmp_path: Path, database_url: str) -> None:
    cli = store_cli(tmp_path, database_url)
    cli("accounts", "create", "acme", "--balance", "5000")
    cli("accounts", "create", "acme-eu")
    key = cli("keys", "create", "acme", "--name", "ci").strip()
    assert key.startswith("sk-")
    cli("keys", "create", "2", "--name", "eu")
    assert [k["name"] for k in cli.json("keys", "list", "--account", "acme")] == ["ci"]
    assert [k["name"] for k in cli.json("keys", "list", "--account", "acme-eu")] == ["eu"]
    assert cli.json("accounts", "topup", "acme", "1000")["balance"] == 6000
    assert cli.json("accounts", "show", "2")["name"] == "acme-eu"

    unknown = cli.run("accounts", "topup", "acm", "5", code=1)
    assert "No account is named 'acm'" in unknown.stderr and "Did you mean: acme, acme-eu?" in unknown.stderr
    assert "No account is named 'nobody'" in cli.run("keys", "create", "nobody", code=1).stderr
    assert "or has that id" in cli.run("accounts", "ledger", "99", code=1).stderr
    assert cli.json("accounts", "show", "acme")["balance"] == 6000, "a refused command changes nothing"


def test_keys_update_changes_every_scope(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    upstream = make_upstream()
    gateway = make_gateway(
        **funded(), channels=[channel("up", upstream, models=["gpt-test", "other"])], prices=[per_token()]
    )
    cli = gateway_cli(gateway, tmp_path)
    assert chat_status(gateway) == 200

    cli("keys", "update", "1", "--model", "other")
    until(lambda: chat_status(gateway) == 403, "the gateway kept serving a model the key may no longer use")

    cli(
        "keys", "update", "1", "--name", "renamed", "--allow-ip", "10.0.0.0/8", "--rpm", "60", "--tpm", "1000",
        "--max-concurrency", "2", "--spend-cap", "500", "--expires-at", "2030-01-01T00:00:00Z", "--disable",
    )  # fmt: skip
    record = gateway.admin_json("GET", "/api/admin/keys/1")
    assert {k: record[k] for k in ("name", "models", "ip_allowlist", "rpm", "tpm", "max_concurrency")} == {
        "name": "renamed",
        "models": ["other"],
        "ip_allowlist": ["10.0.0.0/8"],
        "rpm": 60,
        "tpm": 1000,
        "max_concurrency": 2,
    }
    assert (record["spend_cap"], record["expires_at"], record["enabled"]) == (500, 1_893_456_000_000, False)

    lifted = cli.json(
        "keys", "update", "1", "--enable", "--clear", "models", "--clear", "allow-ip", "--clear", "rpm",
        "--clear", "tpm", "--clear", "max-concurrency", "--clear", "spend-cap", "--clear", "expires-at",
    )  # fmt: skip
    assert lifted == gateway.admin_json("GET", "/api/admin/keys/1")
    assert [lifted[k] for k in ("models", "ip_allowlist", "rpm", "tpm", "max_concurrency", "spend_cap")] == [None] * 6
    assert lifted["expires_at"] is None and lifted["enabled"] is True
    until(lambda: chat_status(gateway) == 200, "the gateway never saw the lifted scopes")


def test_keys_update_refuses_unclear_changes(make_gateway: Callable[..., Gateway], tmp_path: Path) -> None:
    gateway = make_gateway(**funded())
    cli = gateway_cli(gateway, tmp_path)
    both = cli.run("keys", "update", "1", "--rpm", "5", "--clear", "rpm", code=1)
    assert "--clear rpm and a new value" in both.stderr
    assert "choose from models, allow-ip" in cli.run("keys", "update", "1", "--clear", "nope", code=1).stderr
    assert "Nothing to change" in cli.run("keys", "update", "1", code=1).stderr
    assert "'nope' is not an IP address" in cli.run("keys", "update", "1", "--allow-ip", "nope", code=1).stderr
    assert "ISO date" in cli.run("keys", "update", "1", "--expires-at", "soon", code=1).stderr
    assert "No API key with id 9" in cli.run("keys", "update", "9", "--rpm", "1", code=1).stderr
    # the checks live in the service, so the admin API refuses the same way
    empty = gateway.admin.patch("/api/admin/keys/1", json={"models": []})
    assert empty.status_code == 400 and "Use null to lift" in empty.json()["error"]["message"]
    unset = gateway.admin.patch("/api/admin/keys/1", json={"enabled": None})
    assert unset.status_code == 400 and "enabled must be true or false" in unset.json()["error"]["message"]
    assert gateway.admin_json("GET", "/api/admin/keys/1")["rpm"] is None


def test_webhook_show_set_url_and_rotate_secret(make_gateway: Callable[..., Gateway], tmp_path: Path) -> None:
    gateway = make_gateway(**funded())
    cli = gateway_cli(gateway, tmp_path)
    shown = cli.json("accounts", "webhook", "show", "acme")
    assert shown["url"] is None and shown["secret"].startswith("whsec_")

    refused = cli.run("accounts", "webhook", "set-url", "acme", "http://127.0.0.1:9/hook", code=1)
    assert "webhooks.allow_networks" in refused.stderr
    cli("config", "set", "webhooks.allow_networks", '["127.0.0.1/32"]')  # the next command reads it
    assert cli.json("accounts", "webhook", "set-url", "acme", "http://127.0.0.1:9/hook")["url"] == (
        "http://127.0.0.1:9/hook"
    )
    rotated = cli.json("accounts", "webhook", "rotate-secret", "acme")
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != shown["secret"]
    assert gateway.admin_json("GET", "/api/admin/accounts/1/webhook") == rotated
    assert rotated["secret"] in cli("accounts", "webhook", "show", "1"), "the table shows the whole secret"

    assert cli.json("accounts", "webhook", "unset-url", "acme")["url"] is None
    assert gateway.admin.get("/api/admin/accounts/99/webhook").status_code == 404


def test_config_set_edits_the_settings_file_in_place(tmp_path: Path) -> None:
    config = tmp_path / "omnirelay.toml"
    config.write_text(
        f'# production gateway\nhome = "{tmp_path / "home"}"\nsecret_key = "{SECRET_KEY}"\n\n'
        "[server]\nport = 3000  # behind the load balancer\n"
    )
    cli = Cli(config)
    said = cli("config", "set", "webhooks.allow_networks", '["127.0.0.1/32"]')
    assert "Restart the gateway" in said
    cli("config", "set", "server.public_url", "https://gw.example.com")
    text = config.read_text()
    assert "# production gateway" in text and "port = 3000  # behind the load balancer" in text
    settings = load_settings(config)
    assert settings.webhooks.allow_networks == ["127.0.0.1/32"]
    assert settings.server.public_url == "https://gw.example.com" and settings.server.port == 3000

    bad = cli.run("config", "set", "webhooks.allow_networks", '["10.0.0.300/8"]', code=2)
    assert "webhooks.allow_networks" in bad.stderr and "was not changed" in bad.stderr
    assert "must be an http(s) URL" in cli.run("config", "set", "server.public_url", "gw.example.com", code=2).stderr
    assert "Did you mean server.port" in cli.run("config", "set", "server.prot", "8080", code=1).stderr
    assert config.read_text() == text

    cli("config", "unset", "server.public_url")
    assert load_settings(config).server.public_url is None and "[server]" in config.read_text()
    yaml_file = tmp_path / "omnirelay.yaml"
    yaml_file.write_text("server:\n  port: 3000\n")
    assert "TOML files only" in Cli(yaml_file).run("config", "set", "server.port", "1", code=1).stderr


def test_config_show_masks_secrets(tmp_path: Path) -> None:
    config = tmp_path / "omnirelay.toml"
    config.write_text(
        f'home = "{tmp_path}"\nsecret_key = "{SECRET_KEY}"\nadmin_key = "sk-admin-0123456789abcdef0123456789"\n'
        'database_url = "postgresql+asyncpg://omni:hunter2@db.internal/omnirelay"\n'
        '[[channels]]\nname = "up"\nbase_url = "https://api.example.com/v1"\nsecrets = ["sk-upstream-secret-1234"]\n'
        'models = ["m"]\n'
    )
    cli = Cli(config)
    shown = cli("config", "show")
    assert "server.port = 3000" in shown and 'channels[0].name = "up"' in shown
    as_json = cli.json("config", "show")
    assert as_json["file"] == str(config) and as_json["settings"]["server"]["port"] == 3000
    for secret in (SECRET_KEY, "sk-admin-0123456789abcdef0123456789", "hunter2", "sk-upstream-secret-1234"):
        assert secret not in shown and secret not in json.dumps(as_json)
    assert as_json["settings"]["database_url"] == "postgresql+asyncpg://omni:****@db.internal/omnirelay"


def test_ledger_lists_entries_newest_first(make_gateway: Callable[..., Gateway], tmp_path: Path) -> None:
    gateway = make_gateway(**funded(balance=5000))
    cli = gateway_cli(gateway, tmp_path)
    cli("accounts", "topup", "acme", "1000")
    cli("accounts", "topup", "acme", "-300", "--reference", "refund-42")
    entries = cli.json("accounts", "ledger", "acme")
    assert [(e["kind"], e["amount"]) for e in entries] == [("adjust", -300), ("topup", 1000), ("topup", 5000)]
    assert entries[0]["request_id"] == "refund-42"
    assert [e["amount"] for e in cli.json("accounts", "ledger", "acme", "--limit", "1")] == [-300]
    table = cli("accounts", "ledger", "acme", "--limit", "2")
    assert "refund-42" in table and "more: --before-id" in table

    first = gateway.admin_json("GET", "/api/admin/accounts/1/ledger", params={"limit": 2})
    assert [e["amount"] for e in first["data"]] == [-300, 1000] and first["has_more"] is True
    rest = gateway.admin_json("GET", "/api/admin/accounts/1/ledger", params={"before_id": first["next_before_id"]})
    assert [e["amount"] for e in rest["data"]] == [5000] and rest["has_more"] is False
    topups = gateway.admin_json("GET", "/api/admin/accounts/1/ledger", params={"kind": "topup"})["data"]
    assert [e["amount"] for e in topups] == [1000, 5000]
    assert gateway.admin.get("/api/admin/accounts/9/ledger").status_code == 404
    assert gateway.admin.get("/api/admin/accounts/1/ledger", params={"limit": "many"}).status_code == 400


@pytest.mark.parametrize(
    "command", [("accounts", "list"), ("keys", "list"), ("logs", "list"), ("accounts", "ledger", "1")]
)
def test_list_commands_fit_80_columns(
    command: tuple[str, ...],
    make_upstream: Callable[..., Upstream],
    make_gateway: Callable[..., Gateway],
    tmp_path: Path,
) -> None:
    long_model = "a-remarkably-long-upstream-model-name-that-goes-on"
    upstream = make_upstream()
    gateway = make_gateway(
        **funded(models=[long_model, "gpt-test", "text-embedding-3-small"]),
        channels=[channel("up", upstream, models=[long_model])],
        prices=[per_token(long_model)],
    )
    cli = gateway_cli(gateway, tmp_path)
    cli("accounts", "create", "an-account-whose-name-is-much-longer-than-a-terminal-column", "--balance", "7")
    cli("keys", "create", "2", "--name", "a-key-with-a-long-name-for-the-nightly-batch", "--rpm", "600")
    assert chat_status(gateway, long_model) == 200
    gateway.flush()

    narrow = cli(*command)
    assert len(narrow.splitlines()) >= 3, narrow
    assert max(len(line) for line in narrow.splitlines()) <= 80, narrow
    wide = Cli(cli.config, {"COLUMNS": "250"})(*command)
    assert len(wide.splitlines()) == len(narrow.splitlines()), "rows never wrap onto further lines"
    long_value = {"accounts": "an-account-whose-name-is-much-longer-than-a-terminal-column", "keys": long_model}
    if command[1] == "list" and command[0] in long_value:
        assert long_value[command[0]] in wide and long_value[command[0]] not in narrow and "…" in narrow
