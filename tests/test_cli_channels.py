"""``omnirelay channels``: list in 80 columns, update every field, test, by name or by id."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
from typer.testing import CliRunner

from conftest import USER_KEY, Gateway, Upstream, funded, per_token
from omnirelay.cli import app


class Cli:
    def __init__(self, gateway: Gateway, database_url: str, tmp_path: Path) -> None:
        self.config = tmp_path / "cli.toml"
        self.config.write_text(
            f'home = "{gateway.settings.home}"\ndatabase_url = "{database_url}"\n'
            f'secret_key = "{gateway.settings.secret_key}"\n'
        )
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRELAY_")} | {"COLUMNS": "80"}
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int = 0) -> str:
        result = self.runner.invoke(app, [*args, "--config", str(self.config)], env=self.env)
        assert result.exit_code == code, result.output
        return result.output

    def json(self, *args: str, code: int = 0) -> Any:
        return json.loads(self(*args, "--json", code=code))


def test_channels_update_changes_every_field_by_name(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], tmp_path: Path, database_url: str
) -> None:
    upstream = make_upstream(api_key="sk-new")
    gateway = make_gateway(**funded(), prices=[per_token("gpt-x")])
    cli = Cli(gateway, database_url, tmp_path)
    cli("channels", "create", "up", upstream.url + "/v1", "--model", "gpt-test", "--secret", "sk-old")
    changed = cli.json(
        "channels", "update", "up", "--add-model", "gpt-x", "--remove-model", "gpt-test", "--priority", "5",
        "--weight", "2", "--group", "default", "--group", "vip", "--timeout", "12.5", "--base-url", upstream.url,
        "--secret", "sk-new", "--map", "gpt-x=gpt-test", "--name", "renamed", "--last-resort",
    )  # fmt: skip
    assert {k: changed[k] for k in ("name", "models", "priority", "weight", "groups", "timeout_s")} == {
        "name": "renamed",
        "models": ["gpt-x"],
        "priority": 5,
        "weight": 2,
        "groups": ["default", "vip"],
        "timeout_s": 12.5,
    }
    assert (changed["base_url"], changed["model_map"], changed["secret_count"]) == (
        upstream.url + "/v1",
        {"gpt-x": "gpt-test"},
        1,
    )
    assert changed["last_resort"] is True
    by_id = cli.json("channels", "update", str(changed["id"]), "--no-last-resort", "--timeout", "0", "--clear-map")
    assert (by_id["last_resort"], by_id["timeout_s"], by_id["model_map"]) == (False, None, {})
    assert cli.json("channels", "update", "renamed", "--model", "gpt-x", "--disable")["enabled"] is False
    assert cli.json("channels", "update", "renamed", "--enable")["enabled"] is True
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)
    _eventually(lambda: client.chat.completions.create(model="gpt-x", messages=[{"role": "user", "content": "hi"}]))
    assert upstream.chat_requests()[-1].headers["authorization"] == "Bearer sk-new"
    assert "remove_models: the channel does not serve nope" in cli(
        "channels", "update", "renamed", "--remove-model", "nope", code=1
    )
    assert "No channel is named 'renamd'. Did you mean: renamed?" in cli(
        "channels", "update", "renamd", "--weight", "1", code=1
    )
    assert "base_url" in cli("channels", "update", "renamed", "--base-url", "nope", code=1)
    assert "nothing to change" in cli("channels", "update", "renamed", code=1)


def _eventually(call: Callable[[], Any]) -> Any:
    import time

    deadline = time.monotonic() + 5
    while True:
        try:
            return call()
        except (openai.NotFoundError, openai.PermissionDeniedError, openai.APIStatusError):
            assert time.monotonic() < deadline, "the gateway never saw the CLI's changes"
            time.sleep(0.1)


def test_channels_test_picks_or_takes_a_model_and_fails_with_exit_code_1(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], tmp_path: Path, database_url: str
) -> None:
    upstream = make_upstream()
    gateway = make_gateway()
    cli = Cli(gateway, database_url, tmp_path)
    models = ("dall-e-2", "gpt-x", "text-embedding-3-small")
    cli("channels", "create", "oa", upstream.url, *(arg for m in models for arg in ("--model", m)))
    tested = cli.json("channels", "test", "oa")
    assert (tested["ok"], tested["model"], tested["endpoint"]) == (True, "gpt-x", "chat"), tested
    assert "latency_ms" in cli("channels", "test", "oa")
    chosen = cli.json("channels", "test", "oa", "--model", "text-embedding-3-small", "--endpoint", "embeddings")
    assert (chosen["ok"], chosen["endpoint"]) == (True, "embeddings")
    assert [r.path for r in upstream.fake.requests] == ["/v1/chat/completions"] * 2 + ["/v1/embeddings"]
    upstream.knobs.status = 503
    failed = cli.json("channels", "test", "oa", code=1)
    assert failed["ok"] is False and failed["status"] >= 500
    assert "endpoint 'images' cannot test" in cli("channels", "test", "oa", "--endpoint", "images", code=1)
    local = cli.json("channels", "test", "local")
    assert (local["ok"], local["endpoint"]) == (True, "embeddings")


def test_channels_list_fits_80_columns_and_json_has_every_field(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], tmp_path: Path, database_url: str
) -> None:
    upstream = make_upstream()
    gateway = make_gateway()
    cli = Cli(gateway, database_url, tmp_path)
    long_name = "a-channel-with-a-rather-long-name-for-a-table"
    models = [f"some-long-model-name-{i}" for i in range(6)]
    cli("channels", "create", long_name, upstream.url, *(a for m in models for a in ("--model", m)), "--priority", "7")
    cli("channels", "disable", "local")
    table = cli("channels", "list")
    assert all(len(line) <= 80 for line in table.splitlines()), table
    lines = {line.split()[0]: line for line in table.splitlines() if line.strip()[:1].isdigit()}
    assert lines["2"].split()[1:6] == ["a-channel-with-a-ra…", "openai", "on", "7", "1"], table
    assert lines["2"].split()[6] == "6:" and lines["2"].endswith("some-long-model-name-0,so…"), table
    assert len(lines["2"]) == 80, "the model list takes the room that is left"
    assert lines["1"].split()[1:4] == ["local", "local", "off"], table
    listed = cli.json("channels", "list")
    assert listed[1]["models"] == models and listed[1]["name"] == long_name
    assert {"base_url", "secret_count", "model_map", "groups", "timeout_s", "last_resort"} <= set(listed[1])
    assert cli.json("channels", "show", long_name)["id"] == 2
    cli("channels", "delete", long_name)
    assert [c["name"] for c in cli.json("channels", "list")] == ["local"]


def test_removing_a_model_from_local_with_the_cli_survives_a_restart(
    make_gateway: Callable[..., Gateway], tmp_path: Path, database_url: str
) -> None:
    gateway = make_gateway()
    cli = Cli(gateway, database_url, tmp_path)
    cli("channels", "update", "local", "--remove-model", "mj_describe")
    restarted = make_gateway()
    local = next(c for c in restarted.admin_json("GET", "/api/admin/channels")["data"] if c["name"] == "local")
    assert "mj_describe" not in local["models"]


def test_channels_create_help_lists_every_type_with_its_base_url() -> None:
    from omnirelay.providers.registry import KINDS

    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRELAY_")} | {"COLUMNS": "200"}
    shown = CliRunner().invoke(app, ["channels", "create", "--help"], env=env).output
    for name, kind in KINDS.items():
        assert f"{name}: {kind.base_url.expects}" in shown, name
    assert "vendor (task_vendor)" in shown
