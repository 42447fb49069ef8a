"""The ``suno`` channel's adapter against the fake Suno served for real, in both dialects: submits,
polls that follow the clips to the end, the upload and persona calls, and failures as upstream errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import pytest

from conftest import Gateway, sqlite_only
from omnirelay.channels.model import Channel
from omnirelay.errors import UpstreamAuthFailed, UpstreamError, UpstreamRejected
from omnirelay.families.suno.upstream import SunoAccountCall, SunoSubmit, SunoUpstream
from omnirelay.providers.suno.adapter import SunoProvider
from omnirelay.tasks.family import TaskPoller
from omnirelay.tasks.model import Status, UpstreamState
from omnirelay.testing import serve_in_thread
from omnirelay.testing.fake_suno import FakeSuno, FakeSunoKnobs

KEY = "sk-suno"
SECRETS = {"aggregator": KEY, "gcui": f"__client={KEY}"}
"""gcui's secret is a Suno session cookie, sent as ``Cookie``; the aggregator's a Bearer key."""
SONG = {"prompt": "[Verse]\nla la", "mv": "chirp-v4", "title": "Work", "tags": "edm"}


@pytest.fixture
def fake() -> Iterator[tuple[FakeSuno, str]]:
    fake = FakeSuno(FakeSunoKnobs(api_key=KEY, step_s=0.15))
    with serve_in_thread(fake.app) as url:
        yield fake, url


@pytest.fixture(params=["aggregator", "gcui"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def suno() -> AsyncIterator[SunoProvider]:
    async with aiohttp.ClientSession() as session:
        yield SunoProvider(session, connect_timeout_s=5, read_timeout_s=30)


def channel(url: str, dialect: str, secret: str | None = None) -> Channel:
    return Channel(
        id=1,
        name="suno-1",
        type="suno",
        base_url=url,
        secrets=(secret or SECRETS[dialect],),
        models=frozenset({"suno_music"}),
        model_map={},
        priority=0,
        weight=1,
        groups=frozenset({"default"}),
        timeout_s=None,
        enabled=True,
        auto_disabled=False,
        disabled_reason=None,
        options={"dialect": dialect},
    )


async def follow(suno: SunoProvider, ch: Channel, upstream_id: str, seen: list[UpstreamState]) -> UpstreamState:
    """Poll until the task ends, keeping every state the upstream reported."""
    for _ in range(500):
        state = (await suno.poll(ch, [upstream_id])).get(upstream_id)
        if state is not None:
            seen.append(state)
            if state.status in (Status.SUCCESS, Status.FAILURE):
                return state
        await asyncio.sleep(0.01)
    raise AssertionError(f"task {upstream_id} did not end: {seen[-1:] if seen else 'never seen'}")


def walked(states: list[UpstreamState], clip: int) -> list[str]:
    """The statuses one clip went through, in order, repeats folded."""
    statuses = [state.result["data"][clip]["status"] for state in states]
    return [status for i, status in enumerate(statuses) if i == 0 or statuses[i - 1] != status]


async def test_a_song_walks_from_submitted_to_two_complete_clips(
    fake: tuple[FakeSuno, str], dialect: str, suno: SunoProvider
) -> None:
    assert isinstance(suno, SunoUpstream) and isinstance(suno, TaskPoller)
    ch = channel(fake[1], dialect)
    accepted = await suno.submit(ch, SunoSubmit("music", {**SONG, "notify_hook": "https://client.example/h"}))
    assert accepted.upstream_id
    seen = [accepted.state] if accepted.state is not None else []
    final = await follow(suno, ch, accepted.upstream_id, seen)
    assert [walked(seen, n) for n in (0, 1)] == [["submitted", "queued", "streaming", "complete"]] * 2
    assert [s.status for i, s in enumerate(seen) if i == 0 or seen[i - 1].status != s.status] == [
        Status.SUBMITTED,
        Status.IN_PROGRESS,
        Status.SUCCESS,
    ]
    clips = final.result["data"]
    assert final.progress == 100 and len(clips) == 2
    for clip in clips:
        assert clip["audio_url"].endswith(f"/media/{clip['id']}.mp3") and clip["metadata"]["duration"] == 4.0
        assert clip["title"] == "Work" and clip["metadata"]["tags"] == "edm" and "user_id" not in clip
    assert all("notify_hook" not in (r.json or {}) for r in fake[0].requests), "the client's hook stays here"


async def test_the_aggregator_polls_many_tasks_with_one_request_gcui_one_per_task(
    fake: tuple[FakeSuno, str], dialect: str, suno: SunoProvider
) -> None:
    ch = channel(fake[1], dialect)
    ids = [str((await suno.submit(ch, SunoSubmit("music", SONG))).upstream_id) for _ in range(2)]
    fake[0].requests.clear()
    states = await suno.poll(ch, [*ids, "not-a-task"])
    assert set(states) == set(ids), "ids the upstream does not know are left alone"
    polls = [(r.method, r.path) for r in fake[0].requests]
    if dialect == "aggregator":
        assert polls == [("POST", "/suno/fetch")] and fake[0].requests[0].json == {"ids": [*ids, "not-a-task"]}
    else:
        assert polls == [("GET", "/api/get")] * 3


async def test_lyrics_come_back_as_title_and_text(fake: tuple[FakeSuno, str], dialect: str, suno: SunoProvider) -> None:
    ch = channel(fake[1], dialect)
    accepted = await suno.submit(ch, SunoSubmit("lyrics", {"prompt": "rain at night"}))
    if dialect == "gcui":
        assert accepted.upstream_id is None, "gcui writes lyrics within the submit: nothing to poll"
        assert accepted.state is not None
        state = accepted.state
    else:
        assert accepted.upstream_id is not None
        state = await follow(suno, ch, accepted.upstream_id, [])
    assert state.status == Status.SUCCESS
    lyrics = state.result["data"]
    assert lyrics["title"] == "Rain At Night" and lyrics["text"].startswith("[Verse]\nRain at night")


async def test_a_continuation_goes_to_the_upstream_task_and_clip(
    fake: tuple[FakeSuno, str], dialect: str, suno: SunoProvider
) -> None:
    ch = channel(fake[1], dialect)
    first = await suno.submit(ch, SunoSubmit("music", SONG))
    assert first.upstream_id
    done = await follow(suno, ch, first.upstream_id, [])
    clip_id = done.result["data"][0]["id"]
    extend = {"task": "extend", "task_id": "gateway-id", "continue_clip_id": clip_id, "continue_at": 2, "prompt": "x"}
    more = await suno.submit(ch, SunoSubmit("music", extend, origin=first.upstream_id))
    assert more.upstream_id
    extended = await follow(suno, ch, more.upstream_id, [])
    assert extended.status == Status.SUCCESS
    history = fake[0].clips[extended.result["data"][0]["id"]]["metadata"]["history"]
    assert history[-1]["id"] == clip_id and history[-1]["continue_at"] == 2
    sent = next(
        r.json for r in fake[0].requests if r.path in ("/suno/submit/music", "/api/extend_audio") and r.json != SONG
    )
    if dialect == "aggregator":
        assert sent["task_id"] == first.upstream_id, "the upstream's id of the continued task, not the gateway's"
    else:
        assert sent["audio_id"] == clip_id


async def test_uploads_and_personas_on_the_aggregator_only(
    fake: tuple[FakeSuno, str], dialect: str, suno: SunoProvider
) -> None:
    ch = channel(fake[1], dialect)
    upload = SunoAccountCall("upload_audio", {"extension": "mp3"})
    if dialect == "gcui":
        with pytest.raises(UpstreamError) as refused:
            await suno.relay(ch, upload)
        assert refused.value.code == "unsupported_by_channel" and refused.value.retryable
        return
    created = await suno.relay(ch, upload)
    assert set(created) >= {"id", "url", "fields"} and created["is_file_uploaded"] is False
    status = await suno.relay(ch, SunoAccountCall("upload_status", upload_id=created["id"]))
    assert status["status"] == "processing"
    song = await suno.submit(ch, SunoSubmit("music", SONG))
    assert song.upstream_id
    root = (await follow(suno, ch, song.upstream_id, [])).result["data"][0]["id"]
    persona = await suno.relay(ch, SunoAccountCall("create_persona", {"root_clip_id": root, "name": "Nova"}))
    assert persona["id"] in fake[0].engine.personas and persona["name"] == "Nova"


async def test_a_failing_song_ends_with_the_upstreams_reason(
    fake: tuple[FakeSuno, str], dialect: str, suno: SunoProvider
) -> None:
    fake[0].knobs.fail_tasks = 1
    ch = channel(fake[1], dialect)
    accepted = await suno.submit(ch, SunoSubmit("music", SONG))
    assert accepted.upstream_id
    final = await follow(suno, ch, accepted.upstream_id, [])
    assert final.status == Status.FAILURE and final.fail_reason == fake[0].knobs.fail_reason


KNOBS: list[tuple[dict[str, Any], type[UpstreamError], str, bool]] = [
    ({"queue_full": True}, UpstreamError, "upstream_429", True),
    ({"fail_next": 1}, UpstreamError, "upstream_500", True),
    ({"credits": 0}, UpstreamError, "upstream_no_credits", True),
]


@pytest.mark.parametrize(("knobs", "error", "code", "retryable"), KNOBS, ids=[str(k[0]) for k in KNOBS])
async def test_an_unwilling_upstream_is_an_upstream_error_another_channel_may_not_have(
    fake: tuple[FakeSuno, str],
    dialect: str,
    suno: SunoProvider,
    knobs: dict[str, Any],
    error: type[UpstreamError],
    code: str,
    retryable: bool,
) -> None:
    for name, value in knobs.items():
        setattr(fake[0].knobs, name, value)
    with pytest.raises(error) as failed:
        await suno.submit(channel(fake[1], dialect), SunoSubmit("music", SONG))
    assert (type(failed.value), failed.value.code, failed.value.retryable) == (error, code, retryable)


async def test_a_refused_key_and_a_refused_request_are_told_apart(
    fake: tuple[FakeSuno, str], dialect: str, suno: SunoProvider
) -> None:
    with pytest.raises(UpstreamAuthFailed):
        await suno.submit(channel(fake[1], dialect, secret="sk-wrong"), SunoSubmit("music", SONG))
    with pytest.raises(UpstreamRejected) as rejected:
        await suno.submit(
            channel(fake[1], dialect), SunoSubmit("music", {"task": "extend", "continue_clip_id": "nope"})
        )
    assert not rejected.value.retryable and 400 <= rejected.value.status_code < 500


async def test_an_upstream_that_is_not_there_is_a_retryable_error(dialect: str, suno: SunoProvider) -> None:
    with pytest.raises(UpstreamError) as failed:
        await suno.poll(channel("http://127.0.0.1:9", dialect), ["a"])
    assert failed.value.retryable


@sqlite_only
def test_an_operator_picks_a_suno_channels_dialect(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway()
    base = {"name": "s", "type": "suno", "base_url": "https://suno.example/api", "models": ["suno_music"]}
    made = gateway.admin_json("POST", "/api/admin/channels", json={**base, "options": {"dialect": "gcui"}})
    assert (made["options"], made["base_url"]) == ({"dialect": "gcui"}, "https://suno.example")
    for options, says in (({"dialect": "grpc"}, '"aggregator" or "gcui"'), ({"dialect": True}, "got True")):
        refused = gateway.admin.post("/api/admin/channels", json={**base, "name": "t", "options": options})
        assert refused.status_code == 400 and says in refused.json()["error"]["message"], refused.text
    elsewhere = {
        **base,
        "name": "o",
        "type": "openai",
        "base_url": "https://api.example/v1",
        "options": {"dialect": "gcui"},
    }
    refused = gateway.admin.post("/api/admin/channels", json=elsewhere)
    assert refused.status_code == 400 and "only suno" in refused.json()["error"]["message"]
