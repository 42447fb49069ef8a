"""The OpenAI-style ``/v1/videos`` (spec §5.1) through the official SDK, on MiniMax and Kling channels;
the unified video query; money, failover and refused input."""

from __future__ import annotations

import io
import time
import warnings
from collections.abc import Callable
from contextlib import ExitStack

import httpx
import openai
import pytest
from PIL import Image
from standardwebhooks import Webhook

from conftest import Gateway, assert_ledger_balanced, sqlite_only
from mj_support import Receiver, wait_for
from omnirelay.testing import serve_in_thread
from video_support import (
    BALANCE,
    MINIMAX_MODEL,
    OTHER_KEY,
    PRICES,
    balances,
    client,
    kling_channel,
    minimax_channel,
    openai_error,
    sdk,
    serve_kling,
    serve_minimax,
    start,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK marks the Sora API deprecated
VIDEO_KEYS = {"id", "object", "model", "status", "progress", "created_at", "completed_at", "expires_at", "prompt",
              "size", "seconds", "remixed_from_video_id", "error"}  # fmt: skip


def test_the_sdk_makes_lists_downloads_and_deletes_a_minimax_video_billed_once(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_minimax(stack, step_s=0.3, video_padding_bytes=2_000_000)
    gateway = start(make_gateway, [minimax_channel("mm", url)])
    api = sdk(gateway)

    video = api.videos.create(model=MINIMAX_MODEL, prompt="a paper boat in rain", seconds="8", size="1280x720")
    assert video.status == "queued" and video.id.startswith("video_") and video.progress == 0
    raw = api.videos.with_raw_response.retrieve(video.id)
    assert set(raw.http_response.json()) == VIDEO_KEYS and int(raw.headers["openai-poll-after-ms"]) >= 50
    done = api.videos.poll(video.id)
    assert done.status == "completed" and done.progress == 100 and done.completed_at
    assert (done.seconds, done.size, done.prompt, done.model) == (
        "8",
        "1280x720",
        "a paper boat in rain",
        MINIMAX_MODEL,
    )
    sent = [r.json for r in fake.requests if r.path == "/v1/video_generation"][0]
    assert sent == {"model": MINIMAX_MODEL, "prompt": "a paper boat in rain", "duration": 10, "resolution": "768P"}

    content = api.videos.download_content(video.id)
    assert content.content[4:8] == b"ftyp" and len(content.content) > 2_000_000
    http = client(stack, gateway)
    part = http.get(f"/v1/videos/{video.id}/content", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == content.content[10:20]
    thumb = openai_error(http.get(f"/v1/videos/{video.id}/content", params={"variant": "thumbnail"}), 404)
    assert "thumbnail" in thumb["message"]

    listed = api.videos.list(limit=10)
    assert [v.id for v in listed.data] == [video.id] and listed.has_more is False
    assert balances(gateway)["acme"] == BALANCE - PRICES[f"{MINIMAX_MODEL}:1280x720"]  # no :1280x720:8 price

    deleted = api.videos.delete(video.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (video.id, True, "video.deleted")
    with pytest.raises(openai.NotFoundError):
        api.videos.retrieve(video.id)
    assert api.videos.list().data == []
    assert balances(gateway)["acme"] == BALANCE - PRICES[f"{MINIMAX_MODEL}:1280x720"]
    assert_ledger_balanced(gateway)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), (10, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_sdk_on_a_kling_channel_sends_an_image_to_video_and_the_unified_query_reads_it(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_kling(stack)
    gateway = start(make_gateway, [kling_channel("kling", url)])
    api = sdk(gateway)
    video = api.videos.create(
        model="kling-v1",
        prompt="waves",
        seconds="4",
        size="720x1280",
        input_reference=("frame.png", _png(), "image/png"),
    )
    done = api.videos.poll(video.id)
    assert done.status == "completed", done
    sent = [r for r in fake.requests if r.method == "POST"][0]
    assert sent.path == "/v1/videos/image2video"
    assert (sent.json["duration"], sent.json["aspect_ratio"], sent.json["model_name"]) == ("5", "9:16", "kling-v1")
    assert api.videos.download_content(done.id).content[4:8] == b"ftyp"
    assert balances(gateway)["acme"] == BALANCE - PRICES["kling-v1"]  # kling-v1:720x1280:4 is not priced

    http = client(stack, gateway)
    unified = http.get(f"/v1/video/generations/{video.id}").json()
    assert unified["family"] == "videos" and unified["status"] == "completed" and unified["cover_url"] is None
    got = httpx.get(unified["video_url"], timeout=30)  # signed: no key needed
    assert got.status_code == 200 and got.content[4:8] == b"ftyp"
    assert httpx.get(unified["video_url"].replace("sig=", "sig=0")).status_code == 404

    native = http.post("/v1/videos/text2video", json={"model_name": "kling-v1", "prompt": "clouds"}).json()
    task_id = native["data"]["task_id"]  # Kling's own route still answers Kling's envelope
    finished = wait_for(
        lambda: (b := http.get(f"/v1/video/generations/{task_id}").json())["status"] == "completed" and b
    )
    assert finished["family"] == "kling" and finished["seconds"] == "5" and finished["video_url"]
    assert httpx.get(finished["video_url"], timeout=30).content[4:8] == b"ftyp"
    page = http.get("/v1/video/generations", params={"limit": 1}).json()
    assert [v["id"] for v in page["data"]] == [task_id] and page["has_more"] is True
    rest = http.get("/v1/video/generations", params={"after": page["last_id"]}).json()
    assert [v["id"] for v in rest["data"]] == [video.id] and rest["has_more"] is False
    other = client(stack, gateway, OTHER_KEY)
    openai_error(other.get(f"/v1/video/generations/{task_id}"), 404)
    assert other.get("/v1/video/generations").json()["data"] == []
    assert_ledger_balanced(gateway)


def test_a_failed_video_is_refunded_and_says_why(make_gateway: Callable[..., Gateway], stack: ExitStack) -> None:
    fake, url = serve_minimax(stack, fail_prompts_containing=["doomed"])
    gateway = start(make_gateway, [minimax_channel("mm", url)])
    api = sdk(gateway)
    done = api.videos.poll(api.videos.create(model=MINIMAX_MODEL, prompt="a doomed ship").id)
    assert done.status == "failed" and done.error is not None and "fail" in done.error.message
    http = client(stack, gateway)
    openai_error(http.get(f"/v1/videos/{done.id}/content"), 404)
    unified = http.get(f"/v1/video/generations/{done.id}").json()
    assert unified["status"] == "failed" and unified["video_url"] is None and unified["error"]["message"]
    assert balances(gateway)["acme"] == BALANCE
    assert api.videos.delete(done.id).deleted
    assert_ledger_balanced(gateway)


def test_a_create_fails_over_when_a_minimax_account_is_out_of_balance(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    broke, broke_url = serve_minimax(stack, error_code=1008)
    healthy, healthy_url = serve_minimax(stack)
    channels = [minimax_channel("a", broke_url, priority=10), minimax_channel("b", healthy_url, priority=0)]
    gateway = start(make_gateway, channels)
    api = sdk(gateway)
    assert api.videos.poll(api.videos.create(model=MINIMAX_MODEL, prompt="a kite").id).status == "completed"
    assert len(broke.requests) == 1 and not broke.tasks and len(healthy.tasks) == 1
    assert balances(gateway)["acme"] == BALANCE - PRICES[MINIMAX_MODEL]

    healthy.knobs.moderate_prompts_containing = ["forbidden"]  # the request's own fault: no failover, refunded
    with pytest.raises(openai.BadRequestError) as refused:
        api.videos.create(model=MINIMAX_MODEL, prompt="a forbidden scene")
    assert refused.value.code == "minimax_1026"
    assert balances(gateway)["acme"] == BALANCE - PRICES[MINIMAX_MODEL]
    assert_ledger_balanced(gateway)


def test_a_video_still_being_made_cannot_be_deleted_and_remix_is_refused(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_minimax(stack, step_s=5)
    gateway = start(make_gateway, [minimax_channel("mm", url)])
    http = client(stack, gateway)
    video = http.post("/v1/videos", json={"model": MINIMAX_MODEL, "prompt": "slow", "seconds": 6}).json()
    assert video["status"] == "queued" and video["seconds"] == "6"
    assert "deleted" in openai_error(http.delete(f"/v1/videos/{video['id']}"), 400)["message"]
    remix = openai_error(http.post(f"/v1/videos/{video['id']}/remix", json={"prompt": "again"}), 400)
    assert remix["code"] == "remix_not_supported"
    openai_error(http.get(f"/v1/videos/{video['id']}/content"), 404)


@sqlite_only
@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": MINIMAX_MODEL, "prompt": "x", "seconds": "7"}, "seconds"),
        ({"model": MINIMAX_MODEL, "prompt": "x", "size": "640x480"}, "size"),
        ({"model": MINIMAX_MODEL}, "prompt"),
        ({"model": MINIMAX_MODEL, "prompt": "x", "input_reference": {"file_id": "file-1"}}, "input_reference"),
        ({"model": MINIMAX_MODEL, "prompt": "x", "metadata": [1]}, "metadata"),
    ],
)
def test_bad_input_is_refused_before_anything_is_held(
    make_gateway: Callable[..., Gateway], stack: ExitStack, body: dict[str, object], param: str
) -> None:
    fake, url = serve_minimax(stack)
    gateway = start(make_gateway, [minimax_channel("mm", url)])
    http = client(stack, gateway)
    assert openai_error(http.post("/v1/videos", json=body), 400)["param"] == param
    assert not fake.requests and balances(gateway)["acme"] == BALANCE


@sqlite_only
def test_unknown_and_foreign_ids_are_404_and_the_sdk_refuses_bad_seconds(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_minimax(stack)
    gateway = start(make_gateway, [minimax_channel("mm", url)])
    api = sdk(gateway)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(openai.BadRequestError):
            api.videos.create(model=MINIMAX_MODEL, prompt="x", seconds="3")  # type: ignore[arg-type]
        with pytest.raises(openai.NotFoundError):
            api.videos.create(model="no-such-model", prompt="x")
    video = api.videos.create(model=MINIMAX_MODEL, prompt="mine")
    other = sdk(gateway, OTHER_KEY)
    for call in (other.videos.retrieve, other.videos.delete, other.videos.download_content):
        with pytest.raises(openai.NotFoundError):
            call(video.id)
    assert other.videos.list().data == []
    http = client(stack, gateway)
    openai_error(http.get("/v1/videos/video_nope"), 404)
    openai_error(http.get("/v1/video/generations/nope"), 404)
    assert balances(gateway)["other"] == BALANCE


def test_json_creates_pass_frames_and_vendor_fields_list_in_both_orders_and_announce_the_end(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_minimax(stack)
    hook = Receiver()
    hook_url = stack.enter_context(serve_in_thread(hook.app)) + "/hook"
    gateway = start(make_gateway, [minimax_channel("mm", url)])
    gateway.admin_json("PUT", "/api/admin/accounts/1/webhook", json={"url": hook_url})
    http = client(stack, gateway)
    frame = {"image_url": "https://frames.example/first.png"}
    first = {"model": MINIMAX_MODEL, "prompt": "one", "input_reference": frame,
             "metadata": {"prompt_optimizer": False}, "quality": "high"}  # fmt: skip
    ids = []
    for body in (first, {"model": MINIMAX_MODEL, "prompt": "two"}, {"model": MINIMAX_MODEL, "prompt": "three"}):
        ids.append(http.post("/v1/videos", json=body).json()["id"])
        time.sleep(0.01)  # distinct creation times: lists order by them
    sent = [r.json for r in fake.requests if r.path == "/v1/video_generation"][0]
    assert sent == {"model": MINIMAX_MODEL, "prompt": "one", "first_frame_image": frame["image_url"],
                    "prompt_optimizer": False}  # fmt: skip

    newest = http.get("/v1/videos", params={"limit": 2}).json()
    assert [v["id"] for v in newest["data"]] == ids[:0:-1] and newest["has_more"] is True
    last = http.get("/v1/videos", params={"limit": 2, "after": newest["last_id"]}).json()
    assert [v["id"] for v in last["data"]] == ids[:1] and last["has_more"] is False
    oldest = http.get("/v1/videos", params={"order": "asc", "limit": 2, "after": ids[0]}).json()
    assert [v["id"] for v in oldest["data"]] == ids[1:] and oldest["first_id"] == ids[1]
    assert openai_error(http.get("/v1/videos", params={"order": "sideways"}), 400)["param"] == "order"

    secret = gateway.admin_json("GET", "/api/admin/accounts/1/webhook")["secret"]

    def ends() -> list[dict[str, object]] | None:
        bodies = [Webhook(secret).verify(raw.decode(), headers) for headers, raw in list(hook.received)]
        return bodies if len(bodies) == 3 else None

    bodies = wait_for(ends)
    assert {b["id"] for b in bodies} == set(ids) and {b["status"] for b in bodies} == {"completed"}
    assert balances(gateway)["acme"] == BALANCE - 3 * PRICES[MINIMAX_MODEL]
    assert_ledger_balanced(gateway)
