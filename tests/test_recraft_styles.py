"""Recraft's custom styles (``POST /styles``) and ``GET /users/me`` through the gateway, against the fake Recraft."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
import openai
import pytest

from conftest import USER_KEY, Gateway, assert_ledger_balanced, sqlite_only
from image_vendor_support import BALANCE, balance, client, image_bytes, opened, start
from omnirelay.families.recraft.upstream import StyleCall
from omnirelay.providers.base import ImageUpload
from omnirelay.providers.recraft.transforms import read_style, style_request
from omnirelay.testing import FakeRecraft, FakeRecraftKnobs, serve_in_thread

UPSTREAM_KEY = "rc-upstream-token"
PRICES = {"recraftv3": 40_000, "recraftv3:styles": 5_000}
STYLES = "/recraft/v1/styles"


def serve(stack: ExitStack, **knobs: Any) -> tuple[FakeRecraft, str]:
    fake = FakeRecraft(FakeRecraftKnobs(api_key=UPSTREAM_KEY, **knobs))
    return fake, stack.enter_context(serve_in_thread(fake.app))


def channel(url: str) -> dict[str, Any]:
    return {"name": "rc", "type": "recraft", "base_url": f"{url}/v1", "secrets": [UPSTREAM_KEY],
            "models": ["recraftv3"]}  # fmt: skip


def api(stack: ExitStack, gateway: Gateway, key: str = USER_KEY) -> httpx.Client:
    return client(stack, gateway, {"Authorization": f"Bearer {key}"})


def png(name: str) -> tuple[str, tuple[str, bytes, str]]:
    return name, (f"{name}.png", image_bytes("PNG"), "image/png")


def test_a_custom_style_is_created_upstream_billed_per_call_and_usable_in_a_generation(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve(stack)
    gateway = start(make_gateway, [channel(url)], PRICES)
    http = api(stack, gateway)
    answer = http.post(STYLES, data={"style": "digital_illustration"}, files=[png("file1"), png("file2")])
    assert answer.status_code == 200, answer.text
    style_id = answer.json()["id"]
    assert set(answer.json()) == {"id"} and style_id in fake.styles  # the upstream's own id
    sent = [r for r in fake.requests if r.path == "/v1/styles"][0]
    assert sent.json["fields"] == {"style": "digital_illustration"} and set(sent.json["files"]) == {"file1", "file2"}
    assert sent.headers["authorization"] == f"Bearer {UPSTREAM_KEY}"
    assert balance(gateway) == BALANCE - PRICES["recraftv3:styles"]

    sdk = openai.OpenAI(base_url=f"{gateway.url}/recraft/v1", api_key=USER_KEY, max_retries=0)
    images = sdk.images.generate(model="recraftv3", prompt="a fox", extra_body={"style_id": style_id})
    opened((images.data or [])[0].url or "")
    assert [r.json for r in fake.requests if r.path == "/v1/images/generations"][0]["style_id"] == style_id
    assert balance(gateway) == BALANCE - PRICES["recraftv3:styles"] - PRICES["recraftv3"]

    unknown = sdk.images.generate  # a style of another Recraft account: the upstream's refusal, nothing charged
    with pytest.raises(openai.BadRequestError, match="style_id"):
        unknown(model="recraftv3", prompt="a fox", extra_body={"style_id": "9b1b8a2e-0000-4000-8000-000000000000"})
    assert balance(gateway) == BALANCE - PRICES["recraftv3:styles"] - PRICES["recraftv3"]
    assert_ledger_balanced(gateway)


BAD: list[tuple[dict[str, str], list[Any], str]] = [
    ({}, [png("file")], "style"),
    ({"style": "any"}, [png("file")], "style"),
    ({"style": "icon"}, [], "file"),
    ({"style": "icon", "prompt": "x"}, [png("file")], "prompt"),
    ({"style": "icon"}, [("file", ("a.png", b"not an image", "image/png"))], "file"),
    ({"style": "icon"}, [png(f"file{i}") for i in range(6)], "file"),
]


@sqlite_only
def test_bad_style_forms_are_refused_with_nothing_sent_or_held(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve(stack)
    gateway = start(make_gateway, [channel(url)], PRICES)
    http = api(stack, gateway)
    for fields, files, param in BAD:
        answer = http.post(STYLES, files=[*((name, (None, value)) for name, value in fields.items()), *files])
        assert answer.status_code == 400, (fields, answer.text)
        assert set(answer.json()) == {"code", "message"} and param in answer.json()["message"], answer.text
    assert httpx.post(f"{gateway.url}{STYLES}", data={"style": "icon"}, files=[png("file")]).status_code == 401
    assert not fake.requests
    assert balance(gateway) == BALANCE


def test_users_me_answers_the_keys_account_and_what_it_can_spend(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve(stack)
    capped = "sk-capped-00000000000000000000000000000000000000000000000"
    keys = [{"account": "acme", "name": "main", "key": USER_KEY},
            {"account": "acme", "name": "capped", "key": capped, "spend_cap": 100_000}]  # fmt: skip
    gateway = start(make_gateway, [channel(url)], PRICES, keys=keys)
    me = api(stack, gateway).get("/recraft/v1/users/me")
    assert me.status_code == 200, me.text
    assert me.json() == {"id": "1", "name": "acme", "email": None, "credits": BALANCE}
    sdk = openai.OpenAI(base_url=f"{gateway.url}/recraft/v1", api_key=USER_KEY, max_retries=0)
    sdk.images.generate(model="recraftv3", prompt="a fox")
    assert api(stack, gateway).get("/recraft/v1/users/me").json()["credits"] == BALANCE - PRICES["recraftv3"]
    assert api(stack, gateway, capped).get("/recraft/v1/users/me").json()["credits"] == 100_000
    refused = httpx.get(f"{gateway.url}/recraft/v1/users/me", headers={"Authorization": "Bearer sk-nope"})
    assert refused.status_code == 401 and set(refused.json()) == {"code", "message"}
    assert not [r for r in fake.requests if r.path == "/v1/users/me"]  # answered here, never upstream


def test_the_style_wire_is_a_form_with_the_base_style_and_an_answer_with_the_id() -> None:
    upload = ImageUpload("file1", "a.png", "image/png", image_bytes("PNG"))
    request = style_request(StyleCall("icon", (upload,)))
    assert (request.path, request.json, request.fields, request.files) == ("/styles", None, (("style", "icon"),),
                                                                            (upload,))  # fmt: skip
    assert read_style({"id": "229b2a75-05e4-4580-85f9-b47ee521a00d"}) == "229b2a75-05e4-4580-85f9-b47ee521a00d"
    assert read_style({"id": ""}) is None and read_style({"style": "x"}) is None and read_style([]) is None
