"""The fake Midjourney-Proxy upstream speaks the proxy's wire format, and its knobs do what they say."""

from __future__ import annotations

import base64
import io
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from omnirelay.testing import FakeMidjourney, FakeMidjourneyKnobs, serve_in_thread

BASE_KEYS = {
    "id", "action", "status", "prompt", "promptEn", "description", "state", "submitTime", "startTime",
    "finishTime", "imageUrl", "progress", "failReason", "properties", "buttons",
}  # fmt: skip
BARE = base64.b64encode(b"first fake image").decode()
IMAGE = "data:image/png;base64," + BARE
OTHER = "data:image/png;base64," + base64.b64encode(b"second fake image").decode()
MISSING = "1234567890123456"

Env = tuple[FakeMidjourney, httpx.Client, str]


@pytest.fixture
def mj() -> Iterator[Env]:
    fake = FakeMidjourney(FakeMidjourneyKnobs(step_s=0.005))
    with serve_in_thread(fake.app) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield fake, client, url


def submit(client: httpx.Client, path: str, body: dict[str, Any], status: int = 200) -> Any:
    response = client.post("/mj/submit/" + path, json=body)
    assert response.status_code == status, response.text
    return response.json()


def wait(client: httpx.Client, task_id: str, until: tuple[str, ...] = ("SUCCESS", "FAILURE")) -> Any:
    deadline = time.monotonic() + 10
    while True:
        task = client.get(f"/mj/task/{task_id}/fetch").json()
        if task["status"] in until:
            return task
        assert time.monotonic() < deadline, task
        time.sleep(0.005)


def imagine_done(client: httpx.Client, prompt: str = "a red fox") -> Any:
    return wait(client, submit(client, "imagine", {"prompt": prompt})["result"])


def upscale_done(client: httpx.Client) -> Any:
    grid = imagine_done(client)
    return wait(
        client, submit(client, "action", {"taskId": grid["id"], "customId": grid["buttons"][0]["customId"]})["result"]
    )


def test_imagine_runs_to_success_with_buttons_and_a_served_png(mj: Env) -> None:
    _, client, url = mj
    answer = submit(client, "imagine", {"prompt": "a red fox", "state": "s1"})
    assert (answer["code"], answer["description"]) == (1, "提交成功")
    assert re.fullmatch(r"\d{16}", answer["result"]) and answer["properties"]["discordInstanceId"]
    first = client.get(f"/mj/task/{answer['result']}/fetch").json()
    assert BASE_KEYS <= first.keys()
    assert (first["action"], first["description"], first["state"]) == ("IMAGINE", "/imagine a red fox", "s1")
    done = wait(client, answer["result"])
    assert (done["status"], done["progress"], done["failReason"]) == ("SUCCESS", "100%", None)
    assert done["finishTime"] >= done["startTime"] >= done["submitTime"] > 1_600_000_000_000
    job = done["properties"]["messageHash"]
    assert done["properties"]["finalPrompt"] == "a red fox --v 7.0"
    assert done["imageUrl"].startswith(url + "/attachments/") and done["imageUrl"].endswith(f"_{job}.png")
    assert [b["customId"] for b in done["buttons"]] == [
        *[f"MJ::JOB::upsample::{n}::{job}" for n in range(1, 5)],
        f"MJ::JOB::reroll::0::{job}::SOLO",
        *[f"MJ::JOB::variation::{n}::{job}" for n in range(1, 5)],
    ]
    assert [b["label"] for b in done["buttons"]] == ["U1", "U2", "U3", "U4", "", "V1", "V2", "V3", "V4"]
    image = client.get(done["imageUrl"])
    assert image.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(image.content)) as png:
        assert (png.format, png.size) == ("PNG", (128, 128))


def test_speed_mode_from_path_prefix_or_prompt(mj: Env) -> None:
    fake, client, _ = mj
    fast = client.post("/mj-fast/mj/submit/imagine", json={"prompt": "x"}).json()["result"]
    relax = submit(client, "imagine", {"prompt": "y --relax"})["result"]
    assert (fake.records[fast].mode, fake.records[relax].mode) == ("FAST", "RELAX")
    assert client.get(f"/mj-turbo/mj/task/{fast}/fetch").json()["id"] == fast


