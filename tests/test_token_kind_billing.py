"""Usage is billed to the token kind: cache reads and writes, reasoning, audio and image tokens
each at their own rate, a context tier chosen per request, web searches per call; exact integer
micro-units with one rounding per call, and a log row that explains the bill line by line.

The worked examples are ``llm_surfaces.md`` §4.3's, at its §4.2 example rates ($1 = 1,000,000
micro-units): each provider's usage JSON in, through its reader, exact micro-units out."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import ADMIN_KEY, USER_KEY, Gateway, Upstream, channel, funded, per_token, sqlite_only
from omnirelay.billing.price_rules import MAX_PRICE, checked_price
from omnirelay.billing.prices import Price
from omnirelay.cli import app
from omnirelay.errors import InvalidRequest
from omnirelay.providers.usage import Usage, from_anthropic, from_gemini, from_openai_chat, from_responses
from omnirelay.settings import load_settings

DOLLAR = 1_000_000


def usd(amount: str) -> int:
    """``"2.50"`` (dollars per million tokens, or per call) as micro-units."""
    value = Fraction(amount) * DOLLAR
    assert value.denominator == 1
    return int(value)


GPT_5_4 = {
    "input_per_million": usd("2.50"),
    "output_per_million": usd("15"),
    "cache_read_per_million": usd("0.25"),
    "tiers": [{"above_prompt_tokens": 272_000, "input_per_million": usd("5"), "output_per_million": usd("22.50")}],
}
GPT_5_6 = {
    "input_per_million": usd("10"),
    "output_per_million": usd("50"),
    "cache_read_per_million": usd("1"),
    "cache_write_5m_per_million": usd("12.50"),
}
SONNET_4_5 = {
    "input_per_million": usd("3"),
    "output_per_million": usd("15"),
    "cache_read_per_million": usd("0.30"),
    "cache_write_5m_per_million": usd("3.75"),
    "cache_write_1h_per_million": usd("6"),
    "web_search_per_call": usd("0.01"),
}
SONNET_4_LONG = {
    **SONNET_4_5,
    "tiers": [
        {
            "above_prompt_tokens": 200_000,
            "input_per_million": usd("6"),
            "output_per_million": usd("22.50"),
            "cache_read_per_million": usd("0.60"),
        }
    ],
}
GEMINI_2_5_PRO = {
    "input_per_million": usd("1.25"),
    "output_per_million": usd("10"),
    "cache_read_per_million": usd("0.125"),
    "tiers": [
        {
            "above_prompt_tokens": 200_000,
            "input_per_million": usd("2.50"),
            "output_per_million": usd("15"),
            "cache_read_per_million": usd("0.25"),
        }
    ],
}

WORKED: list[tuple[str, dict[str, Any], Usage | None, int]] = [
    (
        "gpt-5.4",
        GPT_5_4,
        from_openai_chat(
            {
                "prompt_tokens": 10_000,
                "completion_tokens": 500,
                "prompt_tokens_details": {"cached_tokens": 8_000},
                "completion_tokens_details": {"reasoning_tokens": 200},
            }
        ),
        14_500,
    ),
    (
        "gpt-5.6 flagship (responses)",
        GPT_5_6,
        from_responses(
            {
                "input_tokens": 50_000,
                "input_tokens_details": {"cached_tokens": 30_000, "cache_write_tokens": 15_000},
                "output_tokens": 2_000,
            }
        ),
        367_500,
    ),
    (
        "claude-sonnet-4-5, 5m and 1h writes, 2 searches",
        SONNET_4_5,
        from_anthropic(
            {
                "input_tokens": 2_000,
                "cache_creation_input_tokens": 10_000,
                "cache_creation": {"ephemeral_5m_input_tokens": 4_000, "ephemeral_1h_input_tokens": 6_000},
                "cache_read_input_tokens": 50_000,
                "output_tokens": 1_000,
                "server_tool_use": {"web_search_requests": 2},
            }
        ),
        107_000,
    ),
    (
        "sonnet 4 long context (prompt 250K)",
        SONNET_4_LONG,
        from_anthropic({"input_tokens": 150_000, "cache_read_input_tokens": 100_000, "output_tokens": 2_000}),
        1_005_000,
    ),
    (
        "sonnet 4 below the tier (prompt 190K)",
        SONNET_4_LONG,
        from_anthropic({"input_tokens": 90_000, "cache_read_input_tokens": 100_000, "output_tokens": 2_000}),
        270_000 + 30_000 + 30_000,
    ),
    (
        "gemini-2.5-pro, thoughts billed as output",
        GEMINI_2_5_PRO,
        from_gemini(
            {
                "promptTokenCount": 120_000,
                "cachedContentTokenCount": 100_000,
                "candidatesTokenCount": 800,
                "thoughtsTokenCount": 1_200,
            }
        ),
        57_500,
    ),
    (
        "gemini-2.5-pro long context (prompt 300K)",
        GEMINI_2_5_PRO,
        from_gemini({"promptTokenCount": 300_000, "candidatesTokenCount": 1_000, "thoughtsTokenCount": 1_000}),
        780_000,
    ),
]


@pytest.mark.parametrize(("name", "fields", "usage", "expected"), WORKED, ids=[w[0] for w in WORKED])
def test_every_worked_example_bills_exactly(
    name: str, fields: dict[str, Any], usage: Usage | None, expected: int
) -> None:
    assert usage is not None
    price = checked_price(name, **fields)
    charge = price.cost_of(usage, Fraction(1))
    assert charge.total == expected
    assert sum(Fraction(line.as_json()["cost"]) for line in charge.lines) == expected, "the lines add up"


def test_the_bill_lists_each_kind_with_its_rate_and_exact_cost() -> None:
    usage = from_anthropic(
        {
            "input_tokens": 150_000,
            "cache_read_input_tokens": 100_000,
            "output_tokens": 2_000,
            "server_tool_use": {"web_search_requests": 1},
        }
    )
    assert usage is not None
    charge = checked_price("sonnet-4", **SONNET_4_LONG).cost_of(usage, Fraction(1))
    assert charge.as_json() == {
        "tier": 200_000,
        "multiplier": "1",
        "total": 1_015_000,
        "lines": [
            {"kind": "uncached_input", "tokens": 150_000, "per_million": 6_000_000, "cost": "900000"},
            {"kind": "cache_read", "tokens": 100_000, "per_million": 600_000, "cost": "60000"},
            {"kind": "text_output", "tokens": 2_000, "per_million": 22_500_000, "cost": "45000"},
            {"kind": "web_search_calls", "calls": 1, "per_call": 10_000, "cost": "10000"},
        ],
    }


def test_a_kind_the_tier_does_not_name_falls_back_to_the_tier_own_rates() -> None:
    """The long tier names no 5-minute write rate: writes pay the tier's input rate, not the base write rate."""
    usage = from_anthropic({"input_tokens": 190_000, "cache_creation_input_tokens": 20_000, "output_tokens": 0})
    assert usage is not None
    charge = checked_price("sonnet-4", **SONNET_4_LONG).cost_of(usage)
    assert charge.tier == 200_000
    assert charge.total == 210_000 * 6


