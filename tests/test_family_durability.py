"""Suno tasks, Replicate predictions, Kling, Seedance, MiniMax and ``/v1/videos`` tasks survive SIGKILL of
a real gateway process: none is lost, each is billed exactly once, each client hook hears its end
(issues #11, #12, #13)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from conftest import ADMIN_KEY, USER_KEY
from durability_support import Gateways, balance, closed_entries, free_port, kinds_of, sigkill, webhooks_quiet
from mj_support import Receiver, wait_for
from omnirelay.testing import (
    FakeArk,
    FakeArkKnobs,
    FakeBfl,
    FakeBflKnobs,
    FakeKling,
    FakeKlingKnobs,
    FakeMiniMax,
    FakeMiniMaxKnobs,
    FakeReplicate,
    FakeReplicateKnobs,
    FakeSuno,
    FakeSunoKnobs,
    serve_in_thread,
)

TASKS = 5
PRICE = 100_000
BALANCE = 100 * PRICE
KLING_ACCESS, KLING_SECRET = "ak-kling-test", "sk-kling-test-secret-0123456789abcdef"
FLUX = "black-forest-labs/flux-schnell"
SEEDANCE = "doubao-seedance-1-0-pro-250528"


@dataclass(frozen=True)
class Family:
    """How one task family is faked upstream, submitted, read back and recognised as finished."""

    make_fake: Callable[[], FakeSuno | FakeReplicate | FakeKling | FakeMiniMax | FakeBfl | FakeArk]
    channel: str
    """The channel's TOML lines after ``base_url`` (type, secrets, models)."""
    model: str
    """The priced model a submit bills."""
    submit: Callable[[httpx.Client, int, str], str]
    """Submit task ``i`` with ``hook`` as its webhook; its id."""
    status: Callable[[httpx.Client, str], str]
    """The task's status as the family's own fetch answers it."""
    held: frozenset[str]
    """Statuses a task shows while the fake holds it unfinished (after the gateway polled it once)."""
    success: str
    ended: Callable[[dict[str, Any], str], bool]
    """Whether a webhook body is the terminal one of that task."""


def _data(response: httpx.Response, ok: object) -> Any:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == ok, body
    return body["data"]


def _suno_submit(api: httpx.Client, i: int, hook: str) -> str:
    song = {"prompt": f"[Verse]\nneon rain {i}", "mv": "chirp-v4", "title": f"Song {i}", "notify_hook": hook}
    return str(_data(api.post("/suno/submit/music", json=song), "success"))


