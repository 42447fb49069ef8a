"""A price is never silently inert: the mode follows from the amounts, contradictions and
unbillable prices are refused, amounts are strict bounded integers. Through every intake:
the settings file, the CLI and the admin API."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from conftest import ADMIN_KEY, USER_KEY, Gateway, funded, sqlite_only
from mj_support import wait_status
from omnirelay.app import create_app
from omnirelay.billing.price_rules import MAX_PRICE, checked_price
from omnirelay.cli import app
from omnirelay.errors import InvalidRequest
from omnirelay.settings import load_settings
from omnirelay.testing import FakeMidjourney, FakeMidjourneyKnobs, serve_in_thread

SECRET_KEY = "Yl8cG9-7q7zAvxTJ1mQ3yPaXxjQ0X9Qh7Qd3m0e0Kjc="
IMAGINE_PRICE = 50_000
BALANCE = 1_000_000


def _settings_file(path: Path, home: Path, database_url: str, body: str) -> Path:
    path.write_text(
        f'home = "{home}"\ndatabase_url = "{database_url}"\nadmin_key = "{ADMIN_KEY}"\n'
        f'secret_key = "{SECRET_KEY}"\n{body}'
    )
    return path


def _refusal(body: str, tmp_path: Path) -> str:
    path = _settings_file(tmp_path / "bad.toml", tmp_path, "sqlite+aiosqlite:///unused.db", body)
    with pytest.raises(ValueError) as refused:
        load_settings(path)
    return str(refused.value)


def test_a_file_price_with_per_call_only_bills_every_imagine(
    stack: ExitStack, tmp_path: Path, database_url: str
) -> None:
    fake = FakeMidjourney(FakeMidjourneyKnobs(api_secret="mj-secret", step_s=0.02))
    mj_url = stack.enter_context(serve_in_thread(fake.app))
    config = _settings_file(
        tmp_path / "omnirelay.toml",
        tmp_path / "home",
        database_url,
        f"""
