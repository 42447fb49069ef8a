"""Pure Kling pieces: creates as Kling's requests, Kling's answers as neutral task states, its errors in the
one tree (JSON fixtures); the JWT and its cache; the image checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jwt
import orjson
import pytest

from kling_support import picture
from omnirelay import errors
from omnirelay.errors import InvalidRequest, UpstreamError
from omnirelay.families.kling.api.shared_paths import is_kling_body
from omnirelay.families.kling.creates import parse_create
from omnirelay.families.kling.images import MAX_IMAGE_BYTES, check_image
from omnirelay.families.kling.upstream import KlingSubmit
from omnirelay.providers.kling.tokens import REFRESH_MARGIN_S, TokenCache, keys_of, mint
from omnirelay.providers.kling.transforms import (
    accepted_id,
    error_for,
    parse_upstream_id,
    state_from,
    submit_request,
    upstream_id,
)

FIXTURES = Path(__file__).parent / "fixtures" / "kling"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


SUBMITS = fixture("submits.json")["cases"]
ANSWERS = fixture("answers.json")
ERRORS = fixture("errors.json")["cases"]


@pytest.mark.parametrize("case", SUBMITS, ids=[c["name"] for c in SUBMITS])
def test_a_create_becomes_klings_request(case: dict[str, Any]) -> None:
    request = submit_request(KlingSubmit(case["kind"], case["body"]), case["upstream_model"])
    assert {"method": request.method, "path": request.path, "body": request.body} == case["request"]


def test_a_created_task_is_polled_on_its_kinds_path_with_the_key_that_made_it() -> None:
    task_id = accepted_id(ANSWERS["created"])
    assert task_id == "867283741759111202"
    encoded = upstream_id("image2video", task_id, "ak:with:colons")
    assert parse_upstream_id(encoded) == ("image2video", task_id, "ak:with:colons")
    assert parse_upstream_id("music:1:x") is None
    with pytest.raises(UpstreamError):
        accepted_id({"code": 1201, "message": "bad"})


@pytest.mark.parametrize("case", ANSWERS["states"], ids=[c["name"] for c in ANSWERS["states"]])
def test_a_query_answer_becomes_a_neutral_state(case: dict[str, Any]) -> None:
    state = state_from(case["answer"])
    assert state is not None
    seen = {
        "status": state.status,
        "progress": state.progress,
        "fail_reason": state.fail_reason,
        "finish_time": state.finish_time,
        "result": dict(state.result),
    }
    assert seen == case["state"]


@pytest.mark.parametrize("answer", ANSWERS["silent"])
def test_answers_that_say_nothing_leave_the_task_alone(answer: dict[str, Any]) -> None:
    assert state_from(answer) is None


@pytest.mark.parametrize("case", ERRORS, ids=[f"{c['status']}-{c['body']}"[:40] for c in ERRORS])
def test_error_answers_land_in_the_one_tree(case: dict[str, Any]) -> None:
    body = case["body"]
    raw = body.encode() if isinstance(body, str) else orjson.dumps(body)
    error = error_for(case["status"], raw, "kling-a")
    assert type(error) is getattr(errors, case["error"]) and error.retryable == case["retryable"]
    if "code" in case:
        assert error.code == case["code"] and error.status_code == case["status"]


def test_a_token_is_klings_jwt_and_is_minted_again_before_it_expires() -> None:
    now = [1_000_000.0]
    cache = TokenCache(clock=lambda: now[0])
    secret = "ak-1|sk-1-0123456789abcdef0123456789abcdef"
    first = cache.token(secret, "c")
    claims = jwt.decode(first, keys_of(secret, "c")[1], algorithms=["HS256"], options={"verify_exp": False,
                        "verify_nbf": False})  # fmt: skip
    assert claims == {"iss": "ak-1", "exp": 1_001_800, "nbf": 999_995}
    assert jwt.get_unverified_header(first) == {"alg": "HS256", "typ": "JWT"}
    now[0] += 1800 - REFRESH_MARGIN_S - 1  # just over 5 minutes left: still served from the cache
    assert cache.token(secret, "c") == first and cache.minted == 1
    now[0] += 2  # under 5 minutes left
    assert cache.token(secret, "c") != first and cache.minted == 2
    assert cache.token(secret, "c", fresh=True) and cache.minted == 3
    assert mint("a", "s" * 32, 0.0) != mint("b", "s" * 32, 0.0)
    with pytest.raises(errors.UpstreamAuthFailed):
        cache.token("no-separator", "c")


def test_images_are_urls_or_real_base64_images_within_klings_limits() -> None:
    check_image("https://img.example/a.png", "image")
    check_image(picture(400, 300, "JPEG"), "image")
    check_image(picture(1000, 300), "image", ratio=False)
    too_large = "A" * (MAX_IMAGE_BYTES * 4 // 3 + 8)
    bad = ("", "ftp://x/a.png", "http://", "%%%", "bm90IGFuIGltYWdl", picture(299, 400), picture(1000, 300), too_large)
    for value in bad:
        with pytest.raises(InvalidRequest):
            check_image(value, "image")


def test_price_names_go_from_most_to_least_specific() -> None:
    video = parse_create("text2video", {"model_name": "kling-v2-master", "prompt": "a", "mode": "pro", "duration": 10})
    assert video.price_names == ["kling-v2-master:pro:10", "kling-v2-master:pro", "kling-v2-master"]
    image = parse_create("images", {"prompt": "a", "n": 4, "resolution": "2k"})
    assert (image.price_names, image.calls) == (["kling-v1:image:2k", "kling-v1:image", "kling-v1"], 4)


def test_the_shared_images_path_tells_kling_from_openai() -> None:
    assert is_kling_body(b'{"model_name": "kling-v1", "prompt": "a"}')
    assert is_kling_body(b'{"prompt": "a", "aspect_ratio": "1:1"}')
    assert not is_kling_body(b'{"prompt": "a"}')  # OpenAI's missing model, as before
    assert not is_kling_body(b'{"model": "dall-e-3", "prompt": "a"}')
    assert not is_kling_body(b"not json")
