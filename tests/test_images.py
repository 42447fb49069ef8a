"""``/v1/images/*`` through the official SDK: links and inline images, edits, variations, per-image
prices, the local provider's refusal, and image models answering in the chat format."""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import openai
import pytest
from PIL import Image

from conftest import USER_KEY, Gateway, Upstream, assert_ledger_balanced, channel, funded, per_token, sqlite_only
from omnirelay.providers.base import Usage
from omnirelay.providers.openai_compat.images_transform import form_fields, read_images_answer, sniff_image_type

MODELS = ["dall-e-2", "dall-e-3", "gpt-image-1"]
PRICES = [
    {"model": "dall-e-2", "mode": "per_call", "per_call": 20_000},
    {"model": "dall-e-2:256x256", "mode": "per_call", "per_call": 16_000},
    {"model": "dall-e-3", "mode": "per_call", "per_call": 40_000},
    {"model": "dall-e-3:1792x1024", "mode": "per_call", "per_call": 80_000},
    {"model": "dall-e-3:1792x1024:hd", "mode": "per_call", "per_call": 120_000},
    {"model": "gpt-image-1", "mode": "per_token", "input_per_million": 5_000_000, "output_per_million": 40_000_000},
]
FIXTURES = Path(__file__).parent / "fixtures" / "openai_compat"


@pytest.fixture
def setup(make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]) -> tuple[Gateway, Upstream]:
    upstream = make_upstream()
    gateway = make_gateway(
        **funded(),
        channels=[channel("img", upstream, models=[*MODELS, "gpt-test"])],
        prices=[*PRICES, per_token()],
        images={"chat_models": ["dall-e-3"]},
        outbound={"allow_networks": ["127.0.0.1/32"]},  # the fake upstream's image links are on loopback
    )
    return gateway, upstream


def client(gateway: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)


def picture(size: tuple[int, int] = (64, 64), colour: tuple[int, int, int, int] = (10, 200, 30, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, colour).save(out, format="PNG")
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(data))


def last_cost(gateway: Gateway) -> tuple[str, int]:
    log = gateway.logs()[0]
    return log["endpoint"], log["cost"]


