"""Ideogram's own API (spec §4.2) through the gateway, against the fake Ideogram upstream: billing, links, errors."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
import orjson
import pytest

from conftest import USER_KEY, Gateway, assert_ledger_balanced, sqlite_only
from image_vendor_support import BALANCE, balance, client, image_bytes, image_format, opened, start
from omnirelay.testing import FakeIdeogram, FakeIdeogramKnobs, serve_in_thread

UPSTREAM_KEY = "ideo-upstream-key"
PRICES = {
    "V_2": 80_000,
    "V_2:generate": 30_000,
    "V_2:describe": 5_000,
    "V_2_TURBO": 20_000,
    "V_3": 60_000,
    "V_3:TURBO": 25_000,
    "V_3:reframe:QUALITY": 90_000,
}
ENTRY_KEYS = {"prompt", "resolution", "is_image_safe", "seed", "style_type", "url"}


def serve(stack: ExitStack, **knobs: Any) -> tuple[FakeIdeogram, str]:
    fake = FakeIdeogram(FakeIdeogramKnobs(api_key=UPSTREAM_KEY, **knobs))
    return fake, stack.enter_context(serve_in_thread(fake.app))


def ideogram_channel(name: str, url: str, **extra: Any) -> dict[str, Any]:
    models = ["V_2", "V_2_TURBO", "V_3"]
    return {"name": name, "type": "ideogram", "base_url": url, "secrets": [UPSTREAM_KEY], "models": models, **extra}


def api(stack: ExitStack, gateway: Gateway) -> httpx.Client:
    return client(stack, gateway, {"Api-Key": USER_KEY})


def png(name: str = "image_file", kind: str = "PNG") -> tuple[str, tuple[str, bytes, str]]:
    return name, (f"{name}.{kind.lower()}", image_bytes(kind), f"image/{kind.lower()}")


def multipart(fields: dict[str, str], files: list[Any]) -> list[Any]:
    """A multipart body even without files (a part with no file name is a plain field)."""
    return [*((name, (None, value)) for name, value in fields.items()), *files]


def drawn(response: httpx.Response, gateway: Gateway, upstream: str, count: int) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"created", "data"} and body["created"].endswith("+00:00"), body
    assert len(body["data"]) == count and all(set(e) == ENTRY_KEYS for e in body["data"]), body
    assert upstream not in response.text
    assert all(e["url"].startswith(f"{gateway.url}/v1/images/content/") for e in body["data"])
    return list(body["data"])


def test_generate_bills_each_image_once_and_answers_gateway_links_that_open_without_a_key(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve(stack)
    gateway = start(make_gateway, [ideogram_channel("ideo", url, model_map={"V_2": "V_2_TURBO"})], PRICES)
    body = {"image_request": {"prompt": "a lighthouse", "aspect_ratio": "ASPECT_16_9", "num_images": 2,
                              "style_type": "DESIGN", "seed": 7, "color_palette": {"name": "EMBER"}}}  # fmt: skip
    entries = drawn(api(stack, gateway).post("/generate", json=body), gateway, url, 2)
    assert entries[0]["prompt"] == "a lighthouse" and entries[0]["seed"] == 7 and entries[0]["style_type"] == "DESIGN"
    picture = opened(entries[1]["url"])
    assert picture.headers["content-type"] == "image/png" and image_format(picture.content) == "PNG"
    assert "sandbox" in picture.headers["content-security-policy"]
    assert balance(gateway) == BALANCE - 2 * PRICES["V_2:generate"]
    assert_ledger_balanced(gateway)
    sent = fake.requests[0]
    assert sent.headers["api-key"] == UPSTREAM_KEY and USER_KEY not in str(sent.headers)
    assert sent.json["image_request"]["model"] == "V_2_TURBO"  # the channel's name for V_2
    assert httpx.get(entries[0]["url"].split("?")[0] + "?sig=0000").status_code == 404


CASES: list[tuple[str, dict[str, str], list[tuple[str, tuple[str, bytes, str]]], int, str, int]] = [
    ("/edit", {"prompt": "a red door", "model": "V_2_TURBO", "num_images": "2"}, [png(), png("mask")], 2, "PNG",
     2 * PRICES["V_2_TURBO"]),
    ("/remix", {"image_request": orjson.dumps({"prompt": "in winter", "image_weight": 40}).decode()}, [png()], 1,
     "JPEG", PRICES["V_2"]),
    ("/upscale", {"image_request": '{"resemblance": 60, "detail": 90}'}, [png(kind="JPEG")], 1, "WEBP",
     PRICES["V_2"]),
    ("/v1/ideogram-v3/generate", {"prompt": "a cat", "rendering_speed": "TURBO", "aspect_ratio": "3x2",
     "num_images": "3"}, [], 3, "PNG", 3 * PRICES["V_3:TURBO"]),
    ("/v1/ideogram-v3/edit", {"prompt": "a hat"}, [png("image"), png("mask")], 1, "PNG", PRICES["V_3"]),
    ("/v1/ideogram-v3/remix", {"prompt": "at night", "image_weight": "70"},
     [png("image", "WEBP"), png("style_reference_images")], 1, "JPEG", PRICES["V_3"]),
    ("/ideogram/v1/ideogram-v3/reframe", {"resolution": "1536x640", "rendering_speed": "QUALITY"}, [png("image")],
     1, "WEBP", PRICES["V_3:reframe:QUALITY"]),
    ("/v1/ideogram-v3/replace-background", {"prompt": "a beach"}, [png("image")], 1, "PNG", PRICES["V_3"]),
]  # fmt: skip


def test_every_form_operation_is_relayed_billed_and_kept(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve(stack)
    gateway = start(make_gateway, [ideogram_channel("ideo", url)], PRICES)
    http = api(stack, gateway)
    expected = BALANCE
    for path, fields, files, count, kind, cost in CASES:
        entries = drawn(http.post(path, files=multipart(fields, files)), gateway, url, count)
        assert image_format(opened(entries[-1]["url"]).content) == kind, path
        expected -= cost
        assert balance(gateway) == expected, path
    described = http.post("/ideogram/describe", files=multipart({"describe_model_version": "V_2"}, [png(kind="JPEG")]))
    assert described.status_code == 200 and described.json() == {
        "descriptions": [{"text": "A 64x64 JPEG picture of a coloured disc on a plain ground."}]
    }
    assert balance(gateway) == expected - PRICES["V_2:describe"]
    assert_ledger_balanced(gateway)
    forms = {r.path: r.json for r in fake.requests}
    assert forms["/edit"]["fields"]["model"] == "V_2_TURBO" and forms["/edit"]["files"]["mask"][0] == "image/png"
    assert forms["/v1/ideogram-v3/remix"]["files"]["image"][0] == "image/webp"


@pytest.mark.parametrize(
    ("knobs", "status", "code"),
    [
        ({"error_next": 1}, 502, "upstream_500"),
        ({"unsafe_prompts_containing": ["forbidden"]}, 422, "safety_check_failed"),
        ({"broken_links": True}, 502, "bad_gateway"),
    ],
)
def test_an_upstream_failure_is_refunded_and_answered_in_ideograms_shape(
    make_gateway: Callable[..., Gateway], stack: ExitStack, knobs: dict[str, Any], status: int, code: str
) -> None:
    fake, url = serve(stack, **knobs)
    gateway = start(make_gateway, [ideogram_channel("ideo", url)], PRICES)
    answer = api(stack, gateway).post("/generate", json={"image_request": {"prompt": "a forbidden door"}})
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"error", "detail"} and body["detail"]["code"] == code and body["error"], body
    assert url not in answer.text
    assert balance(gateway) == BALANCE
    assert_ledger_balanced(gateway)


def test_a_failing_channel_fails_over_to_the_next_and_the_call_is_billed_once(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    first, first_url = serve(stack, rate_limit_next=5)
    second, second_url = serve(stack)
    channels = [ideogram_channel("a", first_url, priority=10), ideogram_channel("b", second_url, priority=0)]
    gateway = start(make_gateway, channels, PRICES)
    answer = api(stack, gateway).post("/generate", json={"image_request": {"prompt": "fail over", "model": "V_3"}})
    assert answer.status_code == 400, answer.text  # V_3 is the V3 API's: the legacy /generate refuses it
    entries = drawn(
        api(stack, gateway).post("/generate", json={"image_request": {"prompt": "fail over"}}), gateway, second_url, 1
    )
    opened(entries[0]["url"])
    assert len(first.requests) == 1 and len(second.requests) == 1
    assert balance(gateway) == BALANCE - PRICES["V_2:generate"]
    assert_ledger_balanced(gateway)


def test_an_unsafe_image_the_upstream_withheld_is_kept_without_a_link_and_not_billed(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve(stack, withheld_prompts_containing=["risky"])
    gateway = start(make_gateway, [ideogram_channel("ideo", url)], PRICES)
    body = {"image_request": {"prompt": "a risky stunt", "num_images": 2}}
    answer = api(stack, gateway).post("/generate", json=body)
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert [("url" in e, e["is_image_safe"]) for e in data] == [(True, True), (True, True), (False, False)]
    assert balance(gateway) == BALANCE - 2 * PRICES["V_2:generate"]


BAD: list[tuple[str, dict[str, Any] | None, dict[str, str], list[Any], str]] = [
    ("/generate", {"prompt": "no wrapper"}, {}, [], "image_request"),
    ("/generate", {"image_request": {"prompt": "x", "aspect_ratio": "16:9"}}, {}, [], "aspect_ratio"),
    ("/generate", {"image_request": {"prompt": "x", "num_images": 9}}, {}, [], "num_images"),
    ("/generate", {"image_request": {"prompt": "x", "model": "V_9"}}, {}, [], "model"),
    ("/generate", {"image_request": {"prompt": "x", "style_type": "OIL"}}, {}, [], "style_type"),
    ("/generate", {"image_request": {"prompt": "x", "magic_prompt_option": "YES"}}, {}, [], "magic_prompt_option"),
    ("/generate", {"image_request": {"prompt": "x", "resolution": "RESOLUTION_9000_10"}}, {}, [], "resolution"),
    ("/generate", {"image_request": {"prompt": "x", "resolution": "RESOLUTION_1024_1024",
                                     "aspect_ratio": "ASPECT_1_1"}}, {}, [], "resolution"),
    ("/generate", {"image_request": {"prompt": "x", "color_palette": {"members": [{"color_hex": "red"}]}}}, {}, [],
     "color_palette"),
    ("/generate", {"image_request": {"num_images": 1}}, {}, [], "prompt"),
    ("/edit", None, {"prompt": "x", "model": "V_2"}, [png()], "mask"),
    ("/edit", None, {"prompt": "x", "model": "V_1"}, [png(), png("mask")], "model"),
    ("/remix", None, {"image_request": '{"prompt": "x", "image_weight": 101}'}, [png()], "image_weight"),
    ("/remix", None, {"image_request": "not json"}, [png()], "image_request"),
    ("/upscale", None, {"image_request": '{"detail": 0}'}, [png()], "detail"),
    ("/describe", None, {}, [("image_file", ("a.png", b"not an image at all", "image/png"))], "image_file"),
    ("/describe", None, {"describe_model_version": "V_1"}, [png()], "describe_model_version"),
    ("/v1/ideogram-v3/generate", None, {"prompt": "x", "rendering_speed": "FAST"}, [], "rendering_speed"),
    ("/v1/ideogram-v3/generate", None, {"prompt": "x", "aspect_ratio": "ASPECT_1_1"}, [], "aspect_ratio"),
    ("/v1/ideogram-v3/generate", None, {"prompt": "x"}, [png("image_file")], "image_file"),
    ("/v1/ideogram-v3/reframe", None, {}, [png("image")], "resolution"),
    ("/v1/ideogram-v3/edit", None, {"prompt": "x"}, [("image", ("a.png", b"GIF89a", "image/gif")), png("mask")],
     "image"),
    ("/v1/ideogram-v3/remix", None, {"prompt": "x"},
     [("image", ("big.png", b"\x89PNG" + bytes(10 * 1024 * 1024), "image/png"))], "image"),
]  # fmt: skip


@sqlite_only
def test_bad_requests_are_refused_at_the_edge_with_nothing_held_or_sent(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve(stack)
    gateway = start(make_gateway, [ideogram_channel("ideo", url)], PRICES)
    http = api(stack, gateway)
    for path, body, fields, files, param in BAD:
        answer = http.post(path, json=body) if body is not None else http.post(path, files=multipart(fields, files))
        assert answer.status_code == 400, (path, param, answer.text)
        assert answer.json()["detail"]["param"] == param and answer.json()["error"], (path, answer.text)
    assert not fake.requests
    assert balance(gateway) == BALANCE
    assert gateway.logs() == []


@sqlite_only
def test_the_key_is_taken_as_api_key_or_bearer_and_refused_in_ideograms_shape(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve(stack)
    gateway = start(make_gateway, [ideogram_channel("ideo", url)], PRICES)
    body = {"image_request": {"prompt": "a key"}}
    bearer = client(stack, gateway, {"Authorization": f"Bearer {USER_KEY}"})
    drawn(bearer.post("/ideogram/generate", json=body), gateway, url, 1)
    refused = httpx.post(f"{gateway.url}/generate", json=body, headers={"Api-Key": "sk-nope"})
    assert refused.status_code == 401 and set(refused.json()) == {"error", "detail"}
    assert len(fake.requests) == 1