def _replicate_submit(api: httpx.Client, i: int, hook: str) -> str:
    body = {"input": {"prompt": f"a red fox {i}"}, "webhook": hook, "webhook_events_filter": ["completed"]}
    answer = api.post(f"/v1/models/{FLUX}/predictions", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _kling_submit(api: httpx.Client, i: int, hook: str) -> str:
    body = {"model_name": "kling-v1", "prompt": f"a fox runs {i}", "callback_url": hook}
    return str(_data(api.post("/v1/videos/text2video", json=body), 0)["task_id"])


def _bfl_submit(api: httpx.Client, i: int, hook: str) -> str:
    answer = api.post("/v1/flux-pro-1.1", json={"prompt": f"a fox {i}", "webhook_url": hook})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def _minimax_submit(api: httpx.Client, i: int, hook: str) -> str:
    body = {"model": "MiniMax-Hailuo-02", "prompt": f"a fox {i}", "callback_url": hook}
    answer = api.post("/v1/video_generation", json=body).json()
    assert answer["base_resp"]["status_code"] == 0, answer
    return str(answer["task_id"])


def _seedance_submit(api: httpx.Client, i: int, hook: str) -> str:
    body = {"model": SEEDANCE, "content": [{"type": "text", "text": f"a fox {i}"}], "callback_url": hook}
    answer = api.post("/api/v3/contents/generations/tasks", json=body)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def _videos_submit(api: httpx.Client, i: int, hook: str) -> str:
    """``/v1/videos`` takes no per-video hook: the account's webhook hears its videos' ends."""
    if i == 0:
        admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
        put = httpx.put(f"{api.base_url}/api/admin/accounts/1/webhook", headers=admin, json={"url": hook})
        assert put.status_code == 200, put.text
    answer = api.post("/v1/videos", json={"model": "MiniMax-Hailuo-02", "prompt": f"a fox {i}"})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def _replicate_status(api: httpx.Client, task_id: str) -> str:
    answer = api.get(f"/v1/predictions/{task_id}")
    assert answer.status_code == 200, answer.text
    return str(answer.json()["status"])


FAMILIES = {
    "suno": Family(
        make_fake=lambda: FakeSuno(FakeSunoKnobs(step_s=0.02, api_key="sk-suno-upstream", hold=True)),
        channel='type = "suno"\nsecrets = ["sk-suno-upstream"]\nmodels = ["suno_music"]',
        model="suno_music",
        submit=_suno_submit,
        status=lambda api, task_id: str(_data(api.get(f"/suno/fetch/{task_id}"), "success")["status"]),
        held=frozenset({"IN_PROGRESS"}),
        success="SUCCESS",
        ended=lambda body, task_id: body["data"]["task_id"] == task_id and body["data"]["status"] == "SUCCESS",
    ),
    "replicate": Family(
        make_fake=lambda: FakeReplicate(FakeReplicateKnobs(start_s=0.02, run_s=0.05, api_token="r8_up", hold=True)),
        channel=f'type = "replicate"\nsecrets = ["r8_up"]\nmodels = ["{FLUX}"]',
        model=FLUX,
        submit=_replicate_submit,
        status=_replicate_status,
        held=frozenset({"processing"}),
        success="succeeded",
        ended=lambda body, task_id: body["id"] == task_id and body["status"] == "succeeded",
    ),
    "kling": Family(
        make_fake=lambda: FakeKling(FakeKlingKnobs(step_s=0.05, keys={KLING_ACCESS: KLING_SECRET}, hold=True)),
        channel=f'type = "kling"\nsecrets = ["{KLING_ACCESS}|{KLING_SECRET}"]\nmodels = ["kling-v1"]',
        model="kling-v1",
        submit=_kling_submit,
        status=lambda api, task_id: str(_data(api.get(f"/v1/videos/text2video/{task_id}"), 0)["task_status"]),
        held=frozenset({"processing"}),
        success="succeed",
        ended=lambda body, task_id: body["task_id"] == task_id and body["task_status"] == "succeed",
    ),
    "minimax": Family(
        make_fake=lambda: FakeMiniMax(FakeMiniMaxKnobs(step_s=0.05, api_keys=["mm-up"], hold=True)),
        channel='type = "minimax"\nsecrets = ["mm-up"]\nmodels = ["MiniMax-Hailuo-02"]',
        model="MiniMax-Hailuo-02",
        submit=_minimax_submit,
        status=lambda api, task_id: str(
            api.get("/v1/query/video_generation", params={"task_id": task_id}).json()["status"]
        ),
        held=frozenset({"Processing"}),
        success="Success",
        ended=lambda body, task_id: body["task_id"] == task_id and body["status"] == "Success",
    ),
    "bfl": Family(
        make_fake=lambda: FakeBfl(FakeBflKnobs(step_s=0.05, api_keys=["bfl-up"], hold=True)),
        channel='type = "bfl"\nsecrets = ["bfl-up"]\nmodels = ["flux-pro-1.1"]',
        model="flux-pro-1.1",
        submit=_bfl_submit,
        status=lambda api, task_id: str(api.get("/v1/get_result", params={"id": task_id}).json()["status"]),
        held=frozenset({"Pending"}),
        success="Ready",
        ended=lambda body, task_id: body["id"] == task_id and body["status"] == "Ready",
    ),
    "seedance": Family(
        make_fake=lambda: FakeArk(FakeArkKnobs(step_s=0.05, keys=["ark-up"], hold=True)),
        channel=f'type = "ark"\nsecrets = ["ark-up"]\nmodels = ["{SEEDANCE}"]',
        model=SEEDANCE,
        submit=_seedance_submit,
        status=lambda api, task_id: str(api.get(f"/api/v3/contents/generations/tasks/{task_id}").json()["status"]),
        held=frozenset({"queued"}),
        success="succeeded",
        ended=lambda body, task_id: body["id"] == task_id and body["status"] == "succeeded",
    ),
    "videos": Family(
        make_fake=lambda: FakeMiniMax(FakeMiniMaxKnobs(step_s=0.05, api_keys=["mm-up"], hold=True)),
        channel='type = "minimax"\nsecrets = ["mm-up"]\nmodels = ["MiniMax-Hailuo-02"]',
        model="MiniMax-Hailuo-02",
        submit=_videos_submit,
        status=lambda api, task_id: str(api.get(f"/v1/videos/{task_id}").json()["status"]),
        held=frozenset({"in_progress"}),
        success="completed",
        ended=lambda body, task_id: body["id"] == task_id and body["status"] == "completed",
    ),
}


def _config(path: Path, database_url: str, family: Family, upstream: str) -> Path:
    path.write_text(
        f"""
home = "{path.parent / "home"}"
database_url = "{database_url}"
admin_key = "{ADMIN_KEY}"
cache_refresh_s = 0.2
[tasks]
poll_min_s = 0.05
poll_max_s = 0.3
lease_s = 1.0
[webhooks]
allow_networks = ["127.0.0.1/32"]
retry_schedule_s = [0.2, 0.2, 0.2, 0.2, 0.2, 0.2]
[outbound]
allow_networks = ["127.0.0.1/32"]
[[accounts]]
name = "acme"
balance = {BALANCE}
[[keys]]
account = "acme"
name = "main"
key = "{USER_KEY}"
[[channels]]
name = "up"
base_url = "{upstream}"
{family.channel}
[[prices]]
model = "{family.model}"
mode = "per_call"
per_call = {PRICE}
"""
    )
    return path


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FAMILIES))
def test_running_tasks_survive_sigkill_each_billed_once_and_announced(
    name: str, stack: ExitStack, tmp_path: Path, database_url: str
) -> None:
    """Five tasks held unfinished upstream when the gateway is SIGKILLed; a fresh process on the same store,
    with reservations of any age up for release, must still follow each to SUCCESS and settle it once."""
    family = FAMILIES[name]
    fake = family.make_fake()
    config = _config(tmp_path / "omnirelay.toml", database_url, family, stack.enter_context(serve_in_thread(fake.app)))
    hook = Receiver()
    hook_url = stack.enter_context(serve_in_thread(hook.app)) + "/hook"
    gateways = Gateways()
    stack.callback(gateways.close)
    port = free_port()
    first = gateways.serve(config, port)
    api = stack.enter_context(
        httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {USER_KEY}"}, timeout=30)
    )
    ids = [family.submit(api, i, hook_url) for i in range(TASKS)]
    assert len(set(ids)) == TASKS
    wait_for(lambda: {family.status(api, task_id) for task_id in ids} <= family.held)
    wait_for(lambda: webhooks_quiet(port))  # the kill targets tasks, not a delivery in flight (see the helper)

    sigkill(first)
    fake.knobs.hold = False
    fake.release()
    gateways.serve(config, port, OMNIRELAY_RELAY__RESERVATION_TIMEOUT_S="0")

    wait_for(lambda: {family.status(api, task_id) for task_id in ids} == {family.success}, 60)
    entries = closed_entries(port, database_url, TASKS)
    assert {rid for rid, kind, _ in entries if kind != "topup"} == set(ids), entries  # a task's id is its request id
    for task_id in ids:
        assert kinds_of(entries, task_id) == {"reserve": 1, "settle": 1}, (task_id, entries)
    assert balance(port) == BALANCE - TASKS * PRICE == BALANCE + sum(a for _, k, a in entries if k != "topup")

    def announced() -> bool:
        bodies = [orjson.loads(body) for _, body in list(hook.received)]
        return all(any(family.ended(body, task_id) for body in bodies) for task_id in ids)

    wait_for(announced, 30)
