"""``/v1/completions`` and ``/v1/moderations`` with the official ``openai`` SDK against a real gateway.

An ``openai`` channel gets both as the client sent them; a chat-only channel (Anthropic, local)
gets completions converted; moderation needs an OpenAI channel (the local provider answers 501).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
import openai
import pytest

from conftest import USER_KEY, Gateway, Upstream, assert_ledger_balanced, channel, funded, per_token, sqlite_only
from omnirelay.testing import FakeAnthropic, FakeAnthropicKnobs, serve_in_thread

INSTRUCT = "gpt-instruct"


def client(gateway: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0, timeout=120)


def sent_to(upstream: Upstream, path: str) -> list[Any]:
    return [r.json for r in upstream.fake.requests if r.path == path]


@pytest.fixture
def on_openai(make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]) -> tuple[Gateway, Upstream]:
    upstream = make_upstream()
    gateway = make_gateway(
        **funded(),
        channels=[
            channel(
                "openai",
                upstream,
                models=[INSTRUCT, "omni-moderation-latest", "text-moderation-stable"],
                model_map={INSTRUCT: "gpt-3.5-turbo-instruct"},
            )
        ],
        prices=[
            per_token(INSTRUCT),
            {"model": "omni-moderation-latest", "mode": "free"},
            {"model": "text-moderation-stable", "mode": "per_call", "per_call": 700},
        ],
    )
    return gateway, upstream


@pytest.fixture
def on_anthropic(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> tuple[Gateway, FakeAnthropic]:
    fake = FakeAnthropic(FakeAnthropicKnobs(api_key="sk-ant-upstream"))
    url = stack.enter_context(serve_in_thread(fake.app))
    claude = {"name": "claude", "type": "anthropic", "base_url": url, "secrets": ["sk-ant-upstream"]}
    gateway = make_gateway(
        **funded(), channels=[{**claude, "models": ["claude-test"]}], prices=[per_token("claude-test")]
    )
    return gateway, fake


def test_completion_is_relayed_untouched_to_an_openai_channel(on_openai: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = on_openai
    answer = client(gateway).completions.create(
        model=INSTRUCT, prompt="Say this is a test", max_tokens=7, echo=True, logprobs=1, suffix="!", user="u-1"
    )
    [sent] = sent_to(upstream, "/v1/completions")
    assert sent == {
        "model": "gpt-3.5-turbo-instruct",
        "prompt": "Say this is a test",
        "max_tokens": 7,
        "echo": True,
        "logprobs": 1,
        "suffix": "!",
        "user": "u-1",
    }, "only the model name is changed"
    assert answer.object == "text_completion" and answer.id.startswith("cmpl-")
    [choice] = answer.choices
    assert choice.text == "Say this is a testHello! You said: Say this is a!" and choice.finish_reason == "length"
    assert choice.logprobs is not None and choice.logprobs.tokens, "logprobs work on an OpenAI channel"
    assert answer.usage is not None and (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (5, 7)
    [log] = gateway.logs(model=INSTRUCT)
    assert (log["endpoint"], log["prompt_tokens"], log["completion_tokens"]) == ("completions", 5, 7)
    assert log["cost"] == 5 * 1 + 7 * 2, "billed at the model's price from the upstream's usage"
    assert_ledger_balanced(gateway)


@sqlite_only
def test_token_prompts_and_several_prompts_pass_through(on_openai: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = on_openai
    answer = client(gateway).completions.create(model=INSTRUCT, prompt=["one", "two three"], n=2, max_tokens=3)
    assert [c.index for c in answer.choices] == [0, 1, 2, 3]
    tokens = client(gateway).completions.create(model=INSTRUCT, prompt=[101, 102, 103], max_tokens=2)
    assert sent_to(upstream, "/v1/completions")[-1]["prompt"] == [101, 102, 103]
    assert tokens.usage is not None and tokens.usage.prompt_tokens == 3


@sqlite_only
def test_completion_streams_from_an_openai_channel(on_openai: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = on_openai
    chunks = list(
        client(gateway).completions.create(
            model=INSTRUCT, prompt="one two", max_tokens=4, stream=True, stream_options={"include_usage": True}
        )
    )
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "Hello! You said: one"
    assert all(c.object == "text_completion" for c in chunks)
    usage = chunks[-1].usage
    assert usage is not None and not chunks[-1].choices and (usage.prompt_tokens, usage.completion_tokens) == (2, 4)

    plain = list(client(gateway).completions.create(model=INSTRUCT, prompt="one two", max_tokens=4, stream=True))
    assert all(c.choices and c.usage is None for c in plain), "no usage chunk unless the client asks"
    assert sent_to(upstream, "/v1/completions")[-1]["stream_options"] == {"include_usage": True}, "asked for billing"
    logs = gateway.logs(model=INSTRUCT)
    assert [(log["prompt_tokens"], log["completion_tokens"], log["stream"]) for log in logs] == [(2, 4, True)] * 2
    assert_ledger_balanced(gateway)


def test_completion_on_a_chat_only_channel_is_converted(on_anthropic: tuple[Gateway, FakeAnthropic]) -> None:
    gateway, fake = on_anthropic
    answer = client(gateway).completions.create(model="claude-test", prompt="one two")
    sent = fake.requests[-1].json
    assert sent["messages"] == [{"role": "user", "content": "one two"}]
    assert sent["max_tokens"] == 16, "the completions default, not chat's"
    assert answer.object == "text_completion" and answer.id.startswith("cmpl-") and answer.model == "claude-test"
    [choice] = answer.choices
    assert (choice.text, choice.index, choice.logprobs, choice.finish_reason) == (
        "Hello! You said: one two",
        0,
        None,
        "stop",
    )
    assert answer.usage is not None
    [log] = gateway.logs(model="claude-test")
    assert (log["endpoint"], log["prompt_tokens"], log["completion_tokens"]) == (
        "completions",
        answer.usage.prompt_tokens,
        answer.usage.completion_tokens,
    )
    assert log["cost"] == answer.usage.prompt_tokens + 2 * answer.usage.completion_tokens
    assert_ledger_balanced(gateway)


@sqlite_only
def test_several_prompts_on_a_chat_only_channel_are_one_chat_call_each(
    on_anthropic: tuple[Gateway, FakeAnthropic],
) -> None:
    gateway, fake = on_anthropic
    answer = client(gateway).completions.create(model="claude-test", prompt=["one two", "three"])
    assert [m.json["messages"][0]["content"] for m in fake.requests] == ["one two", "three"]
    assert [(c.index, c.text) for c in answer.choices] == [
        (0, "Hello! You said: one two"),
        (1, "Hello! You said: three"),
    ]
    assert answer.usage is not None
    [log] = gateway.logs(model="claude-test")
    assert (log["prompt_tokens"], log["completion_tokens"]) == (
        answer.usage.prompt_tokens,
        answer.usage.completion_tokens,
    )
    assert answer.usage.completion_tokens == 5 + 4, "the usage of both calls"


@sqlite_only
def test_converted_completion_streams(on_anthropic: tuple[Gateway, FakeAnthropic]) -> None:
    gateway, _ = on_anthropic
    chunks = list(
        client(gateway).completions.create(
            model="claude-test", prompt="one two three", stream=True, stream_options={"include_usage": True}
        )
    )
    assert all(c.object == "text_completion" and c.id.startswith("cmpl-") for c in chunks)
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "Hello! You said: one two three"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    usage = chunks[-1].usage
    assert usage is not None and usage.completion_tokens > 0
    [log] = gateway.logs(model="claude-test")
    assert (log["prompt_tokens"], log["completion_tokens"]) == (usage.prompt_tokens, usage.completion_tokens)


@sqlite_only
@pytest.mark.parametrize(
    ("field", "options"),
    [
        ("echo", {"echo": True}),
        ("suffix", {"suffix": "end"}),
        ("best_of", {"best_of": 3}),
        ("logprobs", {"logprobs": 2}),
        ("prompt", {"prompt": [1, 2, 3]}),
        ("prompt", {"prompt": ["first", "second"], "stream": True}),
    ],
)
def test_what_chat_cannot_do_is_refused_naming_the_field(
    on_anthropic: tuple[Gateway, FakeAnthropic], field: str, options: dict[str, Any]
) -> None:
    gateway, fake = on_anthropic
    request = {"model": "claude-test", "prompt": "hello", **options}
    with pytest.raises(openai.BadRequestError) as refused:
        client(gateway).completions.create(**request)
    assert refused.value.status_code == 400 and isinstance(refused.value.body, dict)
    assert refused.value.body["param"] == field and field in refused.value.message
    assert not fake.requests, "nothing reached the upstream"
    [log] = gateway.logs(model="claude-test")
    assert (log["status"], log["cost"]) == (400, 0)
    assert_ledger_balanced(gateway)


@sqlite_only
def test_completion_on_the_local_model(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(**funded(balance=0))
    model = "smollm2-135m-instruct"
    answer = client(gateway).completions.create(model=model, prompt="What is the capital of France?", max_tokens=12)
    [choice] = answer.choices
    assert choice.text.strip() and choice.finish_reason in ("stop", "length")
    assert answer.usage is not None and 0 < answer.usage.completion_tokens <= 12
    [log] = gateway.logs(model=model)
    assert (log["endpoint"], log["cost"]) == ("completions", 0)


def test_moderation_is_relayed_and_metered(on_openai: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = on_openai
    result = client(gateway).moderations.create(input=["I will kill you", "what a nice day"])
    assert [r.flagged for r in result.results] == [True, False]
    assert result.results[0].categories.violence is True
    assert sent_to(upstream, "/v1/moderations")[-1] == {
        "input": ["I will kill you", "what a nice day"],
        "model": "omni-moderation-latest",
    }, "the default model is named, the input untouched"
    client(gateway).moderations.create(model="text-moderation-stable", input="hello")
    logs = {log["model"]: log for log in gateway.logs()}
    assert logs["omni-moderation-latest"]["cost"] == 0 and logs["omni-moderation-latest"]["prompt_tokens"] > 0
    assert logs["text-moderation-stable"]["cost"] == 700, "a per-call price bills each call"
    assert {log["endpoint"] for log in logs.values()} == {"moderations"}
    assert_ledger_balanced(gateway)


@sqlite_only
def test_moderation_needs_a_price_like_any_model(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream()
    gateway = make_gateway(**funded(), channels=[channel("openai", upstream, models=["omni-moderation-latest"])])
    with pytest.raises(openai.PermissionDeniedError) as refused:
        client(gateway).moderations.create(input="hello")
    assert isinstance(refused.value.body, dict) and refused.value.body["code"] == "model_not_priced"
    assert not sent_to(upstream, "/v1/moderations")


@sqlite_only
def test_local_provider_answers_moderation_with_501(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(**funded())
    with pytest.raises(openai.InternalServerError) as refused:
        client(gateway).moderations.create(input="hello")
    error = refused.value
    assert error.status_code == 501 and isinstance(error.body, dict) and error.body["code"] == "not_implemented"
    assert "no permissively licensed moderation classifier" in error.message and "OpenAI channel" in error.message
    assert error.response.headers["x-should-retry"] == "false", "the SDK does not retry it"
    with pytest.raises(openai.NotFoundError):  # a model that is no moderation model: not found, as everywhere
        client(gateway).moderations.create(input="hello", model="no-such-model")

    [local] = [c for c in gateway.admin_json("GET", "/api/admin/channels")["data"] if c["name"] == "local"]
    gateway.admin_json(
        "PATCH", f"/api/admin/channels/{local['id']}", json={"models": [*local["models"], "omni-moderation-latest"]}
    )
    gateway.admin_json("PUT", "/api/admin/prices/omni-moderation-latest", json={"mode": "free"})
    with pytest.raises(openai.InternalServerError) as routed:
        client(gateway).moderations.create(input="hello")
    assert routed.value.status_code == 501 and "local provider cannot moderate" in routed.value.message
    [log] = gateway.logs(model="omni-moderation-latest")
    assert (log["status"], log["cost"], log["channel_id"]) == (501, 0, local["id"])


@sqlite_only
def test_bad_requests_get_openai_errors(on_openai: tuple[Gateway, Upstream]) -> None:
    gateway, _ = on_openai
    headers = {"Authorization": f"Bearer {USER_KEY}"}
    cases = [
        ("/v1/completions", {"model": INSTRUCT, "prompt": {"x": 1}}, "prompt"),
        ("/v1/completions", {"prompt": "hi"}, "model"),
        ("/v1/moderations", {"input": 3}, "input"),
    ]
    for path, body, param in cases:
        response = httpx.post(gateway.url + path, json=body, headers=headers)
        assert response.status_code == 400 and response.json()["error"]["param"] == param, response.text
    unauthenticated = httpx.post(gateway.url + "/v1/completions", json={"model": INSTRUCT, "prompt": "x"})
    assert unauthenticated.status_code == 401 and unauthenticated.json()["error"]["type"]


@sqlite_only
def test_a_client_leaving_mid_stream_pays_for_what_it_received(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    reply = " ".join(f"word{i}" for i in range(40))
    upstream = make_upstream(reply=reply, chunk_delay_s=0.05)
    gateway = make_gateway(
        **funded(), channels=[channel("openai", upstream, models=[INSTRUCT])], prices=[per_token(INSTRUCT)]
    )
    stream = client(gateway).completions.create(model=INSTRUCT, prompt="go", max_tokens=40, stream=True)
    for received, _ in enumerate(stream, start=1):
        if received == 5:
            break
    stream.close()
    deadline = time.monotonic() + 10
    while not (logs := gateway.logs(model=INSTRUCT)) and time.monotonic() < deadline:
        time.sleep(0.05)
    [log] = logs
    assert log["status"] == 499 and 0 < log["completion_tokens"] < 40, "billed for the delivered part only"
    assert log["cost"] == log["prompt_tokens"] * 1 + log["completion_tokens"] * 2
    assert_ledger_balanced(gateway)


@sqlite_only
def test_a_stream_that_breaks_before_its_first_chunk_fails_over(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    broken, working = make_upstream(reset_before_first_chunk=True), make_upstream(reply="from the second")
    gateway = make_gateway(
        **funded(),
        channels=[
            channel("first", broken, models=[INSTRUCT], priority=10),
            channel("second", working, models=[INSTRUCT], priority=0),
        ],
        prices=[per_token(INSTRUCT)],
    )
    chunks = list(client(gateway).completions.create(model=INSTRUCT, prompt="go", stream=True))
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "from the second"
    assert sent_to(broken, "/v1/completions") and sent_to(working, "/v1/completions")
    [log] = gateway.logs(model=INSTRUCT)
    assert log["status"] == 200 and log["completion_tokens"] == 3
