"""MiniMax's own video API (spec §5.2) through the gateway, against the fake MiniMax upstream."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx

from conftest import Gateway, assert_ledger_balanced, sqlite_only
from mj_support import wait_for
from video_support import (
    BALANCE,
    MINIMAX_KEY,
    MINIMAX_MODEL,
    OTHER_KEY,
    PRICES,
    balances,
    client,
    minimax_channel,
    serve_minimax,
    start,
)

OK = {"status_code": 0, "status_msg": "success"}


def _code(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text  # MiniMax answers errors as HTTP 200 too
    return int(response.json()["base_resp"]["status_code"])


def _finished(http: httpx.Client, prefix: str, task_id: str) -> dict[str, Any]:
    seen: list[str] = []

    def done() -> dict[str, Any] | None:
        answer: dict[str, Any] = http.get(f"{prefix}/v1/query/video_generation", params={"task_id": task_id}).json()
        seen.append(answer["status"])
        return answer if answer["status"] in ("Success", "Fail") else None

    answer: dict[str, Any] = wait_for(done, interval=0.02)
    answer["seen"] = seen
    return answer


def test_create_query_and_retrieve_a_video_on_minimax_paths_billed_by_resolution_and_duration(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_minimax(stack, step_s=0.3)
    gateway = start(make_gateway, [minimax_channel("mm", url)])
    http = client(stack, gateway)
    body = {"model": MINIMAX_MODEL, "prompt": "a cat surfing", "duration": 10, "resolution": "1080P",
            "prompt_optimizer": False}  # fmt: skip
    created = http.post("/v1/video_generation", json=body).json()
    assert created["base_resp"] == OK and created["task_id"].isdigit()
    sent = [r for r in fake.requests if r.path == "/v1/video_generation"][0]
    assert sent.json == body and sent.headers["authorization"] == f"Bearer {MINIMAX_KEY}"

    answer = _finished(http, "/minimax", created["task_id"])
    assert answer["status"] == "Success" and "Processing" in answer["seen"], answer
    assert (answer["video_width"], answer["video_height"], answer["base_resp"]) == (1920, 1080, OK)
    file = http.get("/v1/files/retrieve", params={"file_id": answer["file_id"]}).json()
    assert file["base_resp"] == OK and file["file"]["filename"] == "output_aigc.mp4"
    link = file["file"]["download_url"]
    assert link.startswith(f"{gateway.url}/v1/video/generations/{created['task_id']}/content") and url not in link
    video = httpx.get(link, timeout=30)  # signed: no key needed
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4" and video.content[4:8] == b"ftyp"
    seek = httpx.get(link, headers={"Range": "bytes=0-99"}, timeout=30)
    assert seek.status_code == 206 and seek.content == video.content[:100]

    unified = http.get(f"/v1/video/generations/{created['task_id']}").json()
    assert (unified["family"], unified["status"], unified["seconds"], unified["size"]) == (
        "minimax", "completed", "10", "1920x1080"
    )  # fmt: skip
    assert balances(gateway)["acme"] == BALANCE - PRICES[f"{MINIMAX_MODEL}:1080P:10"]
    assert_ledger_balanced(gateway)


def test_a_failed_task_is_refunded_and_upstream_refusals_keep_minimax_codes(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_minimax(stack, fail_next=1, moderate_prompts_containing=["gore"])
    gateway = start(make_gateway, [minimax_channel("mm", url)])
    http = client(stack, gateway)
    created = http.post("/minimax/v1/video_generation", json={"model": MINIMAX_MODEL, "prompt": "waves"}).json()
    answer = _finished(http, "", created["task_id"])
    assert answer["status"] == "Fail" and "fail" in answer["fail_reason"]
    assert _code(http.get("/v1/files/retrieve", params={"file_id": created["task_id"]})) == 2013
    assert _code(http.post("/v1/video_generation", json={"model": MINIMAX_MODEL, "prompt": "gore"})) == 1026
    fake.knobs.error_code, fake.knobs.error_next = 1002, 1  # rate limited: the only channel fails
    assert _code(http.post("/v1/video_generation", json={"model": MINIMAX_MODEL, "prompt": "calm"})) == 1000
    assert balances(gateway)["acme"] == BALANCE
    assert_ledger_balanced(gateway)


@sqlite_only
def test_refused_requests_answer_base_resp_and_hold_nothing(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_minimax(stack)
    gateway = start(make_gateway, [minimax_channel("mm", url)])
    http = client(stack, gateway)
    assert _code(http.post("/v1/video_generation", json={"prompt": "no model"})) == 2013
    assert (
        _code(http.post("/v1/video_generation", json={"model": MINIMAX_MODEL, "prompt": "x", "duration": "6"})) == 2013
    )
    assert (
        _code(http.post("/v1/video_generation", json={"model": MINIMAX_MODEL, "prompt": "x", "resolution": "4K"}))
        == 2013
    )
    assert _code(http.post("/v1/video_generation", json={"model": "unknown", "prompt": "x"})) == 2013
    anonymous = httpx.post(f"{gateway.url}/v1/video_generation", json={"model": MINIMAX_MODEL, "prompt": "x"})
    assert _code(anonymous) == 1004
    hook = {"model": MINIMAX_MODEL, "prompt": "x", "callback_url": "http://10.1.2.3/hook"}
    assert _code(http.post("/v1/video_generation", json=hook)) == 2013  # a private address: refused
    assert not fake.requests and balances(gateway)["acme"] == BALANCE

    created = http.post("/v1/video_generation", json={"model": MINIMAX_MODEL, "prompt": "mine"}).json()
    other = client(stack, gateway, OTHER_KEY)
    assert _code(other.get("/v1/query/video_generation", params={"task_id": created["task_id"]})) == 2013
    assert _code(other.get("/v1/query/video_generation")) == 2013
    assert _code(other.get("/v1/files/retrieve", params={"file_id": created["task_id"]})) == 2013