def test_the_call_is_rounded_once_after_the_multiplier() -> None:
    price = checked_price(
        "tiny", input_per_million=1, output_per_million=1, cache_read_per_million=1, reasoning_per_million=1
    )
    usage = Usage(2, 2, cache_read=1, reasoning=1)  # four kinds of 1/1,000,000 micro-unit each
    assert price.cost_of(usage).total == 1, "rounded per kind it would be 4"
    assert price.cost_of(usage, Fraction(1, 2)).lines[0].as_json()["cost"] == "0.000001"
    assert price.cost_of(Usage(0, 0)).total == 0
    big = checked_price("gpt-5.4", **GPT_5_4)
    worked = WORKED[0][2]
    assert worked is not None
    assert big.cost_of(worked, Fraction(3, 2)).total == 21_750
    assert big.cost_of(worked, Fraction(1, 3)).as_json()["multiplier"] == "1/3"
    assert big.cost_of(worked, Fraction(1, 3)).total == 4_834  # 14,500 / 3 = 4,833.33 -> 4,834


counts = st.integers(0, 2_000_000)


@given(prompt=counts, completion=counts, cached=counts, reasoning=counts, ratio=st.fractions(0, 10))
def test_a_price_without_optional_fields_bills_as_before(
    prompt: int, completion: int, cached: int, reasoning: int, ratio: Fraction
) -> None:
    """Any mix of kinds on an old price costs ceil((prompt x input + completion x output) x multiplier)."""
    price = Price("old", "per_token", input_per_million=2_500_000, output_per_million=10_000_000)
    usage = Usage.checked(prompt, completion, cache_read=cached, reasoning=reasoning)
    assert usage is not None
    exact = Fraction(prompt * 2_500_000 + completion * 10_000_000, DOLLAR) * ratio
    assert price.cost_of(usage, ratio).total == -((-exact.numerator) // exact.denominator)
    assert price.cost(prompt, completion, ratio) == price.cost_of(usage, ratio).total


@given(
    prompt=st.integers(0, 400_000),
    extra_bound=st.integers(0, 100_000),
    completion=st.integers(0, 10_000),
    parts=st.lists(st.integers(0, 100_000), min_size=5, max_size=5),
    ratio=st.fractions(0, 10),
)
def test_the_hold_never_falls_short_of_the_charge(
    prompt: int, extra_bound: int, completion: int, parts: list[int], ratio: Fraction
) -> None:
    """Whatever kinds a call turns out to use, the estimate from its bounds covers its token charge."""
    price = checked_price(
        "mixed",
        input_per_million=usd("1"),
        output_per_million=usd("4"),
        cache_read_per_million=usd("0.1"),
        cache_write_1h_per_million=usd("2"),
        reasoning_per_million=usd("8"),
        tiers=[
            {"above_prompt_tokens": 100_000, "input_per_million": usd("0.5"), "output_per_million": usd("3")},
            {"above_prompt_tokens": 200_000, "input_per_million": usd("3"), "output_per_million": usd("6")},
        ],
    )
    read, write_5m, write_1h, reasoning, audio = parts
    usage = Usage.checked(
        prompt,
        completion,
        cache_read=read,
        cache_write_5m=write_5m,
        cache_write_1h=write_1h,
        audio_in=audio,
        reasoning=reasoning,
    )
    assert usage is not None
    hold = price.estimate(prompt + extra_bound, completion, ratio, 1)
    assert hold >= price.cost_of(usage, ratio).total


def test_per_call_and_free_prices_bill_as_before() -> None:
    per_call = checked_price("dall-e-3", per_call=40_000)
    charge = per_call.cost_of(Usage(0, 0), Fraction(3, 2), calls=3)
    assert charge.total == 180_000
    assert charge.as_json()["lines"] == [{"kind": "calls", "calls": 3, "per_call": 40_000, "cost": "120000"}]
    assert per_call.estimate(10**6, 10**6, Fraction(1), 2) == 80_000
    free = checked_price("free", mode="free")
    assert free.cost_of(Usage(10**6, 10**6)).total == 0 and free.estimate(10**6, 10**6, Fraction(1), 1) == 0


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"input_per_million": 1, "cache_reads_per_million": 5},
            "'cache_reads_per_million' (did you mean cache_read_per_million?)",
        ),
        (
            {"input_per_million": 1, "cache_read_per_million": MAX_PRICE + 1},
            f"cache_read_per_million must be from 0 to {MAX_PRICE}",
        ),
        ({"input_per_million": 1, "reasoning_per_million": True}, "reasoning_per_million must be a whole number"),
        ({"input_per_million": 1, "web_search_per_call": -1}, "web_search_per_call must be from 0"),
        ({"per_call": 5, "cache_read_per_million": 1}, "cache_read_per_million is a field of per-token prices"),
        ({"mode": "free", "tiers": []}, "tiers is a field of per-token prices"),
        (
            {
                "input_per_million": 1,
                "tiers": [{"above_prompt_tokens": 0, "input_per_million": 1, "output_per_million": 1}],
            },
            "tiers[0].above_prompt_tokens must be a whole number of prompt tokens from 1",
        ),
        (
            {
                "input_per_million": 1,
                "tiers": [
                    {"above_prompt_tokens": 200_000, "input_per_million": 2, "output_per_million": 2},
                    {"above_prompt_tokens": 200_000, "input_per_million": 3, "output_per_million": 3},
                ],
            },
            "tiers[1].above_prompt_tokens (200000) must be above tiers[0].above_prompt_tokens (200000)",
        ),
        (
            {"input_per_million": 1, "tiers": [{"above_prompt_tokens": 5, "input_per_million": 2}]},
            "tiers[0] needs output_per_million",
        ),
        (
            {
                "input_per_million": 1,
                "tiers": [
                    {
                        "above_prompt_tokens": 5,
                        "input_per_million": 2,
                        "output_per_million": 2,
                        "cache_red_per_million": 1,
                    }
                ],
            },
            "'tiers[0].cache_red_per_million' (did you mean cache_read_per_million?)",
        ),
        (
            {
                "input_per_million": 1,
                "tiers": [
                    {
                        "above_prompt_tokens": 5,
                        "input_per_million": 2,
                        "output_per_million": 2,
                        "web_search_per_call": 1,
                    }
                ],
            },
            "set once per price, beside tiers",
        ),
        ({"input_per_million": 1, "tiers": {"above_prompt_tokens": 5}}, "tiers must be a list"),
    ],
)
def test_optional_fields_are_checked(fields: dict[str, Any], expected: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        checked_price("gpt-x", **fields)
    assert expected in refused.value.message


def _settings_file(path: Path, home: Path, database_url: str, body: str) -> Path:
    path.write_text(
        f'home = "{home}"\ndatabase_url = "{database_url}"\nadmin_key = "{ADMIN_KEY}"\n'
        f'secret_key = "Yl8cG9-7q7zAvxTJ1mQ3yPaXxjQ0X9Qh7Qd3m0e0Kjc="\n{body}'
    )
    return path


FILE_PRICE = """
[[prices]]
model = "claude-sonnet-4"
input_per_million = 3_000_000
output_per_million = 15_000_000
cache_read_per_million = 300_000
cache_write_5m_per_million = 3_750_000
cache_write_1h_per_million = 6_000_000
web_search_per_call = 10_000
[[prices.tiers]]
above_prompt_tokens = 200_000
input_per_million = 6_000_000
output_per_million = 22_500_000
cache_read_per_million = 600_000
"""


def test_the_settings_file_takes_the_optional_fields_and_names_a_typo(tmp_path: Path) -> None:
    good = load_settings(_settings_file(tmp_path / "ok.toml", tmp_path, "sqlite+aiosqlite:///unused.db", FILE_PRICE))
    assert good.prices[0].tiers == SONNET_4_LONG["tiers"]
    typo = FILE_PRICE.replace("cache_write_1h_per_million", "cache_write_1hr_per_million")
    with pytest.raises(ValueError, match=r"did you mean cache_write_1h_per_million"):
        load_settings(_settings_file(tmp_path / "typo.toml", tmp_path, "sqlite+aiosqlite:///unused.db", typo))
    bad_tier = FILE_PRICE.replace("above_prompt_tokens = 200_000", "above_prompt_tokens = -1")
    with pytest.raises(ValueError, match=r"prices\[0\].*tiers\[0\]\.above_prompt_tokens must be a whole number"):
        load_settings(_settings_file(tmp_path / "tier.toml", tmp_path, "sqlite+aiosqlite:///unused.db", bad_tier))


def test_the_cli_sets_and_lists_the_optional_fields(tmp_path: Path, database_url: str) -> None:
    config = _settings_file(tmp_path / "cli.toml", tmp_path / "home", database_url, "")
    runner = CliRunner()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("OMNIRELAY_")}, "COLUMNS": "200"}

    def cli(*args: str, ok: bool = True) -> str:
        result = runner.invoke(app, [*args, "--config", str(config)], env=env)
        assert (result.exit_code == 0) is ok, result.output
        return result.output

    cli(
        "prices", "set", "gemini-2.5-pro",
        "--input-per-million", "1250000", "--output-per-million", "10000000",
        "--cache-read-per-million", "125000",
        "--tier", "above=200000,input=2500000,output=15000000,cache_read=250000",
    )  # fmt: skip
    listed = cli("prices", "list")
    assert "cache_read=125000" in listed and ">200000:2500000/15000000" in listed, listed
    stored = {p["model"]: p for p in json.loads(cli("prices", "list", "--json"))}["gemini-2.5-pro"]
    assert stored["tiers"] == GEMINI_2_5_PRO["tiers"] and stored["cache_write_1h_per_million"] is None
    assert "did you mean cache_read_per_million" in cli(
        "prices", "set", "g", "--input-per-million", "1", "--tier", "above=5,input=1,output=1,cache_red=1", ok=False
    )
    assert "cache_read_per_million is a field of per-token prices" in cli(
        "prices", "set", "g", "--per-call", "5", "--cache-read-per-million", "1", ok=False
    )
    assert "needs a whole number" in cli(
        "prices", "set", "g", "--input-per-million", "1", "--tier", "above=lots", ok=False
    )