def test_notify_hook_receives_every_change_in_order(mj: Env) -> None:
    _, client, _ = mj
    received: list[Any] = []

    async def hook(request: Request) -> Response:
        received.append(await request.json())
        return Response()

    with serve_in_thread(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as hook_url:
        done = wait(client, submit(client, "imagine", {"prompt": "x", "notifyHook": hook_url + "/hook"})["result"])
        deadline = time.monotonic() + 10
        while not received or received[-1]["status"] != "SUCCESS":
            assert time.monotonic() < deadline, received
            time.sleep(0.005)
    steps = [("SUBMITTED", "0%"), ("IN_PROGRESS", "25%"), ("IN_PROGRESS", "50%"), ("IN_PROGRESS", "75%")]
    assert [(r["status"], r["progress"]) for r in received] == [*steps, ("SUCCESS", "100%")]
    assert received[-1] == done


def test_upscale_via_action_change_and_simple_change(mj: Env) -> None:
    _, client, _ = mj
    grid = imagine_done(client)
    up = wait(
        client, submit(client, "action", {"taskId": grid["id"], "customId": grid["buttons"][0]["customId"]})["result"]
    )
    assert (up["action"], up["description"], up["prompt"]) == ("UPSCALE", f"/up {grid['id']} U1", grid["prompt"])
    h = up["properties"]["messageHash"]
    ids = [b["customId"] for b in up["buttons"]]
    assert ids[0] == f"MJ::JOB::upsample_v7_2x_subtle::1::{h}::SOLO" and ids[-1] == f"MJ::BOOKMARK::{h}"
    assert {f"MJ::Inpaint::1::{h}::SOLO", f"MJ::CustomZoom::{h}", f"MJ::JOB::pan_left::1::{h}::SOLO"} <= set(ids)
    changed = wait(client, submit(client, "change", {"taskId": grid["id"], "action": "UPSCALE", "index": 2})["result"])
    assert (changed["action"], changed["description"]) == ("UPSCALE", f"/up {grid['id']} U2")
    varied = wait(client, submit(client, "simple-change", {"content": f"{grid['id']} v3"})["result"])
    assert (varied["action"], varied["description"], varied["buttons"][0]["label"]) == (
        "VARIATION",
        f"/up {grid['id']} V3",
        "U1",
    )
    bookmark = submit(client, "action", {"taskId": up["id"], "customId": ids[-1]})
    assert (bookmark["code"], bookmark["result"]) == (1, up["id"])


def test_inpaint_opens_a_modal_that_modal_submit_runs(mj: Env) -> None:
    fake, client, _ = mj
    up = upscale_done(client)
    inpaint = next(b["customId"] for b in up["buttons"] if b["customId"].startswith("MJ::Inpaint::"))
    opened = submit(client, "action", {"taskId": up["id"], "customId": inpaint})
    assert opened["code"] == 21 and opened["properties"] == {
        "finalPrompt": up["properties"]["finalPrompt"],
        "remix": True,
    }
    waiting = client.get(f"/mj/task/{opened['result']}/fetch").json()
    assert (waiting["status"], waiting["action"], waiting["customId"]) == ("MODAL", "VARIATION", inpaint)
    assert submit(client, "modal", {"taskId": opened["result"]})["description"] == "prompt不能为空"
    ran = submit(client, "modal", {"taskId": opened["result"], "prompt": "a blue fox", "maskBase64": IMAGE})
    assert (ran["code"], ran["result"]) == (1, opened["result"])
    done = wait(client, opened["result"])
    assert (done["status"], done["prompt"], done["maskBase64"]) == ("SUCCESS", "a blue fox", IMAGE)
    assert done["buttons"][0]["label"] == "U1"
    fake.knobs.remix = True
    grid = imagine_done(client)
    assert submit(client, "action", {"taskId": grid["id"], "customId": grid["buttons"][5]["customId"]})["code"] == 21


def test_describe_returns_four_numbered_prompts(mj: Env) -> None:
    fake, client, _ = mj
    done = wait(client, submit(client, "describe", {"base64": IMAGE})["result"])
    text = done["promptEn"]
    assert re.fullmatch(r"1️⃣ [^\n]+ --ar 1:1\n\n2️⃣ [^\n]+\n\n3️⃣ [^\n]+\n\n4️⃣ [^\n]+", text)
    assert done["properties"]["finalPrompt"] == text == done["prompt"]
    assert done["description"] == f"/describe {done['id']}.png"
    assert client.get(done["imageUrl"]).headers["content-type"] == "image/png"
    readers = [f"MJ::Job::PicReader::{n}" for n in range(1, 5)]
    assert [b["customId"] for b in done["buttons"]] == [*readers, "MJ::Picread::Retry"]
    picked = submit(client, "action", {"taskId": done["id"], "customId": readers[1]})
    assert (picked["code"], picked["properties"]["finalPrompt"]) == (21, text.split("\n\n")[1].removeprefix("2️⃣ "))
    fake.knobs.dialect = "trueai"
    again = wait(client, submit(client, "describe", {"base64": BARE})["result"])
    assert (again["prompt"], again["promptEn"], again["description"]) == (None, text, "/describe")


def test_other_submits(mj: Env) -> None:
    _, client, _ = mj
    blend = wait(client, submit(client, "blend", {"base64Array": [IMAGE, OTHER], "dimensions": "PORTRAIT"})["result"])
    assert (blend["action"], blend["description"]) == ("BLEND", f"/blend {blend['id']} 2")
    assert blend["prompt"].endswith(" --ar 2:3")
    short = wait(client, submit(client, "shorten", {"prompt": "a very long prompt about a red fox"})["result"])
    assert short["properties"]["finalPrompt"].startswith("## Important tokens\n**a**, very")
    assert "\n## Shortened prompts\n1️⃣ a very long" in short["properties"]["finalPrompt"]
    urls = submit(client, "upload-discord-images", {"base64Array": [IMAGE]})["result"]
    assert client.get(urls[0]).headers["content-type"] == "image/png"
    swap = client.post("/mj/insight-face/swap", json={"sourceBase64": IMAGE, "targetBase64": OTHER}).json()
    done = wait(client, swap["result"])
    assert (done["action"], done["botType"], done["status"]) == ("SWAP_FACE", "INSIGHT_FACE", "SUCCESS")


def test_queue_ban_and_account_codes(mj: Env) -> None:
    fake, client, _ = mj
    fake.knobs.queue_depth = 2
    queued = submit(client, "imagine", {"prompt": "p"})
    assert (queued["code"], queued["description"], queued["properties"]["numberOfQueues"]) == (
        22,
        "排队中，前面还有2个任务",
        2,
    )
    fake.knobs.queue_depth, fake.knobs.queue_full = 0, True
    assert [submit(client, "imagine", {"prompt": "p"})[k] for k in ("code", "result")] == [23, None]
    fake.knobs.dialect = "trueai"
    assert submit(client, "imagine", {"prompt": "p"})["code"] == 9
    fake.knobs.queue_full, fake.knobs.banned_words = False, ["gore"]
    banned = submit(client, "imagine", {"prompt": "some GORE here"})
    assert (banned["code"], banned["result"]) == (24, None)
    assert banned["properties"] == {"promptEn": "some GORE here", "bannedWord": "gore"}
    fake.knobs.no_account = True
    assert submit(client, "imagine", {"prompt": "p"})["code"] == 3
    assert list(fake.tasks) == [queued["result"]]


def test_validation_errors_and_image_seed(mj: Env) -> None:
    fake, client, _ = mj
    grid = imagine_done(client)
    cases: list[tuple[str, dict[str, Any], int, int, str]] = [
        ("imagine", {"prompt": " "}, 200, 4, "prompt不能为空"),
        ("imagine", {"prompt": "x", "base64Array": ["not base64!"]}, 200, 4, "base64格式错误"),
        ("blend", {"base64Array": [IMAGE]}, 200, 4, "base64List参数错误"),
        ("change", {"taskId": MISSING, "action": "UPSCALE", "index": 1}, 200, 3, "关联任务不存在或已失效"),
        ("action", {"taskId": MISSING, "customId": "MJ::JOB::upsample::1::x"}, 404, 3, "关联任务不存在或已失效"),
        ("modal", {"taskId": MISSING, "prompt": "x"}, 404, 3, "关联任务不存在或已失效"),
        ("action", {"taskId": grid["id"], "customId": "MJ::Nope::1"}, 200, 4, "未知的 Action 类型"),
        ("simple-change", {"content": f"{grid['id']} U5"}, 200, 4, "content参数错误"),
    ]
    for path, body, status, code, description in cases:
        answer = submit(client, path, body, status)
        assert (answer["code"], answer["description"], answer["result"]) == (code, description, None), path
    fake.knobs.hold = True
    held = submit(client, "imagine", {"prompt": "slow"})["result"]
    wait(client, held, until=("IN_PROGRESS",))
    early = submit(client, "change", {"taskId": held, "action": "UPSCALE", "index": 1})
    assert (early["code"], early["description"]) == (4, "关联任务状态错误")
    assert client.get(f"/mj/task/{held}/image-seed").status_code == 400
    fake.release()
    wait(client, held)
    seed = client.get(f"/mj/task/{held}/image-seed").json()
    assert (seed["code"], seed["description"]) == (1, "成功") and seed["result"].isdigit()
    missing = client.get(f"/mj/task/{MISSING}/image-seed")
    assert (missing.status_code, missing.json()["code"]) == (404, 3)


def test_auth_and_forced_submit_status(mj: Env) -> None:
    fake, client, _ = mj
    fake.knobs.api_secret = "s3cret"
    refused = client.post("/mj/submit/imagine", json={"prompt": "x"})
    assert (refused.status_code, refused.content) == (401, b"")
    assert client.get(f"/mj/task/{MISSING}/fetch").status_code == 401
    secret = {"mj-api-secret": "s3cret"}
    assert client.post("/mj/submit/imagine", json={"prompt": "x"}, headers=secret).json()["code"] == 1
    fake.knobs.submit_status, fake.knobs.submit_fail_times = 503, 1
    assert client.post("/mj/submit/imagine", json={"prompt": "x"}, headers=secret).status_code == 503
    assert client.post("/mj/submit/imagine", json={"prompt": "x"}, headers=secret).json()["code"] == 1
    fake.knobs.dialect = "trueai"
    assert client.get(f"/mj/task/{MISSING}/fetch", headers={"Authorization": "s3cret"}).status_code == 204


def test_list_fetch_unknown_and_cancel(mj: Env) -> None:
    fake, client, _ = mj
    first, second = imagine_done(client)["id"], imagine_done(client)["id"]
    listed = client.post("/mj/task/list-by-condition", json={"ids": [int(first), second, MISSING]}).json()
    assert sorted(t["id"] for t in listed) == sorted([first, second])
    assert [t["id"] for t in client.post("/mj/task/list-by-ids", json={"ids": [first]}).json()] == [first]
    assert client.post("/mj/task/list-by-condition", json={}).json() == []
    unknown = client.get(f"/mj/task/{MISSING}/fetch")
    assert (unknown.status_code, unknown.content) == (200, b"")
    fake.knobs.hold = True
    held = submit(client, "imagine", {"prompt": "never"})["result"]
    assert client.post(f"/mj/task/{held}/cancel").status_code == 200
    cancelled = client.get(f"/mj/task/{held}/fetch").json()
    assert (cancelled["status"], cancelled["progress"], cancelled["failReason"]) == ("FAILURE", "", "取消任务")
    fake.knobs.dialect = "trueai"
    assert client.get(f"/mj/task/{MISSING}/fetch").status_code == 204


def test_failure_knobs_and_request_log(mj: Env) -> None:
    fake, client, _ = mj
    fake.knobs.fail_prompts_containing = ["--bad"]
    failed = imagine_done(client, "fox --bad")
    assert (failed["status"], failed["progress"], failed["imageUrl"]) == ("FAILURE", "", None)
    assert failed["failReason"].startswith("[Invalid parameter]") and failed["finishTime"]
    fake.knobs.fail_next = 1
    assert [imagine_done(client, "fine")["status"] for _ in range(2)] == ["FAILURE", "SUCCESS"]
    first = fake.requests[0]
    assert (first.method, first.path, first.json) == ("POST", "/mj/submit/imagine", {"prompt": "fox --bad"})
    assert all(r.answered_at is not None and r.answered_at >= r.received_at for r in fake.requests)
