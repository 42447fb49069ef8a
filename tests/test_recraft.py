"""Recraft's own API (spec §4.3) through the gateway with the official OpenAI SDK and plain forms, against the
fake Recraft upstream: billing, links (SVG too), inline images, errors."""

from __future__ import annotations

import base64
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
import openai
import pytest

from conftest import USER_KEY, Gateway, assert_ledger_balanced, sqlite_only
from image_vendor_support import BALANCE, balance, client, image_bytes, image_format, opened, start
from omnirelay.testing import FakeRecraft, FakeRecraftKnobs, serve_in_thread

UPSTREAM_KEY = "rc-upstream-token"
PRICES = {
    "recraftv3": 40_000,
    "recraftv3:vector": 80_000,
    "recraftv3:vectorize": 10_000,
    "recraftv3:removeBackground": 10_000,
    "recraftv2": 22_000,
}


def serve(stack: ExitStack, **knobs: Any) -> tuple[FakeRecraft, str]:
    fake = FakeRecraft(FakeRecraftKnobs(api_key=UPSTREAM_KEY, **knobs))
    return fake, stack.enter_context(serve_in_thread(fake.app))


def recraft_channel(name: str, url: str, **extra: Any) -> dict[str, Any]:
    models = ["recraftv3", "recraftv2"]
    return {"name": name, "type": "recraft", "base_url": url, "secrets": [UPSTREAM_KEY], "models": models, **extra}


def sdk(gateway: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gateway.url}/recraft/v1", api_key=USER_KEY, max_retries=0)


def api(stack: ExitStack, gateway: Gateway) -> httpx.Client:
    return client(stack, gateway, {"Authorization": f"Bearer {USER_KEY}"})


def part(name: str, kind: str = "PNG") -> tuple[str, tuple[str, bytes, str]]:
    return name, (f"{name}.{kind.lower()}", image_bytes(kind), f"image/{kind.lower()}")


def multipart(fields: dict[str, str], files: list[Any]) -> list[Any]:
    return [*((name, (None, value)) for name, value in fields.items()), *files]