[tasks]
poll_min_s = 0.05
poll_max_s = 0.2
[[accounts]]
name = "acme"
balance = {BALANCE}
[[keys]]
account = "acme"
name = "main"
key = "{USER_KEY}"
[[channels]]
name = "mj"
type = "midjourney"
base_url = "{mj_url}"
secrets = ["mj-secret"]
models = ["mj_imagine"]
[[prices]]
model = "mj_imagine"
per_call = {IMAGINE_PRICE}
""",
    )
    url = stack.enter_context(serve_in_thread(create_app(load_settings(config))))
    admin = stack.enter_context(httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}))
    listed = {p["model"]: p for p in admin.get("/api/admin/prices").json()["data"]}
    assert listed["mj_imagine"]["mode"] == "per_call"
    assert (listed["mj_imagine"]["per_call"], listed["mj_imagine"]["warnings"]) == (IMAGINE_PRICE, [])

    client = stack.enter_context(httpx.Client(base_url=url, headers={"Authorization": f"Bearer {USER_KEY}"}))
    for prompt in ("a red fox", "a blue whale"):
        answer = client.post("/mj/submit/imagine", json={"prompt": prompt}).json()
        assert wait_status(client, answer["result"], "SUCCESS")["action"] == "IMAGINE"
    account = admin.get("/api/admin/accounts/1").json()
    assert account["balance"] == BALANCE - 2 * IMAGINE_PRICE


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ('model = "gpt-x"\nper_call = 10\ninput_per_million = 5', "per_call and input_per_million cannot both be set"),
        ('model = "gpt-x"\nmode = "free"\nper_call = 10', "mode=free does not bill per_call"),
        (
            'model = "gpt-x"\nmode = "per_call"\noutput_per_million = 10',
            "mode=per_call does not bill output_per_million",
        ),
        ('model = "gpt-x"', "would bill nothing: give per_call"),
        ('model = "mj_imagine"\ninput_per_million = 5', "'mj_imagine' is billed per call only"),
        ('model = "swap_face"\nmode = "per_token"\ninput_per_million = 5', "'swap_face' is billed per call only"),
        ('model = "gpt-x"\nper_call = 1_000_000_000_001', f"per_call must be from 0 to {MAX_PRICE}"),
        ('model = "gpt-x"\nper_call = -1', "per_call must be from 0"),
        ('model = "gpt-x"\nper_call = true', "per_call"),
        ('model = "gpt-x"\nper_call = "100"', "per_call"),
    ],
)
def test_the_file_refuses_a_price_that_could_not_bill_naming_the_entry(
    entry: str, expected: str, tmp_path: Path
) -> None:
    message = _refusal(f'[[prices]]\nmodel = "ok"\nper_call = 1\n[[prices]]\n{entry}\n', tmp_path)
    assert re.search(r"prices(\.|\[)1\b", message) and expected in message, message


def test_the_file_refuses_an_unbounded_group_multiplier(tmp_path: Path) -> None:
    for bad in ('"1001"', '"-0.5"', '"lots"', "1.5"):
        message = _refusal(f"[group_multipliers]\nvip = {bad}\n", tmp_path)
        assert "group_multipliers" in message and "vip" in message, message
    path = _settings_file(
        tmp_path / "ok.toml", tmp_path, "sqlite+aiosqlite:///unused.db", '[group_multipliers]\nvip = "3/2"\n'
    )
    assert load_settings(path).group_multipliers == {"vip": "3/2"}


def test_the_cli_infers_the_mode_and_refuses_contradictions(tmp_path: Path, database_url: str) -> None:
    config = _settings_file(tmp_path / "cli.toml", tmp_path / "home", database_url, "")
    runner = CliRunner()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRELAY_")}

    def cli(*args: str, ok: bool = True) -> str:
        result = runner.invoke(app, ["prices", *args, "--config", str(config)], env=env)
        assert (result.exit_code == 0) is ok, result.output
        return result.output

    assert '"mode": "per_call"' in cli("set", "mj_imagine", "--per-call", "50000", "--json")
    assert '"mode": "per_token"' in cli("set", "gpt-x", "--output-per-million", "600000", "--json")
    assert '"mode": "free"' in cli("set", "free-x", "--mode", "free", "--json")
    assert "billed per call only" in cli("set", "mj_upscale", "--input-per-million", "5", ok=False)
    both = cli("set", "gpt-x", "--per-call", "5", "--input-per-million", "3", ok=False)
    assert "per_call and input_per_million" in both
    assert "bill nothing" in cli("set", "gpt-x", ok=False)
    assert "mode=free does not bill per_call" in cli("set", "gpt-x", "--mode", "free", "--per-call", "3", ok=False)
    assert "must be from 0 to" in cli("set", "gpt-x", "--per-call", str(MAX_PRICE + 1), ok=False)
    assert "mode must be one of" in cli("set", "gpt-x", "--mode", "per_image", "--per-call", "3", ok=False)
    assert '"per_call": 50000' in cli("list", "--json")
    assert '"deleted": true' in cli("delete", "gpt-x", "--json")
    assert "No price set for 'gpt-x'" in cli("delete", "gpt-x", ok=False)
    assert '"gpt-x"' not in cli("list", "--json")


@sqlite_only
def test_the_admin_api_infers_the_mode_and_refuses_loose_amounts(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(**funded())
    made = gateway.admin_json("PUT", "/api/admin/prices/mj_imagine", json={"per_call": IMAGINE_PRICE})
    assert (made["mode"], made["per_call"], made["warnings"]) == ("per_call", IMAGINE_PRICE, [])
    tokens = gateway.admin_json("PUT", "/api/admin/prices/gpt-x", json={"input_per_million": 150_000})
    assert (tokens["mode"], tokens["input_per_million"], tokens["output_per_million"]) == ("per_token", 150_000, 0)
    for field in ("per_call", "input_per_million"):
        for value in (True, "100", -1, MAX_PRICE + 1, 10**40, 1.5):
            refused = gateway.admin.put("/api/admin/prices/gpt-x", json={field: value})
            assert refused.status_code == 400, (field, value, refused.text)
            assert field in refused.json()["error"]["message"], refused.text
    for body, expected in [
        ({"per_call": 5, "output_per_million": 3}, "per_call and output_per_million cannot both be set"),
        ({}, "would bill nothing"),
        ({"mode": "per_token", "per_call": 5}, "mode=per_token does not bill per_call"),
        ({"mode": "per_call"}, "mode=per_call needs per_call above 0"),
        ({"mode": "per_token"}, "mode=per_token needs input_per_million or output_per_million above 0"),
    ]:
        refused = gateway.admin.put("/api/admin/prices/gpt-x", json=body)
        assert refused.status_code == 400 and expected in refused.json()["error"]["message"], refused.text
    refused = gateway.admin.put("/api/admin/prices/mj_imagine", json={"input_per_million": 5})
    assert refused.status_code == 400 and "billed per call only" in refused.text
    prices = {p["model"]: p for p in gateway.admin_json("GET", "/api/admin/prices")["data"]}
    assert prices["gpt-x"]["mode"] == "per_token", "a refused change leaves the price as it was"


@sqlite_only
def test_group_multipliers_are_bounded(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(**funded())
    for value in ("1001", "-1", "abc", "1/0", 0.8, True, "1" * 41):
        refused = gateway.admin.put("/api/admin/group-multipliers/vip", json={"multiplier": value})
        assert refused.status_code == 400 and "multiplier" in refused.text, (value, refused.text)
    assert gateway.admin_json("PUT", "/api/admin/group-multipliers/vip", json={"multiplier": "1000"})
    assert gateway.admin_json("GET", "/api/admin/group-multipliers")["data"] == [{"group": "vip", "multiplier": "1000"}]


async def _store_legacy_price(url: str, model: str) -> None:
    """A price row as an older version stored it: per token, on a name billed per call."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO prices (model, mode, per_call, input_per_million, output_per_million, updated_at) "
                    "VALUES (:model, 'per_token', 0, 1000, 1000, 0)"
                ),
                {"model": model},
            )
    finally:
        await engine.dispose()


