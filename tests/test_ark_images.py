"""Ark image generation (spec §4.4) through the gateway, against the fake Ark: billed per image, signed links."""

from __future__ import annotations

import base64
from collections.abc import Callable
from contextlib import ExitStack

import httpx
import pytest

from ark_support import (
    BALANCE,
    IMAGES,
    PRICES,
    SEEDEDIT,
    SEEDREAM4,
    T2I,
    ark_channel,
    balances,
    client,
    ok,
    refused,
    serve_ark,
    start,
)
from conftest import Gateway, assert_ledger_balanced


def test_text_to_image_answers_a_signed_gateway_link_billed_once_per_image(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_ark(stack)
    gateway = start(make_gateway, [ark_channel("ark", url)])
    api = client(stack, gateway)
    answer = ok(api.post(IMAGES, json={"model": T2I, "prompt": "a red apple", "size": "1280x720", "seed": 7}))
    assert set(answer) == {"model", "created", "data", "usage"} and answer["model"] == T2I
    assert answer["usage"] == {"generated_images": 1, "output_tokens": 4096, "total_tokens": 4096}
    link = answer["data"][0]["url"]
    assert link.startswith(f"{gateway.url}/v1/images/content/") and url not in str(answer)
    assert answer["data"][0]["size"] == "1280x720"
    picture = httpx.get(link)  # no key: the link is signed
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")
    assert balances(gateway)["acme"] == BALANCE - PRICES[f"{T2I}:1280x720"]
    sent = [r.json for r in fake.requests if r.path == IMAGES]
    assert sent[0]["seed"] == 7 and sent[0]["model"] == T2I
    assert fake.requests[0].headers["authorization"] == "Bearer ark-test-key-0123456789"
    assert_ledger_balanced(gateway)


def test_seededit_b64_and_the_aggregator_prefix(make_gateway: Callable[..., Gateway], stack: ExitStack) -> None:
    fake, url = serve_ark(stack, image_format="jpg")
    gateway = start(make_gateway, [ark_channel("ark", url)])
    api = client(stack, gateway)
    image = "data:image/png;base64," + base64.b64encode(b"\x89PNG fake").decode()
    body = {"model": SEEDEDIT, "prompt": "make it blue", "image": image, "response_format": "b64_json"}
    answer = ok(api.post("/ark" + IMAGES, json={**body, "guidance_scale": 5.5}))
    assert base64.b64decode(answer["data"][0]["b64_json"]).startswith(b"\xff\xd8\xff")  # a JPEG
    assert balances(gateway)["acme"] == BALANCE - PRICES[SEEDEDIT]
    assert_ledger_balanced(gateway)


def test_a_seedream4_sequence_holds_max_images_and_settles_those_made(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_ark(stack, sequence_images=2)
    gateway = start(make_gateway, [ark_channel("ark", url)])
    api = client(stack, gateway)
    body = {
        "model": SEEDREAM4,
        "prompt": "four seasons",
        "size": "2K",
        "image": ["https://example.com/a.png"],
        "sequential_image_generation": "auto",
        "sequential_image_generation_options": {"max_images": 4},
    }
    answer = ok(api.post(IMAGES, json=body))
    assert len(answer["data"]) == 2 and answer["usage"]["generated_images"] == 2
    assert balances(gateway)["acme"] == BALANCE - 2 * PRICES[SEEDREAM4]
    assert_ledger_balanced(gateway)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": T2I, "prompt": "x", "size": "999x999"}, "size"),
        ({"model": T2I, "prompt": "x", "seed": -2}, "seed"),
        ({"model": T2I, "prompt": "x", "guidance_scale": 11}, "guidance_scale"),
        ({"model": T2I, "prompt": ""}, "prompt"),
        ({"model": T2I, "prompt": "x", "image": "https://example.com/a.png"}, "image"),
        ({"model": SEEDEDIT, "prompt": "x"}, "image"),
        ({"model": SEEDEDIT, "prompt": "x", "image": "https://e.com/a.png", "size": "1024x1024"}, "size"),
        ({"model": SEEDEDIT, "prompt": "x", "image": "data:image/png;base64,@@@"}, "image"),
        ({"model": SEEDREAM4, "prompt": "x", "size": "8K"}, "size"),
        ({"model": SEEDREAM4, "prompt": "x", "size": "100x100"}, "size"),
        ({"model": T2I, "prompt": "x", "response_format": "png"}, "response_format"),
    ],
)
def test_bad_inputs_are_refused_in_arks_shape_and_nothing_is_charged(
    make_gateway: Callable[..., Gateway], stack: ExitStack, body: dict[str, object], param: str
) -> None:
    fake, url = serve_ark(stack)
    gateway = start(make_gateway, [ark_channel("ark", url)])
    error = refused(client(stack, gateway).post(IMAGES, json=body), 400, "InvalidParameter")
    assert error["param"] == param and error["type"] == "BadRequest"
    assert not fake.requests and balances(gateway)["acme"] == BALANCE


def test_failover_to_a_second_channel_and_refund_when_every_channel_fails(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    first, first_url = serve_ark(stack, rate_limit_next=1)
    second, second_url = serve_ark(stack)
    channels = [ark_channel("a", first_url, priority=10), ark_channel("b", second_url, priority=0)]
    gateway = start(make_gateway, channels)
    api = client(stack, gateway)
    answer = ok(api.post(IMAGES, json={"model": T2I, "prompt": "a pear"}))  # a: 429, b draws
    assert len(answer["data"]) == 1 and second.images and not first.images
    assert httpx.get(answer["data"][0]["url"]).status_code == 200
    assert balances(gateway)["acme"] == BALANCE - PRICES[T2I]
    first.knobs.error_next = second.knobs.error_next = 5
    refused(api.post(IMAGES, json={"model": T2I, "prompt": "x"}), 502, "InternalServiceError")
    assert balances(gateway)["acme"] == BALANCE - PRICES[T2I]  # nothing drawn: refunded
    assert_ledger_balanced(gateway)


def test_upstream_refusals_keep_arks_code_and_unknown_models_are_404(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_ark(stack, moderate_prompts_containing=["forbidden"])
    gateway = start(make_gateway, [ark_channel("ark", url)])
    api = client(stack, gateway)
    error = refused(
        api.post(IMAGES, json={"model": T2I, "prompt": "forbidden thing"}), 400, "InputTextSensitiveContentDetected"
    )
    assert error["param"] == "prompt"
    refused(api.post(IMAGES, json={"model": "nope", "prompt": "x"}), 404, "InvalidEndpointOrModel.NotFound")
    refused(
        client(stack, gateway, "sk-wrong").post(IMAGES, json={"model": T2I, "prompt": "x"}), 401, "AuthenticationError"
    )
    assert balances(gateway)["acme"] == BALANCE
    assert_ledger_balanced(gateway)


def test_a_balance_too_low_for_the_hold_is_refused_before_the_upstream_is_called(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_ark(stack)
    accounts = [{"name": "acme", "balance": 10}, {"name": "other", "balance": BALANCE}]
    gateway = start(make_gateway, [ark_channel("ark", url)], accounts=accounts)
    refused(client(stack, gateway).post(IMAGES, json={"model": T2I, "prompt": "x"}), 403, "AccountOverdueError")
    assert not fake.requests and balances(gateway)["acme"] == 10