def test_url_answers_are_gateway_links_that_open_without_a_key(setup: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = setup
    answer = client(gateway).images.generate(model="dall-e-2", prompt="a red fox", size="256x256", n=2)
    data = answer.data or []
    assert len(data) == 2
    for item in data:
        assert item.url and item.url.startswith(gateway.url + "/v1/images/content/")
        assert upstream.url not in item.url
        fetched = httpx.get(item.url)  # no key
        assert fetched.headers["content-type"] == "image/png"
        assert fetched.headers["x-content-type-options"] == "nosniff"
        assert fetched.headers["content-security-policy"] == "default-src 'none'; sandbox"
        assert opened(fetched.content).size == (256, 256)
    assert last_cost(gateway) == ("images.generations", 2 * 16_000)

    url = data[0].url
    assert url is not None
    assert httpx.get(url[:-4] + "0000").status_code == 404, "a forged signature opens nothing"
    kept = client(gateway).files.list(purpose="image").data
    assert len(kept) == 2
    client(gateway).files.delete(url.split("/")[-1].split("?")[0])
    assert httpx.get(url).status_code == 404, "deleting the file ends its link"


def test_b64_json_answers_are_inline_and_keep_nothing(setup: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = setup
    answer = client(gateway).images.generate(
        model="dall-e-2", prompt="blue sea", size="256x256", response_format="b64_json"
    )
    assert answer.data and answer.data[0].b64_json and answer.data[0].url is None
    assert opened(base64.b64decode(answer.data[0].b64_json)).size == (256, 256)
    assert upstream.fake.requests[-1].json["response_format"] == "b64_json"
    assert client(gateway).files.list(purpose="image").data == []


def test_inline_upstream_answers_become_links_when_asked(setup: tuple[Gateway, Upstream]) -> None:
    gateway, _ = setup
    answer = client(gateway).images.generate(model="gpt-image-1", prompt="one two three", size="1024x1024")
    assert answer.data and answer.data[0].b64_json, "gpt-image answers inline by default"
    assert answer.usage and (answer.usage.input_tokens, answer.usage.output_tokens) == (3, 100)
    assert last_cost(gateway) == ("images.generations", 3 * 5 + 100 * 40)  # per token
    linked = client(gateway).images.generate(model="gpt-image-1", prompt="a cat", response_format="url")
    assert linked.data and linked.data[0].url
    assert opened(httpx.get(linked.data[0].url).content).size == (1024, 1024)


def test_prices_by_model_size_and_quality_times_n(setup: tuple[Gateway, Upstream]) -> None:
    gateway, _ = setup
    images = client(gateway).images
    images.generate(model="dall-e-2", prompt="x", size="512x512", n=3, response_format="b64_json")
    assert last_cost(gateway) == ("images.generations", 3 * 20_000)  # no "dall-e-2:512x512": the model's price
    images.generate(model="dall-e-3", prompt="x", size="1792x1024", quality="hd", response_format="b64_json")
    assert last_cost(gateway)[1] == 120_000
    images.generate(model="dall-e-3", prompt="x", size="1792x1024", quality="standard", response_format="b64_json")
    assert last_cost(gateway)[1] == 80_000
    images.generate(model="dall-e-3", prompt="x", size="256x256", response_format="b64_json")
    assert last_cost(gateway)[1] == 40_000
    assert_ledger_balanced(gateway)


def test_n_images_are_reserved_before_the_call(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream()
    gateway = make_gateway(**funded(balance=50_000), channels=[channel("img", upstream, models=MODELS)], prices=PRICES)
    images = client(gateway).images
    with pytest.raises(openai.APIStatusError) as caught:  # 4 x 16,000 cannot be held
        images.generate(model="dall-e-2", prompt="x", size="256x256", n=4, response_format="b64_json")
    assert caught.value.status_code == 402
    assert not [r for r in upstream.fake.requests if r.path.startswith("/v1/images")]
    images.generate(model="dall-e-2", prompt="x", size="256x256", n=3, response_format="b64_json")
    assert last_cost(gateway)[1] == 48_000
    assert_ledger_balanced(gateway)


def test_a_failed_call_is_refunded(setup: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = setup
    upstream.knobs.status = 500
    with pytest.raises(openai.APIStatusError) as caught:
        client(gateway).images.generate(model="dall-e-2", prompt="x", n=4)
    assert caught.value.status_code == 502
    assert last_cost(gateway) == ("images.generations", 0)
    upstream.knobs.status = None
    with pytest.raises(openai.BadRequestError):  # the upstream's own 400 is relayed
        client(gateway).images.generate(model="dall-e-3", prompt="x", n=2)
    assert_ledger_balanced(gateway)


def test_an_upstreams_image_link_to_a_private_address_is_not_fetched(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream()  # its links point at itself, on loopback, which nothing allow-lists here
    gateway = make_gateway(**funded(), channels=[channel("img", upstream, models=MODELS)], prices=PRICES)
    with pytest.raises(openai.APIStatusError) as caught:
        client(gateway).images.generate(model="dall-e-2", prompt="a red fox", size="256x256")
    assert caught.value.status_code == 502 and "non-public address" in caught.value.message
    assert last_cost(gateway) == ("images.generations", 0)
    assert_ledger_balanced(gateway)


def test_edits_send_every_image_and_the_mask(setup: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = setup
    mask = Image.new("RGBA", (64, 64), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, 64, 32))  # the top half is to be painted
    mask_png = io.BytesIO()
    mask.save(mask_png, format="PNG")
    answer = client(gateway).images.edit(
        model="dall-e-2",
        image=[("a.png", picture(), "image/png"), ("b.png", picture(colour=(0, 0, 0, 255)), "image/png")],
        mask=("mask.png", mask_png.getvalue(), "image/png"),
        prompt="paint the sky",
        response_format="b64_json",
    )
    assert answer.data and answer.data[0].b64_json
    edited = opened(base64.b64decode(answer.data[0].b64_json)).convert("RGBA")
    assert edited.getpixel((10, 50)) == (10, 200, 30, 255), "outside the mask: untouched"
    assert edited.getpixel((10, 5)) != (10, 200, 30, 255), "inside the mask: painted"
    sent = upstream.fake.requests[-1].json
    assert [(f["field"], f["filename"]) for f in sent["files"]] == [
        ("image[]", "a.png"),
        ("image[]", "b.png"),
        ("mask", "mask.png"),
    ]
    assert (sent["prompt"], sent["model"]) == ("paint the sky", "dall-e-2")
    assert last_cost(gateway) == ("images.edits", 20_000)


@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")  # the SDK marks variations deprecated
def test_variations_answer_links(setup: tuple[Gateway, Upstream]) -> None:
    gateway, _ = setup
    answer = client(gateway).images.create_variation(
        image=("a.png", picture(), "image/png"), model="dall-e-2", n=2, size="256x256"
    )
    data = answer.data or []
    assert len(data) == 2
    for item in data:
        assert item.url is not None
        assert opened(httpx.get(item.url).content).size == (256, 256)
    assert last_cost(gateway) == ("images.variations", 2 * 16_000)


@sqlite_only
@pytest.mark.parametrize(
    ("path", "kwargs", "param"),
    [
        ("generations", {"json": {"model": "dall-e-2"}}, "prompt"),
        ("generations", {"json": {"prompt": "x"}}, "model"),
        ("generations", {"json": {"model": "dall-e-2", "prompt": "x", "n": 11}}, "n"),
        ("generations", {"json": {"model": "dall-e-2", "prompt": "x", "response_format": "gif"}}, "response_format"),
        ("generations", {"json": {"model": "dall-e-2", "prompt": "x", "stream": True}}, "stream"),
        ("edits", {"files": {"model": (None, "dall-e-2"), "prompt": (None, "x")}}, "image"),
        ("edits", {"json": {"model": "dall-e-2", "prompt": "x"}}, None),
        ("variations", {"files": {"model": (None, "dall-e-2"), "n": (None, "two")}}, "image"),
    ],
)
def test_bad_requests_are_400_and_never_reach_the_upstream(
    setup: tuple[Gateway, Upstream], path: str, kwargs: dict[str, object], param: str | None
) -> None:
    gateway, upstream = setup
    response = httpx.post(
        f"{gateway.url}/v1/images/{path}",
        headers={"Authorization": f"Bearer {USER_KEY}"},
        **kwargs,  # type: ignore[arg-type]
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param
    assert not [r for r in upstream.fake.requests if r.path.startswith("/v1/images")]


def test_the_local_provider_says_an_upstream_image_channel_is_needed(make_gateway: Callable[..., Gateway]) -> None:
    offline = {"name": "offline", "type": "local", "base_url": "local://builtin", "models": ["my-image"]}
    gateway = make_gateway(
        **funded(),
        channels=[offline],
        prices=[{"model": m, "mode": "per_call", "per_call": 1000} for m in ("dall-e-3", "my-image")],
    )
    for model in ("dall-e-3", "my-image"):  # no image channel at all; a model only the local channel serves
        with pytest.raises(openai.BadRequestError) as caught:
            client(gateway).images.generate(model=model, prompt="a cat")
        message = caught.value.message
        assert "local provider has no offline text-to-image model" in message and "dall-e-3 or gpt-image-1" in message
    assert gateway.logs() == []


def test_image_models_answer_in_the_chat_format(setup: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = setup
    chat = client(gateway).chat.completions
    reply = chat.create(model="dall-e-3", messages=[{"role": "user", "content": "a lighthouse at dusk"}])
    content = reply.choices[0].message.content or ""
    link = re.fullmatch(r"!\[image\]\((http://\S+)\)", content)
    assert link, content
    assert opened(httpx.get(link.group(1)).content).size == (1024, 1024)
    sent = upstream.fake.requests[-1]
    assert (sent.path, sent.json["prompt"], sent.json["model"]) == (
        "/v1/images/generations",
        "a lighthouse at dusk",
        "dall-e-3",
    )
    assert last_cost(gateway) == ("chat.completions", 40_000)

    stream = chat.create(
        model="dall-e-3",
        messages=[{"role": "user", "content": [{"type": "text", "text": "a boat"}]}],
        stream=True,
        stream_options={"include_usage": True},
        extra_body={"size": "1792x1024"},
    )
    chunks = list(stream)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert re.fullmatch(r"!\[image\]\(http://\S+\)", streamed)
    assert chunks[-1].usage is not None and chunks[-2].choices[0].finish_reason == "stop"
    assert last_cost(gateway) == ("chat.completions", 80_000)
    assert chat.create(model="gpt-test", messages=[{"role": "user", "content": "hi"}]).choices, "chat models still chat"


def test_images_answer_transform() -> None:
    parsed = json.loads((FIXTURES / "images_response.json").read_text())
    answer = read_images_answer(parsed)
    assert answer is not None
    assert answer.created == 1_713_833_628
    assert [(e.url, e.b64, e.revised_prompt) for e in answer.entries] == [
        ("https://files.example/img-1.png?sig=abc", None, "A red fox, at dawn"),
        (None, "iVBORw0KGgo=", None),
    ]
    assert answer.usage == Usage(50, 4160)
    assert set(answer.extra) == {"size", "quality", "usage", "output_format"}
    assert read_images_answer({"data": [{"nothing": True}]}) is None
    assert read_images_answer({"error": {}}) is None


def test_image_types_and_form_fields() -> None:
    assert sniff_image_type(picture()) == "image/png"
    assert sniff_image_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert sniff_image_type(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    assert sniff_image_type(b"hello") == "application/octet-stream"
    fields = form_fields({"prompt": "x", "n": 2, "stream": False, "skip": None, "tags": ["a", "b"], "obj": {"k": 1}})
    assert fields == [
        ("prompt", "x"),
        ("n", "2"),
        ("stream", "false"),
        ("tags", "a"),
        ("tags", "b"),
        ("obj", '{"k":1}'),
    ]