def test_prices_that_cannot_bill_where_served_are_flagged_at_start_and_in_the_api(
    make_gateway: Callable[..., Gateway], database_url: str
) -> None:
    channel = {"name": "mj", "type": "midjourney", "base_url": "http://127.0.0.1:9", "models": ["my-mj"]}
    first = make_gateway(**funded(), channels=[channel])
    served = first.admin_json("PUT", "/api/admin/prices/my-mj", json={"input_per_million": 1000})
    assert served["mode"] == "per_token" and len(served["warnings"]) == 1
    assert "'mj' (type midjourney), which bills per call only" in served["warnings"][0]
    asyncio.run(_store_legacy_price(database_url, "mj_upscale"))

    with structlog.testing.capture_logs() as logs:
        restarted = make_gateway(**funded(), channels=[channel])
    warned = {e["model"]: e for e in logs if e["event"] == "price needs fixing"}
    assert set(warned) == {"my-mj", "mj_upscale"}, logs
    assert "billed per call only" in warned["mj_upscale"]["reason"]
    listed = {p["model"]: p["warnings"] for p in restarted.admin_json("GET", "/api/admin/prices")["data"]}
    assert [m for m, w in listed.items() if w] == ["mj_upscale", "my-mj"]
    fixed = restarted.admin_json("PUT", "/api/admin/prices/mj_upscale", json={"per_call": 100})
    assert (fixed["mode"], fixed["warnings"]) == ("per_call", [])


def test_every_midjourney_action_price_is_per_call_only() -> None:
    for model in ("mj_imagine", "mj_upscale", "mj_low_variation", "mj_modal", "mj_video", "mj_upload", "swap_face"):
        with pytest.raises(InvalidRequest, match="billed per call only"):
            checked_price(model, input_per_million=1)
        assert checked_price(model, per_call=1).mode == "per_call"
        assert checked_price(model, mode="free").mode == "free"
    assert checked_price("dall-e-3:1024x1024", input_per_million=1).mode == "per_token"