@sqlite_only
def test_the_admin_api_takes_the_optional_fields_and_refuses_typos(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(**funded())
    made = gateway.admin_json("PUT", "/api/admin/prices/claude-sonnet-4", json=SONNET_4_LONG)
    assert {k: made[k] for k in SONNET_4_LONG} == SONNET_4_LONG
    assert made["audio_input_per_million"] is None and made["warnings"] == []
    listed = {p["model"]: p for p in gateway.admin_json("GET", "/api/admin/prices")["data"]}
    assert listed["claude-sonnet-4"]["tiers"] == SONNET_4_LONG["tiers"]
    for body, expected in [
        ({**SONNET_4_5, "cache_write_1hour_per_million": 1}, "did you mean cache_write_1h_per_million?"),
        ({**SONNET_4_5, "cache_read_per_million": "300000"}, "cache_read_per_million"),
        (
            {**SONNET_4_5, "tiers": [{"above_prompt_tokens": 10, "input_per_million": 1.5, "output_per_million": 1}]},
            "tiers[0].input_per_million must be a whole number",
        ),
        ({"per_call": 10, "web_search_per_call": 10}, "web_search_per_call is a field of per-token prices"),
    ]:
        refused = gateway.admin.put("/api/admin/prices/claude-sonnet-4", json=body)
        assert refused.status_code == 400 and expected in refused.json()["error"]["message"], refused.text
    kept = {p["model"]: p for p in gateway.admin_json("GET", "/api/admin/prices")["data"]}["claude-sonnet-4"]
    assert kept["web_search_per_call"] == 10_000, "a refused change leaves the price as it was"


CACHED_AND_REASONING = {
    "prompt_tokens": 10_000,
    "completion_tokens": 500,
    "total_tokens": 10_500,
    "prompt_tokens_details": {"cached_tokens": 8_000},
    "completion_tokens_details": {"reasoning_tokens": 200},
}
GPT_5_4_BILL = {
    "tier": None,
    "multiplier": "1",
    "total": 14_500,
    "lines": [
        {"kind": "uncached_input", "tokens": 2_000, "per_million": 2_500_000, "cost": "5000"},
        {"kind": "cache_read", "tokens": 8_000, "per_million": 250_000, "cost": "2000"},
        {"kind": "text_output", "tokens": 300, "per_million": 15_000_000, "cost": "4500"},
        {"kind": "reasoning", "tokens": 200, "per_million": 15_000_000, "cost": "3000"},
    ],
}


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_a_chat_call_bills_cached_tokens_at_the_cache_read_price(
    stream: bool, make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream(usage_override=CACHED_AND_REASONING)
    price = {**per_token(input_pm=usd("2.50"), output_pm=usd("15")), "cache_read_per_million": usd("0.25")}
    gateway = make_gateway(**funded(), channels=[channel("main", upstream)], prices=[price])
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)
    messages: Any = [{"role": "user", "content": "hello"}]
    if stream:
        chunks = client.chat.completions.create(
            model="gpt-test", messages=messages, stream=True, stream_options={"include_usage": True}
        )
        usage = [c.usage for c in chunks if c.usage is not None][-1]
    else:
        usage = client.chat.completions.create(model="gpt-test", messages=messages).usage
    assert usage is not None and usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 8_000, "the client sees the upstream's details"
    (log,) = gateway.logs()
    assert (log["cost"], log["usage"]) == (14_500, GPT_5_4_BILL), "billed at the cache-read price, line by line"
    assert gateway.admin_json("GET", "/api/admin/accounts/1")["balance"] == 10**12 - 14_500


def test_the_cli_shows_the_kinds_and_the_bill(
    tmp_path: Path, make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream(usage_override=CACHED_AND_REASONING)
    price = {**per_token(input_pm=usd("2.50"), output_pm=usd("15")), "cache_read_per_million": usd("0.25")}
    gateway = make_gateway(**funded(), channels=[channel("main", upstream)], prices=[price])
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)
    client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hello"}])
    gateway.flush()
    config = _settings_file(tmp_path / "cli.toml", tmp_path / "home", gateway.settings.effective_database_url, "")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("OMNIRELAY_")}, "COLUMNS": "200"}
    result = CliRunner().invoke(app, ["logs", "list", "--detail", "--config", str(config)], env=env)
    assert result.exit_code == 0, result.output
    assert "cached=8000" in result.output and "reasoning=200" in result.output, result.output
    assert "250000/M" in result.output and "tier base, multiplier 1" in result.output, result.output


def test_the_hold_is_taken_at_the_tier_the_prompt_may_reach(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    """A key funded for the base rates, not for a long-context tier the body's size may reach, is
    refused before the upstream is called; the same request on a price without the tier is served."""
    upstream = make_upstream()
    base = {"input_per_million": 1_000, "output_per_million": 1_000}
    tiered = {**base, "tiers": [{"above_prompt_tokens": 10, "input_per_million": 10**9, "output_per_million": 1_000}]}
    gateway = make_gateway(
        **funded(balance=10_000),
        channels=[channel("main", upstream, models=["flat", "tiered"])],
        prices=[{"model": "flat", **base}, {"model": "tiered", **tiered}],
    )
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)
    messages: Any = [{"role": "user", "content": "a prompt of some forty bytes or so"}]
    with pytest.raises(openai.APIStatusError) as refused:
        client.chat.completions.create(model="tiered", messages=messages, max_tokens=10)
    assert refused.value.status_code == 402
    assert upstream.chat_requests() == []
    assert client.chat.completions.create(model="flat", messages=messages, max_tokens=10).choices
