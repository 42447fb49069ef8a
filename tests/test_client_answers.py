"""Answers a client can act on: existence before permission, disabled channels named, log rows as answered.

* A model nobody serves is 404 ``model_not_found`` for every key, limited or not, in every family;
  a served model outside the key's scope stays 403 ``model_not_allowed``.
* When every channel of a model is disabled the client learns that retrying will not help and that
  the operator must act (503 ``channels_disabled``, ``x-should-retry: false``); channels resting
  behind open breakers say when to retry (503 ``no_channel_available`` with ``Retry-After``).
* Request-log rows name the price actually billed and the HTTP status the client actually got.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import anthropic
import httpx
import openai
import pytest

from conftest import USER_KEY, Gateway, Upstream, assert_ledger_balanced, channel, per_token, sqlite_only
from mj_support import MJ_MODELS, PRICE, mj_channel, mj_prices, wait_for, wait_status
from omnirelay.testing import FakeMidjourney, FakeMidjourneyKnobs, serve_in_thread

OPEN_KEY = "sk-open-test-00000000000000000000000000000000000000000"
MODAL_PRICE = 70_000


def keys(limited_to: list[str]) -> dict[str, Any]:
    """One account with ``USER_KEY`` limited to ``limited_to`` and ``OPEN_KEY`` limited to nothing."""
    return {
        "accounts": [{"name": "acme", "balance": 10**12}],
        "keys": [
            {"account": "acme", "name": "limited", "key": USER_KEY, "models": limited_to},
            {"account": "acme", "name": "open", "key": OPEN_KEY},
        ],
    }


def gpt(gateway: Gateway, key: str = USER_KEY, retries: int = 0) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=retries)


def claude(gateway: Gateway, key: str = USER_KEY, retries: int = 0) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.url, api_key=key, max_retries=retries)


def chat(client: openai.OpenAI, model: str = "gpt-test") -> str:
    reply = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
    return reply.choices[0].message.content or ""


def message(client: anthropic.Anthropic, model: str = "gpt-test") -> None:
    client.messages.create(model=model, max_tokens=10, messages=[{"role": "user", "content": "hi"}])


def wait_auto_disabled(gateway: Gateway, channel_id: int) -> dict[str, Any]:
    record: dict[str, Any] = wait_for(
        lambda: (r := gateway.admin_json("GET", f"/api/admin/channels/{channel_id}"))["auto_disabled"] and r,
        timeout=5,
    )
    return record


# -- existence first, then permission --------------------------------------------------------


@pytest.fixture
def scoped(make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]) -> Gateway:
    """``USER_KEY`` may use gpt-test only; gpt-4o-mini is served and priced too."""
    upstream = make_upstream()
    return make_gateway(
        **keys(["gpt-test"]),
        channels=[channel("main", upstream, models=["gpt-test", "gpt-4o-mini"])],
        prices=[per_token(), per_token("gpt-4o-mini")],
    )


@sqlite_only
def test_openai_family_unknown_model_is_404_for_a_limited_key_and_a_served_one_403(scoped: Gateway) -> None:
    for key in (USER_KEY, OPEN_KEY):
        with pytest.raises(openai.NotFoundError) as chat_missing:
            chat(gpt(scoped, key), "gpt-nobody-serves")
        assert chat_missing.value.code == "model_not_found", key
        with pytest.raises(openai.NotFoundError) as embed_missing:
            gpt(scoped, key).embeddings.create(model="embed-nobody-serves", input="hi")
        assert embed_missing.value.code == "model_not_found", key
    with pytest.raises(openai.PermissionDeniedError) as denied:
        chat(gpt(scoped), "gpt-4o-mini")
    assert denied.value.code == "model_not_allowed"
    assert chat(gpt(scoped, OPEN_KEY), "gpt-4o-mini")


@sqlite_only
def test_anthropic_family_unknown_model_is_404_for_a_limited_key_and_a_served_one_403(scoped: Gateway) -> None:
    for key in (USER_KEY, OPEN_KEY):
        with pytest.raises(anthropic.NotFoundError) as missing:
            message(claude(scoped, key), "claude-nobody-serves")
        assert missing.value.body["error"]["type"] == "not_found_error", key  # type: ignore[index]
    with pytest.raises(anthropic.PermissionDeniedError) as denied:
        message(claude(scoped), "gpt-4o-mini")
    assert "may not use the model `gpt-4o-mini`" in denied.value.message


@sqlite_only
def test_midjourney_family_without_a_channel_answers_a_limited_key_as_any_key(
    make_gateway: Callable[..., Gateway],
) -> None:
    gateway = make_gateway(**keys(["gpt-test"]), prices=mj_prices())
    answers = []
    for key in (USER_KEY, OPEN_KEY):
        response = httpx.post(
            gateway.url + "/mj/submit/imagine", json={"prompt": "a fox"}, headers={"mj-api-secret": key}
        )
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1]
    status, body = answers[0]
    assert status == 200 and body["code"] == 3 and "No channel serves `mj_imagine`" in body["description"]


@sqlite_only
def test_midjourney_family_served_action_outside_the_key_scope_is_403(
    stack: ExitStack, make_gateway: Callable[..., Gateway]
) -> None:
    url = stack.enter_context(serve_in_thread(FakeMidjourney(FakeMidjourneyKnobs(api_secret="mj-secret")).app))
    gateway = make_gateway(**keys(["gpt-test"]), channels=[mj_channel("mj", url)], prices=mj_prices())
    response = httpx.post(
        gateway.url + "/mj/submit/imagine", json={"prompt": "a fox"}, headers={"mj-api-secret": USER_KEY}
    )
    assert response.status_code == 403 and response.json()["code"] == 4
    assert "may not use the model `mj_imagine`" in response.json()["description"]


# -- disabled channels and open breakers -----------------------------------------------------


def test_a_channel_disabled_after_upstream_401_tells_the_client_the_operator_must_act(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream(api_key="sk-something-else")
    gateway = make_gateway(
        **keys(["gpt-test"]),
        channels=[channel("main", upstream)],
        prices=[per_token()],
        relay={"probe_interval_s": 3600},
    )
    with pytest.raises(openai.APIStatusError) as refused:
        chat(gpt(gateway))
    assert refused.value.status_code == 502 and refused.value.code == "upstream_auth_failed"
    wait_auto_disabled(gateway, 1)
    upstream_calls = len(upstream.chat_requests())

    with pytest.raises(openai.InternalServerError) as disabled:
        chat(gpt(gateway, retries=2))  # the SDK would retry a 503; x-should-retry: false stops it
    assert disabled.value.status_code == 503 and disabled.value.code == "channels_disabled"
    assert disabled.value.response.headers["x-should-retry"] == "false"
    text = disabled.value.body["message"]  # type: ignore[index]
    assert "All channels serving `gpt-test` are disabled" in text
    assert "`main`: auto-disabled after the upstream refused its credentials (401)" in text
    assert "Retrying will not help" in text and "operator must fix" in text
    assert "127.0.0.1" not in text, "the upstream's address stays with the operator"

    with pytest.raises(anthropic.InternalServerError) as via_claude:
        message(claude(gateway, retries=2))
    assert via_claude.value.status_code == 503
    assert via_claude.value.body["error"] == {"type": "api_error", "message": text}  # type: ignore[index]

    assert len(upstream.chat_requests()) == upstream_calls, "a disabled channel is not called"
    refusals = gateway.logs(status=503)
    assert len(refusals) == 2, "one logged (and refunded) call per client call: no SDK retries"
    assert all(r["cost"] == 0 and "operator must fix" in r["error"] for r in refusals)
    assert_ledger_balanced(gateway)


@sqlite_only
def test_channels_disabled_by_the_operator_are_named_as_such(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    gateway = make_gateway(**keys(["gpt-test"]), channels=[channel("main", make_upstream())], prices=[per_token()])
    gateway.admin_json("PATCH", "/api/admin/channels/1", json={"enabled": False})
    with pytest.raises(openai.InternalServerError) as disabled:
        chat(gpt(gateway))
    assert disabled.value.code == "channels_disabled"
    assert "(`main`: disabled by the operator)" in disabled.value.message


@sqlite_only
def test_channels_behind_open_breakers_say_when_to_retry(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream(status=500)
    gateway = make_gateway(
        **keys(["gpt-test"]),
        channels=[channel("main", upstream)],
        prices=[per_token()],
        relay={"breaker_failures": 1, "breaker_cooldown_s": 30},
    )
    with pytest.raises(openai.InternalServerError) as failed:
        chat(gpt(gateway))
    assert failed.value.status_code == 502
    with pytest.raises(openai.InternalServerError) as resting:
        chat(gpt(gateway))
    assert resting.value.status_code == 503 and resting.value.code == "no_channel_available"
    retry_after = int(resting.value.response.headers["retry-after"])
    assert 25 <= retry_after <= 30
    assert "paused by its circuit breaker" in resting.value.message
    assert f"try again in {retry_after} s" in resting.value.message
    assert "x-should-retry" not in resting.value.response.headers


# -- Midjourney: disabled channels, modal charges and refusals in the log ---------------------


@pytest.fixture
def mj_gateway(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> Callable[..., tuple[FakeMidjourney, Gateway]]:
    def make(**knobs: Any) -> tuple[FakeMidjourney, Gateway]:
        fake = FakeMidjourney(FakeMidjourneyKnobs(api_secret="mj-secret", step_s=0.02, **knobs))
        url = stack.enter_context(serve_in_thread(fake.app))
        prices = [p if p["model"] != "mj_modal" else {**p, "per_call": MODAL_PRICE} for p in mj_prices()]
        gateway = make_gateway(
            **keys(MJ_MODELS),
            channels=[mj_channel("mj", url)],
            prices=prices,
            tasks={"poll_min_s": 0.05, "poll_max_s": 0.2},
            relay={"probe_interval_s": 3600},
        )
        return fake, gateway

    return make


def mj_client(stack: ExitStack, gateway: Gateway) -> httpx.Client:
    headers = {"Authorization": f"Bearer {USER_KEY}"}
    return stack.enter_context(httpx.Client(base_url=gateway.url, headers=headers, timeout=30))


def test_custom_zoom_task_log_row_names_the_modal_price_it_was_billed_at(stack: ExitStack, mj_gateway: Any) -> None:
    fake, gateway = mj_gateway()
    client = mj_client(stack, gateway)
    parent = wait_status(client, client.post("/mj/submit/imagine", json={"prompt": "cat"}).json()["result"], "SUCCESS")
    upscale = {"taskId": parent["id"], "customId": parent["buttons"][0]["customId"]}
    upscaled = wait_status(client, client.post("/mj/submit/action", json=upscale).json()["result"], "SUCCESS")
    zoom = next(b["customId"] for b in upscaled["buttons"] if b["customId"].startswith("MJ::CustomZoom"))
    opened = client.post("/mj/submit/action", json={"taskId": upscaled["id"], "customId": zoom}).json()
    assert opened["code"] == 21
    confirmed = client.post("/mj/submit/modal", json={"taskId": opened["result"], "prompt": "cat --zoom 2"}).json()
    assert confirmed["code"] == 1
    assert wait_status(client, opened["result"], "SUCCESS")["action"] == "ZOOM"

    def task_rows() -> list[dict[str, Any]]:
        rows = [r for r in gateway.logs(limit=20) if r["request_id"] == opened["result"]]
        return rows if len(rows) == 2 else []

    final, submitted = wait_for(task_rows)  # newest first: the task's end, then the confirmation
    assert (submitted["endpoint"], submitted["model"], submitted["cost"]) == ("/mj/submit/modal", "mj_modal", 0)
    assert final["endpoint"] == "task:mj/zoom" and final["status"] == 200
    assert (final["model"], final["cost"]) == ("mj_modal", MODAL_PRICE)
    assert sum(r["cost"] for r in gateway.logs(limit=50)) == 2 * PRICE + MODAL_PRICE  # imagine, U1, zoom
    assert_ledger_balanced(gateway)


def test_banned_prompt_is_logged_with_the_status_the_client_got(stack: ExitStack, mj_gateway: Any) -> None:
    fake, gateway = mj_gateway(banned_words=["forbidden"])
    client = mj_client(stack, gateway)
    response = client.post("/mj/submit/imagine", json={"prompt": "a forbidden thing"})
    assert response.status_code == 200 and response.json()["code"] == 24
    [row] = wait_for(lambda: gateway.logs(model="mj_imagine"))
    assert row["status"] == response.status_code
    assert row["cost"] == 0 and row["error"].startswith("refused by the upstream (code 24)")
    assert_ledger_balanced(gateway)


def test_midjourney_channel_disabled_after_401_is_code_3_naming_the_fix(stack: ExitStack, mj_gateway: Any) -> None:
    fake, gateway = mj_gateway()
    client = mj_client(stack, gateway)
    parent = wait_status(client, client.post("/mj/submit/imagine", json={"prompt": "cat"}).json()["result"], "SUCCESS")
    fake.knobs.api_secret = "rotated-upstream-secret"
    refused = client.post("/mj/submit/imagine", json={"prompt": "dog"})
    assert refused.status_code == 200 and refused.json()["code"] == 9
    wait_auto_disabled(gateway, 1)

    fresh = client.post("/mj/submit/imagine", json={"prompt": "bird"})
    assert fresh.status_code == 200 and fresh.json()["code"] == 3
    assert "All channels serving `mj_imagine` are disabled" in fresh.json()["description"]
    assert "operator must fix" in fresh.json()["description"]
    button = {"taskId": parent["id"], "customId": parent["buttons"][0]["customId"]}
    follow_up = client.post("/mj/submit/action", json=button)
    assert follow_up.status_code == 200 and follow_up.json()["code"] == 3
    assert f"The channel `mj` that ran task {parent['id']} is auto-disabled" in follow_up.json()["description"]

    def imagine_statuses() -> list[int] | None:
        found = [r["status"] for r in gateway.logs(limit=20) if r["endpoint"] == "/mj/submit/imagine"]
        return found if len(found) >= 3 else None  # the third is logged as its answer goes out

    assert wait_for(imagine_statuses) == [200, 200, 200]
    assert_ledger_balanced(gateway)