def test_the_openai_sdk_generates_billed_per_image_with_links_that_open_without_a_key(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve(stack)
    gateway = start(make_gateway, [recraft_channel("rc", url, model_map={"recraftv2": "recraftv2_beta"})], PRICES)
    style = {"style": "digital_illustration", "substyle": "hand_drawn",
             "controls": {"colors": [{"rgb": [255, 0, 0]}], "artistic_level": 3}}  # fmt: skip
    images = sdk(gateway).images.generate(
        model="recraftv2",
        prompt="a red fox",
        n=2,
        size="1365x1024",
        extra_body=style,
    )
    data = images.data or []
    assert len(data) == 2 and images.created > 0
    assert all((d.url or "").startswith(f"{gateway.url}/v1/images/content/") for d in data)
    extra = images.model_dump()
    assert extra["credits"] == 2 * PRICES["recraftv2"] and extra["data"][0]["image_id"]
    assert url not in str(extra)
    picture = opened(data[0].url or "")
    assert picture.headers["content-type"] == "image/webp" and image_format(picture.content) == "WEBP"
    assert balance(gateway) == BALANCE - 2 * PRICES["recraftv2"]
    assert_ledger_balanced(gateway)
    sent = fake.requests[0]
    assert sent.headers["authorization"] == f"Bearer {UPSTREAM_KEY}"
    assert sent.json["model"] == "recraftv2_beta" and sent.json["substyle"] == "hand_drawn"

    inline = sdk(gateway).images.generate(model="recraftv3", prompt="an icon", response_format="b64_json")
    first = (inline.data or [])[0]
    assert image_format(base64.b64decode(first.b64_json or "")) == "WEBP" and first.url is None
    vector = sdk(gateway).images.generate(prompt="a logo", model="recraftv3", extra_body={"style": "icon"})
    svg = opened((vector.data or [])[0].url or "")
    assert svg.headers["content-type"].startswith("image/svg+xml") and svg.content.startswith(b"<svg")
    assert "sandbox" in svg.headers["content-security-policy"]
    assert balance(gateway) == BALANCE - 2 * PRICES["recraftv2"] - PRICES["recraftv3"] - PRICES["recraftv3:vector"]
    assert_ledger_balanced(gateway)


CASES: list[tuple[str, dict[str, str], list[Any], str, int]] = [
    ("imageToImage", {"prompt": "winter", "strength": "0.4", "n": "2", "model": "recraftv2"}, [part("image")],
     "PNG", 2 * PRICES["recraftv2"]),
    ("inpaint", {"prompt": "a hat"}, [part("image"), part("mask")], "PNG", PRICES["recraftv3"]),
    ("replaceBackground", {"prompt": "a beach", "style": "realistic_image"}, [part("image", "JPEG")], "JPEG",
     PRICES["recraftv3"]),
    ("generateBackground", {"prompt": "a wall"}, [part("image"), part("mask")], "PNG", PRICES["recraftv3"]),
    ("eraseRegion", {}, [part("image"), part("mask")], "PNG", PRICES["recraftv3"]),
    ("removeBackground", {}, [part("file", "WEBP")], "PNG", PRICES["recraftv3:removeBackground"]),
    ("crispUpscale", {}, [part("image")], "WEBP", PRICES["recraftv3"]),
    ("creativeUpscale", {}, [part("file")], "JPEG", PRICES["recraftv3"]),
]  # fmt: skip


def test_every_form_operation_is_relayed_billed_and_kept(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve(stack)
    gateway = start(make_gateway, [recraft_channel("rc", url)], PRICES)
    http = api(stack, gateway)
    expected = BALANCE
    for operation, fields, files, kind, cost in CASES:
        answer = http.post(f"/recraft/v1/images/{operation}", files=multipart(fields, files))
        assert answer.status_code == 200, (operation, answer.text)
        body = answer.json()
        items = body["data"] if "data" in body else [body["image"]]
        assert set(body) == {"created", "credits", "data" if "data" in body else "image"}, body
        assert all(set(i) == {"image_id", "url"} for i in items) and url not in answer.text
        assert image_format(opened(items[-1]["url"]).content) == kind, operation
        expected -= cost
        assert balance(gateway) == expected and body["credits"] == cost, operation
    vectorized = http.post("/recraft/v1/images/vectorize", files=[part("file")]).json()
    svg = opened(vectorized["image"]["url"])
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<circle" in svg.content
    inline = http.post("/recraft/v1/images/removeBackground", files=multipart({"response_format": "b64_json"},
                                                                                [part("image")])).json()  # fmt: skip
    assert image_format(base64.b64decode(inline["image"]["b64_json"])) == "PNG"
    assert balance(gateway) == expected - PRICES["recraftv3:vectorize"] - PRICES["recraftv3:removeBackground"]
    assert_ledger_balanced(gateway)
    forms = {r.path: r.json for r in fake.requests}
    assert forms["/v1/images/imageToImage"]["fields"]["model"] == "recraftv2"
    assert forms["/v1/images/removeBackground"]["files"]["image"][0] == "image/png"


@pytest.mark.parametrize(
    ("knobs", "status", "code"),
    [
        ({"error_next": 1}, 502, "upstream_500"),
        ({"unsafe_prompts_containing": ["forbidden"]}, 422, "content_moderation"),
        ({"broken_links": True}, 502, "bad_gateway"),
    ],
)
def test_an_upstream_failure_is_refunded_and_answered_in_recrafts_shape(
    make_gateway: Callable[..., Gateway], stack: ExitStack, knobs: dict[str, Any], status: int, code: str
) -> None:
    fake, url = serve(stack, **knobs)
    gateway = start(make_gateway, [recraft_channel("rc", url)], PRICES)
    with pytest.raises(openai.APIStatusError) as raised:
        sdk(gateway).images.generate(model="recraftv3", prompt="a forbidden door")
    assert raised.value.status_code == status
    body = raised.value.response.json()
    assert set(body) == {"code", "message"} and body["code"] == code and body["message"], body
    assert url not in raised.value.response.text
    assert balance(gateway) == BALANCE
    assert_ledger_balanced(gateway)


def test_a_failing_channel_fails_over_to_the_next_and_the_call_is_billed_once(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    first, first_url = serve(stack, error_next=5)
    second, second_url = serve(stack)
    channels = [recraft_channel("a", first_url, priority=10), recraft_channel("b", second_url, priority=0)]
    gateway = start(make_gateway, channels, PRICES)
    images = sdk(gateway).images.generate(model="recraftv3", prompt="fail over")
    opened((images.data or [])[0].url or "")
    assert len(first.requests) == 1 and len(second.requests) == 1
    assert balance(gateway) == BALANCE - PRICES["recraftv3"]
    assert_ledger_balanced(gateway)


BAD: list[tuple[str, dict[str, Any] | None, dict[str, str], list[Any], str]] = [
    ("generations", {"prompt": "x", "style": "any", "style_id": "9b1b8a2e-0000-4000-8000-000000000000"}, {}, [],
     "style_id"),
    ("generations", {"prompt": "x", "n": 7}, {}, [], "n"),
    ("generations", {"prompt": "x", "size": "1000x1000"}, {}, [], "size"),
    ("generations", {"prompt": "x", "style": "oil_painting"}, {}, [], "style"),
    ("generations", {"prompt": "x", "substyle": "hand_drawn"}, {}, [], "substyle"),
    ("generations", {"prompt": "x", "model": "dall-e-3"}, {}, [], "model"),
    ("generations", {"prompt": "x", "response_format": "png"}, {}, [], "response_format"),
    ("generations", {"prompt": "x", "controls": {"artistic_level": 9}}, {}, [], "controls.artistic_level"),
    ("generations", {"prompt": "x", "text_layout": [{"text": "hi"}]}, {}, [], "text_layout"),
    ("generations", {"n": 1}, {}, [], "prompt"),
    ("imageToImage", None, {"prompt": "x"}, [part("image")], "strength"),
    ("imageToImage", None, {"prompt": "x", "strength": "2"}, [part("image")], "strength"),
    ("inpaint", None, {"prompt": "x"}, [part("image")], "mask"),
    ("vectorize", None, {}, [("file", ("a.png", b"plain text", "image/png"))], "file"),
    ("vectorize", None, {}, [part("file"), part("mask")], "mask"),
    ("crispUpscale", None, {}, [("image", ("a.png", b"\x89PNG" + bytes(5 * 1024 * 1024), "image/png"))], "image"),
]  # fmt: skip


@sqlite_only
def test_bad_requests_are_refused_at_the_edge_with_nothing_held_or_sent(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve(stack)
    gateway = start(make_gateway, [recraft_channel("rc", url)], PRICES)
    http = api(stack, gateway)
    for operation, body, fields, files, param in BAD:
        path = f"/recraft/v1/images/{operation}"
        answer = http.post(path, json=body) if body is not None else http.post(path, files=multipart(fields, files))
        assert answer.status_code == 400, (operation, param, answer.text)
        assert set(answer.json()) == {"code", "message"} and param in answer.json()["message"], answer.text
    with pytest.raises(openai.BadRequestError):
        sdk(gateway).images.generate(model="recraftv3", prompt="x", n=9)
    assert not fake.requests
    assert balance(gateway) == BALANCE
    assert gateway.logs() == []


@sqlite_only
def test_openais_own_images_path_is_not_taken_over(make_gateway: Callable[..., Gateway], stack: ExitStack) -> None:
    fake, url = serve(stack)
    gateway = start(make_gateway, [recraft_channel("rc", url)], PRICES)
    answer = api(stack, gateway).post("/v1/images/generations", json={"model": "recraftv3", "prompt": "x"})
    assert answer.status_code == 400 and "error" in answer.json(), answer.text  # OpenAI's relay and shape
    refused = httpx.post(f"{gateway.url}/recraft/v1/images/generations", json={"prompt": "x"})
    assert refused.status_code == 401 and set(refused.json()) == {"code", "message"}
    assert not fake.requests
